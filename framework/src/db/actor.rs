//! [`DbActor`]: connects, migrates, answers readiness pings, survives its own panics.
//!
//! The actor publishes what request code needs (the pool and a status) through a
//! `tokio::sync::watch` channel. Handles read it directly, so the hot path (`conn()`,
//! `begin()`) never waits for the mailbox; only readiness pings go through the actor,
//! which serialises the state changes they cause.
//!
//! Panics: actix's `Supervisor` restarts an actor that *stops*, but a panic would unwind
//! through the actor's task and kill it (the address would go dead). So the actor's work
//! (the connect loop, pings) runs in futures wrapped by `DbActor::supervised`, under
//! `catch_unwind`; a caught panic is logged and turned into `ctx.stop()`, which the
//! supervisor answers with `restarting` + `started`: the actor drops its pool,
//! reconnects and re-runs the (idempotent) migrations. Keep new handlers' work inside
//! `supervised` futures so this stays true.

use std::{any::Any, fmt, future::Future, panic::AssertUnwindSafe};

use actix::{
    Actor, ActorContext, ActorFuture, ActorFutureExt, AsyncContext, Context, Handler, Message,
    ResponseActFuture, Supervised, WrapFuture, fut,
};
use futures_util::{FutureExt, future::LocalBoxFuture};
use sea_orm::{ConnectOptions, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;
use tokio::sync::watch;

use super::{Backend, DbSettings, Readiness};

/// Runs a service's migrations; `M::up` behind a plain function pointer, so neither
/// the actor nor the [`Database`](super::Database) handle is generic.
type MigrateFn = fn(DatabaseConnection, &DbSettings) -> LocalBoxFuture<'static, Result<(), DbErr>>;

fn migrate_with<M: MigratorTrait + 'static>(
    conn: DatabaseConnection,
    settings: &DbSettings,
) -> LocalBoxFuture<'static, Result<(), DbErr>> {
    let lock_url = (settings.backend() == Backend::Postgres).then(|| settings.url.clone());
    Box::pin(async move {
        // Replicas of a service starting together would otherwise run the same
        // migrations at the same moment, and two `CREATE TABLE`s can collide. On
        // PostgreSQL the first takes a lock named after the service's migration
        // table, the others wait for it, then find nothing left to do. The lock
        // lives on a connection of its own, so the pool stays free for the
        // migrations (even a pool of one).
        let lock = match lock_url {
            Some(url) => Some(lock_migrations(&url, &M::migration_table_name().to_string()).await?),
            None => None,
        };
        let result = M::up(&conn, None).await;
        if let Some(lock) = lock {
            // Closing the session releases its advisory lock.
            let _ = lock.close().await;
        }
        result
    })
}

/// A connection holding PostgreSQL's session advisory lock for `table`'s migrations.
async fn lock_migrations(url: &str, table: &str) -> Result<DatabaseConnection, DbErr> {
    use sea_orm::{ConnectionTrait, Statement};

    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    let conn = sea_orm::Database::connect(options).await?;
    // A stable 64-bit key from the name (FNV-1a): the same in every process.
    let key = table.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    }) as i64;
    conn.execute_raw(Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT pg_advisory_lock($1)",
        [key.into()],
    ))
    .await?;
    Ok(conn)
}

/// What handles see, published by the actor.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// The pool, once connected and migrated (kept while merely `Degraded`).
    pub(crate) conn: Option<DatabaseConnection>,
    pub(crate) status: Status,
    /// Incremented each time the supervisor restarts the actor.
    pub(crate) generation: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
    /// Connecting or migrating; the reason says which, with the last error.
    Starting { reason: String },
    /// Connected, migrated, last ping (if any) fine.
    Ready,
    /// The last ping failed. The pool is kept: it reconnects by itself, and the next
    /// successful ping makes the database ready again.
    Degraded { reason: String },
    /// `connect_attempts` failed (the actor keeps retrying in the background) or the
    /// migrations failed (no retry: fix and redeploy).
    Failed { reason: String },
}

impl Status {
    pub(crate) fn reason(&self) -> Option<String> {
        match self {
            Self::Ready => None,
            Self::Starting { reason } | Self::Degraded { reason } | Self::Failed { reason } => {
                Some(reason.clone())
            }
        }
    }
}

/// The actor owning the database connection; see the [module docs](super).
///
/// Started by [`Database::start`](super::Database::start) under
/// [`actix::Supervisor`]; talk to it through the [`Database`](super::Database) handle.
pub struct DbActor {
    settings: DbSettings,
    backend: Backend,
    migrate: MigrateFn,
    state: watch::Sender<Snapshot>,
}

impl fmt::Debug for DbActor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbActor")
            .field("url", &self.settings.redacted_url())
            .field("status", &self.state.borrow().status)
            .finish_non_exhaustive()
    }
}

