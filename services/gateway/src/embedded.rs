//! All-in-one mode: every service of the table in this process, each in a thread
//! of its own running its own actix system, served by the same `build(config)` as
//! its own binary, and reached over HTTP like in any other mode.
//!
//! Starting is two steps. A [`Plan`] reads what the services share once (the auth
//! settings: one key for the stack, and one warning when `JWT_SECRET` is unset),
//! binds a port of `127.0.0.1` for each service (the system chooses, so several
//! stacks, in parallel tests for instance, never collide; and every address is
//! known before any service is configured), then runs each entry's
//! [`launch`](crate::services::Service::launch) hook. [`Stack::start`] then builds
//! and serves every service in its own thread.
//!
//! The services do not react to signals: the gateway does, finishes its in-flight
//! requests, and then [`Stack::stop`] stops the services (again gracefully).

use std::{any::Any, error::Error, net::TcpListener, thread};

use actix_web::dev::ServerHandle;
use apiarist::auth::AuthSettings;
use futures_util::future::join_all;
use tokio::sync::oneshot;

use crate::{
    launch::{Boot, Shared, muted},
    services::{SERVICES, ServiceUrls},
};

/// The module whose messages the hooks' own readings of the auth settings make.
const AUTH_SETTINGS: &str = "apiarist::auth::settings";

/// The services of the table, configured and with their ports bound, not started.
#[derive(Debug)]
pub struct Plan {
    shared: Shared,
    services: Vec<Planned>,
}

#[derive(Debug)]
struct Planned {
    name: &'static str,
    listener: TcpListener,
    boot: Boot,
}

impl Plan {
    /// Reads the shared settings from the environment, binds a port for every
    /// service of [`SERVICES`] and runs their hooks; the first error stops it.
    pub fn from_env() -> Result<Self, Box<dyn Error>> {
        let auth = AuthSettings::from_env()?;
        let mut urls = ServiceUrls::default();
        let mut listeners = Vec::new();
        for service in SERVICES {
            let listener = TcpListener::bind(("127.0.0.1", 0))?;
            urls.insert(service.name, format!("http://{}", listener.local_addr()?));
            listeners.push(listener);
        }
        let shared = Shared { auth, urls };
        let mut services = Vec::new();
        for (service, listener) in SERVICES.iter().zip(listeners) {
            let boot = muted(AUTH_SETTINGS, || (service.launch)(&shared))
                .map_err(|e| format!("the {} service: {e}", service.name))?;
            services.push(Planned {
                name: service.name,
                listener,
                boot,
            });
        }
        Ok(Self { shared, services })
    }

    /// What every service was given.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The configuration of `service`, if it has one and it is a `C`
    /// (`plan.config_mut::<items::Config>("items")`).
    pub fn config_mut<C: Any>(&mut self, service: &str) -> Option<&mut C> {
        self.services
            .iter_mut()
            .find(|s| s.name == service)?
            .boot
            .config_mut()
    }
}

/// The services running in this process.
#[derive(Debug)]
pub struct Stack {
    urls: ServiceUrls,
    running: Vec<Running>,
}

#[derive(Debug)]
struct Running {
    name: &'static str,
    handle: ServerHandle,
    stopped: oneshot::Receiver<()>,
}

/// A service whose thread is starting.
struct Starting {
    name: &'static str,
    started: oneshot::Receiver<Result<ServerHandle, String>>,
    stopped: oneshot::Receiver<()>,
}

impl Stack {
    /// Starts every service of `plan`, each in its own thread and actix system,
    /// and returns once all of them serve (or the first error, the others stopped).
    pub async fn start(plan: Plan) -> Result<Self, Box<dyn Error>> {
        let urls = plan.shared.urls;
        let starting = plan
            .services
            .into_iter()
            .map(|s| launch(s.name, s.listener, s.boot))
            .collect::<std::io::Result<Vec<_>>>()?;
        let mut running = Vec::new();
        let mut failure = None;
        for service in starting {
            match service.started.await {
                Ok(Ok(handle)) => running.push(Running {
                    name: service.name,
                    handle,
                    stopped: service.stopped,
                }),
                Ok(Err(e)) => failure = Some(format!("the {} service: {e}", service.name)),
                Err(_) => failure = Some(format!("the {} service's thread died", service.name)),
            }
        }
        let stack = Self { urls, running };
        match failure {
            None => Ok(stack),
            Some(failure) => {
                stack.stop().await;
                Err(failure.into())
            }
        }
    }

    /// Where each service listens.
    pub fn urls(&self) -> &ServiceUrls {
        &self.urls
    }

    /// Stops the services gracefully, all at once, and waits for their threads to
    /// finish their shutdown hooks. All at once, because the gateway stops first:
    /// no client request is left that could still cross from one service to another.
    pub async fn stop(self) {
        join_all(self.running.into_iter().map(|service| async move {
            service.handle.stop(true).await;
            if service.stopped.await.is_err() {
                tracing::warn!(
                    service = service.name,
                    "the service's thread ended abnormally"
                );
            }
            tracing::info!(service = service.name, "stopped");
        }))
        .await;
    }
}

/// Starts a thread with its own actix system that builds the service and serves
/// it on `listener`.
fn launch(name: &'static str, listener: TcpListener, boot: Boot) -> std::io::Result<Starting> {
    let (started_tx, started) = oneshot::channel();
    let (stopped_tx, stopped) = oneshot::channel();
    thread::Builder::new()
        .name(format!("{name}-service"))
        .spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                actix_web::rt::spawn(async move {
                    serve(name, listener, boot, started_tx).await;
                    // Ends `run` below, and every arbiter the service started.
                    actix_web::rt::System::current().stop();
                });
            });
            if let Err(e) = system.run() {
                tracing::error!(service = name, "the service's actix system failed: {e}");
            }
            let _ = stopped_tx.send(());
        })?;
    Ok(Starting {
        name,
        started,
        stopped,
    })
}

/// Builds the service and serves it until its handle stops it.
async fn serve(
    name: &'static str,
    listener: TcpListener,
    boot: Boot,
    started: oneshot::Sender<Result<ServerHandle, String>>,
) {
    let serving = match boot.build().await {
        Ok(app) => app.start_on(listener).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match serving {
        Ok((handle, stopped)) => {
            let _ = started.send(Ok(handle));
            if let Err(e) = stopped.await {
                tracing::error!(service = name, "the service failed: {e}");
            }
        }
        Err(e) => {
            let _ = started.send(Err(e));
        }
    }
}
