//! The orders service's domain error, and the exception handler that renders it.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use apiarist::{
    App, HttpError,
    client::ClientError,
    openapi::schema::{json_response, schema_of, set_response},
};
use apistos::{
    ApiErrorComponent, ApistosSchema, OpenApiVersion, paths::Response, reference_or::ReferenceOr,
};
use shared_models::orders::InsufficientStockBody;

/// What placing or reading an order can fail with.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// The item has fewer units than ordered (the seed's `InsufficientStockError`).
    #[error("Item {item_id}: requested {requested}, only {available} available")]
    InsufficientStock {
        /// The item.
        item_id: i64,
        /// Units ordered.
        requested: i64,
        /// Units in stock.
        available: i64,
    },
    /// Any other failure, with its status.
    #[error(transparent)]
    Http(#[from] HttpError),
}

impl From<sea_orm::DbErr> for OrderError {
    fn from(error: sea_orm::DbErr) -> Self {
        OrderError::Http(error.into())
    }
}

impl ResponseError for OrderError {
    fn status_code(&self) -> StatusCode {
        match self {
            OrderError::InsufficientStock { .. } => StatusCode::CONFLICT,
            OrderError::Http(e) => e.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            OrderError::InsufficientStock { .. } => render(self),
            OrderError::Http(e) => e.error_response(),
        }
    }
}

/// The seed's handler: `409 {"error": "insufficient_stock", "detail": ...}`.
fn render(error: &OrderError) -> HttpResponse {
    HttpResponse::Conflict().json(InsufficientStockBody {
        error: "insufficient_stock".to_owned(),
        detail: error.to_string(),
    })
}

/// Registers the service's exception handler on `app` (any app serving the orders
/// routes, alone or composed).
pub fn register_handlers(app: App) -> App {
    app.exception_handler(|error: &OrderError| match error {
        OrderError::InsufficientStock { .. } => render(error),
        OrderError::Http(e) => e.error_response(),
    })
}

impl ApiErrorComponent for OrderError {
    fn schemas_by_status_code(
        v: OpenApiVersion,
    ) -> BTreeMap<String, (String, ReferenceOr<ApistosSchema>)> {
        BTreeMap::from([("409".to_owned(), schema_of::<InsufficientStockBody>(v))])
    }

    fn error_responses(v: OpenApiVersion) -> Vec<(String, Response)> {
        // The items service's failures (502, 504) on top of the usual ones.
        let mut responses = ClientError::error_responses(v);
        let conflict = json_response::<InsufficientStockBody>("Not enough stock", v);
        set_response(&mut responses, 409, conflict);
        responses
    }
}
