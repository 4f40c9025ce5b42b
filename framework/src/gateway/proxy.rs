//! Forwarding a request to the service that owns its path, and its answer back.
//!
//! What a reverse proxy must get right, and how this one does:
//!
//! - **Streams, both ways.** The request body goes up as it arrives (with its
//!   `Content-Length` when it had one, chunked otherwise), the response body comes
//!   down the same way: an upload or a large listing is never held in memory.
//! - **End-to-end headers only.** `Authorization`, cookies, content negotiation and
//!   every other end-to-end header pass unchanged; the hop-by-hop ones (RFC 9110
//!   §7.6.1: `Connection` and whatever it names, `Keep-Alive`, `TE`, `Upgrade`, ...)
//!   are this hop's business and are dropped, both ways. `Host` becomes the
//!   service's; the client's own `Host`, address and scheme go up as
//!   `X-Forwarded-Host`, `X-Forwarded-For` and `X-Forwarded-Proto`, replacing any the
//!   client sent (the gateway is the edge: what a client claims there is not
//!   evidence).
//! - **One request id.** The request's `X-Request-Id` (the client's, or the one the
//!   framework's middleware made up) goes up with it, so the gateway's log line
//!   and the service's carry the same id, and comes back in the response.
//! - **Never hang.** The service must start answering within the gateway's
//!   timeout, and then keep sending: a body that stalls for that long is cut.
//! - **WebSockets piped, not proxied.** A WebSocket handshake is handed to
//!   [`tunnel`](super::tunnel): after the service's `101`, the two connections
//!   are joined byte for byte.
//! - **Failures that say where.** A service that cannot be reached is a
//!   `502 {"detail": "items service unavailable", "service": "items"}`; one that
//!   does not answer in time a `504 {"detail": "items service timed out after 30s",
//!   "service": "items"}`. Why exactly (refused, reset, which address) goes to the
//!   log, not to the client. The service's own answers, errors included, pass
//!   through untouched.

use std::{io, time::Duration};

use actix_web::{
    HttpRequest, HttpResponse,
    body::{BodyStream, SizedStream},
    http::{
        Method, StatusCode,
        header::{self, HeaderMap, HeaderName, HeaderValue},
    },
    web,
};
use awc::error::{ConnectError, SendRequestError};
use futures_util::{Stream, StreamExt};
use serde_json::json;

use super::{Shared, Upstream, tunnel};
use crate::{
    REQUEST_ID_HEADER, RequestId,
    telemetry::{TRACEPARENT, TraceParent},
};

/// Headers that concern one connection, never forwarded (RFC 9110 §7.6.1, plus
/// the non-standard `Proxy-Connection`).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Request headers the gateway sets itself (or, for the body's length, lets the
/// body set), whatever the client sent.
const REPLACED: &[&str] = &[
    "host",
    "content-length",
    "expect",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    REQUEST_ID_HEADER,
];

/// The default service of the gateway's app: every request no gateway route took.
pub(super) async fn forward(
    req: HttpRequest,
    payload: web::Payload,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let Some(upstream) = shared.config.upstream_for(req.path()) else {
        return HttpResponse::NotFound().json(json!({"detail": "Not Found"}));
    };
    if tunnel::is_websocket(&req) {
        return tunnel::tunnel(req, payload, &shared, upstream).await;
    }
    let timeout = shared.config.timeout;
    let path = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let mut outgoing = shared
        .client
        .request(req.method().clone(), format!("{}{path}", upstream.base()))
        .timeout(timeout);
    forwarded_headers(&req, outgoing.headers_mut());
    let sent = match request_body(req.headers()) {
        RequestBody::None => outgoing.send(),
        RequestBody::Sized(length) => outgoing.send_body(SizedStream::new(length, payload)),
        RequestBody::Chunked => outgoing.send_stream(payload),
    };
    match sent.await {
        Ok(response) => relay(response, req.method(), upstream, timeout),
        Err(error) => failure(upstream, &error, timeout, shared.config.connect_timeout()),
    }
}

/// How the client sent its body, so that the service gets it the same way.
enum RequestBody {
    None,
    Sized(u64),
    Chunked,
}

fn request_body(headers: &HeaderMap) -> RequestBody {
    let chunked = headers
        .get(header::TRANSFER_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return RequestBody::Chunked;
    }
    match content_length(headers) {
        Some(length) => RequestBody::Sized(length),
        None => RequestBody::None,
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Whether `name` is a hop-by-hop header of a message with these `headers`:
/// listed above, or named by its `Connection` header.
pub(super) fn is_hop_by_hop(name: &HeaderName, headers: &HeaderMap) -> bool {
    HOP_BY_HOP.contains(&name.as_str())
        || headers
            .get_all(header::CONNECTION)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|listed| listed.trim().eq_ignore_ascii_case(name.as_str()))
}

/// The headers the service gets: the client's end-to-end ones, the request id,
/// and the `X-Forwarded-*` the gateway vouches for.
pub(super) fn forwarded_headers(req: &HttpRequest, out: &mut HeaderMap) {
    let incoming = req.headers();
    for (name, value) in incoming {
        if !is_hop_by_hop(name, incoming) && !REPLACED.contains(&name.as_str()) {
            out.append(name.clone(), value.clone());
        }
    }
    let request_id = RequestId::current();
    let mut set = |name: &'static str, value: Option<String>| {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            out.insert(HeaderName::from_static(name), value);
        }
    };
    set(
        REQUEST_ID_HEADER,
        request_id.map(|id| id.as_str().to_owned()),
    );
    set(
        "x-forwarded-for",
        req.peer_addr().map(|a| a.ip().to_string()),
    );
    let scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    set("x-forwarded-proto", Some(scheme.to_owned()));
    let host = incoming
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(ToString::to_string));
    set("x-forwarded-host", host);
    // When traces are exported the service's span is a child of the gateway's;
    // otherwise the client's `traceparent` passes through unchanged.
    set(TRACEPARENT, TraceParent::current().map(|p| p.to_string()));
}

