//! Orders when the items service fails them: down is a 502 and takes nothing, too
//! slow is a 504 whose reservation is released behind it; and the service as
//! `build` starts it, next to an items service `build` started, both on sockets.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{HttpRequest, HttpResponse, web};
use apiarist::{
    auth::{AuthSettings, SigningKey, ThrottleConfig, TokenConfig},
    client::ServiceClient,
    events::EventBus,
    jobs::MemoryBroker,
    testing::{TestClient, TestServer, unused_url},
};
use common::{SECRET, auth, fresh, items_client, token};
use orders::StockPort;
use serde_json::{Value, json};

async fn orders_app(stock: StockPort) -> (TestClient, apiarist::db::testing::TestDatabase) {
    let tdb = fresh();
    let db = tdb.connect::<orders::Migrator>().await;
    let events = EventBus::in_process();
    let background =
        orders::start_background(db.clone(), Arc::new(MemoryBroker::new()), events.clone());
    let app = orders::app(db, auth(), stock, background.queue, events);
    (TestClient::new(app).await, tdb)
}

async fn order(client: &TestClient) -> (u16, Value) {
    let res = client
        .post("/orders/")
        .header("authorization", &token("7", &[]))
        .json(&json!({"item_id": 1, "quantity": 1}))
        .send()
        .await;
    (res.status(), res.json())
}

#[actix_web::test]
async fn an_order_is_502_naming_items_while_it_is_down_and_stores_nothing() {
    let stock = StockPort::http(items_client(&unused_url(), Duration::from_secs(5)));
    let (client, _tdb) = orders_app(stock).await;
    assert_eq!(
        order(&client).await,
        (502, json!({"detail": "items service unavailable"}))
    );
    let res = client
        .get("/orders/1")
        .header("authorization", &token("7", &[]))
        .send()
        .await;
    assert_eq!(res.status(), 404, "no order was stored");
}

/// Calls the fake items service saw: `(method, path)`.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// An items service that takes 2 s to reserve and releases at once.
fn serve_slow_items(seen: Seen) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = actix_web::HttpServer::new(move || {
        let seen = seen.clone();
        actix_web::App::new().default_service(web::to(move |req: HttpRequest| {
            let seen = seen.clone();
            async move {
                let call = (req.method().to_string(), req.path().to_owned());
                seen.lock().unwrap().push(call);
                if req.method() == "PUT" {
                    actix_web::rt::time::sleep(Duration::from_secs(2)).await;
                }
                HttpResponse::NoContent().finish()
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    format!("http://127.0.0.1:{port}")
}

#[actix_web::test]
async fn an_order_is_504_naming_items_when_it_is_too_slow_and_the_reservation_is_released() {
    let seen = Seen::default();
    let url = serve_slow_items(seen.clone());
    let stock = StockPort::http(items_client(&url, Duration::from_millis(300)));
    let (client, _tdb) = orders_app(stock).await;
    let started = std::time::Instant::now();
    assert_eq!(
        order(&client).await,
        (
            504,
            json!({"detail": "items service timed out after 300ms"})
        )
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the order did not wait"
    );

    // The reservation may have happened: its id is released behind the answer.
    let mut calls = Vec::new();
    for _ in 0..100 {
        calls = seen.lock().unwrap().clone();
        if calls.len() == 2 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(calls.len(), 2, "{calls:?}");
    let (put, delete) = (&calls[0], &calls[1]);
    assert_eq!(put.0, "PUT");
    assert_eq!(delete.0, "DELETE");
    assert_eq!(put.1, delete.1, "the same reservation id");
    assert!(put.1.starts_with("/internal/reservations/"), "{put:?}");
}

fn shared_auth() -> AuthSettings {
    AuthSettings {
        key: SigningKey::hs256(SECRET).unwrap(),
        tokens: TokenConfig::default(),
        throttle: ThrottleConfig::default(),
        admin: None,
        ephemeral_secret: false,
    }
}

#[actix_web::test]
async fn build_starts_orders_that_reserve_in_an_items_service_build_started() {
    let (items_tdb, orders_tdb) = (fresh(), fresh());
    let items_config = items::Config {
        database: items_tdb.settings(),
        auth: shared_auth(),
        files: items::Files::default(),
    };
    let items_server = TestServer::start(items::build(items_config).await.unwrap()).await;
    let items_url = items_server.url("");
    let config = orders::Config {
        database: orders_tdb.settings(),
        auth: shared_auth(),
        items_url: items_url.clone(),
        items_timeout: Duration::from_secs(5),
        amqp: None,
        embedded_worker: true,
    };
    let client = TestClient::new(orders::build(config).await.unwrap()).await;
    assert_eq!(client.get("/healthz").send().await.status(), 200);
    let mut ready = (0, Value::Null);
    for _ in 0..100 {
        let res = client.get("/readyz").send().await;
        ready = (res.status(), res.json());
        if ready.0 == 200 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ready.0, 200, "{}", ready.1);
    assert_eq!(ready.1["checks"]["jobs"], "broker");

    // An item, created through the items service's own API.
    let created: Value = ServiceClient::new("items", &items_url)
        .post(
            "/items/",
            &json!({"name": "Engine", "price": 100.0, "stock": 2}),
        )
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let place = |quantity: i64| {
        let client = &client;
        async move {
            let res = client
                .post("/orders/")
                .header("authorization", &token("7", &[]))
                .json(&json!({"item_id": id, "quantity": quantity}))
                .send()
                .await;
            (res.status(), res.json::<Value>())
        }
    };
    let (status, body) = place(2).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = place(1).await;
    assert_eq!(
        (status, body),
        (
            409,
            json!({"error": "insufficient_stock", "detail": format!("Item {id}: requested 1, only 0 available")})
        )
    );
}
