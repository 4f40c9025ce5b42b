//! The transactional outbox, and the effect ledger that makes handlers run once.
//!
//! A job enqueued inside a database transaction is not published there: it is
//! written to the `apiarist_outbox` table in that same transaction ([`stage`]). A
//! rolled-back transaction therefore never emits its jobs, and a committed one always
//! does: the [`OutboxRelay`] actor publishes staged jobs (with publisher confirms)
//! after the commit and deletes them, retrying while the broker is down.
//!
//! Delivery is at least once, so a handler's effect must be idempotent:
//! [`claim_once`] records an effect key in `apiarist_job_effect` inside the
//! handler's own transaction, and answers `false` when that effect already happened.

use std::{sync::Arc, time::Duration};

use actix::{Actor, AsyncContext, Context, Handler, Message, Supervised};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use sea_orm_migration::{prelude::*, schema::*};

use super::{Broker, Envelope};
use crate::db::{Backend, Database};

/// The framework's tables: add them to a service's migrator to use the outbox and
/// [`claim_once`] (`Migrator::migrations()` returns `... + outbox::migrations()`).
/// They are created `IF NOT EXISTS`, so services sharing a database can all add them.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateOutbox)]
}

struct CreateOutbox;

impl MigrationName for CreateOutbox {
    fn name(&self) -> &str {
        "m20261122_apiarist_000001_outbox"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateOutbox {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("apiarist_outbox")
                    .if_not_exists()
                    .col(big_pk_auto("seq"))
                    .col(string_len("id", 36))
                    .col(string("name"))
                    .col(text("envelope"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("apiarist_job_effect")
                    .if_not_exists()
                    .col(string("key").primary_key())
                    .col(timestamp_with_time_zone("claimed_at"))
                    .to_owned(),
            )
            .await
    }
}

fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// Writes `envelope` to the outbox through `conn` (a transaction, normally): it is
/// published after that transaction commits, and never if it rolls back.
pub async fn stage(conn: &impl ConnectionTrait, envelope: &Envelope) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let sql = format!(
        "INSERT INTO apiarist_outbox (id, name, envelope, created_at) VALUES ({}, {}, {}, {})",
        placeholder(backend, 1),
        placeholder(backend, 2),
        placeholder(backend, 3),
        placeholder(backend, 4),
    );
    let body = serde_json::to_string(envelope).map_err(|e| DbErr::Custom(e.to_string()))?;
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [
            envelope.id.to_string().into(),
            envelope.name.clone().into(),
            body.into(),
            Utc::now().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Records that the effect `key` happened, in the caller's transaction: `true` the
/// first time, `false` if it was claimed before (a redelivered job: skip the effect).
///
/// ```no_run
/// # async fn handle(db: &apiarist::db::Database, key: &str) -> Result<(), sea_orm::DbErr> {
/// use sea_orm::TransactionTrait;
///
/// let tx = db.conn().await.unwrap().begin().await?;
/// if apiarist::jobs::outbox::claim_once(&tx, key).await? {
///     // ... the effect, in the same transaction ...
/// }
/// tx.commit().await
/// # }
/// ```
pub async fn claim_once(conn: &impl ConnectionTrait, key: &str) -> Result<bool, DbErr> {
    let backend = conn.get_database_backend();
    let sql = format!(
        "INSERT INTO apiarist_job_effect (key, claimed_at) VALUES ({}, {}) ON CONFLICT (key) DO NOTHING",
        placeholder(backend, 1),
        placeholder(backend, 2),
    );
    let result = conn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [key.into(), Utc::now().into()],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Jobs staged and not yet published (for tests and operators).
pub async fn pending(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM apiarist_outbox",
        ))
        .await?;
    let count = row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(<u64 as TryFrom<i64>>::try_from(count).unwrap_or(0))
}

/// Publishes staged jobs: a supervised actor per service database.
///
/// It relays on a timer (every `interval`) and whenever nudged ([`Outbox::nudge`],
/// sent after a commit). Each pass takes the oldest staged jobs (on PostgreSQL with
/// `FOR UPDATE SKIP LOCKED`, so several relays on one database never take the same
/// row), publishes each with confirms and deletes it. If the broker is down the rows
/// stay and the next pass tries again.
#[derive(Debug)]
pub struct OutboxRelay {
    db: Database,
    broker: Arc<dyn Broker>,
    interval: Duration,
    busy: bool,
}

/// The handle to a running [`OutboxRelay`].
#[derive(Debug, Clone)]
pub struct Outbox {
    addr: actix::Addr<OutboxRelay>,
}

impl Outbox {
    /// Starts the relay for `db`'s outbox, publishing to `broker`, polling every
    /// `interval`. Call inside the actix system.
    pub fn start(db: Database, broker: Arc<dyn Broker>, interval: Duration) -> Self {
        let addr = actix::Supervisor::start(move |_| OutboxRelay {
            db,
            broker,
            interval,
            busy: false,
        });
        Outbox { addr }
    }

    /// Asks for a relay pass now (after a commit that staged jobs).
    pub fn nudge(&self) {
        self.addr.do_send(Relay);
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct Relay;

#[derive(Message)]
#[rtype(result = "()")]
struct PassDone;

impl Actor for OutboxRelay {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.busy = false;
        ctx.run_interval(self.interval, |_, ctx| ctx.notify(Relay));
        ctx.notify(Relay);
    }
}

impl Supervised for OutboxRelay {
    fn restarting(&mut self, _: &mut Context<Self>) {
        tracing::warn!("outbox relay restarting");
    }
}

impl Handler<Relay> for OutboxRelay {
    type Result = ();

    fn handle(&mut self, _: Relay, ctx: &mut Context<Self>) {
        if self.busy {
            return;
        }
        self.busy = true;
        let (db, broker) = (self.db.clone(), self.broker.clone());
        let me = ctx.address();
        actix::spawn(async move {
            let outcome = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
                relay_pass(db, broker),
            ))
            .await;
            match outcome {
                Ok(Ok(0)) => {}
                Ok(Ok(published)) => tracing::debug!(published, "outbox relayed"),
                Ok(Err(error)) => tracing::warn!(%error, "outbox relay pass failed; will retry"),
                Err(_) => tracing::error!("outbox relay pass panicked; will retry"),
            }
            me.do_send(PassDone);
        });
    }
}

impl Handler<PassDone> for OutboxRelay {
    type Result = ();

