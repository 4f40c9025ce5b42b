//! The connection to RabbitMQ, re-established on demand with capped exponential
//! backoff.
//!
//! [`Link::session`] hands out the live connection and its publisher-confirm channel.
//! When the connection is gone (broker restart, network failure, a
//! `rabbitmqctl close_connection`), the next caller reconnects; concurrent callers
//! wait on the same attempt (one attempt at a time, under the state lock). Failed
//! attempts space the next ones by `reconnect_initial * 2^(n-1)`, at most
//! `reconnect_max`; a caller with a deadline gives up with a retryable error instead
//! of waiting past it.
//!
//! lapin binds a connection to the tokio runtime it is opened from. The link opens
//! every connection on the runtime it was first used from (normally the service's
//! main actix system), so a reconnect triggered from an HTTP worker thread does not
//! tie the connection to that worker.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex, MutexGuard},
};

use lapin::{Channel, Connection, ConnectionProperties, options::ConfirmSelectOptions};
use tokio::{runtime::Handle, time::Instant};

use super::{AmqpSettings, amqp_error};
use crate::jobs::{JobError, backoff};

/// A live connection and its publishing channel (in confirm mode).
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) conn: Arc<Connection>,
    pub(crate) publisher: Channel,
    /// Counts connections; topology declared on an older one is declared again.
    pub(crate) generation: u64,
}

impl Session {
    fn is_alive(&self) -> bool {
        self.conn.status().connected() && self.publisher.status().connected()
    }
}

#[derive(Default)]
struct LinkState {
    session: Option<Session>,
    generation: u64,
    /// Consecutive failed attempts.
    failures: u32,
    /// No attempt before this (backoff after a failure).
    next_attempt: Option<Instant>,
}

/// See the [module docs](self).
pub(crate) struct Link {
    pub(crate) settings: AmqpSettings,
    /// Shown in `rabbitmqctl list_connections client_properties`.
    pub(crate) connection_name: String,
    state: tokio::sync::Mutex<LinkState>,
    runtime: Mutex<Option<Handle>>,
    /// Queue name -> generation and time it was last declared on.
    pub(super) declared: Mutex<HashMap<String, (u64, Instant)>>,
    /// Work queue -> delay buckets (ms) used by this process, for stats and delete.
    pub(super) delays: Mutex<HashMap<String, BTreeSet<u64>>>,
}

