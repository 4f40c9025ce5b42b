//! Everyday web features beyond JSON: WebSockets, streams, files and HTML pages.
//! One test binary (one link) for all of them; the socket tests talk to a real
//! server on a loopback port (`apiarist::testing::TestServer`).

mod files;
mod streaming;
#[cfg(feature = "templates")]
mod templates;
mod websocket;
mod websocket_lifecycle;
