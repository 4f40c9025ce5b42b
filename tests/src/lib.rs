//! End-to-end tests of the job system and of the whole stack: real processes against
//! the real PostgreSQL and RabbitMQ, nothing mocked. Each test file says what it
//! proves:
//!
//! - `tests/crash.rs`: a worker process killed with SIGKILL in the middle of a job
//!   loses nothing and duplicates nothing. The job is delivered again to the next
//!   worker; killed before its transaction committed, the effect is applied once by
//!   the second worker; killed after the commit but before the acknowledgement, the
//!   second delivery finds the effect key claimed ([`claim_once`]) and skips it.
//! - `tests/outage.rs`: a job staged in a committed transaction survives a broker
//!   outage in the outbox and is published and handled once the broker is back; a
//!   rolled-back transaction never emits its job. The outage is a TCP [`Proxy`] in
//!   front of RabbitMQ that the test switches off and on.
//! - `tests/worker_process.rs`: the standalone worker (`services/worker`) confirms an
//!   order placed in its database (relay, `ConfirmOrder`, `NotifyOrder`, one
//!   notification), serves its probes, and exits 0 on SIGTERM after draining.
//! - `tests/stack_processes.rs`: the whole demo stack as docker compose runs it
//!   ([`Stack`]: users, items, orders, worker and gateway, each its own process) and
//!   a user's story told to the gateway over HTTP only ([`http::Client`]); then one
//!   service killed and restarted: 502 JSON for its routes meanwhile, the others
//!   unaffected, everything back once it is.
//!
//! The processes are this crate's binaries, found through `CARGO_BIN_EXE_<name>`:
//! `orders-worker` is the `worker` crate's `main` (its library's [`worker::run`]),
//! `slow-effect-worker` a worker whose one job type ([`slow::SlowEffect`]) is slow
//! and records every step in the database. The stack's services are the services'
//! own `main`s, built here too (`stack-users`, `stack-items`, `stack-orders`,
//! `stack-gateway`; see Cargo.toml).
//!
//! The tests need `DATABASE_URL` (a `postgres://` server on which they create
//! throw-away databases) and `AMQP_URL`. Without them they skip with a note, except
//! when `CI=true`, where they fail. Every test uses a RabbitMQ namespace of its own
//! and deletes its queues at the end; processes, databases and queues are cleaned up
//! by drop guards, so a failing test leaves nothing behind.
//!
//! [`claim_once`]: apiarist::jobs::outbox::claim_once

pub mod http;
pub mod process;
pub mod proxy;
pub mod slow;
pub mod stack;

use std::{future::Future, time::Duration};

use apiarist::{
    db::{Backend, testing::TestDatabase},
    jobs::{AmqpBroker, AmqpSettings},
};

pub use process::{Process, free_port, http_status};
pub use proxy::Proxy;
pub use stack::{Service, Stack};

/// What an end-to-end test runs against.
#[derive(Debug)]
pub struct Services {
    /// A fresh PostgreSQL database, dropped with this value.
    pub db: TestDatabase,
    /// `AMQP_URL`.
    pub amqp_url: String,
}

/// Whether `CI` asks for every service-backed test to run.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A fresh PostgreSQL database and the RabbitMQ URL, or `None` (after a note on
/// stderr) when `DATABASE_URL` or `AMQP_URL` is missing.
///
/// # Panics
///
/// When a service is missing and `CI=true`: in CI a skipped test is a failure.
pub fn services(test: &str) -> Option<Services> {
    let amqp_url = std::env::var("AMQP_URL").ok().filter(|url| !url.is_empty());
    let postgres = std::env::var("DATABASE_URL")
        .ok()
        .is_some_and(|url| Backend::from_url(&url) == Some(Backend::Postgres));
    let Some(amqp_url) = amqp_url.filter(|_| postgres) else {
        let missing = "needs DATABASE_URL=postgres://... and AMQP_URL=amqp://...";
        assert!(
            !is_ci(),
            "{test} {missing}, and CI=true forbids skipping it"
        );
        eprintln!("note: skipping {test}: it {missing}");
        return None;
    };
    let db = TestDatabase::postgres_from_env().expect("DATABASE_URL is a postgres:// URL");
    Some(Services { db, amqp_url })
}

