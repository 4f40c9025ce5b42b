//! Jobs from requests: the outbox (a rolled-back request never emits its job, a
//! committed one always does), direct enqueues carrying the request's trace, the
//! operator endpoints and the AsyncAPI document.

use std::{sync::Arc, time::Duration};

use apiarist::{
    auth::{
        Auth, Claims, KeyRing, LoginThrottle, SigningKey, ThrottleConfig, TokenConfig, unix_now,
    },
    db::{Database, Tx, testing::TestDatabase},
    jobs::{
        AmqpBroker, AmqpSettings, Broker, Job, JobError, JobQueue, Jobs, MemoryBroker, Outbox,
        Worker, outbox,
    },
    prelude::*,
    testing::TestClient,
};
use serde_json::{Value, json};

/// Welcome a new user.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
struct Welcome {
    user: String,
}

impl actix::Message for Welcome {
    type Result = Result<(), JobError>;
}

impl Job for Welcome {
    const NAME: &'static str = "test.welcome";
    const MAX_ATTEMPTS: u32 = 1;
}

struct Migrator;

impl apiarist::db::sea_orm_migration::MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn apiarist::db::sea_orm_migration::MigrationTrait>> {
        outbox::migrations()
    }
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Ask {
    #[serde(default)]
    fail: bool,
}

/// Registers someone in a transaction and enqueues their welcome.
#[api_operation(summary = "Register", error_code = 409, error_code = 503)]
async fn register(_tx: Tx, jobs: Jobs, q: Query<Ask>) -> Result<NoContent, HttpError> {
    jobs.enqueue(Welcome { user: "ada".into() })
        .await
        .map_err(|e| HttpError::new(503, e.to_string()))?;
    if q.fail {
        return Err(HttpError::conflict("changed my mind"));
    }
    Ok(NoContent)
}

/// Enqueues without a transaction: published at once.
#[api_operation(summary = "Poke", error_code = 503)]
async fn poke(jobs: Jobs) -> Result<Json<Value>, HttpError> {
    let envelope = jobs
        .enqueue(Welcome { user: "bob".into() })
        .await
        .map_err(|e| HttpError::new(503, e.to_string()))?;
    Ok(Json(json!({
        "request_id": envelope.trace.request_id,
        "traceparent": envelope.trace.traceparent,
    })))
}

const SECRET: &[u8] = b"the jobs tests' secret, long enough!";

fn admin_token() -> String {
    let ring = KeyRing::new(SigningKey::hs256(SECRET).unwrap(), TokenConfig::default());
    let claims = Claims::new(
        "root",
        Vec::<String>::new(),
        unix_now(),
        Duration::from_secs(600),
    )
    .with_roles(["admin"]);
    format!("Bearer {}", ring.sign(&claims).unwrap())
}

async fn app(db: Database, broker: Arc<dyn Broker>) -> TestClient {
    let dyn_broker = broker;
    let outbox = Outbox::start(db.clone(), dyn_broker.clone(), Duration::from_millis(50));
    let queue = JobQueue::new(dyn_broker)
        .with_outbox(outbox)
        .register::<Welcome>();
    let auth = Auth::start(
        KeyRing::new(SigningKey::hs256(SECRET).unwrap(), TokenConfig::default()),
        LoginThrottle::new(ThrottleConfig::default()),
    );
    let app = App::new("jobs").state(db).state(queue).state(auth).include(
        Router::new()
            .post("/register", register)
            .post("/poke", poke)
            .include(apiarist::jobs::operator_router())
            .include(apiarist::jobs::asyncapi::router()),
    );
    TestClient::new(app).await
}

async fn ready_jobs(broker: &dyn Broker) -> u64 {
    broker.stats(Welcome::NAME).await.unwrap().ready
}

#[actix_web::test]
async fn a_committed_request_emits_its_job_and_a_failed_one_never_does() {
    for test_db in TestDatabase::all_from_env() {
        let db = test_db.connect::<Migrator>().await;
        let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new());
        let client = app(db.clone(), broker.clone()).await;

        let res = client.post("/register?fail=true").send().await;
        assert_eq!(res.status(), 409);
        let conn = db.conn().await.unwrap();
        assert_eq!(
            outbox::pending(&conn).await.unwrap(),
            0,
            "rolled back with the request"
        );

        let res = client.post("/register").send().await;
        assert_eq!(res.status(), 204);
        let mut ready = 0;
        for _ in 0..100 {
            ready = ready_jobs(&*broker).await;
            if ready == 1 {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            ready,
            1,
            "{:?}: the committed job was relayed",
            test_db.backend()
        );
        assert_eq!(outbox::pending(&conn).await.unwrap(), 0);
    }
}

#[actix_web::test]
async fn a_direct_enqueue_is_published_at_once_with_the_request_s_trace() {
    let test_db = TestDatabase::sqlite();
    let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new());
    let client = app(test_db.connect::<Migrator>().await, broker.clone()).await;
    let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let res = client
        .post("/poke")
        .header("x-request-id", "req-7")
        .header("traceparent", trace)
        .send()
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json();
    assert_eq!(body["request_id"], "req-7");
    let traceparent = body["traceparent"].as_str().unwrap();
    assert!(
        traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "the trace continues: {traceparent}"
    );
    assert_eq!(ready_jobs(&*broker).await, 1);
}

/// A handler that always fails.
#[derive(Debug)]
struct Grumpy;

