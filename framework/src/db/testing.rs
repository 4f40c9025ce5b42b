//! Throw-away databases for tests, on every backend the environment offers.
//!
//! ```no_run
//! use apiarist::db::testing::TestDatabase;
//! # use apiarist::db::sea_orm_migration::prelude::*;
//! # struct Migrator;
//! # impl MigratorTrait for Migrator { fn migrations() -> Vec<Box<dyn MigrationTrait>> { vec![] } }
//!
//! #[actix_rt::test]
//! async fn creates_an_item() {
//!     for tdb in TestDatabase::all_from_env() {
//!         let db = tdb.connect::<Migrator>().await;
//!         // ... the same assertions on SQLite and (with DATABASE_URL) PostgreSQL
//!     }
//! }
//! ```

use std::{fmt, time::Duration};

use sea_orm_migration::MigratorTrait;

use super::{Backend, Database, DbSettings, settings::redact_url};

/// A database that exists for one test: a SQLite file in a temporary directory, or a
/// PostgreSQL database named `apiarist_t_<random>`, both removed on drop.
///
/// Its [`settings`](Self::settings) retry briefly (3 attempts), so a broken setup fails
/// fast.
pub struct TestDatabase {
    settings: DbSettings,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Deleting the directory deletes the file and its `-wal`/`-shm` companions.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase")
            .field("url", &self.settings.redacted_url())
            .finish()
    }
}

impl TestDatabase {
    /// A fresh SQLite file in a new temporary directory.
    ///
    /// ```
    /// let tdb = apiarist::db::testing::TestDatabase::sqlite();
    /// assert!(tdb.url().starts_with("sqlite://"));
    /// ```
    pub fn sqlite() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("apiarist-db-")
            .tempdir()
            .expect("creating a temporary directory for a test database");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        Self {
            settings: test_settings(url),
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A fresh database on the PostgreSQL server of the `DATABASE_URL` environment
    /// variable (only the real environment, not `.env`), or `None` when it is unset or
    /// not a `postgres://` URL.
    ///
    /// # Panics
    ///
    /// When `DATABASE_URL` names a server on which the database cannot be created: a
    /// configured but broken service is a failure, not a skip.
    pub fn postgres_from_env() -> Option<Self> {
        let url = std::env::var("DATABASE_URL").ok()?;
        if Backend::from_url(&url) != Some(Backend::Postgres) {
            return None;
        }
        let name = format!("apiarist_t_{}", uuid::Uuid::new_v4().simple());
        if let Err(err) = admin(&url, format!("CREATE DATABASE \"{name}\"")) {
            panic!(
                "DATABASE_URL is set, but creating the test database {name} on {} failed: {err}",
                redact_url(&url)
            );
        }
        Some(Self {
            settings: test_settings(with_database(&url, &name)),
            cleanup: Cleanup::Postgres {
                admin_url: url,
                name,
            },
        })
    }

    /// The backends to run a test on: SQLite always, PostgreSQL when `DATABASE_URL` is
    /// set (otherwise a note on stderr says it was skipped).
    ///
    /// # Panics
    ///
    /// When `CI` is `true` (or `1`) and PostgreSQL is not configured: in CI a missing
    /// service must fail the build, not silently shrink it.
    pub fn all_from_env() -> Vec<Self> {
        let mut all = vec![Self::sqlite()];
        match Self::postgres_from_env() {
            Some(pg) => all.push(pg),
            None if is_ci() => panic!(
                "CI is set but DATABASE_URL is not a postgres:// URL: the PostgreSQL tests \
                 would be skipped. Set DATABASE_URL=postgres://user@host:5432/db."
            ),
            None => eprintln!(
                "note: DATABASE_URL is not set to a postgres:// URL; skipping PostgreSQL, \
                 testing SQLite only"
            ),
        }
        all
    }

    /// Settings pointing at this database (pool of 5, 3 quick connect attempts).
    pub fn settings(&self) -> DbSettings {
        self.settings.clone()
    }

    /// The connection URL (with its password, if any).
    pub fn url(&self) -> &str {
        &self.settings.url
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.settings.backend()
    }

    /// [`Database::connect`] with these settings, panicking on failure.
    pub async fn connect<M: MigratorTrait + 'static>(&self) -> Database {
        Database::connect::<M>(self.settings())
            .await
            .unwrap_or_else(|err| panic!("connecting to {}: {err}", self.settings.redacted_url()))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            // FORCE ends the connections pools of this test may still hold.
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            if let Err(err) = admin(admin_url, sql) {
                eprintln!("warning: could not drop test database {name}: {err}");
            }
        }
    }
}

fn test_settings(url: String) -> DbSettings {
    let mut settings = DbSettings::new(url);
    settings.pool_size = 5;
    settings.connect_attempts = 3;
    settings.backoff_initial = Duration::from_millis(50);
    settings.backoff_max = Duration::from_millis(500);
    settings
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Runs one statement on the server of `url`, on a thread of its own with its own
/// runtime: it works from sync code, from `Drop`, and from inside a single-threaded
/// actix runtime (which must not be blocked waiting for itself).
pub(crate) fn admin(url: &str, sql: String) -> Result<(), String> {
    use sea_orm::sqlx::{AssertSqlSafe, Connection, Executor, postgres::PgConnection};

    let url = url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let mut conn = PgConnection::connect(&url)
                .await
                .map_err(|e| e.to_string())?;
            conn.execute(AssertSqlSafe(sql))
                .await
                .map_err(|e| e.to_string())?;
            let _ = conn.close().await;
            Ok(())
        })
    })
    .join()
    .map_err(|_| "the admin thread panicked".to_owned())?
}

/// `url` with its database (the path) replaced by `name`, query string kept.
pub(crate) fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_swaps_only_the_database() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/test",
                "postgres://postgres@127.0.0.1:5432/t1",
            ),
            (
                "postgres://u:p@h/db?sslmode=disable",
                "postgres://u:p@h/t1?sslmode=disable",
            ),
            ("postgresql://h:5432", "postgresql://h:5432/t1"),
            (
                "postgres://h?application_name=x",
                "postgres://h/t1?application_name=x",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(with_database(url, "t1"), expected);
        }
    }

    #[test]
    fn sqlite_test_databases_are_separate_and_deleted_on_drop() {
        let (a, b) = (TestDatabase::sqlite(), TestDatabase::sqlite());
        assert_ne!(a.url(), b.url());
        assert_eq!(a.backend(), Backend::Sqlite);
        let dir = match &a.cleanup {
            Cleanup::Sqlite(dir) => dir.path().to_owned(),
            Cleanup::Postgres { .. } => unreachable!(),
        };
        std::fs::write(dir.join("test.db"), b"x").unwrap();
        drop(a);
        assert!(!dir.exists());
    }
}
