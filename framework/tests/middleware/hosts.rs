//! Trusted hosts and HTTPS redirects: what the request claims about where it goes.

use apiarist::{
    App, Router,
    middleware::{HttpsRedirect, TrustedHosts},
    testing::TestClient,
};
use serde_json::{Value, json};

use super::support::hello;

#[actix_web::test]
async fn only_trusted_hosts_are_served() {
    let app = App::new("t")
        .middleware(TrustedHosts::new(["example.com", "*.example.com"]))
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    for host in ["example.com", "api.example.com:8443", "EU.API.Example.com"] {
        let res = client.get("/hello").header("host", host).send().await;
        assert_eq!(res.status(), 200, "{host}");
    }
    for host in ["evil.com", "example.com.evil.com", "notexample.com"] {
        let res = client.get("/hello").header("host", host).send().await;
        assert_eq!(res.status(), 400, "{host}");
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Invalid host header"})
        );
        assert!(res.header("x-request-id").is_some());
    }
    // Unknown paths and the docs are behind the check too.
    let res = client.get("/docs").header("host", "evil.com").send().await;
    assert_eq!(res.status(), 400);
}

#[actix_web::test]
async fn a_malformed_host_pattern_stops_start_up() {
    let app = App::new("t").middleware(TrustedHosts::new(["api.*.com"]));
    assert!(app.check().unwrap_err().contains("api.*.com"));
}

#[actix_web::test]
async fn plain_http_is_redirected_to_https_with_path_and_query() {
    let app = App::new("t")
        .middleware(HttpsRedirect::new())
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    let res = client
        .get("/hello?name=Ada")
        .header("host", "api.example.com")
        .send()
        .await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        res.header("location"),
        Some("https://api.example.com/hello?name=Ada")
    );
    let res = client
        .get("/hello")
        .header("host", "api.example.com:80")
        .send()
        .await;
    assert_eq!(
        res.header("location"),
        Some("https://api.example.com/hello")
    );
    let res = client
        .get("/hello")
        .header("host", "localhost:8443")
        .send()
        .await;
    assert_eq!(res.header("location"), Some("https://localhost:8443/hello"));

    // A client claiming HTTPS is not believed without a trusted proxy.
    let res = client
        .get("/hello")
        .header("host", "api.example.com")
        .header("x-forwarded-proto", "https")
        .send()
        .await;
    assert_eq!(res.status(), 307);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_forwarded_scheme_counts() {
    let app = App::new("t")
        .middleware(HttpsRedirect::new().trust_proxy())
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    let res = client
        .get("/hello")
        .header("host", "api.example.com")
        .header("x-forwarded-proto", "https")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    let res = client
        .get("/hello")
        .header("host", "api.example.com")
        .header("x-forwarded-proto", "http")
        .send()
        .await;
    assert_eq!(res.status(), 307);
}
