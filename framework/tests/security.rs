//! Security dependencies through HTTP: bearer tokens (valid, missing, expired,
//! tampered, `alg: none`, wrong key), roles and scopes on routers, Basic, API keys,
//! and their documentation.

use std::time::Duration;

use apiarist::{
    Dep,
    auth::{
        Auth, Claims, KeyRing, LoginThrottle, SigningKey, ThrottleConfig, TokenConfig, unix_now,
    },
    prelude::*,
    security::{
        ApiKey, ApiKeySource, Authenticated, BasicCredentials, KeyLocation, RequireRole,
        RequireScopes, Role, Scopes,
    },
    testing::TestClient,
};
use base64::Engine;
use serde_json::{Value, json};

const SECRET: &[u8] = b"a test secret that is long enough!!";

fn ring(secret: &[u8]) -> KeyRing {
    KeyRing::new(SigningKey::hs256(secret).unwrap(), TokenConfig::default())
}

struct Admin;
impl Role for Admin {
    const NAME: &'static str = "admin";
}

struct Write;
impl Scopes for Write {
    const SCOPES: &'static [&'static str] = &["items:write"];
}

struct ServiceKey;
impl ApiKeySource for ServiceKey {
    const NAME: &'static str = "x-api-key";
    const LOCATION: KeyLocation = KeyLocation::Header;
}

/// Who am I?
#[api_operation(summary = "Me")]
async fn me(user: Dep<Authenticated>) -> Json<String> {
    Json(user.sub.clone())
}

/// Admin stats.
#[api_operation(summary = "Stats")]
async fn stats() -> Json<Value> {
    Json(json!({"users": 1}))
}

/// Write something.
#[api_operation(summary = "Write")]
async fn write() -> Json<&'static str> {
    Json("written")
}

/// Basic auth.
#[api_operation(summary = "Basic")]
async fn basic(credentials: BasicCredentials) -> Json<String> {
    Json(format!("{}:{}", credentials.username, credentials.password))
}

/// API key.
#[api_operation(summary = "Key")]
async fn key(key: ApiKey<ServiceKey>) -> Json<String> {
    Json(key.key().to_owned())
}

