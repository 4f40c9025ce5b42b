//! Trace export over OTLP/HTTP (the `otel` feature): the settings, the
//! `tracing-opentelemetry` layer, and the bridge between tracing spans and
//! [`TraceParent`]s.
//!
//! The exporter is a batch exporter on its own thread, so a request never waits for
//! the collector; spans of a process that ends are sent by [`flush`].

use std::sync::OnceLock;

use opentelemetry::{
    Context,
    trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider as _,
    },
};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{Layer, Registry};

use super::TraceParent;

/// The installed exporter; set once, by [`super::Telemetry::install`].
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// How spans travel to the collector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// `http/protobuf`, OTLP's default (port 4318).
    #[default]
    Protobuf,
    /// `http/json`.
    Json,
}

/// Where and how traces are exported (the `otel` feature).
///
/// From the environment ([`from_env`](Self::from_env)) it honours the standard
/// OpenTelemetry variables:
///
/// | variable | meaning |
/// | --- | --- |
/// | `OTEL_EXPORTER_OTLP_ENDPOINT` | the collector's base URL (`/v1/traces` is appended); export is on when this or the next is set |
/// | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | the full URL for traces |
/// | `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` (default) or `http/json`; `grpc` is not supported |
/// | `OTEL_EXPORTER_OTLP_HEADERS` | `key=value,...` sent with every export (an API key) |
/// | `OTEL_SERVICE_NAME` | the `service.name` of the spans (default: the program's name) |
///
/// ```
/// use apiarist::telemetry::{OtlpExport, OtlpProtocol};
///
/// let export = OtlpExport::new("http://127.0.0.1:4318")
///     .protocol(OtlpProtocol::Json)
///     .service_name("orders");
/// assert_eq!(export.traces_endpoint(), Some("http://127.0.0.1:4318/v1/traces"));
/// ```
#[derive(Debug, Clone)]
pub struct OtlpExport {
    /// `None`: the exporter resolves the environment's endpoint variables itself.
    endpoint: Option<String>,
    protocol: Result<OtlpProtocol, String>,
    service_name: Option<String>,
}

impl OtlpExport {
    /// Export to the collector at `base_url` (`/v1/traces` is appended), over
    /// `http/protobuf`.
    pub fn new(base_url: &str) -> Self {
        Self {
            endpoint: Some(format!("{}/v1/traces", base_url.trim_end_matches('/'))),
            protocol: Ok(OtlpProtocol::Protobuf),
            service_name: None,
        }
    }

    /// The export the environment asks for, if any (see the table above).
    pub fn from_env() -> Option<Self> {
        let set =
            |value: Result<String, std::env::VarError>| value.is_ok_and(|v| !v.trim().is_empty());
        if !set(std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT"))
            && !set(std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        {
            return None;
        }
        let protocol = match std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL").as_deref() {
            Err(_) | Ok("" | "http/protobuf") => Ok(OtlpProtocol::Protobuf),
            Ok("http/json") => Ok(OtlpProtocol::Json),
            Ok(other) => Err(format!(
                "OTEL_EXPORTER_OTLP_PROTOCOL={other} is not supported; \
                 use http/protobuf (the collector's port 4318) or http/json"
            )),
        };
        Some(Self {
            endpoint: None,
            protocol,
            service_name: None,
        })
    }

    /// Sends spans with `protocol`.
    pub fn protocol(mut self, protocol: OtlpProtocol) -> Self {
        self.protocol = Ok(protocol);
        self
    }

    /// The `service.name` the spans carry (else `OTEL_SERVICE_NAME`, else the
    /// program's file name).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// The URL spans are posted to, when given in code rather than by the
    /// environment.
    pub fn traces_endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// Builds the exporter and the layer that feeds it.
    pub(super) fn layer(
        self,
    ) -> Result<(Box<dyn Layer<Registry> + Send + Sync>, SdkTracerProvider), String> {
        let protocol = match self.protocol? {
            OtlpProtocol::Protobuf => Protocol::HttpBinary,
            OtlpProtocol::Json => Protocol::HttpJson,
        };
        let mut exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(protocol);
        if let Some(endpoint) = self.endpoint {
            exporter = exporter.with_endpoint(endpoint);
        }
        let exporter = exporter.build().map_err(|e| e.to_string())?;
        let mut resource = Resource::builder();
        if let Some(name) = self.service_name.or_else(default_service_name) {
            resource = resource.with_service_name(name);
        }
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build();
        let tracer = provider.tracer("apiarist");
        let layer = tracing_opentelemetry::layer().with_tracer(tracer).boxed();
        Ok((layer, provider))
    }
}

/// The program's file name, unless `OTEL_SERVICE_NAME` names the service (the
/// SDK reads that variable itself).
fn default_service_name() -> Option<String> {
    if std::env::var_os("OTEL_SERVICE_NAME").is_some() {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    Some(exe.file_stem()?.to_string_lossy().into_owned())
}

/// Makes `provider` the process's exporter (the first one installed wins).
pub(super) fn activate(provider: SdkTracerProvider) {
    let _ = PROVIDER.set(provider);
}

/// Whether spans are being exported.
#[inline]
pub(super) fn active() -> bool {
    PROVIDER.get().is_some()
}

/// Sends what is buffered; see [`super::flush`].
pub(super) fn flush() {
    if let Some(provider) = PROVIDER.get()
        && let Err(error) = provider.force_flush()
    {
        eprintln!("could not send the last traces: {error}");
    }
}

/// The context of the span being executed, as a `traceparent`.
pub(super) fn current() -> Option<TraceParent> {
    if !active() {
        return None;
    }
    let context = tracing::Span::current().context();
    let span = context.span();
    let ids = span.span_context();
    ids.is_valid().then(|| {
        TraceParent::from_parts(
            format!("{:032x}", ids.trace_id()),
            format!("{:016x}", ids.span_id()),
            ids.is_sampled(),
        )
    })
}

/// Makes `span` continue the remote `parent` (which sent a request or a message).
pub(super) fn set_remote_parent(span: &tracing::Span, parent: &TraceParent) {
    let (Ok(trace_id), Ok(span_id)) = (
        TraceId::from_hex(parent.trace_id()),
        SpanId::from_hex(parent.span_id()),
    ) else {
        return;
    };
    let flags = if parent.sampled() {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    let remote = SpanContext::new(trace_id, span_id, flags, true, TraceState::default());
    // Fails only when no OpenTelemetry layer sees the span (filtered out).
    let _ = span.set_parent(Context::new().with_remote_span_context(remote));
}

/// Gives `span` the name trace viewers show (known only once a request was routed).
pub(super) fn rename(span: &tracing::Span, name: String) {
    span.context().span().update_name(name);
}
