//! Extractors: typed, validated request inputs.
//!
//! Each extractor reads one part of the request (path, query string, headers,
//! cookies, JSON body, form body) into a type you declare, and is the only place that
//! part is parsed. They all share one pipeline:
//!
//! 1. gather the raw input as JSON (text inputs stay strings, repeated query keys
//!    become arrays where the type wants a list);
//! 2. check and coerce it against the type's JSON Schema (the same schema the
//!    OpenAPI document shows), collecting *every* problem with FastAPI's error types;
//! 3. deserialise with serde;
//! 4. run the type's `validator` rules (custom validators, exclusive bounds and
//!    anything else the schema cannot say), again collecting every problem.
//!
//! Any failure is a [`RequestValidationError`](crate::RequestValidationError): a 422
//! whose `loc` starts with where the input came from (`"path"`, `"query"`,
//! `"header"`, `"cookie"`, `"body"`).

/// `into_inner` and `Deref` for an extractor newtype.
macro_rules! newtype_access {
    ($name:ident) => {
        impl<T> $name<T> {
            /// Unwraps the value.
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> std::ops::Deref for $name<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }
    };
}
pub(crate) use newtype_access;

mod cookie;
mod form;
mod header;
mod json;
mod multipart;
mod path;
mod query;
mod upload;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use validator::Validate;

pub use cookie::Cookie;
pub use form::Form;
pub use header::Header;
pub use json::Json;
pub(crate) use json::json_response;
pub use multipart::{Multipart, MultipartLimits};
pub use path::Path;
pub use query::Query;
pub use upload::UploadFile;

use crate::{
    RequestValidationError,
    validation::{FieldError, LocItem, Shape, Source, from_validator_errors},
};

/// What a type needs to be read from a request: serde, a schema and validation rules.
///
/// Implemented for every type that derives `Deserialize`, `JsonSchema` and `Validate`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a request",
    note = "derive `serde::Deserialize`, `schemars::JsonSchema`, `validator::Validate` and `apistos::ApiComponent` on it"
)]
pub trait Input: DeserializeOwned + JsonSchema + Validate + 'static {}

impl<T: DeserializeOwned + JsonSchema + Validate + 'static> Input for T {}

/// Runs steps 2-4 of the pipeline on a body value (a model: a missing field's
/// `input` is the whole object, as in FastAPI).
pub(crate) fn conform<T: Input>(
    value: Value,
    source: Source,
    loc: &[LocItem],
) -> Result<T, RequestValidationError> {
    let value = Shape::of::<T>().conform(value, source, loc)?;
    finish(value, loc)
}

/// The shortcut for text parameters whose type says it all (see
/// [`Shape::types_suffice`]): `parse` deserialises straight into `T`, then `T`'s
/// own checks run. `None` (the shortcut does not apply, or anything failed) sends
/// the caller down the full pipeline, which words the errors.
pub(crate) fn parse_plain<T: Input, E>(parse: impl FnOnce() -> Result<T, E>) -> Option<T> {
    if !Shape::of::<T>().types_suffice() {
        return None;
    }
    let value = parse().ok()?;
    value.validate().is_ok().then_some(value)
}

/// Runs steps 2-4 on text parameters (query, path, headers, cookies, form fields),
/// each its own input: a missing one has `input: null`.
pub(crate) fn conform_params<T: Input>(
    value: Value,
    loc: &[LocItem],
) -> Result<T, RequestValidationError> {
    let value = Shape::of::<T>().conform_params(value, Source::Text, loc)?;
    finish(value, loc)
}

fn finish<T: Input>(value: Value, loc: &[LocItem]) -> Result<T, RequestValidationError> {
    // The conformed value nearly always fits: deserialise plainly, and only retrace
    // the path (which costs a wrapper per node) to locate a failure.
    let parsed: T = match T::deserialize(&value) {
        Ok(parsed) => parsed,
        Err(_) => locate_serde_error::<T>(&value, loc)?,
    };
    parsed.validate().map_err(|errors| {
        RequestValidationError::new(from_validator_errors(&errors, loc, &value))
    })?;
    Ok(parsed)
}

fn locate_serde_error<T: Input>(
    value: &Value,
    loc: &[LocItem],
) -> Result<T, RequestValidationError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        // The schema accepted the value but serde did not: the schema is less strict
        // than the type (e.g. a custom Deserialize). Report it where serde failed.
        let mut at: Vec<LocItem> = loc.to_vec();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => at.push(LocItem::Index(*index)),
                serde_path_to_error::Segment::Map { key } => at.push(LocItem::Key(key.clone())),
                serde_path_to_error::Segment::Enum { variant } => {
                    at.push(LocItem::Key(variant.clone()))
                }
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let input = lookup(value, &at[loc.len()..])
            .cloned()
            .unwrap_or(Value::Null);
        RequestValidationError::new(vec![FieldError::value_error(
            at,
            e.inner().to_string(),
            input,
        )])
    })
}

fn lookup<'v>(value: &'v Value, path: &[LocItem]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, item| match item {
        LocItem::Key(k) => v.get(k.as_str()),
        LocItem::Index(i) => v.get(*i),
    })
}

/// Builds an object from `(name, value)` text pairs for a type's fields: a field whose
/// schema is a list collects every value, any other field keeps the last one (as
/// Starlette does), and names the type does not declare are ignored.
pub(crate) fn object_from_pairs<'a, T: Input>(
    pairs: impl Iterator<Item = (&'a str, impl Into<Value>)>,
    key_of: impl Fn(&str) -> String,
) -> Value {
    let shape = Shape::of::<T>();
    let fields = shape.object_fields().unwrap_or_default();
    let mut map = serde_json::Map::new();
    let mut lists: Vec<(String, Vec<Value>)> = Vec::new();
    for (raw_name, value) in pairs {
        let name = key_of(raw_name);
        let Some(field) = fields.iter().find(|f| f.name == name) else {
            continue;
        };
        if field.is_array {
            match lists.iter_mut().find(|(n, _)| *n == name) {
                Some((_, values)) => values.push(value.into()),
                None => lists.push((name, vec![value.into()])),
            }
        } else {
            map.insert(name, value.into());
        }
    }
    for (name, values) in lists {
        map.insert(name, Value::Array(values));
    }
    Value::Object(map)
}
