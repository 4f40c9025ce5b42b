//! A WebSocket's life: keep-alive pings, the close handshake from either side,
//! handlers that stop reading or panic.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use apiarist::{testing::TestServer, ws::WsConfig};
use awc::ws::{CloseCode, Frame, Message};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::websocket::{Seen, app, app_with, fast_pings};

#[actix_web::test]
async fn the_server_pings_and_drops_a_client_that_never_answers() {
    let server = TestServer::start(app(fast_pings())).await;
    let mut conn = server.ws("/ws/chat?token=ann-token", &[]).await;
    let started = std::time::Instant::now();
    let mut pings = 0;
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(5), conn.connection().next()).await {
            Ok(Some(Ok(Frame::Ping(_)))) => pings += 1,
            Ok(Some(Ok(Frame::Close(reason)))) => break reason,
            other => panic!("expected pings then a close frame, got {other:?}"),
        }
    };
    assert!(pings >= 1);
    let reason = close.expect("a close reason");
    assert_eq!(reason.code, CloseCode::Error);
    assert_eq!(
        reason.description.as_deref(),
        Some("keepalive ping timeout")
    );
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "{:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn a_client_that_answers_pings_stays_connected() {
    let server = TestServer::start(app(fast_pings())).await;
    let mut conn = server.ws("/ws/chat?token=ann-token", &[]).await;
    // Several timeouts' worth of pings, each answered.
    let until = tokio::time::Instant::now() + Duration::from_millis(1000);
    let mut pings = 0;
    while let Ok(frame) = tokio::time::timeout_at(until, conn.connection().next()).await {
        match frame.unwrap().unwrap() {
            Frame::Ping(payload) => {
                pings += 1;
                conn.send(Message::Pong(payload)).await;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(pings >= 3, "{pings} pings");
    conn.send_text(r#"{"text": "still here"}"#).await;
    assert_eq!(conn.next_json::<Value>().await["text"], "still here");
}

#[actix_web::test]
async fn a_client_ping_is_answered() {
    let server = TestServer::start(app(WsConfig::default())).await;
    let mut conn = server.ws("/ws/chat?token=ann-token", &[]).await;
    conn.send(Message::Ping("are you there".into())).await;
    match conn.next_frame().await {
        Frame::Pong(payload) => assert_eq!(payload, "are you there"),
        other => panic!("expected a pong, got {other:?}"),
    }
}

#[actix_web::test]
async fn a_client_close_is_answered_ends_the_handler_and_runs_cleanup() {
    let seen = Arc::new(Seen::default());
    let server = TestServer::start(app_with(seen.clone(), WsConfig::default())).await;
    let mut conn = server.ws("/ws/chat?token=ann-token", &[]).await;
    conn.send_text(r#"{"text": "bye"}"#).await;
    assert_eq!(conn.next_json::<Value>().await["text"], "bye");
    assert_eq!(
        seen.cleanups.load(Ordering::SeqCst),
        0,
        "cleanup waits for the socket"
    );

    conn.send(Message::Close(Some(CloseCode::Normal.into())))
        .await;
    match conn.next_frame().await {
        Frame::Close(reason) => assert_eq!(reason.unwrap().code, CloseCode::Normal),
        other => panic!("expected the close answer, got {other:?}"),
    }
    for _ in 0..50 {
        if seen.handler_ended.load(Ordering::SeqCst) && seen.cleanups.load(Ordering::SeqCst) == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "handler ended: {}, cleanups: {}",
        seen.handler_ended.load(Ordering::SeqCst),
        seen.cleanups.load(Ordering::SeqCst)
    );
}

#[actix_web::test]
async fn a_handler_that_returns_closes_the_socket_normally() {
    let server = TestServer::start(app(WsConfig::default())).await;
    let mut conn = server.ws("/ws/ticks", &[]).await;
    for n in 1..=3 {
        assert_eq!(conn.next_json::<Value>().await, json!({"n": n}));
    }
    match conn.next_frame().await {
        Frame::Close(reason) => assert_eq!(reason.unwrap().code, CloseCode::Normal),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[actix_web::test]
async fn a_handler_that_never_reads_gets_its_socket_closed_once_the_queue_is_stuck() {
    let server = TestServer::start(app(fast_pings())).await;
    let mut conn = server.ws("/ws/deaf", &[]).await;
    assert_eq!(conn.next_json::<Value>().await, json!({"n": 1}));
    for n in 0..30 {
        conn.send_text(&format!("{{\"n\": {n}}}")).await;
    }
    match conn.next_frame().await {
        Frame::Close(reason) => {
            let reason = reason.unwrap();
            assert_eq!(reason.code, CloseCode::Policy);
            assert_eq!(
                reason.description.as_deref(),
                Some("messages are not being read")
            );
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[actix_web::test]
async fn a_handler_that_panics_closes_with_1011_and_the_server_goes_on() {
    let server = TestServer::start(app(WsConfig::default())).await;
    let mut conn = server.ws("/ws/boom", &[]).await;
    conn.send_text("{}").await;
    match conn.next_frame().await {
        Frame::Close(reason) => assert_eq!(reason.unwrap().code, CloseCode::Error),
        other => panic!("expected a close frame, got {other:?}"),
    }
    let mut conn = server.ws("/ws/ticks", &[]).await;
    assert_eq!(conn.next_json::<Value>().await, json!({"n": 1}));
}
