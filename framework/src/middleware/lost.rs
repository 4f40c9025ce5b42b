//! What the core layer answers with when a request is lost: its handler panicked
//! (the panic hook has logged it) or the service failed instead of answering. The
//! request object is gone then, so the response travels as an error that renders
//! itself.

use std::{backtrace::Backtrace, sync::Once};

use actix_web::{HttpResponse, body::MessageBody, http::StatusCode};

use super::request_id::{REQUEST_ID, RequestId};

/// A finished response carried as an error, for the paths where the request object
/// is gone (a panic, or an inner service that failed instead of answering).
#[derive(Debug)]
pub(super) struct PreparedResponse {
    status: StatusCode,
    headers: actix_web::http::header::HeaderMap,
    body: actix_web::web::Bytes,
}

impl PreparedResponse {
    pub(super) fn new(response: HttpResponse, request_id: Option<RequestId>) -> Self {
        let status = response.status();
        let mut headers = response.headers().clone();
        if let Some(id) = request_id {
            headers.insert(REQUEST_ID, id.into_header_value());
        }
        let body = response.into_body().try_into_bytes().unwrap_or_default();
        Self {
            status,
            headers,
            body,
        }
    }
}

impl std::fmt::Display for PreparedResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)
    }
}

impl actix_web::ResponseError for PreparedResponse {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::with_body(self.status, self.body.clone());
        for (name, value) in &self.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response.map_into_boxed_body()
    }
}

/// Logs a panic in a request's code through tracing, with the request's id and a
/// backtrace (inside the request's span when that is enabled). Installed once per
/// process.
pub(super) fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Outside a request (start-up, a test) keep the usual output.
            let Some(request_id) = RequestId::current() else {
                return previous(info);
            };
            let payload = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "<non-string panic payload>".to_owned());
            let location = info.location().map(|l| l.to_string()).unwrap_or_default();
            let backtrace = Backtrace::force_capture();
            tracing::error!(
                request_id = request_id.as_str(),
                panic = %payload,
                %location,
                "handler panicked\n{backtrace}"
            );
        }));
    });
}
