//! Chunked responses: [`StreamingResponse`] (bytes) and [`JsonLines`] (typed).

use std::{future::ready, pin::Pin};

use actix_web::{HttpRequest, HttpResponse, Responder, body::BoxBody, web::Bytes};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion, paths::Responses, reference_or::ReferenceOr,
};
use futures_util::{Stream, StreamExt};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use crate::openapi::schema::{children_of, inline, ok_response, schema_of};

type BoxError = Box<dyn std::error::Error>;

/// A body produced as it is sent (FastAPI's `StreamingResponse`): each chunk of
/// the stream goes out as it comes, with chunked transfer encoding.
///
/// The content type defaults to `application/octet-stream`; document another one
/// with `#[api_operation(produces = "text/csv")]`. An error item ends the
/// response early (the client sees a truncated body), so produce errors before
/// returning the response when you can.
///
/// ```
/// use apiarist::{prelude::*, stream::StreamingResponse};
/// use futures_util::stream;
///
/// /// The report as CSV, row by row.
/// #[api_operation(summary = "Report", produces = "text/csv")]
/// async fn report() -> StreamingResponse {
///     let rows = (1..=3).map(|n| Ok::<_, std::io::Error>(format!("{n},{}\n", n * n)));
///     StreamingResponse::new(stream::iter(rows)).content_type("text/csv")
/// }
/// # let _ = Router::new().get("/report.csv", report);
/// ```
pub struct StreamingResponse {
    chunks: Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>>>>,
    content_type: String,
}

impl std::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl StreamingResponse {
    /// Streams `chunks` (bytes, strings, ...) as `application/octet-stream`.
    pub fn new<S, B, E>(chunks: S) -> Self
    where
        S: Stream<Item = Result<B, E>> + 'static,
        B: Into<Bytes>,
        E: Into<BoxError>,
    {
        Self {
            chunks: Box::pin(chunks.map(|chunk| chunk.map(Into::into).map_err(Into::into))),
            content_type: "application/octet-stream".to_owned(),
        }
    }

    /// Sets the `Content-Type`.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }
}

impl Responder for StreamingResponse {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok()
            .content_type(self.content_type)
            .streaming(self.chunks)
    }
}

impl ApiComponent for StreamingResponse {
    fn child_schemas(_: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        Vec::new()
    }

    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }

    fn responses(
        v: OpenApiVersion,
        content_type: Option<String>,
        description: Option<String>,
    ) -> Option<Responses> {
        let media = content_type.unwrap_or_else(|| "application/octet-stream".to_owned());
        let schema = if media.starts_with("text/") {
            json!({"type": "string"})
        } else {
            json!({"type": "string", "format": "binary"})
        };
        let description = description.unwrap_or_else(|| "Streamed content.".to_owned());
        Some(ok_response(v, &media, inline(v, schema), description))
    }
}

/// One JSON `T` per line (`application/x-ndjson`), each sent as it is produced.
///
/// An item that does not serialise is logged and skipped. Documented as an
/// `application/x-ndjson` response with `T`'s schema (the schema of each line).
///
/// ```
/// use apiarist::{prelude::*, stream::JsonLines};
/// use futures_util::stream;
///
/// #[derive(Debug, Serialize, JsonSchema)]
/// struct Row { n: u32 }
///
/// /// Every row, one per line.
/// #[api_operation(summary = "Export")]
/// async fn export() -> JsonLines<Row> {
///     JsonLines::new(stream::iter((1..=3).map(|n| Row { n })))
/// }
/// # let _ = Router::new().get("/export", export);
/// ```
pub struct JsonLines<T> {
    items: Pin<Box<dyn Stream<Item = T>>>,
}

impl<T> std::fmt::Debug for JsonLines<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLines").finish_non_exhaustive()
    }
}

impl<T: Serialize + 'static> JsonLines<T> {
    /// Streams `items`, one JSON document per line.
    pub fn new(items: impl Stream<Item = T> + 'static) -> Self {
        Self {
            items: Box::pin(items),
        }
    }
}

impl<T: Serialize + 'static> Responder for JsonLines<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let lines = self.items.filter_map(|item| {
            ready(match serde_json::to_vec(&item) {
                Ok(mut line) => {
                    line.push(b'\n');
                    Some(Ok::<_, std::convert::Infallible>(Bytes::from(line)))
                }
                Err(error) => {
                    tracing::error!(%error, "a line does not serialise; skipped");
                    None
                }
            })
        });
        HttpResponse::Ok()
            .content_type("application/x-ndjson")
            .streaming(lines)
    }
}

impl<T: JsonSchema> ApiComponent for JsonLines<T> {
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
        let description =
            description.unwrap_or_else(|| format!("One JSON `{}` per line.", T::schema_name()));
        Some(documented_stream::<T>(
            v,
            "application/x-ndjson",
            description,
        ))
    }
}

/// A `200` whose `media` content has `T`'s schema.
pub(super) fn documented_stream<T: JsonSchema>(
    v: OpenApiVersion,
    media: &str,
    description: String,
) -> Responses {
    ok_response(v, media, schema_of::<T>(v).1, description)
}
