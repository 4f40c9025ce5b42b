//! The items service: the seed articles' examples (hello, model names, an item
//! catalogue) built with apiarist, and the stock other services reserve.
//!
//! - [`routes`]: the public HTTP handlers and their router;
//! - [`images`]: an image per item, uploaded (`PUT /items/{item_id}/image`) and
//!   downloaded (`GET`) as files on disk, under [`Files::media_dir`];
//! - [`internal`]: the routes only other services may call (service token): the
//!   item count and stock reservations;
//! - [`models`]: the stored rows (sea-orm entities) and their queries;
//! - [`migrations`]: the schema, applied by the service's `DbActor` at start-up;
//! - [`config`]: [`Config`] and [`build`], how a process or a launcher starts it.
//!
//! The API contract (`ItemCreate`, `ItemResponse`, the reservation types) lives in
//! `shared-models`, apart from the stored row, which carries fields that must never
//! leave the service.
//!
//! The service also serves the files of [`Files::static_dir`] at `/static/` (the
//! crate's `static/` directory by default), refusing any path that leads outside it.

pub mod config;
pub mod images;
pub mod internal;
pub mod migrations;
pub mod models;
pub mod routes;

use std::path::PathBuf;

use apiarist::{App, Router, auth::Auth, db::Database};

pub use config::{Config, build};
pub use images::ImageStore;
pub use migrations::Migrator;

/// The port the service listens on when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 8002;

/// Where the service keeps and serves files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    /// Item images (`ITEMS_MEDIA_DIR`; default `items-media`, in the working
    /// directory), created on the first upload.
    pub media_dir: PathBuf,
    /// What `/static/` serves (`ITEMS_STATIC_DIR`; default this crate's `static/`
    /// directory, where it was built).
    pub static_dir: PathBuf,
}

impl Default for Files {
    fn default() -> Self {
        Self {
            media_dir: PathBuf::from("items-media"),
            static_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/static")),
        }
    }
}

/// Every route of the service, without state: the public ones and `/internal`.
/// Whoever serves it provides a `Database`, an `Auth` and an [`ImageStore`].
pub fn router() -> Router {
    Router::new()
        .include(routes::router())
        .include(images::router())
        .include(internal::router())
}

/// The items app: its routes and docs, on `db`, verifying service tokens with `auth`,
/// its files where [`Files::default`] says.
pub fn app(db: Database, auth: Auth) -> App {
    app_with(db, auth, Files::default())
}

/// [`app`], with its images and static files in `files`.
pub fn app_with(db: Database, auth: Auth, files: Files) -> App {
    App::new("items")
        .version(env!("CARGO_PKG_VERSION"))
        .description("The item catalogue of the apiarist demo.")
        .state(db)
        .state(auth)
        .state(ImageStore::new(files.media_dir))
        .include(router())
        .static_files("/static", files.static_dir)
}
