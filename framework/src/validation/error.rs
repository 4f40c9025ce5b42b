//! The error entry of a 422 response.
//!
//! FastAPI answers a failed validation with `{"detail": [...]}` where each item is
//! what pydantic-core reports: a machine `type`, a `loc` path, a human `msg`, the
//! offending `input` and, for some types, a `ctx` object. [`FieldError`] is that
//! item; the wording of each type lives in [`crate::validation::messages`]. The helpers at the
//! end render values the way Python prints them, since pydantic's messages embed
//! Python `repr`s (`'alexnet'`, `True`, `1e-05`).

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

/// One item of FastAPI's 422 `detail` list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    /// pydantic's error type, e.g. `"missing"` or `"int_parsing"`.
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// Where the error is: the source (`"body"`, `"query"`, ...) then keys and indices.
    pub loc: Vec<LocItem>,
    /// The human-readable message, worded as pydantic words it.
    pub msg: String,
    /// The offending input (for `missing`: the object the field is missing from).
    pub input: Value,
    /// Extra facts about the error (bounds, expected values), when pydantic gives some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Map<String, Value>>,
}

/// One step of an error location.
///
/// Serialises untagged: a key as a JSON string, an index as a JSON number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum LocItem {
    /// An object key (property or map key), or a source name such as `"body"`.
    Key(String),
    /// A position in an array.
    Index(usize),
}

impl From<&str> for LocItem {
    fn from(key: &str) -> Self {
        LocItem::Key(key.to_owned())
    }
}

impl From<String> for LocItem {
    fn from(key: String) -> Self {
        LocItem::Key(key)
    }
}

impl From<usize> for LocItem {
    fn from(index: usize) -> Self {
        LocItem::Index(index)
    }
}

impl fmt::Display for LocItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocItem::Key(key) => f.write_str(key),
            LocItem::Index(index) => write!(f, "{index}"),
        }
    }
}

/// Python's `repr` of a string: single quotes unless the text holds one and no double quote.
pub(crate) fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr` of a JSON value, as pydantic shows expected enum/literal values.
pub(crate) fn py_repr(v: &Value) -> String {
    match v {
        Value::String(s) => py_str_repr(s),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => py_float_repr(f),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Python's `repr` of a float: shortest round-trip digits, scientific outside 1e-4..1e16.
pub(crate) fn py_float_repr(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "nan".into()
        } else if f > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let exp = format!("{f:e}");
    let (mantissa, e) = exp.split_once('e').unwrap_or((&exp, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    if f != 0.0 && !(-4..16).contains(&e) {
        let sign = if e < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", e.abs())
    } else {
        let s = format!("{f}");
        if s.contains('.') { s } else { format!("{s}.0") }
    }
}

/// Joins rendered choices the way pydantic does: `a`, `a or b`, `a, b or c`.
pub(crate) fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::messages::Issue;
    use serde_json::json;

    #[test]
    fn loc_serialises_untagged() {
        let e = Issue::Missing.at(
            vec!["body".into(), "items".into(), 2usize.into()],
            json!({}),
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            json!({"type": "missing", "loc": ["body", "items", 2], "msg": "Field required", "input": {}})
        );
    }

    #[test]
    fn python_reprs() {
        assert_eq!(py_repr(&json!("it's")), "\"it's\"");
        assert_eq!(py_repr(&json!(1e-5)), "1e-05");
        assert_eq!(py_repr(&json!(1e16)), "1e+16");
        assert_eq!(py_repr(&json!(2.0)), "2.0");
        assert_eq!(py_repr(&json!(true)), "True");
        let names = ["'a'".to_string(), "'b'".into(), "'c'".into()];
        assert_eq!(join_or(&names), "'a', 'b' or 'c'");
        assert_eq!(join_or(&names[..1]), "'a'");
    }
}
