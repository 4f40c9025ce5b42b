//! A worker process killed with SIGKILL in the middle of a job loses nothing and
//! duplicates nothing.
//!
//! Both tests enqueue one [`SlowEffect`] on RabbitMQ, start worker process A
//! (`slow-effect-worker`), wait for its `pausing` marker, `kill -9` it, then start
//! worker B. RabbitMQ sees A's connection die with the job unacknowledged and
//! delivers it again, to B. The progress markers prove two deliveries (a `started`
//! by A and one by B); the `e2e_effect` table proves one effect:
//!
//! - killed *before* A's commit: A's transaction (claim and effect) rolls back with
//!   its connection, so B claims the key and applies the effect: one row, B's;
//! - killed *after* A's commit but before the acknowledgement: B's `claim_once`
//!   finds the key claimed and skips the effect: one row, A's, and B marks `skipped`.
//!
//! Finally the queue is empty: B acknowledged the job.

use std::{sync::Arc, time::Duration};

use apiarist::jobs::{AmqpBroker, Broker, Job, JobQueue};
use e2e::{
    Process, QueueGuard, Services, eventually,
    slow::{self, Pause, SlowEffect},
};

const BIN: &str = env!("CARGO_BIN_EXE_slow-effect-worker");

/// Long enough that the kill always lands in the pause (a killed process never
/// sleeps it out, so this costs nothing).
const PAUSE_MS: &str = "20000";

const PATIENCE: Duration = Duration::from_secs(60);

fn worker(name: &str, services: &Services, namespace: &str, pause: Pause) -> Process {
    Process::spawn(
        name,
        BIN,
        &[
            ("E2E_DATABASE_URL", services.db.url().to_owned()),
            ("AMQP_URL", services.amqp_url.clone()),
            ("E2E_AMQP_NAMESPACE", namespace.to_owned()),
            ("E2E_PAUSE", pause.as_str().to_owned()),
            ("E2E_PAUSE_MS", PAUSE_MS.to_owned()),
        ],
    )
}

fn has(progress: &[(i64, String)], pid: u32, stage: &str) -> bool {
    progress
        .iter()
        .any(|(p, s)| *p == i64::from(pid) && s == stage)
}

/// Runs the scenario with A pausing at `pause`; returns (A's pid, B's pid, the
/// progress markers, the effects' pids).
async fn kill_mid_job(
    test: &str,
    pause: Pause,
) -> Option<(u32, u32, Vec<(i64, String)>, Vec<i64>)> {
    let services = e2e::services(test)?;
    let db = services.db.connect::<slow::Migrator>().await;
    let conn = db.conn().await.unwrap();
    let namespace = e2e::namespace(test);
    let broker = AmqpBroker::new(e2e::amqp_settings(&services.amqp_url, &namespace));
    let queues = QueueGuard::new(broker.clone(), &[SlowEffect::NAME]);
    let key = format!("effect-{}", uuid::Uuid::new_v4().simple());
    JobQueue::new(Arc::new(broker.clone()))
        .enqueue(SlowEffect { key: key.clone() })
        .await
        .expect("enqueueing the job");

    let mut a = worker("worker-A", &services, &namespace, pause);
    let a_pid = a.pid();
    eventually(
        "A to pause in the job",
        PATIENCE,
        || a.logs(),
        || async { has(&slow::progress(&conn, &key).await, a_pid, "pausing").then_some(()) },
    )
    .await;
    a.kill();

    let b = worker("worker-B", &services, &namespace, Pause::Never);
    let b_pid = b.pid();
    eventually(
        "B to finish the job",
        PATIENCE,
        || b.logs(),
        || async { has(&slow::progress(&conn, &key).await, b_pid, "done").then_some(()) },
    )
    .await;
    eventually(
        "B to acknowledge the job",
        PATIENCE,
        || b.logs(),
        || async {
            let stats = broker.stats(SlowEffect::NAME).await.ok()?;
            (stats.ready == 0 && stats.dead == 0).then_some(())
        },
    )
    .await;
    let progress = slow::progress(&conn, &key).await;
    let effects = slow::effects(&conn, &key).await;
    drop(b);
    queues.cleanup().await;
    Some((a_pid, b_pid, progress, effects))
}

fn started_by(progress: &[(i64, String)]) -> Vec<i64> {
    progress
        .iter()
        .filter(|(_, stage)| stage == "started")
        .map(|(pid, _)| *pid)
        .collect()
}

#[actix_rt::test]
async fn killed_before_commit_the_next_worker_applies_the_effect_once() {
    let Some((a, b, progress, effects)) = kill_mid_job("crash-before", Pause::BeforeCommit).await
    else {
        return;
    };
    let (a, b) = (i64::from(a), i64::from(b));
    assert_eq!(
        started_by(&progress),
        [a, b],
        "delivered to A, then again to B: {progress:?}"
    );
    assert!(
        !progress.contains(&(a, "applied".to_owned())),
        "A never committed: {progress:?}"
    );
    assert!(
        progress.contains(&(b, "applied".to_owned())),
        "{progress:?}"
    );
    assert_eq!(effects, [b], "one effect, made by B");
}

#[actix_rt::test]
async fn killed_after_commit_the_redelivery_finds_the_effect_claimed() {
    let Some((a, b, progress, effects)) = kill_mid_job("crash-after", Pause::AfterCommit).await
    else {
        return;
    };
    let (a, b) = (i64::from(a), i64::from(b));
    assert_eq!(
        started_by(&progress),
        [a, b],
        "delivered to A, then again to B: {progress:?}"
    );
    assert!(
        progress.contains(&(a, "applied".to_owned())),
        "{progress:?}"
    );
    assert!(
        progress.contains(&(b, "skipped".to_owned())),
        "B found the key claimed: {progress:?}"
    );
    assert_eq!(effects, [a], "one effect, made by A before it was killed");
}
