//! JSON Schemas of Rust types, as OpenAPI components.
//!
//! Bodies (`Json<T>`, `Created<T>`) are documented from `T: JsonSchema` directly, so
//! any serialisable type with a schema works as a body or response (including
//! `serde_json::Value`, `String`, `Vec<T>`), not only types deriving `ApiComponent`.

use apistos::{ApistosSchema, OpenApiVersion, reference_or::ReferenceOr};
use schemars::JsonSchema;

/// `T`'s own schema, named as its components entry.
pub fn schema_of<T: JsonSchema>(v: OpenApiVersion) -> (String, ReferenceOr<ApistosSchema>) {
    let mut generator = v.get_schema_settings().into_generator();
    let mut schema = generator.root_schema_for::<T>();
    if let Some(obj) = schema.as_object_mut() {
        obj.remove("components");
        obj.remove("$defs");
    }
    (
        T::schema_name().into_owned(),
        ReferenceOr::Object(ApistosSchema::new(schema, v)),
    )
}

/// The schemas `T` refers to (its `$ref` targets), to be placed in `components`.
pub fn children_of<T: JsonSchema>(v: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
    let mut generator = v.get_schema_settings().into_generator();
    let schema = generator.root_schema_for::<T>();
    let definitions = schema
        .as_object()
        .and_then(|o| o.get("components").or_else(|| o.get("$defs")))
        .and_then(|c| c.get("schemas").or(Some(c)))
        .and_then(|s| s.as_object())
        .cloned()
        .unwrap_or_default();
    definitions
        .into_iter()
        .filter_map(|(name, def)| {
            let schema = apistos::Schema::try_from(def).ok()?;
            Some((name, ReferenceOr::Object(ApistosSchema::new(schema, v))))
        })
        .collect()
}
