//! The items service over HTTP, in-process: the seed articles' tests first, then one
//! test per behaviour of the contract. Expected bodies are what FastAPI answers for
//! the same requests.

mod common;

use apiarist::{
    db::testing::TestDatabase,
    testing::{TestClient, TestResponse},
};
use serde_json::{Value, json};

/// A client of the items app on a fresh database: PostgreSQL when `DATABASE_URL`
/// is set (as in CI), a SQLite file otherwise. (`tests/storage.rs` runs on both.)
struct Client {
    client: TestClient,
    _db: TestDatabase,
}

impl std::ops::Deref for Client {
    type Target = TestClient;
    fn deref(&self) -> &TestClient {
        &self.client
    }
}

async fn client() -> Client {
    let test_db = TestDatabase::postgres_from_env().unwrap_or_else(TestDatabase::sqlite);
    let db = test_db.connect::<items::Migrator>().await;
    Client {
        client: TestClient::new(common::app(db)).await,
        _db: test_db,
    }
}

async fn create(client: &TestClient, body: Value) -> TestResponse {
    client.post("/items/").json(&body).send().await
}

// ---- the seed's tests --------------------------------------------------------

#[actix_web::test]
async fn test_read_root() {
    let res = client().await.get("/").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({"message": "Hello World"}));
}

#[actix_web::test]
async fn test_create_item() {
    let res = create(
        &*client().await,
        json!({"name": "Test Widget", "price": 9.99}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let data: Value = res.json();
    assert_eq!(data["name"], "Test Widget");
    assert!(data["id"].is_i64());
}

#[actix_web::test]
async fn test_create_item_invalid() {
    let res = create(&*client().await, json!({"name": "", "price": -5})).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            {"type": "string_too_short", "loc": ["body", "name"], "msg": "String should have at least 1 character", "input": "", "ctx": {"min_length": 1}},
            {"type": "greater_than", "loc": ["body", "price"], "msg": "Input should be greater than 0", "input": -5, "ctx": {"gt": 0.0}}
        ]})
    );
}

#[actix_web::test]
async fn test_get_nonexistent_item() {
    let res = client().await.get("/items/99999").send().await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Item with id 99999 not found"})
    );
    assert_eq!(res.header("x-error"), Some("Item not found"));
}

// ---- hello and models --------------------------------------------------------

#[actix_web::test]
async fn hello_greets_by_name_or_the_world() {
    let client = client().await;
    let res = client.get("/hello?name=Ada").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (200, json!({"message": "Hello, Ada!"}))
    );
    let res = client.get("/hello").send().await;
    assert_eq!(res.json::<Value>(), json!({"message": "Hello, world!"}));
}

#[actix_web::test]
async fn model_names_are_restricted_to_the_enum() {
    let client = client().await;
    let res = client.get("/models/resnet").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (200, json!({"model_name": "resnet"}))
    );
    let res = client.get("/models/vgg").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{
            "type": "enum", "loc": ["path", "model_name"],
            "msg": "Input should be 'alexnet', 'resnet' or 'lenet'", "input": "vgg",
            "ctx": {"expected": "'alexnet', 'resnet' or 'lenet'"}
        }]})
    );
}

// ---- creating items ----------------------------------------------------------

#[actix_web::test]
async fn created_item_has_exactly_the_response_fields() {
    let res = create(
        &*client().await,
        json!({"name": "Lamp", "description": "bright", "price": 10.0, "tax": 2.5, "tags": ["home"], "stock": 0}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let item: Value = res.json();
    let mut keys: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "description",
            "id",
            "in_stock",
            "name",
            "price",
            "price_with_tax",
            "stock",
            "tags"
        ]
    );
    assert_eq!(item["price_with_tax"], 12.5);
    assert_eq!(item["in_stock"], false);
    assert_eq!(item["tags"], json!(["home"]));
    assert!(chrono::DateTime::parse_from_rfc3339(item["created_at"].as_str().unwrap()).is_ok());
}

#[actix_web::test]
async fn defaults_apply_and_tax_is_optional() {
    let item: Value = create(&*client().await, json!({"name": "Pen", "price": 1.5}))
        .await
        .json();
    assert_eq!(item["price_with_tax"], Value::Null);
    assert_eq!(item["description"], Value::Null);
    assert_eq!(item["tags"], json!([]));
    assert_eq!(
        (item["stock"].clone(), item["in_stock"].clone()),
        (json!(5), json!(true))
    );
}

#[actix_web::test]
async fn every_body_error_is_reported_at_once() {
    let res = create(
        &*client().await,
        json!({"name": "x", "price": "abc", "tags": "t", "stock": 1.5}),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            {"type": "float_parsing", "loc": ["body", "price"], "msg": "Input should be a valid number, unable to parse string as a number", "input": "abc"},
            {"type": "list_type", "loc": ["body", "tags"], "msg": "Input should be a valid list", "input": "t"},
            {"type": "int_from_float", "loc": ["body", "stock"], "msg": "Input should be a valid integer, got a number with a fractional part", "input": 1.5}
        ]})
    );
}