impl DbActor {
    /// A not-yet-started actor that will run `M`'s migrations, and the channel its
    /// handles read. Panics on an unsupported URL (see [`DbSettings::backend`]).
    pub(crate) fn new<M: MigratorTrait + 'static>(
        settings: DbSettings,
    ) -> (Self, watch::Receiver<Snapshot>) {
        let backend = settings.backend();
        let (state, rx) = watch::channel(Snapshot {
            conn: None,
            status: Status::Starting {
                reason: format!("connecting to {backend}"),
            },
            generation: 0,
        });
        let actor = Self {
            settings,
            backend,
            migrate: migrate_with::<M>,
            state,
        };
        (actor, rx)
    }

    /// Runs `fut` on the actor; a panic in it is logged and stops the actor, which the
    /// supervisor restarts. `None` means it panicked.
    fn supervised<F: Future + 'static>(
        &self,
        fut: F,
    ) -> impl ActorFuture<Self, Output = Option<F::Output>> + use<F> {
        AssertUnwindSafe(fut).catch_unwind().into_actor(self).map(
            |result, _act, ctx| match result {
                Ok(value) => Some(value),
                Err(panic) => {
                    Self::panicked(ctx, &panic);
                    None
                }
            },
        )
    }

    fn panicked(ctx: &mut Context<Self>, panic: &Box<dyn Any + Send>) {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_owned());
        tracing::error!(panic = %message, "database actor panicked; the supervisor restarts it");
        ctx.stop();
    }

    /// Applies a ping result, unless the actor restarted meanwhile or is not connected.
    fn record_ping(&mut self, generation: u64, result: &Result<(), String>) {
        self.state.send_if_modified(|s| {
            if s.generation != generation {
                return false;
            }
            let next = match (&s.status, result) {
                (Status::Ready | Status::Degraded { .. }, Ok(())) => Status::Ready,
                (Status::Ready | Status::Degraded { .. }, Err(reason)) => Status::Degraded {
                    reason: reason.clone(),
                },
                _ => return false,
            };
            if next == s.status {
                return false;
            }
            match &next {
                Status::Ready => tracing::info!("database answers pings again; ready"),
                _ => tracing::warn!(reason = ?next.reason(), "database ping failed; not ready"),
            }
            s.status = next;
            true
        });
    }
}

impl Actor for DbActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let task = connect_and_migrate(self.settings.clone(), self.migrate, self.state.clone());
        ctx.spawn(self.supervised(task).map(|_, _, _| ()));
    }
}

impl Supervised for DbActor {
    fn restarting(&mut self, _ctx: &mut Self::Context) {
        tracing::warn!(backend = %self.backend, "database actor restarting; reconnecting");
        // Dropping our clone of the pool closes it once in-flight requests let go.
        self.state.send_modify(|s| {
            s.conn = None;
            s.generation += 1;
            s.status = Status::Starting {
                reason: "database actor restarting; reconnecting".to_owned(),
            };
        });
    }
}

/// Asks the actor to ping the database; answers with the resulting readiness.
#[derive(Debug)]
pub(crate) struct Ping;

impl Message for Ping {
    type Result = Readiness;
}

impl Handler<Ping> for DbActor {
    type Result = ResponseActFuture<Self, Readiness>;

    fn handle(&mut self, _: Ping, _ctx: &mut Context<Self>) -> Self::Result {
        let backend = self.backend;
        let not_ready = move |reason: Option<String>| Readiness {
            ready: false,
            reason,
            backend,
        };
        let snapshot = self.state.borrow().clone();
        let Some(conn) = snapshot.conn else {
            return Box::pin(fut::ready(not_ready(snapshot.status.reason())));
        };
        let timeout = self.settings.connect_timeout;
        let pool_size = self.settings.pool_size;
        let ping = async move {
            let once = || async {
                match tokio::time::timeout(timeout, conn.ping()).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(err)) => Err(format!("ping failed: {err}")),
                    Err(_) => Err(format!("ping timed out after {timeout:?}")),
                }
            };
            // Pooled connections in steady use are handed out unchecked (see
            // `DbSettings::ping_after_idle`): one the server dropped fails once and
            // leaves the pool. Only a failure on a fresh connection (after every
            // pooled one had its chance) says the database itself is unreachable,
            // and why.
            let mut result = once().await;
            for _ in 0..pool_size {
                match &result {
                    // A server that does not answer in time will not on the next try.
                    Err(reason) if !reason.starts_with("ping timed out") => result = once().await,
                    _ => break,
                }
            }
            result
        };
        Box::pin(self.supervised(ping).map(move |result, act, _ctx| {
            let Some(result) = result else {
                return not_ready(Some("database actor restarting".into()));
            };
            act.record_ping(snapshot.generation, &result);
            Readiness {
                ready: result.is_ok(),
                reason: result.err(),
                backend,
            }
        }))
    }
}

