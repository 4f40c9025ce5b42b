//! Scalar coercion in pydantic v2's lax mode.
//!
//! FastAPI users rely on `"5"` being accepted for an `int`, `5.0` too, `"yes"` for a
//! `bool`, and on the precise error type when it is not (`int_parsing` for a bad
//! string, `int_from_float` for `5.5`, `int_type` for a list). The rules below follow
//! pydantic-core's observable behaviour, including its string grammar (surrounding
//! whitespace stripped, `_` allowed between digits, `"5.00"` accepted for an int).
//! Strict mode (no coercion) exists only for unions, where pydantic first looks for
//! a branch that matches exactly before trying lax matches.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use crate::validation::messages::{Cmp, Issue};
use crate::validation::shape::Numeric;

/// The outcome of a coercion: keep the value, replace it, or fail.
pub(crate) type Coerced = Result<Option<Value>, Issue>;

/// Checks `text` is `digits` with single underscores between digits, and returns the
/// digits alone (borrowed when there was no underscore).
fn digits(text: &str) -> Option<std::borrow::Cow<'_, str>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes[0].is_ascii_digit() || !bytes[bytes.len() - 1].is_ascii_digit() {
        return None;
    }
    let mut prev_underscore = false;
    for &b in bytes {
        match b {
            b'_' if prev_underscore => return None,
            b'_' => prev_underscore = true,
            b'0'..=b'9' => prev_underscore = false,
            _ => return None,
        }
    }
    Some(if text.contains('_') {
        text.replace('_', "").into()
    } else {
        text.into()
    })
}

/// Parses an integer the way pydantic does from a string.
pub(crate) fn parse_int(text: &str) -> Result<Number, Issue> {
    let t = text.trim();
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let whole = match body.split_once('.') {
        Some((whole, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => whole,
        Some(_) => return Err(Issue::IntParsing),
        None => body,
    };
    let whole = digits(whole).ok_or(Issue::IntParsing)?;
    if negative {
        format!("-{whole}")
            .parse::<i64>()
            .map(Number::from)
            .map_err(|_| Issue::IntParsingSize)
    } else if let Ok(n) = whole.parse::<u64>() {
        Ok(Number::from(n))
    } else {
        Err(Issue::IntParsingSize)
    }
}

/// Parses a float the way pydantic does from a string. `inf` and `nan` are refused:
/// JSON (and so the conformed value) cannot carry them.
pub(crate) fn parse_float(text: &str) -> Result<f64, Issue> {
    let t = text.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let ok_digits = |s: &str| s.is_empty() || digits(s).is_some();
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => !(a.is_empty() && b.is_empty()) && ok_digits(a) && ok_digits(b),
        None => !mantissa.is_empty() && ok_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && ok_digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return Err(Issue::FloatParsing);
    }
    match t.replace('_', "").parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(f),
        _ => Err(Issue::FloatParsing),
    }
}

fn float_value(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Coerces to an integer (`type: integer`).
pub(crate) fn to_int(v: &Value, strict: bool) -> Coerced {
    match v {
        Value::Number(n) if !n.is_f64() => Ok(None),
        Value::Number(_) if strict => Err(Issue::IntType),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() != 0.0 {
                Err(Issue::IntFromFloat)
            } else if f.abs() >= i64::MAX as f64 {
                Err(Issue::IntParsingSize)
            } else {
                Ok(Some(Value::from(f as i64)))
            }
        }
        Value::Bool(b) if !strict => Ok(Some(Value::from(u8::from(*b)))),
        Value::String(s) if !strict => parse_int(s).map(|n| Some(Value::Number(n))),
        _ => Err(Issue::IntType),
    }
}

/// Coerces to a number (`type: number`).
pub(crate) fn to_float(v: &Value, strict: bool) -> Coerced {
    match v {
        Value::Number(_) => Ok(None),
        Value::Bool(b) if !strict => Ok(Some(float_value(if *b { 1.0 } else { 0.0 }))),
        Value::String(s) if !strict => parse_float(s).map(|f| Some(float_value(f))),
        _ => Err(Issue::FloatType),
    }
}

/// Coerces to a boolean (`type: boolean`).
pub(crate) fn to_bool(v: &Value, strict: bool) -> Coerced {
    match v {
        Value::Bool(_) => Ok(None),
        _ if strict => Err(Issue::BoolType),
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Ok(Some(Value::Bool(false))),
            Some(1.0) => Ok(Some(Value::Bool(true))),
            Some(f) if n.is_f64() && f.fract() != 0.0 => Err(Issue::BoolType),
            _ => Err(Issue::BoolParsing),
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "0" | "off" | "f" | "false" | "n" | "no" => Ok(Some(Value::Bool(false))),
            "1" | "on" | "t" | "true" | "y" | "yes" => Ok(Some(Value::Bool(true))),
            _ => Err(Issue::BoolParsing),
        },
        _ => Err(Issue::BoolType),
    }
}

