//! The gateway binary in both modes, and the in-process stack under it.
//!
//! - All-in-one, as `cargo run` runs it: the binary starts every service of its
//!   table in its own process (warning once that `JWT_SECRET` is unset) and
//!   proxies to them. The demo story goes through it over HTTP (register, log in,
//!   create an item, order it and watch it on the orders WebSocket, see the
//!   background job confirm the order, the admin statistics, the merged
//!   documents), then SIGTERM stops everything cleanly, the open socket included.
//! - Proxy, as docker compose runs it: with the services' addresses set, the binary
//!   starts nothing and forwards to them.
//! - [`Plan`] and [`Stack`] in-process: one auth key serves every service, a
//!   service's configuration can be changed before it starts, and stopping the
//!   stack stops every service.

mod common;

use std::time::{Duration, Instant};

use apiarist::db::testing::TestDatabase;
use common::{binary::Binary, client, closed_port, start};
use futures_util::StreamExt;
use gateway::{Plan, Stack};
use serde_json::{Value, json};

/// A JSON request through the gateway: `(status, body)`.
async fn call(method: &str, url: String, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut request = client().request(method.parse().unwrap(), url);
    if let Some(token) = token {
        request = request.insert_header(("authorization", format!("Bearer {token}")));
    }
    let sent = match body {
        Some(body) => request.send_json(&body).await,
        None => request.send().await,
    };
    let mut res = sent.unwrap();
    let body = res.body().limit(8 << 20).await.unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

async fn login(base: &str, username: &str, password: &str) -> String {
    let mut res = client()
        .post(format!("{base}/token"))
        .send_form(&[("username", username), ("password", password)])
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(res.status(), 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Polls `url` until `ready` accepts its JSON answer.
async fn until(
    what: &str,
    url: &str,
    token: Option<&str>,
    ready: impl Fn(u16, &Value) -> bool,
    logs: impl Fn() -> String,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut request = client().get(url);
        if let Some(token) = token {
            request = request.insert_header(("authorization", format!("Bearer {token}")));
        }
        if let Ok(mut res) = request.send().await {
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            if ready(status, &body) {
                return body;
            }
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}\n{}",
            logs()
        );
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

#[actix_web::test]
async fn the_demo_story_runs_through_the_all_in_one_binary() {
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let mut binary = Binary::start(dir.path(), port, &[]);
    let base = format!("http://127.0.0.1:{port}");
    let logs = || binary.logs();
    let ready = until(
        "/readyz",
        &format!("{base}/readyz"),
        None,
        |s, _| s == 200,
        logs,
    )
    .await;
    for service in ["users", "items", "orders"] {
        assert_eq!(ready["services"][service]["status"], "ready", "{ready}");
    }
    // No JWT_SECRET: one random key for the stack, and one warning about it.
    let logs = binary.logs();
    assert_eq!(
        logs.matches("JWT_SECRET is not set").count(),
        1,
        "one warning for the whole stack:\n{logs}"
    );

    // Register and log in (users).
    let (status, body) = call(
        "POST",
        format!("{base}/users/"),
        None,
        Some(json!({"username": "ada", "email": "ada@example.com", "password": "analytical"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let ada = login(&base, "ada", "analytical").await;
    let (_, me) = call("GET", format!("{base}/users/me"), Some(&ada), None).await;
    assert_eq!(me["username"], "ada");

    // Create an item (items).
    let (status, item) = call(
        "POST",
        format!("{base}/items/"),
        None,
        Some(json!({"name": "Engine", "price": 100.0, "stock": 3})),
    )
    .await;
    assert_eq!(status, 201, "{item}");
    let item_id = item["id"].as_i64().unwrap();

    // Watch my orders live, through the gateway (orders' WebSocket).
    let (_, mut live) = client()
        .ws(format!("{base}/ws/orders?token={ada}"))
        .connect()
        .await
        .expect("the orders socket opens through the gateway");

    // Order it (orders reserves the stock in items; the job confirms the order).
    let (status, order) = call(
        "POST",
        format!("{base}/orders/"),
        Some(&ada),
        Some(json!({"item_id": item_id, "quantity": 2})),
    )
    .await;
    assert_eq!(status, 201, "{order}");
    let order_url = format!("{base}/orders/{}", order["id"]);
    let confirmed = until(
        "the order's confirmation",
        &order_url,
        Some(&ada),
        |s, body| s == 200 && body["status"] == "confirmed",
        || binary.logs(),
    )
    .await;
    assert_eq!(
        confirmed["owner"],
        me["id"].to_string(),
        "the token's subject"
    );
    let mut statuses = Vec::new();
    while statuses.last() != Some(&json!("confirmed")) {
        let frame = actix_web::rt::time::timeout(Duration::from_secs(10), live.next())
            .await
            .unwrap_or_else(|_| panic!("no confirmation on the socket: {statuses:?}"));
        if let Some(Ok(awc::ws::Frame::Text(text))) = frame {
            let change: Value = serde_json::from_slice(&text).unwrap();
            assert_eq!(change["order_id"], order["id"], "{change}");
            statuses.push(change["status"].clone());
        }
    }
    let (_, item) = call("GET", format!("{base}/items/{item_id}"), None, None).await;
    assert_eq!(item["stock"], 1);
    let (status, refused) = call(
        "POST",
        format!("{base}/orders/"),
        Some(&ada),
        Some(json!({"item_id": item_id, "quantity": 5})),
    )
    .await;
    assert_eq!(
        (status, &refused["error"]),
        (409, &json!("insufficient_stock"))
    );

    // The admin area (users, counting items through the items service).
    let root = login(&base, "root", "root password").await;
    let (status, stats) = call("GET", format!("{base}/admin/stats"), Some(&root), None).await;
    assert_eq!((status, stats), (200, json!({"users": 2, "items": 1})));

    // One document for the whole stack.
    let (_, doc) = call("GET", format!("{base}/openapi.json"), None, None).await;
    for path in [
        "/users/",
        "/users/me",
        "/token",
        "/admin/stats",
        "/",
        "/hello",
        "/models/{model_name}",
        "/items/",
        "/items/{item_id}",
        "/orders/",
        "/orders/{order_id}",
        "/admin/jobs/",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is missing");
    }
    let paths = doc["paths"].as_object().unwrap();
    assert!(
        paths.keys().all(|p| !p.starts_with("/internal")),
        "internal routes are not the clients' business"
    );
    assert_eq!(
        doc["x-services"],
        json!({"users": {"status": "current"}, "items": {"status": "current"}, "orders": {"status": "current"}})
    );
    let (_, jobs) = call("GET", format!("{base}/asyncapi.json"), None, None).await;
    assert!(
        jobs["channels"].as_object().is_some_and(|c| !c.is_empty()),
        "{jobs}"
    );

    // The socket is still open: the gateway closes it rather than wait for it.
    let stopping = Instant::now();
    let status = binary.terminate().await;
    assert!(status.success(), "{status}\n{}", binary.logs());
    assert!(
        stopping.elapsed() < Duration::from_secs(10),
        "an open WebSocket held the stop for {:?}",
        stopping.elapsed()
    );
    // Frames already on their way (a late order event, a ping, the close) may come
    // first; then the stream ends.
    let ended = actix_web::rt::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = live.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the socket ended with the gateway");
    for file in ["items.db", "users.db", "orders.db"] {
        assert!(dir.path().join(file).exists(), "{file}: SQLite by default");
    }
}

#[actix_web::test]
async fn with_service_urls_set_the_binary_only_proxies() {
    let items = common::service(|cfg| {
        cfg.route(
            "/hello",
            actix_web::web::get().to(|| async {
                actix_web::HttpResponse::Ok().json(json!({"message": "from the stand-in"}))
            }),
        );
    });
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let nowhere = || format!("http://127.0.0.1:{}", closed_port());
    let binary = Binary::start(
        dir.path(),
        port,
        &[
            ("ITEMS_URL", items.url.clone()),
            ("USERS_URL", nowhere()),
            ("ORDERS_URL", nowhere()),
        ],
    );
    let base = format!("http://127.0.0.1:{port}");
    let hello = until(
        "/hello",
        &format!("{base}/hello"),
        None,
        |s, _| s == 200,
        || binary.logs(),
    )
    .await;
    assert_eq!(hello, json!({"message": "from the stand-in"}));
    let (status, body) = call("GET", format!("{base}/orders/1"), None, None).await;
    assert_eq!(
        (status, body),
        (
            502,
            json!({"detail": "orders service unavailable", "service": "orders"})
        )
    );
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        files,
        ["gateway.log"],
        "no service ran in the gateway's process"
    );
}

#[actix_web::test]
async fn the_in_process_stack_shares_one_key_and_stops_whole() {
    let dbs = [
        TestDatabase::sqlite(),
        TestDatabase::sqlite(),
        TestDatabase::sqlite(),
    ];
    let mut plan = Plan::from_env().unwrap();
    plan.config_mut::<users::Config>("users").unwrap().database = dbs[0].settings();
    plan.config_mut::<items::Config>("items").unwrap().database = dbs[1].settings();
    let orders = plan.config_mut::<orders::Config>("orders").unwrap();
    orders.database = dbs[2].settings();
    orders.amqp = None;
    assert!(
        plan.config_mut::<items::Config>("users").is_none(),
        "a configuration is only had as its own type"
    );
    let stack = Stack::start(plan).await.unwrap();
    let urls = stack.urls().clone();
    let gw = start(gateway::gateway(
        &urls,
        Duration::from_secs(10),
        Duration::from_secs(10),
    ));
    // The services connect to their databases and migrate in the background.
    until(
        "/readyz",
        &format!("{}/readyz", gw.url),
        None,
        |s, _| s == 200,
        String::new,
    )
    .await;

    let (status, _) = call(
        "POST",
        format!("{}/users/", gw.url),
        None,
        Some(json!({"username": "grace", "email": "grace@example.com", "password": "compilers"})),
    )
    .await;
    assert_eq!(status, 201);
    let token = login(&gw.url, "grace", "compilers").await;
    // A token from users is good in orders, which asks items about the item.
    let (status, body) = call(
        "POST",
        format!("{}/orders/", gw.url),
        Some(&token),
        Some(json!({"item_id": 4242, "quantity": 1})),
    )
    .await;
    assert_eq!(status, 404, "{body}");

    stack.stop().await;
    let (status, body) = call("GET", format!("{}/readyz", gw.url), None, None).await;
    assert_eq!(status, 503);
    assert_eq!(
        body["detail"]["unavailable"],
        json!(["users", "items", "orders"])
    );
    let (status, body) = call("GET", format!("{}/items/", gw.url), None, None).await;
    assert_eq!(
        (status, body),
        (
            502,
            json!({"detail": "items service unavailable", "service": "items"})
        )
    );
}
