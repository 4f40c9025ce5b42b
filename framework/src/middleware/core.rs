//! The framework's own middleware: one layer around every app that gives each request
//! an id and a tracing span, turns panics into 500s, and renders errors uniformly.
//!
//! It is a single layer on purpose: each actix middleware is a boxed future per
//! request, and these concerns all need the same before/after points.
//!
//! - **Request id**: taken from `X-Request-Id` when the client sent a sane one,
//!   generated otherwise; echoed in the response and recorded on the span, so the logs
//!   of one request (and later of the jobs it causes) can be found together. It is
//!   the current id ([`RequestId::current`]) whenever the request's future is polled.
//! - **Panics**: a panic in a handler is caught, logged with its backtrace and the
//!   request id by the panic hook installed here (see `lost`), and answered as
//!   `500 {"detail": "Internal Server Error"}`; the worker keeps serving.
//! - **Errors**: exception handlers registered on the app see every error first; then
//!   the framework's own error types are re-rendered if the app chose problem details;
//!   any other error whose body is not JSON (actix-web's own, e.g. a payload too large)
//!   is rendered as `{"detail": ...}` so clients never get a bare text body; a body
//!   over the limit is a 413 naming the limit. A re-rendered error keeps the CORS
//!   headers the layers inside had added, so browsers can read it.
//! - **Metrics**: request count, latency and in-flight requests by route template
//!   and status (see [`crate::metrics`]), unless the app turned them off.

use std::{
    future::{Future, Ready, ready},
    panic::{AssertUnwindSafe, catch_unwind},
    pin::Pin,
    rc::Rc,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use actix_web::{
    Error, HttpMessage, HttpRequest, HttpResponse,
    body::BoxBody,
    dev::{Service, ServiceRequest, ServiceResponse, Transform},
    http::StatusCode,
};
use pin_project_lite::pin_project;
use serde_json::json;

use super::render::{finish, keep_cors_headers, render_error};
use crate::{
    ErrorFormat,
    di::{DeferredBody, Outcome, RequestScope, finish_scope},
    metrics::http as metrics,
    telemetry::{self, TraceParent},
};

use super::lost::{PreparedResponse, install_panic_hook};
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

impl<S> Service<ServiceRequest> for CoreService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = Error> + 'static,
{
    type Response = ServiceResponse;
    type Error = Error;
    type Future = Handling<S>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.0.service.poll_ready(cx)
    }

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let request_id = RequestId::from_header(req.headers().get(REQUEST_ID));
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
            http.request.method = tracing::field::Empty,
            url.path = tracing::field::Empty,
            http.route = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
        );
        telemetry::continue_trace(&span, "server", || TraceParent::from_headers(req.headers()));
        // With the request level filtered out (RUST_LOG=warn) the span is disabled:
        // it is not kept, entered on every poll, nor recorded on.
        let span = (!span.is_disabled()).then(|| Box::new(span));
        let method = self.0.in_flight.as_ref().map(|counter| {
            counter.enter();
            metrics::MethodLabel::of(req.method())
        });
        // The clock is read only when a span or the metrics will use it.
        let started = (span.is_some() || method.is_some()).then(Instant::now);
        // Calling the service routes the request; the app's code (extractors,
        // handlers, middleware) runs when its future is polled, in the request's
        // scope. Routing runs in its span all the same, and may panic too.
        let called = {
            let _entered = span.as_deref().map(tracing::Span::enter);
            catch_unwind(AssertUnwindSafe(|| self.0.service.call(req)))
        };
        Handling {
            stage: called.map_or(Stage::Panicked, |fut| Stage::Inner { fut }),
            inner: self.0.clone(),
            span,
            tracked: Tracked {
                request_id: Some(request_id),
                started,
                method,
            },
        }
    }
}

pin_project! {
    /// The future of one request: the inner service's, then (when dependencies
    /// registered any) their cleanup. Written by hand rather than as an `async fn`
    /// because it runs for every request: it needs no box of its own, and each poll
    /// enters the span and makes the request id current without a wrapper future.
    /// It is kept small (under 128 bytes): the server moves it a few times, and
    /// larger values are moved by a call to `memcpy`.
    pub(crate) struct Handling<S>
    where
        S: Service<ServiceRequest>,
    {
        #[pin]
        stage: Stage<S::Future>,
        inner: Rc<Inner<S>>,
        // The request's span, unless it is disabled.
        span: Option<Box<tracing::Span>>,
        tracked: Tracked,
    }

    impl<S> PinnedDrop for Handling<S>
    where
        S: Service<ServiceRequest>,
    {
        /// Answered or abandoned (the client went away), the request is in flight
        /// no more.
        fn drop(this: Pin<&mut Self>) {
            if let Some(counter) = &this.inner.in_flight {
                counter.leave();
            }
        }
    }
}

