//! `/users`: registration and accounts.
//!
//! | route | who | answers |
//! | --- | --- | --- |
//! | `POST /users/` | anyone | 201, 409 taken, 422 |
//! | `GET /users/me` | a user | 200, 401 |
//! | `GET /users/{user_id}` | a user | 200, 401, 404, 422 |
//! | `PUT /users/{user_id}` | the user or an admin | 200, 401, 403, 404, 422 |
//! | `DELETE /users/{user_id}` | an admin | 204, 401, 403, 404, 422 |
//!
//! Reading an account needs a token too: accounts carry e-mail addresses, which
//! must not be enumerable by id. Writes run in the request's transaction ([`Tx`]):
//! committed when the handler succeeds, rolled back when it fails.

use apiarist::{
    auth::hash_password_async,
    db::{Db, Tx},
    prelude::*,
};
use shared_models::users::{UserCreate, UserResponse, UserUpdate};

use crate::{
    identity::{AdminUser, CurrentUser},
    models::{CreateError, NewUser, UserChanges, queries},
};

/// Path of the `/users/{user_id}` routes.
#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct UserPath {
    /// The account's id.
    #[validate(range(exclusive_min = 0))]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub user_id: i64,
}

impl UserPath {
    /// The id as stored; ids beyond the column's range exist nowhere.
    fn id(&self) -> Result<i32, HttpError> {
        i32::try_from(self.user_id).map_err(|_| user_not_found())
    }
}

fn user_not_found() -> HttpError {
    HttpError::not_found("User not found")
}

fn forbidden() -> HttpError {
    HttpError::forbidden("Not enough permissions")
}

async fn hash(password: String) -> Result<String, HttpError> {
    hash_password_async(password).await.map_err(|error| {
        tracing::error!(%error, "hashing a password failed");
        HttpError::new(500, "Internal Server Error")
    })
}

/// Register an account.
///
/// Creates an active, non-administrator account. The password is stored as an
/// Argon2id hash and never returned.
#[api_operation(summary = "Register an account", error_code = 409)]
pub async fn create_user(
    tx: Tx,
    body: Json<UserCreate>,
) -> Result<Created<UserResponse>, HttpError> {
    let body = body.into_inner();
    let new = NewUser {
        username: body.username,
        email: body.email,
        full_name: body.full_name,
        hashed_password: hash(body.password).await?,
        is_admin: false,
    };
    match queries::create(&*tx, new).await {
        Ok(row) => Ok(Created(UserResponse::from(&row))),
        Err(CreateError::UsernameTaken) => Err(HttpError::conflict("Username already registered")),
        Err(CreateError::Db(err)) => Err(err.into()),
    }
}

/// Read your own account.
///
/// The account of the bearer token.
#[api_operation(summary = "Read your own account")]
pub async fn read_me(user: CurrentUser) -> Json<UserResponse> {
    Json(UserResponse::from(&*user))
}

/// Read an account.
///
/// Any signed-in user may read any account.
#[api_operation(summary = "Read an account", error_code = 404)]
pub async fn read_user(
    path: Path<UserPath>,
    _user: CurrentUser,
    db: Db,
) -> Result<Json<UserResponse>, HttpError> {
    let row = queries::find_by_id(&*db, path.id()?).await?;
    row.map(|row| Json(UserResponse::from(&row)))
        .ok_or_else(user_not_found)
}

/// Update an account.
///
/// Users may update their own account; administrators any. Only administrators may
/// enable or disable an account (`is_active`). Absent fields stay as they are.
#[api_operation(summary = "Update an account", error_code = 403, error_code = 404)]
pub async fn update_user(
    path: Path<UserPath>,
    user: CurrentUser,
    tx: Tx,
    body: Json<UserUpdate>,
) -> Result<Json<UserResponse>, HttpError> {
    let own = i64::from(user.id) == path.user_id;
    let body = body.into_inner();
    // Authorise before looking the target up: a non-admin learns nothing about
    // accounts that are not theirs, not even whether they exist.
    if !user.is_admin && (!own || body.is_active.is_some()) {
        return Err(forbidden());
    }
    let target = queries::find_by_id(&*tx, path.id()?)
        .await?
        .ok_or_else(user_not_found)?;
    let hashed_password = match body.password {
        Some(password) => Some(hash(password).await?),
        None => None,
    };
    let changes = UserChanges {
        email: body.email,
        full_name: body.full_name,
        hashed_password,
        is_active: body.is_active,
        is_admin: None,
    };
    let row = queries::update(&*tx, target, changes).await?;
    Ok(Json(UserResponse::from(&row)))
}

/// Delete an account.
///
/// Administrators only.
#[api_operation(summary = "Delete an account", error_code = 403, error_code = 404)]
pub async fn delete_user(
    path: Path<UserPath>,
    _admin: AdminUser,
    tx: Tx,
) -> Result<NoContent, HttpError> {
    if queries::delete(&*tx, path.id()?).await? {
        Ok(NoContent)
    } else {
        Err(user_not_found())
    }
}

/// The `/users` routes, tagged `users`.
pub fn router() -> Router {
    Router::with_prefix("/users")
        .tag("users")
        .post("/", create_user)
        .get("/me", read_me)
        .get("/{user_id}", read_user)
        .put("/{user_id}", update_user)
        .delete("/{user_id}", delete_user)
}
