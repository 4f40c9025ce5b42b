//! `/metrics`: requests by route template (never the raw path) and status, latency
//! histograms, requests in flight, job outcomes, pool usage; on and off.
//!
//! The registry is the process's, shared by the tests of this binary running in
//! parallel: each test reads series of its own routes or queues.

use std::{sync::Arc, time::Duration};

use actix::{Actor, Context, Handler};
use apiarist::{
    App, HttpError, Path, Router,
    db::testing::TestDatabase,
    jobs::{Job, JobError, JobQueue, MemoryBroker, Worker},
    metrics::CONTENT_TYPE,
    prelude::*,
    testing::TestClient,
};

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct ItemPath {
    item_id: u32,
}

/// An item; 0 is missing.
#[api_operation(summary = "Item")]
async fn item(path: Path<ItemPath>) -> Result<Json<u32>, HttpError> {
    match path.item_id {
        0 => Err(HttpError::not_found("No item 0")),
        id => Ok(Json(id)),
    }
}

/// Takes a moment.
#[api_operation(summary = "Slow")]
async fn slow() -> Json<()> {
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    Json(())
}

/// Panics.
#[api_operation(summary = "Boom")]
async fn boom() -> Json<()> {
    panic!("boom")
}

fn value_of(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[actix_web::test]
async fn requests_are_counted_by_route_template_and_status() {
    let app = App::new("t").include(Router::with_prefix("/m1").get("/items/{item_id}", item));
    let client = TestClient::new(app).await;
    for path in ["/m1/items/1", "/m1/items/2", "/m1/items/0"] {
        client.get(path).send().await;
    }
    client.delete("/m1/items/1").send().await;
    let res = client.get("/metrics").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some(CONTENT_TYPE));
    let text = res.text();
    let series = |labels: &str| value_of(&text, labels);
    let ok = r#"method="GET",route="/m1/items/{item_id}",status="200""#;
    assert_eq!(
        series(&format!("http_requests_total{{{ok}}}")),
        Some(2.0),
        "{text}"
    );
    let missing = r#"method="GET",route="/m1/items/{item_id}",status="404""#;
    assert_eq!(
        series(&format!("http_requests_total{{{missing}}}")),
        Some(1.0)
    );
    let wrong = r#"method="DELETE",route="/m1/items/{item_id}",status="405""#;
    assert_eq!(
        series(&format!("http_requests_total{{{wrong}}}")),
        Some(1.0)
    );
    assert!(!text.contains("/m1/items/1\""), "never the raw path");
    // The latency histogram of the same series.
    assert_eq!(
        series(&format!(
            "http_request_duration_seconds_bucket{{{ok},le=\"+Inf\"}}"
        )),
        Some(2.0)
    );
    assert_eq!(
        series(&format!("http_request_duration_seconds_count{{{ok}}}")),
        Some(2.0)
    );
    assert!(series(&format!("http_request_duration_seconds_sum{{{ok}}}")).unwrap() > 0.0);
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
}

#[actix_web::test]
async fn unknown_paths_and_panics_are_counted_without_their_path() {
    let app = App::new("t").include(Router::new().get("/m2/boom", boom));
    let client = TestClient::new(app).await;
    client.get("/m2/no/such/path").send().await;
    assert_eq!(client.get("/m2/boom").send().await.status(), 500);
    let text = client.get("/metrics").send().await.text();
    assert!(!text.contains("/m2/no/such/path"), "{text}");
    let unmatched = r#"http_requests_total{method="GET",route="<unmatched>",status="404"}"#;
    assert!(value_of(&text, unmatched).unwrap() >= 1.0);
    let panicked = r#"http_requests_total{method="GET",route="<unknown>",status="500"}"#;
    assert!(value_of(&text, panicked).unwrap() >= 1.0);
}

#[actix_web::test]
async fn requests_in_flight_are_a_gauge() {
    let app = App::new("t").include(Router::new().get("/m3/slow", slow));
    let client = TestClient::new(app).await;
    let slow_client = client.clone();
    let slow = actix_web::rt::spawn(async move { slow_client.get("/m3/slow").send().await });
    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    let text = client.get("/metrics").send().await.text();
    // The slow request and the scrape itself.
    assert!(
        value_of(&text, "http_requests_in_flight").unwrap() >= 2.0,
        "{text}"
    );
    assert_eq!(slow.await.unwrap().status(), 200);
}

