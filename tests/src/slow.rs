//! The crash test's job: slow, with an effect that must happen once, and a trail of
//! progress markers (each committed on its own) that tells the test where a worker
//! process is, and how many times the job was delivered.
//!
//! A worker handling [`SlowEffect { key }`](SlowEffect):
//!
//! 1. marks `started` (one per delivery);
//! 2. begins a transaction, [`claim_once`]s `key`, and inserts an `e2e_effect` row
//!    (tagged with its pid) only if the claim is new;
//! 3. with [`Pause::BeforeCommit`], marks `pausing` and sleeps (the test kills it
//!    there: the transaction never commits);
//! 4. commits, and marks `applied` (it made the effect) or `skipped` (a delivery
//!    before it had);
//! 5. with [`Pause::AfterCommit`], marks `pausing` and sleeps (killed there, the
//!    effect is committed but the job is not acknowledged);
//! 6. marks `done`; the worker then acknowledges the job.
//!
//! [`claim_once`]: apiarist::jobs::outbox::claim_once

use std::time::Duration;

use actix::{Actor, Context, Handler, ResponseFuture};
use apiarist::{
    db::Database,
    jobs::{Job, JobError, outbox},
};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, DbErr, sea_query::Query};
use sea_orm_migration::{prelude::*, schema::*};
use serde::{Deserialize, Serialize};

/// A job whose effect is an `e2e_effect` row for `key`, made at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SlowEffect {
    /// The effect's key (claimed in the effect ledger).
    pub key: String,
}

impl actix::Message for SlowEffect {
    type Result = Result<(), JobError>;
}

impl Job for SlowEffect {
    const NAME: &'static str = "e2e.slow_effect";
}

/// Where the handler sleeps (so that the test can kill its process there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// Inside the transaction, after the effect, before the commit.
    BeforeCommit,
    /// After the commit, before the job is acknowledged.
    AfterCommit,
    /// Nowhere: run straight through.
    Never,
}

impl Pause {
    /// `before-commit`, `after-commit` or `never`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "before-commit" => Some(Pause::BeforeCommit),
            "after-commit" => Some(Pause::AfterCommit),
            "never" => Some(Pause::Never),
            _ => None,
        }
    }

    /// The text [`parse`](Self::parse) reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Pause::BeforeCommit => "before-commit",
            Pause::AfterCommit => "after-commit",
            Pause::Never => "never",
        }
    }
}

/// The crash test's schema: the framework's outbox and effect ledger, the effects,
/// and the progress markers.
#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all: Vec<Box<dyn MigrationTrait>> = vec![Box::new(CreateTables)];
        all.extend(outbox::migrations());
        all
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_e2e".into_iden()
    }
}

struct CreateTables;

impl MigrationName for CreateTables {
    fn name(&self) -> &str {
        "m20261123_000001_e2e_effects"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Deliberately no unique key on the effect: a duplicate would show.
        for table in ["e2e_effect", "e2e_progress"] {
            let mut create = Table::create();
            create
                .table(table)
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string("key"))
                .col(big_integer("pid"));
            if table == "e2e_progress" {
                create.col(string("stage"));
            }
            manager.create_table(create.to_owned()).await?;
        }
        Ok(())
    }
}

/// Handles [`SlowEffect`] on `db`, pausing at `pause` for `pause_for`.
#[derive(Debug, Clone)]
pub struct SlowEffects {
    /// The database with the [`Migrator`]'s tables.
    pub db: Database,
    /// Where to sleep.
    pub pause: Pause,
    /// How long.
    pub pause_for: Duration,
}

impl Actor for SlowEffects {
    type Context = Context<Self>;
}

fn failed(error: impl std::fmt::Display) -> JobError {
    JobError::retry(error.to_string())
}

fn pid() -> i64 {
    i64::from(std::process::id())
}

/// Commits a progress marker on a connection of its own.
async fn mark(db: &Database, key: &str, stage: &str) -> Result<(), JobError> {
    let conn = db.conn().await.map_err(failed)?;
    let insert = Query::insert()
        .into_table("e2e_progress")
        .columns(["key", "pid", "stage"])
        .values_panic([key.into(), pid().into(), stage.into()])
        .to_owned();
    conn.execute(&insert).await.map_err(failed)?;
    tracing::info!(key, stage, "progress");
    Ok(())
}

impl Handler<SlowEffect> for SlowEffects {
    type Result = ResponseFuture<Result<(), JobError>>;

    fn handle(&mut self, job: SlowEffect, _: &mut Context<Self>) -> Self::Result {
        let this = self.clone();
        Box::pin(async move {
            let (db, key) = (&this.db, job.key.as_str());
            mark(db, key, "started").await?;
            let tx = db.begin().await.map_err(failed)?;
            let claimed = outbox::claim_once(&tx, key).await.map_err(failed)?;
            if claimed {
                let insert = Query::insert()
                    .into_table("e2e_effect")
                    .columns(["key", "pid"])
                    .values_panic([key.into(), pid().into()])
                    .to_owned();
                tx.execute(&insert).await.map_err(failed)?;
            }
            if this.pause == Pause::BeforeCommit {
                mark(db, key, "pausing").await?;
                actix_rt::time::sleep(this.pause_for).await;
            }
            tx.commit().await.map_err(failed)?;
            mark(db, key, if claimed { "applied" } else { "skipped" }).await?;
            if this.pause == Pause::AfterCommit {
                mark(db, key, "pausing").await?;
                actix_rt::time::sleep(this.pause_for).await;
            }
            mark(db, key, "done").await
        })
    }
}

/// The progress markers of `key`, oldest first: `(pid, stage)`.
pub async fn progress(conn: &impl ConnectionTrait, key: &str) -> Vec<(i64, String)> {
    let select = Query::select()
        .columns(["pid", "stage"])
        .from("e2e_progress")
        .and_where(Expr::col("key").eq(key))
        .order_by("id", Order::Asc)
        .to_owned();
    let rows = conn.query_all(&select).await.expect("reading progress");
    rows.iter()
        .map(|row| {
            let pid: i64 = row.try_get("", "pid").expect("pid");
            let stage: String = row.try_get("", "stage").expect("stage");
            (pid, stage)
        })
        .collect()
}

/// The pids of the processes that made `key`'s effect (one row per effect made).
pub async fn effects(conn: &impl ConnectionTrait, key: &str) -> Vec<i64> {
    let select = Query::select()
        .column("pid")
        .from("e2e_effect")
        .and_where(Expr::col("key").eq(key))
        .order_by("id", Order::Asc)
        .to_owned();
    let rows = conn.query_all(&select).await.expect("reading effects");
    rows.iter()
        .map(|row| row.try_get("", "pid").expect("pid"))
        .collect()
}
