//! One test per pydantic error type and coercion rule, on derived schemas.
//!
//! Expected entries were checked against pydantic 2.13 (`TypeAdapter(...).validate_python`
//! on the equivalent annotation, which is what FastAPI runs on a parsed JSON body).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::validation::parity_tests::{errors, ok};
use crate::validation::{Shape, Source};

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Scalars {
    #[serde(default)]
    s: Option<String>,
    #[serde(default)]
    i: Option<i64>,
    #[serde(default)]
    f: Option<f64>,
    #[serde(default)]
    b: Option<bool>,
    #[serde(default)]
    #[schemars(length(min = 2, max = 3))]
    l: Option<Vec<i32>>,
    #[serde(default)]
    #[schemars(length(max = 1))]
    one: Option<Vec<i32>>,
    #[serde(default)]
    #[schemars(regex(pattern = r"^[a-z]+$"), length(max = 3))]
    p: Option<String>,
    #[serde(default)]
    #[schemars(extend("multipleOf" = 2))]
    even: Option<i32>,
    #[serde(default)]
    #[schemars(extend("multipleOf" = 0.5))]
    half: Option<f64>,
    #[serde(default)]
    #[schemars(extend("format" = "uuid"))]
    id: Option<String>,
    #[serde(default)]
    #[schemars(extend("const" = "v1"))]
    version: Option<String>,
    #[serde(default)]
    #[schemars(url)]
    site: Option<String>,
    #[serde(default)]
    small: Option<u8>,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    pair: Option<(i32, String)>,
    #[serde(default)]
    nothing: Option<()>,
    #[serde(default)]
    #[schemars(length(min = 2))]
    set: Option<std::collections::HashSet<String>>,
    #[serde(default)]
    #[schemars(extend("exclusiveMaximum" = 1.5))]
    below: Option<f64>,
}

/// The single error for `{field: value}`.
fn one(field: &str, value: Value) -> Value {
    let mut detail = errors::<Scalars>(json!({ field: value }), Source::Json, "body");
    assert_eq!(detail.as_array().unwrap().len(), 1, "{detail}");
    let mut error = detail[0].take();
    assert_eq!(error["loc"], json!(["body", field]));
    error.as_object_mut().unwrap().remove("loc");
    error
}

fn err(kind: &str, msg: &str, input: Value) -> Value {
    json!({"type": kind, "msg": msg, "input": input})
}

fn err_ctx(kind: &str, msg: &str, input: Value, ctx: Value) -> Value {
    json!({"type": kind, "msg": msg, "input": input, "ctx": ctx})
}

#[test]
fn type_errors() {
    assert_eq!(
        one("s", json!(5)),
        err("string_type", "Input should be a valid string", json!(5))
    );
    assert_eq!(
        one("i", json!([1])),
        err("int_type", "Input should be a valid integer", json!([1]))
    );
    assert_eq!(
        one("f", json!({})),
        err("float_type", "Input should be a valid number", json!({}))
    );
    let parsing = "Input should be a valid number, unable to parse string as a number";
    assert_eq!(
        one("f", json!("a")),
        err("float_parsing", parsing, json!("a"))
    );
    assert_eq!(
        one("b", json!([])),
        err("bool_type", "Input should be a valid boolean", json!([]))
    );
    let parsing = "Input should be a valid boolean, unable to interpret input";
    assert_eq!(one("b", json!(2)), err("bool_parsing", parsing, json!(2)));
    assert_eq!(
        one("l", json!("x")),
        err("list_type", "Input should be a valid list", json!("x"))
    );
    assert_eq!(
        one("pair", json!("x")),
        err("tuple_type", "Input should be a valid tuple", json!("x"))
    );
    assert_eq!(
        one("nothing", json!(5)),
        err("none_required", "Input should be None", json!(5))
    );
}

