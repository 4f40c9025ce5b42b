//! Request ids: echoed on every response, the client's kept when sane, and the same
//! id seen by the handler, its dependencies and code it calls after an `.await`.

use std::time::Duration;

use apiarist::{
    RequestId,
    prelude::*,
    testing::{CapturedLogs, TestClient},
};
use serde_json::{Value, json};

/// The id the handler sees, as a parameter and as the current one.
#[api_operation(summary = "Which request")]
async fn which(id: RequestId) -> Json<Value> {
    let current = RequestId::current().map(|id| id.as_str().to_owned());
    Json(json!({"param": id.as_str(), "current": current}))
}

/// The current id after the handler has waited: another request may have been
/// polled on this thread in between.
#[api_operation(summary = "Slow")]
async fn slow() -> Json<Value> {
    actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    Json(json!({"current": RequestId::current().map(|id| id.as_str().to_owned())}))
}

/// Fails.
#[api_operation(summary = "Boom")]
async fn boom() -> Json<Value> {
    panic!("the handler gave up")
}

async fn client() -> TestClient {
    TestClient::new(
        App::new("ids").include(
            Router::new()
                .get("/which", which)
                .get("/slow", slow)
                .get("/boom", boom),
        ),
    )
    .await
}

fn is_fresh(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[actix_web::test]
async fn a_fresh_id_is_echoed_and_is_the_one_the_handler_sees() {
    let client = client().await;
    let first = client.get("/which").send().await;
    let id = first
        .header("x-request-id")
        .expect("an id is echoed")
        .to_owned();
    assert!(is_fresh(&id), "{id}");
    assert_eq!(first.json::<Value>(), json!({"param": id, "current": id}));
    let second = client.get("/which").send().await;
    assert_ne!(second.header("x-request-id"), Some(id.as_str()));
}

#[actix_web::test]
async fn a_sane_client_id_is_kept_and_any_other_replaced() {
    let client = client().await;
    let res = client
        .get("/which")
        .header("x-request-id", "req-42.a:b_C")
        .send()
        .await;
    assert_eq!(res.header("x-request-id"), Some("req-42.a:b_C"));
    assert_eq!(
        res.json::<Value>(),
        json!({"param": "req-42.a:b_C", "current": "req-42.a:b_C"})
    );
    for bad in ["has space", "semi;colon", &"a".repeat(129)] {
        let res = client
            .get("/which")
            .header("x-request-id", bad)
            .send()
            .await;
        let id = res.header("x-request-id").unwrap().to_owned();
        assert!(is_fresh(&id), "{bad:?} gave {id}");
        assert_eq!(res.json::<Value>()["param"], json!(id));
    }
}

#[actix_web::test]
async fn requests_interleaved_on_one_thread_each_keep_their_id() {
    let client = client().await;
    let (a, b) = futures_util::join!(
        client.get("/slow").header("x-request-id", "first").send(),
        client.get("/slow").header("x-request-id", "second").send(),
    );
    assert_eq!(a.json::<Value>(), json!({"current": "first"}));
    assert_eq!(b.json::<Value>(), json!({"current": "second"}));
    // Outside a request there is none.
    assert_eq!(RequestId::current(), None);
}

#[actix_web::test]
async fn an_unknown_path_and_a_wrong_method_echo_an_id_too() {
    let client = client().await;
    let res = client
        .get("/nowhere")
        .header("x-request-id", "lost-1")
        .send()
        .await;
    assert_eq!(
        (res.status(), res.header("x-request-id")),
        (404, Some("lost-1"))
    );
    assert_eq!(res.json::<Value>(), json!({"detail": "Not Found"}));
    let res = client.delete("/which").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (405, json!({"detail": "Method Not Allowed"}))
    );
    assert!(is_fresh(res.header("x-request-id").unwrap()));
}

#[actix_web::test]
async fn a_panic_is_logged_with_its_request_id_and_a_backtrace() {
    // At the warn level, the request spans are disabled (as in the benchmarks and
    // most production set-ups): the id must come from the panic hook itself.
    let logs = CapturedLogs::start(tracing::Level::WARN);
    let client = client().await;
    let res = client
        .get("/boom")
        .header("x-request-id", "boom-7")
        .send()
        .await;
    assert_eq!(
        (res.status(), res.header("x-request-id")),
        (500, Some("boom-7"))
    );
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Internal Server Error"})
    );
    let log = logs.text();
    assert!(log.contains("handler panicked"), "{log}");
    assert!(log.contains("the handler gave up"), "{log}");
    assert!(log.contains("request_id=\"boom-7\""), "{log}");
    assert!(
        log.contains("stack backtrace") || log.contains("::boom"),
        "{log}"
    );
}
