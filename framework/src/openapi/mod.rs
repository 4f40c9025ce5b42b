//! The OpenAPI 3.1 document, assembled from the declared routes.
//!
//! apistos' `#[api_operation]` produces one operation per handler from its signature
//! (extractors → parameters and request body, return type → responses, error type →
//! error responses) and doc comment. This module puts those operations under their
//! full paths and then adds what only the framework knows:
//!
//! - every operation that reads input documents the validation error (422, or 400 with
//!   problem details) with its body schema, because every extractor can return it;
//! - every error response gets a body schema (`HTTPError` / problem details), so a
//!   client or a contract tester knows exactly what a 404 looks like;
//! - operation ids default to the handler's name (deduplicated), tags come from the
//!   routers, and path parameters are named from the path template.
//!
//! Two components with the same name but different schemas are a startup error rather
//! than a silent overwrite.

mod errors;
pub mod schema;
pub mod ui;

use std::collections::{BTreeMap, HashSet};

use apistos::{
    ApistosSchema, OpenApi, OpenApiVersion,
    info::Info,
    paths::{OperationType, Parameter, ParameterDefinition, ParameterIn, PathItem, Paths},
    reference_or::ReferenceOr,
};
use serde_json::{Value, json};

use crate::{
    ErrorFormat,
    routing::{RouteDef, operation_type},
};

/// Title, version and description of a service's API document.
#[derive(Debug, Clone)]
pub struct ApiInfo {
    /// The API's title (`info.title`).
    pub title: String,
    /// The API's version (`info.version`).
    pub version: String,
    /// Optional longer description (CommonMark).
    pub description: Option<String>,
}

/// Builds the complete document for `routes`.
///
/// # Panics
/// When two routes define different schemas under the same component name: the
/// message names the component, so the conflict is fixed before the service starts.
pub(crate) fn build_document(info: &ApiInfo, routes: &[RouteDef], format: ErrorFormat) -> Value {
    let mut paths: apistos::IndexMap<String, PathItem> = apistos::IndexMap::new();
    let mut schemas: BTreeMap<String, ReferenceOr<ApistosSchema>> = BTreeMap::new();
    let mut operation_ids: HashSet<String> = HashSet::new();
    let mut security_schemes = BTreeMap::new();

    for route in routes {
        let (Some(op), Some(op_type)) = (&route.operation, operation_type(&route.method)) else {
            continue;
        };
        let mut op = op.clone();
        let doc_path = template_path(&route.path);

        let mut tags = route.tags.clone();
        tags.append(&mut op.tags);
        tags.dedup();
        op.tags = tags;

        let base_id = op
            .operation_id
            .take()
            .unwrap_or_else(|| route.handler_name.to_owned());
        op.operation_id = Some(unique_id(&mut operation_ids, base_id, op_type, &doc_path));

        name_path_parameters(&mut op.parameters, &doc_path);
        errors::document_dependencies(&mut op, route, &mut security_schemes);

        for component in &route.components {
            for (name, schema) in &component.schemas {
                merge_schema(&mut schemas, name, schema, &route.path);
            }
            for (name, scheme) in &component.security_schemes {
                security_schemes.insert(name.clone(), scheme.clone());
            }
        }
        paths
            .entry(doc_path)
            .or_default()
            .operations
            .insert(op_type, op);
    }

    let spec = OpenApi {
        openapi: OpenApiVersion::OAS3_1,
        info: Info {
            title: info.title.clone(),
            version: info.version.clone(),
            description: info.description.clone(),
            ..Default::default()
        },
        paths: Paths {
            paths,
            ..Default::default()
        },
        components: Some(apistos::components::Components {
            schemas,
            security_schemes,
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut doc = serde_json::to_value(&spec)
        .unwrap_or_else(|e| panic!("OpenAPI document does not serialise: {e}"));
    errors::document_errors(&mut doc, format);
    tidy(&mut doc);
    doc
}

/// Cosmetics the generators leave behind: `$schema` inside embedded schemas, leading
/// blank lines of doc-comment descriptions, and empty response descriptions (which
/// OpenAPI requires to be meaningful).
fn tidy(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("$schema");
            if let Some(Value::String(d)) = map.get_mut("description") {
                let trimmed = d.trim();
                if trimmed.len() != d.len() {
                    *d = trimmed.to_owned();
                }
            }
            if map
                .get("servers")
                .is_some_and(|s| s.as_array().is_some_and(Vec::is_empty))
            {
                map.remove("servers");
            }
            if let Some(Value::Object(responses)) = map.get_mut("responses") {
                for (status, response) in responses.iter_mut() {
                    if response.get("description").is_some_and(|d| d == "") {
                        response["description"] = json!(if status.starts_with('2') {
                            "Successful Response"
                        } else {
                            "Error"
                        });
                    }
                }
            }
            map.values_mut().for_each(tidy);
        }
        Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}

/// `/items/{item_id:\d+}` -> `/items/{item_id}`.
fn template_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    let mut skipping = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push(c);
            }
            '}' if in_param => {
                in_param = false;
                skipping = false;
                out.push(c);
            }
            ':' if in_param => skipping = true,
            _ if skipping => {}
            _ => out.push(c),
        }
    }
    out
}

