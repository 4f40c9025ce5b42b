//! Placing and reading orders over HTTP, with stock reserved in a real items service
//! on a loopback socket through the HTTP stock port: reserved atomically (no
//! oversell under concurrency), released when the order cannot be written, the
//! seed's 409 body through the exception handler, and owner-only reads.

mod common;

use std::{sync::Arc, time::Duration};

use actix::{Actor, Addr};
use apiarist::{
    db::{Database, DbSettings, testing::TestDatabase},
    events::EventBus,
    jobs::{AmqpBroker, AmqpSettings, Broker, JobQueue, MemoryBroker},
    testing::{TestClient, TestServer},
};
use common::{auth, fresh, stock_port, token};
use orders::OrdersActor;
use serde_json::{Value, json};
use shared_models::{
    items::ItemCreate,
    orders::{ConfirmOrder, NotifyOrder},
};

struct Env {
    client: TestClient,
    items: Database,
    orders: Database,
    _items_server: TestServer,
    _dbs: (TestDatabase, TestDatabase),
}

async fn env_with_orders_db(orders: Database, orders_tdb: TestDatabase) -> Env {
    let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new());
    env_on(orders, orders_tdb, broker).await.0
}

/// The orders app on `orders`, reserving stock in an items service served on a
/// socket (its own database), through the HTTP stock port.
async fn env_on(
    orders: Database,
    orders_tdb: TestDatabase,
    broker: Arc<dyn Broker>,
) -> (Env, orders::Background) {
    let items_tdb = fresh();
    let items = items_tdb.connect::<items::Migrator>().await;
    let items_server = TestServer::start(items::app(items.clone(), auth())).await;
    let items_url = items_server.url("");
    let events = EventBus::in_process();
    let background = orders::start_background(orders.clone(), broker, events.clone());
    let queue: JobQueue = background.queue.clone();
    let app = orders::app(
        orders.clone(),
        auth(),
        stock_port(&items_url),
        queue,
        events,
    );
    let env = Env {
        client: TestClient::new(app).await,
        items,
        orders,
        _items_server: items_server,
        _dbs: (items_tdb, orders_tdb),
    };
    (env, background)
}

async fn env() -> Env {
    let orders_tdb = fresh();
    let orders = orders_tdb.connect::<orders::Migrator>().await;
    env_with_orders_db(orders, orders_tdb).await
}

async fn item_with_stock(env: &Env, stock: i64) -> i64 {
    let conn = env.items.conn().await.unwrap();
    let item = ItemCreate {
        name: "Widget".into(),
        description: None,
        price: 2.0,
        tax: None,
        tags: vec![],
        stock,
    };
    i64::from(items::models::create(&conn, item).await.unwrap().id)
}

async fn stock_of(env: &Env, id: i64) -> i64 {
    let conn = env.items.conn().await.unwrap();
    items::models::find(&conn, id).await.unwrap().unwrap().stock
}

async fn order(env: &Env, who: &str, item_id: i64, quantity: i64) -> (u16, Value) {
    let res = env
        .client
        .post("/orders/")
        .header("authorization", &token(who, &[]))
        .json(&json!({"item_id": item_id, "quantity": quantity}))
        .send()
        .await;
    (res.status(), res.json())
}

#[actix_web::test]
async fn an_order_reserves_stock_and_is_pending() {
    let env = env().await;
    let item = item_with_stock(&env, 5).await;
    let (status, body) = order(&env, "7", item, 2).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["item_id"], item);
    assert_eq!(body["quantity"], 2);
    assert_eq!(body["owner"], "7");
    assert_eq!(stock_of(&env, item).await, 3);
}

#[actix_web::test]
async fn unknown_items_are_404_and_short_stock_is_the_seed_s_409() {
    let env = env().await;
    let item = item_with_stock(&env, 3).await;
    let (status, body) = order(&env, "7", 9999, 1).await;
    assert_eq!(
        (status, body),
        (404, json!({"detail": "Item 9999 not found"}))
    );
    let (status, body) = order(&env, "7", item, 4).await;
    assert_eq!(
        (status, body),
        (
            409,
            json!({"error": "insufficient_stock", "detail": format!("Item {item}: requested 4, only 3 available")})
        )
    );
    assert_eq!(
        stock_of(&env, item).await,
        3,
        "a refused order takes nothing"
    );
    let (status, _) = order(&env, "7", item, 0).await;
    assert_eq!(status, 422);
    let res = env
        .client
        .post("/orders/")
        .json(&json!({"item_id": item, "quantity": 1}))
        .send()
        .await;
    assert_eq!(res.status(), 401);
}

