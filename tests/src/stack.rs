//! The demo stack as docker compose runs it, on this machine: users, items, orders,
//! the worker and the gateway, each a process of its own, started from the services'
//! own `main`s (compiled in this package, see its Cargo.toml, so that a test finds
//! them through `CARGO_BIN_EXE_*`: [`stack_binaries!`](crate::stack_binaries)).
//!
//! Each process gets exactly the variables docker-compose.yml gives its container
//! (addresses on 127.0.0.1 instead of compose's service names, ports the OS picks so
//! that tests run side by side): one shared `JWT_SECRET`, one fresh PostgreSQL
//! database for every service (each owns its tables), RabbitMQ under a namespace of
//! the stack's own, `EMBEDDED_WORKER=false` for orders so that only the worker
//! process runs jobs, and the services' addresses for the gateway and for the
//! services that call items. A test can kill a service and start it again on its
//! port, as a container restarts.

use std::{collections::BTreeMap, time::Duration};

use apiarist::jobs::{AmqpBroker, Job};
use shared_models::orders::{ConfirmOrder, NotifyOrder};

use crate::{Process, QueueGuard, Services, eventually, free_port, http_status};

/// How long a process may take to become ready.
const PATIENCE: Duration = Duration::from_secs(90);

/// The variables the stack's processes read that a test's own environment may
/// also hold (`DATABASE_URL`, `AMQP_URL` at least): removed before [`Stack::env`]'s
/// are set, so that each process sees what compose would give it and nothing else.
const STACK_VARIABLES: &[&str] = &[
    "HOST",
    "PORT",
    "DATABASE_URL",
    "AMQP_URL",
    "AMQP_NAMESPACE",
    "JWT_SECRET",
    "ADMIN_USERNAME",
    "ADMIN_PASSWORD",
    "USERS_URL",
    "ITEMS_URL",
    "ORDERS_URL",
    "EMBEDDED_WORKER",
    "GATEWAY_MODE",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_SERVICE_NAME",
];

/// The administrator the users service creates at start-up (`ADMIN_USERNAME`,
/// `ADMIN_PASSWORD`).
pub const ADMIN: (&str, &str) = ("root", "root password");

/// The stack's programs. Build it with [`stack_binaries!`](crate::stack_binaries)
/// in an integration test, where cargo sets their paths.
#[derive(Debug, Clone, Copy)]
pub struct Binaries {
    /// `services/users`' `main`.
    pub users: &'static str,
    /// `services/items`' `main`.
    pub items: &'static str,
    /// `services/orders`' `main`.
    pub orders: &'static str,
    /// `services/worker`' `main`.
    pub worker: &'static str,
    /// `services/gateway`' `main`.
    pub gateway: &'static str,
}

/// The stack's [`Binaries`], from the calling integration test's `CARGO_BIN_EXE_*`.
#[macro_export]
macro_rules! stack_binaries {
    () => {
        $crate::stack::Binaries {
            users: env!("CARGO_BIN_EXE_stack-users"),
            items: env!("CARGO_BIN_EXE_stack-items"),
            orders: env!("CARGO_BIN_EXE_stack-orders"),
            worker: env!("CARGO_BIN_EXE_orders-worker"),
            gateway: env!("CARGO_BIN_EXE_stack-gateway"),
        }
    };
}

/// One process of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    /// Accounts, tokens, the admin area.
    Users,
    /// The catalogue and its stock.
    Items,
    /// Orders (placing them; their jobs go to the worker).
    Orders,
    /// The orders' jobs.
    Worker,
    /// The single entry point.
    Gateway,
}

impl Service {
    /// Every process, in the order they start.
    pub const ALL: [Service; 5] = [
        Service::Items,
        Service::Users,
        Service::Orders,
        Service::Worker,
        Service::Gateway,
    ];

    /// Its name, as docker-compose.yml calls it.
    pub fn name(self) -> &'static str {
        match self {
            Service::Users => "users",
            Service::Items => "items",
            Service::Orders => "orders",
            Service::Worker => "worker",
            Service::Gateway => "gateway",
        }
    }

    fn program(self, binaries: &Binaries) -> &'static str {
        match self {
            Service::Users => binaries.users,
            Service::Items => binaries.items,
            Service::Orders => binaries.orders,
            Service::Worker => binaries.worker,
            Service::Gateway => binaries.gateway,
        }
    }
}

/// The running stack; every process still running is killed when it is dropped.
#[derive(Debug)]
pub struct Stack {
    binaries: Binaries,
    ports: BTreeMap<Service, u16>,
    database_url: String,
    amqp_url: String,
    namespace: String,
    secret: String,
    processes: BTreeMap<Service, Process>,
    queues: Option<QueueGuard>,
    /// Variables every process gets besides compose's.
    extra_env: Vec<(&'static str, String)>,
}

impl Stack {
    /// Starts every process against `services` (a fresh database and RabbitMQ),
    /// and waits until each one's `/readyz` says ready and the gateway's reports
    /// every service ready. `test` names the RabbitMQ namespace.
    ///
    /// # Panics
    ///
    /// If a process is not ready in time, with every process's logs.
    pub async fn start(services: &Services, binaries: Binaries, test: &str) -> Self {
        Self::start_with_env(services, binaries, test, Vec::new()).await
    }

