//! # apiarist
//!
//! FastAPI's way of building APIs, in Rust, on actix-web: the types you write are the
//! validation, the serialisation, the documentation and the contract.
//!
//! ## Architecture
//!
//! A request travels through these pieces, each a module of this crate:
//!
//! ```text
//! HTTP request
//!   -> middleware   request id, tracing span, panic -> 500, uniform error rendering,
//!                   metrics; then the app's and routers' layers (CORS, compression,
//!                   trusted hosts, limits, rate limits, your own)
//!   -> routing      Router: routes declared once, each with its OpenAPI operation
//!   -> extract      Path / Query / Header / Cookie / Json / Form / Multipart: schema check
//!                   with FastAPI's 422 errors (all at once), serde, validator rules
//!   -> handler      async fn(extractors...) -> Result<Json<T> | Created<T> | NoContent, HttpError>
//!   -> response     only the declared response type is serialised
//!   -> error        HttpError / RequestValidationError / your types render themselves
//! ```
//!
//! [`App`] ties a service together (routers, state, exception handlers, docs) and
//! runs it; [`openapi`] assembles `/openapi.json` and serves `/docs`, `/redoc` and
//! `/scalar` offline; [`testing::TestClient`] drives an app in-process; [`settings`]
//! and [`telemetry`] read configuration and set up logs and traces (exported over
//! OTLP with the `otel` feature). Beyond JSON, [`ws`] serves WebSockets with typed,
//! validated messages, [`stream`] Server-Sent Events and chunked bodies, [`files`]
//! downloads and static directories, and [`Html`] pages (rendered by `Templates`
//! with the `templates` feature). Behind the requests, [`jobs`] runs durable
//! background work and [`events`] carries domain events between the processes of a
//! service (RabbitMQ, or in-process).
//!
//! ## A route
//!
//! ```
//! use apiarist::prelude::*;
//!
//! #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
//! struct Hello {
//!     /// Who to greet.
//!     #[serde(default = "world")]
//!     #[validate(length(min = 1, max = 50))]
//!     name: String,
//! }
//! fn world() -> String { "world".into() }
//!
//! #[derive(Debug, Serialize, JsonSchema, ApiComponent)]
//! struct Message { message: String }
//!
//! /// Say hello.
//! #[api_operation(summary = "Say hello")]
//! async fn hello(q: Query<Hello>) -> Json<Message> {
//!     Json(Message { message: format!("Hello, {}!", q.name) })
//! }
//!
//! let app = App::new("greeter").include(Router::new().get("/hello", hello));
//! # let _ = app;
//! ```

#![warn(missing_docs)]

mod app;
pub mod auth;
mod background;
pub mod client;
pub mod db;
mod di;
mod error;
pub mod events;
mod extract;
pub mod files;
pub mod gateway;
mod health;
pub mod jobs;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod ratelimit;
mod response;
mod routing;
pub mod security;
pub mod settings;
pub mod stream;
pub mod telemetry;
mod templates;
pub mod testing;
mod type_map;
pub mod validation;
pub mod ws;

pub use app::{App, DEFAULT_BODY_LIMIT};
pub use background::{BackgroundTasks, TaskOutcome};
pub use di::{Dep, Needs, Outcome, Provide, RequestScope, State};
pub use error::{ErrorFormat, FieldError, HttpError, LocItem, RequestValidationError};
pub use extract::{
    Cookie, Form, Header, Input, Json, Multipart, MultipartLimits, Path, Query, UploadFile,
};
pub use health::Health;
pub use middleware::{REQUEST_ID_HEADER, RequestId};
pub use response::{Created, NoContent};
pub use routing::Router;
pub use templates::Html;
#[cfg(feature = "templates")]
pub use templates::Templates;

/// Re-exports of the crates whose derives and macros user code needs.
pub mod reexports {
    pub use actix_web;
    pub use apistos;
    pub use schemars;
    pub use serde;
    pub use serde_json;
    pub use validator;
}

/// Everything a service module usually imports.
pub mod prelude {
    pub use apistos::{ApiComponent, api_operation};
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
    pub use validator::Validate;

    pub use crate::{
        App, Cookie, Created, Form, Header, HttpError, Json, Multipart, NoContent, Path, Query,
        Router, UploadFile,
    };
}
