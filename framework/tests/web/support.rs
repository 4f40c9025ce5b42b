//! A real server on a loopback port, a WebSocket client (awc's), and a raw
//! HTTP/1.1 client for requests that ordinary clients would tidy up (`..` in paths)
//! or for reading error bodies of refused upgrades.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

use actix_web::dev::ServerHandle;
use apiarist::App;
use awc::ws::{Frame, Message};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;

/// A running server; stopped when dropped.
pub struct Server {
    pub addr: SocketAddr,
    handle: ServerHandle,
}

/// Serves `app` on `127.0.0.1` (a free port) with one worker. Call inside an
/// actix system (an `#[actix_web::test]`).
pub fn serve(app: App) -> Server {
    let server = actix_web::HttpServer::new(move || app.clone().into_actix())
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("bind a loopback port");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Server { addr, handle }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        actix_web::rt::spawn(self.handle.stop(false));
    }
}

/// A response read off the wire.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
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

/// Sends `GET {target}` exactly as written, with `headers`, and reads the response
/// head and body (up to `Content-Length`, or until the server closes). Blocking:
/// the server runs on its own threads.
pub fn raw_get(addr: SocketAddr, target: &str, headers: &[(&str, &str)]) -> Raw {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("connection"))
    {
        request.push_str("Connection: close\r\n");
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    read_response(&mut stream)
}

/// Reads one response: the head, then `Content-Length` bytes (or up to EOF).
pub fn read_response(stream: &mut TcpStream) -> Raw {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).expect("read the response head");
        assert!(n > 0, "connection closed before a response");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut body = buf[head_end + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let mut raw = Raw {
        status,
        head,
        body: Vec::new(),
    };
    let length = raw
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    match length {
        Some(length) => {
            while body.len() < length {
                let n = stream.read(&mut chunk).expect("read the body");
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        None if status != 101 => {
            while let Ok(n) = stream.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        None => {}
    }
    raw.body = body;
    raw
}

/// The client side of a socket (awc's framed connection).
pub trait Conn:
    futures_util::Stream<Item = Result<Frame, awc::error::WsProtocolError>>
    + futures_util::Sink<Message, Error = awc::error::WsProtocolError>
    + Unpin
{
}

impl<T> Conn for T where
    T: futures_util::Stream<Item = Result<Frame, awc::error::WsProtocolError>>
        + futures_util::Sink<Message, Error = awc::error::WsProtocolError>
        + Unpin
{
}

/// The next frame that is not a ping (answered when `pong` is set).
pub async fn next_frame(conn: &mut impl Conn, pong: bool) -> Frame {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), conn.next())
            .await
            .expect("a frame within 5 s")
            .expect("the socket is open")
            .expect("a valid frame");
        match frame {
            Frame::Ping(payload) if pong => conn.send(Message::Pong(payload)).await.unwrap(),
            Frame::Ping(_) => {}
            other => return other,
        }
    }
}

pub async fn next_json(conn: &mut impl Conn) -> Value {
    match next_frame(conn, true).await {
        Frame::Text(bytes) => serde_json::from_slice(&bytes).unwrap(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

pub async fn say(conn: &mut impl Conn, text: &str) {
    conn.send(Message::Text(text.into())).await.unwrap();
}

pub async fn connect(url: String) -> impl Conn {
    let (response, conn) = awc::Client::new().ws(url).connect().await.unwrap();
    assert_eq!(response.status(), 101);
    conn
}
