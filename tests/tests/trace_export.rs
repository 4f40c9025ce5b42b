//! Traces exported over OTLP from the whole stack, each service its own process:
//! one order placed through the gateway with a client's `traceparent` is one trace,
//! from the gateway through orders and its call to items, across RabbitMQ to the
//! worker's job.
//!
//! The processes are the stack's own `main`s (built with the framework's `otel`
//! feature) given, as docker-compose.yml does, `OTEL_SERVICE_NAME` and
//! `OTEL_EXPORTER_OTLP_ENDPOINT`, and here `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`. The collector is this test: an HTTP
//! server that keeps every `POST /v1/traces` it gets. The spans are checked after
//! the stack stopped on SIGTERM (each process sends what it still holds before it
//! exits).

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use actix_web::{HttpResponse, web};
use e2e::{Stack, http::Client, stack_binaries};
use serde_json::{Value, json};

/// The client's trace: what the stack must continue.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN: &str = "00f067aa0ba902b7";

/// A span as the collector got it.
#[derive(Debug, Clone)]
struct Span {
    service: String,
    name: String,
    id: String,
    parent: String,
    trace: String,
    kind: Value,
    attributes: BTreeMap<String, Value>,
}

/// The spans of every export request received so far.
type Received = Arc<Mutex<Vec<Value>>>;

/// Starts the collector on a free port; its base URL and what it receives.
fn collector() -> (String, Received) {
    let received = Received::default();
    let keep = received.clone();
    let server = actix_web::HttpServer::new(move || {
        let keep = keep.clone();
        actix_web::App::new().route(
            "/v1/traces",
            web::post().to(move |body: web::Bytes| {
                let keep = keep.clone();
                async move {
                    let export: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    keep.lock().unwrap().push(export);
                    HttpResponse::Ok().json(json!({}))
                }
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .expect("binding the collector");
    let url = format!("http://{}", server.addrs()[0]);
    actix_rt::spawn(server.run());
    (url, received)
}

/// Every span received, flattened from OTLP/JSON's
/// `resourceSpans[].scopeSpans[].spans[]`.
fn spans(received: &Received) -> Vec<Span> {
    let exports = received.lock().unwrap().clone();
    let mut spans = Vec::new();
    for export in &exports {
        for resource in export["resourceSpans"].as_array().into_iter().flatten() {
            let service = attributes(&resource["resource"]["attributes"])
                .remove("service.name")
                .and_then(|v| v["stringValue"].as_str().map(str::to_owned))
                .unwrap_or_default();
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                for span in scope["spans"].as_array().into_iter().flatten() {
                    let text = |key: &str| span[key].as_str().unwrap_or_default().to_owned();
                    spans.push(Span {
                        service: service.clone(),
                        name: text("name"),
                        id: text("spanId"),
                        parent: text("parentSpanId"),
                        trace: text("traceId"),
                        kind: span["kind"].clone(),
                        attributes: attributes(&span["attributes"]),
                    });
                }
            }
        }
    }
    spans
}

fn attributes(list: &Value) -> BTreeMap<String, Value> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| Some((a["key"].as_str()?.to_owned(), a["value"].clone())))
        .collect()
}

/// The one span of `service` named `name` in the client's trace, a child of `parent`.
fn the_span<'a>(spans: &'a [Span], service: &str, name: &str, parent: &str) -> &'a Span {
    let found: Vec<&Span> = spans
        .iter()
        .filter(|s| s.trace == TRACE_ID && s.service == service && s.name == name)
        .filter(|s| s.parent == parent)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one span {name:?} of {service} in the trace, child of {parent}, among:\n{}",
        describe(spans)
    );
    found[0]
}

