//! Streamed responses: Server-Sent Events and chunked bodies.
//!
//! - [`Sse<T>`]: `text/event-stream`, each [`Event<T>`] with its data as JSON, an
//!   optional event name, id and retry hint; a comment is sent when the stream has
//!   been quiet for a while (15 s by default) so proxies keep the connection open.
//!   [`LastEventId`] gives the handler the id a reconnecting client last saw, to
//!   resume after it.
//! - [`StreamingResponse`]: any stream of bytes with a content type (CSV, a
//!   generated file), sent with chunked transfer encoding as it is produced.
//! - [`JsonLines<T>`]: one JSON `T` per line (`application/x-ndjson`).
//!
//! Each documents itself in OpenAPI: its media type with `T`'s schema.
//!
//! **Dependencies and streams.** A streamed body is produced after the handler
//! returned. Cleanup a dependency registers with
//! [`RequestScope::defer`](crate::RequestScope::defer) runs after the body's last
//! byte (or when the client goes away), so a stream can use what its dependencies
//! opened until it ends. [`RequestScope::on_finish`](crate::RequestScope::on_finish)
//! hooks run before the first byte (they decide on the status): release nothing the
//! stream still needs there.

mod chunked;
mod sse;

pub use chunked::{JsonLines, StreamingResponse};
pub use sse::{Event, LastEventId, Sse};
