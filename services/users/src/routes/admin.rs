//! `/admin`: what administrators see.
//!
//! The whole router requires, before any handler runs, a token with the `admin` role
//! (`RequireRole<Admin>`, the framework's check of the claims) and an account that is
//! still an active administrator ([`AdminUser`], this crate's check of the database,
//! so a token outliving a demotion or a deletion opens nothing). Every route is
//! documented with the OAuth2 scheme, 401 and 403.

use apiarist::{State, db::Db, prelude::*, security::RequireRole};
use shared_models::users::AdminStats;

use crate::{
    identity::{Admin, AdminUser},
    items::ItemCounter,
    models::queries,
};

/// Service statistics.
///
/// How many accounts and items there are. The item count comes from the items
/// service; while it cannot answer, this is `503`.
#[api_operation(summary = "Service statistics", error_code = 503)]
pub async fn stats(db: Db, items: State<ItemCounter>) -> Result<Json<AdminStats>, HttpError> {
    let users = queries::count(&*db).await?;
    let items = items.count().await?;
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
