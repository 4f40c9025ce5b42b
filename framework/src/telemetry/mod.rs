//! Logs and traces.
//!
//! **Logs** go through `tracing-subscriber`: human-readable lines by default, one JSON
//! object per line with `LOG_FORMAT=json` (what log shippers want in production); the
//! level comes from `RUST_LOG` (default `info`, with sqlx's per-query logs turned down
//! to `warn`).
//!
//! **Traces** follow the W3C trace context. Every request and every job belongs to a
//! trace: a request continues the `traceparent` header it came with (or starts a
//! trace), and what it causes carries the trace on, as the `traceparent` header of
//! calls to other services and of the jobs it enqueues, which the worker continues
//! ([`TraceParent`]).
//!
//! **Export** of those traces is the `otel` cargo feature: with it, and
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, the
//! request and job spans are sent over OTLP/HTTP to a collector (Jaeger, Tempo, the
//! OpenTelemetry Collector...), one trace from the gateway through the services and
//! AMQP to the worker. See [`OtlpExport`] for the settings. Without the feature, or
//! without an endpoint, nothing is exported and the request path pays nothing for it.

mod traceparent;

#[cfg(feature = "otel")]
mod otlp;

#[cfg(feature = "otel")]
pub use otlp::{OtlpExport, OtlpProtocol};
pub use traceparent::{TRACEPARENT, TraceParent};

