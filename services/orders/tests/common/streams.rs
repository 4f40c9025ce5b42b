//! Clients of the order streams over real sockets: WebSocket frames (awc's client),
//! Server-Sent Events read off a streamed body, and a raw HTTP/1.1 request for the
//! answers ordinary clients hide (a refused upgrade's JSON body).

use std::{
    io::{Read, Write},
    net::TcpStream,
    pin::Pin,
    time::Duration,
};

use actix_web::web::Bytes;
use awc::{
    error::PayloadError,
    ws::{Frame, Message},
};
use futures_util::{SinkExt, Stream, StreamExt};
use serde_json::Value;

/// The client side of a WebSocket.
pub trait Conn:
    Stream<Item = Result<Frame, awc::error::WsProtocolError>>
    + futures_util::Sink<Message, Error = awc::error::WsProtocolError>
    + Unpin
{
}

impl<T> Conn for T where
    T: Stream<Item = Result<Frame, awc::error::WsProtocolError>>
        + futures_util::Sink<Message, Error = awc::error::WsProtocolError>
        + Unpin
{
}

/// Opens `url` (a `ws://` URL) with `headers`; asserts the `101`.
pub async fn connect(url: &str, headers: &[(&str, &str)]) -> impl Conn + use<> {
    let mut request = awc::Client::new().ws(url);
    for (name, value) in headers {
        request = request.set_header(*name, *value);
    }
    let (response, conn) = request.connect().await.expect("the WebSocket handshake");
    assert_eq!(response.status(), 101);
    conn
}

/// The next text frame as JSON (pings answered on the way), within 10 s.
pub async fn next_json(conn: &mut impl Conn) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), conn.next())
            .await
            .expect("a frame within 10 s")
            .expect("the socket is open")
            .expect("a valid frame");
        match frame {
            Frame::Ping(payload) => conn.send(Message::Pong(payload)).await.unwrap(),
            Frame::Text(bytes) => return serde_json::from_slice(&bytes).unwrap(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Asserts that no text frame arrives for a moment.
pub async fn no_frame(conn: &mut impl Conn) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    while let Ok(frame) = tokio::time::timeout_at(deadline, conn.next()).await {
        match frame {
            Some(Ok(Frame::Ping(payload))) => conn.send(Message::Pong(payload)).await.unwrap(),
            other => panic!("expected silence, got {other:?}"),
        }
    }
}

/// Sends a text frame.
pub async fn say(conn: &mut impl Conn, text: &str) {
    conn.send(Message::Text(text.to_owned().into()))
        .await
        .unwrap();
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub id: Option<String>,
    pub data: Value,
}

/// An open `text/event-stream` response.
pub struct SseStream {
    pub status: u16,
    pub content_type: String,
    body: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>,
    buffer: String,
}

/// `GET url` with `headers`, the body left open to read events from.
pub async fn open_sse(url: &str, headers: &[(&str, &str)]) -> SseStream {
    let client = awc::Client::builder().disable_timeout().finish();
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let response = request.send().await.expect("a response");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    SseStream {
        status: response.status().as_u16(),
        content_type,
        body: Box::pin(response),
        buffer: String::new(),
    }
}

impl SseStream {
    /// The next event (keep-alive comments skipped), within 10 s.
    pub async fn next_event(&mut self) -> SseEvent {
        tokio::time::timeout(Duration::from_secs(10), self.read_event())
            .await
            .expect("an event within 10 s")
    }

    /// Asserts that no event arrives for a moment.
    pub async fn no_event(&mut self) {
        let more = tokio::time::timeout(Duration::from_millis(500), self.read_event()).await;
        assert!(more.is_err(), "expected silence, got {more:?}");
    }

    async fn read_event(&mut self) -> SseEvent {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse_event(&block) {
                    return event;
                }
                continue;
            }
            let chunk = self
                .body
                .next()
                .await
                .expect("the stream is open")
                .expect("a chunk");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

/// An event block, or `None` for a comment.
fn parse_event(block: &str) -> Option<SseEvent> {
    let (mut event, mut id, mut data) = (None, None, None);
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event: ") {
            event = Some(value.to_owned());
        } else if let Some(value) = line.strip_prefix("id: ") {
            id = Some(value.to_owned());
        } else if let Some(value) = line.strip_prefix("data: ") {
            data = Some(serde_json::from_str(value).unwrap());
        }
    }
    Some(SseEvent {
        event,
        id,
        data: data?,
    })
}

/// A response read off the wire.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// A WebSocket handshake for `target` on `base` (`http://host:port`) with `headers`,
/// sent as is; reads the answer's head and (`Content-Length`) body. The blocking
/// socket is used on a thread of its own, so the test's system keeps running (the
/// server and its actors live there).
pub async fn raw_handshake(base: &str, target: &str, headers: &[(&str, &str)]) -> Raw {
    let host = base.trim_start_matches("http://").to_owned();
    let target = target.to_owned();
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || handshake(&host, &target, &headers))
        .await
        .unwrap()
}

fn handshake(host: &str, target: &str, headers: &[(String, String)]) -> Raw {
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).expect("read the response head");
        assert!(n > 0, "connection closed before a response");
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let mut raw = Raw {
        status,
        head,
        body: buffer[head_end + 4..].to_vec(),
    };
    let length: usize = raw
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while raw.body.len() < length {
        let n = stream.read(&mut chunk).expect("read the body");
        if n == 0 {
            break;
        }
        raw.body.extend_from_slice(&chunk[..n]);
    }
    raw
}
