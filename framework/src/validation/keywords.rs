//! Reading the leaf keywords of a schema: numeric bounds, string rules, lengths.
//!
//! These are the keywords that carry pydantic's constraints (`minimum`,
//! `exclusiveMinimum`, `minLength`, `pattern`, `format`, ...). They are read once at
//! compile time: regexes are compiled here, integer `format`s (`int32`, `uint8`,
//! ...) become range checks the Rust type needs, and each bound remembers whether
//! its field is a float, which decides how pydantic prints it.

use regex::Regex;
use serde_json::{Map, Number, Value};

use crate::validation::coerce::cmp_num;
use crate::validation::messages::Bound;
use crate::validation::shape::{Format, Numeric, Text};

pub(crate) fn usize_of(obj: &Map<String, Value>, key: &str) -> Option<usize> {
    obj.get(key)?.as_u64().map(|n| n as usize)
}

/// The integer range of a `format` such as `int32` or `uint8`.
pub(crate) fn format_range(format: &str) -> Option<(Number, Number)> {
    let signed = |bits: u32| {
        (
            Number::from(-(1i64 << (bits - 1))),
            Number::from((1i64 << (bits - 1)) - 1),
        )
    };
    let unsigned = |bits: u32| (Number::from(0u64), Number::from(u64::MAX >> (64 - bits)));
    Some(match format {
        "int8" => signed(8),
        "int16" => signed(16),
        "int32" => signed(32),
        "int64" => (Number::from(i64::MIN), Number::from(i64::MAX)),
        "uint8" => unsigned(8),
        "uint16" => unsigned(16),
        "uint32" => unsigned(32),
        "uint64" | "uint" => unsigned(64),
        _ => return None,
    })
}

fn bound(obj: &Map<String, Value>, key: &str, float: bool) -> Option<Bound> {
    match obj.get(key)? {
        Value::Number(n) => Some(Bound {
            value: n.clone(),
            float,
        }),
        _ => None,
    }
}

pub(crate) fn numeric(obj: &Map<String, Value>, float: bool) -> Numeric {
    let mut n = Numeric {
        multiple_of: bound(obj, "multipleOf", float),
        le: bound(obj, "maximum", float),
        lt: bound(obj, "exclusiveMaximum", float),
        ge: bound(obj, "minimum", float),
        gt: bound(obj, "exclusiveMinimum", float),
    };
    // OpenAPI 3.0 / draft 4: boolean exclusive flags turn minimum/maximum strict.
    if obj.get("exclusiveMinimum") == Some(&Value::Bool(true)) {
        n.gt = n.ge.take();
    }
    if obj.get("exclusiveMaximum") == Some(&Value::Bool(true)) {
        n.lt = n.le.take();
    }
    let range = obj
        .get("format")
        .and_then(Value::as_str)
        .and_then(format_range);
    if let (false, Some((lo, hi))) = (float, range) {
        use std::cmp::Ordering::Less;
        let looser = |b: &Option<Bound>, limit: &Number, want| {
            b.as_ref()
                .is_none_or(|b| cmp_num(&b.value, limit) == Some(want))
        };
        if looser(&n.ge, &lo, Less) && looser(&n.gt, &lo, Less) {
            n.ge = Some(Bound { value: lo, float });
        }
        if looser(&n.le, &hi, std::cmp::Ordering::Greater)
            && looser(&n.lt, &hi, std::cmp::Ordering::Greater)
        {
            n.le = Some(Bound { value: hi, float });
        }
    }
    n
}

pub(crate) fn text(obj: &Map<String, Value>) -> Text {
    let pattern = obj
        .get("pattern")
        .and_then(Value::as_str)
        .and_then(|p| Some((Regex::new(p).ok()?, p.into())));
    let format = match obj.get("format").and_then(Value::as_str) {
        Some("email" | "idn-email") => Some(Format::Email),
        Some("uuid") => Some(Format::Uuid),
        Some("date-time") => Some(Format::DateTime),
        Some("date") => Some(Format::Date),
        Some("uri" | "url" | "iri") => Some(Format::Uri),
        Some("binary") => Some(Format::Binary),
        _ => None,
    };
    Text {
        min: usize_of(obj, "minLength"),
        max: usize_of(obj, "maxLength"),
        pattern,
        format,
    }
}
