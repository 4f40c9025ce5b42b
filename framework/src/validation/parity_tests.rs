//! Scenario tests against what FastAPI 0.165 / pydantic 2.13 answer.
//!
//! Each expected `detail` list below was produced by the real FastAPI with the
//! equivalent pydantic model, then pasted here; the Rust side derives
//! `schemars::JsonSchema` on the struct a handler would take.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::validation::{FieldInfo, LocItem, Shape, Source};

fn five() -> i64 {
    5
}

/// FastAPI's `ItemCreate`.
#[derive(Debug, Deserialize, JsonSchema)]
#[allow(dead_code)]
pub(crate) struct ItemCreate {
    #[schemars(length(min = 1, max = 100))]
    name: String,
    #[schemars(length(max = 500))]
    description: Option<String>,
    #[schemars(range(max = 1_000_000), extend("exclusiveMinimum" = 0))]
    price: f64,
    #[schemars(range(min = 0))]
    tax: Option<f64>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default = "five")]
    #[schemars(range(min = 0))]
    stock: i64,
}

pub(crate) fn errors<T: JsonSchema + 'static>(value: Value, source: Source, loc: &str) -> Value {
    let detail = Shape::of::<T>()
        .conform(value, source, &[loc.into()])
        .expect_err("should fail");
    serde_json::to_value(detail).unwrap()
}

pub(crate) fn ok<T: JsonSchema + 'static>(value: Value, source: Source) -> Value {
    Shape::of::<T>()
        .conform(value, source, &["body".into()])
        .expect("should pass")
}

