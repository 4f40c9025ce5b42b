//! Bounds on a request: how big its body may be, how long its handling may take.

use std::{
    any::TypeId,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use actix_web::{
    HttpMessage,
    dev::{Payload, ServiceResponse},
    error::PayloadError,
    http::header::CONTENT_LENGTH,
    web::{self, Bytes},
};
use futures_util::Stream;

use super::layer::{Middleware, Placement};
use crate::{HttpError, routing::RouteState};

/// The body limit in force for a request, for the 413's message (app data).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimitInfo(pub(crate) usize);

/// `413 {"detail": "Request body is larger than the limit of N bytes"}`.
pub(crate) fn too_large(limit: usize) -> HttpError {
    HttpError::new(
        413,
        format!("Request body is larger than the limit of {limit} bytes"),
    )
}

/// A hard limit on request bodies: `413 {"detail": "Request body is larger than the
/// limit of N bytes"}`.
///
/// A `Content-Length` over the limit is refused before the handler runs; a body
/// without one (chunked) is counted as it streams and cut off at the limit. Bodies
/// read whole (JSON, forms) on the routes it covers get the same limit, replacing
/// the app's default ([`App::body_limit`](crate::App::body_limit), 1 MiB, which
/// applies only to bodies read whole). Where several apply (app and router), the
/// smallest wins. Multipart uploads keep their per-part limits
/// ([`MultipartLimits`](crate::MultipartLimits)) inside it.
///
/// ```
/// use apiarist::{App, Router, middleware::BodyLimit};
///
/// let uploads = Router::with_prefix("/uploads").middleware(BodyLimit::new(20 << 20));
/// let app = App::new("svc").middleware(BodyLimit::new(64 << 10)).include(uploads);
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    bytes: usize,
}

impl BodyLimit {
    /// Refuses bodies larger than `bytes`.
    pub fn new(bytes: usize) -> Self {
        Self { bytes }
    }
}

impl From<BodyLimit> for Middleware {
    fn from(BodyLimit { bytes: limit }: BodyLimit) -> Self {
        let mut middleware =
            Middleware::layer("body limit", Placement::PerRoute, move |mut req, next| {
                let declared = req
                    .headers()
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                if declared.is_some_and(|len| len > limit as u64) {
                    let refused = req.error_response(too_large(limit));
                    return Box::pin(std::future::ready(Ok(refused)));
                }
                let payload = req.take_payload();
                let limited: actix_http::BoxedPayloadStream = Box::pin(Limited {
                    inner: payload,
                    left: limit,
                });
                req.set_payload(Payload::from(limited));
                next.call(req)
            });
        middleware.statuses = &[413];
        middleware.states = vec![RouteState {
            type_id: TypeId::of::<BodyLimitInfo>(),
            attach: Arc::new(move |resource| {
                resource
                    .app_data(web::PayloadConfig::new(limit))
                    .app_data(BodyLimitInfo(limit))
            }),
        }];
        middleware
    }
}

/// A payload that fails with `Overflow` past `left` bytes.
struct Limited {
    inner: Payload,
    left: usize,
}

impl Stream for Limited {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            if chunk.len() > self.left {
                self.left = 0;
                return Poll::Ready(Some(Err(PayloadError::Overflow)));
            }
            self.left -= chunk.len();
        }
        polled
    }
}

/// Answers `504 {"detail": "Request timed out after 30 s"}` when the handler (and
/// the middleware and dependencies inside this one) has not answered in time. Its
/// work is cancelled: the handler's future is dropped at its next `.await`, so a
/// request's transaction rolls back and its dependencies' cleanup runs as for a
/// failure. Work the handler handed elsewhere (an actor message already sent, a
/// spawned task) goes on. The timeout covers the time to the response's head, not
/// the streaming of its body.
///
/// ```
/// use std::time::Duration;
/// use apiarist::{App, middleware::Timeout};
///
/// let app = App::new("svc").middleware(Timeout::new(Duration::from_secs(30)));
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Timeout {
    after: Duration,
}

impl Timeout {
    /// Cancels handling after `after`.
    pub fn new(after: Duration) -> Self {
        Self { after }
    }
}

fn human(duration: Duration) -> String {
    if duration.subsec_millis() == 0 && duration.as_secs() > 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

impl From<Timeout> for Middleware {
    fn from(Timeout { after }: Timeout) -> Self {
        let detail: Arc<str> = format!("Request timed out after {}", human(after)).into();
        let mut middleware = Middleware::layer("timeout", Placement::PerRoute, move |req, next| {
            let request = req.request().clone();
            let called = next.call(req);
            let detail = detail.clone();
            Box::pin(async move {
                match tokio::time::timeout(after, called).await {
                    Ok(answered) => answered,
                    Err(_) => {
                        tracing::warn!(timeout_ms = after.as_millis() as u64, "request timed out");
                        let error = HttpError::new(504, &*detail);
                        Ok(ServiceResponse::from_err(error, request))
                    }
                }
            })
        });
        middleware.statuses = &[504];
        middleware
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(Duration::from_secs(30)), "30 s");
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
        assert_eq!(human(Duration::from_millis(1500)), "1500 ms");
    }
}
