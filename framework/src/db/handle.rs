//! [`Database`]: the handle request code holds.

use actix::{Addr, Supervisor};
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::watch;

use super::{
    Backend, DbError, DbSettings, Readiness,
    actor::{DbActor, Ping, Snapshot, Status},
};

/// A cheap-to-clone handle to the service's database (an `Addr` and a channel receiver).
///
/// Put one in the app state and clone it into requests. The pool itself lives in a
/// `watch` channel the [`DbActor`] publishes to: [`conn`](Self::conn) and
/// [`begin`](Self::begin) read it directly instead of asking the actor, so requests
/// never queue behind each other in its mailbox; and waiting for a state change
/// ([`wait_ready`](Self::wait_ready)) needs no polling.
///
/// Must be created inside an actix system (`#[actix_web::main]`, `#[actix_rt::test]`):
/// the actor runs on the current arbiter. The handle itself is `Send + Sync` and
/// usable from every worker.
///
/// ```no_run
/// use apiarist::db::{Database, DbSettings, sea_orm::ConnectionTrait};
/// # use apiarist::db::sea_orm_migration::prelude::*;
/// # struct Migrator;
/// # impl MigratorTrait for Migrator { fn migrations() -> Vec<Box<dyn MigrationTrait>> { vec![] } }
///
/// # #[actix_rt::main] async fn main() -> Result<(), apiarist::db::DbError> {
/// let db = Database::connect::<Migrator>(DbSettings::from_env("app.db")?).await?;
/// let conn = db.conn().await?;
/// conn.execute_unprepared("SELECT 1").await?;
/// assert!(db.ready().await.ready);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Database {
    addr: Addr<DbActor>,
    pub(crate) state: watch::Receiver<Snapshot>,
    backend: Backend,
}

impl Database {
    /// Starts the supervised [`DbActor`] and returns at once; it connects (with retries),
    /// then runs `M`'s pending migrations. Until then [`conn`](Self::conn) answers
    /// [`DbError::Unavailable`] and [`ready`](Self::ready) says why.
    ///
    /// # Panics
    ///
    /// Outside an actix system, or if `settings.url` is neither `sqlite:` nor
    /// `postgres://` (settings from [`DbSettings::from_env`] always are; use
    /// [`connect`](Self::connect) to get an error instead).
    pub fn start<M: MigratorTrait + 'static>(settings: DbSettings) -> Self {
        let backend = settings.backend();
        let (actor, state) = DbActor::new::<M>(settings);
        let addr = Supervisor::start(move |_| actor);
        Self {
            addr,
            state,
            backend,
        }
    }

    /// [`start`](Self::start), then waits until connected and migrated.
    ///
    /// Fails with [`DbError::Unavailable`] after `settings.connect_attempts` failed
    /// attempts or if the migrations fail, and with [`DbError::Config`] for an
    /// unsupported URL.
    pub async fn connect<M: MigratorTrait + 'static>(
        settings: DbSettings,
    ) -> Result<Self, DbError> {
        if Backend::from_url(&settings.url).is_none() {
            return Err(DbError::Config {
                message: format!(
                    "unsupported database URL {:?}; expected sqlite:// or postgres://",
                    settings.redacted_url()
                ),
            });
        }
        let db = Self::start::<M>(settings);
        db.wait_ready().await?;
        Ok(db)
    }

    /// Waits until the database is connected and migrated; fails as soon as the actor
    /// has given up (attempts exhausted, migrations failed).
    pub async fn wait_ready(&self) -> Result<(), DbError> {
        let mut state = self.state.clone();
        loop {
            match &state.borrow_and_update().status {
                Status::Ready | Status::Degraded { .. } => return Ok(()),
                Status::Failed { reason } => {
                    return Err(DbError::Unavailable {
                        reason: reason.clone(),
                    });
                }
                Status::Starting { .. } => {}
            }
            if state.changed().await.is_err() {
                return Err(unavailable("the database actor stopped"));
            }
        }
    }

    /// The connection pool (a cheap clone). [`DbError::Unavailable`] with the reason
    /// while not connected and migrated.
    pub async fn conn(&self) -> Result<DatabaseConnection, DbError> {
        let snapshot = self.state.borrow();
        match &snapshot.conn {
            Some(conn) => Ok(conn.clone()),
            None => Err(DbError::Unavailable {
                reason: snapshot
                    .status
                    .reason()
                    .unwrap_or_else(|| "not connected".to_owned()),
            }),
        }
    }

    /// Begins a transaction on a pooled connection.
    ///
    /// `commit().await` makes it permanent; dropping it without committing (an error
    /// returned early, a panic) rolls it back. On SQLite it is `BEGIN IMMEDIATE`: it
    /// takes the write lock at the start (waiting up to the busy timeout), so two
    /// concurrent transactions queue instead of one failing with "database is locked".
    ///
    /// ```no_run
    /// # async fn f(db: apiarist::db::Database) -> Result<(), apiarist::db::DbError> {
    /// use apiarist::db::sea_orm::ConnectionTrait;
    /// let txn = db.begin().await?;
    /// txn.execute_unprepared("UPDATE note SET title = 'x'").await?;
    /// txn.commit().await?; // without this line, nothing happened
    /// # Ok(()) }
    /// ```
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbError> {
        let conn = self.conn().await?;
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(conn.begin_with_options(options).await?)
    }

    /// Pings the database (through the actor, bounded by the connect timeout) and says
    /// whether it is ready; a failing ping marks it not ready until one succeeds again.
    pub async fn ready(&self) -> Readiness {
        match self.addr.send(Ping).await {
            Ok(readiness) => readiness,
            Err(err) => Readiness {
                ready: false,
                reason: Some(format!("database actor unreachable: {err}")),
                backend: self.backend,
            },
        }
    }

    /// The configured backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    #[cfg(test)]
    pub(crate) fn addr(&self) -> &Addr<DbActor> {
        &self.addr
    }
}

fn unavailable(reason: &str) -> DbError {
    DbError::Unavailable {
        reason: reason.to_owned(),
    }
}
