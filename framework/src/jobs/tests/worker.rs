//! [`Worker`]: handling, retries, dead letters, crashes, panics and shutdown, on
//! each broker.

use std::{sync::atomic::Ordering, time::Duration};

use actix::{Actor, Supervisor};
use tokio::time::Instant;

use super::{
    TestBroker,
    actors::{Brittle, Fragile, Log, Recorder, Touchy, Work},
    wait_stats,
};
use crate::jobs::{EnqueueOptions, Envelope, Job, QueueOptions, TraceContext, Worker};

fn recorder(log: &std::sync::Arc<Log>) -> actix::Addr<Recorder> {
    Recorder { log: log.clone() }.start()
}

#[actix_rt::test]
async fn enqueued_job_is_handled_by_its_actor() {
    for tb in TestBroker::all() {
        let log = Log::new();
        let worker = Worker::new(tb.broker.clone())
            .handle::<Work, _>(recorder(&log))
            .start();
        assert_eq!(worker.queues(), [Work::NAME]);
        let options = EnqueueOptions {
            trace: Some(TraceContext {
                traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
                request_id: Some("req-1".into()),
            }),
            ..EnqueueOptions::default()
        };
        tb.jobs()
            .enqueue_with(Work { n: 42 }, options)
            .await
            .unwrap();
        log.wait_runs(1).await;
        assert_eq!(log.ns(), [42], "[{}]", tb.label);
        wait_stats(&tb, Work::NAME, 0, 0).await;
        worker.shutdown(Duration::from_secs(5)).await;
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn failing_job_is_retried_with_backoff_then_dead_lettered_and_can_be_requeued() {
    for tb in TestBroker::all() {
        let log = Log::new();
        log.fail.store(true, Ordering::SeqCst);
        let worker = Worker::new(tb.broker.clone())
            .handle::<Work, _>(recorder(&log))
            .start();
        let sent = tb.jobs().enqueue(Work { n: 1 }).await.unwrap();
        wait_stats(&tb, Work::NAME, 0, 1).await;

        let runs = log.runs();
        assert_eq!(runs.len(), 3, "[{}] MAX_ATTEMPTS runs", tb.label);
        // backoff(1) = 50 ms, backoff(2) = 100 ms.
        let gaps: Vec<_> = runs.windows(2).map(|w| w[1].at - w[0].at).collect();
        assert!(
            gaps[0] >= Duration::from_millis(50),
            "[{}] {gaps:?}",
            tb.label
        );
        assert!(
            gaps[1] >= Duration::from_millis(100),
            "[{}] {gaps:?}",
            tb.label
        );

        let dead = tb.broker.dead_jobs(Work::NAME).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].id, sent.id);
        assert_eq!(dead[0].attempts, 3);
        assert_eq!(
            dead[0].last_error.as_deref(),
            Some("boom 1"),
            "[{}]",
            tb.label
        );

        // Fixed: requeue it, and it runs (and succeeds) again.
        log.fail.store(false, Ordering::SeqCst);
        assert!(
            tb.broker
                .settle_dead(Work::NAME, sent.id, true)
                .await
                .unwrap()
        );
        log.wait_runs(4).await;
        wait_stats(&tb, Work::NAME, 0, 0).await;
        worker.shutdown(Duration::from_secs(5)).await;
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn delayed_job_runs_no_sooner_than_its_delay() {
    for tb in TestBroker::all() {
        let log = Log::new();
        let worker = Worker::new(tb.broker.clone())
            .handle::<Work, _>(recorder(&log))
            .start();
        let delay = Duration::from_millis(700);
        let t0 = Instant::now();
        let options = EnqueueOptions {
            delay: Some(delay),
            ..EnqueueOptions::default()
        };
        tb.jobs()
            .enqueue_with(Work { n: 1 }, options)
            .await
            .unwrap();
        tb.jobs().enqueue(Work { n: 2 }).await.unwrap();
        let runs = log.wait_runs(2).await;
        assert_eq!(log.ns(), [2, 1], "[{}] the undelayed job first", tb.label);
        let waited = runs[1].at - t0;
        assert!(waited >= delay, "[{}] ran after {waited:?}", tb.label);
        worker.shutdown(Duration::from_secs(5)).await;
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn job_of_a_crashed_worker_is_redelivered_to_the_next() {
    for tb in TestBroker::all() {
        let stuck = Log::new();
        stuck.hold_for(Duration::from_secs(30));
        let first = Worker::new(tb.broker.clone())
            .handle::<Work, _>(recorder(&stuck))
            .start();
        let sent = tb.jobs().enqueue(Work { n: 9 }).await.unwrap();
        stuck.wait_started(1).await;
        // No grace: the job in flight is dropped unacknowledged, as in a crash.
        first.shutdown(Duration::ZERO).await;

        let log = Log::new();
        let second = Worker::new(tb.broker.clone())
            .handle::<Work, _>(recorder(&log))
            .start();
        log.wait_runs(1).await;
        assert_eq!(log.ns(), [9], "[{}]", tb.label);
        assert!(
            stuck.runs().is_empty(),
            "the first worker never finished it"
        );
        wait_stats(&tb, Work::NAME, 0, 0).await;
        let _ = sent;
        second.shutdown(Duration::from_secs(5)).await;
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn supervised_actor_panic_is_a_failed_attempt_and_the_actor_restarts() {
    for tb in TestBroker::all() {
        let log = Log::new();
        log.panic_next.store(true, Ordering::SeqCst);
        let actor_log = log.clone();
        let fragile = Supervisor::start(move |_| Fragile { log: actor_log });
        let worker = Worker::new(tb.broker.clone())
            .handle::<Work, _>(fragile)
            .start();
        tb.jobs().enqueue(Work { n: 5 }).await.unwrap();
        log.wait_runs(1).await;
        assert_eq!(
            log.started.load(Ordering::SeqCst),
            2,
            "[{}] panic, then retry",
            tb.label
        );
        assert_eq!(
            log.restarts.load(Ordering::SeqCst),
            1,
            "[{}] restarted once",
            tb.label
        );
        wait_stats(&tb, Work::NAME, 0, 0).await;
        worker.shutdown(Duration::from_secs(5)).await;
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn unprotected_actor_panic_is_a_failed_attempt() {
    for tb in TestBroker::all() {
        let worker = Worker::new(tb.broker.clone())
            .handle::<Work, _>(Brittle.start())
            .start();
        tb.jobs().enqueue(Work { n: 3 }).await.unwrap();
        // The actor is gone for good: every attempt fails, then it is dead-lettered.
        wait_stats(&tb, Work::NAME, 0, 1).await;
        let dead = tb.broker.dead_jobs(Work::NAME).await.unwrap();
        assert_eq!(dead[0].attempts, Work::MAX_ATTEMPTS);
        let error = dead[0].last_error.clone().unwrap_or_default();
        assert!(error.contains("did not answer"), "[{}] {error}", tb.label);
        worker.shutdown(Duration::from_secs(5)).await;
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn panic_in_the_worker_fails_the_attempt_and_the_consumer_keeps_consuming() {
    for tb in TestBroker::all() {
        let log = Log::new();
        let worker = Worker::new(tb.broker.clone())
            .handle::<Touchy, _>(recorder(&log))
            .start();
        let jobs = tb.jobs();
        let word = |w: &str| Touchy { word: w.into() };
        jobs.enqueue(word("panic")).await.unwrap();
        wait_stats(&tb, Touchy::NAME, 0, 1).await;
        let dead = tb.broker.dead_jobs(Touchy::NAME).await.unwrap();
        assert_eq!(dead[0].attempts, 2, "[{}] both attempts panicked", tb.label);
        let error = dead[0].last_error.clone().unwrap_or_default();
        assert!(error.contains("handler panicked"), "[{}] {error}", tb.label);
        // The consumer restarted and still consumes.
        jobs.enqueue(word("fine")).await.unwrap();
        let what = format!("[{}] the restarted consumer handled a job", tb.label);
        super::eventually(Duration::from_secs(10), &what, || async {
            log.words() == ["fine"]
        })
        .await;
        worker.shutdown(Duration::from_secs(5)).await;
        tb.finish::<Touchy>().await;
    }
}

#[actix_rt::test]
async fn payload_that_does_not_decode_is_dead_lettered_at_once() {
    for tb in TestBroker::all() {
        let log = Log::new();
        let worker = Worker::new(tb.broker.clone())
            .handle::<Work, _>(recorder(&log))
            .start();
        let mut envelope = Envelope::new(&Work { n: 1 }, EnqueueOptions::default()).unwrap();
        envelope.payload = serde_json::json!({"n": "one"});
        tb.broker.publish(envelope.clone()).await.unwrap();
        wait_stats(&tb, Work::NAME, 0, 1).await;
        let dead = tb.broker.dead_jobs(Work::NAME).await.unwrap();
        assert_eq!(dead[0].id, envelope.id);
        assert_eq!(dead[0].attempts, 1, "[{}] no retry", tb.label);
        let error = dead[0].last_error.clone().unwrap_or_default();
        assert!(
            error.contains("payload does not fit"),
            "[{}] {error}",
            tb.label
        );
        assert!(log.runs().is_empty());
        worker.shutdown(Duration::from_secs(5)).await;
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn graceful_shutdown_finishes_the_job_in_flight() {
    for tb in TestBroker::all() {
        let log = Log::new();
        let hold = Duration::from_millis(400);
        log.hold_for(hold);
        let options = QueueOptions {
            prefetch: 4,
            concurrency: 1,
        };
        let worker = Worker::new(tb.broker.clone())
            .handle_with::<Work, _>(recorder(&log), options)
            .start();
        let jobs = tb.jobs();
        jobs.enqueue(Work { n: 1 }).await.unwrap();
        log.wait_started(1).await;
        jobs.enqueue(Work { n: 2 }).await.unwrap();
        let t0 = Instant::now();
        worker.shutdown(Duration::from_secs(10)).await;
        assert_eq!(
            log.ns(),
            [1],
            "[{}] finished before shutdown returned",
            tb.label
        );
        assert!(t0.elapsed() < hold + Duration::from_secs(2));
        // The second job was never started and waits for the next worker.
        wait_stats(&tb, Work::NAME, 1, 0).await;
        assert_eq!(log.started.load(Ordering::SeqCst), 1);
        worker.stopped().await;
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn concurrency_bounds_the_jobs_in_flight() {
    for tb in TestBroker::all() {
        let log = Log::new();
        log.hold_for(Duration::from_millis(200));
        let options = QueueOptions {
            prefetch: 10,
            concurrency: 2,
        };
        let worker = Worker::new(tb.broker.clone())
            .handle_with::<Work, _>(recorder(&log), options)
            .start();
        for n in 0..6 {
            tb.jobs().enqueue(Work { n }).await.unwrap();
        }
        log.wait_runs(6).await;
        assert_eq!(
            log.max_in_flight.load(Ordering::SeqCst),
            2,
            "[{}]",
            tb.label
        );
        worker.shutdown(Duration::from_secs(5)).await;
        tb.finish::<Work>().await;
    }
}
