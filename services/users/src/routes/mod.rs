//! The HTTP routes, one module per area, each exporting its `router()`:
//!
//! | module | routes | tag |
//! | --- | --- | --- |
//! | [`token`] | `POST /token` (OAuth2 password flow) | `auth` |
//! | [`users`] | `POST /users/`, `GET /users/me`, `GET/PUT/DELETE /users/{user_id}` | `users` |
//! | [`admin`] | `GET /admin/stats` (role `admin`) | `admin` |

pub mod admin;
pub mod token;
pub mod users;

use apiarist::Router;

/// Every route of the service, without state: the app (or a composition of
/// services) provides `Database`, `Auth` and `ItemCounter`.
pub fn router() -> Router {
    Router::new()
        .include(token::router())
        .include(users::router())
        .include(admin::router())
}