impl actix::Actor for Grumpy {
    type Context = actix::Context<Self>;
}

impl actix::Handler<Welcome> for Grumpy {
    type Result = Result<(), JobError>;
    fn handle(&mut self, job: Welcome, _: &mut Self::Context) -> Self::Result {
        Err(JobError::retry(format!("no mail server for {}", job.user)))
    }
}

#[actix_web::test]
async fn operators_see_dead_jobs_and_retry_or_discard_them() {
    for (broker, amqp) in brokers() {
        operate_on(broker).await;
        if let Some(amqp) = amqp {
            amqp.delete(Welcome::NAME).await.unwrap();
            amqp.close().await;
        }
    }
}

/// Every broker the tests can reach: in-process always, RabbitMQ (in a namespace of
/// its own) when `AMQP_URL` is set; CI must have it.
fn brokers() -> Vec<(Arc<dyn Broker>, Option<AmqpBroker>)> {
    let mut all: Vec<(Arc<dyn Broker>, Option<AmqpBroker>)> =
        vec![(Arc::new(MemoryBroker::new()), None)];
    match AmqpSettings::from_env() {
        Some(mut settings) => {
            settings.namespace = format!("jobs-test-{}.", uuid::Uuid::new_v4().simple());
            let amqp = AmqpBroker::new(settings);
            all.push((Arc::new(amqp.clone()), Some(amqp)));
        }
        None if std::env::var("CI").as_deref() == Ok("true") => panic!("CI needs AMQP_URL"),
        None => eprintln!("AMQP_URL not set: the RabbitMQ variant is skipped"),
    }
    all
}

async fn operate_on(broker: Arc<dyn Broker>) {
    use actix::Actor;
    let test_db = TestDatabase::sqlite();
    let client = app(test_db.connect::<Migrator>().await, broker.clone()).await;
    let worker = Worker::new(broker.clone())
        .handle::<Welcome, _>(Grumpy.start())
        .start();

    assert_eq!(client.get("/admin/jobs").send().await.status(), 401);
    for _ in 0..2 {
        assert_eq!(client.post("/poke").send().await.status(), 200);
    }
    let admin = admin_token();
    let mut stats = Value::Null;
    for _ in 0..100 {
        stats = client
            .get("/admin/jobs")
            .header("authorization", &admin)
            .send()
            .await
            .json();
        if stats[0]["dead"] == 2 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        stats,
        json!([{"queue": "test.welcome", "ready": 0, "dead": 2}])
    );
    worker.shutdown(Duration::from_secs(2)).await;

    let dead: Value = client
        .get("/admin/jobs/test.welcome/dead")
        .header("authorization", &admin)
        .send()
        .await
        .json();
    assert_eq!(dead.as_array().unwrap().len(), 2);
    assert_eq!(dead[0]["last_error"], "no mail server for bob");
    let first = dead[0]["id"].as_str().unwrap();
    let second = dead[1]["id"].as_str().unwrap();

    let res = client
        .post(&format!("/admin/jobs/test.welcome/dead/{first}/retry"))
        .header("authorization", &admin)
        .send()
        .await;
    assert_eq!(res.status(), 204);
    let res = client
        .delete(&format!("/admin/jobs/test.welcome/dead/{second}"))
        .header("authorization", &admin)
        .send()
        .await;
    assert_eq!(res.status(), 204);
    let res = client
        .delete(&format!("/admin/jobs/test.welcome/dead/{second}"))
        .header("authorization", &admin)
        .send()
        .await;
    assert_eq!(res.status(), 404);
    let stats: Value = client
        .get("/admin/jobs")
        .header("authorization", &admin)
        .send()
        .await
        .json();
    assert_eq!(
        stats,
        json!([{"queue": "test.welcome", "ready": 1, "dead": 0}])
    );
    let res = client
        .get("/admin/jobs/no.such/dead")
        .header("authorization", &admin)
        .send()
        .await;
    assert_eq!(res.status(), 404);
}

#[actix_web::test]
async fn the_queues_are_documented_in_asyncapi_and_the_operator_routes_in_openapi() {
    let test_db = TestDatabase::sqlite();
    let client = app(
        test_db.connect::<Migrator>().await,
        Arc::new(MemoryBroker::new()),
    )
    .await;
    let doc: Value = client.get("/asyncapi.json").send().await.json();
    assert_eq!(doc["asyncapi"], "3.0.0");
    let channel = &doc["channels"]["test.welcome"];
    assert_eq!(channel["address"], "test.welcome");
    assert_eq!(channel["bindings"]["amqp"]["queue"]["durable"], true);
    let message = &doc["components"]["messages"]["Welcome"];
    assert_eq!(message["payload"]["properties"]["user"]["type"], "string");
    assert_eq!(message["description"], "Welcome a new user.");
    assert_eq!(doc["operations"]["enqueue.test.welcome"]["action"], "send");
    assert_eq!(
        doc["operations"]["handle.test.welcome"]["action"],
        "receive"
    );

    let openapi: Value = client.get("/openapi.json").send().await.json();
    let dead = &openapi["paths"]["/admin/jobs/{queue}/dead"]["get"];
    assert_eq!(dead["security"], json!([{"OAuth2PasswordBearer": []}]));
    for status in ["401", "403", "404"] {
        assert!(dead["responses"][status].is_object(), "{status}: {dead}");
    }
}
