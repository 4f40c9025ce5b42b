//! [`ClientError`]: what a call to another service can fail with, and the answer the
//! calling service gives its own client when it passes the failure on.
//!
//! The calling service is a gateway for that moment, so the statuses are a gateway's:
//! the other service could not be reached is a 502, it did not answer in time a 504,
//! both naming the service so an operator knows where to look. When the other service
//! did answer with an error that means something to the end client (an unknown id, a
//! conflict, invalid input), that answer is kept; errors that concern only the two
//! services (the caller's credentials, the other side's internals) become a 502.

use std::{collections::BTreeMap, time::Duration};

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use apistos::{
    ApiErrorComponent, ApistosSchema, OpenApiVersion, paths::Response, reference_or::ReferenceOr,
};
use serde_json::Value;

use crate::HttpError;

/// A failed call to another service.
///
/// It renders itself (and converts into an [`HttpError`]) as:
///
/// | failure | status | `detail` |
/// | --- | --- | --- |
/// | [`Unavailable`](Self::Unavailable): refused, reset, unresolvable | 502 | `"<service> service unavailable"` |
/// | [`Timeout`](Self::Timeout) (or the other side's 408/504) | 504 | `"<service> service timed out after 5s"` |
/// | [`Status`](Self::Status) 400-499, but 401/403/407/408 | the same | the other side's `detail` |
/// | [`Status`](Self::Status) 401, 403, 407: the call itself was refused | 502 | `"<service> service refused the call"` |
/// | [`Status`](Self::Status) 503 | 503 | `"<service> service unavailable"` |
/// | [`Status`](Self::Status) other 5xx | 502 | `"<service> service failed"` |
/// | [`Decode`](Self::Decode): a 2xx body that is not the expected type | 502 | `"<service> service sent an invalid response"` |
/// | [`Request`](Self::Request): the call could not be made (no token, bad URL) | 500 | `"Internal Server Error"` |
///
/// A `Retry-After` from the other side is passed on. The reasons (the socket error,
/// the undecodable body) stay in the logs, never in the response.
///
/// ```
/// use std::time::Duration;
/// use apiarist::{HttpError, client::ClientError};
///
/// let down = ClientError::Unavailable { service: "items".into(), reason: "connection refused".into() };
/// let http = HttpError::from(down);
/// assert_eq!(http.status().as_u16(), 502);
/// assert_eq!(http.detail(), "items service unavailable");
///
/// let slow = ClientError::Timeout { service: "items".into(), after: Duration::from_secs(5) };
/// assert_eq!(HttpError::from(slow).detail(), "items service timed out after 5s");
///
/// let missing = ClientError::status("items", 404, serde_json::json!({"detail": "Item 7 not found"}));
/// assert_eq!(HttpError::from(missing).status().as_u16(), 404);
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The service could not be reached: connection refused or reset, no such host.
    #[error("{service} service unavailable: {reason}")]
    Unavailable {
        /// The service called.
        service: String,
        /// What went wrong, for the logs.
        reason: String,
    },
    /// The service did not answer completely within the client's timeout.
    #[error("{service} service timed out after {after:?}")]
    Timeout {
        /// The service called.
        service: String,
        /// The timeout that ran out.
        after: Duration,
    },
    /// The service answered with a status outside 2xx.
    #[error("{service} service answered {status}: {body}")]
    Status {
        /// The service called.
        service: String,
        /// The status it answered with.
        status: StatusCode,
        /// Its body: the JSON it sent, or its text as a JSON string.
        body: Value,
        /// Its `Retry-After` header, if any.
        retry_after: Option<String>,
    },
    /// The service answered 2xx with a body that is not the expected type.
    #[error("{service} service sent an invalid response: {reason}")]
    Decode {
        /// The service called.
        service: String,
        /// What did not fit, for the logs.
        reason: String,
    },
    /// The call could not be made at all: an invalid URL, a body that does not
    /// serialise, a service token that cannot be signed.
    #[error("call to the {service} service could not be made: {reason}")]
    Request {
        /// The service to be called.
        service: String,
        /// Why not, for the logs.
        reason: String,
    },
}

