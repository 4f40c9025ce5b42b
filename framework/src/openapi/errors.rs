//! What the framework adds to each operation's responses: the statuses and
//! parameters dependencies bring, the validation error, and error body schemas.

use std::collections::{BTreeMap, HashSet};

use apistos::reference_or::ReferenceOr;
use serde_json::{Map, Value, json};

use crate::{ErrorFormat, routing::RouteDef};

/// Adds what the route's dependencies (its own and its routers') bring: parameters and
/// security of router-level ones (apistos documents the handler's own), and the
/// error statuses of all. Parameters read by several dependencies appear once.
pub(super) fn document_dependencies(
    op: &mut apistos::paths::Operation,
    route: &RouteDef,
    schemes: &mut BTreeMap<String, ReferenceOr<apistos::security::SecurityScheme>>,
) {
    let mut statuses = route.deps.statuses.clone();
    for guard in &route.guards {
        op.parameters
            .extend(guard.parameters.iter().cloned().map(ReferenceOr::Object));
        for (name, scheme) in &guard.securities {
            schemes.insert(name.clone(), ReferenceOr::Object(scheme.clone()));
        }
        if let Some(name) = &guard.security_name {
            let present = op
                .security
                .iter()
                .any(|r| r.requirements.contains_key(name));
            if !present {
                let mut requirement = apistos::security::SecurityRequirement::default();
                requirement.requirements.insert(name.clone(), Vec::new());
                op.security.push(requirement);
            }
        }
        statuses.extend(&guard.docs.statuses);
    }
    let mut seen = HashSet::new();
    op.parameters.retain(|p| match p {
        ReferenceOr::Object(p) => seen.insert((p.name.clone(), format!("{:?}", p._in))),
        ReferenceOr::Reference { .. } => true,
    });
    for status in statuses {
        let reason = actix_web::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| {
                ReferenceOr::Object(apistos::paths::Response {
                    description: reason.to_owned(),
                    ..Default::default()
                })
            });
    }
}

/// Adds the validation error response and error body schemas to every operation.
pub(super) fn document_errors(doc: &mut Value, format: ErrorFormat) {
    let (validation_status, validation_ref, error_ref, media) = match format {
        ErrorFormat::FastApi => (
            "422",
            "#/components/schemas/HTTPValidationError",
            "#/components/schemas/HTTPError",
            "application/json",
        ),
        ErrorFormat::ProblemJson => (
            "400",
            "#/components/schemas/ValidationProblem",
            "#/components/schemas/Problem",
            "application/problem+json",
        ),
    };
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                let reads_input = op
                    .get("parameters")
                    .is_some_and(|p| p.as_array().is_some_and(|a| !a.is_empty()))
                    || op.contains_key("requestBody");
                let multipart = op
                    .get("requestBody")
                    .and_then(|b| b.get("content"))
                    .is_some_and(|c| c.get("multipart/form-data").is_some());
                let responses = op
                    .entry("responses")
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .expect("responses is an object");
                if reads_input {
                    responses.insert(
                        validation_status.to_owned(),
                        json!({
                            "description": "Validation Error",
                            "content": {media: {"schema": {"$ref": validation_ref}}}
                        }),
                    );
                }
                if multipart {
                    // A malformed body, a part over its limit.
                    for (status, description) in
                        [("400", "Bad Request"), ("413", "Content Too Large")]
                    {
                        responses
                            .entry(status)
                            .or_insert_with(|| json!({"description": description}));
                    }
                }
                for (status, response) in responses.iter_mut() {
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if is_error && response.get("content").is_none() {
                        response["content"] = json!({media: {"schema": {"$ref": error_ref}}});
                    }
                }
            }
        }
    }
    let components = doc
        .as_object_mut()
        .expect("document is an object")
        .entry("components")
        .or_insert_with(|| json!({}));
    let schemas = components
        .as_object_mut()
        .expect("components is an object")
        .entry("schemas")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("schemas is an object");
    schemas.extend(error_schemas());
}

fn error_schemas() -> Map<String, Value> {
    let validation_error = json!({
        "title": "ValidationError",
        "type": "object",
        "required": ["loc", "msg", "type"],
        "properties": {
            "loc": {"title": "Location", "type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"title": "Message", "type": "string"},
            "type": {"title": "Error Type", "type": "string"},
            "input": {"title": "Input"},
            "ctx": {"title": "Context", "type": "object"}
        }
    });
    let problem = json!({
        "title": "Problem",
        "description": "RFC 9457 problem details.",
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {}
        }
    });
    let mut validation_problem = problem.clone();
    validation_problem["title"] = json!("ValidationProblem");
    validation_problem["properties"]["errors"] =
        json!({"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}});
    let mut map = Map::new();
    map.insert("ValidationError".into(), validation_error);
    map.insert(
        "HTTPValidationError".into(),
        json!({
            "title": "HTTPValidationError",
            "type": "object",
            "properties": {"detail": {"title": "Detail", "type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}}
        }),
    );
    map.insert(
        "HTTPError".into(),
        json!({
            "title": "HTTPError",
            "description": "An error raised with `HttpError`: `detail` says what went wrong.",
            "type": "object",
            "required": ["detail"],
            "properties": {"detail": {"title": "Detail"}}
        }),
    );
    map.insert("Problem".into(), problem);
    map.insert("ValidationProblem".into(), validation_problem);
    map
}
