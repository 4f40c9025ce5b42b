//! Framework behaviour through the TestClient: every extractor, the error contract
//! (FastAPI and problem details), exception handlers, panics, routers, mounts, docs.

use actix_web::{HttpResponse, ResponseError};
use apiarist::{ErrorFormat, prelude::*, testing::TestClient};
use serde_json::{Value, json};

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Tags {
    #[serde(default)]
    tag: Vec<String>,
    #[serde(default)]
    flag: bool,
}

/// Echo tags.
#[api_operation(summary = "Echo tags")]
async fn echo_tags(q: Query<Tags>) -> Json<Value> {
    Json(json!({"tag": q.tag, "flag": q.flag}))
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct TokenHeaders {
    #[validate(length(min = 3))]
    x_token: String,
    user_agent: Option<String>,
}

/// Read headers.
#[api_operation(summary = "Headers")]
async fn headers(h: Header<TokenHeaders>) -> Json<Value> {
    Json(json!({"x_token": h.x_token, "has_agent": h.user_agent.is_some()}))
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Session {
    session_id: String,
}

/// Read a cookie.
#[api_operation(summary = "Cookie")]
async fn cookie(c: Cookie<Session>) -> Json<String> {
    Json(c.session_id.clone())
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Login {
    #[validate(length(min = 1))]
    username: String,
    password: String,
    #[serde(default)]
    scope: Vec<String>,
}

/// Form login.
#[api_operation(summary = "Login")]
async fn login(f: Form<Login>) -> Json<Value> {
    Json(json!({"username": f.username, "scopes": f.scope, "len": f.password.len()}))
}

#[derive(Debug, Serialize, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Line {
    #[validate(length(min = 1))]
    sku: String,
    #[validate(range(min = 1))]
    qty: i64,
}

#[derive(Debug, Serialize, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Order {
    #[validate(email)]
    email: String,
    #[validate(nested)]
    lines: Vec<Line>,
}

/// Place an order.
#[api_operation(summary = "Order")]
async fn order(o: Json<Order>) -> Created<Order> {
    Created(o.into_inner())
}

#[derive(Debug, thiserror::Error, apistos::ApiErrorComponent)]
#[error("only {available} left")]
#[openapi_error(status(code = 409, description = "Not enough stock"))]
struct OutOfStock {
    available: u32,
}
impl ResponseError for OutOfStock {}

/// Always out of stock.
#[api_operation(summary = "Buy")]
async fn buy() -> Result<Json<()>, OutOfStock> {
    Err(OutOfStock { available: 3 })
}

/// Always fails.
#[api_operation(summary = "Teapot", error_code = 404)]
async fn missing() -> Result<Json<()>, HttpError> {
    Err(HttpError::not_found("nothing here"))
}

/// Panics.
#[api_operation(summary = "Boom")]
async fn boom() -> Json<()> {
    panic!("boom")
}

/// Nothing to say.
#[api_operation(summary = "Empty")]
async fn empty() -> NoContent {
    NoContent
}

fn app() -> App {
    App::new("test")
        .include(
            Router::new()
                .get("/tags", echo_tags)
                .get("/headers", headers)
                .get("/cookie", cookie)
                .post("/login", login)
                .post("/orders", order)
                .post("/buy", buy)
                .get("/missing", missing)
                .get("/boom", boom)
                .delete("/empty", empty),
        )
        .exception_handler(|e: &OutOfStock| {
            HttpResponse::Conflict()
                .json(json!({"error": "insufficient_stock", "detail": e.to_string()}))
        })
}

async fn client() -> TestClient {
    TestClient::new(app()).await
}

#[actix_web::test]
async fn repeated_query_keys_fill_lists_and_bools_parse() {
    let res = client().await.get("/tags?tag=a&tag=b&flag=On").send().await;
    assert_eq!(
        res.json::<Value>(),
        json!({"tag": ["a", "b"], "flag": true})
    );
}

#[actix_web::test]
async fn headers_are_read_by_hyphenated_name_and_located_so() {
    let client = client().await;
    let res = client
        .get("/headers")
        .header("X-Token", "secret")
        .send()
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"x_token": "secret", "has_agent": false})
    );
    let res = client.get("/headers").header("x-token", "ab").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>()["detail"][0]["loc"],
        json!(["header", "x-token"])
    );
    let res = client.get("/headers").send().await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "missing", "loc": ["header", "x-token"], "msg": "Field required", "input": null}]})
    );
}

#[actix_web::test]
async fn cookies_are_validated() {
    let client = client().await;
    let res = client
        .get("/cookie")
        .cookie("session_id", "s1")
        .send()
        .await;
    assert_eq!((res.status(), res.json::<Value>()), (200, json!("s1")));
    let res = client.get("/cookie").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>()["detail"][0]["loc"],
        json!(["cookie", "session_id"])
    );
}

#[actix_web::test]
async fn forms_are_read_and_validated() {
    let client = client().await;
    let res = client
        .post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=ada&password=pw&scope=a&scope=b")
        .send()
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"username": "ada", "scopes": ["a", "b"], "len": 2})
    );
    let res = client
        .post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=ada")
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "missing", "loc": ["body", "password"], "msg": "Field required", "input": null}]})
    );
}

