//! One service goes down behind the gateway: its routes answer 502 JSON naming it,
//! the other services keep working, `/readyz` names it, the docs keep its last
//! document; when it comes back on its address, everything recovers by itself.
//!
//! The services are the real ones, each built by its own `build(config)` on SQLite
//! files of its own, served on free ports of 127.0.0.1 in the test's actix system.

mod common;

use std::{
    net::TcpListener,
    time::{Duration, Instant},
};

use apiarist::{auth::AuthSettings, db::testing::TestDatabase, testing::TestServer};
use common::{client, start};
use gateway::ServiceUrls;
use serde_json::{Value, json};

fn bind(port: u16) -> (TcpListener, String) {
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

async fn call(method: &str, url: String, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut request = client().request(method.parse().unwrap(), url);
    if let Some(token) = token {
        request = request.insert_header(("authorization", format!("Bearer {token}")));
    }
    let mut res = match body {
        Some(body) => request.send_json(&body).await,
        None => request.send().await,
    }
    .unwrap();
    let body = res.body().await.unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// Polls `GET url` until `ok` accepts the answer.
async fn until(url: &str, token: Option<&str>, ok: impl Fn(u16, &Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = call("GET", url.to_owned(), token, None).await;
        if ok(status, &body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{url}: still {status} {body}");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_service_down_is_a_502_for_its_routes_only_and_the_stack_recovers() {
    let dbs = [
        TestDatabase::sqlite(),
        TestDatabase::sqlite(),
        TestDatabase::sqlite(),
    ];
    // One key for the three, as the launcher gives them.
    let auth = AuthSettings::from_env().unwrap();
    let (items_listener, items_url) = bind(0);
    let (users_listener, users_url) = bind(0);
    let (orders_listener, orders_url) = bind(0);
    let mut items_config = items::Config::from_env().unwrap();
    items_config.database = dbs[1].settings();
    items_config.auth = auth.clone();
    let mut users_config = users::Config::from_env().unwrap();
    users_config.database = dbs[0].settings();
    users_config.auth = auth.clone();
    users_config.items_url = items_url.clone();
    let mut orders_config = orders::Config::from_env().unwrap();
    orders_config.database = dbs[2].settings();
    orders_config.auth = auth;
    orders_config.items_url = items_url.clone();
    orders_config.amqp = None;
    let _items =
        TestServer::start_on(items::build(items_config).await.unwrap(), items_listener).await;
    let _users =
        TestServer::start_on(users::build(users_config).await.unwrap(), users_listener).await;
    let orders = TestServer::start_on(
        orders::build(orders_config.clone()).await.unwrap(),
        orders_listener,
    )
    .await;
    let mut urls = ServiceUrls::default();
    urls.insert("users", users_url);
    urls.insert("items", items_url);
    urls.insert("orders", orders_url.clone());
    let gw = start(gateway::gateway(
        &urls,
        Duration::from_secs(5),
        Duration::from_secs(10),
    ));
    let base = gw.url.clone();
    until(&format!("{base}/readyz"), None, |s, _| s == 200).await;

    let user =
        json!({"username": "linus", "email": "linus@example.com", "password": "kernel hacker"});
    assert_eq!(
        call("POST", format!("{base}/users/"), None, Some(user))
            .await
            .0,
        201
    );
    let mut res = client()
        .post(format!("{base}/token"))
        .send_form(&[("username", "linus"), ("password", "kernel hacker")])
        .await
        .unwrap();
    let token: Value = res.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let item = json!({"name": "Keyboard", "price": 50.0, "stock": 10});
    let (status, item) = call("POST", format!("{base}/items/"), None, Some(item)).await;
    assert_eq!(status, 201);
    let order = json!({"item_id": item["id"], "quantity": 1});
    let (status, _) = call(
        "POST",
        format!("{base}/orders/"),
        Some(&token),
        Some(order.clone()),
    )
    .await;
    assert_eq!(status, 201);
    let (_, doc) = call("GET", format!("{base}/openapi.json"), None, None).await;
    assert_eq!(doc["x-services"]["orders"]["status"], "current");

    // Orders goes down.
    orders.stop().await;
    let (status, body) = call(
        "POST",
        format!("{base}/orders/"),
        Some(&token),
        Some(order.clone()),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            502,
            json!({"detail": "orders service unavailable", "service": "orders"})
        )
    );
    let (status, _) = call("GET", format!("{base}/admin/jobs/"), Some(&token), None).await;
    assert_eq!(status, 502, "orders' subtree of /admin");
    let (status, _) = call("GET", format!("{base}/items/"), None, None).await;
    assert_eq!(status, 200, "items keeps working");
    let (status, me) = call("GET", format!("{base}/users/me"), Some(&token), None).await;
    assert_eq!(
        (status, &me["username"]),
        (200, &json!("linus")),
        "users keeps working"
    );
    let (status, ready) = call("GET", format!("{base}/readyz"), None, None).await;
    assert_eq!(status, 503);
    assert_eq!(ready["detail"]["unavailable"], json!(["orders"]));
    assert_eq!(ready["detail"]["services"]["items"]["status"], "ready");

    // It comes back on its address: the gateway needs nothing to follow.
    let port = orders_url.rsplit(':').next().unwrap().parse().unwrap();
    let (listener, _) = bind(port);
    let _orders = TestServer::start_on(orders::build(orders_config).await.unwrap(), listener).await;
    until(&format!("{base}/readyz"), None, |s, _| s == 200).await;
    let (status, placed) = call("POST", format!("{base}/orders/"), Some(&token), Some(order)).await;
    assert_eq!(status, 201, "{placed}");
    let confirmed = until(
        &format!("{base}/orders/{}", placed["id"]),
        Some(&token),
        |s, b| s == 200 && b["status"] == "confirmed",
    )
    .await;
    assert_eq!(confirmed["quantity"], 1);
    let (_, item) = call("GET", format!("{base}/items/{}", item["id"]), None, None).await;
    assert_eq!(item["stock"], 8, "two orders, no unit lost in the outage");
}
