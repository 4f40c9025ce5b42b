//! The client against real actix servers on loopback sockets: typed answers, the
//! request id and token sent along, and every failure rendered as the caller's JSON.

use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{CallContext, ClientError, ServiceClient, ServiceRole, ServiceToken};
use crate::{
    App, Dep, Router,
    auth::{Auth, KeyRing, LoginThrottle, SigningKey, ThrottleConfig, TokenConfig},
    prelude::*,
    security::RequireRole,
    testing::TestClient,
};

/// Serves an actix app factory on a free loopback port; its base URL.
macro_rules! serve {
    ($factory:expr) => {{
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = actix_web::HttpServer::new($factory)
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
        actix_rt::spawn(server);
        format!("http://127.0.0.1:{port}")
    }};
}

/// A base URL where nothing listens: a port that was free a moment ago.
fn unbound_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
}

fn header(req: &HttpRequest, name: &str) -> Value {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map_or(Value::Null, Value::from)
}

async fn echo(req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    HttpResponse::Ok().json(json!({
        "method": req.method().as_str(),
        "request_id": header(&req, "x-request-id"),
        "authorization": header(&req, "authorization"),
        "body": body,
    }))
}

/// The other service of these tests, answering each way a service can.
fn upstream() -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    actix_web::App::new()
        .route("/echo", web::to(echo))
        .route("/gone", web::delete().to(HttpResponse::NoContent))
        .route(
            "/missing",
            web::get().to(|| async {
                HttpResponse::NotFound().json(json!({"detail": "Item 7 not found"}))
            }),
        )
        .route(
            "/short",
            web::get().to(|| async {
                HttpResponse::Conflict().json(json!({"detail": "only 3 left", "available": 3}))
            }),
        )
        .route(
            "/boom",
            web::get().to(|| async { HttpResponse::InternalServerError().body("stack trace") }),
        )
        .route(
            "/locked",
            web::get().to(|| async {
                HttpResponse::Unauthorized().json(json!({"detail": "Not authenticated"}))
            }),
        )
        .route(
            "/busy",
            web::get().to(|| async {
                HttpResponse::ServiceUnavailable()
                    .insert_header(("retry-after", "7"))
                    .json(json!({"detail": {"status": "unavailable"}}))
            }),
        )
        .route(
            "/garbage",
            web::get().to(|| async { HttpResponse::Ok().body("not json") }),
        )
        .route(
            "/slow",
            web::get().to(|| async {
                actix_rt::time::sleep(Duration::from_secs(3)).await;
                HttpResponse::Ok().json(json!({"method": "GET"}))
            }),
        )
}

#[derive(Debug, Deserialize)]
struct Echo {
    method: String,
    request_id: Option<String>,
    authorization: Option<String>,
    body: Value,
}

fn rendered(error: &ClientError) -> (u16, Value) {
    let http = error.to_http_error();
    (http.status().as_u16(), json!({"detail": http.detail()}))
}

#[actix_rt::test]
async fn client_sends_typed_json_with_the_request_id_and_bearer_token() {
    let base = serve!(upstream);
    let client = ServiceClient::new("things", &base).with_bearer("t0k3n");
    let ctx = CallContext::with_request_id("req-42");
    let answer: Echo = client
        .in_context(&ctx)
        .post("/echo", &json!({"quantity": 2}))
        .await
        .unwrap();
    assert_eq!(answer.method, "POST");
    assert_eq!(answer.request_id.as_deref(), Some("req-42"));
    assert_eq!(answer.authorization.as_deref(), Some("Bearer t0k3n"));
    assert_eq!(answer.body, json!({"quantity": 2}));

    let answer: Echo = client.put("/echo", &json!([1])).await.unwrap();
    assert_eq!((answer.method.as_str(), answer.request_id), ("PUT", None));
    let answer: Echo = client.patch("/echo", &json!({})).await.unwrap();
    assert_eq!(answer.method, "PATCH");
    let answer: Echo = client.get("/echo").await.unwrap();
    assert_eq!((answer.method.as_str(), answer.body), ("GET", Value::Null));
    let nothing: () = client.delete("/gone").await.unwrap();
    assert_eq!(nothing, ());
}

#[actix_rt::test]
async fn client_keeps_the_other_service_s_4xx_and_its_body() {
    let client = ServiceClient::new("things", serve!(upstream));
    let err = client.get::<Echo>("/missing").await.unwrap_err();
    assert_eq!(err.upstream_status().map(|s| s.as_u16()), Some(404));
    assert_eq!(rendered(&err), (404, json!({"detail": "Item 7 not found"})));

    let err = client.get::<Echo>("/short").await.unwrap_err();
    assert_eq!(rendered(&err), (409, json!({"detail": "only 3 left"})));
    assert_eq!(err.body().unwrap()["available"], 3);
    assert!(!err.outcome_unknown());
}

#[actix_rt::test]
async fn client_maps_an_unreachable_service_to_502_naming_it() {
    let client = ServiceClient::new("things", unbound_url());
    let err = client.get::<Echo>("/echo").await.unwrap_err();
    assert!(matches!(err, ClientError::Unavailable { .. }), "{err:?}");
    assert_eq!(
        rendered(&err),
        (502, json!({"detail": "things service unavailable"}))
    );
    assert!(!err.outcome_unknown(), "nothing reached the other side");
}

