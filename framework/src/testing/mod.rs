//! Testing an app the way its clients meet it.
//!
//! - [`TestClient`], like FastAPI's: requests go straight into the app's service (no
//!   socket), through the same middleware as in production.
//! - [`TestServer`]: the app served on a loopback port, for what needs a real
//!   connection: WebSockets ([`WsClient`]), Server-Sent Events read as they arrive
//!   ([`SseClient`]), and requests written byte for byte ([`RawResponse`]), such as
//!   paths with `..` that ordinary clients tidy up.
//! - [`CapturedLogs`]: what the app logged, to assert on.
//!
//! ```
//! use apiarist::{App, Router, prelude::*, testing::TestClient};
//!
//! /// Ping.
//! #[api_operation(summary = "Ping")]
//! async fn ping() -> Json<&'static str> {
//!     Json("pong")
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let client = TestClient::new(App::new("t").include(Router::new().get("/ping", ping))).await;
//! let res = client.get("/ping").send().await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.json::<String>(), "pong");
//! # });
//! ```

mod client;
mod logs;
mod multipart;
mod server;
mod sse;
mod ws;

pub use client::{RequestBuilder, TestClient, TestResponse};
pub use logs::CapturedLogs;
pub use multipart::MultipartBody;
pub use server::{RawResponse, TestServer, unused_url};
pub use sse::{SseClient, SseEvent};
pub use ws::{WsClient, WsConnection};

/// How long the clients here wait for what a test expects before failing it.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);
