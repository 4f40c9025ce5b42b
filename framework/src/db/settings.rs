//! [`DbSettings`]: where the database is and how hard to try reaching it.

use std::{fmt, time::Duration};

use serde::Deserialize;

use super::{Backend, DbError};

/// Database settings, read from the environment by [`DbSettings::from_env`].
///
/// | variable | field | default |
/// | --- | --- | --- |
/// | `DATABASE_URL` | [`url`](Self::url) | `sqlite://<default file>?mode=rwc` |
/// | `DATABASE_POOL_SIZE` | [`pool_size`](Self::pool_size) | 10 |
/// | `DATABASE_CONNECT_TIMEOUT_MS` | [`connect_timeout`](Self::connect_timeout) | 5000 |
/// | `DATABASE_CONNECT_ATTEMPTS` | [`connect_attempts`](Self::connect_attempts) | 10 |
/// | `DATABASE_BACKOFF_INITIAL_MS` | [`backoff_initial`](Self::backoff_initial) | 250 |
/// | `DATABASE_BACKOFF_MAX_MS` | [`backoff_max`](Self::backoff_max) | 10000 |
/// | `DATABASE_SQLITE_BUSY_TIMEOUT_MS` | [`sqlite_busy_timeout`](Self::sqlite_busy_timeout) | 5000 |
/// | `DATABASE_PING_AFTER_IDLE_MS` | [`ping_after_idle`](Self::ping_after_idle) | 10000 |
///
/// ```
/// use std::time::Duration;
/// use apiarist::db::{Backend, DbSettings};
///
/// let mut settings = DbSettings::new("postgres://app@db.internal/app");
/// settings.connect_attempts = 3;
/// settings.backoff_initial = Duration::from_millis(100);
/// assert_eq!(settings.backend(), Backend::Postgres);
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DbSettings {
    /// Connection URL: `sqlite://path/to/file.db?mode=rwc`, `sqlite::memory:` or
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// Maximum number of pooled connections.
    pub pool_size: u32,
    /// How long one connection attempt (and one ping) may take.
    pub connect_timeout: Duration,
    /// Attempts before [`Database::connect`](super::Database::connect) gives up. The actor
    /// keeps retrying every [`backoff_max`](Self::backoff_max) afterwards, as long as a
    /// handle to it exists, so a service started while its database was down recovers.
    pub connect_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further failure.
    pub backoff_initial: Duration,
    /// Cap on the wait between attempts.
    pub backoff_max: Duration,
    /// SQLite only: how long a writer waits for the lock before "database is locked".
    pub sqlite_busy_timeout: Duration,
    /// A pooled connection idle at least this long is pinged before it is handed
    /// out, so one the server or a firewall dropped meanwhile is replaced instead of
    /// failing the request; connections in steady use skip the ping and its round
    /// trip. Zero pings on every checkout.
    pub ping_after_idle: Duration,
}

/// Like the derived `Debug`, with the URL's password replaced by `***`.
impl fmt::Debug for DbSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbSettings")
            .field("url", &self.redacted_url())
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .field("connect_attempts", &self.connect_attempts)
            .field("backoff_initial", &self.backoff_initial)
            .field("backoff_max", &self.backoff_max)
            .field("sqlite_busy_timeout", &self.sqlite_busy_timeout)
            .field("ping_after_idle", &self.ping_after_idle)
            .finish()
    }
}

/// The variables as read by `settings::from_env`; field names are the variable names.
#[derive(Debug, Default, Deserialize)]
struct DbEnv {
    database_url: Option<String>,
    database_pool_size: Option<u32>,
    database_connect_timeout_ms: Option<u64>,
    database_connect_attempts: Option<u32>,
    database_backoff_initial_ms: Option<u64>,
    database_backoff_max_ms: Option<u64>,
    database_sqlite_busy_timeout_ms: Option<u64>,
    database_ping_after_idle_ms: Option<u64>,
}

