//! The items service: the seed articles' examples (hello, model names, an item
//! catalogue) built with apiarist.
//!
//! - [`routes`]: the HTTP handlers and the router;
//! - [`models`]: the stored rows and the store (in memory for now).
//!
//! The API contract (`ItemCreate`, `ItemResponse`) lives in `shared-models`, apart
//! from the stored row, which carries fields that must never leave the service.

pub mod models;
pub mod routes;

use apiarist::App;

/// The items app: its routes, state and docs.
pub fn app() -> App {
    App::new("items")
        .version(env!("CARGO_PKG_VERSION"))
        .description("The item catalogue of the apiarist demo.")
        .state(models::ItemStore::default())
        .include(routes::router())
}