/// A RabbitMQ namespace nobody else uses: `e2e-<test>-<random>.`.
pub fn namespace(test: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("e2e-{test}-{}.", &id[..12])
}

/// Settings for `url` in `namespace`, reconnecting quickly (tests wait on it).
pub fn amqp_settings(url: &str, namespace: &str) -> AmqpSettings {
    AmqpSettings {
        namespace: namespace.to_owned(),
        publish_timeout: Duration::from_secs(3),
        reconnect_max: Duration::from_secs(1),
        ..AmqpSettings::new(url)
    }
}

/// Deletes the queues of `jobs` when dropped (or when [`cleanup`](Self::cleanup)
/// runs), so a failing test leaves no queue behind.
#[derive(Debug)]
pub struct QueueGuard {
    broker: Option<AmqpBroker>,
    jobs: Vec<&'static str>,
}

impl QueueGuard {
    /// Guards `jobs`' queues on `broker`.
    pub fn new(broker: AmqpBroker, jobs: &[&'static str]) -> Self {
        Self {
            broker: Some(broker),
            jobs: jobs.to_vec(),
        }
    }

    /// Deletes the queues now, failing the test if RabbitMQ refuses.
    pub async fn cleanup(mut self) {
        if let Some(broker) = self.broker.take() {
            delete_queues(&broker, &self.jobs).await.unwrap();
        }
    }
}

async fn delete_queues(broker: &AmqpBroker, jobs: &[&'static str]) -> Result<(), String> {
    for job in jobs {
        broker
            .delete(job)
            .await
            .map_err(|e| format!("deleting the queues of {job}: {e}"))?;
    }
    broker.close().await;
    Ok(())
}

impl Drop for QueueGuard {
    fn drop(&mut self) {
        let Some(broker) = self.broker.take() else {
            return;
        };
        // A test that panicked: its runtime may be gone, so use one of our own.
        let settings = broker.settings().clone();
        let jobs = std::mem::take(&mut self.jobs);
        let done = std::thread::spawn(move || {
            let system = actix_rt::System::new();
            system.block_on(async move { delete_queues(&AmqpBroker::new(settings), &jobs).await })
        })
        .join();
        if !matches!(done, Ok(Ok(()))) {
            eprintln!("warning: could not delete the test's queues: {done:?}");
        }
    }
}

/// Polls `probe` every 100 ms until it answers `Some`, for at most `timeout`.
///
/// # Panics
///
/// When `timeout` passes, with `what` and `context()` (e.g. a process's logs).
pub async fn eventually<T, F, Fut>(
    what: &str,
    timeout: Duration,
    context: impl Fn() -> String,
    mut probe: F,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}\n{}",
            context()
        );
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The address an `amqp://` URL points at (port 5672 unless it says otherwise).
///
/// # Panics
///
/// If the host cannot be resolved.
pub fn amqp_address(url: &str) -> std::net::SocketAddr {
    use std::net::ToSocketAddrs;
    let (host, _) = split_authority(url);
    let with_port = if host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host.to_owned()
    } else {
        format!("{host}:5672")
    };
    with_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or_else(|| panic!("cannot resolve the AMQP host {with_port}"))
}

/// `url` pointing at `127.0.0.1:port` instead (credentials and vhost kept).
pub fn amqp_url_via(url: &str, port: u16) -> String {
    let (_, (before, after)) = split_authority(url);
    format!("{before}127.0.0.1:{port}{after}")
}

/// `(host[:port], (everything before it, everything after it))`.
fn split_authority(url: &str) -> (&str, (&str, &str)) {
    let start = url.find("://").map_or(0, |i| i + 3);
    let start = url[start..].find('@').map_or(start, |i| start + i + 1);
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    (&url[start..end], (&url[..start], &url[end..]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn amqp_urls_are_redirected_to_the_proxy() {
        let url = "amqp://guest:guest@127.0.0.1:5672/%2f";
        assert_eq!(super::amqp_address(url), ([127, 0, 0, 1], 5672).into());
        assert_eq!(
            super::amqp_url_via(url, 4000),
            "amqp://guest:guest@127.0.0.1:4000/%2f"
        );
        assert_eq!(
            super::amqp_address("amqp://localhost/%2f").port(),
            5672,
            "the default port"
        );
        assert_eq!(super::amqp_url_via("amqp://h", 1), "amqp://127.0.0.1:1");
    }
}