impl DbSettings {
    /// Settings for `url` with the default pool, timeout and retry values.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_size: 10,
            connect_timeout: Duration::from_secs(5),
            connect_attempts: 10,
            backoff_initial: Duration::from_millis(250),
            backoff_max: Duration::from_secs(10),
            sqlite_busy_timeout: Duration::from_secs(5),
            ping_after_idle: Duration::from_secs(10),
        }
    }

    /// Reads the variables in the table above (real environment first, then `./.env`).
    ///
    /// Without `DATABASE_URL` (or with it empty) the database is the SQLite file
    /// `default_sqlite_file` (relative to the working directory), created on first run.
    /// Errors name the offending variable.
    ///
    /// ```
    /// # if std::env::var_os("DATABASE_URL").is_none() {
    /// let settings = apiarist::db::DbSettings::from_env("items.db").unwrap();
    /// assert_eq!(settings.url, "sqlite://items.db?mode=rwc");
    /// # }
    /// ```
    pub fn from_env(default_sqlite_file: &str) -> Result<Self, DbError> {
        let env: DbEnv = crate::settings::from_env()?;
        Self::from_vars(env, default_sqlite_file)
    }

    fn from_vars(env: DbEnv, default_sqlite_file: &str) -> Result<Self, DbError> {
        let url = match env.database_url.map(|u| u.trim().to_owned()) {
            Some(url) if !url.is_empty() => url,
            _ => format!("sqlite://{default_sqlite_file}?mode=rwc"),
        };
        if Backend::from_url(&url).is_none() {
            return Err(invalid(
                "DATABASE_URL",
                &format!(
                    "unsupported database {:?}; expected sqlite:// or postgres://",
                    redact_url(&url)
                ),
            ));
        }
        let mut s = Self::new(url);
        let ms = Duration::from_millis;
        if let Some(v) = env.database_pool_size {
            s.pool_size = at_least_one("DATABASE_POOL_SIZE", v)?;
        }
        if let Some(v) = env.database_connect_timeout_ms {
            s.connect_timeout = ms(at_least_one("DATABASE_CONNECT_TIMEOUT_MS", v)?);
        }
        if let Some(v) = env.database_connect_attempts {
            s.connect_attempts = at_least_one("DATABASE_CONNECT_ATTEMPTS", v)?;
        }
        if let Some(v) = env.database_backoff_initial_ms {
            s.backoff_initial = ms(v);
        }
        if let Some(v) = env.database_backoff_max_ms {
            s.backoff_max = ms(v);
        }
        if s.backoff_max < s.backoff_initial {
            return Err(invalid(
                "DATABASE_BACKOFF_MAX_MS",
                "must not be smaller than DATABASE_BACKOFF_INITIAL_MS",
            ));
        }
        if let Some(v) = env.database_sqlite_busy_timeout_ms {
            s.sqlite_busy_timeout = ms(v);
        }
        if let Some(v) = env.database_ping_after_idle_ms {
            s.ping_after_idle = ms(v);
        }
        Ok(s)
    }

    /// The backend [`url`](Self::url) names.
    ///
    /// # Panics
    ///
    /// If the URL is neither `sqlite:` nor `postgres://` ([`from_env`](Self::from_env)
    /// rejects such URLs; [`Database::start`](super::Database::start) reports them as
    /// unavailable rather than calling this).
    pub fn backend(&self) -> Backend {
        Backend::from_url(&self.url)
            .unwrap_or_else(|| panic!("unsupported database URL {}", redact_url(&self.url)))
    }

    /// The URL with any password replaced by `***`, for logs and error messages.
    ///
    /// ```
    /// let s = apiarist::db::DbSettings::new("postgres://app:s3cret@db:5432/app");
    /// assert_eq!(s.redacted_url(), "postgres://app:***@db:5432/app");
    /// ```
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }

    /// Whether this is an in-memory SQLite database (one connection, never closed, or
    /// the data would vanish).
    pub(crate) fn is_sqlite_memory(&self) -> bool {
        self.url.starts_with("sqlite:")
            && (self.url.contains(":memory:") || self.url.contains("mode=memory"))
    }

    /// The wait before attempt `attempt + 1`, after `attempt` (1-based) failures.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.backoff_initial
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

