//! What can go wrong, and the exact words pydantic uses for it.
//!
//! Clients match on `type` and often show `msg` verbatim, so both (and `ctx`) must
//! be what pydantic 2 says, down to plurals (`1 character`, `3 characters`) and to
//! how bounds print (`greater than 0` in `msg` but `{"gt": 0.0}` in `ctx` for a
//! float field). Every message lives here, so the walker ([`crate::validation::conform`]) and
//! the `validator` bridge ([`crate::validation::validator_errors`]) cannot drift apart.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use crate::validation::error::{FieldError, LocItem, py_str_repr};

/// A numeric bound as pydantic renders it: the declared number, and whether the
/// field is a float (pydantic shows `0` in `msg` but `0.0` in `ctx` for floats).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bound {
    pub value: Number,
    pub float: bool,
}

impl Bound {
    /// The bound as pydantic-core prints it inside `msg` (Rust `Display` of the number).
    pub fn display(&self) -> String {
        if self.float || self.value.is_f64() {
            format!("{}", self.value.as_f64().unwrap_or(f64::NAN))
        } else {
            self.value.to_string()
        }
    }

    /// The bound as it appears in `ctx`: a float for float fields, else an integer.
    pub fn ctx_value(&self) -> Value {
        let f = self.value.as_f64().unwrap_or(f64::NAN);
        if self.float {
            Number::from_f64(f).map_or(Value::Null, Value::Number)
        } else if self.value.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 {
            Value::from(f as i64)
        } else {
            Value::Number(self.value.clone())
        }
    }
}

/// Which comparison a numeric bound makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
}

