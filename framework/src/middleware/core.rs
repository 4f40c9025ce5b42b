//! The framework's own middleware: one layer around every app that gives each request
//! an id and a tracing span, turns panics into 500s, and renders errors uniformly.
//!
//! It is a single layer on purpose: each actix middleware is a boxed future per
//! request, and these concerns all need the same before/after points.
//!
//! - **Request id**: taken from `X-Request-Id` when the client sent a sane one,
//!   generated otherwise; echoed in the response and recorded on the span, so the logs
//!   of one request (and later of the jobs it causes) can be found together.
//! - **Panics**: a panic in a handler is caught, logged with its backtrace by the panic
//!   hook installed here, and answered as `500 {"detail": "Internal Server Error"}`; the
//!   worker keeps serving.
//! - **Errors**: exception handlers registered on the app see every error first; then
//!   the framework's own error types are re-rendered if the app chose problem details;
//!   any other error whose body is not JSON (actix-web's own, e.g. a payload too large)
//!   is rendered as `{"detail": ...}` so clients never get a bare text body; a body
//!   over the limit is a 413 naming the limit. A re-rendered error keeps the CORS
//!   headers the layers inside had added, so browsers can read it.
//! - **Metrics**: request count, latency and in-flight requests by route template
//!   and status (see [`crate::metrics`]), unless the app turned them off.

use std::{
    backtrace::Backtrace,
    future::{Future, Ready, ready},
    panic::AssertUnwindSafe,
    pin::Pin,
    rc::Rc,
    sync::{Arc, Once},
    task::{Context, Poll},
    time::Instant,
};

use actix_web::{
    Error, HttpMessage, HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{Service, ServiceRequest, ServiceResponse, Transform},
    http::StatusCode,
};
use futures_util::FutureExt;
use serde_json::json;
use tracing::Instrument;

use super::render::{finish, keep_cors_headers, render_error};
use crate::{
    ErrorFormat,
    di::{DeferredBody, Outcome, RequestScope, finish_scope},
    metrics::http as metrics,
    telemetry::{self, TraceParent},
};

use super::request_id::REQUEST_ID;
use super::request_id::RequestId;

/// Maps one error type to a response; registered with
/// [`App::exception_handler`](crate::App::exception_handler).
pub(crate) type ExceptionHandler = Arc<dyn Fn(&Error) -> Option<HttpResponse> + Send + Sync>;

/// Settings shared by every worker's copy of the middleware.
#[derive(Clone, Default)]
pub(crate) struct CoreConfig {
    pub(crate) format: ErrorFormat,
    pub(crate) handlers: Vec<ExceptionHandler>,
    /// Record the request metrics.
    pub(crate) metrics: bool,
}

/// The middleware factory.
pub(crate) struct Core {
    config: Rc<CoreConfig>,
}

impl Core {
    pub(crate) fn new(config: CoreConfig) -> Self {
        install_panic_hook();
        Self {
            config: Rc::new(config),
        }
    }
}

impl<S> Transform<S, ServiceRequest> for Core
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = Error> + 'static,
{
    type Response = ServiceResponse;
    type Error = Error;
    type Transform = CoreService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CoreService(Rc::new(Inner {
            service,
            config: self.config.clone(),
            in_flight: self.config.metrics.then(metrics::InFlightCounter::register),
        }))))
    }
}

/// The per-worker middleware service. Everything a request's future needs from it
/// sits behind one `Rc`: a single reference count per request.
pub(crate) struct CoreService<S>(Rc<Inner<S>>);

struct Inner<S> {
    service: S,
    config: Rc<CoreConfig>,
    /// This worker's requests in flight, when metrics are on.
    in_flight: Option<metrics::InFlightCounter>,
}

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S> Service<ServiceRequest> for CoreService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = Error> + 'static,
{
    type Response = ServiceResponse;
    type Error = Error;
    type Future = LocalBoxFuture<Result<Self::Response, Error>>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.0.service.poll_ready(cx)
    }

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let request_id = RequestId::from_header(req.headers().get(REQUEST_ID));
        req.extensions_mut().insert(request_id.clone());
        let span = tracing::info_span!(
            "request",
            method = %req.method(),
            path = %req.path(),
            route = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
            request_id = %request_id,
            otel.kind = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        telemetry::continue_trace(&span, "server", || TraceParent::from_headers(req.headers()));
        // With the request level filtered out (RUST_LOG=warn) the span is disabled:
        // skip entering it on every poll and computing what would be recorded on it.
        let enabled = !span.is_disabled();
        let measured = self
            .0
            .in_flight
            .as_ref()
            .map(|counter| (metrics::method_label(req.method()), counter.enter()));
        // The clock is read only when a span or the metrics will use it.
        let started = (enabled || measured.is_some()).then(Instant::now);
        let tracked = Tracked {
            request_id,
            span,
            enabled,
            started,
            measured,
        };
        if enabled {
            let span = tracked.span.clone();
            Box::pin(handle(self.0.clone(), req, tracked).instrument(span))
        } else {
            Box::pin(handle(self.0.clone(), req, tracked))
        }
    }
}