fn path_params(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split('}').next())
        .collect()
}

/// Every `{name}` of the template is documented as a required path parameter; an
/// extractor that already documents it keeps its schema.
fn name_path_parameters(params: &mut Vec<ReferenceOr<Parameter>>, path: &str) {
    for name in path_params(path) {
        let documented = params.iter().any(
            |p| matches!(p, ReferenceOr::Object(p) if p.name == name && p._in == ParameterIn::Path),
        );
        if !documented {
            params.push(ReferenceOr::Object(Parameter {
                name: name.to_owned(),
                _in: ParameterIn::Path,
                required: Some(true),
                definition: Some(ParameterDefinition::Schema(ReferenceOr::Object(
                    ApistosSchema::new(
                        json!({"type": "string"}).try_into().unwrap_or_default(),
                        OpenApiVersion::OAS3_1,
                    ),
                ))),
                ..Default::default()
            }));
        }
    }
    for p in params.iter_mut() {
        if let ReferenceOr::Object(p) = p
            && p._in == ParameterIn::Path
        {
            p.required = Some(true);
        }
    }
}

fn unique_id(
    seen: &mut HashSet<String>,
    base: String,
    op_type: OperationType,
    path: &str,
) -> String {
    if seen.insert(base.clone()) {
        return base;
    }
    let slug: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let candidate = format!("{base}{slug}_{}", format!("{op_type:?}").to_lowercase());
    let mut id = candidate.clone();
    let mut n = 2;
    while !seen.insert(id.clone()) {
        id = format!("{candidate}_{n}");
        n += 1;
    }
    id
}

fn merge_schema(
    schemas: &mut BTreeMap<String, ReferenceOr<ApistosSchema>>,
    name: &str,
    schema: &ReferenceOr<ApistosSchema>,
    route: &str,
) {
    match schemas.get(name) {
        None => {
            schemas.insert(name.to_owned(), schema.clone());
        }
        Some(existing) => {
            let same = serde_json::to_value(existing).ok() == serde_json::to_value(schema).ok();
            assert!(
                same,
                "two different types are documented as the OpenAPI component `{name}` (seen again on route {route}); \
                 rename one of them (#[schemars(rename = \"...\")])"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_strip_regexes() {
        assert_eq!(
            template_path("/items/{item_id:\\d+}/x"),
            "/items/{item_id}/x"
        );
        assert_eq!(path_params("/a/{x}/b/{y}"), vec!["x", "y"]);
    }

    #[test]
    fn ids_are_unique() {
        let mut seen = HashSet::new();
        assert_eq!(
            unique_id(&mut seen, "get".into(), OperationType::Get, "/a"),
            "get"
        );
        assert_eq!(
            unique_id(&mut seen, "get".into(), OperationType::Get, "/b"),
            "get_b_get"
        );
    }
}
