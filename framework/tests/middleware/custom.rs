//! Custom middleware: code before and after the handler, in order, with the
//! request's dependencies; errors as JSON; routers; any actix-web middleware.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use actix_web::http::header::{HeaderName, HeaderValue};
use apiarist::{
    App, Dep, Header, HttpError, Path, Provide, Router,
    middleware::{Middleware, dependency, from_fn},
    prelude::*,
    testing::TestClient,
};
use serde_json::{Value, json};

use super::support::hello;

fn append_header(res: &mut actix_web::dev::ServiceResponse, name: &'static str, value: &str) {
    res.headers_mut().append(
        HeaderName::from_static(name),
        HeaderValue::from_str(value).unwrap(),
    );
}

#[actix_web::test]
async fn middleware_runs_before_and_after_the_handler_first_added_outermost() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let layer = |name: &'static str| {
        let log = log.clone();
        from_fn(move |req, next| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(format!("{name} before"));
                let mut res = next.call(req).await?;
                log.lock()
                    .unwrap()
                    .push(format!("{name} after {}", res.status().as_u16()));
                append_header(&mut res, "x-layer", name);
                Ok(res)
            }
        })
    };
    let app = App::new("t")
        .middleware(layer("outer"))
        .middleware(layer("inner"))
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    let res = client.get("/hello").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>()["message"], "hello");
    assert_eq!(
        *log.lock().unwrap(),
        [
            "outer before",
            "inner before",
            "inner after 200",
            "outer after 200"
        ]
    );
    // Unknown paths are not routes: per-route middleware does not see them.
    log.lock().unwrap().clear();
    assert_eq!(client.get("/nowhere").send().await.status(), 404);
    assert!(log.lock().unwrap().is_empty());
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct TenantHeader {
    x_tenant: String,
}

static PROVIDED: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Clone)]
struct Tenant(String);

impl Provide for Tenant {
    type Needs = (Header<TenantHeader>,);
    async fn provide((h,): Self::Needs) -> Result<Self, actix_web::Error> {
        PROVIDED.fetch_add(1, Ordering::SeqCst);
        let tenant = h.into_inner().x_tenant;
        if tenant == "blocked" {
            return Err(HttpError::forbidden("Tenant blocked").into());
        }
        Ok(Tenant(tenant))
    }
}

/// Whose request is it?
#[api_operation(summary = "Tenant")]
async fn tenant(t: Dep<Tenant>) -> Json<String> {
    Json(t.0.clone())
}

#[actix_web::test]
async fn middleware_resolves_dependencies_shared_with_the_handler() {
    let app = App::new("t")
        .middleware(from_fn(|req, next| async move {
            let tenant = dependency::<Tenant>(req.request()).await?;
            let mut res = next.call(req).await?;
            append_header(&mut res, "x-tenant", &tenant.0);
            Ok(res)
        }))
        .include(Router::new().get("/tenant", tenant));
    let client = TestClient::new(app).await;
    let before = PROVIDED.load(Ordering::SeqCst);
    let res = client
        .get("/tenant")
        .header("x-tenant", "acme")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<String>(), "acme");
    assert_eq!(res.header("x-tenant"), Some("acme"));
    assert_eq!(
        PROVIDED.load(Ordering::SeqCst) - before,
        1,
        "resolved once per request"
    );

    // The dependency's failure is the request's answer, as JSON, with a request id.
    let res = client
        .get("/tenant")
        .header("x-tenant", "blocked")
        .send()
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>(), json!({"detail": "Tenant blocked"}));
    assert!(res.header("x-request-id").is_some());
    let res = client.get("/tenant").send().await;
    assert_eq!(res.status(), 422, "a missing header, as for a parameter");
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct ItemPath {
    item_id: u32,
}

/// Read an item.
#[api_operation(summary = "Item")]
async fn item(path: Path<ItemPath>) -> Json<u32> {
    Json(path.item_id)
}

#[actix_web::test]
async fn a_routers_middleware_covers_its_routes_and_sees_path_parameters() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let items = Router::with_prefix("/items")
        .middleware(from_fn(move |req, next| {
            let calls = counted.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                let id = req.match_info().get("item_id").unwrap_or("").to_owned();
                if id == "13" {
                    return Err(HttpError::not_found("Unlucky").into());
                }
                next.call(req).await
            }
        }))
        .get("/{item_id}", item);
    let app = App::new("t")
        .include(items)
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    assert_eq!(client.get("/items/7").send().await.json::<u32>(), 7);
    let res = client.get("/items/13").send().await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>(), json!({"detail": "Unlucky"}));
    assert_eq!(client.get("/hello").send().await.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "not on the other router");
}

#[actix_web::test]
async fn any_actix_middleware_wraps_the_whole_app() {
    let app = App::new("t")
        .middleware(Middleware::actix("default headers", || {
            actix_web::middleware::DefaultHeaders::new().add(("x-frame-options", "DENY"))
        }))
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    for path in ["/hello", "/nowhere", "/openapi.json"] {
        let res = client.get(path).send().await;
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{path}");
    }
}
