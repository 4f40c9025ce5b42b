//! WebSockets through the gateway: the handshake goes to the service, and once it
//! agrees (`101 Switching Protocols`) the gateway becomes a byte pipe between the
//! client's connection and the service's.
//!
//! Why a pipe and not a WebSocket client on one side and a server on the other:
//! the gateway has nothing to add to the frames. Piping the bytes keeps everything
//! the two ends agree on end to end (subprotocols, extensions such as compression,
//! frame sizes, close codes, pings), and costs no decoding. The handshake is what
//! the gateway takes part in, like any request: the service gets the path and query,
//! the client's end-to-end headers (`Authorization`, cookies, `Sec-WebSocket-*`),
//! the request id and the `X-Forwarded-*` headers; a refusal (`401`, `404`, ...)
//! comes back as the service wrote it; a service that cannot be reached is a 502,
//! one that does not answer the handshake in time a 504, as for any request.
//!
//! The handshake is written and read with actix-http's HTTP/1 client codec on a
//! plain TCP connection (the services are `http://`); after the `101`, bytes the
//! service sent along with its answer go first, then whatever either side sends,
//! until one side closes, or the gateway stops (see [`closing`](super::closing)).
//! An open socket has no idle limit: a quiet WebSocket is normal.

use std::{future::poll_fn, io, pin::Pin, time::Duration};

use actix_codec::{BytesCodec, Framed};
use actix_http::{
    ConnectionType, RequestHead, RequestHeadType, ResponseHead, Version,
    body::BodySize,
    h1::{self, ClientCodec},
};
use actix_rt::net::TcpStream;
use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        Method, StatusCode, Uri,
        header::{self, HeaderMap, HeaderValue},
    },
    web,
};
use futures_util::{StreamExt, TryStreamExt};
use tokio::io::AsyncWriteExt;

use super::{
    Shared, Upstream,
    closing::Closing,
    proxy::{forwarded_headers, gave_no_answer, is_hop_by_hop},
};

/// The most of a refusal's body the gateway reads (refusals are short JSON).
const REFUSAL_LIMIT: usize = 1024 * 1024;

/// Whether `req` asks to open a WebSocket: a `GET` with `Connection: upgrade`
/// and `Upgrade: websocket`.
pub(super) fn is_websocket(req: &HttpRequest) -> bool {
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"));
    req.method() == Method::GET && upgrade && req.head().upgrade()
}

/// Why the service gave no handshake answer.
enum Failure {
    /// Connecting failed, or the connection broke.
    Unavailable(String),
    /// Connecting or answering took longer than this.
    TimedOut(Duration),
}

/// Opens the WebSocket `req` asks for on `upstream`, and pipes it.
pub(super) async fn tunnel(
    req: HttpRequest,
    payload: web::Payload,
    shared: &Shared,
    upstream: &Upstream,
) -> HttpResponse {
    let config = &shared.config;
    let answer = match connect(upstream, config.connect_timeout()).await {
        Ok(socket) => {
            let handshake = handshake(socket, &req, upstream);
            actix_web::rt::time::timeout(config.timeout, handshake)
                .await
                .unwrap_or(Err(Failure::TimedOut(config.timeout)))
        }
        Err(failure) => Err(failure),
    };
    match answer {
        Ok(Answer::Refused(response)) => response,
        Ok(Answer::Switched(head, framed)) => {
            switch(&head, framed, payload, upstream, &shared.closing)
        }
        Err(Failure::Unavailable(why)) => {
            gave_no_answer(upstream, StatusCode::BAD_GATEWAY, None, &why)
        }
        Err(Failure::TimedOut(after)) => gave_no_answer(
            upstream,
            StatusCode::GATEWAY_TIMEOUT,
            Some(after),
            "timed out",
        ),
    }
}

/// The service's answer to the handshake.
enum Answer {
    /// Anything but a `101`, relayed whole.
    Refused(HttpResponse),
    /// A `101`: the connection is the WebSocket's now.
    Switched(ResponseHead, Framed<TcpStream, ClientCodec>),
}

async fn connect(upstream: &Upstream, timeout: Duration) -> Result<TcpStream, Failure> {
    let uri: Uri = upstream
        .base()
        .parse()
        .map_err(|e| Failure::Unavailable(format!("bad address: {e}")))?;
    let host = uri.host().unwrap_or("127.0.0.1").to_owned();
    let port = uri.port_u16().unwrap_or(80);
    match actix_web::rt::time::timeout(timeout, TcpStream::connect((host, port))).await {
        Ok(Ok(socket)) => Ok(socket),
        Ok(Err(e)) => Err(Failure::Unavailable(format!("unreachable: {e}"))),
        Err(_) => Err(Failure::TimedOut(timeout)),
    }
}