#[test]
fn lax_json_coercions() {
    let out = ok::<Scalars>(
        json!({"i": "5", "f": "2.5", "b": "yes", "s": "x", "l": [1.0, "2"], "count": true}),
        Source::Json,
    );
    assert_eq!(
        out,
        json!({"i": 5, "f": 2.5, "b": true, "s": "x", "l": [1, 2], "count": 1})
    );
    let out = ok::<Scalars>(json!({"i": 5.0, "f": 3, "b": 0}), Source::Json);
    assert_eq!(out, json!({"i": 5, "f": 3, "b": false}));
    let frac = "Input should be a valid integer, got a number with a fractional part";
    assert_eq!(
        one("i", json!(5.5)),
        err("int_from_float", frac, json!(5.5))
    );
}

#[test]
fn list_lengths() {
    let short = err_ctx(
        "too_short",
        "List should have at least 2 items after validation, not 1",
        json!([1]),
        json!({"field_type": "List", "min_length": 2, "actual_length": 1}),
    );
    assert_eq!(one("l", json!([1])), short);
    let long = err_ctx(
        "too_long",
        "List should have at most 1 item after validation, not 3",
        json!([1, 2, "a"]),
        json!({"field_type": "List", "max_length": 1, "actual_length": 3}),
    );
    assert_eq!(one("one", json!([1, 2, "a"])), long);
    // Item errors win over a too-short list, as in pydantic.
    let detail = errors::<Scalars>(json!({"l": ["a"]}), Source::Json, "body");
    assert_eq!(detail[0]["loc"], json!(["body", "l", 0]));
    assert_eq!(detail.as_array().unwrap().len(), 1);
}

#[test]
fn tuples_report_missing_positions() {
    let detail = errors::<Scalars>(json!({"pair": [1]}), Source::Json, "body");
    let expected = json!([{"type": "missing", "loc": ["body", "pair", 1], "msg": "Field required", "input": [1]}]);
    assert_eq!(detail, expected);
    let detail = errors::<Scalars>(json!({"pair": ["a", 2]}), Source::Json, "body");
    assert_eq!(detail[0]["loc"], json!(["body", "pair", 0]));
    assert_eq!(detail[1]["type"], json!("string_type"));
}

#[test]
fn string_constraints() {
    let long = err_ctx(
        "string_too_long",
        "String should have at most 3 characters",
        json!("abcd"),
        json!({"max_length": 3}),
    );
    assert_eq!(one("p", json!("abcd")), long);
    assert!(
        Shape::of::<Scalars>()
            .conform(json!({"p": "ééé"}), Source::Json, &[])
            .is_err(),
        "pattern still applies"
    );
    let mismatch = err_ctx(
        "string_pattern_mismatch",
        "String should match pattern '^[a-z]+$'",
        json!("AB"),
        json!({"pattern": "^[a-z]+$"}),
    );
    assert_eq!(one("p", json!("AB")), mismatch);
}

#[test]
fn numeric_constraints() {
    let even = err_ctx(
        "multiple_of",
        "Input should be a multiple of 2",
        json!(3),
        json!({"multiple_of": 2}),
    );
    assert_eq!(one("even", json!(3)), even);
    let half = err_ctx(
        "multiple_of",
        "Input should be a multiple of 0.5",
        json!(0.7),
        json!({"multiple_of": 0.5}),
    );
    assert_eq!(one("half", json!(0.7)), half);
    let le = err_ctx(
        "less_than_equal",
        "Input should be less than or equal to 255",
        json!(256),
        json!({"le": 255}),
    );
    assert_eq!(one("small", json!(256)), le);
    let ge = err_ctx(
        "greater_than_equal",
        "Input should be greater than or equal to 0",
        json!("-1"),
        json!({"ge": 0}),
    );
    assert_eq!(one("count", json!("-1")), ge);
    let le = err_ctx(
        "less_than_equal",
        "Input should be less than or equal to 4294967295",
        json!(4_294_967_296u64),
        json!({"le": 4_294_967_295u64}),
    );
    assert_eq!(one("count", json!(4_294_967_296u64)), le);
    let lt = err_ctx(
        "less_than",
        "Input should be less than 1.5",
        json!("2"),
        json!({"lt": 1.5}),
    );
    assert_eq!(one("below", json!("2")), lt);
}