use tracing_subscriber::{EnvFilter, Layer, Registry, layer::SubscriberExt};

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Installs the global subscriber from the environment once; later calls (and
/// tests) are no-ops. The body of [`Telemetry::from_env`] then
/// [`install`](Telemetry::install).
///
/// ```
/// apiarist::telemetry::init();
/// tracing::info!("logging is set up");
/// ```
pub fn init() {
    Telemetry::from_env().install();
}

/// What [`init`] sets up, for programs that configure it themselves.
///
/// ```
/// use apiarist::telemetry::Telemetry;
///
/// let installed = Telemetry::from_env().filter("warn").json(true).install();
/// # let _ = installed;
/// ```
#[derive(Debug)]
pub struct Telemetry {
    filter: String,
    json: bool,
    #[cfg(feature = "otel")]
    otlp: Option<OtlpExport>,
}

impl Telemetry {
    /// `RUST_LOG` (else [`DEFAULT_FILTER`]), `LOG_FORMAT=json`, and with the `otel`
    /// feature [`OtlpExport::from_env`].
    pub fn from_env() -> Self {
        Self {
            filter: std::env::var("RUST_LOG").unwrap_or_else(|_| DEFAULT_FILTER.to_owned()),
            json: std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json")),
            #[cfg(feature = "otel")]
            otlp: OtlpExport::from_env(),
        }
    }

    /// Which spans and events are kept, in `RUST_LOG`'s syntax. Exported traces
    /// follow it too: the request and job spans are at `info`.
    pub fn filter(mut self, directives: impl Into<String>) -> Self {
        self.filter = directives.into();
        self
    }

    /// JSON lines instead of human-readable ones.
    pub fn json(mut self, json: bool) -> Self {
        self.json = json;
        self
    }

    /// Exports traces to this collector (replacing what the environment said).
    ///
    /// ```
    /// use apiarist::telemetry::{OtlpExport, Telemetry};
    ///
    /// let telemetry = Telemetry::from_env()
    ///     .otlp(OtlpExport::new("http://otel-collector:4318").service_name("orders"));
    /// # let _ = telemetry;
    /// ```
    #[cfg(feature = "otel")]
    pub fn otlp(mut self, export: OtlpExport) -> Self {
        self.otlp = Some(export);
        self
    }

    /// Installs the global subscriber. Returns `false`, changing nothing, when one
    /// was already installed (by an earlier call, a test harness or an embedding
    /// program). A bad filter falls back to [`DEFAULT_FILTER`] with a warning on
    /// stderr; an exporter that cannot be built leaves logs on and says why.
    pub fn install(self) -> bool {
        let filter = EnvFilter::try_new(&self.filter).unwrap_or_else(|error| {
            eprintln!("ignoring the log filter {:?}: {error}", self.filter);
            EnvFilter::new(DEFAULT_FILTER)
        });
        let logs = if self.json {
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .boxed()
        } else {
            tracing_subscriber::fmt::layer().compact().boxed()
        };
        #[cfg(feature = "otel")]
        let (export, exporting) = match self.otlp.map(OtlpExport::layer).transpose() {
            Ok(Some((layer, provider))) => (Some(layer), Some(provider)),
            Ok(None) => (None, None),
            Err(error) => {
                eprintln!("traces are not exported: {error}");
                (None, None)
            }
        };
        #[cfg(not(feature = "otel"))]
        let export = None;
        let layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> =
            std::iter::once(logs).chain(export).collect();
        let installed =
            tracing::subscriber::set_global_default(Registry::default().with(layers).with(filter))
                .is_ok();
        #[cfg(feature = "otel")]
        if let (true, Some(provider)) = (installed, exporting) {
            otlp::activate(provider);
        }
        installed
    }
}

/// Sends the spans still buffered to the collector, waiting for it (a few seconds
/// at most). Serving an [`App`](crate::App) calls it when the server has stopped;
/// a program that exits otherwise calls it before it does. Without the `otel`
/// feature or an exporter, it does nothing.
///
/// ```
/// apiarist::telemetry::flush();
/// ```
pub fn flush() {
    #[cfg(feature = "otel")]
    otlp::flush();
}

/// Whether spans are being exported (the `otel` feature with an exporter installed).
#[inline]
pub(crate) fn exporting() -> bool {
    #[cfg(feature = "otel")]
    {
        otlp::active()
    }
    #[cfg(not(feature = "otel"))]
    {
        false
    }
}

/// Prepares a new span for export: its kind (`server` for a request, `consumer` for
/// a job) and the remote `parent` it continues. The span must declare `otel.kind`.
/// Does nothing unless [`exporting`].
pub(crate) fn continue_trace(
    span: &tracing::Span,
    kind: &'static str,
    parent: impl FnOnce() -> Option<TraceParent>,
) {
    if !exporting() || span.is_disabled() {
        return;
    }
    span.record("otel.kind", kind);
    #[cfg(feature = "otel")]
    if let Some(parent) = parent() {
        otlp::set_remote_parent(span, &parent);
    }
    #[cfg(not(feature = "otel"))]
    let _ = parent;
}

/// Names an exported span (`GET /items/{item_id}`, `job orders.confirm`). Does
/// nothing unless [`exporting`].
pub(crate) fn name_span(span: &tracing::Span, name: impl FnOnce() -> String) {
    if !exporting() || span.is_disabled() {
        return;
    }
    #[cfg(feature = "otel")]
    otlp::rename(span, name());
    #[cfg(not(feature = "otel"))]
    let _ = name;
}

/// Records OpenTelemetry's HTTP server attributes on an exported request span:
/// `http.request.method`, `url.path` and `http.route` of `request` (when it survived
/// its handling, and the route when one matched) and `http.response.status_code`
/// (an integer, as the conventions want). The span must declare them. Does nothing
/// unless [`exporting`].
pub(crate) fn record_http(
    span: &tracing::Span,
    request: Option<&actix_web::HttpRequest>,
    route: Option<&str>,
    status: actix_web::http::StatusCode,
) {
    if !exporting() || span.is_disabled() {
        return;
    }
    if let Some(request) = request {
        span.record("http.request.method", request.method().as_str());
        span.record("url.path", request.path());
    }
    if let Some(route) = route {
        span.record("http.route", route);
    }
    span.record("http.response.status_code", i64::from(status.as_u16()));
}

/// Marks an exported span failed (a 5xx, a job that failed). The span must declare
/// `otel.status_code`. Does nothing unless [`exporting`].
pub(crate) fn mark_failed(span: &tracing::Span) {
    if exporting() && !span.is_disabled() {
        span.record("otel.status_code", "ERROR");
    }
}