/// Compares two JSON numbers exactly when both are integers, as floats otherwise.
pub(crate) fn cmp_num(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (as_i128(a), as_i128(b)) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

fn as_i128(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Whether `value` is a multiple of `step` (exact for integers, tolerant for floats).
pub(crate) fn is_multiple(value: &Number, step: &Number) -> bool {
    if let (Some(v), Some(s)) = (as_i128(value), as_i128(step)) {
        return s == 0 || v % s == 0;
    }
    let (Some(v), Some(s)) = (value.as_f64(), step.as_f64()) else {
        return true;
    };
    if s == 0.0 {
        return true;
    }
    let q = (v / s).round();
    (v - q * s).abs() <= 1e-9 * v.abs().max(s.abs()).max(1.0)
}

/// The first numeric constraint `n` breaks, in pydantic's order of checking.
pub(crate) fn numeric_issue(rules: &Numeric, n: &Number) -> Option<Issue> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    if let Some(step) = &rules.multiple_of
        && !is_multiple(n, &step.value)
    {
        return Some(Issue::MultipleOf(step.clone()));
    }
    let checks = [
        (&rules.le, Cmp::Le, [Less, Equal]),
        (&rules.lt, Cmp::Lt, [Less, Less]),
        (&rules.ge, Cmp::Ge, [Greater, Equal]),
        (&rules.gt, Cmp::Gt, [Greater, Greater]),
    ];
    for (bound, cmp, ok) in checks {
        if let Some(b) = bound
            && cmp_num(n, &b.value).is_none_or(|o| !ok.contains(&o))
        {
            return Some(Issue::Bound(cmp, b.clone()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ints_follow_pydantic_lax() {
        assert_eq!(to_int(&json!(5), false), Ok(None));
        assert_eq!(to_int(&json!(5.0), false), Ok(Some(json!(5))));
        assert_eq!(to_int(&json!(5.5), false), Err(Issue::IntFromFloat));
        assert_eq!(to_int(&json!(1e19), false), Err(Issue::IntParsingSize));
        for ok in ["5", " 5 ", "+5", "5.0", "5.00", "1_000", "-0"] {
            assert!(to_int(&json!(ok), false).is_ok(), "{ok}");
        }
        assert_eq!(to_int(&json!("1_000"), false), Ok(Some(json!(1000))));
        for bad in [
            "5.5", "1e3", "a", "", "   ", "0x10", "5_", "5.", ".0", "\u{665}",
        ] {
            assert_eq!(to_int(&json!(bad), false), Err(Issue::IntParsing), "{bad}");
        }
        assert_eq!(to_int(&json!(true), false), Ok(Some(json!(1))));
        for bad in [json!(null), json!([1]), json!({})] {
            assert_eq!(to_int(&bad, false), Err(Issue::IntType));
        }
        assert_eq!(to_int(&json!("5"), true), Err(Issue::IntType));
        assert_eq!(to_int(&json!(5.0), true), Err(Issue::IntType));
    }

    #[test]
    fn floats_follow_pydantic_lax() {
        assert_eq!(to_float(&json!(5), false), Ok(None));
        for (text, f) in [
            ("5.5", 5.5),
            (" 1.5 ", 1.5),
            ("1e3", 1000.0),
            ("1_000.5", 1000.5),
            (".5", 0.5),
            ("5.", 5.0),
        ] {
            assert_eq!(to_float(&json!(text), false), Ok(Some(json!(f))), "{text}");
        }
        for bad in ["a", "", "1__0", "e5", "."] {
            assert_eq!(
                to_float(&json!(bad), false),
                Err(Issue::FloatParsing),
                "{bad}"
            );
        }
        assert_eq!(to_float(&json!(null), false), Err(Issue::FloatType));
        assert_eq!(to_float(&json!([]), false), Err(Issue::FloatType));
    }

    #[test]
    fn bools_follow_pydantic_lax() {
        for t in ["yes", "YES", "On", "t", "1", "true", "y"] {
            assert_eq!(to_bool(&json!(t), false), Ok(Some(json!(true))), "{t}");
        }
        for f in ["no", "off", "F", "0", "false", "n"] {
            assert_eq!(to_bool(&json!(f), false), Ok(Some(json!(false))), "{f}");
        }
        assert_eq!(to_bool(&json!(1), false), Ok(Some(json!(true))));
        assert_eq!(to_bool(&json!(0.0), false), Ok(Some(json!(false))));
        assert_eq!(to_bool(&json!(2), false), Err(Issue::BoolParsing));
        assert_eq!(to_bool(&json!(1.5), false), Err(Issue::BoolType));
        assert_eq!(to_bool(&json!("maybe"), false), Err(Issue::BoolParsing));
        assert_eq!(to_bool(&json!(" true"), false), Err(Issue::BoolParsing));
        assert_eq!(to_bool(&json!(null), false), Err(Issue::BoolType));
    }

    #[test]
    fn numbers_compare_and_divide() {
        let n = |v: Value| serde_json::from_value::<Number>(v).unwrap();
        assert_eq!(
            cmp_num(&n(json!(u64::MAX)), &n(json!(-1))),
            Some(Ordering::Greater)
        );
        assert_eq!(cmp_num(&n(json!(0.5)), &n(json!(1))), Some(Ordering::Less));
        assert!(is_multiple(&n(json!(9)), &n(json!(3))));
        assert!(!is_multiple(&n(json!(-1)), &n(json!(3))));
        assert!(is_multiple(&n(json!(0.3)), &n(json!(0.1))));
        assert!(!is_multiple(&n(json!(0.7)), &n(json!(0.5))));
    }
}
