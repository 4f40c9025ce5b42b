//! `jobs-lapin`: the hand-written baseline of the jobs benchmark, plain lapin.
//!
//! One connection; a publisher channel in confirm mode publishes `n` persistent
//! JSON messages `{"n": i}` to a durable queue of its own (through the default
//! exchange), `in_flight` of them awaiting their confirm at a time; a consumer
//! channel with `basic.qos(prefetch)` takes deliveries while fewer than
//! `concurrency` are being handled, and each one is handled in a task of its own
//! (decode the JSON body, as the worker does; then nothing) and acknowledged. With
//! `--concurrency 1` the consume loop handles and acks inline instead (the textbook
//! lapin loop). The clock runs from the first publish until the last ack is sent.
//! The queue is deleted afterwards.
//!
//! Two knobs for experiments (the benchmark uses neither), to tell what RabbitMQ
//! does more for apiarist's messages from what the framework does more in-process:
//! `--max-priority K` declares the queue with `x-max-priority K`, as apiarist's work
//! queues are with `AMQP_MAX_PRIORITY=K`; `--envelope 1` publishes what apiarist
//! publishes (the payload as body, its id, name and enqueue time in properties and
//! headers, through a direct exchange with `mandatory`).

use std::{process::ExitCode, sync::Arc, time::Duration, time::Instant};

use bench_jobs::{Done, Options, report, report_phases, run_id};
use futures_util::{StreamExt, TryStreamExt};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, Consumer,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
        ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
    },
    types::{AMQPValue, FieldTable},
};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

#[derive(Debug, Serialize, Deserialize)]
struct Noop {
    n: u64,
}

/// Where and how to publish.
#[derive(Debug, Clone, Copy)]
struct Wire<'a> {
    queue: &'a str,
    envelope: bool,
}

/// The direct exchange every RabbitMQ has, for `--envelope 1`.
const DIRECT: &str = "amq.direct";

