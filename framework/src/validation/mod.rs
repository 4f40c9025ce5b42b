//! Request validation with FastAPI's behaviour: every error at once, in pydantic's words.
//!
//! A handler's input type describes itself with `schemars::JsonSchema`; that schema is
//! compiled once into a [`Shape`] (`shape`), and each incoming value is walked
//! through it (`conform`): scalars are coerced as pydantic's lax mode coerces them
//! (`"5"` → `5`, `"yes"` → `true`), defaults are filled, and every violation becomes
//! a [`FieldError`] (`error`) shaped like an item of FastAPI's 422 `detail` list.
//! Only then does serde deserialise the conformed value. Constraints the schema cannot
//! express run afterwards with the `validator` crate, and their errors are converted
//! to the same form (`validator_errors`).
//!
//! Request-level errors that are not about a value (a missing or malformed body) are
//! built in `request`.

mod coerce;
mod compile;
mod conform;
mod datetime;
mod error;
mod formats;
mod keywords;
mod messages;
mod request;
mod shape;
mod validator_errors;

#[cfg(test)]
mod constraint_tests;
#[cfg(test)]
mod parity_tests;
#[cfg(test)]
mod plain_tests;

pub use conform::Source;
pub use error::{FieldError, LocItem};
pub use shape::{FieldInfo, Shape};
pub use validator_errors::from_validator_errors;