#[actix_web::test]
async fn nested_and_list_item_errors_have_full_locations() {
    let res = client()
        .await
        .post("/orders")
        .json(&json!({"email": "nope", "lines": [{"sku": "a", "qty": 1}, {"sku": "", "qty": 0}]}))
        .send()
        .await;
    assert_eq!(res.status(), 422);
    let locs: Vec<Value> = res.json::<Value>()["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["loc"].clone())
        .collect();
    assert!(locs.contains(&json!(["body", "email"])), "{locs:?}");
    assert!(
        locs.contains(&json!(["body", "lines", 1, "sku"])),
        "{locs:?}"
    );
    assert!(
        locs.contains(&json!(["body", "lines", 1, "qty"])),
        "{locs:?}"
    );
}

#[actix_web::test]
async fn exception_handlers_map_domain_errors() {
    let res = client().await.post("/buy").send().await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<Value>(),
        json!({"error": "insufficient_stock", "detail": "only 3 left"})
    );
}

#[actix_web::test]
async fn a_panic_is_a_500_and_the_app_keeps_serving() {
    let client = client().await;
    let res = client.get("/boom").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (500, json!({"detail": "Internal Server Error"}))
    );
    assert!(res.header("x-request-id").is_some());
    let res = client.get("/tags").send().await;
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn no_content_is_204() {
    let res = client().await.delete("/empty").send().await;
    assert_eq!(res.status(), 204);
    assert!(res.bytes().is_empty());
}

#[actix_web::test]
async fn problem_details_switch() {
    let client = TestClient::new(app().error_format(ErrorFormat::ProblemJson)).await;
    let res = client.get("/headers").send().await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    let body: Value = res.json();
    assert_eq!(body["title"], "Bad Request");
    assert_eq!(body["errors"][0]["loc"], json!(["header", "x-token"]));
    let res = client.get("/missing").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (
            404,
            json!({"type": "about:blank", "title": "Not Found", "status": 404, "detail": "nothing here"})
        )
    );
}

#[actix_web::test]
async fn routers_prefix_tag_include_and_mount() {
    let admin = Router::with_prefix("/admin")
        .tag("admin")
        .get("/tags", echo_tags);
    let api = Router::with_prefix("/api").tag("api").include(admin);
    let sub = App::new("sub").include(Router::new().get("/missing", missing));
    let app = App::new("root").include(api).mount("/v1", sub);
    let doc = app.openapi();
    assert_eq!(
        doc["paths"]["/api/admin/tags"]["get"]["tags"],
        json!(["api", "admin"])
    );
    let client = TestClient::new(app).await;
    assert_eq!(
        client.get("/api/admin/tags?tag=x").send().await.status(),
        200
    );
    let res = client.get("/v1/missing").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (404, json!({"detail": "nothing here"}))
    );
    let sub_doc: Value = client.get("/v1/openapi.json").send().await.json();
    assert_eq!(sub_doc["info"]["title"], "sub");
    assert!(sub_doc["paths"]["/missing"].is_object());

    // The mounted app's docs pages point at its own document and assets, which load.
    let page = client.get("/v1/docs").send().await.text();
    assert!(page.contains("\"/v1/openapi.json\""), "{page}");
    assert!(page.contains("/v1/docs/swagger-ui-bundle.js"), "{page}");
    for page_path in ["/v1/docs", "/v1/redoc", "/v1/scalar"] {
        let page = client.get(page_path).send().await.text();
        let assets: Vec<&str> = page
            .split(['"', '?'])
            .filter(|s| s.starts_with("/v1/") && s.ends_with(".js"))
            .collect();
        assert!(!assets.is_empty(), "{page}");
        for asset in assets {
            assert_eq!(client.get(asset).send().await.status(), 200, "{asset}");
        }
    }
}

#[actix_web::test]
async fn document_lists_every_status_with_its_schema() {
    let doc = app().openapi();
    let op = &doc["paths"]["/orders"]["post"];
    assert_eq!(op["operationId"], "order");
    assert!(op["requestBody"]["content"]["application/json"]["schema"].is_object());
    assert!(op["responses"]["201"].is_object(), "{op}");
    assert_eq!(
        op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/HTTPValidationError"
    );
    let missing = &doc["paths"]["/missing"]["get"]["responses"];
    assert_eq!(
        missing["404"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/HTTPError"
    );
    assert!(
        missing.get("422").is_none(),
        "no input, no validation error: {missing}"
    );
    assert!(doc["components"]["schemas"]["ValidationError"].is_object());
    let params = doc["paths"]["/headers"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "x-token" && p["in"] == "header" && p["required"] == true)
    );
}

#[actix_web::test]
async fn docs_pages_are_served_offline() {
    let client = client().await;
    for page in ["/docs", "/redoc", "/scalar"] {
        let res = client.get(page).send().await;
        assert_eq!(res.status(), 200, "{page}");
        let html = res.text();
        assert!(
            html.contains("/openapi.json"),
            "{page} points at the document"
        );
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "{page} loads nothing remote"
        );
    }
    let res = client.get("/openapi.json").send().await;
    assert_eq!(res.json::<Value>()["openapi"], "3.1.0");
}