fn invalid(var: &str, what: &str) -> DbError {
    DbError::Config {
        message: format!("environment variable {var} is invalid: {what}"),
    }
}

fn at_least_one<T: PartialOrd + From<u8>>(var: &str, value: T) -> Result<T, DbError> {
    if value < T::from(1) {
        Err(invalid(var, "must be at least 1"))
    } else {
        Ok(value)
    }
}

/// Replaces the password of `scheme://user:password@host` with `***`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &url[scheme_end + at..]
        ),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(f: impl FnOnce(&mut DbEnv)) -> DbEnv {
        let mut env = DbEnv::default();
        f(&mut env);
        env
    }

    #[test]
    fn unset_or_empty_url_defaults_to_a_sqlite_file() {
        let s = DbSettings::from_vars(DbEnv::default(), "svc.db").unwrap();
        assert_eq!(s.url, "sqlite://svc.db?mode=rwc");
        assert_eq!(s.backend(), Backend::Sqlite);
        assert_eq!((s.pool_size, s.connect_attempts), (10, 10));
        let empty = vars(|e| e.database_url = Some("  ".into()));
        let s = DbSettings::from_vars(empty, "svc.db").unwrap();
        assert_eq!(s.url, "sqlite://svc.db?mode=rwc");
    }

    #[test]
    fn values_are_read_and_bad_ones_name_their_variable() {
        let env = vars(|e| {
            e.database_url = Some("postgres://u:pw@h/db".into());
            e.database_pool_size = Some(3);
            e.database_connect_timeout_ms = Some(700);
            e.database_backoff_initial_ms = Some(5);
            e.database_backoff_max_ms = Some(40);
        });
        let s = DbSettings::from_vars(env, "x.db").unwrap();
        assert_eq!(s.backend(), Backend::Postgres);
        assert_eq!(s.pool_size, 3);
        assert_eq!(s.connect_timeout, Duration::from_millis(700));

        type Set = fn(&mut DbEnv);
        let cases: [(&str, Set); 4] = [
            ("DATABASE_POOL_SIZE", |e| e.database_pool_size = Some(0)),
            ("DATABASE_CONNECT_ATTEMPTS", |e| {
                e.database_connect_attempts = Some(0)
            }),
            ("DATABASE_BACKOFF_MAX_MS", |e| {
                e.database_backoff_initial_ms = Some(500);
                e.database_backoff_max_ms = Some(100);
            }),
            ("DATABASE_URL", |e| {
                e.database_url = Some("mysql://root:hunter2@h/db".into())
            }),
        ];
        for (var, set) in cases {
            let err = DbSettings::from_vars(vars(set), "x.db").unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.contains(&format!("environment variable {var}")),
                "{msg}"
            );
            assert!(!msg.contains("hunter2"), "password leaked: {msg}");
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let mut s = DbSettings::new("sqlite::memory:");
        s.backoff_initial = Duration::from_millis(100);
        s.backoff_max = Duration::from_millis(500);
        let waits: Vec<u128> = (1..=6).map(|a| s.backoff(a).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500, 500]);
        assert_eq!(s.backoff(u32::MAX), Duration::from_millis(500));
        assert!(s.is_sqlite_memory());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:p@ss@h:5432/db?x=1"),
            "postgres://u:***@h:5432/db?x=1"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("sqlite://a.db?mode=rwc"),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
        let debug = format!("{:?}", DbSettings::new("postgres://u:secret@h/db"));
        assert!(
            debug.contains("u:***@h") && !debug.contains("secret"),
            "{debug}"
        );
    }
}
