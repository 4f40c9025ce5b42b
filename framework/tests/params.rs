//! Query and path parameters of types that say everything about themselves take a
//! shortcut (straight deserialisation); these tests pin that the answers are the
//! ones the full pipeline gives: coercions, custom checks and error wording.

use apiarist::{prelude::*, testing::TestClient};
use serde_json::{Value, json};
use validator::ValidationError;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Model {
    Alexnet,
    Resnet,
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Search {
    #[serde(default = "anyone")]
    #[validate(custom(function = "not_root"))]
    name: String,
    #[serde(default)]
    page: u32,
    exact: Option<bool>,
}

fn anyone() -> String {
    "anyone".to_owned()
}

fn not_root(name: &str) -> Result<(), ValidationError> {
    if name == "root" {
        return Err(ValidationError::new("reserved").with_message("root is reserved".into()));
    }
    Ok(())
}

/// Search.
#[api_operation(summary = "Search")]
async fn search(q: Query<Search>) -> Json<Value> {
    Json(json!({"name": q.name, "page": q.page, "exact": q.exact}))
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct ModelPath {
    model: Model,
    version: u8,
}

/// Model.
#[api_operation(summary = "Model")]
async fn model(p: Path<ModelPath>) -> Json<Value> {
    Json(json!({"model": p.model, "version": p.version}))
}

async fn client() -> TestClient {
    TestClient::new(
        App::new("params").include(
            Router::new()
                .get("/search", search)
                .get("/models/{model}/{version}", model),
        ),
    )
    .await
}

async fn get(client: &TestClient, uri: &str) -> (u16, Value) {
    let res = client.get(uri).send().await;
    (res.status(), res.json())
}

#[actix_web::test]
async fn plain_query_values_and_defaults() {
    let client = client().await;
    assert_eq!(
        get(&client, "/search?name=Ada%20L&page=2&exact=true&other=x").await,
        (200, json!({"name": "Ada L", "page": 2, "exact": true}))
    );
    assert_eq!(
        get(&client, "/search").await,
        (200, json!({"name": "anyone", "page": 0, "exact": null}))
    );
}

#[actix_web::test]
async fn lax_values_are_still_coerced() {
    let client = client().await;
    // `yes` is no Rust bool; the full pipeline coerces it as FastAPI does, and a
    // repeated key takes its last value.
    assert_eq!(
        get(&client, "/search?exact=yes&page=1&page=3").await,
        (200, json!({"name": "anyone", "page": 3, "exact": true}))
    );
}

#[actix_web::test]
async fn custom_checks_and_type_errors_are_422s() {
    let client = client().await;
    let (status, body) = get(&client, "/search?name=root").await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["query", "name"]));
    assert_eq!(body["detail"][0]["msg"], json!("root is reserved"));
    let (status, body) = get(&client, "/search?page=-1&exact=maybe").await;
    assert_eq!(status, 422);
    let types: Vec<&str> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["greater_than_equal", "bool_parsing"], "{body}");
}

#[actix_web::test]
async fn path_parameters_take_the_same_road() {
    let client = client().await;
    assert_eq!(
        get(&client, "/models/resnet/3").await,
        (200, json!({"model": "resnet", "version": 3}))
    );
    let (status, body) = get(&client, "/models/vgg/300").await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["type"], json!("enum"));
    assert_eq!(body["detail"][0]["loc"], json!(["path", "model"]));
    assert_eq!(body["detail"][1]["loc"], json!(["path", "version"]));
}