#[actix_web::test]
async fn fifty_concurrent_orders_of_one_on_stock_five_sell_exactly_five() {
    let env = env().await;
    let item = item_with_stock(&env, 5).await;
    let attempts = (0..50).map(|i| {
        let env = &env;
        async move { order(env, &format!("buyer-{i}"), item, 1).await.0 }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let sold = statuses.iter().filter(|s| **s == 201).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((sold, refused), (5, 45), "{statuses:?}");
    assert_eq!(stock_of(&env, item).await, 0);
}

#[actix_web::test]
async fn stock_is_released_when_the_order_cannot_be_written() {
    let mut unreachable = DbSettings::new("postgres://postgres@127.0.0.1:1/none");
    unreachable.connect_attempts = 1;
    let orders = Database::start::<orders::Migrator>(unreachable);
    let env = env_with_orders_db(orders, TestDatabase::sqlite()).await;
    let item = item_with_stock(&env, 5).await;
    let (status, body) = order(&env, "7", item, 2).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        stock_of(&env, item).await,
        5,
        "the reservation was compensated"
    );
}

#[actix_web::test]
async fn owners_and_admins_read_an_order_others_get_404() {
    let env = env().await;
    let item = item_with_stock(&env, 5).await;
    let (_, body) = order(&env, "7", item, 1).await;
    let id = body["id"].as_i64().unwrap();
    let read = |who: String| {
        let client = &env.client;
        async move {
            let res = client
                .get(&format!("/orders/{id}"))
                .header("authorization", &who)
                .send()
                .await;
            (res.status(), res.json::<Value>())
        }
    };
    let (status, mine) = read(token("7", &[])).await;
    assert_eq!((status, mine["id"].as_i64()), (200, Some(id)));
    assert_eq!(mine["owner"], "7");
    let (status, theirs) = read(token("8", &[])).await;
    assert_eq!(
        (status, theirs),
        (404, json!({"detail": format!("Order {id} not found")}))
    );
    let (status, admin) = read(token("root", &["admin"])).await;
    assert_eq!((status, admin["id"].as_i64()), (200, Some(id)));
}

#[actix_web::test]
async fn the_jobs_handlers_confirm_once_and_notify_once() {
    let env = env().await;
    let item = item_with_stock(&env, 5).await;
    let (_, body) = order(&env, "7", item, 1).await;
    let id = body["id"].as_i64().unwrap();
    let queue = JobQueue::new(Arc::new(MemoryBroker::new()));
    let actor: Addr<OrdersActor> =
        OrdersActor::new(env.orders.clone(), queue, EventBus::in_process()).start();
    for _ in 0..2 {
        actor
            .send(ConfirmOrder { order_id: id })
            .await
            .unwrap()
            .unwrap();
        let event = NotifyOrder {
            order_id: id,
            event: "confirmed".into(),
        };
        actor.send(event).await.unwrap().unwrap();
    }
    let res = env
        .client
        .get(&format!("/orders/{id}"))
        .header("authorization", &token("7", &[]))
        .send()
        .await;
    assert_eq!(res.json::<Value>()["status"], "confirmed");
    let conn = env.orders.conn().await.unwrap();
    let notes = orders::models::notifications(&conn, id).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].message, format!("Order #{id}: confirmed"));
}

/// The brokers to run the job flow on: in-process always, RabbitMQ (in a namespace of
/// its own) when `AMQP_URL` is set.
fn brokers() -> Vec<(Arc<dyn Broker>, Option<AmqpBroker>)> {
    let mut all: Vec<(Arc<dyn Broker>, Option<AmqpBroker>)> =
        vec![(Arc::new(MemoryBroker::new()), None)];
    match AmqpSettings::from_env() {
        Some(mut settings) => {
            settings.namespace = format!("orders-test-{}.", uuid_suffix());
            let amqp = AmqpBroker::new(settings);
            all.push((Arc::new(amqp.clone()), Some(amqp)));
        }
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI needs AMQP_URL for the RabbitMQ job tests")
        }
        None => eprintln!("AMQP_URL not set: RabbitMQ job flow skipped"),
    }
    all
}

fn uuid_suffix() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[actix_web::test]
async fn a_placed_order_is_confirmed_by_its_job_and_notified_once() {
    for (broker, amqp) in brokers() {
        let orders_tdb = fresh();
        let orders_db = orders_tdb.connect::<orders::Migrator>().await;
        let (env, background) = env_on(orders_db, orders_tdb, broker.clone()).await;
        let item = item_with_stock(&env, 5).await;
        let (status, body) = order(&env, "7", item, 1).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "pending");
        let id = body["id"].as_i64().unwrap();
        let mut status = Value::Null;
        for _ in 0..200 {
            let res = env
                .client
                .get(&format!("/orders/{id}"))
                .header("authorization", &token("7", &[]))
                .send()
                .await;
            status = res.json::<Value>()["status"].clone();
            if status == "confirmed" {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(status, "confirmed", "{broker:?}");
        let conn = env.orders.conn().await.unwrap();
        let mut notes = Vec::new();
        for _ in 0..200 {
            notes = orders::models::notifications(&conn, id).await.unwrap();
            if !notes.is_empty() {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(notes.len(), 1, "{broker:?}");
        assert_eq!(
            apiarist::jobs::outbox::pending(&conn).await.unwrap(),
            0,
            "everything staged was published"
        );
        background.shutdown(Duration::from_secs(5)).await;
        if let Some(amqp) = amqp {
            for name in ["orders.confirm", "orders.notify"] {
                amqp.delete(name).await.unwrap();
            }
            amqp.close().await;
        }
    }
}
