//! The items service's data: the stored row (a sea-orm entity) and its queries.
//!
//! The row is not the API: it carries `internal_cost`, which must never leave the
//! service. Handlers convert rows into `ItemResponse` (shared-models) before
//! answering, so a new column cannot leak by accident.
//!
//! Stock leaves only through [`reserve_stock`], one conditional decrement, so
//! concurrent orders cannot oversell; [`reservations`] wraps it in reservations other
//! services name, so their calls can be repeated safely over the network.

pub mod item;
mod queries;
pub mod reservation;
pub mod reservations;

pub use queries::{
    ItemFilter, ReserveError, count, create, find, list, release_stock, reserve_stock,
};
pub use reservations::ReservationRefused;
