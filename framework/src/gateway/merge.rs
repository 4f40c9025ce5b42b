//! Merging the API documents of several services into one, without collisions.
//!
//! Each service documents itself; a client of the stack wants one document. Paths
//! do not collide (each path belongs to one service), but named definitions do:
//! every apiarist service defines `HTTPError`, and two services may well both call
//! something `Item` and mean different things. The rule here:
//!
//! - a name defined identically by several services is **shared**: one definition;
//! - a name defined **differently** is renamed in every service that defines it,
//!   to `<service>.<name>`, and that service's references (`$ref`, discriminator
//!   mappings, security requirements) follow. No service keeps the bare name, so
//!   the result does not depend on the order of the services, and nothing is
//!   silently overwritten.
//!
//! Renaming can make two definitions that were equal differ (both point at `Item`,
//! now at `items.Item` and `users.Item`), so it repeats until nothing conflicts.
//!
//! [`openapi`] merges OpenAPI 3 documents (paths, components, tags grouped per
//! service with `x-tagGroups`); [`asyncapi`] merges AsyncAPI 3 documents (channels,
//! operations, components).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// The named maps of an OpenAPI document, referenced as `#/<path>/<name>`.
const OPENAPI_SECTIONS: &[&[&str]] = &[
    &["components", "schemas"],
    &["components", "responses"],
    &["components", "parameters"],
    &["components", "examples"],
    &["components", "requestBodies"],
    &["components", "headers"],
    &["components", "securitySchemes"],
    &["components", "links"],
    &["components", "callbacks"],
    &["components", "pathItems"],
    &["webhooks"],
];

/// The named maps of an AsyncAPI 3 document.
const ASYNCAPI_SECTIONS: &[&[&str]] = &[
    &["servers"],
    &["channels"],
    &["operations"],
    &["components", "schemas"],
    &["components", "servers"],
    &["components", "channels"],
    &["components", "operations"],
    &["components", "messages"],
    &["components", "securitySchemes"],
    &["components", "serverVariables"],
    &["components", "parameters"],
    &["components", "correlationIds"],
    &["components", "replies"],
    &["components", "replyAddresses"],
    &["components", "externalDocs"],
    &["components", "tags"],
    &["components", "operationTraits"],
    &["components", "messageTraits"],
    &["components", "serverBindings"],
    &["components", "channelBindings"],
    &["components", "operationBindings"],
    &["components", "messageBindings"],
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Merges OpenAPI 3 documents, one per service (`(service name, document)`, in the
/// order their paths should appear), under `info`.
///
/// Paths are taken as they are (the first service wins a path two define, with a
/// warning in the log); an operation without tags is tagged with its service's
/// name; `x-tagGroups` lists each service's tags; components are merged as the
/// [module docs](self) say.
///
/// ```
/// use serde_json::json;
/// use apiarist::gateway::merge;
///
/// let item = |field: &str| json!({"type": "object", "properties": {field: {"type": "string"}}});
/// let doc = |path: &str, field: &str| json!({
///     "openapi": "3.1.0",
///     "paths": {path: {"get": {"responses": {"200": {"content": {"application/json": {
///         "schema": {"$ref": "#/components/schemas/Item"}}}}}}}},
///     "components": {"schemas": {"Item": item(field), "HTTPError": {"type": "object"}}}
/// });
/// let merged = merge::openapi(
///     json!({"title": "stack", "version": "1"}),
///     vec![("items".into(), doc("/items", "name")), ("users".into(), doc("/users", "login"))],
/// );
/// let schemas = &merged["components"]["schemas"];
/// assert!(schemas["HTTPError"].is_object(), "identical: shared");
/// assert_eq!(schemas["items.Item"], item("name"), "different: renamed");
/// assert_eq!(
///     merged["paths"]["/users"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
///     "#/components/schemas/users.Item"
/// );
/// assert_eq!(merged["paths"]["/users"]["get"]["tags"], json!(["users"]));
/// ```
pub fn openapi(info: Value, documents: Vec<(String, Value)>) -> Value {
    let mut documents = documents;
    for (_, doc) in &mut documents {
        push_down_security(doc);
    }
    resolve_conflicts(&mut documents, OPENAPI_SECTIONS);
    let version = documents
        .iter()
        .find_map(|(_, d)| d.get("openapi").cloned())
        .unwrap_or_else(|| json!("3.1.0"));
    let mut paths = Map::new();
    let mut declared: Vec<Value> = Vec::new();
    let mut groups = Vec::new();
    for (service, doc) in &documents {
        let mut used: Vec<String> = Vec::new();
        for (path, item) in doc
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if paths.contains_key(path) {
                tracing::warn!(%service, %path, "path documented by two services; the first one's is kept");
                continue;
            }
            let mut item = item.clone();
            tag_operations(&mut item, service, &mut used);
            paths.insert(path.clone(), item);
        }
        for tag in doc
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = tag.get("name");
            if name.is_some() && !declared.iter().any(|t| t.get("name") == name) {
                declared.push(tag.clone());
            }
        }
        if !used.is_empty() {
            groups.push(json!({"name": service, "tags": used}));
        }
    }
    for group in &groups {
        for tag in group["tags"].as_array().into_iter().flatten() {
            if !declared.iter().any(|t| t.get("name") == Some(tag)) {
                declared.push(json!({"name": tag}));
            }
        }
    }
    let mut merged = json!({"openapi": version, "info": info, "paths": paths});
    merge_sections(&documents, OPENAPI_SECTIONS, &mut merged);
    if !declared.is_empty() {
        merged["tags"] = Value::Array(declared);
        merged["x-tagGroups"] = Value::Array(groups);
    }
    merged
}

