//! `/internal`: the routes other services of the stack call, and no one else.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /internal/items/count` | `{"count": N}`, for the users service's admin statistics |
//! | `PUT /internal/reservations/{id}` | take units out of stock (orders), idempotent per id |
//! | `DELETE /internal/reservations/{id}` | give them back (the saga's compensation), idempotent |
//!
//! Every route requires a service token (`RequireRole<ServiceRole>`): a bearer token
//! with the `service` role, signed with the stack's shared key and verified here
//! without a call to anyone. No token is a 401, a user's token a 403. The gateway
//! does not route `/internal`, so these are reachable only inside the stack anyway.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use apiarist::{
    client::ServiceRole,
    db::{Db, Tx},
    openapi::schema::{json_response, schema_of, set_response},
    prelude::*,
    security::RequireRole,
};
use apistos::{
    ApiErrorComponent, ApistosSchema, OpenApiVersion, paths::Response, reference_or::ReferenceOr,
};
use shared_models::items::{ItemCount, Reservation, ReservationCreate, StockConflict};
use uuid::Uuid;

use crate::models::{self, ReservationRefused, ReserveError, reservations};

/// Count the items.
///
/// How many items the catalogue holds.
#[api_operation(summary = "Count items", error_code = 503)]
pub async fn count_items(db: Db) -> Result<Json<ItemCount>, HttpError> {
    let count = models::count(&*db).await?;
    Ok(Json(ItemCount { count }))
}

/// Path of the `/internal/reservations/{reservation_id}` routes.
#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct ReservationPath {
    /// The caller's id for the reservation.
    pub reservation_id: Uuid,
}

/// Why a reservation is refused: `404 {"detail"}` for an unknown item, `409`
/// [`StockConflict`] for too few units (with `available`) or a released id.
#[derive(Debug, thiserror::Error)]
pub enum ReservationError {
    /// No such item.
    #[error("Item with id {0} not found")]
    NotFound(i64),
    /// Too few units.
    #[error("Item {item_id}: requested {requested}, only {available} available")]
    Insufficient {
        /// The item.
        item_id: i64,
        /// Units asked for.
        requested: i64,
        /// Units in stock.
        available: i64,
    },
    /// The id was released, or used for other units.
    #[error("Reservation {0} was released or made for other units")]
    Closed(Uuid),
    /// Anything else (the database).
    #[error(transparent)]
    Http(#[from] HttpError),
}

impl From<sea_orm::DbErr> for ReservationError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Http(error.into())
    }
}

impl ResponseError for ReservationError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Insufficient { .. } | Self::Closed(_) => StatusCode::CONFLICT,
            Self::Http(e) => e.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let available = match self {
            Self::NotFound(_) => return HttpError::not_found(self.to_string()).error_response(),
            Self::Http(e) => return e.error_response(),
            Self::Insufficient { available, .. } => Some(*available),
            Self::Closed(_) => None,
        };
        HttpResponse::Conflict().json(StockConflict {
            detail: self.to_string(),
            available,
        })
    }
}

impl ApiErrorComponent for ReservationError {
    fn schemas_by_status_code(
        v: OpenApiVersion,
    ) -> BTreeMap<String, (String, ReferenceOr<ApistosSchema>)> {
        BTreeMap::from([("409".to_owned(), schema_of::<StockConflict>(v))])
    }

    fn error_responses(v: OpenApiVersion) -> Vec<(String, Response)> {
        let mut responses = HttpError::error_responses(v);
        let conflict =
            json_response::<StockConflict>("Too few units in stock, or a released reservation", v);
        set_response(&mut responses, 409, conflict);
        responses
    }
}

/// Reserve stock.
///
/// Takes `quantity` units of `item_id` out of stock, all or nothing, with one
/// conditional decrement (concurrent reservations cannot oversell). Repeating the
/// call with the same id answers the same reservation and takes nothing more.
#[api_operation(
    summary = "Reserve stock",
    error_code = 404,
    error_code = 409,
    error_code = 503
)]
pub async fn reserve(
    tx: Tx,
    path: Path<ReservationPath>,
    body: Json<ReservationCreate>,
) -> Result<Json<Reservation>, ReservationError> {
    let id = path.reservation_id;
    let ReservationCreate { item_id, quantity } = body.into_inner();
    match reservations::reserve(&*tx, id, item_id, quantity).await? {
        Ok(row) => Ok(Json(Reservation::from(&row))),
        Err(ReservationRefused::Stock(ReserveError::NotFound)) => {
            Err(ReservationError::NotFound(item_id))
        }
        Err(ReservationRefused::Stock(ReserveError::Insufficient { available })) => {
            Err(ReservationError::Insufficient {
                item_id,
                requested: quantity,
                available,
            })
        }
        Err(ReservationRefused::Closed) => Err(ReservationError::Closed(id)),
    }
}

/// Release a reservation.
///
/// Gives the reservation's units back, once; repeating it changes nothing. An id
/// that was never reserved is recorded as released, so it cannot be reserved later.
#[api_operation(summary = "Release a reservation", error_code = 503)]
pub async fn release(tx: Tx, path: Path<ReservationPath>) -> Result<NoContent, HttpError> {
    reservations::release(&*tx, path.reservation_id).await?;
    Ok(NoContent)
}

/// The `/internal` routes, tagged `internal`, for service tokens only.
pub fn router() -> Router {
    Router::with_prefix("/internal")
        .tag("internal")
        .depends::<RequireRole<ServiceRole>>()
        .get("/items/count", count_items)
        .put("/reservations/{reservation_id}", reserve)
        .delete("/reservations/{reservation_id}", release)
}
