//! The database layer: one supervised actor per service owns the sea-orm connection pool.
//!
//! - [`DbSettings`] reads `DATABASE_URL` (and pool/retry settings) from the environment;
//!   unset means a SQLite file next to the process, created on first run.
//! - [`DbActor`] is an actix actor started under [`actix::Supervisor`]. It connects with
//!   retries and capped exponential backoff, runs the service's migrations
//!   (any [`MigratorTrait`](sea_orm_migration::MigratorTrait)), tracks readiness and, if
//!   it panics, is restarted by the supervisor and reconnects.
//! - [`Database`] is the cheap-to-clone handle request code holds: [`Database::conn`]
//!   and [`Database::begin`] read the shared connection without a mailbox round-trip;
//!   [`Database::ready`] asks the actor to ping the database.
//! - [`testing::TestDatabase`] gives tests a throw-away SQLite file or a fresh
//!   PostgreSQL database per test.
//!
//! ```no_run
//! use apiarist::db::{Database, DbSettings};
//! use sea_orm_migration::prelude::*;
//!
//! struct Migrator;
//! impl MigratorTrait for Migrator {
//!     fn migrations() -> Vec<Box<dyn MigrationTrait>> { vec![] }
//! }
//!
//! # #[actix_rt::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = DbSettings::from_env("items.db")?; // DATABASE_URL, or sqlite://items.db
//! let db = Database::connect::<Migrator>(settings).await?;
//! let txn = db.begin().await?;
//! // ... queries on &txn ...
//! txn.commit().await?;
//! # Ok(()) }
//! ```

mod actor;
mod handle;
mod request;
mod settings;
pub mod testing;

#[cfg(test)]
mod tests;

use std::fmt;

pub use actor::DbActor;
pub use handle::Database;
pub use request::{Db, Tx};
pub use sea_orm;
pub use sea_orm_migration;
use serde::Serialize;
pub use settings::DbSettings;

/// Which database engine a [`DbSettings::url`] points at.
///
/// ```
/// use apiarist::db::Backend;
/// assert_eq!(Backend::from_url("sqlite://app.db?mode=rwc"), Some(Backend::Sqlite));
/// assert_eq!(Backend::from_url("postgres://u@host/db").map(|b| b.as_str()), Some("postgres"));
/// assert_eq!(Backend::from_url("mysql://u@host/db"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// SQLite (a file, or `sqlite::memory:`).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The backend a connection URL names by its scheme, if it is one we support.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer of [`Database::ready`]: connected, migrated and answering a ping.
///
/// Serialises as `{"ready": false, "reason": "...", "backend": "postgres"}`.
///
/// ```
/// use apiarist::db::{Backend, Readiness};
/// let r = Readiness { ready: true, reason: None, backend: Backend::Sqlite };
/// assert_eq!(
///     serde_json::to_value(&r).unwrap(),
///     serde_json::json!({"ready": true, "reason": null, "backend": "sqlite"}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    /// True when connected, migrated, and the last ping succeeded.
    pub ready: bool,
    /// Why the database is not ready (`None` when it is).
    pub reason: Option<String>,
    /// The configured backend.
    pub backend: Backend,
}

/// What can go wrong in the database layer.
///
/// `From<DbErr>` lets `?` turn query errors into [`DbError::Query`].
///
/// ```
/// use apiarist::db::DbError;
/// let e = DbError::Unavailable { reason: "connecting (attempt 2 of 10)".into() };
/// assert_eq!(e.to_string(), "database unavailable: connecting (attempt 2 of 10)");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum DbError {
    /// The settings are invalid; the message names the environment variable.
    Config {
        /// What is wrong, naming the variable.
        message: String,
    },
    /// There is no usable connection: still connecting, gave up after the configured
    /// attempts, migrations failed, or the actor stopped. A request should get a 503.
    Unavailable {
        /// Why, for logs and readiness probes.
        reason: String,
    },
    /// A database operation failed.
    Query(sea_orm::DbErr),
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config { message } => write!(f, "database configuration error: {message}"),
            Self::Unavailable { reason } => write!(f, "database unavailable: {reason}"),
            Self::Query(err) => write!(f, "database error: {err}"),
        }
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Query(err) => Some(err),
            _ => None,
        }
    }
}

impl From<sea_orm::DbErr> for DbError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Query(err)
    }
}

impl From<crate::settings::SettingsError> for DbError {
    fn from(err: crate::settings::SettingsError) -> Self {
        Self::Config {
            message: err.to_string(),
        }
    }
}
