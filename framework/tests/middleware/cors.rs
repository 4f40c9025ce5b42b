//! CORS: preflights, headers on answers (errors included), app and router scope,
//! and the wildcard-with-credentials mistake refused at start-up.

use actix_web::{HttpResponse, http::Method};
use apiarist::{
    App, HttpError, Router,
    middleware::{Cors, Timeout},
    prelude::*,
    testing::TestClient,
};
use serde_json::{Value, json};

use super::support::hello;

const APP_ORIGIN: &str = "https://app.example.com";

fn policy() -> Cors {
    Cors::new().allow_origin(APP_ORIGIN).allow_credentials()
}

#[actix_web::test]
async fn a_preflight_from_an_allowed_origin_is_answered_by_the_middleware() {
    let app = App::new("t")
        .middleware(policy())
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    let res = client
        .request(Method::OPTIONS, "/hello")
        .header("origin", APP_ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP_ORIGIN));
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    assert!(
        res.header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    let headers = res
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(headers.contains("authorization"), "{headers}");
    assert_eq!(res.header("access-control-max-age"), Some("600"));
}

#[actix_web::test]
async fn answers_carry_cors_headers_for_allowed_origins_only() {
    let app = App::new("t")
        .middleware(policy())
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    let res = client
        .get("/hello")
        .header("origin", APP_ORIGIN)
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP_ORIGIN));
    let exposed = res
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");

    // Another site: served (the browser withholds it), without CORS headers.
    let res = client
        .get("/hello")
        .header("origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("access-control-allow-origin"), None);
    // No Origin at all (a server-to-server call): untouched.
    assert_eq!(client.get("/hello").send().await.status(), 200);
}

#[actix_web::test]
async fn any_origin_answers_a_wildcard() {
    let app = App::new("t")
        .middleware(Cors::new().allow_any_origin())
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    let res = client
        .get("/hello")
        .header("origin", "https://anyone.example")
        .send()
        .await;
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
}

#[actix_web::test]
async fn a_wildcard_origin_with_credentials_stops_start_up_with_a_clear_error() {
    let app = App::new("t")
        .middleware(Cors::new().allow_any_origin().allow_credentials())
        .include(Router::new().get("/hello", hello));
    let problem = app.check().unwrap_err();
    assert!(problem.contains("allow_any_origin()"), "{problem}");
    assert!(problem.contains("allow_credentials()"), "{problem}");

    // The same mistake on a router is found too, and so is a malformed origin.
    let routed = App::new("t").include(
        Router::with_prefix("/api")
            .middleware(Cors::new().allow_any_origin().allow_credentials())
            .get("/hello", hello),
    );
    assert!(routed.check().unwrap_err().contains("credentials"));
    let malformed = App::new("t").middleware(Cors::new().allow_origin("app.example.com"));
    assert!(malformed.check().unwrap_err().contains("scheme://host"));
    let wildcard = App::new("t").middleware(Cors::new().allow_origin("https://*.example.com"));
    assert!(wildcard.check().unwrap_err().contains("wildcard"));
}

#[actix_web::test]
async fn a_routers_cors_covers_its_routes_and_their_preflights_only() {
    let api = Router::with_prefix("/api")
        .middleware(policy())
        .get("/hello", hello);
    let app = App::new("t")
        .include(api)
        .include(Router::new().get("/other", hello));
    let client = TestClient::new(app).await;

    let preflight = |path: &'static str| {
        client
            .request(Method::OPTIONS, path)
            .header("origin", APP_ORIGIN)
            .header("access-control-request-method", "GET")
            .send()
    };
    let res = preflight("/api/hello").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP_ORIGIN));
    let res = client
        .get("/api/hello")
        .header("origin", APP_ORIGIN)
        .send()
        .await;
    assert_eq!(res.header("access-control-allow-origin"), Some(APP_ORIGIN));

    let res = preflight("/other").await;
    assert_eq!(res.status(), 405);
    let res = client
        .get("/other")
        .header("origin", APP_ORIGIN)
        .send()
        .await;
    assert_eq!(res.header("access-control-allow-origin"), None);
    // An OPTIONS that is not a preflight still gets the JSON 405.
    let res = client.request(Method::OPTIONS, "/api/hello").send().await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.json::<Value>(), json!({"detail": "Method Not Allowed"}));
}

#[derive(Debug, thiserror::Error, apistos::ApiErrorComponent)]
#[error("sold out")]
#[openapi_error(status(code = 409, description = "Sold out"))]
struct SoldOut;
impl actix_web::ResponseError for SoldOut {}

/// Always sold out.
#[api_operation(summary = "Sold out")]
async fn sold_out() -> Result<Json<()>, SoldOut> {
    Err(SoldOut)
}

/// Missing.
#[api_operation(summary = "Missing")]
async fn missing() -> Result<Json<()>, HttpError> {
    Err(HttpError::not_found("Nothing here"))
}

/// Slow.
#[api_operation(summary = "Slow")]
async fn slow() -> Json<()> {
    actix_web::rt::time::sleep(std::time::Duration::from_secs(5)).await;
    Json(())
}

#[actix_web::test]
async fn errors_keep_their_cors_headers_so_browsers_can_read_them() {
    let app = App::new("t")
        .middleware(policy())
        .middleware(Timeout::new(std::time::Duration::from_millis(50)))
        .exception_handler(|_: &SoldOut| {
            HttpResponse::Conflict().json(json!({"detail": "Sold out"}))
        })
        .include(
            Router::new()
                .get("/sold-out", sold_out)
                .get("/missing", missing)
                .get("/slow", slow),
        );
    let client = TestClient::new(app).await;
    for (path, status) in [
        ("/sold-out", 409),
        ("/missing", 404),
        ("/slow", 504),
        ("/nowhere", 404),
    ] {
        let res = client.get(path).header("origin", APP_ORIGIN).send().await;
        assert_eq!(res.status(), status, "{path}");
        assert_eq!(
            res.header("access-control-allow-origin"),
            Some(APP_ORIGIN),
            "{path}: {}",
            res.text()
        );
        assert!(res.json::<Value>()["detail"].is_string(), "{path}");
    }
}

#[actix_web::test]
async fn a_preflight_is_not_held_up_by_the_middleware_outside_a_routers_cors() {
    // An app-level check that every request carries a key: preflights carry none.
    let app = App::new("t")
        .middleware(apiarist::middleware::from_fn(|req, next| async move {
            if !req.headers().contains_key("x-key") {
                return Err(HttpError::unauthorized("No key").into());
            }
            next.call(req).await
        }))
        .include(
            Router::with_prefix("/api")
                .middleware(policy())
                .get("/hello", hello),
        );
    let client = TestClient::new(app).await;
    let res = client
        .request(Method::OPTIONS, "/api/hello")
        .header("origin", APP_ORIGIN)
        .header("access-control-request-method", "GET")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP_ORIGIN));
    let res = client
        .get("/api/hello")
        .header("origin", APP_ORIGIN)
        .send()
        .await;
    assert_eq!(res.status(), 401);
    let res = client
        .get("/api/hello")
        .header("origin", APP_ORIGIN)
        .header("x-key", "k")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP_ORIGIN));
}
