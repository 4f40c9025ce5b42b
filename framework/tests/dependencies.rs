//! Dependency injection through the TestClient: per-request caching, sub-dependencies,
//! router-level dependencies, errors, cleanup, overrides and start-up checks.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use apiarist::{
    Dep, HttpError, Outcome, Provide, RequestScope, State, prelude::*, testing::TestClient,
};
use serde_json::{Value, json};

/// Counts how often providers ran, and what cleanup saw.
#[derive(Debug, Default)]
struct Probe {
    base_runs: AtomicUsize,
    events: Mutex<Vec<String>>,
}

impl Probe {
    fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }
    fn log(&self, event: impl Into<String>) {
        self.events.lock().unwrap().push(event.into());
    }
}

#[derive(Debug, Clone)]
struct Base(usize);

impl Provide for Base {
    type Needs = (State<Probe>,);
    async fn provide((probe,): Self::Needs) -> Result<Self, actix_web::Error> {
        // Yield so that concurrent askers really overlap.
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        Ok(Base(probe.base_runs.fetch_add(1, Ordering::SeqCst) + 1))
    }
}

macro_rules! on_base {
    ($name:ident) => {
        #[derive(Debug, Clone)]
        struct $name(usize);
        impl Provide for $name {
            type Needs = (Dep<Base>,);
            async fn provide((base,): Self::Needs) -> Result<Self, actix_web::Error> {
                Ok($name(base.into_inner().0))
            }
        }
    };
}
on_base!(A);
on_base!(B);
on_base!(C);

