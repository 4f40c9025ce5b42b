//! [`Db`] and [`Tx`]: the database as request dependencies.

use std::{ops::Deref, rc::Rc};

use sea_orm::{DatabaseConnection, DatabaseTransaction};

use super::{Database, DbError};
use crate::{HttpError, Outcome, Provide, RequestScope, State};

impl From<DbError> for HttpError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable { .. } => {
                tracing::warn!(%error, "database unavailable");
                HttpError::new(503, "Database unavailable")
            }
            other => {
                tracing::error!(error = %other, "database error");
                HttpError::new(500, "Internal Server Error")
            }
        }
    }
}

impl From<sea_orm::DbErr> for HttpError {
    /// A failed query is the service's fault: logged, answered as a plain 500.
    fn from(error: sea_orm::DbErr) -> Self {
        HttpError::from(DbError::Query(error))
    }
}

/// A connection from the app's [`Database`] state, for reads and single writes.
///
/// Use it as `&*db` wherever sea-orm wants a connection. A database that is not
/// reachable answers `503 {"detail": "Database unavailable"}`.
///
/// ```
/// use apiarist::{db::Db, prelude::*};
///
/// /// Is the database there?
/// #[api_operation(summary = "Ping")]
/// async fn ping(db: Db) -> Result<Json<bool>, HttpError> {
///     db.ping().await?; // a DbErr is a logged 500
///     Ok(Json(true))
/// }
/// # let _ = Router::new().get("/ping", ping);
/// ```
#[derive(Debug, Clone)]
pub struct Db(DatabaseConnection);

impl Deref for Db {
    type Target = DatabaseConnection;
    fn deref(&self) -> &DatabaseConnection {
        &self.0
    }
}

impl Provide for Db {
    type Needs = (State<Database>,);
    const ERRORS: &'static [u16] = &[503];

    async fn provide((db,): Self::Needs) -> Result<Self, actix_web::Error> {
        Ok(Db(db.conn().await.map_err(HttpError::from)?))
    }
}
crate::injectable!(Db);

/// The request's transaction: committed when the handler succeeds (status below
/// 400), rolled back when it fails, returns an error or panics, so a failed request
/// leaves no partial writes.
///
/// One per request, shared by every dependency that asks for it. Use it as `&*tx`
/// wherever sea-orm wants a connection. A failed commit answers 500 instead of the
/// handler's success.
///
/// ```
/// use apiarist::{db::Tx, prelude::*};
/// use sea_orm::ConnectionTrait;
///
/// /// Record a visit.
/// #[api_operation(summary = "Visit")]
/// async fn visit(tx: Tx) -> Result<NoContent, HttpError> {
///     tx.execute_unprepared("INSERT INTO visits DEFAULT VALUES").await?;
///     Ok(NoContent) // committed after this returns
/// }
/// # let _ = Router::new().post("/visits", visit);
/// ```
#[derive(Debug, Clone)]
pub struct Tx(Rc<DatabaseTransaction>);

impl Deref for Tx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.0
    }
}

impl Provide for Tx {
    type Needs = (State<Database>, RequestScope);
    const ERRORS: &'static [u16] = &[503];

    async fn provide((db, scope): Self::Needs) -> Result<Self, actix_web::Error> {
        let tx = Rc::new(db.begin().await.map_err(HttpError::from)?);
        let held = tx.clone();
        scope.on_finish(move |outcome| async move {
            match (outcome, Rc::try_unwrap(held)) {
                (Outcome::Success, Ok(tx)) => tx.commit().await.map_err(|error| {
                    tracing::error!(%error, "commit failed");
                    HttpError::new(500, "Internal Server Error").into()
                }),
                (Outcome::Success, Err(_)) => {
                    // Something outlived the handler holding the transaction (a
                    // spawned task): committing under it would be a race.
                    tracing::error!("transaction still in use after the handler; rolled back");
                    Err(HttpError::new(500, "Internal Server Error").into())
                }
                // Dropping the transaction rolls it back.
                (Outcome::Failure, _) => Ok(()),
            }
        });
        Ok(Tx(tx))
    }
}
crate::injectable!(Tx);
