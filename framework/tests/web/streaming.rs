//! Server-Sent Events and chunked responses over real connections, and the order
//! of a dependency's cleanup and a stream's end.

use std::{
    rc::Rc,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use apiarist::{
    Dep, Provide, RequestScope, State,
    prelude::*,
    stream::{Event, JsonLines, LastEventId, Sse, StreamingResponse},
    testing::TestServer,
};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};
use tokio::sync::broadcast;

#[derive(Debug, Clone, Serialize, JsonSchema)]
struct Status {
    order_id: u32,
    status: String,
}

/// Where the test feeds events from.
#[derive(Debug)]
struct Feed(broadcast::Sender<u32>);

/// Order status changes, as they happen, after the client's `Last-Event-ID`.
#[api_operation(summary = "Order events")]
async fn events(feed: State<Feed>, last: LastEventId) -> Sse<Status> {
    let after: u32 = last.as_deref().and_then(|id| id.parse().ok()).unwrap_or(0);
    let updates = stream::unfold(feed.0.subscribe(), |mut rx| async move {
        rx.recv().await.ok().map(|n| (n, rx))
    });
    let events = updates
        .filter(move |n| std::future::ready(*n > after))
        .map(|n| {
            let status = Status {
                order_id: n,
                status: "confirmed".into(),
            };
            Event::new(status).event("status").id(n.to_string())
        });
    Sse::new(events).keep_alive(Some(Duration::from_millis(100)))
}

/// A resource that the stream reads until it ends: `defer` closes it.
#[derive(Debug, Clone)]
struct Cursor {
    open: Rc<AtomicBool>,
    closed_total: Arc<AtomicUsize>,
}

#[derive(Debug, Default)]
struct Closed(Arc<AtomicUsize>);

impl Provide for Cursor {
    type Needs = (State<Closed>, RequestScope);

    async fn provide((closed, scope): Self::Needs) -> Result<Self, actix_web::Error> {
        let cursor = Cursor {
            open: Rc::new(AtomicBool::new(true)),
            closed_total: closed.0.clone(),
        };
        let held = cursor.clone();
        scope.defer(async move {
            held.open.store(false, Ordering::SeqCst);
            held.closed_total.fetch_add(1, Ordering::SeqCst);
        });
        Ok(cursor)
    }
}

#[derive(Debug, Serialize, JsonSchema)]
struct Row {
    n: u32,
    cursor_open: bool,
}

/// Rows read slowly through the request's cursor.
#[api_operation(summary = "Rows")]
async fn rows(cursor: Dep<Cursor>) -> JsonLines<Row> {
    let cursor = cursor.into_inner();
    JsonLines::new(stream::iter(1..=5).then(move |n| {
        let cursor = cursor.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            Row {
                n,
                cursor_open: cursor.open.load(Ordering::SeqCst),
            }
        }
    }))
}

/// A CSV report, chunk by chunk.
#[api_operation(summary = "Report", produces = "text/csv")]
async fn report() -> StreamingResponse {
    let lines = (1..=3).map(|n| Ok::<_, std::io::Error>(format!("{n},{}\n", n * n)));
    StreamingResponse::new(stream::iter(lines)).content_type("text/csv")
}

fn app(feed: broadcast::Sender<u32>, closed: Arc<AtomicUsize>) -> App {
    App::new("streams")
        .state(Feed(feed))
        .state(Closed(closed))
        .include(
            Router::new()
                .get("/orders/events", events)
                .get("/rows", rows)
                .get("/report.csv", report),
        )
}

#[actix_web::test]
async fn events_arrive_as_they_happen_typed_named_and_numbered() {
    let (feed, _) = broadcast::channel(16);
    let server = TestServer::start(app(feed.clone(), Arc::default())).await;
    let mut events = server.sse("/orders/events", &[]).await;
    assert_eq!(events.status(), 200);
    assert_eq!(events.header("content-type"), Some("text/event-stream"));
    assert_eq!(events.header("cache-control"), Some("no-cache"));
    for n in 1..=3 {
        // Each event is on the wire before the next one exists.
        while feed.send(n).is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let event = events.next_event().await;
        assert_eq!(event.event.as_deref(), Some("status"));
        assert_eq!(event.id, Some(n.to_string()));
        assert_eq!(event.data, json!({"order_id": n, "status": "confirmed"}));
    }
}

