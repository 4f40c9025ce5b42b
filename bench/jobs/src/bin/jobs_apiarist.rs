//! `jobs-apiarist`: jobs/s through apiarist's job system on RabbitMQ.
//!
//! `n` jobs `{"n": i}` are enqueued with [`JobQueue::enqueue`] on an [`AmqpBroker`]
//! (a namespace of its own per run, so its queues are fresh), `in_flight` of them
//! awaiting their publisher confirm at a time, while a [`Worker`] (`prefetch`,
//! `concurrency`) hands each to a no-op actor that counts it. The clock runs from
//! the first enqueue until the worker has acknowledged the last job (the worker is
//! drained, so every ack has gone out). The queues are deleted afterwards.
//!
//! Logging stays off (no tracing subscriber), as it is for the baseline.

use std::{process::ExitCode, sync::Arc, time::Duration, time::Instant};

use actix::prelude::*;
use apiarist::jobs::{
    AmqpBroker, AmqpSettings, Broker, Job, JobError, JobQueue, QueueOptions, Worker,
};
use bench_jobs::{Done, Options, report, report_phases, run_id};
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

/// The benchmark's job: a number, handled by doing nothing.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
struct Noop {
    n: u64,
}

impl Message for Noop {
    type Result = Result<(), JobError>;
}

impl Job for Noop {
    const NAME: &'static str = "bench.noop";
}

/// Counts the jobs it is handed.
struct Counter {
    done: Done,
}

impl Actor for Counter {
    type Context = Context<Self>;
}

impl Handler<Noop> for Counter {
    type Result = Result<(), JobError>;

    fn handle(&mut self, job: Noop, _: &mut Context<Self>) -> Self::Result {
        std::hint::black_box(job.n);
        self.done.add();
        Ok(())
    }
}

#[actix_rt::main]
async fn main() -> ExitCode {
    let options = Options::from_args("jobs-apiarist");
    let settings = AmqpSettings {
        namespace: format!("bench.apiarist.{}.", run_id()),
        publish_timeout: Duration::from_secs(30),
        ..AmqpSettings::new(options.url.clone())
    };
    let broker = match AmqpBroker::connect_with(settings).await {
        Ok(broker) => broker,
        Err(error) => {
            eprintln!("jobs-apiarist: cannot reach RabbitMQ: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = run(&options, &broker).await;
    if let Err(error) = broker.delete(Noop::NAME).await {
        eprintln!("jobs-apiarist: could not delete the queues: {error}");
    }
    broker.close().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("jobs-apiarist: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: &Options, broker: &AmqpBroker) -> Result<(), String> {
    let broker: Arc<dyn Broker> = Arc::new(broker.clone());
    let done = Done::new();
    let start_worker = || {
        let counter = Counter { done: done.clone() }.start();
        let queue_options = QueueOptions {
            prefetch: options.prefetch,
            concurrency: options.concurrency,
        };
        Worker::new(broker.clone())
            .handle_with::<Noop, _>(counter, queue_options)
            .start()
    };
    let jobs = JobQueue::new(broker.clone());
    let enqueue_all = || {
        futures_util::stream::iter(1..=options.n)
            .map(|n| jobs.enqueue(Noop { n }))
            .buffer_unordered(options.in_flight)
            .try_for_each(|_| std::future::ready(Ok(())))
    };

    if options.phases {
        // Publish everything with no worker running, then consume it all.
        jobs.enqueue(Noop { n: 0 })
            .await
            .map_err(|e| format!("warm-up enqueue: {e}"))?;
        let started = Instant::now();
        enqueue_all().await.map_err(|e| format!("enqueue: {e}"))?;
        let published = started.elapsed();
        let started = Instant::now();
        let worker = start_worker();
        done.reached(1 + options.n, options.timeout).await?;
        worker.shutdown(Duration::from_secs(30)).await;
        report_phases("apiarist", options, published, started.elapsed());
    } else {
        let worker = start_worker();
        // Warm-up: connection, topology and subscription are ready once it is done.
        jobs.enqueue(Noop { n: 0 })
            .await
            .map_err(|e| format!("warm-up enqueue: {e}"))?;
        done.reached(1, Duration::from_secs(30)).await?;

        let started = Instant::now();
        enqueue_all().await.map_err(|e| format!("enqueue: {e}"))?;
        let enqueued = started.elapsed();
        done.reached(1 + options.n, options.timeout).await?;
        // Every job was handled; draining waits for their acks to go out.
        worker.shutdown(Duration::from_secs(30)).await;
        report("apiarist", options, started, enqueued);
    }

    let stats = broker
        .stats(Noop::NAME)
        .await
        .map_err(|e| format!("stats: {e}"))?;
    if stats.ready != 0 || stats.dead != 0 || done.get() != 1 + options.n {
        return Err(format!(
            "left over: {} ready, {} dead; {} handled of {}",
            stats.ready,
            stats.dead,
            done.get(),
            1 + options.n
        ));
    }
    Ok(())
}