#[actix_rt::main]
async fn main() -> ExitCode {
    let options = Options::from_args("jobs-lapin");
    let conn = match Connection::connect(&options.url, ConnectionProperties::default()).await {
        Ok(conn) => conn,
        Err(error) => {
            eprintln!("jobs-lapin: cannot reach RabbitMQ: {error}");
            return ExitCode::FAILURE;
        }
    };
    let queue = format!("bench.lapin.{}", run_id());
    let result = run(&options, &conn, &queue).await;
    let deleted = async {
        let channel = conn.create_channel().await?;
        channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await
    };
    if let Err(error) = deleted.await {
        eprintln!("jobs-lapin: could not delete queue {queue}: {error}");
    }
    let _ = conn.close(200, "OK".into()).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("jobs-lapin: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: &Options, conn: &Connection, queue: &str) -> Result<(), String> {
    let fail = |what: &'static str| move |e: lapin::Error| format!("{what}: {e}");
    let publisher = conn.create_channel().await.map_err(fail("channel"))?;
    publisher
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(fail("confirm_select"))?;
    let mut args = FieldTable::default();
    if options.max_priority > 0 {
        let max = i32::from(options.max_priority);
        args.insert("x-max-priority".into(), AMQPValue::LongInt(max));
    }
    publisher
        .queue_declare(queue.into(), QueueDeclareOptions::durable(), args)
        .await
        .map_err(fail("queue_declare"))?;
    let wire = Wire {
        queue,
        envelope: options.envelope,
    };
    if wire.envelope {
        publisher
            .queue_bind(
                queue.into(),
                DIRECT.into(),
                queue.into(),
                Default::default(),
                FieldTable::default(),
            )
            .await
            .map_err(fail("queue_bind"))?;
    }

    let consumer_channel = conn.create_channel().await.map_err(fail("channel"))?;
    consumer_channel
        .basic_qos(options.prefetch, BasicQosOptions::default())
        .await
        .map_err(fail("basic_qos"))?;
    let done = Done::new();
    let start_consumer = || async {
        let consumer = consumer_channel
            .basic_consume(
                queue.into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(fail("basic_consume"))?;
        let consuming = consume(consumer, options.concurrency, done.clone());
        Ok::<_, String>(actix_rt::spawn(consuming))
    };
    let publish_all = || {
        futures_util::stream::iter(1..=options.n)
            .map(|n| publish(&publisher, wire, n))
            .buffer_unordered(options.in_flight)
            .try_for_each(|()| std::future::ready(Ok(())))
    };

    let consuming = if options.phases {
        // Publish everything with no consumer, then consume it all.
        publish(&publisher, wire, 0).await?;
        let started = Instant::now();
        publish_all().await?;
        let published = started.elapsed();
        let started = Instant::now();
        let consuming = start_consumer().await?;
        done.reached(1 + options.n, options.timeout).await?;
        report_phases("lapin", options, published, started.elapsed());
        consuming
    } else {
        let consuming = start_consumer().await?;
        // Warm-up: one message through before the clock starts.
        publish(&publisher, wire, 0).await?;
        done.reached(1, Duration::from_secs(30)).await?;

        let started = Instant::now();
        publish_all().await?;
        let enqueued = started.elapsed();
        done.reached(1 + options.n, options.timeout).await?;
        report("lapin", options, started, enqueued);
        consuming
    };
    consuming.abort();

    let left = publisher
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(fail("queue_declare (passive)"))?
        .message_count();
    if left != 0 || done.get() != 1 + options.n {
        return Err(format!(
            "left over: {left} in the queue; {} handled of {}",
            done.get(),
            1 + options.n
        ));
    }
    Ok(())
}

/// Publishes `{"n": n}` persistently and waits for the broker's confirm.
async fn publish(channel: &Channel, wire: Wire<'_>, n: u64) -> Result<(), String> {
    let properties = BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into());
    let (exchange, body, properties, options) = if wire.envelope {
        let (body, properties) = envelope(n, properties);
        let mandatory = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        (DIRECT, body, properties, mandatory)
    } else {
        let body = serde_json::to_vec(&Noop { n }).map_err(|e| e.to_string())?;
        ("", body, properties, BasicPublishOptions::default())
    };
    let confirm = channel
        .basic_publish(
            exchange.into(),
            wire.queue.into(),
            options,
            &body,
            properties,
        )
        .await
        .map_err(|e| format!("publish: {e}"))?
        .await
        .map_err(|e| format!("confirm: {e}"))?;
    match confirm {
        Confirmation::Ack(None) => Ok(()),
        other => Err(format!("message {n} not confirmed: {other:?}")),
    }
}

/// What apiarist publishes for job `{"n": n}` (`--envelope 1`): the payload as
/// body, the bookkeeping in properties and headers.
fn envelope(n: u64, properties: BasicProperties) -> (Vec<u8>, BasicProperties) {
    let id = uuid::Uuid::new_v4();
    let body = serde_json::to_vec(&Noop { n }).expect("serialisable");
    let mut headers = FieldTable::default();
    headers.insert("x-enqueued-ms".into(), AMQPValue::ShortUInt(0));
    let properties = properties
        .with_message_id(id.to_string().into())
        .with_type("bench.noop".into())
        .with_timestamp(1_767_225_600)
        .with_headers(headers);
    (body, properties)
}

/// Decodes the body (as the worker decodes the payload), does nothing, acks.
async fn handle(delivery: lapin::message::Delivery, done: &Done) {
    let decoded = serde_json::from_slice::<Noop>(&delivery.data);
    match decoded {
        Ok(job) => {
            std::hint::black_box(job.n);
        }
        Err(error) => eprintln!("jobs-lapin: undecodable message: {error}"),
    }
    match delivery.acker.ack(BasicAckOptions::default()).await {
        Ok(true) => done.add(),
        Ok(false) => eprintln!("jobs-lapin: delivery already settled"),
        Err(error) => eprintln!("jobs-lapin: ack failed: {error}"),
    }
}

async fn consume(mut consumer: Consumer, concurrency: usize, done: Done) {
    let slots = Arc::new(Semaphore::new(concurrency));
    loop {
        // A slot first, as the worker does: never take a job that would have to wait.
        let slot = slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let delivery = match consumer.next().await {
            Some(Ok(delivery)) => delivery,
            Some(Err(error)) => {
                eprintln!("jobs-lapin: consumer failed: {error}");
                return;
            }
            None => return,
        };
        if concurrency == 1 {
            handle(delivery, &done).await;
            continue;
        }
        let done = done.clone();
        actix_rt::spawn(async move {
            handle(delivery, &done).await;
            drop(slot);
        });
    }
}
