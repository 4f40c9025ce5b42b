//! The gateway's proxy over real sockets: what reaches a service, what comes back,
//! and the gateway's own answers when a service is down or slow.

mod common;

use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use apiarist::gateway::Gateway;
use common::{client, closed_port, raw, service, start};
use futures_util::StreamExt;
use serde_json::{Value, json};

/// Answers with everything it received: method, path, query, headers, body.
async fn echo(req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let mut headers = serde_json::Map::new();
    for (name, value) in req.headers() {
        let values = headers
            .entry(name.as_str().to_owned())
            .or_insert_with(|| json!([]));
        values
            .as_array_mut()
            .unwrap()
            .push(json!(value.to_str().unwrap_or("<binary>")));
    }
    HttpResponse::Ok().json(json!({
        "method": req.method().as_str(),
        "path": req.path(),
        "query": req.query_string(),
        "headers": headers,
        "body_len": body.len(),
        "body": String::from_utf8_lossy(&body[..body.len().min(200)]),
    }))
}

/// A service's own error, with headers of its own.
async fn teapot() -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::IM_A_TEAPOT)
        .insert_header(("x-custom", "yes"))
        .append_header(("set-cookie", "a=1"))
        .append_header(("set-cookie", "b=2"))
        .insert_header(("keep-alive", "timeout=99"))
        .json(json!({"detail": "I'm a teapot"}))
}

/// 5 MiB in 64 KiB chunks, without a length.
async fn big() -> HttpResponse {
    let chunks = futures_util::stream::iter(
        (0..80).map(|_| Ok::<_, std::io::Error>(web::Bytes::from(vec![b'x'; 64 * 1024]))),
    );
    HttpResponse::Ok().streaming(chunks)
}

async fn slow() -> HttpResponse {
    actix_web::rt::time::sleep(Duration::from_secs(10)).await;
    HttpResponse::Ok().finish()
}

/// One chunk, then silence.
async fn stalling() -> HttpResponse {
    let first =
        futures_util::stream::once(async { Ok::<_, std::io::Error>(web::Bytes::from("{")) });
    let never = futures_util::stream::once(async {
        actix_web::rt::time::sleep(Duration::from_secs(30)).await;
        Ok::<_, std::io::Error>(web::Bytes::from("}"))
    });
    HttpResponse::Ok().streaming(first.chain(never))
}

fn upstream() -> common::Running {
    service(|cfg| {
        cfg.app_data(web::PayloadConfig::new(16 << 20))
            .route("/teapot", web::get().to(teapot))
            .route("/echo/big", web::get().to(big))
            .route("/echo/slow", web::get().to(slow))
            .route("/echo/stalling", web::get().to(stalling))
            .default_service(web::to(echo));
    })
}

/// `echo` behind `/echo` and `/teapot`, `other` behind `/echo/other`, a closed
/// port behind `/down`; a 1 s timeout.
fn gateway(echo: &common::Running, other: &common::Running) -> common::Running {
    start(
        Gateway::new("test")
            .service("echo", &echo.url, &["/echo", "/teapot"])
            .service("other", &other.url, &["/echo/other"])
            .service(
                "down",
                &format!("http://127.0.0.1:{}", closed_port()),
                &["/down"],
            )
            .timeout(Duration::from_secs(1)),
    )
}

fn header<'a>(echoed: &'a Value, name: &str) -> Vec<&'a str> {
    echoed["headers"][name]
        .as_array()
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[actix_web::test]
async fn a_request_reaches_its_service_whole_without_hop_by_hop_headers() {
    let (echo, other) = (upstream(), upstream());
    let gw = gateway(&echo, &other);
    let port = gw.port;
    let body = r#"{"name": "Engine"}"#;
    let head = format!(
        "POST /echo/items/?q=a%20b&n=1 HTTP/1.1\n\
         Host: shop.example:8000\n\
         Authorization: Bearer secret-token\n\
         Cookie: session=abc\n\
         Content-Type: application/json\n\
         Content-Length: {}\n\
         X-Request-Id: trace-123\n\
         X-Forwarded-For: 6.6.6.6\n\
         Connection: close, X-Hop\n\
         X-Hop: only for the gateway\n\
         Keep-Alive: timeout=5\n\
         TE: trailers\n\
         Proxy-Authorization: Basic Zm9vOmJhcg==\n\
         X-Custom: kept",
        body.len()
    );
    let res = web::block(move || raw(port, &head, body.as_bytes()))
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    assert_eq!(res.header("x-request-id"), Some("trace-123"));
    let seen = res.json();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/echo/items/");
    assert_eq!(seen["query"], "q=a%20b&n=1");
    assert_eq!(seen["body"], body);
    assert_eq!(header(&seen, "content-length"), [body.len().to_string()]);
    assert_eq!(header(&seen, "authorization"), ["Bearer secret-token"]);
    assert_eq!(header(&seen, "cookie"), ["session=abc"]);
    assert_eq!(header(&seen, "content-type"), ["application/json"]);
    assert_eq!(header(&seen, "x-custom"), ["kept"]);
    assert_eq!(header(&seen, "x-request-id"), ["trace-123"]);
    assert_eq!(
        header(&seen, "x-forwarded-for"),
        ["127.0.0.1"],
        "the client's claim is replaced"
    );
    assert_eq!(header(&seen, "x-forwarded-host"), ["shop.example:8000"]);
    assert_eq!(header(&seen, "x-forwarded-proto"), ["http"]);
    assert_eq!(
        header(&seen, "host"),
        [echo.url.trim_start_matches("http://")]
    );
    for hop in [
        "x-hop",
        "keep-alive",
        "te",
        "proxy-authorization",
        "transfer-encoding",
    ] {
        assert!(
            seen["headers"].get(hop).is_none(),
            "{hop} was forwarded: {seen}"
        );
    }
}

