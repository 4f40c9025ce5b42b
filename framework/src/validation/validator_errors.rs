//! Turning `validator::ValidationErrors` into FastAPI error entries.
//!
//! Some constraints never reach the JSON Schema: `range(exclusive_min = 0.0)`,
//! custom functions, struct-level checks, `#[validate(nested)]`. They run with the
//! `validator` crate after serde, and their errors must look like the rest of the
//! 422: pydantic's types, messages and ctx, and full locations through nested
//! structs and list items (`["body", "items", 2, "name"]`). `validator` keeps errors
//! in a `HashMap` and under Rust field names, so we order them by the position of
//! the key in the conformed input (declaration order) and map Rust names back to the
//! input's (renamed) keys where they differ only by case and separators.

use std::borrow::Cow;

use serde_json::{Map, Value};
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::validation::coerce::cmp_num;
use crate::validation::error::{FieldError, LocItem};
use crate::validation::formats::{email_problem, url_problem};
use crate::validation::messages::{Bound, Cmp, Issue};

/// Converts errors of the `validator` crate into [`FieldError`]s located under
/// `loc`. `input` is the conformed JSON value that was deserialised; it supplies
/// each error's `input` and the order of the errors.
pub fn from_validator_errors(
    errors: &ValidationErrors,
    loc: &[LocItem],
    input: &Value,
) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut path = loc.to_vec();
    walk(errors, &mut path, Some(input), &mut out);
    out
}

/// Squashes a name to compare `user_name`, `userName`, `user-name` and `UserName`.
fn squash(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The key of `object` the Rust field `field` was (de)serialised from, and its position.
fn input_key<'v>(
    object: Option<&'v Map<String, Value>>,
    field: &str,
) -> Option<(usize, &'v String)> {
    let object = object?;
    let mut keys = object.keys().enumerate();
    if let Some(found) = object.keys().enumerate().find(|(_, k)| *k == field) {
        return Some(found);
    }
    let squashed = squash(field);
    keys.find(|(_, k)| squash(k) == squashed)
}

fn walk(
    errors: &ValidationErrors,
    path: &mut Vec<LocItem>,
    input: Option<&Value>,
    out: &mut Vec<FieldError>,
) {
    let object = input.and_then(Value::as_object);
    let mut entries: Vec<_> = errors
        .0
        .iter()
        .map(|(field, kind)| {
            let found = input_key(object, field);
            let order = match (field.as_ref(), found) {
                ("__all__", _) => (2, usize::MAX),
                (_, Some((i, _))) => (0, i),
                (_, None) => (1, 0),
            };
            (order, field, found.map(|(_, k)| k), kind)
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    for (_, field, key, kind) in entries {
        let whole = field == "__all__";
        if !whole {
            path.push(LocItem::Key(
                key.map_or_else(|| field.to_string(), Clone::clone),
            ));
        }
        let child = if whole {
            input
        } else {
            key.and_then(|k| object?.get(k))
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.extend(list.iter().map(|e| convert(e, path.clone(), child, input)));
            }
            ValidationErrorsKind::Struct(inner) => walk(inner, path, child, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    path.push(LocItem::Index(*index));
                    walk(inner, path, child.and_then(|c| c.get(*index)), out);
                    path.pop();
                }
            }
        }
        if !whole {
            path.pop();
        }
    }
}

fn param<'e>(e: &'e ValidationError, name: &str) -> Option<&'e Value> {
    e.params.get(name).filter(|v| !v.is_null())
}

fn param_usize(e: &ValidationError, name: &str) -> Option<usize> {
    param(e, name)?.as_u64().map(|n| n as usize)
}

/// The pydantic issue for a `length` error on a string or a list.
fn length_issue(e: &ValidationError, value: &Value) -> Option<Issue> {
    let (actual, list) = match value {
        Value::String(s) => (s.chars().count(), None),
        Value::Array(a) => (a.len(), Some("List")),
        Value::Object(o) => (o.len(), Some("Dictionary")),
        _ => return None,
    };
    let (min, max) = match param_usize(e, "equal") {
        Some(eq) => (Some(eq), Some(eq)),
        None => (param_usize(e, "min"), param_usize(e, "max")),
    };
    Some(match (list, min, max) {
        (None, Some(min), _) if actual < min => Issue::StringTooShort(min),
        (None, _, Some(max)) if actual > max => Issue::StringTooLong(max),
        (Some(kind), Some(min), _) if actual < min => Issue::TooShort(kind, min, actual),
        (Some(kind), _, Some(max)) if actual > max => Issue::TooLong(kind, max, Some(actual)),
        _ => return None,
    })
}

