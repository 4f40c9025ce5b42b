//! Server-Sent Events: [`Sse`], [`Event`] and [`LastEventId`].

use std::{
    future::{Future, Ready, ready},
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, Responder, body::BoxBody, dev::Payload, http::header,
    web::Bytes,
};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion,
    paths::{Parameter, ParameterDefinition, ParameterIn, Responses},
    reference_or::ReferenceOr,
};
use futures_util::{Stream, StreamExt};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;
use tokio::time::{Instant, Sleep, sleep};

use crate::openapi::schema::children_of;

/// How long a stream may stay quiet before a keep-alive comment is sent.
const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One Server-Sent Event: `data` serialised as JSON, with an optional event name,
/// id (what a reconnecting client sends back as `Last-Event-ID`) and retry hint.
///
/// ```
/// use apiarist::stream::Event;
/// use std::time::Duration;
///
/// let event = Event::new(serde_json::json!({"order_id": 7, "status": "confirmed"}))
///     .event("status")
///     .id("42")
///     .retry(Duration::from_secs(3));
/// # let _ = event;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Event<T> {
    data: T,
    name: Option<String>,
    id: Option<String>,
    retry: Option<Duration>,
}

impl<T> Event<T> {
    /// An unnamed event (a `message` event, for browsers) carrying `data`.
    pub fn new(data: T) -> Self {
        Self {
            data,
            name: None,
            id: None,
            retry: None,
        }
    }

    /// Names the event (`event:`); line breaks are removed.
    pub fn event(mut self, name: impl Into<String>) -> Self {
        self.name = Some(one_line(name.into()));
        self
    }

    /// Sets the event's id (`id:`); line breaks and NULs are removed.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(one_line(id.into()));
        self
    }

    /// Tells the client how long to wait before reconnecting (`retry:`).
    pub fn retry(mut self, after: Duration) -> Self {
        self.retry = Some(after);
        self
    }
}

impl<T> From<T> for Event<T> {
    fn from(data: T) -> Self {
        Event::new(data)
    }
}

impl<T: Serialize> Event<T> {
    /// The event on the wire. JSON never contains a raw line break, so the data is
    /// one `data:` line.
    fn encode(&self) -> Result<Bytes, serde_json::Error> {
        let data = serde_json::to_string(&self.data)?;
        let mut out = String::with_capacity(data.len() + 64);
        if let Some(name) = &self.name {
            out.push_str("event: ");
            out.push_str(name);
            out.push('\n');
        }
        if let Some(id) = &self.id {
            out.push_str("id: ");
            out.push_str(id);
            out.push('\n');
        }
        if let Some(retry) = self.retry {
            out.push_str(&format!("retry: {}\n", retry.as_millis()));
        }
        out.push_str("data: ");
        out.push_str(&data);
        out.push_str("\n\n");
        Ok(Bytes::from(out))
    }
}

fn one_line(mut text: String) -> String {
    text.retain(|c| !matches!(c, '\r' | '\n' | '\0'));
    text
}

/// A `text/event-stream` response: the events of a stream, sent as they come.
///
/// Items are [`Event<T>`]s, or plain `T`s (unnamed events). A comment line is sent
/// after 15 s without an event ([`keep_alive`](Self::keep_alive)). The response is
/// not cached (`Cache-Control: no-cache`) nor buffered by proxies that honour
/// `X-Accel-Buffering: no`. Documented as a `text/event-stream` response whose
/// schema is `T`'s (the JSON in each event's `data`).
///
/// ```
/// use apiarist::{prelude::*, stream::{Event, LastEventId, Sse}};
/// use futures_util::{StreamExt, stream};
///
/// #[derive(Debug, Clone, Serialize, JsonSchema)]
/// struct Tick { n: u64 }
///
/// /// Count from where the client left off.
/// #[api_operation(summary = "Ticks")]
/// async fn ticks(last: LastEventId) -> Sse<Tick> {
///     let start = last.as_deref().and_then(|id| id.parse().ok()).map_or(1, |n: u64| n + 1);
///     Sse::new(stream::iter(start..start + 3).map(|n| Event::new(Tick { n }).event("tick").id(n.to_string())))
/// }
/// # let _ = Router::new().get("/ticks", ticks);
/// ```
pub struct Sse<T> {
    events: Pin<Box<dyn Stream<Item = Event<T>>>>,
    keep_alive: Option<Duration>,
}

