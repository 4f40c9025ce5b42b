//! Errors about the request itself rather than a value inside it: no body, a body
//! that is not JSON, a body of the wrong content type. Worded as FastAPI words them.

use serde_json::{Map, Value};

use super::{FieldError, LocItem};

impl FieldError {
    /// `missing`: a required input (a body, a field) is absent.
    pub fn missing(loc: &[LocItem]) -> Self {
        Self {
            kind: "missing".into(),
            loc: loc.to_vec(),
            msg: "Field required".to_owned(),
            input: Value::Null,
            ctx: None,
        }
    }

    /// `value_error` with a free message.
    pub fn value_error(loc: Vec<LocItem>, msg: String, input: Value) -> Self {
        Self {
            kind: "value_error".into(),
            loc,
            msg,
            input,
            ctx: None,
        }
    }

    /// `model_attributes_type`: an object was expected (e.g. a non-JSON body).
    pub fn model_attributes_type(loc: &[LocItem], input: Value) -> Self {
        Self {
            kind: "model_attributes_type".into(),
            loc: loc.to_vec(),
            msg: "Input should be a valid dictionary or object to extract fields from".to_owned(),
            input,
            ctx: None,
        }
    }

    /// `json_invalid`: the body does not parse; `position` is the character offset.
    pub fn json_invalid(loc: &[LocItem], position: usize, error: &serde_json::Error) -> Self {
        let mut loc = loc.to_vec();
        loc.push(LocItem::Index(position));
        let reason = error.to_string();
        // serde_json appends " at line L column C"; the position is in `loc` already.
        let reason = reason
            .split(" at line ")
            .next()
            .unwrap_or(&reason)
            .to_owned();
        Self {
            kind: "json_invalid".into(),
            loc,
            msg: "JSON decode error".to_owned(),
            input: Value::Object(Map::new()),
            ctx: Some(Map::from_iter([(
                "error".to_owned(),
                Value::String(reason),
            )])),
        }
    }

    /// The location as dotted text, for logs: `body.items.2.name`.
    pub fn loc_string(&self) -> String {
        self.loc
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(".")
    }
}