/// Uses three dependencies that all need `Base`.
#[api_operation(summary = "Three")]
async fn three(a: Dep<A>, b: Dep<B>, c: Dep<C>, probe: State<Probe>) -> Json<Value> {
    Json(
        json!({"seen": [a.into_inner().0, b.into_inner().0, c.into_inner().0], "runs": probe.base_runs.load(Ordering::SeqCst)}),
    )
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct RoleHeader {
    x_role: String,
}

#[derive(Debug, Clone)]
struct RequireAdmin;

impl Provide for RequireAdmin {
    type Needs = (Header<RoleHeader>,);
    const ERRORS: &'static [u16] = &[403];
    async fn provide((role,): Self::Needs) -> Result<Self, actix_web::Error> {
        match role.x_role.as_str() {
            "admin" => Ok(RequireAdmin),
            _ => Err(HttpError::forbidden("Admins only").into()),
        }
    }
}

/// Admin statistics.
#[api_operation(summary = "Stats")]
async fn stats() -> Json<Value> {
    Json(json!({"users": 1}))
}

/// Records the outcome of the request it is used in.
#[derive(Debug, Clone)]
struct Tracked;

impl Provide for Tracked {
    type Needs = (RequestScope, State<Probe>);
    async fn provide((scope, probe): Self::Needs) -> Result<Self, actix_web::Error> {
        let (on_finish, on_sent) = (probe.clone(), probe.clone());
        scope.on_finish(move |outcome| async move {
            on_finish.log(format!("finish {outcome:?}"));
            Ok(())
        });
        scope.defer(async move { on_sent.log("sent") });
        Ok(Tracked)
    }
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Fail {
    #[serde(default)]
    fail: bool,
    #[serde(default)]
    panic: bool,
}

/// Succeeds, fails or panics as asked.
#[api_operation(summary = "Tracked")]
async fn tracked(_t: Dep<Tracked>, q: Query<Fail>) -> Result<Json<&'static str>, HttpError> {
    if q.panic {
        panic!("asked to panic");
    }
    if q.fail {
        return Err(HttpError::conflict("asked to fail"));
    }
    Ok(Json("ok"))
}

/// Streams a body in pieces; cleanup must wait for the last one.
#[api_operation(summary = "Stream")]
async fn stream(_t: Dep<Tracked>, probe: State<Probe>) -> HttpResponse {
    let probe = probe.into_data();
    let chunks = futures_util::stream::iter(0..3).then(move |i| {
        let probe = probe.clone();
        async move {
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
            probe.log(format!("chunk {i}"));
            Ok::<_, actix_web::Error>(actix_web::web::Bytes::from(format!("{i}")))
        }
    });
    HttpResponse::Ok().streaming(chunks)
}

#[derive(Debug, Clone, PartialEq)]
struct Clock(u64);

impl Provide for Clock {
    type Needs = ();
    async fn provide(_: ()) -> Result<Self, actix_web::Error> {
        Ok(Clock(std::time::UNIX_EPOCH.elapsed().unwrap().as_secs()))
    }
}

/// The time.
#[api_operation(summary = "Now")]
async fn now(clock: Dep<Clock>) -> Json<u64> {
    Json(clock.into_inner().0)
}

#[derive(Debug, thiserror::Error)]
#[error("the shop is closed")]
struct Closed;
impl ResponseError for Closed {}

#[derive(Debug, Clone)]
struct OpenShop;

impl Provide for OpenShop {
    type Needs = ();
    async fn provide(_: ()) -> Result<Self, actix_web::Error> {
        Err(Closed.into())
    }
}

/// Buy something.
#[api_operation(summary = "Buy")]
async fn buy(_open: Dep<OpenShop>) -> Json<()> {
    Json(())
}

use futures_util::StreamExt;

fn app(probe: Arc<Probe>) -> App {
    let admin = Router::with_prefix("/admin")
        .depends::<RequireAdmin>()
        .get("/stats", stats);
    App::new("deps")
        .state_data(actix_web::web::Data::from(probe))
        .include(admin)
        .include(
            Router::new()
                .get("/three", three)
                .get("/tracked", tracked)
                .get("/stream", stream)
                .get("/now", now)
                .post("/buy", buy),
        )
        .exception_handler(|_: &Closed| {
            HttpResponse::ServiceUnavailable().json(json!({"detail": "Closed, come back later"}))
        })
}

async fn eventually(probe: &Probe, expected: &[&str]) {
    for _ in 0..100 {
        if probe.events() == expected {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(probe.events(), expected);
}

#[actix_web::test]
async fn a_dependency_used_by_three_others_runs_once_per_request() {
    let probe = Arc::new(Probe::default());
    let client = TestClient::new(app(probe.clone())).await;
    let res = client.get("/three").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({"seen": [1, 1, 1], "runs": 1}));
    // A new request resolves again.
    let res = client.get("/three").send().await;
    assert_eq!(res.json::<Value>(), json!({"seen": [2, 2, 2], "runs": 2}));
}

#[actix_web::test]
async fn a_router_dependency_protects_every_route_and_fails_like_a_parameter() {
    let client = TestClient::new(app(Arc::default())).await;
    let res = client.get("/admin/stats").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>()["detail"][0],
        json!({"type": "missing", "loc": ["header", "x-role"], "msg": "Field required", "input": null})
    );
    let res = client
        .get("/admin/stats")
        .header("x-role", "user")
        .send()
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>(), json!({"detail": "Admins only"}));
    let res = client
        .get("/admin/stats")
        .header("x-role", "admin")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({"users": 1}));
}

#[actix_web::test]
async fn dependencies_are_documented_on_the_routes_that_use_them() {
    let client = TestClient::new(app(Arc::default())).await;
    let doc: Value = client.get("/openapi.json").send().await.json();
    let stats = &doc["paths"]["/admin/stats"]["get"];
    assert_eq!(stats["parameters"][0]["name"], "x-role", "{stats}");
    assert_eq!(stats["parameters"][0]["in"], "header");
    assert!(stats["responses"]["403"]["content"].is_object(), "{stats}");
    assert!(stats["responses"]["422"].is_object());
    // Through a handler's own dependency, too; state is not a parameter.
    let three = &doc["paths"]["/three"]["get"];
    assert!(
        three.get("parameters").is_none_or(|p| p == &json!([])),
        "{three}"
    );
}

