//! The event bus in-process always, and on RabbitMQ when `AMQP_URL` is set (each
//! test in a namespace of its own, its exchanges deleted at the end; with `CI=true`
//! and no `AMQP_URL` the RabbitMQ tests fail instead of being skipped). Two buses on
//! RabbitMQ are two connections, as two processes would have.

use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::{Event, EventBus, EventStream, asyncapi};
use crate::jobs::AmqpSettings;

/// An order moved on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
struct StatusChanged {
    order_id: i64,
    status: Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Status {
    Pending,
    Confirmed,
}

impl Event for StatusChanged {
    const NAME: &'static str = "test.status_changed";
}

/// Another event type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
struct StockChanged {
    item_id: i64,
}

impl Event for StockChanged {
    const NAME: &'static str = "test.stock_changed";
}

/// An older version of `StatusChanged`, under the same name, that current
/// subscribers cannot read.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
struct StatusChangedV0 {
    order: String,
}

impl Event for StatusChangedV0 {
    const NAME: &'static str = "test.status_changed";
}

fn changed(order_id: i64, status: Status) -> StatusChanged {
    StatusChanged { order_id, status }
}

async fn next<E: Event>(stream: &mut EventStream<E>) -> E {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an event within 5 s")
        .expect("the stream is open")
}

async fn nothing_more<E: Event + std::fmt::Debug>(stream: &mut EventStream<E>) {
    let more = tokio::time::timeout(Duration::from_millis(300), stream.next()).await;
    assert!(more.is_err(), "no further event, got {more:?}");
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// `AMQP_URL` in a fresh namespace with quick reconnects, or `None` (a note).
fn amqp_settings() -> Option<AmqpSettings> {
    let Some(mut settings) = AmqpSettings::from_env() else {
        assert!(
            !is_ci(),
            "CI is set but AMQP_URL is not: the RabbitMQ event tests would be skipped"
        );
        eprintln!("note: AMQP_URL is not set; skipping the RabbitMQ event bus tests");
        return None;
    };
    settings.namespace = format!("apiarist-test-{}.", uuid::Uuid::new_v4().simple());
    settings.reconnect_initial = Duration::from_millis(50);
    settings.reconnect_max = Duration::from_millis(500);
    Some(settings)
}

/// Deletes the exchanges of the test's event types and closes the connection.
async fn finish(bus: &EventBus) {
    for deleted in [
        bus.delete::<StatusChanged>().await,
        bus.delete::<StockChanged>().await,
    ] {
        if let Err(error) = deleted {
            eprintln!("warning: could not delete a test exchange: {error}");
        }
    }
    bus.close().await;
}

/// What every backend must do, with `a` and `b` on the same bus (one process, or
/// two processes on one broker).
async fn delivers_typed_events_to_every_subscriber(a: &EventBus, b: &EventBus) {
    let label = a.backend();
    let mut first = a.subscribe::<StatusChanged>().await.unwrap();
    let mut second = b.subscribe::<StatusChanged>().await.unwrap();
    let mut stock = a.subscribe::<StockChanged>().await.unwrap();
    b.publish(&changed(7, Status::Pending)).await.unwrap();
    a.publish(&changed(7, Status::Confirmed)).await.unwrap();
    for stream in [&mut first, &mut second] {
        assert_eq!(next(stream).await, changed(7, Status::Pending), "{label}");
        assert_eq!(next(stream).await, changed(7, Status::Confirmed), "{label}");
    }
    nothing_more(&mut stock).await;
    // A payload the subscriber cannot read is skipped, the stream goes on.
    b.publish(&StatusChangedV0 { order: "8".into() })
        .await
        .unwrap();
    b.publish(&changed(8, Status::Pending)).await.unwrap();
    assert_eq!(
        next(&mut first).await,
        changed(8, Status::Pending),
        "{label}"
    );
    a.publish(&StockChanged { item_id: 3 }).await.unwrap();
    assert_eq!(
        next(&mut stock).await,
        StockChanged { item_id: 3 },
        "{label}"
    );
    // Dropped subscribers are no obstacle to publishing.
    drop((first, second, stock));
    a.publish(&changed(9, Status::Pending)).await.unwrap();
}

#[actix_rt::test]
async fn in_process_events_reach_every_subscriber_of_their_type() {
    let bus = EventBus::in_process();
    delivers_typed_events_to_every_subscriber(&bus, &bus.clone()).await;
}

#[actix_rt::test]
async fn in_process_events_published_before_subscribing_are_not_heard() {
    let bus = EventBus::in_process();
    bus.publish(&changed(1, Status::Pending)).await.unwrap();
    let mut late = bus.subscribe::<StatusChanged>().await.unwrap();
    nothing_more(&mut late).await;
}

#[actix_rt::test]
async fn in_process_events_a_slow_subscriber_skips_the_oldest() {
    let bus = EventBus::in_process();
    let mut slow = bus.subscribe::<StatusChanged>().await.unwrap();
    let total = super::SUBSCRIBER_BUFFER as i64 + 10;
    for id in 0..total {
        bus.publish(&changed(id, Status::Pending)).await.unwrap();
    }
    assert_eq!(next(&mut slow).await, changed(10, Status::Pending));
}

#[actix_rt::test]
async fn rabbitmq_events_cross_connections_and_namespaces_stay_apart() {
    let Some(settings) = amqp_settings() else {
        return;
    };
    let a = EventBus::amqp(settings.clone());
    let b = EventBus::amqp(settings.clone());
    assert_eq!(a.backend(), "rabbitmq");
    a.ready().await.unwrap();
    let other = amqp_settings().unwrap();
    let elsewhere = EventBus::amqp(other);
    let mut unrelated = elsewhere.subscribe::<StatusChanged>().await.unwrap();
    delivers_typed_events_to_every_subscriber(&a, &b).await;
    nothing_more(&mut unrelated).await;
    finish(&elsewhere).await;
    finish(&b).await;
    finish(&a).await;
}

#[actix_rt::test]
async fn rabbitmq_events_subscriptions_come_back_after_a_lost_connection() {
    let Some(settings) = amqp_settings() else {
        return;
    };
    let subscriber = EventBus::amqp(settings.clone());
    let publisher = EventBus::amqp(settings);
    let mut events = subscriber.subscribe::<StatusChanged>().await.unwrap();
    publisher
        .publish(&changed(1, Status::Pending))
        .await
        .unwrap();
    assert_eq!(next(&mut events).await, changed(1, Status::Pending));

    // The subscriber's connection goes; it reconnects and binds a new queue. Events
    // published in the gap may be lost, so publish until one arrives.
    subscriber.close().await;
    let mut heard = None;
    for id in 2..100 {
        publisher
            .publish(&changed(id, Status::Confirmed))
            .await
            .unwrap();
        if let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(100), events.next()).await
        {
            heard = Some(event);
            break;
        }
    }
    let heard = heard.expect("events flow again after the reconnect");
    assert_eq!(heard.status, Status::Confirmed);
    // And new subscriptions work on the new connection.
    let mut fresh = subscriber.subscribe::<StatusChanged>().await.unwrap();
    publisher
        .publish(&changed(500, Status::Pending))
        .await
        .unwrap();
    assert_eq!(next(&mut fresh).await, changed(500, Status::Pending));
    finish(&publisher).await;
    finish(&subscriber).await;
}

#[actix_rt::test]
async fn rabbitmq_events_an_exchange_deleted_behind_a_publisher_s_back_is_declared_again() {
    let Some(settings) = amqp_settings() else {
        return;
    };
    let publisher = EventBus::amqp(settings.clone());
    let operator = EventBus::amqp(settings);
    publisher
        .publish(&changed(1, Status::Pending))
        .await
        .unwrap();
    operator.delete::<StatusChanged>().await.unwrap();
    // The first publish may fail (the exchange is gone); the next declares it anew.
    let _ = publisher.publish(&changed(2, Status::Pending)).await;
    let mut events = operator.subscribe::<StatusChanged>().await.unwrap();
    publisher
        .publish(&changed(3, Status::Pending))
        .await
        .unwrap();
    assert_eq!(next(&mut events).await, changed(3, Status::Pending));
    finish(&operator).await;
    finish(&publisher).await;
}

#[actix_rt::test]
async fn events_on_an_unreachable_broker_fail_quickly() {
    let mut settings = AmqpSettings::new("amqp://guest:guest@127.0.0.1:1/%2f");
    settings.publish_timeout = Duration::from_millis(300);
    settings.connect_timeout = Duration::from_millis(200);
    let bus = EventBus::amqp(settings);
    let published = bus.publish(&changed(1, Status::Pending)).await;
    assert!(
        matches!(published, Err(super::EventError::Unavailable(_))),
        "{published:?}"
    );
    let subscribed = bus.subscribe::<StatusChanged>().await;
    assert!(subscribed.is_err());
    let error = crate::HttpError::from(subscribed.unwrap_err());
    assert_eq!(error.status(), 503);
}

#[test]
fn events_are_documented_in_asyncapi_beside_the_jobs() {
    let bus = EventBus::in_process()
        .register::<StatusChanged>()
        .register::<StatusChanged>()
        .register::<StockChanged>();
    assert_eq!(bus.catalog().events().len(), 2);
    let mut doc = serde_json::json!({
        "asyncapi": "3.0.0",
        "info": {"title": "t", "version": "1", "description": "Jobs."},
        "channels": {"orders.confirm": {}},
        "operations": {},
        "components": {"messages": {}, "schemas": {"JobHeaders": {}}}
    });
    asyncapi::add_events(&mut doc, bus.catalog());
    assert!(doc["channels"]["orders.confirm"].is_object(), "jobs stay");
    let channel = &doc["channels"]["events.test.status_changed"];
    assert_eq!(channel["bindings"]["amqp"]["exchange"]["type"], "fanout");
    let payload = &doc["components"]["messages"]["StatusChanged"]["payload"];
    assert_eq!(
        payload["properties"]["status"]["$ref"],
        "#/components/schemas/Status"
    );
    assert!(doc["components"]["schemas"]["Status"]["enum"].is_array());
    assert!(doc["components"]["schemas"]["JobHeaders"].is_object());
    assert_eq!(
        doc["operations"]["publish.test.stock_changed"]["action"],
        "send"
    );
    assert_eq!(
        doc["operations"]["subscribe.test.stock_changed"]["action"],
        "receive"
    );
    assert!(
        doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains("Domain events")
    );
}