#[actix_web::test]
async fn metrics_can_be_moved_or_turned_off() {
    let off = TestClient::new(App::new("t").metrics(false)).await;
    assert_eq!(off.get("/metrics").send().await.status(), 404);
    let moved = TestClient::new(App::new("t").metrics_path("/internal/metrics")).await;
    assert_eq!(moved.get("/metrics").send().await.status(), 404);
    let res = moved.get("/internal/metrics").send().await;
    assert_eq!(res.status(), 200);
    assert!(res.text().contains("http_requests_in_flight"));
    // Not in the API's document.
    let doc = App::new("t").openapi();
    assert!(doc["paths"].get("/metrics").is_none());
}

struct NoMigrations;

impl apiarist::db::sea_orm_migration::MigratorTrait for NoMigrations {
    fn migrations() -> Vec<Box<dyn apiarist::db::sea_orm_migration::MigrationTrait>> {
        Vec::new()
    }
}

#[actix_web::test]
async fn the_pools_of_the_apps_databases_are_reported() {
    // SQLite, and PostgreSQL when DATABASE_URL is set.
    for test_db in TestDatabase::all_from_env() {
        let db = test_db.connect::<NoMigrations>().await;
        let app = App::new("t").state(db.clone()).ready_check("orders", db);
        let client = TestClient::new(app).await;
        let text = client.get("/metrics").send().await.text();
        for name in ["default", "orders"] {
            let max = format!(r#"db_pool_max_connections{{database="{name}"}}"#);
            assert!(value_of(&text, &max).unwrap() >= 1.0, "{text}");
            let idle = format!(r#"db_pool_connections{{database="{name}",state="idle"}}"#);
            assert!(value_of(&text, &idle).is_some(), "{text}");
            let in_use = format!(r#"db_pool_connections{{database="{name}",state="in_use"}}"#);
            assert!(value_of(&text, &in_use).is_some(), "{text}");
        }
    }
}

macro_rules! test_job {
    ($ty:ident, $name:literal) => {
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        struct $ty;
        impl actix::Message for $ty {
            type Result = Result<(), JobError>;
        }
        impl Job for $ty {
            const NAME: &'static str = $name;
            const MAX_ATTEMPTS: u32 = 2;
            const RETRY_BASE: Duration = Duration::from_millis(10);
        }
    };
}
test_job!(Fine, "metrics.fine");
test_job!(Flaky, "metrics.flaky");
test_job!(Poison, "metrics.poison");

/// Handles the test jobs: fine ones succeed, flaky ones keep failing, poison fatally.
struct Jobs;
impl Actor for Jobs {
    type Context = Context<Self>;
}
impl Handler<Fine> for Jobs {
    type Result = Result<(), JobError>;
    fn handle(&mut self, _: Fine, _: &mut Context<Self>) -> Self::Result {
        Ok(())
    }
}
impl Handler<Flaky> for Jobs {
    type Result = Result<(), JobError>;
    fn handle(&mut self, _: Flaky, _: &mut Context<Self>) -> Self::Result {
        Err(JobError::retry("not yet"))
    }
}
impl Handler<Poison> for Jobs {
    type Result = Result<(), JobError>;
    fn handle(&mut self, _: Poison, _: &mut Context<Self>) -> Self::Result {
        Err(JobError::fatal("never"))
    }
}

#[actix_web::test]
async fn job_outcomes_are_counted_by_queue() {
    let broker = Arc::new(MemoryBroker::new());
    let actor = Jobs.start();
    let worker = Worker::new(broker.clone())
        .handle::<Fine, _>(actor.clone())
        .handle::<Flaky, _>(actor.clone())
        .handle::<Poison, _>(actor)
        .start();
    let queue = JobQueue::new(broker);
    queue.enqueue(Fine).await.unwrap();
    queue.enqueue(Fine).await.unwrap();
    queue.enqueue(Flaky).await.unwrap();
    queue.enqueue(Poison).await.unwrap();
    let expected = [
        (r#"jobs_total{queue="metrics.fine",outcome="done"}"#, 2.0),
        (
            r#"jobs_total{queue="metrics.flaky",outcome="retried"}"#,
            1.0,
        ),
        (
            r#"jobs_total{queue="metrics.flaky",outcome="dead_lettered"}"#,
            1.0,
        ),
        (
            r#"jobs_total{queue="metrics.poison",outcome="dead_lettered"}"#,
            1.0,
        ),
    ];
    let mut text = String::new();
    for _ in 0..100 {
        text = apiarist::metrics::render();
        if expected.iter().all(|(s, v)| value_of(&text, s) == Some(*v)) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    for (series, value) in expected {
        assert_eq!(value_of(&text, series), Some(value), "{series}\n{text}");
    }
    let done = r#"job_duration_seconds_count{queue="metrics.fine",outcome="done"}"#;
    assert_eq!(value_of(&text, done), Some(2.0));
    worker.shutdown(Duration::from_secs(1)).await;
}