#[test]
fn item_create_reports_every_error_at_once() {
    let got = errors::<ItemCreate>(
        json!({"name": "", "price": -5, "tags": "x", "stock": "a"}),
        Source::Json,
        "body",
    );
    let fastapi = json!([
        {"type":"string_too_short","loc":["body","name"],"msg":"String should have at least 1 character","input":"","ctx":{"min_length":1}},
        {"type":"greater_than","loc":["body","price"],"msg":"Input should be greater than 0","input":-5,"ctx":{"gt":0.0}},
        {"type":"list_type","loc":["body","tags"],"msg":"Input should be a valid list","input":"x"},
        {"type":"int_parsing","loc":["body","stock"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"a"}
    ]);
    assert_eq!(got, fastapi);
}

#[test]
fn item_create_bounds_and_fractions() {
    let body = json!({"name":"x","price":2e6,"tax":-1,"description":null,"stock":5.5});
    let fastapi = json!([
        {"type":"less_than_equal","loc":["body","price"],"msg":"Input should be less than or equal to 1000000","input":2000000.0,"ctx":{"le":1000000.0}},
        {"type":"greater_than_equal","loc":["body","tax"],"msg":"Input should be greater than or equal to 0","input":-1,"ctx":{"ge":0.0}},
        {"type":"int_from_float","loc":["body","stock"],"msg":"Input should be a valid integer, got a number with a fractional part","input":5.5}
    ]);
    assert_eq!(errors::<ItemCreate>(body, Source::Json, "body"), fastapi);
}

#[test]
fn missing_fields_show_the_whole_object_and_non_objects_fail_as_models() {
    let fastapi = json!([
        {"type":"missing","loc":["body","name"],"msg":"Field required","input":{}},
        {"type":"missing","loc":["body","price"],"msg":"Field required","input":{}}
    ]);
    assert_eq!(
        errors::<ItemCreate>(json!({}), Source::Json, "body"),
        fastapi
    );
    for input in [json!([1]), json!(null)] {
        let fastapi = json!([{"type":"model_attributes_type","loc":["body"],
            "msg":"Input should be a valid dictionary or object to extract fields from","input":input}]);
        assert_eq!(errors::<ItemCreate>(input, Source::Json, "body"), fastapi);
    }
}

#[test]
fn defaults_are_filled_and_coercions_applied() {
    let out = ok::<ItemCreate>(
        json!({"name":"Pen","price":"1.5","stock":"7"}),
        Source::Json,
    );
    assert_eq!(out, json!({"name":"Pen","price":1.5,"stock":7,"tags":[]}));
    let item: ItemCreate = serde_json::from_value(out).unwrap();
    assert_eq!((item.stock, item.price), (7, 1.5));
    let out = ok::<ItemCreate>(json!({"name":"Pen","price":2}), Source::Json);
    assert_eq!(out["stock"], json!(5));
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct UserCreate {
    #[schemars(length(min = 3, max = 50))]
    username: String,
    #[schemars(email)]
    email: String,
    full_name: Option<String>,
    #[schemars(length(min = 8))]
    password: String,
}

#[test]
fn user_create_matches_fastapi() {
    let body = json!({"username":"ab","email":"nope","password":"short"});
    let fastapi = json!([
        {"type":"string_too_short","loc":["body","username"],"msg":"String should have at least 3 characters","input":"ab","ctx":{"min_length":3}},
        {"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: An email address must have an @-sign.","input":"nope","ctx":{"reason":"An email address must have an @-sign."}},
        {"type":"string_too_short","loc":["body","password"],"msg":"String should have at least 8 characters","input":"short","ctx":{"min_length":8}}
    ]);
    assert_eq!(errors::<UserCreate>(body, Source::Json, "body"), fastapi);
}

fn ten() -> i64 {
    10
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct ListItems {
    #[serde(default)]
    #[schemars(range(min = 0))]
    skip: i64,
    #[serde(default = "ten")]
    #[schemars(range(min = 1, max = 100))]
    limit: i64,
    search: Option<String>,
    in_stock: Option<bool>,
}

#[test]
fn query_parameters_coerce_from_text() {
    let query = json!({"limit":"0","skip":"x","in_stock":"maybe"});
    let fastapi = json!([
        {"type":"int_parsing","loc":["query","skip"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},
        {"type":"greater_than_equal","loc":["query","limit"],"msg":"Input should be greater than or equal to 1","input":"0","ctx":{"ge":1}},
        {"type":"bool_parsing","loc":["query","in_stock"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"}
    ]);
    assert_eq!(errors::<ListItems>(query, Source::Text, "query"), fastapi);
    for (text, flag) in [
        ("yes", true),
        ("on", true),
        ("1", true),
        ("off", false),
        ("No", false),
    ] {
        let out = ok::<ListItems>(json!({"in_stock": text, "limit": "20"}), Source::Text);
        assert_eq!(
            out,
            json!({"in_stock": flag, "limit": 20, "skip": 0}),
            "{text}"
        );
    }
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct TagQuery {
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    ids: Vec<i64>,
    req: String,
    n: i64,
}

#[test]
fn repeated_query_keys_and_missing_parameters() {
    let shape = Shape::of::<TagQuery>();
    let fields = shape.object_fields().unwrap();
    let field = |name: &str, is_array, required| FieldInfo {
        name: name.into(),
        is_array,
        required,
        is_file: false,
    };
    assert_eq!(
        fields,
        [
            field("tags", true, false),
            field("ids", true, false),
            field("req", false, true),
            field("n", false, true)
        ]
    );

    let query = json!({"tags": "a", "ids": ["1", "x", "2.5"], "req": "r", "n": "1.0"});
    let detail = shape
        .conform(query, Source::Text, &["query".into()])
        .unwrap_err();
    let fastapi = json!([
        {"type":"int_parsing","loc":["query","ids",1],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},
        {"type":"int_parsing","loc":["query","ids",2],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"2.5"}
    ]);
    assert_eq!(serde_json::to_value(detail).unwrap(), fastapi);
    let out = shape
        .conform(
            json!({"tags": "a", "req": "r", "n": "1.0"}),
            Source::Text,
            &[],
        )
        .unwrap();
    assert_eq!(out, json!({"tags": ["a"], "req": "r", "n": 1, "ids": []}));

    let detail = shape
        .conform_params(json!({}), Source::Text, &["query".into()])
        .unwrap_err();
    let fastapi = json!([
        {"type":"missing","loc":["query","req"],"msg":"Field required","input":null},
        {"type":"missing","loc":["query","n"],"msg":"Field required","input":null}
    ]);
    assert_eq!(serde_json::to_value(detail).unwrap(), fastapi);
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum ModelName {
    Alexnet,
    Resnet,
    Lenet,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct ModelPath {
    model_name: ModelName,
    #[schemars(extend("exclusiveMinimum" = 0))]
    item_id: Option<i64>,
}

#[test]
fn path_parameters_enum_and_gt() {
    let fastapi = json!([
        {"type":"enum","loc":["path","model_name"],"msg":"Input should be 'alexnet', 'resnet' or 'lenet'","input":"foo","ctx":{"expected":"'alexnet', 'resnet' or 'lenet'"}},
        {"type":"greater_than","loc":["path","item_id"],"msg":"Input should be greater than 0","input":"0","ctx":{"gt":0}}
    ]);
    assert_eq!(
        errors::<ModelPath>(
            json!({"model_name":"foo","item_id":"0"}),
            Source::Text,
            "path"
        ),
        fastapi
    );
    assert_eq!(
        ok::<ModelPath>(json!({"model_name":"resnet"}), Source::Text),
        json!({"model_name":"resnet"})
    );
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Inner {
    a: i32,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Outer {
    inner: Option<Inner>,
    req: Inner,
    #[serde(default)]
    inners: Vec<Inner>,
    #[serde(default)]
    m: HashMap<String, i64>,
    #[serde(default)]
    x: i64,
    #[serde(default)]
    f: f64,
    when: Option<chrono::DateTime<chrono::Utc>>,
    d: Option<chrono::NaiveDate>,
}

#[test]
fn nested_structs_lists_maps_and_extras() {
    let body =
        json!({"req":5,"inner":"x","inners":[5,{"a":"1"},{}],"m":[1],"x":true,"f":true,"zz":1});
    let fastapi = json!([
        {"type":"model_attributes_type","loc":["body","inner"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"x"},
        {"type":"model_attributes_type","loc":["body","req"],"msg":"Input should be a valid dictionary or object to extract fields from","input":5},
        {"type":"model_attributes_type","loc":["body","inners",0],"msg":"Input should be a valid dictionary or object to extract fields from","input":5},
        {"type":"missing","loc":["body","inners",2,"a"],"msg":"Field required","input":{}},
        {"type":"dict_type","loc":["body","m"],"msg":"Input should be a valid dictionary","input":[1]},
        {"type":"extra_forbidden","loc":["body","zz"],"msg":"Extra inputs are not permitted","input":1}
    ]);
    assert_eq!(errors::<Outer>(body, Source::Json, "body"), fastapi);
    let body = json!({"req":{"a":1},"m":{"k":"x","j":1.5}});
    let fastapi = json!([
        {"type":"int_parsing","loc":["body","m","k"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},
        {"type":"int_from_float","loc":["body","m","j"],"msg":"Input should be a valid integer, got a number with a fractional part","input":1.5}
    ]);
    assert_eq!(errors::<Outer>(body, Source::Json, "body"), fastapi);
}

#[test]
fn dates_and_datetimes_match_fastapi_and_feed_chrono() {
    let body = json!({"req":{"a":1},"when":"2024-01-01T10:00:00+25:00","d":"2024-01-01T25:00:00"});
    let fastapi = json!([
        {"type":"datetime_from_date_parsing","loc":["body","when"],"msg":"Input should be a valid datetime or date, unexpected extra characters at the end of the input","input":"2024-01-01T10:00:00+25:00","ctx":{"error":"unexpected extra characters at the end of the input"}},
        {"type":"date_from_datetime_parsing","loc":["body","d"],"msg":"Input should be a valid date or datetime, hour value is outside expected range of 0-23","input":"2024-01-01T25:00:00","ctx":{"error":"hour value is outside expected range of 0-23"}}
    ]);
    assert_eq!(errors::<Outer>(body, Source::Json, "body"), fastapi);
    let out = ok::<Outer>(
        json!({"req":{"a":"1"},"when":"2024-01-01 10:00","d":"2024-01-01T00:00:00"}),
        Source::Json,
    );
    let outer: Outer = serde_json::from_value(out).unwrap();
    assert_eq!(
        outer.when.unwrap().to_rfc3339(),
        "2024-01-01T10:00:00+00:00"
    );
    assert_eq!(outer.d.unwrap().to_string(), "2024-01-01");
    assert_eq!(outer.req.a, 1);
}

#[test]
fn shapes_are_cached_recursive_and_shareable() {
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Tree {
        children: Vec<Tree>,
        next: Option<Box<Tree>>,
    }
    fn shareable<T: Send + Sync>(_: &T) {}
    let shape = Shape::of::<Tree>();
    shareable(shape);
    assert!(std::ptr::eq(shape, Shape::of::<Tree>()));
    let detail = shape
        .conform(
            json!({"children":[{"children":[{"children":5}]}]}),
            Source::Json,
            &[],
        )
        .unwrap_err();
    let loc: Vec<LocItem> = vec![
        "children".into(),
        0.into(),
        "children".into(),
        0.into(),
        "children".into(),
    ];
    assert_eq!(
        (detail[0].kind.as_ref(), &detail[0].loc),
        ("list_type", &loc)
    );
}

#[test]
fn conform_reuses_the_input_tree_and_is_fast() {
    let shape = Shape::of::<ItemCreate>();
    let body = json!({"name":"Pen","description":"Blue ink","price":1.5,"tax":0.2,"tags":["office","ink"],"stock":3});
    let name_ptr = body["name"].as_str().unwrap().as_ptr();
    let tags_ptr = body["tags"].as_array().unwrap().as_ptr();
    let out = shape.conform(body, Source::Json, &["body".into()]).unwrap();
    // Valid input is returned in place: no string or array was copied.
    assert!(std::ptr::eq(
        out["name"].as_str().unwrap().as_ptr(),
        name_ptr
    ));
    assert!(std::ptr::eq(
        out["tags"].as_array().unwrap().as_ptr(),
        tags_ptr
    ));

    let start = std::time::Instant::now();
    let mut value = out;
    for _ in 0..20_000 {
        value = shape.conform(value, Source::Json, &[]).unwrap();
    }
    let elapsed = start.elapsed();
    assert!(elapsed.as_secs() < 2, "20k conforms took {elapsed:?}");
}
