//! Typed responses: the return type of a handler is its response model and status.
//!
//! `Json<T>` answers 200, [`Created<T>`] 201 and [`NoContent`] 204. Only what `T`
//! serialises leaves the service: return a response type (e.g. `ItemResponse`) built
//! from your stored row, and internal fields cannot leak. Each type documents its
//! status and body schema in OpenAPI.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, Responder, body::BoxBody, http::StatusCode};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion, VersionSpecificSchema,
    paths::{MediaType, Response, Responses},
    reference_or::ReferenceOr,
};
use schemars::JsonSchema;
use serde::Serialize;

use crate::{
    extract::json_response,
    openapi::schema::{children_of, schema_of},
};

/// `201 Created` with `T` as the JSON body.
///
/// ```
/// use apiarist::prelude::*;
///
/// #[derive(Debug, Serialize, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct Note { text: String }
///
/// /// Create a note.
/// #[api_operation(summary = "Create note")]
/// async fn create(note: Json<Note>) -> Created<Note> {
///     Created(note.into_inner())
/// }
/// # let _ = Router::new().post("/notes", create);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created<T>(pub T);

impl<T: Serialize> Responder for Created<T> {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        json_response(StatusCode::CREATED, &self.0)
    }
}

/// `204 No Content`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoContent;

impl Responder for NoContent {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        HttpResponse::NoContent().finish()
    }
}

/// A response with `status` whose body has `T`'s schema.
pub(crate) fn documented_response<T: JsonSchema>(
    v: OpenApiVersion,
    status: StatusCode,
    description: Option<String>,
) -> Responses {
    let schema = Some(match (v, schema_of::<T>(v).1) {
        (OpenApiVersion::OAS3_1, ReferenceOr::Object(obj)) => VersionSpecificSchema::OAS3_1(obj),
        (_, schema) => VersionSpecificSchema::OAS3_0(schema),
    });
    let content = schema
        .map(|schema| {
            BTreeMap::from([(
                "application/json".to_owned(),
                MediaType {
                    schema: Some(schema),
                    ..Default::default()
                },
            )])
        })
        .unwrap_or_default();
    Responses {
        responses: BTreeMap::from([(
            status.as_str().to_owned(),
            ReferenceOr::Object(Response {
                description: description
                    .unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_owned()),
                content,
                ..Default::default()
            }),
        )]),
        ..Default::default()
    }
}

impl<T: JsonSchema> ApiComponent for Created<T> {
    fn child_schemas(v: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        children_of::<T>(v)
    }
    fn schema(v: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        Some(schema_of::<T>(v))
    }
    fn responses(
        v: OpenApiVersion,
        _content_type: Option<String>,
        description: Option<String>,
    ) -> Option<Responses> {
        Some(documented_response::<T>(
            v,
            StatusCode::CREATED,
            description,
        ))
    }
}

impl ApiComponent for NoContent {
    fn child_schemas(_: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        Vec::new()
    }
    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }
    fn responses(
        _: OpenApiVersion,
        _content_type: Option<String>,
        description: Option<String>,
    ) -> Option<Responses> {
        Some(Responses {
            responses: BTreeMap::from([(
                "204".to_owned(),
                ReferenceOr::Object(Response {
                    description: description.unwrap_or_else(|| "No Content".to_owned()),
                    ..Default::default()
                }),
            )]),
            ..Default::default()
        })
    }
}
