//! The gateway's merged documents and probes, against stand-in services that serve
//! documents of their own: one `/openapi.json` over every service (conflicting
//! definitions renamed, identical ones shared), healing when a service comes back,
//! the docs pages over it, `/asyncapi.json`, and `/readyz` naming who is not ready.

mod common;

use std::{net::TcpListener, time::Duration};

use actix_web::{HttpResponse, web};
use apiarist::gateway::Gateway;
use common::{client, closed_port, service, service_on, start};
use serde_json::{Value, json};

/// A service document: `GET <prefix>/thing` returns a `Thing` whose one field is
/// `field`; every service also documents `/healthz` and shares `HTTPError`.
fn openapi(prefix: &str, field: &str) -> Value {
    let get = json!({"get": {"tags": [prefix.trim_start_matches('/')], "responses": {"200": {
        "description": "OK",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}}});
    json!({
        "openapi": "3.1.0",
        "info": {"title": prefix, "version": "1"},
        "paths": {format!("{prefix}/thing"): get, "/healthz": {"get": {"responses": {}}}},
        "components": {"schemas": {
            "Thing": {"type": "object", "properties": {field: {"type": "string"}}},
            "HTTPError": {"type": "object", "properties": {"detail": {"type": "string"}}},
        }}
    })
}

fn asyncapi() -> Value {
    json!({
        "asyncapi": "3.0.0",
        "info": {"title": "jobs", "version": "1"},
        "channels": {"orders.confirm": {"address": "orders.confirm"}},
        "operations": {"handle.orders.confirm": {
            "action": "receive", "channel": {"$ref": "#/channels/orders.confirm"}}}
    })
}

/// A stand-in service serving `doc` (and `jobs`, when given) and a `/readyz`
/// answering `ready`.
fn documented(
    doc: Value,
    jobs: Option<Value>,
    ready: (u16, Value),
) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    move |cfg: &mut web::ServiceConfig| {
        let (doc, jobs, ready) = (doc.clone(), jobs.clone(), ready.clone());
        cfg.route(
            "/openapi.json",
            web::get().to(move || {
                let doc = doc.clone();
                async move { HttpResponse::Ok().json(doc) }
            }),
        )
        .route(
            "/asyncapi.json",
            web::get().to(move || {
                let jobs = jobs.clone();
                async move {
                    match jobs {
                        Some(jobs) => HttpResponse::Ok().json(jobs),
                        None => HttpResponse::NotFound().json(json!({"detail": "Not Found"})),
                    }
                }
            }),
        )
        .route(
            "/readyz",
            web::get().to(move || {
                let (status, body) = ready.clone();
                async move {
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .json(body)
                }
            }),
        );
    }
}

fn ready() -> (u16, Value) {
    (200, json!({"status": "ready", "database": "sqlite"}))
}