/// A channel in publisher-confirm mode.
async fn publisher(conn: &Connection) -> lapin::Result<Channel> {
    let channel = conn.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    Ok(channel)
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Link {
    pub(crate) fn new(settings: AmqpSettings) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            settings,
            connection_name: format!("apiarist-{}", &id[..12]),
            state: tokio::sync::Mutex::new(LinkState::default()),
            runtime: Mutex::new(Handle::try_current().ok()),
            declared: Mutex::new(HashMap::new()),
            delays: Mutex::new(HashMap::new()),
        }
    }

    /// The live session, connecting if needed. Waits for a reconnect until
    /// `deadline` (for ever when `None`), then fails with a retryable error.
    pub(crate) async fn session(&self, deadline: Option<Instant>) -> Result<Session, JobError> {
        loop {
            let mut state = self.state.lock().await;
            if let Some(session) = &mut state.session {
                if session.is_alive() {
                    return Ok(session.clone());
                }
                if session.conn.status().connected() {
                    // Only the publishing channel died (a channel error): replace it.
                    match publisher(&session.conn).await {
                        Ok(channel) => {
                            session.publisher = channel;
                            return Ok(session.clone());
                        }
                        Err(error) => tracing::warn!(
                            connection = %self.connection_name, %error,
                            "could not open a publishing channel; reconnecting"
                        ),
                    }
                }
                tracing::warn!(
                    connection = %self.connection_name,
                    url = %self.settings.redacted_url(),
                    "AMQP connection lost; reconnecting"
                );
                state.session = None;
            }
            if let Some(at) = state.next_attempt
                && at > Instant::now()
            {
                if deadline.is_some_and(|deadline| at > deadline) {
                    return Err(JobError::retry(format!(
                        "message broker unavailable (reconnecting, {} failed attempts)",
                        state.failures
                    )));
                }
                drop(state);
                tokio::time::sleep_until(at).await;
                continue;
            }
            match self.open().await {
                Ok((conn, publisher)) => {
                    state.generation += 1;
                    let session = Session {
                        conn: Arc::new(conn),
                        publisher,
                        generation: state.generation,
                    };
                    tracing::info!(
                        connection = %self.connection_name,
                        url = %self.settings.redacted_url(),
                        after_failures = state.failures,
                        "AMQP connected"
                    );
                    state.failures = 0;
                    state.next_attempt = None;
                    state.session = Some(session.clone());
                    return Ok(session);
                }
                Err(error) => {
                    state.failures = state.failures.saturating_add(1);
                    let wait = backoff(
                        state.failures,
                        self.settings.reconnect_initial,
                        self.settings.reconnect_max,
                    );
                    state.next_attempt = Some(Instant::now() + wait);
                    tracing::warn!(
                        connection = %self.connection_name,
                        url = %self.settings.redacted_url(),
                        attempt = state.failures,
                        retry_in_ms = wait.as_millis() as u64,
                        %error,
                        "AMQP connection attempt failed"
                    );
                    if deadline.is_some_and(|deadline| Instant::now() + wait > deadline) {
                        return Err(JobError::retry(format!(
                            "message broker unavailable: {error}"
                        )));
                    }
                }
            }
        }
    }

    /// A fresh channel on the live connection.
    pub(crate) async fn channel(&self, deadline: Option<Instant>) -> Result<Channel, JobError> {
        let session = self.session(deadline).await?;
        session.conn.create_channel().await.map_err(amqp_error)
    }

    /// One connection attempt, run on the link's runtime.
    async fn open(&self) -> Result<(Connection, Channel), String> {
        let url = self.settings.url.clone();
        let timeout = self.settings.connect_timeout;
        let properties = ConnectionProperties::default()
            .with_connection_name(self.connection_name.clone().into());
        let attempt = async move {
            let connect = Connection::connect(&url, properties);
            let conn = tokio::time::timeout(timeout, connect)
                .await
                .map_err(|_| format!("connecting timed out after {timeout:?}"))?
                .map_err(|e| e.to_string())?;
            let publisher = publisher(&conn).await.map_err(|e| e.to_string())?;
            Ok::<_, String>((conn, publisher))
        };
        let runtime = self.runtime();
        match runtime.spawn(attempt).await {
            Ok(result) => result,
            Err(join) => {
                // That runtime has shut down: adopt the caller's from now on.
                *lock(&self.runtime) = Handle::try_current().ok();
                Err(format!("connection attempt aborted: {join}"))
            }
        }
    }

    fn runtime(&self) -> Handle {
        lock(&self.runtime)
            .get_or_insert_with(Handle::current)
            .clone()
    }

    /// Closes the connection (it is opened again on next use).
    pub(crate) async fn close(&self) {
        let session = self.state.lock().await.session.take();
        if let Some(session) = session
            && session.conn.status().connected()
        {
            let _ = session.conn.close(200, "OK".into()).await;
        }
    }

    /// The broker-side name of job queue `name`.
    pub(super) fn queue_name(&self, name: &str) -> String {
        format!("{}{name}", self.settings.namespace)
    }

    pub(super) fn remember_delay(&self, queue: &str, ms: u64) {
        lock(&self.delays)
            .entry(queue.to_owned())
            .or_default()
            .insert(ms);
    }

    pub(super) fn known_delays(&self, queue: &str) -> Vec<u64> {
        lock(&self.delays)
            .get(queue)
            .map(|set| set.iter().copied().collect())
            .unwrap_or_default()
    }

    pub(super) fn forget_delay(&self, queue: &str, ms: u64) {
        if let Some(set) = lock(&self.delays).get_mut(queue) {
            set.remove(&ms);
        }
    }
}
