//! Error rendering: every error answers in the app's format (FastAPI's JSON or
//! problem details), through the app's exception handlers first.

use actix_web::{
    Error, HttpResponse,
    dev::ServiceResponse,
    error::PayloadError,
    http::header::{CONTENT_TYPE, VARY},
};

use super::{
    core::CoreConfig,
    limits::{BodyLimitInfo, too_large},
};
use crate::{ErrorFormat, HttpError, RequestValidationError, di::SharedError};

/// Re-renders an error response the handler or a layer inside produced, when the
/// app's exception handlers or error format say so; any other response passes as is.
pub(super) fn finish(res: ServiceResponse, config: &CoreConfig) -> ServiceResponse {
    let Some(err) = res.response().error() else {
        return res;
    };
    let err = SharedError::original(err);
    let already_json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let custom = config.handlers.iter().find_map(|h| h(err));
    let rerender_ours = config.format != ErrorFormat::FastApi
        && (err.as_error::<HttpError>().is_some()
            || err.as_error::<RequestValidationError>().is_some());
    if custom.is_none() && !rerender_ours && already_json {
        return res;
    }
    let mut response = custom.unwrap_or_else(|| match body_overflow(err, res.request()) {
        Some(too_large) => too_large.render(config.format),
        None => render_unhandled(err, config.format),
    });
    keep_cors_headers(res.response(), &mut response);
    let (req, _) = res.into_parts();
    ServiceResponse::new(req, response)
}

/// A body over the limit (actix-web's bare "A payload reached size limit.") as the
/// framework's 413 naming the limit in force.
fn body_overflow(err: &Error, req: &actix_web::HttpRequest) -> Option<HttpError> {
    match err.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => {
            let limit = req
                .app_data::<BodyLimitInfo>()
                .map_or(crate::DEFAULT_BODY_LIMIT, |l| l.0);
            Some(too_large(limit))
        }
        _ => None,
    }
}

/// Copies the CORS headers (and `Vary`) of a response being replaced onto its
/// replacement: the CORS layer ran inside this one, and without them a browser
/// hides the error from the page.
pub(super) fn keep_cors_headers<B>(from: &HttpResponse<B>, to: &mut HttpResponse) {
    for (name, value) in from.headers() {
        let cors = name.as_str().starts_with("access-control-") || name == VARY;
        if cors && !to.headers().contains_key(name) {
            to.headers_mut().append(name.clone(), value.clone());
        }
    }
}

/// Renders any error in the app's format.
pub(crate) fn render_error(err: &Error, config: &CoreConfig) -> HttpResponse {
    let err = SharedError::original(err);
    match config.handlers.iter().find_map(|h| h(err)) {
        Some(custom) => custom,
        None => render_unhandled(err, config.format),
    }
}

/// Renders an error no exception handler claimed: the framework's own types in the
/// app's format, anything else as `{"detail": ...}` with its status and headers.
fn render_unhandled(err: &Error, format: ErrorFormat) -> HttpResponse {
    if let Some(e) = err.as_error::<HttpError>() {
        return e.render(format);
    }
    if let Some(e) = err.as_error::<RequestValidationError>() {
        return e.render(format);
    }
    let status = err.as_response_error().status_code();
    let detail = if status.is_server_error() {
        tracing::error!(error = %err, "unhandled error");
        status
            .canonical_reason()
            .unwrap_or("Internal Server Error")
            .to_owned()
    } else {
        err.to_string()
    };
    let mut response = HttpError::new(status.as_u16(), detail).render(format);
    // Keep headers the original error set (e.g. `Allow`, `WWW-Authenticate`).
    let original = err.error_response();
    for (name, value) in original.headers() {
        if name != CONTENT_TYPE && name != actix_web::http::header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}
