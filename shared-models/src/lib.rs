//! The API contract shared between apiarist services: request and response types
//! and the payloads of the jobs they send each other.
//!
//! A type here is what crosses a service boundary. Stored rows live in each service's
//! `models` and are converted into these types, so internal columns never leak.
//! The typed clients one service uses to call another ([`clients`]) are built from
//! the same types.

#![warn(missing_docs)]

pub mod clients;
pub mod items;
pub mod orders;
pub mod users;