    /// [`start`](Self::start), giving every process `extra_env` as well (e.g. where
    /// to export traces).
    pub async fn start_with_env(
        services: &Services,
        binaries: Binaries,
        test: &str,
        extra_env: Vec<(&'static str, String)>,
    ) -> Self {
        let namespace = crate::namespace(test);
        let broker = AmqpBroker::new(crate::amqp_settings(&services.amqp_url, &namespace));
        let queues = QueueGuard::new(broker, &[ConfirmOrder::NAME, NotifyOrder::NAME]);
        let secret = format!("e2e-{}", uuid::Uuid::new_v4().simple());
        let mut stack = Self {
            binaries,
            ports: Service::ALL.iter().map(|&s| (s, free_port())).collect(),
            database_url: services.db.url().to_owned(),
            amqp_url: services.amqp_url.clone(),
            namespace,
            secret,
            processes: BTreeMap::new(),
            queues: Some(queues),
            extra_env,
        };
        for service in Service::ALL {
            stack.spawn(service);
        }
        for service in Service::ALL {
            stack.wait_ready(service).await;
        }
        stack
    }

    /// `http://127.0.0.1:<port>` of `service`.
    pub fn url(&self, service: Service) -> String {
        format!("http://127.0.0.1:{}", self.ports[&service])
    }

    /// The gateway's address: the only one a user of the stack needs.
    pub fn gateway(&self) -> String {
        self.url(Service::Gateway)
    }

    /// Every running process's logs, for assertion messages.
    pub fn logs(&self) -> String {
        let logs: Vec<String> = self.processes.values().map(Process::logs).collect();
        logs.join("\n")
    }

    /// Kills `service` with SIGKILL (a crash: nothing is drained) and waits until
    /// it is gone.
    ///
    /// # Panics
    ///
    /// If it is not running.
    pub fn kill(&mut self, service: Service) {
        let mut process = self
            .processes
            .remove(&service)
            .unwrap_or_else(|| panic!("{} is not running", service.name()));
        process.kill();
    }

    /// Starts `service` again on its port, with the same variables, and waits
    /// until it is ready.
    pub async fn restart(&mut self, service: Service) {
        self.spawn(service);
        self.wait_ready(service).await;
    }

    /// Stops the stack as `docker compose down` does: SIGTERM to each process (the
    /// gateway first, the services it depends on last), each must exit 0 within
    /// its grace period; then deletes the stack's queues.
    ///
    /// # Panics
    ///
    /// If a process does not exit 0 in time.
    pub async fn stop(mut self) {
        for service in Service::ALL.into_iter().rev() {
            let Some(mut process) = self.processes.remove(&service) else {
                continue;
            };
            process.signal("TERM");
            let status = process.wait_exit(Duration::from_secs(40)).await;
            assert!(
                status.is_some_and(|s| s.success()),
                "{} did not exit 0 on SIGTERM: {status:?}\n{}",
                service.name(),
                process.logs()
            );
        }
        if let Some(queues) = self.queues.take() {
            queues.cleanup().await;
        }
    }

    fn spawn(&mut self, service: Service) {
        assert!(
            !self.processes.contains_key(&service),
            "{} is already running",
            service.name()
        );
        let program = service.program(&self.binaries);
        let env = self.env(service);
        let process = Process::spawn_without(service.name(), program, &env, STACK_VARIABLES);
        self.processes.insert(service, process);
    }

    async fn wait_ready(&self, service: Service) {
        let port = self.ports[&service];
        eventually(
            &format!("{} to be ready", service.name()),
            PATIENCE,
            || self.logs(),
            || async { (http_status(port, "/readyz") == Some(200)).then_some(()) },
        )
        .await;
    }

    /// The variables docker-compose.yml sets for `service`.
    fn env(&self, service: Service) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("HOST", "127.0.0.1".to_owned()),
            ("PORT", self.ports[&service].to_string()),
            ("OTEL_SERVICE_NAME", service.name().to_owned()),
        ];
        let database = ("DATABASE_URL", self.database_url.clone());
        let secret = ("JWT_SECRET", self.secret.clone());
        let amqp = [
            ("AMQP_URL", self.amqp_url.clone()),
            ("AMQP_NAMESPACE", self.namespace.clone()),
        ];
        let items = ("ITEMS_URL", self.url(Service::Items));
        match service {
            Service::Users => env.extend([
                database,
                secret,
                ("ADMIN_USERNAME", ADMIN.0.to_owned()),
                ("ADMIN_PASSWORD", ADMIN.1.to_owned()),
                items,
            ]),
            Service::Items => env.extend([database, secret]),
            Service::Orders => {
                env.extend([database, secret, items]);
                env.extend(amqp);
                env.push(("EMBEDDED_WORKER", "false".to_owned()));
            }
            Service::Worker => {
                env.push(database);
                env.extend(amqp);
                env.extend([
                    ("WORKER_CONCURRENCY", "4".to_owned()),
                    ("WORKER_PREFETCH", "8".to_owned()),
                    ("WORKER_SHUTDOWN_GRACE_SECS", "10".to_owned()),
                ]);
            }
            Service::Gateway => env.extend([
                ("USERS_URL", self.url(Service::Users)),
                items,
                ("ORDERS_URL", self.url(Service::Orders)),
                ("GATEWAY_TIMEOUT_SECS", "10".to_owned()),
                // Compose keeps the default (10 s); a test watches the merged
                // document follow a service's outage within a second.
                ("GATEWAY_DOCS_TTL_SECS", "1".to_owned()),
            ]),
        }
        env.extend(self.extra_env.iter().cloned());
        env
    }
}
