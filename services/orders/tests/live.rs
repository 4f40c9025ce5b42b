//! The live order streams over real sockets: the orders app served on a loopback
//! port (`TestServer`) (stock reserved in a real items service), orders
//! placed over HTTP, their status changes read as WebSocket frames and as
//! Server-Sent Events. On the in-process bus always, and on RabbitMQ when `AMQP_URL`
//! is set: there also with the `ConfirmOrder` job run by a worker in another actix
//! system (as the worker process runs it), whose event must still reach the socket.

mod common;

use std::{sync::Arc, time::Duration};

use apiarist::{
    db::{Database, testing::TestDatabase},
    events::EventBus,
    jobs::{AmqpBroker, AmqpSettings, Broker, Job, MemoryBroker},
    testing::{SseClient, TestServer, WsClient},
};
use common::{auth, fresh, stock_port, token};
use orders::BackgroundOptions;
use serde_json::{Value, json};
use shared_models::{
    items::ItemCreate,
    orders::{ConfirmOrder, NotifyOrder, OrderStatusChanged},
};

/// The orders and items services on sockets, and what the test needs of them.
struct Stack {
    /// The orders service.
    server: TestServer,
    _items_server: TestServer,
    items: Database,
    background: orders::Background,
    _dbs: (TestDatabase, TestDatabase),
}

impl Stack {
    /// Everything in this process, on the in-process broker and bus.
    async fn in_process() -> Self {
        let tdb = fresh();
        let broker = Arc::new(MemoryBroker::new());
        Self::start(tdb, broker, EventBus::in_process(), false).await
    }

    async fn start(
        orders_tdb: TestDatabase,
        broker: Arc<dyn Broker>,
        events: EventBus,
        produce_only: bool,
    ) -> Self {
        let items_tdb = fresh();
        let items = items_tdb.connect::<items::Migrator>().await;
        let items_server = TestServer::start(items::app(items.clone(), auth())).await;
        let items_url = items_server.url("");
        let db = orders_tdb.connect::<orders::Migrator>().await;
        let options = BackgroundOptions {
            produce_only,
            ..BackgroundOptions::default()
        };
        let background = orders::start_background_with(db.clone(), broker, events.clone(), options);
        let app = orders::app(
            db,
            auth(),
            stock_port(&items_url),
            background.queue.clone(),
            events,
        );
        Self {
            server: TestServer::start(app).await,
            _items_server: items_server,
            items,
            background,
            _dbs: (items_tdb, orders_tdb),
        }
    }

    async fn item(&self) -> i64 {
        let conn = self.items.conn().await.unwrap();
        let item = ItemCreate {
            name: "Widget".into(),
            description: None,
            price: 2.0,
            tax: None,
            tags: vec![],
            stock: 100,
        };
        i64::from(items::models::create(&conn, item).await.unwrap().id)
    }

