//! Stopping with WebSockets open.
//!
//! A graceful stop waits for the requests in flight; an open WebSocket is one that
//! never ends by itself, so it would hold the stop for the server's whole shutdown
//! timeout. The gateway therefore closes its WebSocket pipes first: their
//! connections end (clients reconnect, to another replica or to the gateway once it
//! is back), and the stop waits only for ordinary requests.

use tokio::sync::watch;

/// Whether the gateway is closing its WebSockets: one flag for every worker.
#[derive(Debug, Clone)]
pub(super) struct Closing(std::sync::Arc<watch::Sender<bool>>);

impl Default for Closing {
    fn default() -> Self {
        Self(std::sync::Arc::new(watch::Sender::new(false)))
    }
}

impl Closing {
    /// Raises the flag: every open pipe, and any opened from now on, ends.
    pub(super) fn close(&self) {
        self.0.send_replace(true);
    }

    /// Resolves once the flag is raised (never, if the gateway is gone first).
    pub(super) fn closed(&self) -> impl Future<Output = ()> + 'static {
        let mut flag = self.0.subscribe();
        async move {
            if flag.wait_for(|closing| *closing).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub(super) async fn stop_signal() {
    #[cfg(unix)]
    {
        use actix_rt::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = actix_rt::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                return;
            }
            Err(error) => tracing::warn!(%error, "SIGTERM cannot be caught; Ctrl-C still stops"),
        }
    }
    if let Err(error) = actix_rt::signal::ctrl_c().await {
        tracing::error!(%error, "no signal can stop the gateway");
        std::future::pending::<()>().await;
    }
}