#[test]
fn literal_uuid_and_url() {
    let lit = err_ctx(
        "literal_error",
        "Input should be 'v1'",
        json!("v2"),
        json!({"expected": "'v1'"}),
    );
    assert_eq!(one("version", json!("v2")), lit);
    let error = "invalid character: found `n` at 1";
    let uuid = err_ctx(
        "uuid_parsing",
        &format!("Input should be a valid UUID, {error}"),
        json!("nope"),
        json!({"error": error}),
    );
    assert_eq!(one("id", json!("nope")), uuid);
    let ty = err(
        "uuid_type",
        "UUID input should be a string, bytes or UUID object",
        json!(5),
    );
    assert_eq!(one("id", json!(5)), ty);
    let error = "relative URL without a base";
    let url = err_ctx(
        "url_parsing",
        &format!("Input should be a valid URL, {error}"),
        json!("/rel"),
        json!({"error": error}),
    );
    assert_eq!(one("site", json!("/rel")), url);
}

#[derive(Deserialize, JsonSchema)]
#[serde(tag = "t")]
#[allow(dead_code)]
enum Shape2 {
    X { a: i32 },
    Y { b: String },
}

#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum IntOrStr {
    I(i64),
    S(String),
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
enum Unit {
    A,
    /// Documented variants make schemars emit `oneOf` of `const`s (after the
    /// undocumented ones, so declaration order is only kept when they come last).
    B,
}

#[test]
fn discriminated_unions() {
    let detail = errors::<Shape2>(json!({"t": "Z"}), Source::Json, "body");
    let expected = json!([{"type":"union_tag_invalid","loc":["body"],
        "msg":"Input tag 'Z' found using 't' does not match any of the expected tags: 'X', 'Y'","input":{"t":"Z"},
        "ctx":{"discriminator":"'t'","tag":"Z","expected_tags":"'X', 'Y'"}}]);
    assert_eq!(detail, expected);
    let detail = errors::<Shape2>(json!({"a": 1}), Source::Json, "body");
    let expected = json!([{"type":"union_tag_not_found","loc":["body"],
        "msg":"Unable to extract tag using discriminator 't'","input":{"a":1},"ctx":{"discriminator":"'t'"}}]);
    assert_eq!(detail, expected);
    let detail = errors::<Shape2>(json!({"t": "X", "a": "q"}), Source::Json, "body");
    assert_eq!(detail[0]["loc"], json!(["body", "X", "a"]));
    assert_eq!(
        ok::<Shape2>(json!({"t": "X", "a": "3"}), Source::Json),
        json!({"t": "X", "a": 3})
    );
}

#[test]
fn plain_unions_try_exact_matches_first() {
    assert_eq!(ok::<IntOrStr>(json!("5"), Source::Json), json!("5"));
    assert_eq!(ok::<IntOrStr>(json!(5.0), Source::Json), json!(5));
    let detail = errors::<IntOrStr>(json!([]), Source::Json, "body");
    let expected = json!([
        {"type":"int_type","loc":["body","int"],"msg":"Input should be a valid integer","input":[]},
        {"type":"string_type","loc":["body","str"],"msg":"Input should be a valid string","input":[]}
    ]);
    assert_eq!(detail, expected);
}

#[test]
fn unit_enums_with_docs_are_still_enums() {
    let detail = errors::<Unit>(json!("C"), Source::Json, "body");
    let expected = json!([{"type":"enum","loc":["body"],"msg":"Input should be 'A' or 'B'","input":"C","ctx":{"expected":"'A' or 'B'"}}]);
    assert_eq!(detail, expected);
}

#[test]
fn sets_deduplicate_before_measuring() {
    let ok_set = ok::<Scalars>(json!({"set": ["a", "b", "a"]}), Source::Json);
    assert_eq!(ok_set, json!({"set": ["a", "b", "a"]}));
    let short = err_ctx(
        "too_short",
        "Set should have at least 2 items after validation, not 1",
        json!(["a", "a"]),
        json!({"field_type": "Set", "min_length": 2, "actual_length": 1}),
    );
    assert_eq!(one("set", json!(["a", "a"])), short);
    let set_type = err("set_type", "Input should be a valid set", json!("a"));
    assert_eq!(one("set", json!("a")), set_type);
}