/// Merges AsyncAPI 3 documents, one per service, under `info`: channels,
/// operations and components, renamed on conflict as the [module docs](self) say.
///
/// ```
/// use serde_json::json;
/// use apiarist::gateway::merge;
///
/// let doc = |payload: &str| json!({
///     "asyncapi": "3.0.0",
///     "channels": {"jobs": {"address": "jobs", "messages": {"Job": {"$ref": "#/components/messages/Job"}}}},
///     "operations": {"handle": {"action": "receive", "channel": {"$ref": "#/channels/jobs"}}},
///     "components": {"messages": {"Job": {"payload": {"type": payload}}}}
/// });
/// let merged = merge::asyncapi(
///     json!({"title": "stack", "version": "1"}),
///     vec![("orders".into(), doc("object")), ("billing".into(), doc("string"))],
/// );
/// assert!(merged["channels"]["orders.jobs"].is_object());
/// assert_eq!(merged["operations"]["billing.handle"]["channel"]["$ref"], "#/channels/billing.jobs");
/// ```
pub fn asyncapi(info: Value, documents: Vec<(String, Value)>) -> Value {
    let mut documents = documents;
    resolve_conflicts(&mut documents, ASYNCAPI_SECTIONS);
    let version = documents
        .iter()
        .find_map(|(_, d)| d.get("asyncapi").cloned())
        .unwrap_or_else(|| json!("3.0.0"));
    let mut merged = json!({"asyncapi": version, "info": info, "channels": {}, "operations": {}});
    let content_types: Vec<&Value> = documents
        .iter()
        .filter_map(|(_, d)| d.get("defaultContentType"))
        .collect();
    if let Some(first) = content_types.first()
        && content_types.iter().all(|t| t == first)
    {
        merged["defaultContentType"] = (*first).clone();
    }
    merge_sections(&documents, ASYNCAPI_SECTIONS, &mut merged);
    merged
}

/// Renames, in every document, the names that documents define differently,
/// until no name is defined differently twice.
fn resolve_conflicts(documents: &mut [(String, Value)], sections: &[&[&str]]) {
    // Each round renames to `<service>.<name>`, which only that service defines
    // (barring a service that already uses such a name): a few rounds suffice.
    for _ in 0..16 {
        let mut renames: Vec<Vec<(usize, String)>> = vec![Vec::new(); documents.len()];
        for (s, path) in sections.iter().enumerate() {
            let mut by_name: BTreeMap<&str, Vec<(usize, &Value)>> = BTreeMap::new();
            for (i, (_, doc)) in documents.iter().enumerate() {
                for (name, definition) in section(doc, path).into_iter().flatten() {
                    by_name.entry(name).or_default().push((i, definition));
                }
            }
            for (name, definitions) in by_name {
                let first = definitions[0].1;
                if definitions.iter().any(|(_, d)| *d != first) {
                    for (i, _) in definitions {
                        renames[i].push((s, name.to_owned()));
                    }
                }
            }
        }
        if renames.iter().all(Vec::is_empty) {
            return;
        }
        for ((service, doc), renames) in documents.iter_mut().zip(renames) {
            for (s, old) in renames {
                let new = format!("{service}.{old}");
                tracing::debug!(%service, from = %old, to = %new, "renamed a conflicting definition");
                rename(doc, sections[s], &old, &new);
            }
        }
    }
    tracing::warn!("definitions still conflict after 16 rounds of renaming");
}

fn section<'a>(doc: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    path.iter()
        .try_fold(doc, |value, key| value.get(key))?
        .as_object()
}