/// Test-only: makes a future the actor runs panic, as a bug would.
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct Crash;

#[cfg(test)]
impl Message for Crash {
    type Result = ();
}

#[cfg(test)]
impl Handler<Crash> for DbActor {
    type Result = ();

    fn handle(&mut self, _: Crash, ctx: &mut Context<Self>) {
        let boom = async { panic!("test-only crash of the database actor") };
        ctx.spawn(self.supervised(boom).map(|_: Option<()>, _, _| ()));
    }
}

/// Connects (retrying with capped exponential backoff), then migrates, publishing each
/// step. After `connect_attempts` failures the status becomes `Failed` (so
/// `Database::connect` returns) and the loop keeps trying every `backoff_max` while
/// anyone still holds a handle.
async fn connect_and_migrate(
    settings: DbSettings,
    migrate: MigrateFn,
    state: watch::Sender<Snapshot>,
) {
    let backend = settings.backend();
    let url = settings.redacted_url();
    let max = settings.connect_attempts;
    let set = |conn: Option<DatabaseConnection>, status: Status| {
        state.send_modify(|s| {
            s.conn = conn;
            s.status = status;
        });
    };
    let mut attempt = 0u32;
    let conn = loop {
        attempt = attempt.saturating_add(1);
        let error = match connect_once(&settings).await {
            Ok(conn) => break conn,
            Err(error) => error,
        };
        let wait = settings.backoff(attempt);
        tracing::warn!(
            %backend, %url, attempt, max_attempts = max, retry_in_ms = wait.as_millis() as u64,
            %error, "database connection attempt failed"
        );
        let status = if attempt >= max {
            let reason = format!(
                "could not connect to {backend} at {url} after {attempt} attempts \
                 (still retrying every {:?}): {error}",
                settings.backoff_max
            );
            Status::Failed { reason }
        } else {
            let reason =
                format!("connecting to {backend}: attempt {attempt} of {max} failed: {error}");
            Status::Starting { reason }
        };
        set(None, status);
        if attempt >= max && state.receiver_count() == 0 {
            tracing::info!(%backend, %url, "no database handle left; giving up");
            return;
        }
        tokio::time::sleep(wait).await;
    };
    let reason = format!("connected to {backend}; running migrations");
    set(None, Status::Starting { reason });
    match migrate(conn.clone(), &settings).await {
        Ok(()) => {
            tracing::info!(%backend, %url, attempt, "database connected and migrated");
            set(Some(conn), Status::Ready);
        }
        Err(err) => {
            tracing::error!(%backend, %url, error = %err, "database migrations failed");
            let reason = format!("migrations failed: {err}");
            set(None, Status::Failed { reason });
        }
    }
}

/// One connection attempt: the pool, configured per backend.
async fn connect_once(settings: &DbSettings) -> Result<DatabaseConnection, String> {
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .max_connections(settings.pool_size)
        .connect_timeout(settings.connect_timeout)
        .acquire_timeout(settings.connect_timeout);
    if !settings.ping_after_idle.is_zero() {
        options.test_before_acquire_if_idle_for(settings.ping_after_idle);
    }
    match settings.backend() {
        Backend::Sqlite => configure_sqlite(settings, &mut options),
        Backend::Postgres => probe_postgres(settings).await?,
    }
    sea_orm::Database::connect(options)
        .await
        .map_err(|e| e.to_string())
}

/// WAL lets readers work while one connection writes; the busy timeout makes a second
/// writer wait for the lock instead of failing with "database is locked" (and
/// [`Database::begin`](super::Database::begin) takes the write lock up front, so a
/// transaction never has to upgrade a read lock, which SQLite cannot wait for).
fn configure_sqlite(settings: &DbSettings, options: &mut ConnectOptions) {
    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};

    let busy_timeout = settings.sqlite_busy_timeout;
    let memory = settings.is_sqlite_memory();
    // A plain `sqlite://file.db` (no `mode=`) is created on first run, like the default.
    let create = !settings.url.contains("mode=");
    options.map_sqlx_sqlite_opts(move |o| {
        let o = o.foreign_keys(true).busy_timeout(busy_timeout);
        let o = if memory {
            o
        } else {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
        };
        if create { o.create_if_missing(true) } else { o }
    });
    if memory {
        // Each connection to `:memory:` would be its own database, and closing the
        // last one loses the data: one connection, kept forever.
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
}

/// The pool hides *why* it could not connect (a refused connection is retried until
/// the timeout, then reported as "pool timed out"); one plain connection first gives
/// the real reason for logs and readiness, and fails fast.
async fn probe_postgres(settings: &DbSettings) -> Result<(), String> {
    use sea_orm::sqlx::{Connection, postgres::PgConnection};

    let timeout = settings.connect_timeout;
    match tokio::time::timeout(timeout, PgConnection::connect(&settings.url)).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("timed out after {timeout:?}")),
    }
}