/// What the middleware keeps of a request while its handler runs, to finish the
/// response with.
struct Tracked {
    request_id: RequestId,
    span: tracing::Span,
    /// Whether the span records anything (the request level is on).
    enabled: bool,
    started: Option<Instant>,
    /// The method label and the in-flight guard, when metrics are on.
    measured: Option<(&'static str, metrics::InFlight)>,
}

impl Tracked {
    /// Echoes the id, records the route, metrics and outcome of an answered request.
    fn answered(self, mut res: ServiceResponse) -> ServiceResponse {
        res.headers_mut()
            .insert(REQUEST_ID, self.request_id.header_value());
        if self.enabled {
            let route = res.request().match_pattern();
            self.span
                .record("route", route.as_deref().unwrap_or("<unmatched>"));
            // OpenTelemetry's convention: `{method} {route}`, or the method alone
            // for a path no route matched (a proxied one, a 404).
            telemetry::name_span(&self.span, || match &route {
                Some(route) => format!("{} {route}", res.request().method()),
                None => res.request().method().to_string(),
            });
        }
        if let (Some((method, _)), Some(started)) = (&self.measured, self.started) {
            metrics::observe(Some(res.request()), method, res.status(), started.elapsed());
        }
        record_outcome(&self.span, res.status(), self.started, &self.request_id);
        res
    }

    /// The same for a request that is gone (it panicked, or the service failed):
    /// its response travels as an error that renders itself.
    fn lost(self, response: HttpResponse) -> Error {
        if let (Some((method, _)), Some(started)) = (&self.measured, self.started) {
            metrics::observe(None, method, response.status(), started.elapsed());
        }
        PreparedResponse::new(response, &self.request_id, &self.span, self.started).into()
    }
}

/// Runs the inner service for one request, answering panics and errors.
async fn handle<S>(
    inner: Rc<Inner<S>>,
    req: ServiceRequest,
    tracked: Tracked,
) -> Result<ServiceResponse, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = Error>,
{
    let called = std::panic::catch_unwind(AssertUnwindSafe(|| inner.service.call(req)));
    let outcome = match called {
        Ok(fut) => AssertUnwindSafe(fut).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    let config = &inner.config;
    match outcome {
        Ok(Ok(res)) => {
            let res = finish(res, config);
            // Most requests registered no cleanup: skip the scope's future for them.
            let res = if has_scope(&res) {
                finish_request(res, config).await
            } else {
                res
            };
            Ok(tracked.answered(res))
        }
        // No request is left to answer with (it was moved into the failed service).
        Ok(Err(err)) => {
            let mut response = render_error(&err, config);
            // Layers inside (CORS) left their headers as response mappers.
            keep_cors_headers(&err.error_response(), &mut response);
            Err(tracked.lost(response))
        }
        Err(_) => {
            // The panic hook has already logged message, location and backtrace.
            let response = HttpResponse::InternalServerError()
                .json(json!({"detail": "Internal Server Error"}));
            Err(tracked.lost(response))
        }
    }
}

fn has_scope(res: &ServiceResponse) -> bool {
    res.request().extensions().contains::<RequestScope>()
}

/// Runs the cleanup that dependencies registered (committing or rolling back), and
/// attaches what must wait until the response is sent to its body.
async fn finish_request(mut res: ServiceResponse, config: &CoreConfig) -> ServiceResponse {
    let outcome = if res.status().as_u16() < 400 {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let (finished, deferred) = finish_scope(res.request(), outcome).await;
    if let Err(err) = finished {
        let req = res.request().clone();
        let mut response = render_error(&err, config);
        keep_cors_headers(res.response(), &mut response);
        res = ServiceResponse::new(req, response);
    }
    if deferred.is_empty() {
        return res;
    }
    res.map_body(|_, body| BoxBody::new(DeferredBody::new(body, deferred)))
}

fn record_outcome(
    span: &tracing::Span,
    status: StatusCode,
    started: Option<Instant>,
    request_id: &RequestId,
) {
    if !span.is_disabled() {
        span.record("status", status.as_u16());
        if let Some(started) = started {
            span.record("latency_ms", started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    if status.is_server_error() {
        telemetry::mark_failed(span);
        // The id is repeated here: with the request level filtered out, the span that
        // would carry it is disabled, and this line must still be traceable.
        let request_id = request_id.as_str();
        tracing::error!(request_id, status = status.as_u16(), "request failed");
    } else {
        tracing::info!("request finished");
    }
}

/// A finished response carried as an error, for the paths where the request object
/// is gone (a panic, or an inner service that failed instead of answering).
#[derive(Debug)]
struct PreparedResponse {
    status: StatusCode,
    headers: actix_web::http::header::HeaderMap,
    body: actix_web::web::Bytes,
}

impl PreparedResponse {
    fn new(
        response: HttpResponse,
        request_id: &RequestId,
        span: &tracing::Span,
        started: Option<Instant>,
    ) -> Self {
        let status = response.status();
        let mut headers = response.headers().clone();
        headers.insert(REQUEST_ID, request_id.header_value());
        let body = response.into_body().try_into_bytes().unwrap_or_default();
        record_outcome(span, status, started, request_id);
        Self {
            status,
            headers,
            body,
        }
    }
}

impl std::fmt::Display for PreparedResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)
    }
}

impl actix_web::ResponseError for PreparedResponse {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::with_body(self.status, self.body.clone());
        for (name, value) in &self.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response.map_into_boxed_body()
    }
}

/// Logs panics through tracing, inside the span of the request that panicked, with a
/// backtrace. Installed once per process.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Outside a request (start-up, tests without a subscriber) keep the usual output.
            if tracing::Span::current().is_none() {
                return previous(info);
            }
            let payload = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "<non-string panic payload>".to_owned());
            let location = info.location().map(|l| l.to_string()).unwrap_or_default();
            let backtrace = Backtrace::force_capture();
            tracing::error!(panic = %payload, %location, "handler panicked\n{backtrace}");
        }));
    });
}