/// Everything that can go wrong, with the data its message needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Issue {
    Missing,
    ExtraForbidden,
    StringType,
    StringTooShort(usize),
    StringTooLong(usize),
    PatternMismatch(String),
    IntType,
    IntParsing,
    IntFromFloat,
    IntParsingSize,
    FloatType,
    FloatParsing,
    BoolType,
    BoolParsing,
    ListType,
    TupleType,
    SetType,
    /// Collection kind (`"List"`, `"Tuple"`), minimum, actual length.
    TooShort(&'static str, usize, usize),
    /// Collection kind, maximum, actual length (unknown for sets: "not more").
    TooLong(&'static str, usize, Option<usize>),
    Bound(Cmp, Bound),
    MultipleOf(Bound),
    /// Expected values already rendered, e.g. `'a', 'b' or 'c'`.
    Enum(String),
    Literal(String),
    Email(String),
    UuidType,
    UuidParsing(String),
    DatetimeType,
    DatetimeParsing(String),
    DatetimeFromDateParsing(String),
    DateType,
    DateFromDatetimeParsing(String),
    DateFromDatetimeInexact,
    UrlType,
    UrlParsing(String),
    ModelAttributesType,
    DictType,
    NoneRequired,
    /// Discriminator field, tag found, expected tags rendered.
    UnionTagInvalid(String, String, String),
    UnionTagNotFound(String),
    /// Anything else: type, message, context.
    Custom(Cow<'static, str>, String, Option<Map<String, Value>>),
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn ctx1(key: &str, value: impl Into<Value>) -> Option<Map<String, Value>> {
    let mut map = Map::new();
    map.insert(key.to_owned(), value.into());
    Some(map)
}

impl Issue {
    /// Builds the [`FieldError`] for this issue at `loc` with `input`.
    pub fn at(self, loc: Vec<LocItem>, input: Value) -> FieldError {
        let (kind, msg, ctx): (&'static str, String, _) = match self {
            Issue::Custom(kind, msg, ctx) => {
                return FieldError {
                    kind,
                    loc,
                    msg,
                    input,
                    ctx,
                };
            }
            Issue::Missing => ("missing", "Field required".into(), None),
            Issue::ExtraForbidden => (
                "extra_forbidden",
                "Extra inputs are not permitted".into(),
                None,
            ),
            Issue::StringType => ("string_type", "Input should be a valid string".into(), None),
            Issue::StringTooShort(n) => (
                "string_too_short",
                format!("String should have at least {}", plural(n, "character")),
                ctx1("min_length", n),
            ),
            Issue::StringTooLong(n) => (
                "string_too_long",
                format!("String should have at most {}", plural(n, "character")),
                ctx1("max_length", n),
            ),
            Issue::PatternMismatch(p) => (
                "string_pattern_mismatch",
                format!("String should match pattern '{p}'"),
                ctx1("pattern", p),
            ),
            Issue::IntType => ("int_type", "Input should be a valid integer".into(), None),
            Issue::IntParsing => (
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer".into(),
                None,
            ),
            Issue::IntFromFloat => (
                "int_from_float",
                "Input should be a valid integer, got a number with a fractional part".into(),
                None,
            ),
            Issue::IntParsingSize => (
                "int_parsing_size",
                "Unable to parse input string as an integer, exceeded maximum size".into(),
                None,
            ),
            Issue::FloatType => ("float_type", "Input should be a valid number".into(), None),
            Issue::FloatParsing => (
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number".into(),
                None,
            ),
            Issue::BoolType => ("bool_type", "Input should be a valid boolean".into(), None),
            Issue::BoolParsing => (
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input".into(),
                None,
            ),
            Issue::ListType => ("list_type", "Input should be a valid list".into(), None),
            Issue::TupleType => ("tuple_type", "Input should be a valid tuple".into(), None),
            Issue::SetType => ("set_type", "Input should be a valid set".into(), None),
            Issue::TooShort(field_type, min, actual) => {
                let mut ctx = Map::new();
                ctx.insert("field_type".into(), field_type.into());
                ctx.insert("min_length".into(), min.into());
                ctx.insert("actual_length".into(), actual.into());
                let msg = format!(
                    "{field_type} should have at least {} after validation, not {actual}",
                    plural(min, "item")
                );
                ("too_short", msg, Some(ctx))
            }
            Issue::TooLong(field_type, max, actual) => {
                let mut ctx = Map::new();
                ctx.insert("field_type".into(), field_type.into());
                ctx.insert("max_length".into(), max.into());
                ctx.insert("actual_length".into(), actual.into());
                let actual = actual.map_or_else(|| "more".to_owned(), |n| n.to_string());
                let msg = format!(
                    "{field_type} should have at most {} after validation, not {actual}",
                    plural(max, "item")
                );
                ("too_long", msg, Some(ctx))
            }
            Issue::Bound(cmp, bound) => {
                let (kind, key, words) = match cmp {
                    Cmp::Gt => ("greater_than", "gt", "greater than"),
                    Cmp::Ge => ("greater_than_equal", "ge", "greater than or equal to"),
                    Cmp::Lt => ("less_than", "lt", "less than"),
                    Cmp::Le => ("less_than_equal", "le", "less than or equal to"),
                };
                let msg = format!("Input should be {words} {}", bound.display());
                (kind, msg, ctx1(key, bound.ctx_value()))
            }
            Issue::MultipleOf(bound) => (
                "multiple_of",
                format!("Input should be a multiple of {}", bound.display()),
                ctx1("multiple_of", bound.ctx_value()),
            ),
            Issue::Enum(expected) => (
                "enum",
                format!("Input should be {expected}"),
                ctx1("expected", expected),
            ),
            Issue::Literal(expected) => (
                "literal_error",
                format!("Input should be {expected}"),
                ctx1("expected", expected),
            ),
            Issue::Email(reason) => (
                "value_error",
                format!("value is not a valid email address: {reason}"),
                ctx1("reason", reason),
            ),
            Issue::UuidType => (
                "uuid_type",
                "UUID input should be a string, bytes or UUID object".into(),
                None,
            ),
            Issue::UuidParsing(e) => (
                "uuid_parsing",
                format!("Input should be a valid UUID, {e}"),
                ctx1("error", e),
            ),
            Issue::DatetimeType => (
                "datetime_type",
                "Input should be a valid datetime".into(),
                None,
            ),
            Issue::DatetimeParsing(e) => (
                "datetime_parsing",
                format!("Input should be a valid datetime, {e}"),
                ctx1("error", e),
            ),
            Issue::DatetimeFromDateParsing(e) => (
                "datetime_from_date_parsing",
                format!("Input should be a valid datetime or date, {e}"),
                ctx1("error", e),
            ),
            Issue::DateType => ("date_type", "Input should be a valid date".into(), None),
            Issue::DateFromDatetimeParsing(e) => (
                "date_from_datetime_parsing",
                format!("Input should be a valid date or datetime, {e}"),
                ctx1("error", e),
            ),
            Issue::DateFromDatetimeInexact => (
                "date_from_datetime_inexact",
                "Datetimes provided to dates should have zero time - e.g. be exact dates".into(),
                None,
            ),
            Issue::UrlType => (
                "url_type",
                "URL input should be a string or URL".into(),
                None,
            ),
            Issue::UrlParsing(e) => (
                "url_parsing",
                format!("Input should be a valid URL, {e}"),
                ctx1("error", e),
            ),
            Issue::ModelAttributesType => (
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from".into(),
                None,
            ),
            Issue::DictType => (
                "dict_type",
                "Input should be a valid dictionary".into(),
                None,
            ),
            Issue::NoneRequired => ("none_required", "Input should be None".into(), None),
            Issue::UnionTagInvalid(disc, tag, expected) => {
                let disc = py_str_repr(&disc);
                let msg = format!(
                    "Input tag '{tag}' found using {disc} does not match any of the expected tags: {expected}"
                );
                let mut ctx = Map::new();
                ctx.insert("discriminator".into(), disc.into());
                ctx.insert("tag".into(), tag.into());
                ctx.insert("expected_tags".into(), expected.into());
                ("union_tag_invalid", msg, Some(ctx))
            }
            Issue::UnionTagNotFound(disc) => {
                let disc = py_str_repr(&disc);
                let msg = format!("Unable to extract tag using discriminator {disc}");
                ("union_tag_not_found", msg, ctx1("discriminator", disc))
            }
        };
        FieldError {
            kind: Cow::Borrowed(kind),
            loc,
            msg,
            input,
            ctx,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bounds_render_like_pydantic() {
        let b = |v: Value, float| Bound {
            value: serde_json::from_value(v).unwrap(),
            float,
        };
        let e = Issue::Bound(Cmp::Gt, b(json!(0), true)).at(vec![], json!(-5));
        assert_eq!(e.msg, "Input should be greater than 0");
        assert_eq!(e.ctx.unwrap()["gt"], json!(0.0));
        let e = Issue::Bound(Cmp::Le, b(json!(1e-5), true)).at(vec![], json!(1));
        assert_eq!(e.msg, "Input should be less than or equal to 0.00001");
        let e = Issue::Bound(Cmp::Le, b(json!(10.0), false)).at(vec![], json!(11));
        assert_eq!(
            (e.msg.as_str(), e.ctx.unwrap()["le"].clone()),
            ("Input should be less than or equal to 10", json!(10))
        );
        let e = Issue::MultipleOf(b(json!(0.5), true)).at(vec![], json!(0.7));
        assert_eq!(e.msg, "Input should be a multiple of 0.5");
    }

    #[test]
    fn plurals() {
        let short = Issue::StringTooShort(1).at(vec![], json!(""));
        assert_eq!(short.msg, "String should have at least 1 character");
        let long = Issue::TooLong("List", 1, Some(3)).at(vec![], json!([]));
        assert_eq!(
            long.msg,
            "List should have at most 1 item after validation, not 3"
        );
    }
}
