//! Replicas of one service starting together against one PostgreSQL database.

use super::{Database, Migrator, applied_migrations, count_notes, insert_note};
use crate::db::testing::TestDatabase;

#[actix_rt::test]
async fn replicas_starting_together_migrate_once_and_all_become_ready() {
    let Some(tdb) = TestDatabase::postgres_from_env() else {
        eprintln!("note: DATABASE_URL not set; skipping the replicas test");
        return;
    };
    let replicas: Vec<Database> = (0..4)
        .map(|_| Database::start::<Migrator>(tdb.settings()))
        .collect();
    for (n, db) in replicas.iter().enumerate() {
        db.wait_ready()
            .await
            .unwrap_or_else(|e| panic!("replica {n} did not start: {e}"));
    }
    let conn = replicas[3].conn().await.unwrap();
    assert_eq!(applied_migrations(&conn).await, 1);
    insert_note(&replicas[0].conn().await.unwrap(), "from replica 0").await;
    assert_eq!(count_notes(&conn).await, 1);
}
