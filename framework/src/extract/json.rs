//! `Json<T>`: a validated JSON request body, and a JSON response.

use std::future::Future;
use std::pin::Pin;

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, Responder, body::BoxBody, dev::Payload,
    http::header::CONTENT_TYPE, web::Bytes,
};
use apistos::{ApiComponent, ApistosSchema, OpenApiVersion, reference_or::ReferenceOr};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{Input, conform};
use crate::{
    RequestValidationError,
    openapi::schema::{children_of, schema_of},
    validation::{FieldError, LocItem, Source},
};

/// A JSON body, checked against `T`'s schema and validation rules; as a return
/// value, `T` serialised as a 200 JSON response.
///
/// A missing body, a body that is not JSON, a wrong `Content-Type` and a body that
/// does not fit `T` are all 422s with `loc` starting at `"body"`.
///
/// ```
/// use apiarist::prelude::*;
///
/// #[derive(Debug, Serialize, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct Greeting {
///     #[validate(length(min = 1))]
///     name: String,
/// }
///
/// /// Greet someone.
/// #[api_operation(summary = "Greet")]
/// async fn greet(body: Json<Greeting>) -> Json<Greeting> {
///     body
/// }
/// # let _ = Router::new().post("/greet", greet);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

fn body_loc() -> Vec<LocItem> {
    vec![LocItem::Key("body".to_owned())]
}

/// Parses a JSON body into a value, with FastAPI's errors for the ways it can fail.
pub(crate) fn parse_json_body(
    req: &HttpRequest,
    bytes: &[u8],
) -> Result<Value, RequestValidationError> {
    if bytes.is_empty() {
        return Err(RequestValidationError::new(vec![FieldError::missing(
            &body_loc(),
        )]));
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_json = content_type.is_empty() || {
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    };
    if !is_json {
        // FastAPI treats a non-JSON body as a string where an object was expected.
        let input = Value::String(String::from_utf8_lossy(bytes).into_owned());
        return Err(RequestValidationError::new(vec![
            FieldError::model_attributes_type(&body_loc(), input),
        ]));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let position = byte_offset(bytes, e.line(), e.column());
        RequestValidationError::new(vec![FieldError::json_invalid(&body_loc(), position, &e)])
    })
}

/// serde_json reports line/column (1-based); FastAPI reports a character position.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let mut offset = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1).min(l.chars().count());
        }
        offset += l.chars().count() + 1;
    }
    offset
}

impl<T: Input> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let bytes = Bytes::from_request(&req, payload);
        Box::pin(async move {
            let bytes = bytes.await?;
            let value = parse_json_body(&req, &bytes)?;
            Ok(Json(conform::<T>(value, Source::Json, &body_loc())?))
        })
    }
}

impl<T: Serialize> Responder for Json<T> {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        json_response(actix_web::http::StatusCode::OK, &self.0)
    }
}

/// Serialises `value` as a JSON response with `status`; a value that cannot be
/// serialised is a logged 500, never a half-written body.
pub(crate) fn json_response<T: Serialize>(
    status: actix_web::http::StatusCode,
    value: &T,
) -> HttpResponse {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = HttpResponse::with_body(status, body).map_into_boxed_body();
            // A constant header value: no parsing, no allocation per response.
            response.headers_mut().insert(
                actix_web::http::header::CONTENT_TYPE,
                actix_web::http::header::HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "response does not serialise");
            HttpResponse::InternalServerError()
                .json(serde_json::json!({"detail": "Internal Server Error"}))
        }
    }
}

impl<T: JsonSchema> ApiComponent for Json<T> {
    fn child_schemas(v: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        children_of::<T>(v)
    }
    fn schema(v: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        Some(schema_of::<T>(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_characters() {
        assert_eq!(byte_offset(b"{\"a\": x}", 1, 7), 6);
        assert_eq!(byte_offset(b"{\n\"a\": x}", 2, 6), 7);
    }
}