impl ClientError {
    /// A [`Status`](Self::Status) error (for tests and hand-written clients).
    /// An invalid status becomes 500.
    ///
    /// ```
    /// let e = apiarist::client::ClientError::status("items", 409, serde_json::json!({"detail": "taken"}));
    /// assert_eq!(e.upstream_status().map(|s| s.as_u16()), Some(409));
    /// assert_eq!(e.detail(), Some(&serde_json::json!("taken")));
    /// ```
    pub fn status(service: &str, status: u16, body: Value) -> Self {
        Self::Status {
            service: service.to_owned(),
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
            retry_after: None,
        }
    }

    /// The service that was called.
    pub fn service(&self) -> &str {
        match self {
            Self::Unavailable { service, .. }
            | Self::Timeout { service, .. }
            | Self::Status { service, .. }
            | Self::Decode { service, .. }
            | Self::Request { service, .. } => service,
        }
    }

    /// The status the other service answered with, when it answered with an error.
    pub fn upstream_status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The other service's error body, when it answered with an error.
    pub fn body(&self) -> Option<&Value> {
        match self {
            Self::Status { body, .. } => Some(body),
            _ => None,
        }
    }

    /// The `detail` of the other service's error body (the whole body when it has
    /// no `detail`), when it answered with an error.
    pub fn detail(&self) -> Option<&Value> {
        self.body().map(|body| body.get("detail").unwrap_or(body))
    }

    /// Whether the call may have taken effect on the other side although no answer
    /// says so: a timeout, a broken answer, a server error. A saga compensates then;
    /// after [`Unavailable`](Self::Unavailable) (nothing was received) it need not.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Decode { .. } => true,
            Self::Status { status, .. } => status.is_server_error(),
            Self::Unavailable { .. } | Self::Request { .. } => false,
        }
    }

    /// The error as this service answers it (see the table on [`ClientError`]).
    pub fn to_http_error(&self) -> HttpError {
        let service = self.service();
        match self {
            Self::Unavailable { .. } => unavailable(service, 502),
            Self::Timeout { after, .. } => timed_out(service, *after),
            Self::Decode { .. } => {
                HttpError::new(502, format!("{service} service sent an invalid response"))
            }
            Self::Request { .. } => HttpError::new(500, "Internal Server Error"),
            Self::Status {
                status,
                retry_after,
                ..
            } => {
                let error = match status.as_u16() {
                    401 | 403 | 407 => {
                        HttpError::new(502, format!("{service} service refused the call"))
                    }
                    408 | 504 => HttpError::new(504, format!("{service} service timed out")),
                    503 => unavailable(service, 503),
                    400..=499 => {
                        let detail = self.detail().cloned().unwrap_or(Value::Null);
                        HttpError::new(status.as_u16(), detail)
                    }
                    _ => HttpError::new(502, format!("{service} service failed")),
                };
                match retry_after {
                    Some(value) => error.with_header("retry-after", value),
                    None => error,
                }
            }
        }
    }
}

fn unavailable(service: &str, status: u16) -> HttpError {
    HttpError::new(status, format!("{service} service unavailable"))
}

fn timed_out(service: &str, after: Duration) -> HttpError {
    HttpError::new(504, format!("{service} service timed out after {after:?}"))
}

impl From<ClientError> for HttpError {
    fn from(error: ClientError) -> Self {
        error.to_http_error()
    }
}

impl ResponseError for ClientError {
    fn status_code(&self) -> StatusCode {
        self.to_http_error().status()
    }

    fn error_response(&self) -> HttpResponse {
        self.to_http_error().error_response()
    }
}

/// Documents what a route that calls another service may add to its own statuses:
/// 502 and 504 (the passed-on 4xx are the route's usual ones), each with the
/// `HTTPError` body.
impl ApiErrorComponent for ClientError {
    fn schemas_by_status_code(
        v: OpenApiVersion,
    ) -> BTreeMap<String, (String, ReferenceOr<ApistosSchema>)> {
        HttpError::schemas_by_status_code(v)
    }

    fn error_responses(v: OpenApiVersion) -> Vec<(String, Response)> {
        let mut responses = HttpError::error_responses(v);
        for (status, description) in [
            (
                "502",
                "Bad Gateway: a service this one calls is unavailable",
            ),
            (
                "504",
                "Gateway Timeout: a service this one calls did not answer in time",
            ),
        ] {
            responses.push((
                status.to_owned(),
                Response {
                    description: description.to_owned(),
                    ..Default::default()
                },
            ));
        }
        responses
    }
}