/// Sends the client's handshake to the service and reads its answer.
async fn handshake(
    socket: TcpStream,
    req: &HttpRequest,
    upstream: &Upstream,
) -> Result<Answer, Failure> {
    let broken = |e: &dyn std::fmt::Display| Failure::Unavailable(format!("handshake: {e}"));
    let mut head = RequestHead::default();
    head.method = Method::GET;
    head.version = Version::HTTP_11;
    head.uri = req
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .parse()
        .map_err(|e| broken(&e))?;
    forwarded_headers(req, &mut head.headers);
    let authority = upstream.base().trim_start_matches("http://");
    let host = HeaderValue::from_str(authority).map_err(|e| broken(&e))?;
    head.headers.insert(header::HOST, host);
    head.headers
        .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    head.set_connection_type(ConnectionType::Upgrade);

    let mut framed = Framed::new(socket, ClientCodec::default());
    let request = h1::Message::Item((RequestHeadType::Owned(head), BodySize::None));
    Pin::new(&mut framed)
        .write(request)
        .map_err(|e| broken(&e))?;
    poll_fn(|cx| Pin::new(&mut framed).flush::<h1::Message<(RequestHeadType, BodySize)>>(cx))
        .await
        .map_err(|e| broken(&e))?;
    let head = match framed.next().await {
        Some(Ok(head)) => head,
        Some(Err(e)) => return Err(broken(&e)),
        None => return Err(broken(&"the service closed the connection")),
    };
    if head.status == StatusCode::SWITCHING_PROTOCOLS {
        return Ok(Answer::Switched(head, framed));
    }
    let has_body = !matches!(framed.codec_ref().message_type(), h1::MessageType::None);
    let mut body = web::BytesMut::new();
    if has_body {
        let mut payload = framed.into_map_codec(ClientCodec::into_payload_codec);
        while let Some(chunk) = payload.next().await {
            match chunk.map_err(|e| broken(&e))? {
                Some(chunk) if body.len() + chunk.len() <= REFUSAL_LIMIT => {
                    body.extend_from_slice(&chunk);
                }
                Some(_) => return Err(broken(&"the refusal's body is too large")),
                None => break,
            }
        }
    }
    let mut refusal = HttpResponse::build(head.status);
    copy_headers(&head.headers, &mut refusal);
    Ok(Answer::Refused(refusal.body(body.freeze())))
}

/// The service's end-to-end headers, onto the client's answer.
fn copy_headers(headers: &HeaderMap, answer: &mut actix_web::HttpResponseBuilder) {
    for (name, value) in headers {
        if !is_hop_by_hop(name, headers) && name != header::CONTENT_LENGTH {
            answer.append_header((name.clone(), value.clone()));
        }
    }
}

/// The client's `101`, with the service's headers (`Sec-WebSocket-Accept`, the
/// chosen protocol), and the pipe: the service's bytes as its body, the client's
/// (the request's payload, after an upgrade) written to the service by a task;
/// both end when the gateway closes its sockets.
fn switch(
    head: &ResponseHead,
    framed: Framed<TcpStream, ClientCodec>,
    mut payload: web::Payload,
    upstream: &Upstream,
    closing: &Closing,
) -> HttpResponse {
    let parts = framed.into_parts();
    let (from_service, mut to_service) = parts.io.into_split();
    let service = upstream.name.clone();
    let closed = closing.closed();
    actix_web::rt::spawn(async move {
        let mut closed = std::pin::pin!(closed);
        loop {
            let chunk = tokio::select! {
                chunk = payload.next() => chunk,
                () = &mut closed => None,
            };
            let Some(chunk) = chunk else { break };
            let written = match chunk {
                Ok(chunk) => to_service.write_all(&chunk).await,
                Err(e) => Err(io::Error::other(e.to_string())),
            };
            if let Err(error) = written {
                tracing::debug!(%service, %error, "WebSocket: client to service ended");
                break;
            }
        }
        // The client is gone, sent its last byte, or the gateway is stopping: the
        // service learns it.
        let _ = to_service.shutdown().await;
    });
    let early = parts.read_buf.freeze();
    let early = futures_util::stream::iter((!early.is_empty()).then_some(Ok(early)));
    let rest = Framed::new(from_service, BytesCodec)
        .map_ok(web::BytesMut::freeze)
        .take_until(closing.closed());
    let mut answer = HttpResponse::build(StatusCode::SWITCHING_PROTOCOLS);
    copy_headers(&head.headers, &mut answer);
    let protocol = head
        .headers
        .get(header::UPGRADE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("websocket"));
    answer.upgrade(protocol).streaming(early.chain(rest))
}
