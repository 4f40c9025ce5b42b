//! `/admin`: what administrators see.
//!
//! The whole router requires, before any handler runs, a token with the `admin` role
//! (`RequireRole<Admin>`, the framework's check of the claims) and an account that is
//! still an active administrator ([`AdminUser`], this crate's check of the database,
//! so a token outliving a demotion or a deletion opens nothing). Every route is
//! documented with the OAuth2 scheme, 401 and 403.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use apiarist::{
    State,
    client::{CallContext, ClientError},
    db::Db,
    prelude::*,
    security::RequireRole,
};
use apistos::{
    ApiErrorComponent, ApistosSchema, OpenApiVersion, paths::Response, reference_or::ReferenceOr,
};
use shared_models::users::AdminStats;

use crate::{
    identity::{Admin, AdminUser},
    items::ItemCounter,
    models::queries,
};

/// What the statistics can fail with: the database's errors, and the items
/// service's as a gateway passes them on (502 when it is down, 504 when it is slow).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StatsError(#[from] HttpError);

impl From<sea_orm::DbErr> for StatsError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self(error.into())
    }
}

impl ResponseError for StatsError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.error_response()
    }
}

impl ApiErrorComponent for StatsError {
    fn schemas_by_status_code(
        v: OpenApiVersion,
    ) -> BTreeMap<String, (String, ReferenceOr<ApistosSchema>)> {
        ClientError::schemas_by_status_code(v)
    }

    fn error_responses(v: OpenApiVersion) -> Vec<(String, Response)> {
        ClientError::error_responses(v)
    }
}

/// Service statistics.
///
/// How many accounts and items there are. The item count comes from the items
/// service: while it is down this is `502`, while it is too slow `504`.
#[api_operation(
    summary = "Service statistics",
    error_code = 502,
    error_code = 503,
    error_code = 504
)]
pub async fn stats(
    db: Db,
    items: State<ItemCounter>,
    ctx: CallContext,
) -> Result<Json<AdminStats>, StatsError> {
    let users = queries::count(&*db).await?;
    let items = items.count_in(&ctx).await?;
    Ok(Json(AdminStats { users, items }))
}

/// The `/admin` routes, tagged `admin`, for tokens with role `admin` only.
pub fn router() -> Router {
    Router::with_prefix("/admin")
        .tag("admin")
        .depends::<RequireRole<Admin>>()
        .depends::<AdminUser>()
        .get("/stats", stats)
}