#[actix_web::test]
async fn a_request_without_an_id_gets_one_and_the_client_sees_it() {
    let (echo, other) = (upstream(), upstream());
    let gw = gateway(&echo, &other);
    let mut res = client()
        .get(format!("{}/echo", gw.url))
        .send()
        .await
        .unwrap();
    let id = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let seen: Value = res.json().await.unwrap();
    assert!(!id.is_empty());
    assert_eq!(header(&seen, "x-request-id"), [id.as_str()]);
}

#[actix_web::test]
async fn the_longest_prefix_wins() {
    let (echo, other) = (upstream(), upstream());
    let gw = gateway(&echo, &other);
    let mut res = client()
        .get(format!("{}/echo/other/x", gw.url))
        .send()
        .await
        .unwrap();
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["path"], "/echo/other/x");
    assert_eq!(
        header(&seen, "host"),
        [other.url.trim_start_matches("http://")]
    );
}

#[actix_web::test]
async fn the_service_answer_passes_through_status_headers_and_body() {
    let (echo, other) = (upstream(), upstream());
    let gw = gateway(&echo, &other);
    let mut res = client()
        .get(format!("{}/teapot", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 418);
    assert_eq!(res.headers().get("x-custom").unwrap(), "yes");
    let cookies: Vec<_> = res.headers().get_all("set-cookie").collect();
    assert_eq!(cookies.len(), 2, "both cookies");
    assert!(
        res.headers().get("keep-alive").is_none(),
        "hop-by-hop, dropped"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"detail": "I'm a teapot"}));
}

#[actix_web::test]
async fn bodies_stream_both_ways() {
    let (echo, other) = (upstream(), upstream());
    let gw = gateway(&echo, &other);
    // Up, chunked (no length): the service gets it chunked.
    let upload = futures_util::stream::iter(
        (0..48).map(|_| Ok::<_, std::io::Error>(web::Bytes::from(vec![b'u'; 64 * 1024]))),
    );
    let mut res = client()
        .post(format!("{}/echo/upload", gw.url))
        .send_stream(upload)
        .await
        .unwrap();
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["body_len"], 48 * 64 * 1024);
    assert_eq!(header(&seen, "transfer-encoding"), ["chunked"]);
    // Down: 5 MiB with no length, streamed through.
    let mut res = client()
        .get(format!("{}/echo/big", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.body().limit(16 << 20).await.unwrap();
    assert_eq!(body.len(), 80 * 64 * 1024);
}

#[actix_web::test]
async fn a_service_that_is_down_is_a_502_naming_it() {
    let (echo, other) = (upstream(), upstream());
    let gw = gateway(&echo, &other);
    let mut res = client()
        .get(format!("{}/down/x", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    assert!(res.headers().get("x-request-id").is_some());
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"detail": "down service unavailable", "service": "down"})
    );
}

#[actix_web::test]
async fn a_slow_service_is_a_504_naming_it_in_time() {
    let (echo, other) = (upstream(), upstream());
    let gw = gateway(&echo, &other);
    let started = Instant::now();
    let mut res = client()
        .get(format!("{}/echo/slow", gw.url))
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(res.status(), 504);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"detail": "echo service timed out after 1s", "service": "echo"})
    );
}

#[actix_web::test]
async fn a_stalling_response_body_is_cut_instead_of_hanging() {
    let (echo, other) = (upstream(), upstream());
    let gw = gateway(&echo, &other);
    let port = gw.port;
    let started = Instant::now();
    let res = web::block(move || raw(port, "GET /echo/stalling HTTP/1.1\nHost: gw", b""))
        .await
        .unwrap();
    assert_eq!(res.status, 200, "the head came in time");
    assert_eq!(res.header("transfer-encoding"), Some("chunked"));
    let body = String::from_utf8_lossy(&res.body);
    assert!(body.contains('{'), "the first chunk came through: {body:?}");
    assert!(
        !body.ends_with("0\r\n\r\n"),
        "cut, without the last chunk: {body:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn paths_nobody_owns_are_a_json_404_and_own_routes_take_only_get() {
    let (echo, other) = (upstream(), upstream());
    let gw = gateway(&echo, &other);
    let mut res = client()
        .get(format!("{}/nowhere", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"detail": "Not Found"})
    );
    let mut res = client()
        .get(format!("{}/echoes", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "whole segments only");
    let _ = res.body().await;
    let mut res = client()
        .post(format!("{}/healthz", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(
        res.json::<Value>().await.unwrap()["detail"],
        "Method Not Allowed"
    );
    let mut res = client()
        .get(format!("{}/healthz", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"status": "ok"}));
}
