//! What only the RabbitMQ broker has: messages on the wire, reconnects.

use std::{process::Command, time::Duration};

use actix::Actor;

use lapin::{
    Connection, ConnectionProperties,
    options::BasicGetOptions,
    types::{AMQPValue, FieldTable},
};
use tokio::time::Instant;

use super::{
    TestBroker,
    actors::{Log, Recorder, Work},
    eventually, wait_stats,
};
use crate::jobs::{
    AmqpBroker, AmqpSettings, Broker, EnqueueOptions, Job, JobQueue, TraceContext, Worker,
};

fn header(headers: &FieldTable, key: &str) -> Option<String> {
    match headers.inner().get(key)? {
        AMQPValue::LongString(s) => Some(s.to_string()),
        other => Some(format!("{other:?}")),
    }
}

#[actix_rt::test]
async fn amqp_messages_are_the_payload_with_ids_and_trace_in_properties() {
    let Some(tb) = TestBroker::amqp() else { return };
    let amqp = tb.amqp.clone().unwrap();
    let options = EnqueueOptions {
        priority: Some(7),
        trace: Some(TraceContext {
            traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
            request_id: Some("req-42".into()),
        }),
        ..EnqueueOptions::default()
    };
    let sent = tb
        .jobs()
        .enqueue_with(Work { n: 1 }, options)
        .await
        .unwrap();

    let conn = Connection::connect(&amqp.settings().url, ConnectionProperties::default())
        .await
        .unwrap();
    let channel = conn.create_channel().await.unwrap();
    let message = channel
        .basic_get(
            amqp.queue_name(Work::NAME).as_str().into(),
            BasicGetOptions { no_ack: true },
        )
        .await
        .unwrap()
        .expect("the job is in its work queue");
    let props = &message.delivery.properties;
    assert_eq!(*props.delivery_mode(), Some(2), "persistent");
    assert_eq!(*props.priority(), Some(7));
    assert_eq!(
        props.content_type().as_ref().map(|s| s.as_str()),
        Some("application/json")
    );
    let headers = props.headers().clone().unwrap_or_default();
    assert_eq!(
        props.message_id().as_ref().map(|id| id.to_string()),
        Some(sent.id.to_string())
    );
    assert_eq!(props.kind().as_ref().map(|k| k.as_str()), Some(Work::NAME));
    assert_eq!(header(&headers, "x-request-id").as_deref(), Some("req-42"));
    assert_eq!(
        header(&headers, "traceparent").as_deref(),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    );
    // The body is the payload alone: what any producer would publish.
    let body: serde_json::Value = serde_json::from_slice(&message.delivery.data).unwrap();
    assert_eq!(body, serde_json::json!({"n": 1}));
    let _ = conn.close(200, "OK".into()).await;
    tb.finish::<Work>().await;
}

/// Closes the broker's connection from RabbitMQ's side (`rabbitmqctl`), or from
/// ours if `rabbitmqctl` cannot do it.
fn force_close(amqp: &AmqpBroker) -> &'static str {
    let listed = Command::new("rabbitmqctl")
        .args([
            "list_connections",
            "pid",
            "client_properties",
            "-q",
            "--no-table-headers",
        ])
        .output();
    let pid = listed.ok().and_then(|out| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find(|line| line.contains(amqp.connection_name()))
            .and_then(|line| line.split_whitespace().next().map(str::to_owned))
    });
    if let Some(pid) = pid {
        let closed = Command::new("rabbitmqctl")
            .args(["close_connection", &pid, "apiarist test: forced close"])
            .output();
        if closed.is_ok_and(|out| out.status.success()) {
            return "broker";
        }
    }
    eprintln!("note: rabbitmqctl could not close the connection; closing it from the client");
    "client"
}

#[actix_rt::test]
async fn amqp_publisher_and_consumer_recover_after_the_connection_is_closed() {
    let Some(tb) = TestBroker::amqp() else { return };
    let amqp = tb.amqp.clone().unwrap();
    let log = Log::new();
    let worker = Worker::new(tb.broker.clone())
        .handle::<Work, _>(Recorder { log: log.clone() }.start())
        .start();
    let jobs = tb.jobs();
    jobs.enqueue(Work { n: 1 }).await.unwrap();
    log.wait_runs(1).await;

    if force_close(&amqp) == "client" {
        amqp.close().await;
    }
    // Publishing fails (retryably) until the link is back, then works: same broker.
    let t0 = Instant::now();
    let errors = std::cell::RefCell::new(Vec::new());
    eventually(
        Duration::from_secs(20),
        "an enqueue succeeds again",
        || async {
            match jobs.enqueue(Work { n: 2 }).await {
                Ok(_) => true,
                Err(error) => {
                    errors.borrow_mut().push(error);
                    false
                }
            }
        },
    )
    .await;
    let errors = errors.into_inner();
    assert!(errors.iter().all(|e| e.is_retryable()), "{errors:?}");
    // And the worker's consumer came back without a restart.
    eventually(
        Duration::from_secs(20),
        "the job enqueued after the close ran",
        || async { log.ns().contains(&2) },
    )
    .await;
    eprintln!(
        "recovered in {:?}; failed enqueues meanwhile: {errors:?}",
        t0.elapsed()
    );
    tb.broker.ready().await.unwrap();
    wait_stats(&tb, Work::NAME, 0, 0).await;
    worker.shutdown(Duration::from_secs(5)).await;
    tb.finish::<Work>().await;
}

#[actix_rt::test]
async fn amqp_unreachable_broker_fails_fast_with_a_retryable_error() {
    // No RabbitMQ needed: nothing listens on port 1.
    let settings = AmqpSettings {
        connect_timeout: Duration::from_millis(300),
        publish_timeout: Duration::from_millis(800),
        ..AmqpSettings::new("amqp://guest:guest@127.0.0.1:1/%2f")
    };
    let broker = AmqpBroker::new(settings);
    let jobs = JobQueue::new(std::sync::Arc::new(broker.clone()));
    let t0 = Instant::now();
    let error = jobs.enqueue(Work { n: 1 }).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    let error = broker.ready().await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert!(
        format!("{broker:?}").contains("guest:***@"),
        "password redacted"
    );
}
