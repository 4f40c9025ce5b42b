//! Start-up, migrations, readiness, failure and restart.

use std::time::{Duration, Instant};

use sea_orm_migration::prelude::*;

use super::{Migrator, applied_migrations, backends, count_notes, insert_note, wait_until};
use crate::db::{
    Backend, Database, DbError, DbSettings,
    actor::{Crash, Status},
    testing::{TestDatabase, admin},
};

#[actix_rt::test]
async fn migrations_run_at_start_and_are_idempotent_on_restart() {
    for (backend, tdb) in backends() {
        let db = tdb.connect::<Migrator>().await;
        let conn = db.conn().await.unwrap();
        assert_eq!(
            count_notes(&conn).await,
            0,
            "{backend}: table exists, empty"
        );
        assert_eq!(applied_migrations(&conn).await, 1, "{backend}");
        insert_note(&conn, "kept").await;
        drop((conn, db));

        // A new actor on the same database: the migration is not applied twice.
        let db = tdb.connect::<Migrator>().await;
        let conn = db.conn().await.unwrap();
        assert_eq!(applied_migrations(&conn).await, 1, "{backend}");
        assert_eq!(count_notes(&conn).await, 1, "{backend}: data survives");
    }
}

#[actix_rt::test]
async fn readiness_is_true_when_connected() {
    for (backend, tdb) in backends() {
        let db = tdb.connect::<Migrator>().await;
        let readiness = db.ready().await;
        assert!(readiness.ready, "{backend}: {readiness:?}");
        assert_eq!(readiness.reason, None);
        assert_eq!(readiness.backend.as_str(), backend);
        assert_eq!(db.backend(), tdb.backend());
    }
}

fn unreachable_postgres() -> DbSettings {
    let mut settings = DbSettings::new("postgres://postgres:pw@127.0.0.1:1/test");
    settings.connect_attempts = 2;
    settings.connect_timeout = Duration::from_secs(2);
    settings.backoff_initial = Duration::from_millis(20);
    settings.backoff_max = Duration::from_millis(50);
    settings
}

#[actix_rt::test]
async fn unreachable_postgres_is_not_ready_and_connect_fails_after_its_attempts() {
    let db = Database::start::<Migrator>(unreachable_postgres());
    let readiness = db.ready().await;
    assert!(!readiness.ready);
    assert_eq!(readiness.backend, Backend::Postgres);
    assert!(readiness.reason.is_some(), "{readiness:?}");
    match db.conn().await {
        Err(DbError::Unavailable { .. }) => {}
        other => panic!("expected Unavailable, got {other:?}"),
    }

    let started = Instant::now();
    let err = Database::connect::<Migrator>(unreachable_postgres())
        .await
        .expect_err("nothing listens on port 1");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let message = err.to_string();
    assert!(message.starts_with("database unavailable: "), "{message}");
    assert!(message.contains("after 2 attempts"), "{message}");
    assert!(message.to_lowercase().contains("refused"), "{message}");
    assert!(!message.contains("pw@"), "password leaked: {message}");

    // The started handle ends up in the same state and says so.
    wait_until(&db, "the actor gave up", |db| {
        matches!(db.state.borrow().status, Status::Failed { .. })
    })
    .await;
    let reason = db.ready().await.reason.unwrap();
    assert!(reason.contains("after 2 attempts"), "{reason}");
    assert!(db.wait_ready().await.is_err());
}

#[actix_rt::test]
async fn unsupported_url_is_a_config_error() {
    let err = Database::connect::<Migrator>(DbSettings::new("mysql://root@h/db"))
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::Config { .. }), "{err}");
}

struct Broken;

impl MigrationName for Broken {
    fn name(&self) -> &str {
        "m20260101_000002_broken"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Broken {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE no_such_table ADD COLUMN x INTEGER")
            .await
            .map(|_| ())
    }
}

struct BrokenMigrator;

impl MigratorTrait for BrokenMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(Broken)]
    }
}

#[actix_rt::test]
async fn a_failing_migration_fails_connect_with_the_reason() {
    for (backend, tdb) in backends() {
        let err = Database::connect::<BrokenMigrator>(tdb.settings())
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("migrations failed"),
            "{backend}: {message}"
        );
        assert!(message.contains("no_such_table"), "{backend}: {message}");
    }
}

#[actix_rt::test]
async fn a_panic_in_the_actor_restarts_it_and_the_handle_keeps_working() {
    for (backend, tdb) in backends() {
        let db = tdb.connect::<Migrator>().await;
        insert_note(&db.conn().await.unwrap(), "before").await;

        db.addr().send(Crash).await.unwrap();
        wait_until(&db, "the actor restarted and reconnected", |db| {
            let state = db.state.borrow();
            state.generation == 1 && state.status == Status::Ready
        })
        .await;

        let conn = db.conn().await.unwrap();
        insert_note(&conn, "after").await;
        assert_eq!(count_notes(&conn).await, 2, "{backend}");
        assert_eq!(applied_migrations(&conn).await, 1, "{backend}");
        assert!(db.ready().await.ready, "{backend}");
    }
}

#[actix_rt::test]
async fn a_failing_ping_makes_postgres_not_ready_until_it_answers_again() {
    let Some(tdb) = TestDatabase::postgres_from_env() else {
        eprintln!("note: DATABASE_URL not set; skipping the PostgreSQL ping test");
        return;
    };
    let db = tdb.connect::<Migrator>().await;
    assert!(db.ready().await.ready);

    // Take the database away from under the pool, for real.
    let server = std::env::var("DATABASE_URL").unwrap();
    let name = tdb.url().rsplit('/').next().unwrap().to_owned();
    admin(&server, format!("DROP DATABASE \"{name}\" WITH (FORCE)")).unwrap();
    let readiness = db.ready().await;
    assert!(!readiness.ready);
    let reason = readiness.reason.unwrap();
    assert!(reason.starts_with("ping failed"), "{reason}");
    assert!(reason.contains(&name), "{reason}");

    admin(&server, format!("CREATE DATABASE \"{name}\"")).unwrap();
    let readiness = db.ready().await;
    assert!(readiness.ready, "{readiness:?}");
}
