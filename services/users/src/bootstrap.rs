//! Start-up tasks: the bootstrap administrator.

use apiarist::{
    auth::{AdminCredentials, PasswordError, hash_password_async},
    db::{Database, DbError},
};
use sea_orm::DbErr;

use crate::models::{CreateError, NewUser, UserChanges, queries, user};

/// Why [`ensure_admin`] failed; start-up should stop with this message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BootstrapError {
    /// The credentials cannot be used (the message names the variable).
    #[error("environment variable {var} is invalid: {reason}")]
    Invalid {
        /// `ADMIN_USERNAME` or `ADMIN_PASSWORD`.
        var: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The database is unreachable or a query failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The password could not be hashed.
    #[error(transparent)]
    Password(#[from] PasswordError),
}

impl From<DbErr> for BootstrapError {
    fn from(err: DbErr) -> Self {
        Self::Db(DbError::Query(err))
    }
}

/// Makes sure the administrator of `ADMIN_USERNAME` / `ADMIN_PASSWORD`
/// ([`AuthSettings::admin`](apiarist::auth::AuthSettings::admin)) exists: creates the
/// account, or updates an existing one (password, administrator, active). Returns the
/// stored account; `None` without credentials, when no administrator is created.
///
/// Waits until `db` is connected and migrated. The credentials follow the rules of
/// registration: a username of 3 to 50 characters, a password of at least 8.
pub async fn ensure_admin(
    db: &Database,
    admin: Option<&AdminCredentials>,
) -> Result<Option<user::Model>, BootstrapError> {
    let Some(admin) = admin else {
        return Ok(None);
    };
    let name_len = admin.username.chars().count();
    if !(3..=50).contains(&name_len) {
        return Err(BootstrapError::Invalid {
            var: "ADMIN_USERNAME",
            reason: "must be 3 to 50 characters long",
        });
    }
    if admin.password.chars().count() < 8 {
        return Err(BootstrapError::Invalid {
            var: "ADMIN_PASSWORD",
            reason: "must be at least 8 characters long",
        });
    }
    db.wait_ready().await?;
    let hashed_password = hash_password_async(admin.password.clone()).await?;

    let txn = db.begin().await?;
    let stored = match queries::find_by_username(&txn, &admin.username).await? {
        Some(existing) => {
            let changes = UserChanges {
                hashed_password: Some(hashed_password),
                is_admin: Some(true),
                is_active: Some(true),
                ..UserChanges::default()
            };
            queries::update(&txn, existing, changes).await?
        }
        None => {
            let new = NewUser {
                username: admin.username.clone(),
                email: format!("{}@localhost", admin.username),
                full_name: Some("Administrator".to_owned()),
                hashed_password,
                is_admin: true,
            };
            match queries::create(&txn, new).await {
                Ok(row) => row,
                // Another instance created it between our lookup and our insert (the
                // unique index made us wait for its commit), with the same credentials.
                Err(CreateError::UsernameTaken) => {
                    drop(txn);
                    return Ok(
                        queries::find_by_username(&db.conn().await?, &admin.username).await?,
                    );
                }
                Err(CreateError::Db(err)) => return Err(err.into()),
            }
        }
    };
    txn.commit().await?;
    tracing::info!(username = %stored.username, id = stored.id, "administrator account ensured");
    Ok(Some(stored))
}