async fn client() -> (TestClient, Auth) {
    let auth = Auth::start(ring(SECRET), LoginThrottle::new(ThrottleConfig::default()));
    let app = App::new("secure")
        .state(auth.clone())
        .include(
            Router::new()
                .get("/me", me)
                .get("/basic", basic)
                .get("/key", key),
        )
        .include(
            Router::with_prefix("/admin")
                .depends::<RequireRole<Admin>>()
                .get("/stats", stats),
        )
        .include(
            Router::with_prefix("/items")
                .depends::<RequireScopes<Write>>()
                .post("/", write),
        );
    (TestClient::new(app).await, auth)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn get_me(client: &TestClient, token: &str) -> (u16, Value, Option<String>) {
    let res = client
        .get("/me")
        .header("authorization", &bearer(token))
        .send()
        .await;
    let challenge = res.header("www-authenticate").map(str::to_owned);
    (res.status(), res.json(), challenge)
}

#[actix_web::test]
async fn a_valid_token_authenticates_and_a_missing_one_is_401_with_a_challenge() {
    let (client, auth) = client().await;
    let token = auth.issue("alice", Vec::<String>::new()).await.unwrap();
    let (status, body, _) = get_me(&client, &token).await;
    assert_eq!((status, body), (200, json!("alice")));

    let res = client.get("/me").send().await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    assert_eq!(res.json::<Value>(), json!({"detail": "Not authenticated"}));
}

#[actix_web::test]
async fn expired_tampered_alg_none_and_wrong_key_tokens_are_401() {
    let (client, auth) = client().await;
    let signer = ring(SECRET);

    let old = Claims::new(
        "alice",
        Vec::<String>::new(),
        unix_now() - 7200,
        Duration::from_secs(60),
    );
    let expired = signer.sign(&old).unwrap();
    let (status, body, challenge) = get_me(&client, &expired).await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Token has expired"}))
    );
    assert!(challenge.unwrap().starts_with("Bearer"));

    let good = auth.issue("alice", Vec::<String>::new()).await.unwrap();
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&b64.decode(&parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("mallory");
    parts[1] = b64.encode(claims.to_string());
    let tampered = parts.join(".");
    let (status, body, _) = get_me(&client, &tampered).await;
    assert_eq!((status, body), (401, json!({"detail": "Invalid token"})));

    let header: Value = serde_json::from_slice(&b64.decode(&parts[0]).unwrap()).unwrap();
    let mut none_header = header.clone();
    none_header["alg"] = json!("none");
    let alg_none = format!(
        "{}.{}.",
        b64.encode(none_header.to_string()),
        b64.encode(claims.to_string())
    );
    let (status, body, _) = get_me(&client, &alg_none).await;
    assert_eq!((status, body), (401, json!({"detail": "Invalid token"})));

    let stranger = ring(b"another secret, just as long, but not ours");
    let foreign = stranger.issue("alice", Vec::<String>::new(), None).unwrap();
    let (status, body, _) = get_me(&client, &foreign).await;
    assert_eq!((status, body), (401, json!({"detail": "Invalid token"})));
}

#[actix_web::test]
async fn router_level_role_and_scope_checks_are_401_then_403_then_200() {
    let (client, auth) = client().await;
    assert_eq!(client.get("/admin/stats").send().await.status(), 401);

    let user = auth.issue("bob", Vec::<String>::new()).await.unwrap();
    let res = client
        .get("/admin/stats")
        .header("authorization", &bearer(&user))
        .send()
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Not enough permissions"})
    );

    let admin_claims = Claims::new(
        "root",
        Vec::<String>::new(),
        unix_now(),
        Duration::from_secs(60),
    )
    .with_roles(["admin"]);
    let admin = ring(SECRET).sign(&admin_claims).unwrap();
    let res = client
        .get("/admin/stats")
        .header("authorization", &bearer(&admin))
        .send()
        .await;
    assert_eq!(res.status(), 200);

    let res = client
        .post("/items/")
        .header("authorization", &bearer(&user))
        .send()
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.header("www-authenticate"),
        Some("Bearer scope=\"items:write\"")
    );
    let writer = auth.issue("carol", ["items:write"]).await.unwrap();
    let res = client
        .post("/items/")
        .header("authorization", &bearer(&writer))
        .send()
        .await;
    assert_eq!((res.status(), res.json::<Value>()), (200, json!("written")));
}

#[actix_web::test]
async fn basic_credentials_and_api_keys() {
    let (client, _) = client().await;
    let res = client
        .get("/basic")
        .header("authorization", "Basic YWxpY2U6czNjcjN0") // alice:s3cr3t
        .send()
        .await;
    assert_eq!(res.json::<Value>(), json!("alice:s3cr3t"));
    let res = client.get("/basic").send().await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.header("www-authenticate"), Some("Basic"));
    assert_eq!(res.json::<Value>(), json!({"detail": "Not authenticated"}));

    let res = client.get("/key").header("x-api-key", "k-123").send().await;
    assert_eq!(res.json::<Value>(), json!("k-123"));
    let res = client.get("/key").send().await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (401, json!({"detail": "Not authenticated"}))
    );
}

#[actix_web::test]
async fn security_is_documented_for_the_authorize_button() {
    let (client, _) = client().await;
    let doc: Value = client.get("/openapi.json").send().await.json();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"], "/token",
        "{schemes}"
    );
    assert_eq!(schemes["HTTPBasic"]["scheme"], "basic");
    assert_eq!(schemes["ServiceKey"]["in"], "header");
    for (path, method) in [("/me", "get"), ("/admin/stats", "get"), ("/items/", "post")] {
        let op = &doc["paths"][path][method];
        assert_eq!(
            op["security"],
            json!([{"OAuth2PasswordBearer": []}]),
            "{path}: {op}"
        );
        assert!(
            op["responses"]["401"]["content"].is_object(),
            "{path}: {op}"
        );
    }
    assert!(doc["paths"]["/admin/stats"]["get"]["responses"]["403"].is_object());
    assert!(doc["paths"]["/me"]["get"]["responses"]["403"].is_null());
}
