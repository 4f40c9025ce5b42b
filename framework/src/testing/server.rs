//! [`TestServer`]: the app served on a loopback port, and [`RawResponse`]s to
//! requests written byte for byte.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
};

use actix_web::dev::ServerHandle;
use serde::de::DeserializeOwned;

use super::{PATIENCE, SseClient, WsClient};
use crate::App;

/// An app served on `127.0.0.1`, on a port the system picks, by the same server a
/// service runs ([`App::start_on`]): start-up hooks first, the shutdown hooks when
/// it stops. Stopped when dropped.
///
/// Start it inside the test's actix system (an `#[actix_web::test]`); state and
/// actors the app holds keep living there.
///
/// ```
/// use apiarist::{App, Router, prelude::*, testing::TestServer};
///
/// /// Ping.
/// #[api_operation(summary = "Ping")]
/// async fn ping() -> Json<&'static str> {
///     Json("pong")
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let server = TestServer::start(App::new("t").include(Router::new().get("/ping", ping))).await;
/// let res = server.raw_get("/ping", &[]).await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.json::<String>(), "pong");
/// # });
/// ```
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl TestServer {
    /// Serves `app`; panics if it does not start.
    pub async fn start(app: App) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        Self::start_on(app, listener).await
    }

    /// Serves `app` on `listener` (to bring a service back on the port it had).
    pub async fn start_on(app: App, listener: TcpListener) -> Self {
        let addr = listener.local_addr().expect("the bound address");
        let (handle, stopped) = app
            .start_on(listener)
            .await
            .unwrap_or_else(|e| panic!("the app did not start: {e}"));
        actix_web::rt::spawn(stopped);
        Self { addr, handle }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `ws://127.0.0.1:<port><path>`.
    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// Opens a WebSocket on `path` with `headers` (see [`WsClient::connect`]).
    pub async fn ws(&self, path: &str, headers: &[(&str, &str)]) -> WsClient {
        WsClient::connect(&self.ws_url(path), headers).await
    }

    /// `GET path` with `headers`, its body left open to read events from (see
    /// [`SseClient::open`]).
    pub async fn sse(&self, path: &str, headers: &[(&str, &str)]) -> SseClient {
        SseClient::open(&self.url(path), headers).await
    }

    /// `GET target` written exactly as given (no normalising of `..` or
    /// percent-escapes), with `headers` and `Connection: close` unless they say
    /// otherwise.
    pub async fn raw_get(&self, target: &str, headers: &[(&str, &str)]) -> RawResponse {
        let mut request = format!("GET {target} HTTP/1.1\r\nHost: {}\r\n", self.addr);
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
        self.raw(request).await
    }

    /// Sends `request` (a whole HTTP/1.1 request, or the start of one) as is and
    /// reads the response: its head, then `Content-Length` bytes, or everything
    /// until the server closes (nothing after a `101`). The socket is used on a
    /// thread of its own, so the test's system keeps running.
    pub async fn raw(&self, request: impl Into<Vec<u8>>) -> RawResponse {
        let (addr, request) = (self.addr, request.into());
        actix_web::rt::task::spawn_blocking(move || exchange(addr, &request))
            .await
            .expect("the raw exchange panicked")
    }

    /// Stops it, letting requests in flight finish.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// A base URL where nothing listens (a port that was free a moment ago): what a
/// client of a service that is down sees.
///
/// ```
/// let url = apiarist::testing::unused_url();
/// assert!(url.starts_with("http://127.0.0.1:"));
/// ```
pub fn unused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
    let addr = listener.local_addr().expect("the bound address");
    format!("http://{addr}")
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

fn exchange(addr: SocketAddr, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).expect("connecting to the test server");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(request).expect("sending the request");
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).expect("reading the response head");
        assert!(n > 0, "the connection closed before a response");
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let mut response = RawResponse {
        status,
        head,
        body: buffer[head_end + 4..].to_vec(),
    };
    let length = response
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    let complete = |body: &[u8]| match length {
        Some(length) => body.len() >= length,
        // After a switch of protocols the bytes are the new protocol's.
        None => status == 101,
    };
    while !complete(&response.body) {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => response.body.extend_from_slice(&chunk[..n]),
        }
    }
    response
}

/// A response read off the wire by [`TestServer::raw`].
#[derive(Debug, Clone)]
pub struct RawResponse {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl RawResponse {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The status line and headers, as received.
    pub fn head(&self) -> &str {
        &self.head
    }

    /// A header's value (the first, if repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }

    /// The body's bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON into `T`; panics with the body if it is not.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not the expected JSON ({e}): {}", self.text()))
    }
}
