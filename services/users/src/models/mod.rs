//! Stored accounts: the sea-orm entity ([`user`]) and the queries on it
//! ([`queries`]).

pub mod queries;
pub mod user;

pub use queries::{CreateError, NewUser, UserChanges};
