//! Long-lived exchanges through the gateway, over real sockets: a WebSocket opened
//! through it reaches the service with the handshake's credentials and carries
//! frames both ways; a refused handshake comes back as the service wrote it; a
//! service that is down is a 502; and a server-sent event reaches the client while
//! the service still waits for it to be read (nothing is buffered on the way).

mod common;

use std::{sync::Arc, time::Duration};

use actix_web::{HttpRequest, HttpResponse, web};
use apiarist::gateway::Gateway;
use awc::ws::{CloseCode, CloseReason, Frame, Message};
use common::{client, closed_port, raw, service, start};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// A WebSocket that first says what its handshake carried, then echoes every
/// text and binary message, and answers a close with the same close. Without an
/// `Authorization` header the handshake is refused with a 401 of the service's own.
async fn echo_socket(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let Some(authorization) = header("authorization") else {
        return Ok(HttpResponse::Unauthorized()
            .insert_header(("www-authenticate", "Bearer"))
            .json(json!({"detail": "Not authenticated"})));
    };
    let hello = json!({
        "authorization": authorization,
        "query": req.query_string(),
        "request_id": header("x-request-id"),
        "forwarded_for": header("x-forwarded-for"),
        "protocol": header("sec-websocket-protocol"),
    });
    let (response, mut session, mut messages) = actix_ws::handle(&req, body)?;
    actix_web::rt::spawn(async move {
        if session.text(hello.to_string()).await.is_err() {
            return;
        }
        while let Some(Ok(message)) = messages.next().await {
            let sent = match message {
                actix_ws::Message::Text(text) => session.text(text).await,
                actix_ws::Message::Binary(bytes) => session.binary(bytes).await,
                actix_ws::Message::Ping(ping) => session.pong(&ping).await,
                actix_ws::Message::Close(reason) => {
                    let _ = session.close(reason).await;
                    return;
                }
                _ => Ok(()),
            };
            if sent.is_err() {
                return;
            }
        }
    });
    Ok(response)
}

