use serde_json::{Value, json};

use super::{asyncapi, openapi};

fn info() -> Value {
    json!({"title": "stack", "version": "1.0.0"})
}

fn returning(schema: &str) -> Value {
    json!({"responses": {"200": {"description": "OK", "content": {"application/json": {
        "schema": {"$ref": format!("#/components/schemas/{schema}")}}}}}})
}

fn error_schema() -> Value {
    json!({"type": "object", "properties": {"detail": {"type": "string"}}})
}

/// A document with `GET path` returning `Item` (a list of `Item` at `path/all`),
/// where `Item` has one string field called `field`.
fn service_doc(path: &str, field: &str) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "a service", "version": "0.1.0"},
        "paths": {
            path: {"get": returning("Item")},
            format!("{path}/all"): {"get": returning("ItemList")},
        },
        "components": {"schemas": {
            "Item": {"type": "object", "properties": {field: {"type": "string"}}},
            "ItemList": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            "HTTPError": error_schema(),
        }}
    })
}

fn response_ref(doc: &Value, path: &str) -> Value {
    doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        .clone()
}

#[test]
fn identical_definitions_are_shared_under_their_name() {
    let merged = openapi(
        info(),
        vec![
            ("items".into(), service_doc("/items", "name")),
            ("users".into(), service_doc("/users", "name")),
        ],
    );
    let schemas = merged["components"]["schemas"].as_object().unwrap();
    let names: Vec<&str> = schemas.keys().map(String::as_str).collect();
    assert_eq!(names, ["HTTPError", "Item", "ItemList"]);
    assert_eq!(response_ref(&merged, "/users"), "#/components/schemas/Item");
    assert_eq!(merged["info"], info());
    assert_eq!(merged["openapi"], "3.1.0");
}

#[test]
fn different_definitions_under_one_name_are_renamed_per_service_with_their_refs() {
    let merged = openapi(
        info(),
        vec![
            ("items".into(), service_doc("/items", "name")),
            ("users".into(), service_doc("/users", "login")),
        ],
    );
    let schemas = merged["components"]["schemas"].as_object().unwrap();
    let names: Vec<&str> = schemas.keys().map(String::as_str).collect();
    // `ItemList` is the same text in both, but points at two different `Item`s
    // once those are renamed: it is renamed too. `HTTPError` stays shared.
    assert_eq!(
        names,
        [
            "HTTPError",
            "items.Item",
            "items.ItemList",
            "users.Item",
            "users.ItemList"
        ]
    );
    assert!(schemas["users.Item"]["properties"]["login"].is_object());
    assert!(schemas["items.Item"]["properties"]["name"].is_object());
    assert_eq!(
        response_ref(&merged, "/users"),
        "#/components/schemas/users.Item"
    );
    assert_eq!(
        response_ref(&merged, "/items/all"),
        "#/components/schemas/items.ItemList"
    );
    assert_eq!(
        schemas["users.ItemList"]["items"]["$ref"],
        "#/components/schemas/users.Item"
    );
}

#[test]
fn the_result_does_not_depend_on_the_order_of_the_services() {
    let a = ("items".to_owned(), service_doc("/items", "name"));
    let b = ("users".to_owned(), service_doc("/users", "login"));
    let ab = openapi(info(), vec![a.clone(), b.clone()]);
    let ba = openapi(info(), vec![b, a]);
    assert_eq!(ab["components"], ba["components"]);
}