#[actix_web::test]
async fn cleanup_learns_the_outcome_and_deferred_work_runs_after_the_response() {
    let probe = Arc::new(Probe::default());
    let client = TestClient::new(app(probe.clone())).await;

    let res = client.get("/tracked").send().await;
    assert_eq!(res.status(), 200);
    eventually(&probe, &["finish Success", "sent"]).await;

    probe.events.lock().unwrap().clear();
    let res = client.get("/tracked?fail=true").send().await;
    assert_eq!(res.status(), 409);
    eventually(&probe, &["finish Failure", "sent"]).await;

    probe.events.lock().unwrap().clear();
    let res = client.get("/tracked?panic=true").send().await;
    assert_eq!(res.status(), 500);
    eventually(&probe, &["finish Failure", "sent"]).await;
}

#[actix_web::test]
async fn deferred_cleanup_does_not_cut_a_streamed_body_short() {
    let probe = Arc::new(Probe::default());
    let client = TestClient::new(app(probe.clone())).await;
    let res = client.get("/stream").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "012");
    eventually(
        &probe,
        &["finish Success", "chunk 0", "chunk 1", "chunk 2", "sent"],
    )
    .await;
}

#[actix_web::test]
async fn an_override_replaces_the_provider() {
    let real = TestClient::new(app(Arc::default())).await;
    assert!(real.get("/now").send().await.json::<u64>() > 1_000_000);
    let faked = app(Arc::default()).override_dependency(|_req| async { Ok(Clock(42)) });
    let client = TestClient::new(faked).await;
    assert_eq!(client.get("/now").send().await.json::<u64>(), 42);
}

#[actix_web::test]
async fn exception_handlers_see_a_dependency_s_own_error() {
    let client = TestClient::new(app(Arc::default())).await;
    let res = client.post("/buy").send().await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Closed, come back later"})
    );
}

#[derive(Debug)]
struct Missing;

#[derive(Debug, Clone)]
struct NeedsMissing;

impl Provide for NeedsMissing {
    type Needs = (State<Missing>,);
    async fn provide(_: Self::Needs) -> Result<Self, actix_web::Error> {
        Ok(NeedsMissing)
    }
}

#[derive(Debug, Clone)]
struct Outer;

impl Provide for Outer {
    type Needs = (Dep<NeedsMissing>,);
    async fn provide(_: Self::Needs) -> Result<Self, actix_web::Error> {
        Ok(Outer)
    }
}

/// Needs state nobody registered.
#[api_operation(summary = "Broken")]
async fn broken(_o: Dep<Outer>) -> Json<()> {
    Json(())
}

#[test]
fn missing_state_is_a_start_up_error_naming_route_type_and_chain() {
    let app = App::new("broken").include(Router::new().get("/broken", broken));
    let problem = app.check().unwrap_err();
    assert!(problem.contains("GET /broken"), "{problem}");
    assert!(problem.contains("Missing"), "{problem}");
    assert!(problem.contains("Outer -> NeedsMissing"), "{problem}");
    let fixed = app.state(Missing);
    assert_eq!(fixed.check(), Ok(()));
}

#[test]
fn outcome_is_public_and_comparable() {
    assert_ne!(Outcome::Success, Outcome::Failure);
}

#[actix_web::test]
async fn an_app_dependency_guards_every_route_but_the_probes_and_docs() {
    let app = App::new("guarded")
        .include(Router::new().get("/stats", stats))
        .depends::<RequireAdmin>();
    let client = TestClient::new(app).await;
    assert_eq!(
        client
            .get("/stats")
            .header("x-role", "user")
            .send()
            .await
            .status(),
        403
    );
    assert_eq!(
        client
            .get("/stats")
            .header("x-role", "admin")
            .send()
            .await
            .status(),
        200
    );
    assert_eq!(client.get("/healthz").send().await.status(), 200);
    assert_eq!(client.get("/openapi.json").send().await.status(), 200);
}
