//! [`TraceParent`]: the W3C `traceparent` value, and which one a request's work carries.

use std::fmt;

use actix_web::http::header::HeaderMap;

/// The header (and AMQP message header) that carries a [`TraceParent`].
pub const TRACEPARENT: &str = "traceparent";

/// A W3C trace context: which trace a piece of work belongs to and which span
/// caused it (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`).
///
/// ```
/// use apiarist::telemetry::TraceParent;
///
/// let parent = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
/// assert_eq!(parent.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// let child = parent.child();
/// assert_eq!(child.trace_id(), parent.trace_id());
/// assert_ne!(child.span_id(), parent.span_id());
/// assert!(TraceParent::parse("00-not-a-trace-01").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceParent {
    trace_id: String,
    span_id: String,
    sampled: bool,
}

impl TraceParent {
    /// Parses a `traceparent` value; `None` unless it is well-formed with non-zero
    /// ids (a malformed one starts a new trace, as the W3C recommendation says).
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.trim().split('-');
        let (version, trace_id, span_id, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let non_zero = |s: &str| s.bytes().any(|b| b != b'0');
        // Version 00 has exactly four parts; later versions may append more.
        let valid = hex(version, 2)
            && version != "ff"
            && (version != "00" || parts.next().is_none())
            && hex(trace_id, 32)
            && non_zero(trace_id)
            && hex(span_id, 16)
            && non_zero(span_id)
            && hex(flags, 2);
        valid.then(|| Self {
            trace_id: trace_id.to_owned(),
            span_id: span_id.to_owned(),
            sampled: u8::from_str_radix(flags, 16).is_ok_and(|f| f & 1 == 1),
        })
    }

    /// A context from ids already known to be well-formed.
    #[cfg(feature = "otel")]
    pub(super) fn from_parts(trace_id: String, span_id: String, sampled: bool) -> Self {
        Self {
            trace_id,
            span_id,
            sampled,
        }
    }

    /// A new trace, sampled.
    pub fn root() -> Self {
        Self {
            trace_id: uuid::Uuid::new_v4().simple().to_string(),
            span_id: new_span_id(),
            sampled: true,
        }
    }

    /// The same trace, with a new span id: for work this span causes when no
    /// exporter assigns real span ids.
    pub fn child(&self) -> Self {
        Self {
            span_id: new_span_id(),
            ..self.clone()
        }
    }

    /// The trace's id, 32 lower-case hex digits.
    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }

    /// The parent span's id, 16 lower-case hex digits.
    pub fn span_id(&self) -> &str {
        &self.span_id
    }

    /// Whether the trace is recorded.
    pub fn sampled(&self) -> bool {
        self.sampled
    }

    /// The `traceparent` of the span being executed, when traces are exported
    /// (the `otel` feature with an exporter installed) and there is one.
    ///
    /// ```
    /// // No exporter in this example: nothing to continue.
    /// assert_eq!(apiarist::telemetry::TraceParent::current(), None);
    /// ```
    pub fn current() -> Option<Self> {
        #[cfg(feature = "otel")]
        {
            super::otlp::current()
        }
        #[cfg(not(feature = "otel"))]
        {
            None
        }
    }

    /// What work caused by the request with these headers carries (calls to other
    /// services, jobs): the request's own span when traces are exported, else the
    /// trace the client sent continued with a new span id, else a new trace.
    ///
    /// ```
    /// use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
    /// use apiarist::telemetry::TraceParent;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(
    ///     HeaderName::from_static("traceparent"),
    ///     HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    /// );
    /// let onward = TraceParent::onward(&headers);
    /// assert_eq!(onward.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    /// assert_ne!(TraceParent::onward(&HeaderMap::new()).trace_id(), onward.trace_id());
    /// ```
    pub fn onward(headers: &HeaderMap) -> Self {
        Self::current()
            .or_else(|| Self::from_headers(headers).map(|parent| parent.child()))
            .unwrap_or_else(Self::root)
    }

    /// The well-formed `traceparent` among `headers`, if any.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        Self::parse(headers.get(TRACEPARENT)?.to_str().ok()?)
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = u8::from(self.sampled);
        write!(f, "00-{}-{}-{flags:02x}", self.trace_id, self.span_id)
    }
}

fn new_span_id() -> String {
    let mut id = uuid::Uuid::new_v4().simple().to_string();
    id.truncate(16);
    id
}

#[cfg(test)]
mod tests {
    use super::TraceParent;

    #[test]
    fn round_trips_and_rejects_what_the_recommendation_rejects() {
        let value = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assert_eq!(TraceParent::parse(value).unwrap().to_string(), value);
        let unsampled = TraceParent::parse(&value.replace("-01", "-00")).unwrap();
        assert!(!unsampled.sampled());
        for bad in [
            "",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad}");
        }
        // A later version may carry more fields.
        assert!(
            TraceParent::parse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x")
                .is_some()
        );
        let root = TraceParent::root();
        assert_eq!(TraceParent::parse(&root.to_string()), Some(root));
    }
}
