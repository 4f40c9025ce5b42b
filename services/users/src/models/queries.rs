//! The queries the service runs on `users`. Each takes any connection (`&*db`,
//! `&*tx`, a `DatabaseTransaction`), so handlers decide what runs in a transaction.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, SqlErr,
};

use super::user::{self, Entity as Users};

/// A new account, its password already hashed.
#[derive(Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Contact address.
    pub email: String,
    /// Display name.
    pub full_name: Option<String>,
    /// Argon2id PHC string.
    pub hashed_password: String,
    /// Administrator?
    pub is_admin: bool,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("is_admin", &self.is_admin)
            .finish_non_exhaustive()
    }
}

/// Changes to a stored account; `None` leaves a column as it is.
#[derive(Clone, Default)]
pub struct UserChanges {
    /// New contact address.
    pub email: Option<String>,
    /// New display name.
    pub full_name: Option<String>,
    /// New Argon2id PHC string.
    pub hashed_password: Option<String>,
    /// Enable or disable.
    pub is_active: Option<bool>,
    /// Grant or revoke administrator rights.
    pub is_admin: Option<bool>,
}

impl std::fmt::Debug for UserChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserChanges")
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field(
                "password",
                &self.hashed_password.as_ref().map(|_| "<changed>"),
            )
            .field("is_active", &self.is_active)
            .field("is_admin", &self.is_admin)
            .finish()
    }
}

/// Why [`create`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The username is taken: the unique index refused the row.
    #[error("username already registered")]
    UsernameTaken,
    /// Any other database failure.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Inserts an account (active, created now). A taken username is
/// [`CreateError::UsernameTaken`], told by the database's unique violation, so two
/// concurrent registrations of one name cannot both succeed.
pub async fn create(conn: &impl ConnectionTrait, new: NewUser) -> Result<user::Model, CreateError> {
    let row = user::ActiveModel {
        username: Set(new.username),
        email: Set(new.email),
        full_name: Set(new.full_name),
        hashed_password: Set(new.hashed_password),
        is_active: Set(true),
        is_admin: Set(new.is_admin),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    row.insert(conn).await.map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => CreateError::UsernameTaken,
        _ => CreateError::Db(err),
    })
}

/// The account with `id`.
pub async fn find_by_id(
    conn: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<user::Model>, DbErr> {
    Users::find_by_id(id).one(conn).await
}

/// The account named exactly `username`.
pub async fn find_by_username(
    conn: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, DbErr> {
    Users::find()
        .filter(user::Column::Username.eq(username))
        .one(conn)
        .await
}

/// Applies `changes` to `row` and returns the stored result (unchanged rows are not
/// written).
pub async fn update(
    conn: &impl ConnectionTrait,
    row: user::Model,
    changes: UserChanges,
) -> Result<user::Model, DbErr> {
    let mut active = row.clone().into_active_model();
    let mut changed = false;
    if let Some(email) = changes.email {
        active.email = Set(email);
        changed = true;
    }
    if let Some(full_name) = changes.full_name {
        active.full_name = Set(Some(full_name));
        changed = true;
    }
    if let Some(hash) = changes.hashed_password {
        active.hashed_password = Set(hash);
        changed = true;
    }
    if let Some(is_active) = changes.is_active {
        active.is_active = Set(is_active);
        changed = true;
    }
    if let Some(is_admin) = changes.is_admin {
        active.is_admin = Set(is_admin);
        changed = true;
    }
    if !changed {
        return Ok(row);
    }
    active.update(conn).await
}

/// Deletes the account with `id`; whether there was one.
pub async fn delete(conn: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    let result = Users::delete_by_id(id).exec(conn).await?;
    Ok(result.rows_affected > 0)
}

/// How many accounts there are.
pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Users::find().count(conn).await
}