async fn get_json(url: String) -> (u16, Value) {
    let mut res = client().get(url).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

#[actix_web::test]
async fn one_document_merges_every_service_and_heals_when_one_comes_back() {
    let a = service(documented(openapi("/a", "name"), None, ready()));
    // `b` is away at first: its port is known, nothing listens there yet.
    let b_port = closed_port();
    let gw = start(
        Gateway::new("stack")
            .version("2.0.0")
            .service("a", &a.url, &["/a"])
            .service("b", &format!("http://127.0.0.1:{b_port}"), &["/b"]),
    );
    let (status, doc) = get_json(format!("{}/openapi.json", gw.url)).await;
    assert_eq!(status, 200);
    assert_eq!(doc["info"]["title"], "stack");
    assert_eq!(doc["info"]["version"], "2.0.0");
    assert!(doc["paths"]["/a/thing"].is_object());
    assert!(doc["paths"].get("/b/thing").is_none());
    assert_eq!(doc["x-services"]["b"]["status"], "unavailable");
    assert!(
        doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains("missing here: b")
    );
    assert_eq!(
        doc["paths"]["/healthz"]["get"]["tags"],
        json!(["gateway"]),
        "the gateway's own probe, not a service's"
    );

    let b_listener = TcpListener::bind(("127.0.0.1", b_port)).unwrap();
    let _b = service_on(
        b_listener,
        documented(openapi("/b", "count"), None, ready()),
    );
    // A failed fetch is retried a second later at the earliest.
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    let (_, doc) = get_json(format!("{}/openapi.json", gw.url)).await;
    assert_eq!(
        doc["x-services"],
        json!({"a": {"status": "current"}, "b": {"status": "current"}})
    );
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let names: Vec<&str> = schemas.keys().map(String::as_str).collect();
    assert_eq!(names, ["HTTPError", "a.Thing", "b.Thing"]);
    assert!(schemas["b.Thing"]["properties"]["count"].is_object());
    let b_thing = &doc["paths"]["/b/thing"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_eq!(b_thing["$ref"], "#/components/schemas/b.Thing");
    assert_eq!(
        doc["x-tagGroups"],
        json!([
            {"name": "a", "tags": ["a"]},
            {"name": "b", "tags": ["b"]},
            {"name": "gateway", "tags": ["gateway"]},
        ])
    );
}

#[actix_web::test]
async fn a_service_that_goes_away_keeps_its_last_document_marked_stale() {
    let a = service(documented(openapi("/a", "name"), None, ready()));
    let gw = start(
        Gateway::new("stack")
            .service("a", &a.url, &["/a"])
            .docs_ttl(Duration::from_millis(100)),
    );
    let (_, doc) = get_json(format!("{}/openapi.json", gw.url)).await;
    assert_eq!(doc["x-services"]["a"]["status"], "current");
    a.stop().await;
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let (_, doc) = get_json(format!("{}/openapi.json", gw.url)).await;
    assert_eq!(doc["x-services"]["a"]["status"], "stale");
    assert!(doc["paths"]["/a/thing"].is_object());
}

#[actix_web::test]
async fn the_docs_pages_render_the_merged_document_offline() {
    let a = service(documented(openapi("/a", "name"), None, ready()));
    let gw = start(Gateway::new("stack").service("a", &a.url, &["/a"]));
    for page in ["/docs", "/redoc", "/scalar"] {
        let mut res = client()
            .get(format!("{}{page}", gw.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{page}");
        let html = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
        assert!(html.contains("\"/openapi.json\""), "{page}: {html}");
        assert!(
            !html.contains("https://"),
            "{page} loads nothing from elsewhere"
        );
    }
    let mut res = client()
        .get(format!("{}/docs/swagger-ui-bundle.js", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.body().limit(8 << 20).await.unwrap().len() > 100_000);
}

#[actix_web::test]
async fn asyncapi_documents_are_merged_and_services_without_one_are_skipped() {
    let a = service(documented(openapi("/a", "name"), Some(asyncapi()), ready()));
    let b = service(documented(openapi("/b", "name"), None, ready()));
    let gw = start(Gateway::new("stack").service("a", &a.url, &["/a"]).service(
        "b",
        &b.url,
        &["/b"],
    ));
    let (status, doc) = get_json(format!("{}/asyncapi.json", gw.url)).await;
    assert_eq!(status, 200);
    assert_eq!(doc["asyncapi"], "3.0.0");
    assert_eq!(doc["info"]["title"], "stack");
    assert_eq!(doc["channels"], asyncapi()["channels"]);
    assert_eq!(doc["operations"], asyncapi()["operations"]);
    assert_eq!(
        doc["x-services"],
        json!({"a": {"status": "current"}, "b": {"status": "none"}})
    );
}

#[actix_web::test]
async fn readyz_reports_every_service_and_names_those_not_ready() {
    let a = service(documented(openapi("/a", "x"), None, ready()));
    let b = service(documented(
        openapi("/b", "x"),
        None,
        (
            503,
            json!({"detail": {"status": "unavailable", "check": "database", "reason": "connection refused"}}),
        ),
    ));
    let c_url = format!("http://127.0.0.1:{}", closed_port());
    let gw = start(
        Gateway::new("stack")
            .service("a", &a.url, &["/a"])
            .service("b", &b.url, &["/b"])
            .service("c", &c_url, &["/c"]),
    );
    let (status, body) = get_json(format!("{}/readyz", gw.url)).await;
    assert_eq!(status, 503);
    let detail = &body["detail"];
    assert_eq!(detail["status"], "unavailable");
    assert_eq!(detail["unavailable"], json!(["b", "c"]));
    assert_eq!(detail["services"]["a"], ready().1);
    assert_eq!(
        detail["services"]["b"]["reason"],
        "answered 503 Service Unavailable: database: connection refused"
    );
    assert!(
        detail["services"]["c"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("unreachable"),
        "{detail}"
    );

    let all_up = start(Gateway::new("stack").service("a", &a.url, &["/a"]));
    let (status, body) = get_json(format!("{}/readyz", all_up.url)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"status": "ready", "services": {"a": ready().1}})
    );
}
