//! Service-to-service calls: typed JSON over HTTP, with timeouts, the request id
//! passed along, a service identity, and failures that answer as a gateway would.
//!
//! When one service needs another (orders reserve stock in items, users count
//! items), it calls it over HTTP, even when both run in one process: the same code
//! then serves the all-in-one mode and the stack of separate processes, and no
//! service reaches into another's tables. What such a call must get right:
//!
//! - **Types.** [`ServiceClient`] sends and reads the request and response types of
//!   `shared-models`; a body that does not fit is a [`ClientError::Decode`], not a
//!   panic or a silently wrong value.
//! - **Never hang.** Each call is bounded as a whole by a timeout (5 s unless set).
//! - **Clear errors.** A [`ClientError`] renders itself as the caller's answer: the
//!   other service down is `502 {"detail": "items service unavailable"}`, too slow
//!   `504 {"detail": "items service timed out after 5s"}`, its 404 or 409 stays what
//!   it is. Handlers return it (or turn it into an [`HttpError`](crate::HttpError)
//!   with `?`).
//! - **One request, one id.** [`CallContext`] (a handler parameter) carries the
//!   request id into the call's `X-Request-Id`, so the logs of both services line up.
//! - **Identity without a round trip.** A [`ServiceToken`] is signed with the stack's
//!   shared key; the called service checks it locally with
//!   [`RequireRole<ServiceRole>`](crate::security::RequireRole) on its internal routes.
//!
//! ```no_run
//! use apiarist::{
//!     auth::{Auth, AuthSettings},
//!     client::{CallContext, ServiceClient, ServiceToken},
//!     prelude::*,
//! };
//!
//! #[derive(Debug, Serialize, Deserialize, JsonSchema, ApiComponent)]
//! struct Count { count: u64 }
//!
//! /// How many items the items service has.
//! #[api_operation(summary = "Count items", error_code = 502, error_code = 504)]
//! async fn items(ctx: CallContext, items: apiarist::State<ServiceClient>) -> Result<Json<Count>, HttpError> {
//!     Ok(Json(items.in_context(&ctx).get("/internal/items/count").await?))
//! }
//!
//! # actix_rt::System::new().block_on(async {
//! let settings = AuthSettings::from_env().unwrap(); // the stack's shared JWT_* keys
//! let auth = Auth::from_settings(&settings);
//! let client = ServiceClient::new("items", "http://127.0.0.1:8002")
//!     .with_service_token(ServiceToken::new("users", auth.clone()));
//! let app = App::new("users").state(auth).state(client).include(Router::new().get("/stats", items));
//! # let _ = app;
//! # });
//! ```

mod context;
mod error;
mod identity;
mod service;
mod transport;

#[cfg(test)]
mod tests;

pub use context::CallContext;
pub use error::ClientError;
pub use identity::{ServiceRole, ServiceToken};
pub use service::{DEFAULT_TIMEOUT, ServiceClient};
