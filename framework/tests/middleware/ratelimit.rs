//! Rate limits: per client IP (from the socket, or a trusted proxy's header), per
//! user through a dependency, 429 with `Retry-After`, documented.

use std::time::Duration;

use apiarist::{
    App, Header, HttpError, Provide, Router,
    middleware::{Cors, dependency},
    prelude::*,
    ratelimit::RateLimit,
    testing::TestClient,
    testing::TestServer,
};
use serde_json::{Value, json};

use super::support::hello;

const MINUTE: Duration = Duration::from_secs(60);

#[actix_web::test]
async fn past_the_limit_a_client_gets_429_with_retry_after() {
    let app = App::new("t")
        .middleware(Cors::new().allow_origin("https://app.example.com"))
        .middleware(RateLimit::per_ip(3, MINUTE).behind_proxy())
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    let from = |ip: &'static str| {
        client
            .get("/hello")
            .header("x-forwarded-for", &format!("198.51.100.7, {ip}"))
            .header("origin", "https://app.example.com")
            .send()
    };
    for _ in 0..3 {
        assert_eq!(from("203.0.113.1").await.status(), 200);
    }
    let res = from("203.0.113.1").await;
    assert_eq!(res.status(), 429);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Rate limit exceeded: 3 requests per 60 s"})
    );
    // One request's worth refills in 20 s.
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((19..=20).contains(&retry), "{retry}");
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    // The address the proxy appended counts, not the one the client wrote.
    assert_eq!(from("203.0.113.2").await.status(), 200);
}

#[actix_web::test]
async fn over_a_real_socket_the_peer_address_is_the_client() {
    let app = App::new("t")
        .middleware(RateLimit::per_ip(2, MINUTE))
        .include(Router::new().get("/hello", hello));
    let server = TestServer::start(app).await;
    let client = awc::Client::default();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        // A client's own X-Forwarded-For is ignored without behind_proxy().
        let res = client
            .get(server.url("/hello"))
            .insert_header(("x-forwarded-for", "192.0.2.99"))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct UserHeader {
    x_user: String,
}

#[derive(Debug, Clone)]
struct User(String);

impl Provide for User {
    type Needs = (Header<UserHeader>,);
    const ERRORS: &'static [u16] = &[401];
    async fn provide((h,): Self::Needs) -> Result<Self, actix_web::Error> {
        match h.into_inner().x_user.as_str() {
            "" => Err(HttpError::unauthorized("Not authenticated").into()),
            user => Ok(User(user.to_owned())),
        }
    }
}

#[actix_web::test]
async fn a_limit_per_user_keys_on_a_dependency() {
    let reports = Router::with_prefix("/reports")
        .middleware(RateLimit::per_key(2, MINUTE, |req| async move {
            Ok(Some(dependency::<User>(&req).await?.0))
        }))
        .get("/", hello);
    let app = App::new("t")
        .include(reports)
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    let as_user = |user: &'static str| client.get("/reports/").header("x-user", user).send();
    assert_eq!(as_user("alice").await.status(), 200);
    assert_eq!(as_user("alice").await.status(), 200);
    assert_eq!(as_user("alice").await.status(), 429);
    assert_eq!(
        as_user("bob").await.status(),
        200,
        "bob has his own allowance"
    );
    let res = as_user("").await;
    assert_eq!(res.status(), 401, "the dependency's error answers");
    for _ in 0..3 {
        assert_eq!(
            client.get("/hello").send().await.status(),
            200,
            "other routers"
        );
    }
}

#[actix_web::test]
async fn the_429_is_documented_and_a_zero_limit_is_refused() {
    let app = App::new("t")
        .include(
            Router::with_prefix("/limited")
                .middleware(RateLimit::per_ip(5, MINUTE))
                .get("/", hello),
        )
        .include(Router::new().get("/hello", hello));
    let doc = app.openapi();
    assert!(doc["paths"]["/limited/"]["get"]["responses"]["429"].is_object());
    assert!(
        doc["paths"]["/hello"]["get"]["responses"]
            .get("429")
            .is_none()
    );

    let zero = App::new("t").middleware(RateLimit::per_ip(0, MINUTE));
    assert!(zero.check().unwrap_err().contains("RateLimit"));
}