fn section_mut<'a>(doc: &'a mut Value, path: &[&str]) -> Option<&'a mut Map<String, Value>> {
    path.iter()
        .try_fold(doc, |value, key| value.get_mut(key))?
        .as_object_mut()
}

/// Renames `old` to `new` in the section at `path`, and every reference to it.
fn rename(doc: &mut Value, path: &[&str], old: &str, new: &str) {
    let Some(map) = section_mut(doc, path) else {
        return;
    };
    let Some(definition) = map.remove(old) else {
        return;
    };
    map.insert(new.to_owned(), definition);
    let base = format!("#/{}", path.join("/"));
    let old_ref = format!("{base}/{}", escape(old));
    let new_ref = format!("{base}/{}", escape(new));
    retarget_refs(doc, &old_ref, &new_ref);
    if path == ["components", "securitySchemes"] {
        rename_security_requirements(doc, old, new);
    }
}

/// A JSON pointer token: `~` is `~0`, `/` is `~1`.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Points `$ref`s (and discriminator mappings) at `old`, or inside it, to `new`.
fn retarget_refs(value: &mut Value, old: &str, new: &str) {
    let retarget = |target: &mut String| {
        if let Some(rest) = target.strip_prefix(old)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            *target = format!("{new}{rest}");
        }
    };
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => retarget(target),
                    ("mapping", Value::Object(mapping)) => {
                        for target in mapping.values_mut() {
                            if let Value::String(target) = target {
                                retarget(target);
                            }
                        }
                    }
                    (_, child) => retarget_refs(child, old, new),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| retarget_refs(v, old, new)),
        _ => {}
    }
}

/// Security requirements name schemes by key, not by `$ref`: rename those keys
/// (at the top level and in every operation).
fn rename_security_requirements(doc: &mut Value, old: &str, new: &str) {
    let rename_in = |security: Option<&mut Value>| {
        for requirement in security.and_then(Value::as_array_mut).into_iter().flatten() {
            if let Some(map) = requirement.as_object_mut()
                && let Some(scopes) = map.remove(old)
            {
                map.insert(new.to_owned(), scopes);
            }
        }
    };
    rename_in(doc.get_mut("security"));
    for operation in operations_mut(doc) {
        rename_in(operation.get_mut("security"));
    }
}

fn operations_mut(doc: &mut Value) -> impl Iterator<Item = &mut Value> {
    doc.get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| {
            item.iter_mut()
                .filter(|(method, _)| METHODS.contains(&method.as_str()))
                .map(|(_, operation)| operation)
        })
}

/// A document-wide `security` applies to that service's operations only: copy it
/// onto each operation that does not say otherwise, and drop it.
fn push_down_security(doc: &mut Value) {
    let Some(security) = doc.as_object_mut().and_then(|d| d.remove("security")) else {
        return;
    };
    for operation in operations_mut(doc) {
        if let Some(operation) = operation.as_object_mut() {
            operation
                .entry("security")
                .or_insert_with(|| security.clone());
        }
    }
}

/// Tags the untagged operations of a path item with `service`, and records the
/// tags it uses (in order of first use).
fn tag_operations(item: &mut Value, service: &str, used: &mut Vec<String>) {
    let Some(item) = item.as_object_mut() else {
        return;
    };
    for (method, operation) in item.iter_mut() {
        if !METHODS.contains(&method.as_str()) {
            continue;
        }
        let Some(operation) = operation.as_object_mut() else {
            continue;
        };
        let tags = operation.entry("tags").or_insert_with(|| json!([service]));
        if tags.as_array().is_none_or(Vec::is_empty) {
            *tags = json!([service]);
        }
        for tag in tags.as_array().into_iter().flatten() {
            if let Some(tag) = tag.as_str()
                && !used.iter().any(|u| u == tag)
            {
                used.push(tag.to_owned());
            }
        }
    }
}

/// Unions each section over the (conflict-free) documents, names sorted.
fn merge_sections(documents: &[(String, Value)], sections: &[&[&str]], merged: &mut Value) {
    for path in sections {
        let mut union: BTreeMap<&str, &Value> = BTreeMap::new();
        for (_, doc) in documents {
            for (name, definition) in section(doc, path).into_iter().flatten() {
                union.entry(name).or_insert(definition);
            }
        }
        if union.is_empty() {
            continue;
        }
        let mut target = &mut *merged;
        for key in &path[..path.len() - 1] {
            target = target
                .as_object_mut()
                .expect("sections are nested in objects")
                .entry(*key)
                .or_insert_with(|| json!({}));
        }
        let map: Map<String, Value> = union
            .into_iter()
            .map(|(name, definition)| (name.to_owned(), definition.clone()))
            .collect();
        target[path[path.len() - 1]] = Value::Object(map);
    }
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