fn describe(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| {
            format!(
                "{} {} {:?} trace={} id={} parent={}",
                s.service, s.kind, s.name, s.trace, s.id, s.parent
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[actix_rt::test]
async fn an_order_is_one_trace_from_the_gateway_through_amqp_to_the_worker() {
    let Some(services) = e2e::services("trace export") else {
        return;
    };
    let (collector, received) = collector();
    let stack = Stack::start_with_env(
        &services,
        stack_binaries!(),
        "traces",
        vec![
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json".to_owned()),
            ("OTEL_BSP_SCHEDULE_DELAY", "200".to_owned()),
        ],
    )
    .await;
    let gateway = Client::new(stack.gateway());
    let created = gateway
        .post(
            "/users/",
            None,
            &json!({"username": "tracy", "email": "tracy@example.com", "password": "tracy's password"}),
        )
        .await;
    assert_eq!(created.status, 201, "{created}");
    let token = gateway.login("tracy", "tracy's password").await;
    let item = gateway
        .post(
            "/items/",
            None,
            &json!({"name": "Lamp", "price": 9.5, "stock": 2}),
        )
        .await;
    assert_eq!(item.status, 201, "{item}");

    let traced = gateway
        .clone()
        .with_header("traceparent", &format!("00-{TRACE_ID}-{CLIENT_SPAN}-01"));
    let order = json!({"item_id": item.body["id"], "quantity": 1});
    let placed = traced.post("/orders/", Some(&token), &order).await;
    assert_eq!(placed.status, 201, "{placed}");
    let path = format!("/orders/{}", placed.body["id"]);
    e2e::eventually(
        "the worker to confirm the order",
        std::time::Duration::from_secs(60),
        || stack.logs(),
        || async {
            let reply = gateway.get(&path, Some(&token)).await;
            (reply.body["status"] == "confirmed").then_some(())
        },
    )
    .await;
    stack.stop().await;

    let spans = spans(&received);
    // The gateway continues the client's span, orders the gateway's, items (the
    // stock reservation) orders', and the worker's job orders' request.
    // The gateway routes by prefix, without route templates: its spans are named
    // by their method.
    let at_gateway = the_span(&spans, "gateway", "POST", CLIENT_SPAN);
    assert_eq!(
        at_gateway.attributes.get("path"),
        Some(&json!({"stringValue": "/orders/"})),
        "{at_gateway:?}"
    );
    let at_orders = the_span(&spans, "orders", "POST /orders/", &at_gateway.id);
    the_span(
        &spans,
        "items",
        "PUT /internal/reservations/{reservation_id}",
        &at_orders.id,
    );
    let confirm = the_span(&spans, "worker", "job orders.confirm", &at_orders.id);

    // Kinds and attributes a trace viewer shows (OTLP: 2 = server, 5 = consumer).
    assert_eq!(at_orders.kind, json!(2), "{at_orders:?}");
    assert_eq!(confirm.kind, json!(5), "{confirm:?}");
    assert_eq!(
        at_orders.attributes.get("status"),
        Some(&json!({"stringValue": "201"})),
        "{at_orders:?}"
    );
    // OpenTelemetry's HTTP conventions, which trace viewers read.
    let attribute = |name: &str| at_orders.attributes.get(name).cloned();
    assert_eq!(
        attribute("http.request.method"),
        Some(json!({"stringValue": "POST"}))
    );
    assert_eq!(
        attribute("url.path"),
        Some(json!({"stringValue": "/orders/"}))
    );
    assert_eq!(
        attribute("http.route"),
        Some(json!({"stringValue": "/orders/"}))
    );
    let status = attribute("http.response.status_code").unwrap_or_default();
    assert!(
        status == json!({"intValue": "201"}) || status == json!({"intValue": 201}),
        "the status is an integer: {at_orders:?}"
    );
    // A request without a client trace starts its own: the login's spans are not
    // in ours, and the gateway's is the root of its trace.
    let login = spans
        .iter()
        .find(|s| s.service == "users" && s.name == "POST /token")
        .unwrap_or_else(|| panic!("no login span among:\n{}", describe(&spans)));
    assert_ne!(login.trace, TRACE_ID);
    let login_at_gateway = spans.iter().find(|s| s.id == login.parent);
    assert!(
        login_at_gateway.is_some_and(|s| s.parent.is_empty() && s.service == "gateway"),
        "{login:?} continues the gateway's root span:\n{}",
        describe(&spans)
    );
}
