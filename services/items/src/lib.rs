//! The items service: the seed articles' examples (hello, model names, an item
//! catalogue) built with apiarist.
//!
//! - [`routes`]: the HTTP handlers and the router;
//! - [`models`]: the stored rows (sea-orm entities) and their queries;
//! - [`migrations`]: the schema, applied by the service's `DbActor` at start-up.
//!
//! The API contract (`ItemCreate`, `ItemResponse`) lives in `shared-models`, apart
//! from the stored row, which carries fields that must never leave the service.
//! The database is `DATABASE_URL` (PostgreSQL in production) or, unset, a SQLite
//! file `items.db` created on first run.

pub mod migrations;
pub mod models;
pub mod routes;

use apiarist::{
    App,
    db::{Database, DbError, DbSettings},
};

pub use migrations::Migrator;

/// The items app: its routes and docs, on `db`.
pub fn app(db: Database) -> App {
    App::new("items")
        .version(env!("CARGO_PKG_VERSION"))
        .description("The item catalogue of the apiarist demo.")
        .state(db)
        .include(routes::router())
}

/// Starts the service's database (from `DATABASE_URL`, else `items.db`): connects
/// and migrates in the background, so call it inside the actix system.
pub fn database() -> Result<Database, DbError> {
    Ok(Database::start::<Migrator>(DbSettings::from_env(
        "items.db",
    )?))
}
