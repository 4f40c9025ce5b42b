//! Handlers the tests share, and a real server on a loopback port.

use std::net::SocketAddr;

use actix_web::dev::ServerHandle;
use apiarist::{App, prelude::*};
use serde_json::{Value, json};

/// Say hello (a small body).
#[api_operation(summary = "Hello")]
pub async fn hello() -> Json<Value> {
    Json(json!({"message": "hello"}))
}

/// A body worth compressing.
#[api_operation(summary = "Big")]
pub async fn big() -> Json<Value> {
    Json(json!({"items": (0..200).map(|i| format!("item number {i}")).collect::<Vec<_>>()}))
}

#[derive(Debug, Serialize, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct Note {
    pub text: String,
}

/// Store a note.
#[api_operation(summary = "Note")]
pub async fn note(body: Json<Note>) -> Json<usize> {
    Json(body.text.len())
}

/// The body of a JSON note with `len` characters of text.
pub fn note_of(len: usize) -> Value {
    json!({"text": "x".repeat(len)})
}

/// A running server; stopped when dropped.
pub struct Server {
    pub addr: SocketAddr,
    handle: ServerHandle,
}

/// Serves `app` on `127.0.0.1` (a free port) with one worker, inside the test's
/// actix system.
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
}

impl Drop for Server {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}
