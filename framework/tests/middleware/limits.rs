//! Body limits (declared, chunked over a real socket, bodies read whole) and
//! timeouts that really cancel the handler.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use apiarist::{
    App, Router,
    middleware::{BodyLimit, Timeout},
    prelude::*,
    testing::TestClient,
    testing::TestServer,
};
use futures_util::stream;
use serde_json::{Value, json};

use super::support::{note, note_of};

fn detail(limit: usize) -> Value {
    json!({"detail": format!("Request body is larger than the limit of {limit} bytes")})
}

#[actix_web::test]
async fn a_declared_body_over_the_limit_is_413_naming_the_limit() {
    let app = App::new("t")
        .middleware(BodyLimit::new(1000))
        .include(Router::new().post("/notes", note))
        .include(
            Router::with_prefix("/small")
                .middleware(BodyLimit::new(100))
                .post("/notes", note),
        );
    let client = TestClient::new(app).await;
    let res = client.post("/notes").json(&note_of(500)).send().await;
    assert_eq!(res.status(), 200);
    let res = client.post("/notes").json(&note_of(2000)).send().await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.json::<Value>(), detail(1000));

    // The router's smaller limit applies under the app's.
    let res = client.post("/small/notes").json(&note_of(500)).send().await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.json::<Value>(), detail(100));
}

#[actix_web::test]
async fn a_routers_limit_also_raises_the_limit_for_bodies_read_whole() {
    let app = App::new("t")
        .body_limit(1000)
        .include(Router::new().post("/notes", note))
        .include(
            Router::with_prefix("/big")
                .middleware(BodyLimit::new(10_000))
                .post("/notes", note),
        );
    let client = TestClient::new(app).await;
    // The app's default for bodies read whole: the same 413, naming its limit.
    let res = client.post("/notes").json(&note_of(2000)).send().await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.json::<Value>(), detail(1000));
    let res = client.post("/big/notes").json(&note_of(5000)).send().await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.json::<usize>(), 5000);
}

#[actix_web::test]
async fn a_chunked_body_is_counted_as_it_streams_and_refused_at_the_limit() {
    let app = App::new("t")
        .middleware(BodyLimit::new(1000))
        .include(Router::new().post("/notes", note));
    let server = TestServer::start(app).await;
    let client = awc::Client::default();
    // No Content-Length: the body arrives in pieces, 3000 bytes in all.
    let body = serde_json::to_vec(&note_of(3000)).unwrap();
    let chunks: Vec<Result<actix_web::web::Bytes, actix_web::Error>> = body
        .chunks(300)
        .map(|c| Ok(actix_web::web::Bytes::copy_from_slice(c)))
        .collect();
    let mut res = client
        .post(server.url("/notes"))
        .content_type("application/json")
        .send_stream(stream::iter(chunks))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, detail(1000));

    let mut res = client
        .post(server.url("/notes"))
        .send_json(&note_of(100))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<usize>().await.unwrap(), 100);
}

static STARTED: AtomicBool = AtomicBool::new(false);
static FINISHED: AtomicBool = AtomicBool::new(false);
static DROPPED: AtomicBool = AtomicBool::new(false);

/// Marks the handler's future as dropped.
struct DropFlag;
impl Drop for DropFlag {
    fn drop(&mut self) {
        DROPPED.store(true, Ordering::SeqCst);
    }
}

/// Takes half a second.
#[api_operation(summary = "Slow")]
async fn slow() -> Json<&'static str> {
    let _flag = DropFlag;
    STARTED.store(true, Ordering::SeqCst);
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    FINISHED.store(true, Ordering::SeqCst);
    Json("done")
}

/// Answers at once.
#[api_operation(summary = "Quick")]
async fn quick() -> Json<&'static str> {
    Json("quick")
}

#[actix_web::test]
async fn a_timeout_answers_504_and_cancels_the_handler() {
    let app = App::new("t")
        .middleware(Timeout::new(Duration::from_millis(100)))
        .include(Router::new().get("/slow", slow).get("/quick", quick));
    let client = TestClient::new(app).await;
    let started = std::time::Instant::now();
    let res = client.get("/slow").send().await;
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(res.status(), 504);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Request timed out after 100 ms"})
    );
    assert!(res.header("x-request-id").is_some());
    assert!(STARTED.load(Ordering::SeqCst));
    assert!(
        DROPPED.load(Ordering::SeqCst),
        "the handler's future was dropped"
    );
    // Well past the handler's own half second: its work never finished.
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    assert!(!FINISHED.load(Ordering::SeqCst), "the work was cancelled");

    assert_eq!(client.get("/quick").send().await.status(), 200);
}

#[actix_web::test]
async fn limits_are_documented_on_the_routes_they_cover() {
    let app = App::new("t")
        .middleware(Timeout::new(Duration::from_secs(1)))
        .include(
            Router::with_prefix("/up")
                .middleware(BodyLimit::new(10))
                .post("/notes", note),
        )
        .include(Router::new().get("/quick", quick));
    let doc = app.openapi();
    let up = &doc["paths"]["/up/notes"]["post"]["responses"];
    assert!(up["413"].is_object(), "{up}");
    assert!(up["504"].is_object(), "{up}");
    let quick = &doc["paths"]["/quick"]["get"]["responses"];
    assert!(quick["504"].is_object(), "{quick}");
    assert!(quick.get("413").is_none(), "{quick}");
}