/// Server-sent events: `first`, then (once `go` is notified) `second`, then the end.
async fn events(go: Arc<Notify>) -> HttpResponse {
    let stream = futures_util::stream::unfold(0, move |step| {
        let go = go.clone();
        async move {
            let event = match step {
                0 => "id: 1\ndata: first\n\n",
                1 => {
                    go.notified().await;
                    "id: 2\ndata: second\n\n"
                }
                _ => return None,
            };
            Some((Ok::<_, std::io::Error>(web::Bytes::from(event)), step + 1))
        }
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .streaming(stream)
}

/// The service (`/ws/echo`, `/events`) and a gateway in front of it, with a
/// stopped service behind `/down`; and the gateway's configuration.
fn stack(go: Arc<Notify>) -> (common::Running, common::Running, Gateway) {
    let svc = service(move |cfg| {
        let go = go.clone();
        cfg.route("/ws/echo", web::get().to(echo_socket))
            .route("/events", web::get().to(move || events(go.clone())));
    });
    let gateway = Gateway::new("test")
        .service("live", &svc.url, &["/ws", "/events"])
        .service(
            "down",
            &format!("http://127.0.0.1:{}", closed_port()),
            &["/down"],
        )
        .timeout(Duration::from_secs(10));
    let gw = start(gateway.clone());
    (svc, gw, gateway)
}

/// The next data frame, skipping pings and pongs, within 10 s.
async fn next_frame<S>(socket: &mut S) -> Frame
where
    S: futures_util::Stream<Item = Result<Frame, awc::error::WsProtocolError>> + Unpin,
{
    loop {
        let frame = actix_web::rt::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("the socket is open")
            .expect("a valid frame");
        if !matches!(frame, Frame::Ping(_) | Frame::Pong(_)) {
            return frame;
        }
    }
}

#[actix_web::test]
async fn a_websocket_opens_through_the_gateway_and_carries_frames_both_ways() {
    let (_svc, gw, _) = stack(Arc::default());
    let (response, mut socket) = client()
        .ws(format!("{}/ws/echo?room=7&nick=ada", gw.url))
        .bearer_auth("the-token")
        .set_header("x-request-id", "ws-request-1")
        .protocols(["chat"])
        .connect()
        .await
        .expect("the handshake succeeds through the gateway");
    assert_eq!(response.status(), 101);

    let Frame::Text(hello) = next_frame(&mut socket).await else {
        panic!("a text greeting first")
    };
    let hello: Value = serde_json::from_slice(&hello).unwrap();
    assert_eq!(
        hello,
        json!({
            "authorization": "Bearer the-token",
            "query": "room=7&nick=ada",
            "request_id": "ws-request-1",
            "forwarded_for": "127.0.0.1",
            "protocol": "chat",
        })
    );

    for i in 0..20 {
        socket
            .send(Message::Text(format!("message {i}").into()))
            .await
            .unwrap();
    }
    for i in 0..20 {
        assert_eq!(
            next_frame(&mut socket).await,
            Frame::Text(format!("message {i}").into_bytes().into()),
            "in order, each one whole"
        );
    }
    let blob: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
    socket
        .send(Message::Binary(blob.clone().into()))
        .await
        .unwrap();
    assert_eq!(next_frame(&mut socket).await, Frame::Binary(blob.into()));

    let bye = CloseReason::from((CloseCode::Away, "bye"));
    socket
        .send(Message::Close(Some(bye.clone())))
        .await
        .unwrap();
    assert_eq!(
        next_frame(&mut socket).await,
        Frame::Close(Some(bye)),
        "the close code travels both ways"
    );
    let end = actix_web::rt::time::timeout(Duration::from_secs(10), socket.next()).await;
    assert!(
        matches!(end, Ok(None)),
        "the connection ends after the close"
    );
}

/// A WebSocket handshake on a fresh connection, read to its end.
fn handshake(port: u16, path: &str) -> common::RawResponse {
    raw(
        port,
        &format!(
            "GET {path} HTTP/1.1\nHost: gateway\nConnection: Upgrade\nUpgrade: websocket\n\
             Sec-WebSocket-Version: 13\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
        ),
        b"",
    )
}

#[actix_web::test]
async fn a_refused_handshake_comes_back_as_the_service_wrote_it() {
    let (_svc, gw, _) = stack(Arc::default());
    let port = gw.port;
    let refused = web::block(move || handshake(port, "/ws/echo"))
        .await
        .unwrap();
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
    assert_eq!(refused.json(), json!({"detail": "Not authenticated"}));
    assert!(refused.header("x-request-id").is_some());
}

#[actix_web::test]
async fn a_websocket_to_a_service_that_is_down_is_a_502_naming_it() {
    let (_svc, gw, _) = stack(Arc::default());
    let port = gw.port;
    let down = web::block(move || handshake(port, "/down/socket"))
        .await
        .unwrap();
    assert_eq!(down.status, 502);
    assert_eq!(
        down.json(),
        json!({"detail": "down service unavailable", "service": "down"})
    );
    match client()
        .ws(format!("{}/down/socket", gw.url))
        .connect()
        .await
    {
        Err(awc::error::WsClientError::InvalidResponseStatus(status)) => assert_eq!(status, 502),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("no socket to a service that is down"),
    }
}

#[actix_web::test]
async fn server_sent_events_stream_through_event_by_event() {
    let go = Arc::new(Notify::new());
    let (_svc, gw, _) = stack(go.clone());
    let mut res = client()
        .get(format!("{}/events", gw.url))
        .insert_header(("accept", "text/event-stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    let mut received = String::new();
    // The service sends the second event only after this one was read here: a
    // gateway that waited for more (or for the end) would never deliver it.
    while !received.contains("data: first\n\n") {
        let chunk = actix_web::rt::time::timeout(Duration::from_secs(5), res.next())
            .await
            .expect("the first event arrives while the service waits: nothing buffers it")
            .expect("the stream is open")
            .unwrap();
        received.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert_eq!(received, "id: 1\ndata: first\n\n");
    go.notify_one();
    while let Some(chunk) = actix_web::rt::time::timeout(Duration::from_secs(5), res.next())
        .await
        .expect("the second event and the end arrive")
    {
        received.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
    }
    assert_eq!(received, "id: 1\ndata: first\n\nid: 2\ndata: second\n\n");
}

#[actix_web::test]
async fn a_stopping_gateway_closes_its_websockets_instead_of_waiting_for_them() {
    let (_svc, gw, gateway) = stack(Arc::default());
    let (_, mut socket) = client()
        .ws(format!("{}/ws/echo", gw.url))
        .bearer_auth("t")
        .connect()
        .await
        .unwrap();
    assert!(matches!(next_frame(&mut socket).await, Frame::Text(_)));
    gateway.close_websockets();
    let end = actix_web::rt::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("the socket ends at once");
    assert!(matches!(end, None | Some(Err(_))), "{end:?}");
}
