//! Queries and transactions through the handle.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};

use super::{Migrator, backends, count_notes, insert_note, note};
use crate::db::{Database, DbError, testing::TestDatabase};

#[actix_rt::test]
async fn insert_and_select_through_conn() {
    for (backend, tdb) in backends() {
        let db = tdb.connect::<Migrator>().await;
        let conn = db.conn().await.unwrap();
        let inserted = insert_note(&conn, "hello").await;
        let found = note::Entity::find_by_id(inserted.id)
            .one(&conn)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{backend}: row {} not found", inserted.id));
        assert_eq!(found.title, "hello", "{backend}");
        assert_eq!(
            found.meta,
            serde_json::json!({"tags": ["a", "b"]}),
            "{backend}"
        );
        assert_eq!(
            found.created_at.timestamp_micros(),
            inserted.created_at.timestamp_micros(),
            "{backend}"
        );
    }
}

#[actix_rt::test]
async fn a_dropped_transaction_leaves_no_row_and_a_committed_one_does() {
    for (backend, tdb) in backends() {
        let db = tdb.connect::<Migrator>().await;
        let conn = db.conn().await.unwrap();

        let txn = db.begin().await.unwrap();
        insert_note(&txn, "dropped").await;
        assert_eq!(count_notes(&txn).await, 1, "{backend}: visible inside");
        drop(txn);
        assert_eq!(count_notes(&conn).await, 0, "{backend}: rolled back");

        let txn = db.begin().await.unwrap();
        insert_note(&txn, "rolled back").await;
        txn.rollback().await.unwrap();

        let txn = db.begin().await.unwrap();
        insert_note(&txn, "committed").await;
        txn.commit().await.unwrap();

        // Exactly one: the dropped transaction's connection went back to the pool
        // clean, and was not committed later by someone else's commit.
        let titles: Vec<String> = note::Entity::find()
            .all(&conn)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.title)
            .collect();
        assert_eq!(titles, ["committed"], "{backend}");
    }
}

#[actix_rt::test]
async fn sqlite_uses_wal_foreign_keys_and_a_busy_timeout() {
    let tdb = TestDatabase::sqlite();
    let db = tdb.connect::<Migrator>().await;
    let conn = db.conn().await.unwrap();
    for (pragma, column, expected) in [
        ("journal_mode", "journal_mode", "wal"),
        ("foreign_keys", "foreign_keys", "1"),
        ("busy_timeout", "timeout", "5000"),
        ("synchronous", "synchronous", "1"), // NORMAL
    ] {
        let sql = format!("SELECT CAST({column} AS TEXT) AS v FROM pragma_{pragma}");
        let row = conn
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.try_get::<String>("", "v").unwrap(),
            expected,
            "{pragma}"
        );
    }
}

#[actix_rt::test]
async fn concurrent_sqlite_writers_wait_instead_of_failing_with_database_is_locked() {
    let tdb = TestDatabase::sqlite();
    let db = tdb.connect::<Migrator>().await;

    // Read-then-write transactions (the pattern that fails with "database is locked"
    // under SQLite's default deferred transactions), mixed with autocommit writes.
    async fn read_then_write(db: Database, i: usize) -> Result<(), DbError> {
        let txn = db.begin().await?;
        count_notes(&txn).await;
        tokio::time::sleep(Duration::from_millis(2)).await;
        insert_note(&txn, &format!("txn {i}")).await;
        txn.commit().await?;
        Ok(())
    }
    async fn autocommit(db: Database, i: usize) -> Result<(), DbError> {
        insert_note(&db.conn().await?, &format!("plain {i}")).await;
        Ok(())
    }

    let mut tasks = Vec::new();
    for i in 0..20 {
        tasks.push(actix_rt::spawn(read_then_write(db.clone(), i)));
        tasks.push(actix_rt::spawn(autocommit(db.clone(), i)));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(count_notes(&db.conn().await.unwrap()).await, 40);
}

#[actix_rt::test]
async fn postgres_test_databases_are_unique_and_dropped() {
    let Some(a) = TestDatabase::postgres_from_env() else {
        eprintln!("note: DATABASE_URL not set; skipping the PostgreSQL test-database test");
        return;
    };
    let b = TestDatabase::postgres_from_env().unwrap();
    assert_ne!(a.url(), b.url());
    let name = a.url().rsplit('/').next().unwrap().to_owned();
    assert!(name.starts_with("apiarist_t_"), "{name}");

    let server = sea_orm::Database::connect(std::env::var("DATABASE_URL").unwrap())
        .await
        .unwrap();
    let exists = async |name: &str| {
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM pg_database WHERE datname = $1",
            [name.into()],
        );
        let row = server.query_one_raw(stmt).await.unwrap().unwrap();
        row.try_get::<i64>("", "n").unwrap() == 1
    };
    assert!(exists(&name).await);
    // Dropped even while a pool still holds connections to it.
    let db = a.connect::<Migrator>().await;
    drop(a);
    assert!(!exists(&name).await);
    drop(db);
}
