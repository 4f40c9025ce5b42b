//! The users service: accounts, OAuth2 password login and an admin area, built with
//! apiarist on a database (the seed articles' `UserCreate` / `UserResponse` /
//! `get_current_user` / `require_admin` examples, made real).
//!
//! | route | who | what |
//! | --- | --- | --- |
//! | `POST /users/` | anyone | register: 201 `UserResponse`, 409 if the username is taken |
//! | `POST /token` | anyone | OAuth2 password form: a bearer token; 401, 429 when throttled |
//! | `GET /users/me` | a user | your account |
//! | `GET /users/{user_id}` | a user | an account, or 404 |
//! | `PUT /users/{user_id}` | the user, or an admin | update (`is_active`: admins only) |
//! | `DELETE /users/{user_id}` | an admin | 204 |
//! | `GET /admin/stats` | an admin | `{"users": N, "items": M}` |
//!
//! Where things are:
//!
//! - [`routes`]: the handlers, one module per area, each with its `router()`;
//! - [`identity`]: the dependencies that say who is calling ([`CurrentUser`],
//!   [`AdminUser`], [`ClientIp`]) on top of the framework's `Authenticated`;
//! - [`models`]: the stored row (a sea-orm entity with the password hash, never
//!   returned) and its queries; the API types live in `shared_models::users`;
//! - [`migrations`]: the schema ([`Migrator`], with its own bookkeeping table so
//!   services can share a database);
//! - [`items`]: [`ItemCounter`], the port through which the admin statistics count
//!   items without this crate depending on the items service;
//! - [`bootstrap`]: [`ensure_admin`], the administrator of `ADMIN_USERNAME` /
//!   `ADMIN_PASSWORD`;
//! - [`config`]: [`Config`] and [`build`], how a process or a launcher starts it.
//!
//! The service needs three pieces of app state: a [`Database`], an [`Auth`] and an
//! [`ItemCounter`]; [`app`] registers them, [`router`] leaves them to the caller.
//! [`build`] counts items over HTTP, with the items service's typed client.

#![warn(missing_docs)]

pub mod bootstrap;
pub mod config;
pub mod identity;
pub mod items;
pub mod migrations;
pub mod models;
pub mod routes;

use apiarist::{App, auth::Auth, db::Database};

pub use bootstrap::{BootstrapError, ensure_admin};
pub use config::{Config, build};
pub use identity::{Admin, AdminUser, ClientIp, CurrentUser};
pub use items::ItemCounter;
pub use migrations::Migrator;
pub use routes::router;

/// The port the service listens on when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 8001;

/// The users app on its own: its routes (tagged `auth`, `users`, `admin`), docs and
/// state.
pub fn app(db: Database, auth: Auth, items: ItemCounter) -> App {
    App::new("users")
        .version(env!("CARGO_PKG_VERSION"))
        .description("Accounts, OAuth2 password login and admin statistics of the apiarist demo.")
        .state(db)
        .state(auth)
        .state(items)
        .include(router())
}
