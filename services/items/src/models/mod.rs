//! The items service's data: the stored row (a sea-orm entity) and its queries.
//!
//! The row is not the API: it carries `internal_cost`, which must never leave the
//! service. Handlers convert rows into `ItemResponse` (shared-models) before
//! answering, so a new column cannot leak by accident.

pub mod item;
mod queries;

pub use queries::{
    ItemFilter, ReserveError, count, create, find, list, release_stock, reserve_stock,
};