#[actix_web::test]
async fn missing_fields_and_bounds() {
    let res = create(
        &*client().await,
        json!({"description": "d".repeat(501), "price": 2_000_000, "tax": -1}),
    )
    .await;
    assert_eq!(res.status(), 422);
    let detail: Value = res.json::<Value>()["detail"].clone();
    let kinds: Vec<(&str, Value)> = detail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["loc"].clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("missing", json!(["body", "name"])),
            ("string_too_long", json!(["body", "description"])),
            ("less_than_equal", json!(["body", "price"])),
            ("greater_than_equal", json!(["body", "tax"])),
        ]
    );
}

#[actix_web::test]
async fn malformed_bodies_are_422_not_400() {
    let client = client().await;
    let res = client
        .post("/items/")
        .header("content-type", "application/json")
        .body("{\"name\":\"x\",")
        .send()
        .await;
    assert_eq!(res.status(), 422);
    let error = &res.json::<Value>()["detail"][0];
    assert_eq!(
        (error["type"].clone(), error["loc"][0].clone()),
        (json!("json_invalid"), json!("body"))
    );
    assert_eq!(error["msg"], "JSON decode error");
    assert!(
        error["loc"][1].is_u64(),
        "loc carries the position: {error}"
    );

    let res = client
        .post("/items/")
        .header("content-type", "text/plain")
        .body(r#"{"name":"x","price":1}"#)
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": "{\"name\":\"x\",\"price\":1}"}]})
    );

    let res = client.post("/items/").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}]})
    );

    let res = create(&client, json!([1])).await;
    assert_eq!(
        res.json::<Value>()["detail"][0]["type"],
        "model_attributes_type"
    );
}

// ---- reading items -----------------------------------------------------------

#[actix_web::test]
async fn item_ids_are_validated() {
    let client = client().await;
    let res = client.get("/items/0").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "greater_than", "loc": ["path", "item_id"], "msg": "Input should be greater than 0", "input": "0", "ctx": {"gt": 0}}]})
    );
    let res = client.get("/items/abc").send().await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "int_parsing", "loc": ["path", "item_id"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "abc"}]})
    );
}

#[actix_web::test]
async fn read_returns_the_created_item() {
    let client = client().await;
    let created: Value = create(&client, json!({"name": "Mug", "price": 4.0}))
        .await
        .json();
    let res = client
        .get(&format!("/items/{}", created["id"]))
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), created);
}

#[actix_web::test]
async fn list_filters_and_pages() {
    let client = client().await;
    for (name, stock) in [("Red Widget", 1), ("Blue widget", 0), ("Gadget", 3)] {
        create(&client, json!({"name": name, "price": 1.0, "stock": stock})).await;
    }
    let names = |res: TestResponse| -> Vec<String> {
        res.json::<Vec<Value>>()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(client.get("/items/").send().await),
        ["Red Widget", "Blue widget", "Gadget"]
    );
    assert_eq!(
        names(client.get("/items/?search=WIDGET").send().await),
        ["Red Widget", "Blue widget"]
    );
    assert_eq!(
        names(client.get("/items/?in_stock=yes").send().await),
        ["Red Widget", "Gadget"]
    );
    assert_eq!(
        names(client.get("/items/?in_stock=OFF").send().await),
        ["Blue widget"]
    );
    assert_eq!(
        names(client.get("/items/?skip=1&limit=1").send().await),
        ["Blue widget"]
    );
    assert_eq!(
        names(client.get("/items?limit=2").send().await),
        ["Red Widget", "Blue widget"]
    );
}

#[actix_web::test]
async fn list_query_errors_are_all_reported() {
    let res = client()
        .await
        .get("/items/?limit=0&skip=x&in_stock=maybe")
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            {"type": "int_parsing", "loc": ["query", "skip"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
            {"type": "greater_than_equal", "loc": ["query", "limit"], "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1}},
            {"type": "bool_parsing", "loc": ["query", "in_stock"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"}
        ]})
    );
}

// ---- the rest of the HTTP contract -------------------------------------------

#[actix_web::test]
async fn unknown_routes_and_methods_answer_json() {
    let client = client().await;
    let res = client.get("/nope").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (404, json!({"detail": "Not Found"}))
    );
    let res = client.delete("/items/1").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (405, json!({"detail": "Method Not Allowed"}))
    );
    assert_eq!(res.header("allow"), Some("GET"));
}

#[actix_web::test]
async fn health_and_request_ids() {
    let client = client().await;
    let res = client
        .get("/healthz")
        .header("x-request-id", "abc-123")
        .send()
        .await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (200, json!({"status": "ok"}))
    );
    assert_eq!(res.header("x-request-id"), Some("abc-123"));
    let res = client.get("/healthz").send().await;
    let fresh = res.header("x-request-id").unwrap();
    assert!(
        fresh.len() == 16 && fresh.bytes().all(|b| b.is_ascii_hexdigit()),
        "{fresh}"
    );
}
