//! The services behind the gateway and the paths each one owns: the one table to
//! edit when a service is added.
//!
//! | prefix | service |
//! | --- | --- |
//! | `/users`, `/token`, `/admin` | users |
//! | `/`, `/items`, `/models`, `/hello` | items |
//! | `/orders`, `/ws/orders`, `/admin/jobs` | orders |
//!
//! A prefix owns the paths under it (whole segments: `/users` is not
//! `/usersettings`), the longest prefix wins (`/admin/jobs` is the orders
//! service's job console, the rest of `/admin` the users service's), and `/` owns
//! only the root page. The services' `/internal` routes (service to service) are
//! deliberately not routed: they are no client's business.
//!
//! Each entry also says how the all-in-one launcher starts the service in this
//! process: its [`launch`](Service::launch) hook reads the service's `Config` from
//! the environment, puts in the stack's shared auth settings and the addresses of
//! the services it calls, and returns the config with the service's `build` (see
//! [`crate::launch`]). `apiarist new service` adds an entry with its hook.

use std::time::Duration;

use apiarist::gateway::Gateway;

use crate::launch::{Boot, Launch};

/// One service behind the gateway.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// Its name (in error bodies, readiness reports and the merged docs).
    pub name: &'static str,
    /// The variable with its address, in proxy mode.
    pub url_variable: &'static str,
    /// Its port when it runs as its own process with `PORT` unset.
    pub default_port: u16,
    /// The path prefixes routed to it.
    pub prefixes: &'static [&'static str],
    /// How the all-in-one launcher configures it (see [`crate::launch`]).
    pub launch: Launch,
}

/// Every service, in the order of the merged docs.
pub const SERVICES: &[Service] = &[
    Service {
        name: "users",
        url_variable: "USERS_URL",
        default_port: users::DEFAULT_PORT,
        prefixes: &["/users", "/token", "/admin"],
        launch: |stack| {
            let mut config = users::Config::from_env()?;
            config.auth = stack.auth.clone();
            config.items_url = stack.url("items");
            Ok(Boot::new(config, users::build))
        },
    },
    Service {
        name: "items",
        url_variable: "ITEMS_URL",
        default_port: items::DEFAULT_PORT,
        prefixes: &["/", "/items", "/models", "/hello"],
        launch: |stack| {
            let mut config = items::Config::from_env()?;
            config.auth = stack.auth.clone();
            Ok(Boot::new(config, items::build))
        },
    },
    Service {
        name: "orders",
        url_variable: "ORDERS_URL",
        default_port: orders::DEFAULT_PORT,
        prefixes: &["/orders", "/ws/orders", "/admin/jobs"],
        launch: |stack| {
            let mut config = orders::Config::from_env()?;
            config.auth = stack.auth.clone();
            config.items_url = stack.url("items");
            Ok(Boot::new(config, orders::build))
        },
    },
];

/// Where each service is: `(name, http://host:port)`, in [`SERVICES`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceUrls(Vec<(String, String)>);

impl ServiceUrls {
    /// Every service at `http://127.0.0.1:<its default port>`, where it listens
    /// when started on its own with `PORT` unset.
    pub fn defaults() -> Self {
        let mut urls = Self::default();
        for service in SERVICES {
            urls.insert(
                service.name,
                format!("http://127.0.0.1:{}", service.default_port),
            );
        }
        urls
    }

    /// Sets the address of service `name`.
    pub fn insert(&mut self, name: &str, url: String) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some((_, old)) => *old = url,
            None => self.0.push((name.to_owned(), url)),
        }
    }

    /// The address of service `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, url)| url.as_str())
    }
}

/// The demo stack's gateway in front of the services at `urls`.
///
/// # Panics
///
/// If `urls` lacks one of [`SERVICES`] (the settings and the launcher give them all).
pub fn gateway(urls: &ServiceUrls, timeout: Duration, docs_ttl: Duration) -> Gateway {
    let mut gateway = Gateway::new("apiarist demo")
        .version(env!("CARGO_PKG_VERSION"))
        .description("The apiarist demo stack: every service behind one gateway.")
        .timeout(timeout)
        .docs_ttl(docs_ttl);
    for service in SERVICES {
        let url = urls
            .get(service.name)
            .unwrap_or_else(|| panic!("no address for the {} service", service.name));
        gateway = gateway.service(service.name, url, service.prefixes);
    }
    gateway
}