    /// Places an order of one `item` as `who`; its id.
    async fn order(&self, who: &str, item: i64) -> i64 {
        let mut res = awc::Client::new()
            .post(self.server.url("/orders/"))
            .insert_header(("authorization", token(who, &[])))
            .send_json(&json!({"item_id": item, "quantity": 1}))
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(res.status(), 201, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// `who`'s socket, authenticated with the `Authorization` header.
    async fn socket(&self, who: &str) -> WsClient {
        let bearer = token(who, &[]);
        self.server
            .ws("/ws/orders", &[("authorization", &bearer)])
            .await
    }

    /// `who`'s socket, authenticated with the `token` query parameter.
    async fn socket_by_query(&self, who: &str) -> WsClient {
        let bearer = token(who, &[]);
        let raw = bearer.trim_start_matches("Bearer ");
        self.server
            .ws(&format!("/ws/orders?token={raw}"), &[])
            .await
    }
}

/// How long a stream must stay quiet to show that nothing more comes.
const QUIET: Duration = Duration::from_millis(500);

/// What a browser's WebSocket handshake sends.
const HANDSHAKE: [(&str, &str); 4] = [
    ("Connection", "Upgrade"),
    ("Upgrade", "websocket"),
    ("Sec-WebSocket-Version", "13"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
];

fn update(order_id: i64, status: &str) -> Value {
    json!({"order_id": order_id, "status": status})
}

/// Reads `conn` until `order_id` is confirmed, checking it was pending first.
async fn pending_then_confirmed(conn: &mut WsClient, order_id: i64) {
    assert_eq!(conn.next_json::<Value>().await, update(order_id, "pending"));
    assert_eq!(
        conn.next_json::<Value>().await,
        update(order_id, "confirmed")
    );
}

async fn callers_see_their_own_orders_over_websockets(stack: &Stack) {
    let item = stack.item().await;
    let mut ann = stack.socket("ann").await;
    let mut bob = stack.socket_by_query("bob").await;
    let anns = stack.order("ann", item).await;
    pending_then_confirmed(&mut ann, anns).await;
    let bobs = stack.order("bob", item).await;
    pending_then_confirmed(&mut bob, bobs).await;
    ann.expect_silence(QUIET).await;
    bob.expect_silence(QUIET).await;
}

#[actix_web::test]
async fn a_websocket_streams_the_callers_order_status_changes_and_no_one_elses() {
    let stack = Stack::in_process().await;
    callers_see_their_own_orders_over_websockets(&stack).await;
}

#[actix_web::test]
async fn a_websocket_without_a_valid_token_is_401_before_the_upgrade() {
    let stack = Stack::in_process().await;
    for (target, headers, detail) in [
        ("/ws/orders", vec![], "Not authenticated"),
        ("/ws/orders?token=", vec![], "Not authenticated"),
        ("/ws/orders?token=nonsense", vec![], "Invalid token"),
        (
            "/ws/orders",
            vec![("Authorization", "Bearer nonsense")],
            "Invalid token",
        ),
    ] {
        let headers = [HANDSHAKE.as_slice(), &headers].concat();
        let raw = stack.server.raw_get(target, &headers).await;
        assert_eq!(raw.status(), 401, "{target} {headers:?}: {}", raw.head());
        assert_eq!(raw.json::<Value>(), json!({"detail": detail}), "{target}");
        assert_eq!(raw.header("www-authenticate"), Some("Bearer"));
        assert_eq!(raw.header("upgrade"), None, "never upgraded");
    }
}

#[actix_web::test]
async fn an_invalid_client_message_gets_an_error_frame_and_the_socket_stays_open() {
    let stack = Stack::in_process().await;
    let item = stack.item().await;
    let mut ann = stack.socket("ann").await;
    ann.send_text("{not json").await;
    let error: Value = ann.next_json().await;
    assert_eq!(error["detail"][0]["type"], "json_invalid", "{error}");
    assert_eq!(error["detail"][0]["loc"][0], "message", "{error}");
    ann.send_text(r#"{"hello": "any JSON is fine"}"#).await;
    let order = stack.order("ann", item).await;
    pending_then_confirmed(&mut ann, order).await;
}

#[actix_web::test]
async fn server_sent_events_stream_the_same_changes_and_resume_after_last_event_id() {
    let stack = Stack::in_process().await;
    let item = stack.item().await;
    let url = stack.server.url("/orders/events");
    let ann = token("ann", &[]);
    let mut stream = SseClient::open(&url, &[("authorization", &ann)]).await;
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    let raw = ann.trim_start_matches("Bearer ");
    let mut bobs = SseClient::open(
        &format!(
            "{url}?token={}",
            token("bob", &[]).trim_start_matches("Bearer ")
        ),
        &[],
    )
    .await;

    let first = stack.order("ann", item).await;
    let pending = stream.next_event().await;
    assert_eq!(pending.event.as_deref(), Some("order_status"));
    assert_eq!(pending.data, update(first, "pending"));
    let confirmed = stream.next_event().await;
    assert_eq!(confirmed.data, update(first, "confirmed"));
    let (pending_id, confirmed_id) = (pending.id.unwrap(), confirmed.id.unwrap());
    assert_ne!(pending_id, confirmed_id);
    bobs.expect_silence(QUIET).await;
    drop(stream);

    // Away after the first event: the replay brings the order's current status.
    let mut resumed = SseClient::open(
        &format!("{url}?token={raw}"),
        &[("last-event-id", &pending_id)],
    )
    .await;
    let replayed = resumed.next_event().await;
    assert_eq!(replayed.data, update(first, "confirmed"));
    assert_eq!(replayed.id.as_deref(), Some(confirmed_id.as_str()));
    // Then the live changes, each once.
    let second = stack.order("ann", item).await;
    assert_eq!(resumed.next_event().await.data, update(second, "pending"));
    assert_eq!(resumed.next_event().await.data, update(second, "confirmed"));
    resumed.expect_silence(QUIET).await;

    // Up to date already: nothing to replay; an id not of ours resumes nothing.
    for last in [confirmed_id.as_str(), "not-an-id"] {
        let mut quiet =
            SseClient::open(&url, &[("authorization", &ann), ("last-event-id", last)]).await;
        if last == "not-an-id" {
            quiet.expect_silence(QUIET).await;
            continue;
        }
        // After the first order's confirmation: the second order's current status.
        assert_eq!(quiet.next_event().await.data, update(second, "confirmed"));
        quiet.expect_silence(QUIET).await;
    }

    let unauthenticated = SseClient::open(&url, &[]).await;
    assert_eq!(unauthenticated.status(), 401);
}

#[actix_web::test]
async fn the_streams_are_documented_in_openapi_and_the_event_in_asyncapi() {
    let tdb = fresh();
    let db = tdb.connect::<orders::Migrator>().await;
    let events = EventBus::in_process();
    let background =
        orders::start_background(db.clone(), Arc::new(MemoryBroker::new()), events.clone());
    let stock = stock_port("http://127.0.0.1:9");
    let app = orders::app(db, auth(), stock, background.queue, events);
    let client = apiarist::testing::TestClient::new(app).await;

    let doc: Value = client.get("/openapi.json").send().await.json();
    let ws = &doc["paths"]["/ws/orders"]["get"];
    let socket = &ws["responses"]["101"]["x-websocket"];
    assert_eq!(
        socket["serverMessage"]["properties"]["status"]["$ref"], "#/components/schemas/OrderStatus",
        "{ws}"
    );
    assert!(ws["responses"]["401"].is_object(), "{ws}");
    let token = ws["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "token");
    assert!(token, "the token query parameter is documented: {ws}");
    let sse = &doc["paths"]["/orders/events"]["get"];
    assert!(
        sse["responses"]["200"]["content"]["text/event-stream"].is_object(),
        "{sse}"
    );
    let last = sse["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "Last-Event-ID");
    assert!(last, "{sse}");

    let asyncapi: Value = client.get("/asyncapi.json").send().await.json();
    let channel = &asyncapi["channels"]["events.orders.status_changed"];
    assert_eq!(
        channel["bindings"]["amqp"]["exchange"]["type"], "fanout",
        "{asyncapi}"
    );
    let payload = &asyncapi["components"]["messages"]["OrderStatusChanged"]["payload"];
    assert!(payload["properties"]["owner"].is_object(), "{payload}");
    assert!(
        asyncapi["channels"]["orders.confirm"].is_object(),
        "the jobs stay"
    );
}

/// RabbitMQ settings in a namespace of the test's own, or `None` (a note).
fn amqp_settings() -> Option<AmqpSettings> {
    let Some(mut settings) = AmqpSettings::from_env() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs AMQP_URL for the RabbitMQ stream tests"
        );
        eprintln!("note: AMQP_URL not set: the RabbitMQ stream tests are skipped");
        return None;
    };
    settings.namespace = format!("orders-live-{}.", uuid::Uuid::new_v4().simple());
    Some(settings)
}

/// Deletes the test's queues and exchange.
async fn clean_up(settings: AmqpSettings) {
    let broker = AmqpBroker::new(settings.clone());
    for name in [ConfirmOrder::NAME, NotifyOrder::NAME] {
        let _ = broker.delete(name).await;
    }
    let _ = EventBus::amqp(settings)
        .delete::<OrderStatusChanged>()
        .await;
    broker.close().await;
}

#[actix_web::test]
async fn rabbitmq_websockets_hear_a_confirmation_made_by_a_worker_in_another_actor_system() {
    let Some(settings) = amqp_settings() else {
        return;
    };
    let orders_tdb = fresh();
    let worker_db = orders_tdb.settings();
    // The worker: its own thread and actix system, its own connections, as the
    // worker process would have; it confirms the orders this API only stages.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let worker_settings = settings.clone();
    let worker = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let db = Database::connect::<orders::Migrator>(worker_db)
                .await
                .unwrap();
            let broker = Arc::new(AmqpBroker::new(worker_settings.clone()));
            let background = orders::start_background_with(
                db,
                broker,
                EventBus::amqp(worker_settings),
                BackgroundOptions::default(),
            );
            ready_tx.send(()).unwrap();
            let _ = stopped.await;
            background.shutdown(Duration::from_secs(5)).await;
        });
    });
    ready.recv_timeout(Duration::from_secs(30)).unwrap();

    let broker = Arc::new(AmqpBroker::new(settings.clone()));
    let events = EventBus::amqp(settings.clone());
    let stack = Stack::start(orders_tdb, broker, events, true).await;
    assert!(stack.background.worker.is_none(), "this API runs no jobs");
    callers_see_their_own_orders_over_websockets(&stack).await;

    stop.send(()).unwrap();
    worker.join().unwrap();
    clean_up(settings).await;
}

#[actix_web::test]
async fn rabbitmq_server_sent_events_stream_order_changes() {
    let Some(settings) = amqp_settings() else {
        return;
    };
    let broker = Arc::new(AmqpBroker::new(settings.clone()));
    let stack = Stack::start(fresh(), broker, EventBus::amqp(settings.clone()), false).await;
    let item = stack.item().await;
    let url = stack.server.url("/orders/events");
    let mut stream = SseClient::open(&url, &[("authorization", &token("ann", &[]))]).await;
    let order = stack.order("ann", item).await;
    assert_eq!(stream.next_event().await.data, update(order, "pending"));
    assert_eq!(stream.next_event().await.data, update(order, "confirmed"));
    stack.background.shutdown(Duration::from_secs(5)).await;
    clean_up(settings).await;
}
