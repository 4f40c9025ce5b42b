//! Compression: brotli and gzip bodies that decode to the original, and what is
//! left alone (small bodies, unaccepted encodings, event streams, other routers).

use std::io::Read;

use actix_web::HttpResponse;
use apiarist::{App, Router, middleware::Compression, prelude::*, testing::TestClient};
use serde_json::Value;

use super::support::{big, hello};

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli_decompressor::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Events.
#[api_operation(summary = "Events")]
async fn events() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .body("data: tick\n\n".repeat(100))
}

/// A large body, sent as a stream.
#[api_operation(summary = "Export")]
async fn export() -> HttpResponse {
    let rows = (0..2000).map(|i| {
        Ok::<_, actix_web::Error>(actix_web::web::Bytes::from(format!("{{\"row\":{i}}}\n")))
    });
    HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(futures_util::stream::iter(rows))
}

/// A body over the size compressed in place (105 KB).
#[api_operation(summary = "Huge")]
async fn huge() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain")
        .body("all work and no play\n".repeat(5000))
}

async fn client() -> TestClient {
    let app = App::new("t").middleware(Compression::default()).include(
        Router::new()
            .get("/big", big)
            .get("/hello", hello)
            .get("/events", events)
            .get("/export", export)
            .get("/huge", huge),
    );
    TestClient::new(app).await
}

#[actix_web::test]
async fn gzip_and_brotli_bodies_decode_to_the_original() {
    let client = client().await;
    let plain = client.get("/big").send().await;
    assert_eq!(plain.header("content-encoding"), None, "no Accept-Encoding");
    let original: Value = plain.json();

    let res = client
        .get("/big")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert!(
        res.header("vary")
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    assert!(res.bytes().len() < plain.bytes().len() / 3, "compressed");
    assert_eq!(
        serde_json::from_slice::<Value>(&gunzip(res.bytes())).unwrap(),
        original
    );

    let res = client
        .get("/big")
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await;
    assert_eq!(
        res.header("content-encoding"),
        Some("br"),
        "brotli preferred"
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&unbrotli(res.bytes())).unwrap(),
        original
    );

    let res = client
        .get("/big")
        .header("accept-encoding", "br;q=0.2, gzip;q=0.8")
        .send()
        .await;
    assert_eq!(
        res.header("content-encoding"),
        Some("gzip"),
        "the client's preference"
    );
}

#[actix_web::test]
async fn streams_and_large_bodies_are_compressed_as_they_go() {
    let client = client().await;
    let res = client
        .get("/export")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    let text = String::from_utf8(gunzip(res.bytes())).unwrap();
    assert_eq!(text.lines().count(), 2000);
    assert_eq!(text.lines().last(), Some("{\"row\":1999}"));

    let res = client
        .get("/huge")
        .header("accept-encoding", "br")
        .send()
        .await;
    assert_eq!(res.header("content-encoding"), Some("br"));
    assert!(res.bytes().len() < 10_000);
    assert_eq!(unbrotli(res.bytes()).len(), 105_000);
}

#[actix_web::test]
async fn small_bodies_other_encodings_and_event_streams_are_left_alone() {
    let client = client().await;
    let res = client
        .get("/hello")
        .header("accept-encoding", "gzip, br")
        .send()
        .await;
    assert_eq!(res.header("content-encoding"), None, "under 500 bytes");
    assert_eq!(res.json::<Value>()["message"], "hello");

    let res = client
        .get("/big")
        .header("accept-encoding", "deflate, zstd")
        .send()
        .await;
    assert_eq!(res.status(), 200, "never a 406");
    assert_eq!(res.header("content-encoding"), None);

    let res = client
        .get("/events")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(
        res.header("content-encoding"),
        None,
        "events must leave at once"
    );
    assert!(res.text().starts_with("data: tick"));
}

#[actix_web::test]
async fn a_routers_compression_covers_its_routes_only() {
    let app = App::new("t")
        .include(
            Router::with_prefix("/zipped")
                .middleware(Compression::default().gzip_only().min_size(0))
                .get("/big", big)
                .get("/hello", hello),
        )
        .include(Router::new().get("/big", big));
    let client = TestClient::new(app).await;
    let res = client
        .get("/zipped/big")
        .header("accept-encoding", "br, gzip")
        .send()
        .await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    let body: Value = serde_json::from_slice(&gunzip(res.bytes())).unwrap();
    assert_eq!(body["items"][3], "item number 3");
    // A body compression would only make larger is sent as it is.
    let res = client
        .get("/zipped/hello")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.json::<Value>()["message"], "hello");
    let res = client
        .get("/big")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(res.header("content-encoding"), None);
}
