//! Errors as types that render themselves.
//!
//! Every failure a client can see is a value of a type implementing
//! [`actix_web::ResponseError`], so a handler simply returns `Err(e)` and the type
//! decides the status and the JSON body. Two types carry the framework's contract:
//!
//! - [`HttpError`] is FastAPI's `HTTPException`: a status, a `detail` and optional
//!   headers, rendered as `{"detail": ...}`.
//! - [`RequestValidationError`] is the 422 an extractor returns when the input does not
//!   fit the declared type: `{"detail": [{"type", "loc", "msg", "input", "ctx"?}, ...]}`
//!   listing every problem at once.
//!
//! Teams that prefer RFC 9457 problem details switch the whole app with
//! [`ErrorFormat::ProblemJson`]; the rendering middleware then re-renders these two
//! types (and only these, so custom error types keep their own bodies). Domain error
//! types are mapped to responses either by implementing `ResponseError` themselves or
//! by an exception handler registered on the [`App`](crate::App).

use std::{borrow::Cow, fmt};

use actix_web::{
    HttpResponse, ResponseError,
    http::{
        StatusCode,
        header::{HeaderName, HeaderValue, TryIntoHeaderPair},
    },
};
use apistos::{ApiErrorComponent, OpenApiVersion, paths::Response, reference_or::ReferenceOr};
use serde_json::{Value, json};

pub use crate::validation::{FieldError, LocItem};

/// How framework errors are rendered on the wire.
///
/// ```
/// use apiarist::{App, ErrorFormat};
/// let app = App::new("shop").error_format(ErrorFormat::ProblemJson);
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ErrorFormat {
    /// FastAPI's contract: invalid input is a 422 `{"detail": [...]}`, other errors
    /// `{"detail": "..."}`.
    #[default]
    FastApi,
    /// RFC 9457 `application/problem+json`; invalid input is a 400 whose body carries
    /// the same error list under `errors`.
    ProblemJson,
}

/// FastAPI's `HTTPException`: an error with a status, a `detail` and optional headers.
///
/// `detail` is usually a string but may be any JSON value, as in FastAPI.
///
/// ```
/// use apiarist::HttpError;
///
/// let err = HttpError::not_found("Item with id 7 not found").with_header("x-error", "Item not found");
/// assert_eq!(err.status().as_u16(), 404);
/// assert_eq!(err.detail(), &serde_json::json!("Item with id 7 not found"));
/// ```
#[derive(Debug, Clone)]
pub struct HttpError {
    status: StatusCode,
    detail: Value,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl HttpError {
    /// An error with the given status and detail. An invalid status code becomes 500.
    pub fn new(status: u16, detail: impl Into<Value>) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    /// An error whose detail is the status' reason phrase, like FastAPI's default.
    pub fn from_status(status: StatusCode) -> Self {
        Self::new(
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error"),
        )
    }

    /// 400 Bad Request.
    pub fn bad_request(detail: impl Into<Value>) -> Self {
        Self::new(400, detail)
    }

    /// 401 Unauthorized.
    pub fn unauthorized(detail: impl Into<Value>) -> Self {
        Self::new(401, detail)
    }

    /// 403 Forbidden.
    pub fn forbidden(detail: impl Into<Value>) -> Self {
        Self::new(403, detail)
    }

    /// 404 Not Found.
    pub fn not_found(detail: impl Into<Value>) -> Self {
        Self::new(404, detail)
    }

    /// 409 Conflict.
    pub fn conflict(detail: impl Into<Value>) -> Self {
        Self::new(409, detail)
    }

    /// Adds a response header (ignored if the name or value is not a valid header).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Ok((name, value)) = (name, value).try_into_pair() {
            self.headers.push((name, value));
        }
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `detail` value.
    pub fn detail(&self) -> &Value {
        &self.detail
    }

    /// The extra response headers.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    pub(crate) fn render(&self, format: ErrorFormat) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            builder.insert_header((name.clone(), value.clone()));
        }
        match format {
            ErrorFormat::FastApi => builder.json(json!({ "detail": self.detail })),
            ErrorFormat::ProblemJson => {
                builder.content_type("application/problem+json");
                builder.body(problem(self.status, self.detail.clone(), None).to_string())
            }
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Value::String(s) => write!(f, "{}: {s}", self.status),
            other => write!(f, "{}: {other}", self.status),
        }
    }
}

impl std::error::Error for HttpError {}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.render(ErrorFormat::FastApi)
    }
}

/// Status codes [`HttpError`] documents for a route; narrow them per route with
/// `#[api_operation(error_code = 404)]`.
const DOCUMENTED_HTTP_ERRORS: &[(u16, &str)] = &[
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (409, "Conflict"),
    (413, "Content Too Large"),
    (415, "Unsupported Media Type"),
    (429, "Too Many Requests"),
    (503, "Service Unavailable"),
];