#[actix_web::test]
async fn a_reconnecting_client_resumes_after_its_last_event_id() {
    let (feed, _) = broadcast::channel(16);
    let server = TestServer::start(app(feed.clone(), Arc::default())).await;
    let mut events = server
        .sse("/orders/events", &[("Last-Event-ID", "2")])
        .await;
    for n in 1..=4 {
        while feed.send(n).is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let mut ids = Vec::new();
    while ids.len() < 2 {
        ids.push(events.next_event().await.id.unwrap());
    }
    assert_eq!(ids, ["3", "4"]);
}

#[actix_web::test]
async fn a_quiet_stream_sends_keep_alive_comments() {
    let (feed, _) = broadcast::channel(16);
    let server = TestServer::start(app(feed, Arc::default())).await;
    let mut events = server.sse("/orders/events", &[]).await;
    let started = std::time::Instant::now();
    assert_eq!(events.next_block().await, ": keep-alive");
    assert_eq!(events.next_block().await, ": keep-alive");
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[actix_web::test]
async fn a_dependency_cleanup_waits_for_the_stream_to_end() {
    let closed = Arc::new(AtomicUsize::new(0));
    let (feed, _) = broadcast::channel(1);
    let server = TestServer::start(app(feed, closed.clone())).await;
    let mut response = awc::Client::new()
        .get(server.url("/rows"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/x-ndjson"
    );
    assert_eq!(
        response.headers().get("transfer-encoding").unwrap(),
        "chunked"
    );
    let body = response.body().await.unwrap();
    let rows: Vec<Value> = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5, "the stream was cut short: {rows:?}");
    assert!(
        rows.iter().all(|r| r["cursor_open"] == true),
        "the cursor closed under the stream: {rows:?}"
    );
    // ... and it is closed once the stream is done.
    for _ in 0..50 {
        if closed.load(Ordering::SeqCst) == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the deferred cleanup never ran");
}

#[actix_web::test]
async fn a_client_that_leaves_mid_stream_still_gets_the_cleanup() {
    let closed = Arc::new(AtomicUsize::new(0));
    let (feed, _) = broadcast::channel(1);
    let server = TestServer::start(app(feed, closed.clone())).await;
    let response = awc::Client::new()
        .get(server.url("/rows"))
        .send()
        .await
        .unwrap();
    let mut body = response;
    let first = tokio::time::timeout(Duration::from_secs(5), body.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(first.starts_with(b"{\"n\":1"));
    drop(body);
    for _ in 0..100 {
        if closed.load(Ordering::SeqCst) == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the deferred cleanup never ran after the client left");
}

#[actix_web::test]
async fn a_streaming_response_is_sent_chunked_with_its_content_type() {
    let (feed, _) = broadcast::channel(1);
    let server = TestServer::start(app(feed, Arc::default())).await;
    let mut response = awc::Client::new()
        .get(server.url("/report.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("content-type").unwrap(), "text/csv");
    assert_eq!(
        response.headers().get("transfer-encoding").unwrap(),
        "chunked"
    );
    assert_eq!(response.body().await.unwrap(), "1,1\n2,4\n3,9\n");
}

#[actix_web::test]
async fn streams_are_documented_with_their_media_types() {
    let (feed, _) = broadcast::channel(1);
    let doc = app(feed, Arc::default()).openapi();
    let sse = &doc["paths"]["/orders/events"]["get"];
    let content = &sse["responses"]["200"]["content"]["text/event-stream"];
    assert_eq!(content["schema"]["required"], json!(["order_id", "status"]));
    assert_eq!(sse["parameters"][0]["name"], "Last-Event-ID");
    assert_eq!(sse["parameters"][0]["in"], "header");
    assert_eq!(sse["parameters"][0]["required"], false);
    let rows = &doc["paths"]["/rows"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        rows["application/x-ndjson"]["schema"]["properties"]["n"]["type"],
        "integer"
    );
    let csv = &doc["paths"]["/report.csv"]["get"]["responses"]["200"]["content"];
    assert_eq!(csv["text/csv"]["schema"]["type"], "string");
}
