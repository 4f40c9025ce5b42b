//! Which types may skip conforming: [`Shape::types_suffice`].

use schemars::JsonSchema;

use super::Shape;

#[derive(JsonSchema)]
#[allow(dead_code)]
enum Model {
    Alexnet,
    Resnet,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Plain {
    name: String,
    #[serde(default)]
    page: u32,
    offset: i64,
    ratio: Option<f64>,
    flag: Option<bool>,
    model: Model,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Bounded {
    #[schemars(range(min = 1))]
    limit: i64,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Short {
    #[schemars(length(max = 3))]
    code: String,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Listed {
    tag: Vec<String>,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Email {
    #[schemars(email)]
    to: String,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Nested {
    inner: Plain,
}

#[test]
fn flat_scalars_without_constraints_suffice() {
    assert!(Shape::of::<Plain>().types_suffice());
}

#[test]
fn constraints_lists_formats_and_nesting_need_the_schema() {
    assert!(!Shape::of::<Bounded>().types_suffice());
    assert!(!Shape::of::<Short>().types_suffice());
    assert!(!Shape::of::<Listed>().types_suffice());
    assert!(!Shape::of::<Email>().types_suffice());
    assert!(!Shape::of::<Nested>().types_suffice());
    assert!(!Shape::of::<String>().types_suffice(), "not an object");
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Widths {
    a: u8,
    b: i16,
    c: u64,
    d: i32,
    e: Option<i64>,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Percent {
    #[schemars(range(max = 100))]
    p: u8,
}

#[test]
fn integer_types_own_ranges_are_no_constraint() {
    assert!(Shape::of::<Widths>().types_suffice());
    assert!(!Shape::of::<Percent>().types_suffice());
}
