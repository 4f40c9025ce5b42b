//! TEMPORARY placeholder (replaced by the schema-driven engine).
#![allow(missing_docs, dead_code)]
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    pub loc: Vec<LocItem>,
    pub msg: String,
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<serde_json::Map<String, Value>>,
}
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum LocItem {
    Key(String),
    Index(usize),
}
impl From<&str> for LocItem {
    fn from(s: &str) -> Self {
        LocItem::Key(s.to_owned())
    }
}
pub enum Source {
    Json,
    Text,
}
pub struct FieldInfo {
    pub name: String,
    pub is_array: bool,
    pub required: bool,
}
pub struct Shape;
impl Shape {
    pub fn of<T: schemars::JsonSchema + 'static>() -> &'static Shape {
        &Shape
    }
    pub fn conform(
        &self,
        value: Value,
        _s: Source,
        _l: &[LocItem],
    ) -> Result<Value, Vec<FieldError>> {
        Ok(value)
    }
    pub fn object_fields(&self) -> Option<Vec<FieldInfo>> {
        None
    }
}
pub fn from_validator_errors(
    _e: &validator::ValidationErrors,
    _l: &[LocItem],
    _i: &Value,
) -> Vec<FieldError> {
    vec![]
}
impl FieldError {
    pub fn missing(loc: &[LocItem]) -> Self {
        Self {
            kind: "missing".into(),
            loc: loc.to_vec(),
            msg: "Field required".into(),
            input: Value::Null,
            ctx: None,
        }
    }
    pub fn value_error(loc: Vec<LocItem>, msg: String, input: Value) -> Self {
        Self {
            kind: "value_error".into(),
            loc,
            msg,
            input,
            ctx: None,
        }
    }
    pub fn model_attributes_type(loc: &[LocItem], input: Value) -> Self {
        Self {
            kind: "model_attributes_type".into(),
            loc: loc.to_vec(),
            msg: "Input should be a valid dictionary or object to extract fields from".into(),
            input,
            ctx: None,
        }
    }
    pub fn json_invalid(loc: &[LocItem], pos: usize, e: &serde_json::Error) -> Self {
        let mut l = loc.to_vec();
        l.push(LocItem::Index(pos));
        Self {
            kind: "json_invalid".into(),
            loc: l,
            msg: "JSON decode error".into(),
            input: Value::Object(Default::default()),
            ctx: Some(serde_json::Map::from_iter([(
                "error".to_owned(),
                Value::String(e.to_string()),
            )])),
        }
    }
    pub fn loc_string(&self) -> String {
        String::new()
    }
}
