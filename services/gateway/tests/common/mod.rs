//! What the gateway's tests share: real HTTP servers on free ports of 127.0.0.1
//! (stand-in services and the gateway itself), a raw HTTP/1.1 client for the
//! headers other clients will not send, and the gateway binary ([`binary`]).
#![allow(dead_code)]

pub mod binary;

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    time::Duration,
};

use actix_web::dev::{Server, ServerHandle};
use apiarist::gateway::Gateway;

/// A server running in the test's actix system; stopped when dropped.
#[derive(Debug)]
pub struct Running {
    pub url: String,
    pub port: u16,
    handle: ServerHandle,
}

impl Running {
    fn spawn(listener: TcpListener, server: Server) -> Self {
        let port = listener.local_addr().unwrap().port();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}"),
            port,
            handle,
        }
    }

    /// Stops the server now (in-flight requests are dropped).
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

/// A stand-in service: `configure` registers its routes.
pub fn service<F>(configure: F) -> Running
where
    F: Fn(&mut actix_web::web::ServiceConfig) + Clone + Send + 'static,
{
    service_on(TcpListener::bind("127.0.0.1:0").unwrap(), configure)
}

/// [`service`] on a given listener (to bring a service back on its old port).
pub fn service_on<F>(listener: TcpListener, configure: F) -> Running
where
    F: Fn(&mut actix_web::web::ServiceConfig) + Clone + Send + 'static,
{
    let server =
        actix_web::HttpServer::new(move || actix_web::App::new().configure(configure.clone()))
            .workers(1)
            .disable_signals()
            .listen(listener.try_clone().unwrap())
            .unwrap()
            .run();
    Running::spawn(listener, server)
}

/// The gateway on a free port.
pub fn start(gateway: Gateway) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = gateway.start_on(listener.try_clone().unwrap()).unwrap();
    Running::spawn(listener, server)
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A client that follows no redirect and waits long enough for any test.
pub fn client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(20))
        .disable_redirects()
        .finish()
}

/// A response read by [`raw`].
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body`
/// on a fresh connection, and reads until the server closes it (so `head` says
/// `Connection: close`, unless the answer is expected to be cut). Blocking: call
/// it through `web::block`.
pub fn raw(port: u16, head: &str, body: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let request = format!("{}\r\n\r\n", head.trim_end().replace('\n', "\r\n"));
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    RawResponse {
        status,
        headers,
        body: answer[split + 4..].to_vec(),
    }
}
