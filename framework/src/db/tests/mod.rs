//! Behaviour of the database layer against real databases: SQLite always, PostgreSQL
//! when `DATABASE_URL` is set (see [`TestDatabase::all_from_env`]).

mod data;
mod lifecycle;
mod replicas;

use std::time::Duration;

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, Set};
use sea_orm_migration::{prelude::*, schema::*};

use super::{Database, testing::TestDatabase};

/// The one table the tests migrate.
pub(super) mod note {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "note")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub title: String,
        pub created_at: ChronoDateTimeUtc,
        pub meta: Json,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

struct CreateNote;

impl MigrationName for CreateNote {
    fn name(&self) -> &str {
        "m20260101_000001_create_note"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateNote {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("note")
                    .col(pk_auto("id"))
                    .col(string("title"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(json("meta"))
                    .to_owned(),
            )
            .await
    }
}

/// The service's migrator, as a service crate would define it.
pub(super) struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateNote)]
    }
}

pub(super) async fn insert_note(conn: &impl ConnectionTrait, title: &str) -> note::Model {
    note::ActiveModel {
        title: Set(title.to_owned()),
        created_at: Set(chrono::Utc::now()),
        meta: Set(serde_json::json!({"tags": ["a", "b"]})),
        ..Default::default()
    }
    .insert(conn)
    .await
    .unwrap_or_else(|e| panic!("inserting note {title:?}: {e}"))
}

pub(super) async fn count_notes(conn: &impl ConnectionTrait) -> u64 {
    note::Entity::find()
        .count(conn)
        .await
        .expect("counting notes")
}

/// Rows in the migrator's bookkeeping table.
pub(super) async fn applied_migrations(conn: &impl ConnectionTrait) -> u64 {
    let stmt = sea_orm::Statement::from_string(
        conn.get_database_backend(),
        "SELECT COUNT(*) AS n FROM seaql_migrations",
    );
    let row = conn.query_one_raw(stmt).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap() as u64
}

/// Waits (bounded) until `check` holds for the handle's published state.
pub(super) async fn wait_until(db: &Database, what: &str, check: impl Fn(&Database) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut state = db.state.clone();
    while !check(db) {
        let changed = tokio::time::timeout_at(deadline, state.changed()).await;
        assert!(
            matches!(changed, Ok(Ok(()))),
            "timed out waiting until {what}"
        );
    }
}

/// The handle can live in app state shared by every worker.
const _: fn() = || {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Database>();
};

/// The backends to test on, each with a label for assertion messages.
pub(super) fn backends() -> Vec<(String, TestDatabase)> {
    TestDatabase::all_from_env()
        .into_iter()
        .map(|tdb| (tdb.backend().to_string(), tdb))
        .collect()
}