    fn handle(&mut self, _: PassDone, _: &mut Context<Self>) {
        self.busy = false;
    }
}

/// One pass: publish up to a batch of the oldest staged jobs, deleting each after
/// the broker confirmed it. Returns how many went out.
async fn relay_pass(db: Database, broker: Arc<dyn Broker>) -> Result<usize, String> {
    // `Database::begin` takes SQLite's write lock up front, so the deletes below
    // cannot fail on a lock upgrade.
    let tx = match db.begin().await {
        Ok(tx) => tx,
        // Still connecting (or reconnecting): readiness reports that; try next tick.
        Err(crate::db::DbError::Unavailable { .. }) => return Ok(0),
        Err(error) => return Err(error.to_string()),
    };
    let backend = tx.get_database_backend();
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let rows = tx
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT seq, envelope FROM apiarist_outbox ORDER BY seq LIMIT 100{lock}"),
        ))
        .await
        .map_err(|e| e.to_string())?;
    let mut published = 0;
    let mut failure = None;
    for row in rows {
        let seq: i64 = row.try_get("", "seq").map_err(|e| e.to_string())?;
        let body: String = row.try_get("", "envelope").map_err(|e| e.to_string())?;
        let sent = match serde_json::from_str::<Envelope>(&body) {
            // Publishing declares the job's queue where the broker needs it.
            Ok(envelope) => broker.publish(envelope).await.map_err(|e| e.to_string()),
            // A row that is not an envelope can never be published: drop it loudly.
            Err(error) => {
                tracing::error!(%error, seq, "dropping an unreadable outbox row");
                Ok(())
            }
        };
        if let Err(error) = sent {
            failure = Some(error);
            break;
        }
        let delete = format!(
            "DELETE FROM apiarist_outbox WHERE seq = {}",
            placeholder(backend, 1)
        );
        tx.execute_raw(Statement::from_sql_and_values(
            backend,
            delete,
            [seq.into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
        published += 1;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    match failure {
        Some(error) => Err(error),
        None => Ok(published),
    }
}