#[actix_rt::test]
async fn client_times_out_with_504_naming_the_service() {
    let client =
        ServiceClient::new("things", serve!(upstream)).with_timeout(Duration::from_millis(200));
    let started = Instant::now();
    let err = client.get::<Echo>("/slow").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "it did not wait"
    );
    assert_eq!(
        rendered(&err),
        (
            504,
            json!({"detail": "things service timed out after 200ms"})
        )
    );
    assert!(err.outcome_unknown());
}

#[actix_rt::test]
async fn client_maps_server_errors_refusals_and_garbage_to_gateway_errors() {
    let client = ServiceClient::new("things", serve!(upstream));
    let err = client.get::<Echo>("/boom").await.unwrap_err();
    assert_eq!(err.body(), Some(&json!("stack trace")));
    assert_eq!(
        rendered(&err),
        (502, json!({"detail": "things service failed"}))
    );
    let err = client.get::<Echo>("/locked").await.unwrap_err();
    assert_eq!(
        rendered(&err),
        (502, json!({"detail": "things service refused the call"}))
    );
    let err = client.get::<Echo>("/garbage").await.unwrap_err();
    assert!(matches!(err, ClientError::Decode { .. }), "{err:?}");
    assert_eq!(
        rendered(&err),
        (
            502,
            json!({"detail": "things service sent an invalid response"})
        )
    );
    let err = client.get::<Echo>("/busy").await.unwrap_err();
    let http = err.to_http_error();
    assert_eq!(
        (http.status().as_u16(), http.detail()),
        (503, &json!("things service unavailable"))
    );
    assert_eq!(http.headers()[0].1, "7", "Retry-After is passed on");
}

/// A route of an apiarist app calling the other service.
#[api_operation(summary = "Relay", error_code = 502, error_code = 504)]
async fn relay(
    ctx: CallContext,
    things: crate::State<ServiceClient>,
) -> Result<Json<Value>, ClientError> {
    Ok(Json(things.in_context(&ctx).get("/slow").await?))
}

#[actix_rt::test]
async fn client_errors_answer_as_json_through_an_app() {
    let app = |things: ServiceClient| {
        App::new("caller")
            .state(things)
            .include(Router::new().get("/relay", relay))
    };
    let down = TestClient::new(app(ServiceClient::new("things", unbound_url()))).await;
    let res = down.get("/relay").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (502, json!({"detail": "things service unavailable"}))
    );
    let slow =
        ServiceClient::new("things", serve!(upstream)).with_timeout(Duration::from_millis(100));
    let slow = TestClient::new(app(slow)).await;
    let res = slow.get("/relay").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (
            504,
            json!({"detail": "things service timed out after 100ms"})
        )
    );
    let doc = slow.get("/openapi.json").send().await.json::<Value>();
    let responses = &doc["paths"]["/relay"]["get"]["responses"];
    assert!(
        responses["502"].is_object() && responses["504"].is_object(),
        "{responses}"
    );
}

fn auth() -> Auth {
    let key = SigningKey::hs256(b"the client tests' shared secret!!").unwrap();
    let ring = KeyRing::new(key, TokenConfig::default());
    Auth::start(ring, LoginThrottle::new(ThrottleConfig::default()))
}

/// Only other services may ask.
#[api_operation(summary = "Who calls")]
async fn who(caller: Dep<RequireRole<ServiceRole>>) -> Json<Value> {
    Json(json!({"caller": caller.0.sub}))
}

#[actix_rt::test]
async fn client_service_tokens_open_routes_that_require_the_service_role() {
    let auth = auth();
    let internal = App::new("internal").state(auth.clone()).include(
        Router::with_prefix("/internal")
            .depends::<RequireRole<ServiceRole>>()
            .get("/who", who),
    );
    let base = serve!(move || internal.clone().into_actix());

    let anonymous = ServiceClient::new("internal", &base);
    let err = anonymous.get::<Value>("/internal/who").await.unwrap_err();
    assert_eq!(err.upstream_status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.detail(), Some(&json!("Not authenticated")));

    let user = auth.issue("alice", Vec::<String>::new()).await.unwrap();
    let as_user = anonymous.clone().with_bearer(user);
    let err = as_user.get::<Value>("/internal/who").await.unwrap_err();
    assert_eq!(err.upstream_status().map(|s| s.as_u16()), Some(403));
    assert_eq!(
        rendered(&err),
        (502, json!({"detail": "internal service refused the call"}))
    );

    let token = ServiceToken::new("orders", auth.clone());
    let as_service = anonymous.with_service_token(token.clone());
    let answer: Value = as_service.get("/internal/who").await.unwrap();
    assert_eq!(answer, json!({"caller": "service:orders"}));
    assert_eq!(
        token.token().await.unwrap(),
        token.token().await.unwrap(),
        "the token is signed once and reused"
    );
}

#[actix_rt::test]
async fn client_context_comes_from_the_request_id_the_middleware_assigned() {
    /// The context a handler sees.
    #[api_operation(summary = "Context")]
    async fn context(ctx: CallContext) -> Json<Option<String>> {
        Json(ctx.request_id().map(str::to_owned))
    }
    let client = TestClient::new(App::new("ctx").include(Router::new().get("/ctx", context))).await;
    let res = client
        .get("/ctx")
        .header("x-request-id", "abc-123")
        .send()
        .await;
    assert_eq!(res.json::<Value>(), json!("abc-123"));
    let res = client.get("/ctx").send().await;
    let assigned = res.header("x-request-id").unwrap().to_owned();
    assert_eq!(res.json::<Value>(), json!(assigned));
}