impl<T> std::fmt::Debug for Sse<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sse")
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl<T: Serialize + 'static> Sse<T> {
    /// Streams `events` (items: `Event<T>` or `T`).
    pub fn new<S>(events: S) -> Self
    where
        S: Stream + 'static,
        S::Item: Into<Event<T>>,
    {
        Self {
            events: Box::pin(events.map(Into::into)),
            keep_alive: Some(DEFAULT_KEEP_ALIVE),
        }
    }

    /// Sends a keep-alive comment after `quiet` without events (`None`: never).
    pub fn keep_alive(mut self, quiet: Option<Duration>) -> Self {
        self.keep_alive = quiet;
        self
    }
}

impl<T: Serialize + 'static> Responder for Sse<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let keep_alive = self.keep_alive.map(|every| KeepAlive {
            every,
            timer: Box::pin(sleep(every)),
        });
        HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header(("x-accel-buffering", "no"))
            .streaming(SseBody {
                events: self.events,
                keep_alive,
            })
    }
}

struct KeepAlive {
    every: Duration,
    timer: Pin<Box<Sleep>>,
}

/// The response body: encoded events, and keep-alive comments in the pauses.
struct SseBody<T> {
    events: Pin<Box<dyn Stream<Item = Event<T>>>>,
    keep_alive: Option<KeepAlive>,
}

impl<T: Serialize> Stream for SseBody<T> {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.events.as_mut().poll_next(cx) {
                Poll::Ready(Some(event)) => {
                    if let Some(k) = &mut this.keep_alive {
                        k.timer.as_mut().reset(Instant::now() + k.every);
                    }
                    match event.encode() {
                        Ok(bytes) => return Poll::Ready(Some(Ok(bytes))),
                        Err(error) => {
                            tracing::error!(%error, "an event does not serialise; skipped")
                        }
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => break,
            }
        }
        if let Some(k) = &mut this.keep_alive
            && k.timer.as_mut().poll(cx).is_ready()
        {
            k.timer.as_mut().reset(Instant::now() + k.every);
            return Poll::Ready(Some(Ok(Bytes::from_static(b": keep-alive\n\n"))));
        }
        Poll::Pending
    }
}

impl<T: JsonSchema> ApiComponent for Sse<T> {
    fn child_schemas(v: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        children_of::<T>(v)
    }

    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }

    fn responses(
        v: OpenApiVersion,
        _content_type: Option<String>,
        description: Option<String>,
    ) -> Option<Responses> {
        let description = description.unwrap_or_else(|| {
            format!(
                "A stream of Server-Sent Events; each event's `data` is a JSON `{}`.",
                T::schema_name()
            )
        });
        Some(super::chunked::documented_stream::<T>(
            v,
            "text/event-stream",
            description,
        ))
    }
}

/// The `Last-Event-ID` header: the id of the last event a reconnecting client
/// received, so the handler can resume after it. `None` on a first connection.
///
/// Documented as an optional header parameter. See [`Sse`] for an example.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastEventId(pub Option<String>);

impl LastEventId {
    /// The id, if the client sent one.
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl FromRequest for LastEventId {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req
            .headers()
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        ready(Ok(LastEventId(id)))
    }
}

impl ApiComponent for LastEventId {
    fn child_schemas(_: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        Vec::new()
    }

    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }

    fn parameters(v: OpenApiVersion, _: Option<String>) -> Vec<Parameter> {
        let schema = json!({"type": "string"}).try_into().unwrap_or_default();
        vec![Parameter {
            name: "Last-Event-ID".to_owned(),
            _in: ParameterIn::Header,
            description: Some(
                "The id of the last event received, sent by a reconnecting client: \
                 the stream resumes after it."
                    .to_owned(),
            ),
            required: Some(false),
            definition: Some(ParameterDefinition::Schema(ReferenceOr::Object(
                ApistosSchema::new(schema, v),
            ))),
            ..Default::default()
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_encode_as_the_spec_says() {
        let event = Event::new(json!({"a": "x\ny"}))
            .event("st\natus")
            .id("4\r2")
            .retry(Duration::from_millis(1500));
        let wire = event.encode().unwrap();
        assert_eq!(
            wire,
            "event: status\nid: 42\nretry: 1500\ndata: {\"a\":\"x\\ny\"}\n\n"
        );
        assert_eq!(Event::new(3).encode().unwrap(), "data: 3\n\n");
    }
}