pin_project! {
    #[project = StageProj]
    enum Stage<F> {
        /// The inner service is handling the request.
        Inner { #[pin] fut: F },
        /// Calling the inner service panicked.
        Panicked,
        /// The dependencies' cleanup runs.
        Cleanup { fut: Pin<Box<dyn Future<Output = ServiceResponse>>> },
        /// The response has been returned.
        Done,
    }
}

impl<S> Future for Handling<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = Error>,
{
    type Output = Result<ServiceResponse, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let tracked: &mut Tracked = this.tracked;
        let span = this.span.as_deref();
        let _entered = span.map(tracing::Span::enter);
        let config = &this.inner.config;
        loop {
            // `Err` is a panic, already logged by the panic hook.
            let polled = match this.stage.as_mut().project() {
                StageProj::Inner { fut } => RequestId::scope(&mut tracked.request_id, || {
                    catch_unwind(AssertUnwindSafe(|| fut.poll(cx))).map_err(drop)
                }),
                StageProj::Panicked => Err(()),
                StageProj::Cleanup { fut } => {
                    let polled = RequestId::scope(&mut tracked.request_id, || {
                        catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx)))
                    });
                    let answer = match polled {
                        Ok(Poll::Pending) => return Poll::Pending,
                        Ok(Poll::Ready(mut res)) => {
                            tracked.answered(span, &mut res);
                            Ok(res)
                        }
                        Err(_) => Err(tracked.panicked(span)),
                    };
                    this.stage.set(Stage::Done);
                    return Poll::Ready(answer);
                }
                StageProj::Done => panic!("a request's future was polled after it completed"),
            };
            let answer = match polled {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(Ok(mut res))) => {
                    if res.response().error().is_some() {
                        res = finish(res, config);
                    }
                    // Most requests registered no cleanup: no future for them.
                    if has_scope(&res) {
                        let fut = Box::pin(finish_request(res, config.clone()));
                        this.stage.set(Stage::Cleanup { fut });
                        continue;
                    }
                    tracked.answered(span, &mut res);
                    Ok(res)
                }
                // No request is left to answer with (it was moved into the failed service).
                Ok(Poll::Ready(Err(err))) => {
                    let mut response = render_error(&err, config);
                    // Layers inside (CORS) left their headers as response mappers.
                    keep_cors_headers(&err.error_response(), &mut response);
                    Err(tracked.lost(span, response))
                }
                Err(()) => Err(tracked.panicked(span)),
            };
            this.stage.set(Stage::Done);
            return Poll::Ready(answer);
        }
    }
}

/// What the middleware keeps of a request while its handler runs, to finish the
/// response with.
struct Tracked {
    /// `None` only while it is current (see [`RequestId::scope`]), or once echoed.
    request_id: Option<RequestId>,
    started: Option<Instant>,
    /// The method's label, when metrics are on.
    method: Option<metrics::MethodLabel>,
}

impl Tracked {
    /// Records the route, metrics and outcome of an answered request, and echoes
    /// its id.
    fn answered(&mut self, span: Option<&tracing::Span>, res: &mut ServiceResponse) {
        if let Some(span) = span {
            let route = res.request().match_pattern();
            span.record("route", route.as_deref().unwrap_or("<unmatched>"));
            // OpenTelemetry's convention: `{method} {route}`, or the method alone
            // for a path no route matched (a proxied one, a 404).
            telemetry::name_span(span, || match &route {
                Some(route) => format!("{} {route}", res.request().method()),
                None => res.request().method().to_string(),
            });
            telemetry::record_http(span, Some(res.request()), route.as_deref(), res.status());
        }
        self.record(span, Some(res.request()), res.status());
        if let Some(id) = self.request_id.take() {
            res.headers_mut().insert(REQUEST_ID, id.into_header_value());
        }
    }

    /// A 500 for a request whose handling panicked.
    fn panicked(&mut self, span: Option<&tracing::Span>) -> Error {
        let response =
            HttpResponse::InternalServerError().json(json!({"detail": "Internal Server Error"}));
        self.lost(span, response)
    }

    /// The same for a request that is gone (it panicked, or the service failed):
    /// its response travels as an error that renders itself.
    fn lost(&mut self, span: Option<&tracing::Span>, response: HttpResponse) -> Error {
        if let Some(span) = span {
            telemetry::record_http(span, None, None, response.status());
        }
        self.record(span, None, response.status());
        PreparedResponse::new(response, self.request_id.take()).into()
    }

    /// The metrics and the outcome (on the span, and in the log) of a request
    /// answered with `status`; `req` is `None` when it did not survive.
    fn record(&self, span: Option<&tracing::Span>, req: Option<&HttpRequest>, status: StatusCode) {
        let elapsed = self.started.map(|started| started.elapsed());
        if let (Some(method), Some(elapsed)) = (self.method, elapsed) {
            metrics::observe(req, method, status, elapsed);
        }
        record_outcome(span, status, elapsed, self.request_id.as_ref());
    }
}

fn has_scope(res: &ServiceResponse) -> bool {
    res.request().extensions().contains::<RequestScope>()
}

/// Runs the cleanup that dependencies registered (committing or rolling back), and
/// attaches what must wait until the response is sent to its body.
async fn finish_request(mut res: ServiceResponse, config: Rc<CoreConfig>) -> ServiceResponse {
    let outcome = if res.status().as_u16() < 400 {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let (finished, deferred) = finish_scope(res.request(), outcome).await;
    if let Err(err) = finished {
        let req = res.request().clone();
        let mut response = render_error(&err, &config);
        keep_cors_headers(res.response(), &mut response);
        res = ServiceResponse::new(req, response);
    }
    if deferred.is_empty() {
        return res;
    }
    res.map_body(|_, body| BoxBody::new(DeferredBody::new(body, deferred)))
}

fn record_outcome(
    span: Option<&tracing::Span>,
    status: StatusCode,
    elapsed: Option<Duration>,
    request_id: Option<&RequestId>,
) {
    if let Some(span) = span {
        span.record("status", status.as_u16());
        if let Some(elapsed) = elapsed {
            span.record("latency_ms", elapsed.as_secs_f64() * 1000.0);
        }
    }
    if status.is_server_error() {
        if let Some(span) = span {
            telemetry::mark_failed(span);
        }
        // The id is repeated here: with the request level filtered out, the span that
        // would carry it is disabled, and this line must still be traceable.
        let request_id = request_id.map_or("", RequestId::as_str);
        tracing::error!(request_id, status = status.as_u16(), "request failed");
    } else {
        tracing::info!("request finished");
    }
}
