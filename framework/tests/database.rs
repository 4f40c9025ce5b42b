//! `Db` and `Tx` through HTTP, against real databases: SQLite always, PostgreSQL when
//! `DATABASE_URL` is set (CI sets it). A failed or panicking request writes nothing.

use apiarist::{
    db::{
        Database, DbSettings, Tx,
        sea_orm::{ConnectionTrait, Statement},
        sea_orm_migration::{prelude::*, schema::*},
        testing::TestDatabase,
    },
    prelude::*,
    testing::TestClient,
};
use serde_json::{Value, json};

struct CreateVisit;

impl MigrationName for CreateVisit {
    fn name(&self) -> &str {
        "m20260101_000001_create_visit"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateVisit {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("visit")
                    .col(pk_auto("id"))
                    .col(string("who"))
                    .to_owned(),
            )
            .await
    }
}

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateVisit)]
    }
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Visit {
    who: String,
    #[serde(default)]
    then: Option<String>,
}

async fn count(conn: &impl ConnectionTrait) -> i64 {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM visit",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Writes a visit, then succeeds, fails or panics as asked.
#[api_operation(summary = "Visit", error_code = 409)]
async fn visit(tx: Tx, q: apiarist::Query<Visit>) -> Result<Json<i64>, HttpError> {
    let backend = tx.get_database_backend();
    tx.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            apiarist::db::sea_orm::DatabaseBackend::Postgres => {
                "INSERT INTO visit (who) VALUES ($1)"
            }
            _ => "INSERT INTO visit (who) VALUES (?)",
        },
        [q.who.clone().into()],
    ))
    .await?;
    let seen = count(&*tx).await;
    match q.then.as_deref() {
        Some("fail") => Err(HttpError::conflict("changed my mind")),
        Some("panic") => panic!("changed my mind, loudly"),
        _ => Ok(Json(seen)),
    }
}

/// How many visits were committed.
#[api_operation(summary = "Visits")]
async fn visits(db: apiarist::db::Db) -> Json<i64> {
    Json(count(&*db).await)
}

fn app(db: Database) -> App {
    App::new("visits")
        .state(db)
        .include(Router::new().post("/visits", visit).get("/visits", visits))
}

#[actix_web::test]
async fn a_request_commits_on_success_and_leaves_nothing_on_error_or_panic() {
    for test_db in TestDatabase::all_from_env() {
        let db = test_db.connect::<Migrator>().await;
        let client = TestClient::new(app(db)).await;
        let backend = test_db.backend();

        let res = client.post("/visits?who=ada").send().await;
        assert_eq!(res.status(), 200, "{backend:?}");
        assert_eq!(
            res.json::<i64>(),
            1,
            "{backend:?}: the handler sees its own write"
        );
        assert_eq!(client.get("/visits").send().await.json::<i64>(), 1);

        let res = client.post("/visits?who=bob&then=fail").send().await;
        assert_eq!(res.status(), 409);
        assert_eq!(
            client.get("/visits").send().await.json::<i64>(),
            1,
            "{backend:?}"
        );

        let res = client.post("/visits?who=eve&then=panic").send().await;
        assert_eq!(res.status(), 500);
        // The rollback of an abandoned transaction happens as its connection returns.
        let mut committed = -1;
        for _ in 0..50 {
            committed = client.get("/visits").send().await.json::<i64>();
            if committed == 1 {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(committed, 1, "{backend:?}: a panicking request wrote");

        let res = client.post("/visits?who=cy").send().await;
        assert_eq!(res.json::<i64>(), 2, "{backend:?}");
    }
}

#[actix_web::test]
async fn readyz_reports_the_database() {
    for test_db in TestDatabase::all_from_env() {
        let db = test_db.connect::<Migrator>().await;
        let client = TestClient::new(app(db)).await;
        let res = client.get("/readyz").send().await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.json::<Value>(),
            json!({"status": "ready", "database": test_db.backend().as_str()})
        );
    }

    let mut unreachable = DbSettings::new("postgres://postgres@127.0.0.1:1/none");
    unreachable.connect_attempts = 1;
    unreachable.connect_timeout = std::time::Duration::from_millis(200);
    let db = Database::start::<Migrator>(unreachable);
    let client = TestClient::new(app(db)).await;
    let res = client.get("/readyz").send().await;
    assert_eq!(res.status(), 503);
    let body: Value = res.json();
    assert_eq!(body["detail"]["status"], "unavailable");
    assert_eq!(body["detail"]["database"], "postgres");
    assert!(body["detail"]["reason"].is_string(), "{body}");
    // Requests that need it answer 503 too, not a hang or a dropped connection.
    let res = client.get("/visits").send().await;
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Database unavailable"})
    );
}

#[test]
fn a_route_needing_the_database_without_one_is_a_start_up_error() {
    let app = App::new("no-db").include(Router::new().post("/visits", visit));
    let problem = app.check().unwrap_err();
    assert!(problem.contains("POST /visits"), "{problem}");
    assert!(problem.contains("Database"), "{problem}");
    assert!(problem.contains("Tx"), "{problem}");
}

#[actix_web::test]
async fn readyz_checks_every_named_database() {
    let test_db = TestDatabase::sqlite();
    let good = test_db.connect::<Migrator>().await;
    let app = App::new("two").ready_check("items", good.clone());
    let client = TestClient::new(app.clone()).await;
    let res = client.get("/readyz").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (
            200,
            json!({"status": "ready", "database": null, "checks": {"items": "sqlite"}})
        )
    );

    let mut unreachable = DbSettings::new("postgres://postgres@127.0.0.1:1/none");
    unreachable.connect_attempts = 1;
    let bad = Database::start::<Migrator>(unreachable);
    let client = TestClient::new(app.ready_check("users", bad)).await;
    let res = client.get("/readyz").send().await;
    assert_eq!(res.status(), 503);
    let body: Value = res.json();
    assert_eq!(body["detail"]["check"], "users", "{body}");
}
