//! JSON Schemas of Rust types, as OpenAPI components.
//!
//! Bodies (`Json<T>`, `Created<T>`) are documented from `T: JsonSchema` directly, so
//! any serialisable type with a schema works as a body or response (including
//! `serde_json::Value`, `String`, `Vec<T>`), not only types deriving `ApiComponent`.

use std::collections::BTreeMap;

use apistos::{
    ApistosSchema, OpenApiVersion, VersionSpecificSchema,
    paths::{MediaType, Response, Responses},
    reference_or::ReferenceOr,
};
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

/// A documented JSON response whose body is `T`, referred to by its components
/// name: for the `error_responses` of an error type that answers with a body of its
/// own (register `T` with [`schema_of`] in its `schemas_by_status_code`).
///
/// ```
/// use std::collections::BTreeMap;
///
/// use apiarist::{HttpError, openapi::schema::{json_response, schema_of, set_response}};
/// use apistos::{ApiErrorComponent, ApistosSchema, OpenApiVersion, paths::Response, reference_or::ReferenceOr};
/// use schemars::JsonSchema;
///
/// #[derive(JsonSchema)]
/// struct OutOfStock { detail: String, available: i64 }
///
/// struct OrderError;
///
/// impl ApiErrorComponent for OrderError {
///     fn schemas_by_status_code(v: OpenApiVersion) -> BTreeMap<String, (String, ReferenceOr<ApistosSchema>)> {
///         BTreeMap::from([("409".to_owned(), schema_of::<OutOfStock>(v))])
///     }
///
///     fn error_responses(v: OpenApiVersion) -> Vec<(String, Response)> {
///         let mut responses = HttpError::error_responses(v);
///         set_response(&mut responses, 409, json_response::<OutOfStock>("Not enough stock", v));
///         responses
///     }
/// }
///
/// let responses = OrderError::error_responses(OpenApiVersion::OAS3_1);
/// let conflict = responses.iter().filter(|(status, _)| status == "409").collect::<Vec<_>>();
/// assert_eq!(conflict.len(), 1);
/// assert_eq!(conflict[0].1.description, "Not enough stock");
/// ```
pub fn json_response<T: JsonSchema>(description: &str, v: OpenApiVersion) -> Response {
    let reference = format!("#/components/schemas/{}", T::schema_name());
    let schema = ApistosSchema::new(schemars::json_schema!({ "$ref": reference }), v);
    Response {
        description: description.to_owned(),
        content: media_content(v, "application/json", ReferenceOr::Object(schema)),
        ..Default::default()
    }
}

/// A response body of `media` type with `schema`, in the form `v` wants.
pub(crate) fn media_content(
    v: OpenApiVersion,
    media: &str,
    schema: ReferenceOr<ApistosSchema>,
) -> BTreeMap<String, MediaType> {
    let schema = match (v, schema) {
        (OpenApiVersion::OAS3_1, ReferenceOr::Object(obj)) => VersionSpecificSchema::OAS3_1(obj),
        (_, schema) => VersionSpecificSchema::OAS3_0(schema),
    };
    BTreeMap::from([(
        media.to_owned(),
        MediaType {
            schema: Some(schema),
            ..Default::default()
        },
    )])
}

/// An inline schema from its JSON (a `{"type": "string"}`).
pub(crate) fn inline(v: OpenApiVersion, schema: serde_json::Value) -> ReferenceOr<ApistosSchema> {
    ReferenceOr::Object(ApistosSchema::new(schema.try_into().unwrap_or_default(), v))
}

/// The documented responses of a route answering `200` with a `media` body.
pub(crate) fn ok_response(
    v: OpenApiVersion,
    media: &str,
    schema: ReferenceOr<ApistosSchema>,
    description: String,
) -> Responses {
    Responses {
        responses: BTreeMap::from([(
            "200".to_owned(),
            ReferenceOr::Object(Response {
                description,
                content: media_content(v, media, schema),
                ..Default::default()
            }),
        )]),
        ..Default::default()
    }
}

/// Puts `response` at `status` among `responses`, replacing what was documented
/// there (see [`json_response`]).
pub fn set_response(responses: &mut Vec<(String, Response)>, status: u16, response: Response) {
    let status = status.to_string();
    responses.retain(|(documented, _)| *documented != status);
    responses.push((status, response));
}