#[test]
fn renamed_security_schemes_are_renamed_in_the_requirements_too() {
    let doc = |token_url: &str| {
        json!({
            "openapi": "3.1.0",
            "security": [{"OAuth2": []}],
            "paths": {format!("{token_url}/x"): {
                "get": {"responses": {}},
                "post": {"responses": {}, "security": []},
            }},
            "components": {"securitySchemes": {"OAuth2": {
                "type": "oauth2",
                "flows": {"password": {"tokenUrl": token_url, "scopes": {}}}
            }}}
        })
    };
    let merged = openapi(
        info(),
        vec![("a".into(), doc("/a")), ("b".into(), doc("/b"))],
    );
    let schemes = merged["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.contains_key("a.OAuth2") && schemes.contains_key("b.OAuth2"));
    assert_eq!(
        merged["paths"]["/b/x"]["get"]["security"],
        json!([{"b.OAuth2": []}]),
        "the document-wide requirement moved onto the operation, renamed"
    );
    assert_eq!(
        merged["paths"]["/b/x"]["post"]["security"],
        json!([]),
        "an operation that opted out stays so"
    );
    assert!(merged.get("security").is_none());
}

#[test]
fn operations_are_tagged_and_grouped_per_service() {
    let users = json!({
        "paths": {
            "/token": {"post": {"tags": ["auth"], "responses": {}}},
            "/users/": {"get": {"tags": ["users"], "responses": {}},
                        "parameters": []},
        },
        "tags": [{"name": "users", "description": "Accounts"}]
    });
    let items = json!({"paths": {"/items/": {"get": {"responses": {}}}}});
    let merged = openapi(
        info(),
        vec![("users".into(), users), ("items".into(), items)],
    );
    assert_eq!(merged["paths"]["/items/"]["get"]["tags"], json!(["items"]));
    assert_eq!(
        merged["x-tagGroups"],
        json!([
            {"name": "users", "tags": ["auth", "users"]},
            {"name": "items", "tags": ["items"]},
        ])
    );
    assert_eq!(
        merged["tags"],
        json!([
            {"name": "users", "description": "Accounts"},
            {"name": "auth"},
            {"name": "items"},
        ])
    );
    let paths: Vec<&String> = merged["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        ["/token", "/users/", "/items/"],
        "the services' order"
    );
}

#[test]
fn a_path_two_services_document_keeps_the_first() {
    let doc = |summary: &str| json!({"paths": {"/x": {"get": {"summary": summary}}}});
    let merged = openapi(
        info(),
        vec![("a".into(), doc("first")), ("b".into(), doc("second"))],
    );
    assert_eq!(merged["paths"]["/x"]["get"]["summary"], "first");
}

#[test]
fn pointer_special_characters_in_names_are_escaped_in_refs() {
    let doc = |kind: &str| {
        json!({
            "paths": {"/p": {"get": returning("a~b/c")}},
            "components": {"schemas": {"a~b/c": {"type": kind}}}
        })
    };
    // `returning` does not escape: write the escaped ref by hand.
    let fix = |mut d: Value| {
        d["paths"]["/p"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] =
            json!("#/components/schemas/a~0b~1c");
        d
    };
    let merged = openapi(
        info(),
        vec![
            ("s".into(), fix(doc("string"))),
            (
                "t".into(),
                json!({"components": {"schemas": {"a~b/c": {"type": "integer"}}}}),
            ),
        ],
    );
    assert_eq!(
        response_ref(&merged, "/p"),
        "#/components/schemas/s.a~0b~1c"
    );
    assert!(merged["components"]["schemas"]["s.a~b/c"].is_object());
}

fn jobs_doc(payload: &str) -> Value {
    json!({
        "asyncapi": "3.0.0",
        "defaultContentType": "application/json",
        "channels": {"confirm": {
            "address": "confirm",
            "messages": {"Confirm": {"$ref": "#/components/messages/Confirm"}}
        }},
        "operations": {"handle.confirm": {
            "action": "receive",
            "channel": {"$ref": "#/channels/confirm"},
            "messages": [{"$ref": "#/channels/confirm/messages/Confirm"}]
        }},
        "components": {
            "messages": {"Confirm": {"payload": {"$ref": "#/components/schemas/Confirm"}}},
            "schemas": {
                "Confirm": {"type": payload},
                "JobHeaders": {"type": "object"}
            }
        }
    })
}

#[test]
fn asyncapi_documents_merge_the_same_way() {
    let merged = asyncapi(
        info(),
        vec![
            ("orders".into(), jobs_doc("object")),
            ("billing".into(), jobs_doc("string")),
        ],
    );
    assert_eq!(merged["asyncapi"], "3.0.0");
    assert_eq!(merged["defaultContentType"], "application/json");
    let channels: Vec<&String> = merged["channels"].as_object().unwrap().keys().collect();
    assert_eq!(channels, ["billing.confirm", "orders.confirm"]);
    let op = &merged["operations"]["billing.handle.confirm"];
    assert_eq!(op["channel"]["$ref"], "#/channels/billing.confirm");
    assert_eq!(
        op["messages"][0]["$ref"],
        "#/channels/billing.confirm/messages/Confirm"
    );
    assert_eq!(
        merged["components"]["messages"]["billing.Confirm"]["payload"]["$ref"],
        "#/components/schemas/billing.Confirm"
    );
    assert!(
        merged["components"]["schemas"]["JobHeaders"].is_object(),
        "identical: shared"
    );
}

#[test]
fn one_asyncapi_document_passes_through() {
    let merged = asyncapi(info(), vec![("orders".into(), jobs_doc("object"))]);
    let alone = jobs_doc("object");
    assert_eq!(merged["channels"], alone["channels"]);
    assert_eq!(merged["operations"], alone["operations"]);
    assert_eq!(merged["components"], alone["components"]);
}

#[test]
fn no_documents_make_an_empty_document() {
    let merged = asyncapi(info(), vec![]);
    assert_eq!(merged["channels"], json!({}));
    let merged = openapi(info(), vec![]);
    assert_eq!(merged["paths"], json!({}));
}