/// The service's response, streamed back with its end-to-end headers.
fn relay<S>(
    response: awc::ClientResponse<S>,
    method: &Method,
    upstream: &Upstream,
    idle: Duration,
) -> HttpResponse
where
    S: Stream<Item = Result<web::Bytes, awc::error::PayloadError>> + Unpin + 'static,
{
    let status = response.status();
    let mut answer = HttpResponse::build(status);
    let headers = response.headers();
    for (name, value) in headers {
        if !is_hop_by_hop(name, headers) && name != header::CONTENT_LENGTH {
            answer.append_header((name.clone(), value.clone()));
        }
    }
    let bodiless = *method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    if bodiless {
        return answer.finish();
    }
    let length = content_length(headers);
    let body = stall_guard(response, idle, upstream.name.clone());
    match length {
        Some(length) => answer.body(SizedStream::new(length, body)),
        None => answer.body(BodyStream::new(body)),
    }
}

/// Ends `body` with an error when it stalls for `idle` (the client then sees its
/// response cut short rather than waiting forever).
fn stall_guard<S>(
    body: S,
    idle: Duration,
    service: String,
) -> impl Stream<Item = Result<web::Bytes, io::Error>> + 'static
where
    S: Stream<Item = Result<web::Bytes, awc::error::PayloadError>> + Unpin + 'static,
{
    futures_util::stream::unfold(Some(body), move |body| {
        let service = service.clone();
        async move {
            let mut body = body?;
            match actix_web::rt::time::timeout(idle, body.next()).await {
                Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(body))),
                Ok(None) => None,
                Ok(Some(Err(error))) => {
                    tracing::warn!(%service, %error, "the service's response body failed");
                    Some((Err(io::Error::other(error.to_string())), None))
                }
                Err(_) => {
                    tracing::warn!(%service, ?idle, "the service's response body stalled; cut");
                    Some((Err(io::Error::from(io::ErrorKind::TimedOut)), None))
                }
            }
        }
    })
}

/// The gateway's own answer when the service gave none.
fn failure(
    upstream: &Upstream,
    error: &SendRequestError,
    timeout: Duration,
    connect_timeout: Duration,
) -> HttpResponse {
    let why = error.to_string();
    match error {
        SendRequestError::Timeout => {
            gave_no_answer(upstream, StatusCode::GATEWAY_TIMEOUT, Some(timeout), &why)
        }
        SendRequestError::Connect(ConnectError::Timeout) => gave_no_answer(
            upstream,
            StatusCode::GATEWAY_TIMEOUT,
            Some(connect_timeout),
            &why,
        ),
        SendRequestError::Body(_) => {
            tracing::warn!(service = %upstream.name, error = %why, "the request body could not be read");
            HttpResponse::BadRequest().json(json!({"detail": "The request body could not be read"}))
        }
        _ => gave_no_answer(upstream, StatusCode::BAD_GATEWAY, None, &why),
    }
}

/// `status` (502, or 504 when the service took longer than `after`) with a JSON
/// body naming the service; `why` goes to the log only.
pub(super) fn gave_no_answer(
    upstream: &Upstream,
    status: StatusCode,
    after: Option<Duration>,
    why: &str,
) -> HttpResponse {
    let service = upstream.name.as_str();
    let detail = match after {
        Some(after) => format!("{service} service timed out after {}", seconds(after)),
        None => format!("{service} service unavailable"),
    };
    tracing::warn!(%service, url = %upstream.url, error = %why, status = status.as_u16(), "the service gave no answer");
    HttpResponse::build(status).json(json!({"detail": detail, "service": service}))
}

/// `30s`, `1.5s`.
pub(super) fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    use super::is_hop_by_hop;

    #[test]
    fn hop_by_hop_headers_include_those_connection_names() {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("connection"),
            HeaderValue::from_static("keep-alive, X-Secret-Hop"),
        );
        let hop = |name: &'static str| is_hop_by_hop(&HeaderName::from_static(name), &headers);
        assert!(hop("keep-alive"));
        assert!(hop("transfer-encoding"));
        assert!(hop("x-secret-hop"));
        assert!(!hop("authorization"));
        assert!(!hop("x-request-id"));
    }

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(super::seconds(std::time::Duration::from_secs(30)), "30s");
        assert_eq!(
            super::seconds(std::time::Duration::from_millis(1500)),
            "1.5s"
        );
    }
}