impl ApiErrorComponent for HttpError {
    fn schemas_by_status_code(
        _: OpenApiVersion,
    ) -> std::collections::BTreeMap<String, (String, ReferenceOr<apistos::ApistosSchema>)> {
        // The HTTPError schema is added once by the document assembly.
        Default::default()
    }

    fn error_responses(_: OpenApiVersion) -> Vec<(String, Response)> {
        DOCUMENTED_HTTP_ERRORS
            .iter()
            .map(|(code, description)| {
                (
                    code.to_string(),
                    Response {
                        description: (*description).to_owned(),
                        ..Default::default()
                    },
                )
            })
            .collect()
    }
}

/// The 422 an extractor answers when the request does not fit the declared types.
///
/// It lists every problem found, in FastAPI's shape:
///
/// ```
/// use apiarist::{FieldError, RequestValidationError};
///
/// let err = RequestValidationError::new(vec![FieldError::missing(&["body".into(), "price".into()])]);
/// let body = serde_json::to_value(err.errors()).unwrap();
/// assert_eq!(body[0]["type"], "missing");
/// assert_eq!(body[0]["loc"], serde_json::json!(["body", "price"]));
/// ```
#[derive(Debug, Clone)]
pub struct RequestValidationError {
    errors: Vec<FieldError>,
}

impl RequestValidationError {
    /// Wraps a non-empty list of field errors.
    pub fn new(errors: Vec<FieldError>) -> Self {
        Self { errors }
    }

    /// The field errors, in the order they were found.
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    pub(crate) fn render(&self, format: ErrorFormat) -> HttpResponse {
        match format {
            ErrorFormat::FastApi => {
                HttpResponse::UnprocessableEntity().json(json!({ "detail": self.errors }))
            }
            ErrorFormat::ProblemJson => {
                let detail = Value::String(summary(&self.errors).into_owned());
                let body = problem(StatusCode::BAD_REQUEST, detail, Some(json!(self.errors)));
                HttpResponse::BadRequest()
                    .content_type("application/problem+json")
                    .body(body.to_string())
            }
        }
    }
}

fn summary(errors: &[FieldError]) -> Cow<'static, str> {
    match errors.len() {
        1 => Cow::Borrowed("The request has 1 invalid field"),
        n => Cow::Owned(format!("The request has {n} invalid fields")),
    }
}

fn problem(status: StatusCode, detail: Value, errors: Option<Value>) -> Value {
    let mut body = json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some(errors) = errors {
        body["errors"] = errors;
    }
    body
}

impl fmt::Display for RequestValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&summary(&self.errors))?;
        for e in &self.errors {
            write!(f, "; {}: {}", e.loc_string(), e.msg)?;
        }
        Ok(())
    }
}

impl std::error::Error for RequestValidationError {}

impl ResponseError for RequestValidationError {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNPROCESSABLE_ENTITY
    }

    fn error_response(&self) -> HttpResponse {
        self.render(ErrorFormat::FastApi)
    }
}

impl From<Vec<FieldError>> for RequestValidationError {
    fn from(errors: Vec<FieldError>) -> Self {
        Self::new(errors)
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    async fn body_json(res: HttpResponse) -> Value {
        serde_json::from_slice(&to_bytes(res.into_body()).await.unwrap()).unwrap()
    }

    #[actix_web::test]
    async fn http_error_renders_detail_and_headers() {
        let err = HttpError::not_found("Item with id 9 not found")
            .with_header("X-Error", "Item not found");
        let res = err.error_response();
        assert_eq!(res.status(), 404);
        assert_eq!(res.headers().get("x-error").unwrap(), "Item not found");
        assert_eq!(
            body_json(res).await,
            json!({"detail": "Item with id 9 not found"})
        );
    }

    #[actix_web::test]
    async fn problem_json_rendering() {
        let res = HttpError::conflict("taken").render(ErrorFormat::ProblemJson);
        assert_eq!(res.status(), 409);
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
        assert_eq!(
            body_json(res).await,
            json!({"type": "about:blank", "title": "Conflict", "status": 409, "detail": "taken"})
        );
        let err =
            RequestValidationError::new(vec![FieldError::missing(&["query".into(), "q".into()])]);
        let res = err.render(ErrorFormat::ProblemJson);
        assert_eq!(res.status(), 400);
        let body = body_json(res).await;
        assert_eq!(body["detail"], "The request has 1 invalid field");
        assert_eq!(body["errors"][0]["loc"], json!(["query", "q"]));
    }
}