/// The pydantic issue for a `range` error: the bound the value breaks, in pydantic's order.
fn range_issue(e: &ValidationError, value: &Value) -> Option<Issue> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let Value::Number(n) = value else { return None };
    let checks = [
        ("max", Cmp::Le, [Less, Equal]),
        ("exclusive_max", Cmp::Lt, [Less, Less]),
        ("min", Cmp::Ge, [Greater, Equal]),
        ("exclusive_min", Cmp::Gt, [Greater, Greater]),
    ];
    for (name, cmp, ok) in checks {
        if let Some(Value::Number(b)) = param(e, name)
            && cmp_num(n, b).is_none_or(|o| !ok.contains(&o))
        {
            let float = b.is_f64() || n.is_f64();
            let value = b.clone();
            return Some(Issue::Bound(cmp, Bound { value, float }));
        }
    }
    None
}

fn text_of(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// `params` minus `value`, as a ctx object (for codes pydantic does not know).
fn params_ctx(e: &ValidationError) -> Option<Map<String, Value>> {
    let ctx: Map<String, Value> = e
        .params
        .iter()
        .filter(|(k, _)| *k != "value")
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    (!ctx.is_empty()).then_some(ctx)
}

fn custom(kind: &str, msg: String, ctx: Option<Map<String, Value>>) -> Issue {
    Issue::Custom(Cow::Owned(kind.to_owned()), msg, ctx)
}

fn convert(
    e: &ValidationError,
    loc: Vec<LocItem>,
    input: Option<&Value>,
    parent: Option<&Value>,
) -> FieldError {
    let value = input
        .or_else(|| param(e, "value"))
        .cloned()
        .unwrap_or(Value::Null);
    let needle = || {
        param(e, "needle")
            .map(text_of)
            .unwrap_or_default()
            .into_owned()
    };
    let issue = match e.code.as_ref() {
        "length" => length_issue(e, &value),
        "range" => range_issue(e, &value),
        "email" => Some(Issue::Email(
            email_problem(&text_of(&value))
                .unwrap_or_else(|| "The email address is not valid.".into()),
        )),
        "url" => Some(Issue::UrlParsing(
            url_problem(&text_of(&value)).unwrap_or_else(|| "invalid URL".into()),
        )),
        "regex" => Some(match param(e, "pattern") {
            Some(p) => Issue::PatternMismatch(text_of(p).into_owned()),
            None => custom(
                "string_pattern_mismatch",
                "String should match the required pattern".into(),
                None,
            ),
        }),
        "required" => {
            let whole = parent.cloned().unwrap_or(Value::Null);
            let mut error = Issue::Missing.at(loc, whole);
            if let Some(message) = &e.message {
                error.msg = message.to_string();
            }
            return error;
        }
        "must_match" => Some(custom(
            "must_match",
            "Value must match the other field".into(),
            None,
        )),
        "contains" => Some(custom(
            "contains",
            format!("Value should contain '{}'", needle()),
            params_ctx(e),
        )),
        "does_not_contain" => Some(custom(
            "does_not_contain",
            format!("Value should not contain '{}'", needle()),
            params_ctx(e),
        )),
        "non_control_character" => Some(custom(
            "non_control_character",
            "Value should not contain control characters".into(),
            None,
        )),
        "credit_card" => Some(custom(
            "credit_card",
            "Value should be a valid credit card number".into(),
            None,
        )),
        "ip" => Some(custom(
            "ip_any_address",
            "value is not a valid IPv4 or IPv6 address".into(),
            None,
        )),
        _ => None,
    };
    let issue = issue.unwrap_or_else(|| {
        let msg = format!("Value error, {}", e.code.replace('_', " "));
        custom(&e.code, msg, params_ctx(e))
    });
    let mut error = issue.at(loc, value);
    if let Some(message) = &e.message {
        error.msg = message.to_string();
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use serde_json::json;
    use validator::Validate;

    fn not_admin(note: &str) -> Result<(), ValidationError> {
        if note == "admin" {
            Err(ValidationError::new("reserved_word"))
        } else {
            Ok(())
        }
    }

    fn polite(note: &str) -> Result<(), ValidationError> {
        if note.contains('!') {
            Err(ValidationError::new("impolite").with_message("Please do not shout".into()))
        } else {
            Ok(())
        }
    }

    fn whole_order(order: &Order) -> Result<(), ValidationError> {
        if order.lines.len() > 2 {
            Err(ValidationError::new("too_many_lines"))
        } else {
            Ok(())
        }
    }

    #[derive(Deserialize, Serialize, Validate)]
    struct Line {
        #[validate(length(min = 1, max = 5))]
        name: String,
        #[validate(range(min = 1, max = 10))]
        qty: u32,
    }

    #[derive(Deserialize, Serialize, Validate)]
    struct Customer {
        #[validate(url)]
        site: String,
        #[validate(length(equal = 2))]
        country: String,
    }

    #[derive(Deserialize, Serialize, Validate)]
    #[serde(rename_all = "camelCase")]
    #[validate(schema(function = "whole_order"))]
    struct Order {
        #[validate(range(exclusive_min = 0.0, max = 1000.0))]
        unit_price: f64,
        #[validate(length(min = 1), nested)]
        lines: Vec<Line>,
        #[validate(nested)]
        customer: Customer,
        #[validate(custom(function = "not_admin"), custom(function = "polite"))]
        note: String,
        #[validate(email)]
        contact: String,
        #[validate(length(max = 1))]
        tags: Vec<String>,
    }

    fn detail(input: Value) -> Value {
        let order: Order = serde_json::from_value(input.clone()).unwrap();
        let errors = order.validate().unwrap_err();
        serde_json::to_value(from_validator_errors(&errors, &["body".into()], &input)).unwrap()
    }

    #[test]
    fn nested_and_list_errors_get_full_locations_in_input_order() {
        let input = json!({
            "unitPrice": 0.0,
            "lines": [{"name": "ok", "qty": 1}, {"name": "", "qty": 1}, {"name": "toolong", "qty": 11}],
            "customer": {"site": "nope", "country": "FRA"},
            "note": "admin",
            "contact": "a b@c.org",
            "tags": ["a", "b"]
        });
        let expected = json!([
            {"type":"greater_than","loc":["body","unitPrice"],"msg":"Input should be greater than 0","input":0.0,"ctx":{"gt":0.0}},
            {"type":"string_too_short","loc":["body","lines",1,"name"],"msg":"String should have at least 1 character","input":"","ctx":{"min_length":1}},
            {"type":"string_too_long","loc":["body","lines",2,"name"],"msg":"String should have at most 5 characters","input":"toolong","ctx":{"max_length":5}},
            {"type":"less_than_equal","loc":["body","lines",2,"qty"],"msg":"Input should be less than or equal to 10","input":11,"ctx":{"le":10}},
            {"type":"url_parsing","loc":["body","customer","site"],"msg":"Input should be a valid URL, relative URL without a base","input":"nope","ctx":{"error":"relative URL without a base"}},
            {"type":"string_too_long","loc":["body","customer","country"],"msg":"String should have at most 2 characters","input":"FRA","ctx":{"max_length":2}},
            {"type":"reserved_word","loc":["body","note"],"msg":"Value error, reserved word","input":"admin"},
            {"type":"value_error","loc":["body","contact"],"msg":"value is not a valid email address: The email address contains invalid characters before the @-sign: SPACE.","input":"a b@c.org","ctx":{"reason":"The email address contains invalid characters before the @-sign: SPACE."}},
            {"type":"too_long","loc":["body","tags"],"msg":"List should have at most 1 item after validation, not 2","input":["a","b"],"ctx":{"field_type":"List","max_length":1,"actual_length":2}}
        ]);
        assert_eq!(detail(input), expected);
    }

    #[test]
    fn custom_messages_and_list_lengths() {
        let input = json!({
            "unitPrice": 2000,
            "lines": [],
            "customer": {"site": "https://x.org", "country": "F"},
            "note": "hi!",
            "contact": "a@b.org",
            "tags": []
        });
        let expected = json!([
            {"type":"less_than_equal","loc":["body","unitPrice"],"msg":"Input should be less than or equal to 1000","input":2000,"ctx":{"le":1000.0}},
            {"type":"too_short","loc":["body","lines"],"msg":"List should have at least 1 item after validation, not 0","input":[],"ctx":{"field_type":"List","min_length":1,"actual_length":0}},
            {"type":"string_too_short","loc":["body","customer","country"],"msg":"String should have at least 2 characters","input":"F","ctx":{"min_length":2}},
            {"type":"impolite","loc":["body","note"],"msg":"Please do not shout","input":"hi!"}
        ]);
        assert_eq!(detail(input), expected);
    }

    #[test]
    fn struct_level_errors_sit_at_the_prefix() {
        let line = json!({"name": "a", "qty": 1});
        let input = json!({
            "unitPrice": 1,
            "lines": [line, line, line],
            "customer": {"site": "https://x.org", "country": "FR"},
            "note": "hi",
            "contact": "a@b.org",
            "tags": []
        });
        let expected = json!([{"type":"too_many_lines","loc":["body"],"msg":"Value error, too many lines","input":input}]);
        assert_eq!(detail(input), expected);
    }

    #[test]
    fn other_codes_keep_their_names() {
        let mut errors = ValidationErrors::new();
        errors.add("slug", ValidationError::new("regex"));
        errors.add("confirm", ValidationError::new("must_match"));
        let mut contains = ValidationError::new("contains");
        contains.add_param("needle".into(), &"@");
        errors.add("handle", contains);
        errors.add("nick", ValidationError::new("required"));
        let input = json!({"slug": "A B", "confirm": "x", "handle": "bob"});
        let got = from_validator_errors(&errors, &["body".into()], &input);
        let summary: Vec<_> = got
            .iter()
            .map(|e| (e.kind.as_ref(), e.loc[1].to_string(), e.msg.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "string_pattern_mismatch",
                    "slug".into(),
                    "String should match the required pattern"
                ),
                (
                    "must_match",
                    "confirm".into(),
                    "Value must match the other field"
                ),
                ("contains", "handle".into(), "Value should contain '@'"),
                ("missing", "nick".into(), "Field required"),
            ]
        );
        assert_eq!(got[3].input, input);
    }
}
