//! docker-compose.yml and the Dockerfile checked against the code, since no Docker
//! engine runs here: the compose file parses; every service it builds runs a binary
//! of this workspace that the Dockerfile builds; every environment variable it sets
//! is one that binary's code reads; ports agree (a service's `PORT`, its
//! `DEFAULT_PORT`, its healthcheck, the addresses other services are given); each
//! healthcheck hits a probe route; dependencies wait for health; nothing stops a
//! service from being scaled.

#[path = "compose/code_facts.rs"]
mod code_facts;
#[path = "compose/stack.rs"]
mod stack;
#[path = "compose/workspace.rs"]
mod workspace;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::OnceLock,
};

use code_facts::CodeFacts;
use stack::{Compose, Service};
use workspace::Workspace;

/// The binary (of package `apiarist-cli`) whose `probe` command is the healthcheck.
const PROBE_BIN: &str = "apiarist";

struct Stack {
    compose: Compose,
    dockerfile: String,
    workspace: Workspace,
    facts: BTreeMap<String, CodeFacts>,
}

fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        let workspace = Workspace::load();
        let read = |file: &str| {
            std::fs::read_to_string(workspace.root.join(file))
                .unwrap_or_else(|e| panic!("reading {file}: {e}"))
        };
        let compose = Compose::parse(&read("docker-compose.yml"));
        let dockerfile = read("Dockerfile");
        let facts = workspace
            .packages
            .values()
            .map(|p| (p.name.clone(), CodeFacts::of_targets(&p.roots)))
            .collect();
        Stack {
            compose,
            dockerfile,
            workspace,
            facts,
        }
    })
}

impl Stack {
    /// The workspace binary a built service runs.
    fn binary<'a>(&self, service: &'a Service) -> &'a str {
        service
            .command
            .first()
            .unwrap_or_else(|| panic!("service {}: no `command` naming its binary", service.name))
    }

    /// The package of the binary a built service runs.
    fn package(&self, service: &Service) -> &str {
        let bin = self.binary(service);
        &self
            .workspace
            .package_of_bin(bin)
            .unwrap_or_else(|| panic!("service {}: no workspace binary `{bin}`", service.name))
            .name
    }

    /// The environment variables the code of `package` and its workspace dependencies reads.
    fn env_reads(&self, package: &str) -> BTreeSet<String> {
        let closure = self.workspace.closure(package);
        CodeFacts::env_reads(closure.iter().map(|p| &self.facts[&p.name]))
    }

    /// The packages `ARG SERVICES="..."` in the Dockerfile lists.
    fn dockerfile_services(&self) -> Vec<&str> {
        let line = self
            .dockerfile
            .lines()
            .find_map(|l| l.trim().strip_prefix("ARG SERVICES="))
            .expect("the Dockerfile declares ARG SERVICES=\"...\"");
        line.trim_matches('"').split_whitespace().collect()
    }
}

#[test]
fn the_compose_file_has_the_whole_stack() {
    let compose = &stack().compose;
    let names: BTreeSet<&str> = compose.services.iter().map(|s| s.name.as_str()).collect();
    for expected in [
        "postgres", "rabbitmq", "users", "items", "orders", "worker", "gateway",
    ] {
        assert!(
            names.contains(expected),
            "no `{expected}` service in {names:?}"
        );
    }
    let gateway = compose.service("gateway").unwrap();
    assert!(
        gateway.ports.iter().any(|p| p == "8000:8000"),
        "the gateway is published on :8000: {:?}",
        gateway.ports
    );
    let rabbitmq = compose.service("rabbitmq").unwrap();
    assert!(
        rabbitmq.ports.iter().any(|p| p.ends_with(":15672")),
        "RabbitMQ's management UI is published: {:?}",
        rabbitmq.ports
    );
}

#[test]
fn every_built_service_runs_a_workspace_binary_the_dockerfile_builds() {
    let stack = stack();
    let built = stack.dockerfile_services();
    assert!(
        stack.compose.built().count() >= 5,
        "users, items, orders, worker, gateway"
    );
    for service in stack.compose.built() {
        let bin = stack.binary(service);
        let package = stack.package(service);
        assert_eq!(
            package, bin,
            "service {}: the Dockerfile copies target/release/<package>, so the binary \
             must be named after its package",
            service.name
        );
        assert!(
            built.contains(&bin),
            "service {} runs `{bin}`, which the Dockerfile's SERVICES ({built:?}) does not build",
            service.name
        );
    }
    // The probe used by the healthchecks is in the image too.
    let cli = stack
        .workspace
        .package_of_bin(PROBE_BIN)
        .expect("the apiarist CLI");
    assert!(stack.dockerfile.contains(&format!("-p {}", cli.name)));
    assert!(
        stack
            .dockerfile
            .contains(&format!("for bin in {PROBE_BIN} $SERVICES"))
    );
    for package in built {
        assert!(
            stack
                .workspace
                .packages
                .get(package)
                .is_some_and(|p| p.bins.iter().any(|b| b == package)),
            "the Dockerfile builds `{package}`, which is no workspace binary"
        );
    }
}

#[test]
fn every_environment_variable_is_one_the_binary_reads() {
    let stack = stack();
    for service in stack.compose.built() {
        let package = stack.package(service);
        let reads = stack.env_reads(package);
        let unread: Vec<&String> = service
            .environment
            .keys()
            .filter(|name| !reads.contains(*name))
            .collect();
        assert!(
            unread.is_empty(),
            "service {} sets {unread:?}, which `{package}` never reads (it reads {reads:?})",
            service.name
        );
    }
}

#[test]
fn the_code_scan_sees_every_way_of_reading_a_variable() {
    let stack = stack();
    let reads = stack.env_reads("worker");
    // figment structs (db, auth, worker, server), env::var, tracing's EnvFilter.
    for name in [
        "DATABASE_URL",
        "DATABASE_POOL_SIZE",
        "JWT_SECRET",
        "ADMIN_PASSWORD",
        "WORKER_PREFETCH",
        "HOST",
        "PORT",
        "AMQP_URL",
        "LOG_FORMAT",
        "RUST_LOG",
    ] {
        assert!(reads.contains(name), "{name} not found in {reads:?}");
    }
    assert!(!reads.contains("NOT_A_VARIABLE_ANYONE_READS"));
}

#[test]
fn ports_agree_between_compose_and_code() {
    let stack = stack();
    let ports: BTreeMap<&str, u16> = stack
        .compose
        .built()
        .map(|s| {
            let port = s
                .port()
                .unwrap_or_else(|| panic!("service {}: PORT is not set", s.name));
            (s.name.as_str(), port)
        })
        .collect();
    let distinct: BTreeSet<u16> = ports.values().copied().collect();
    assert_eq!(
        distinct.len(),
        ports.len(),
        "each service its own port: {ports:?}"
    );
    for service in stack.compose.built() {
        let port = ports[service.name.as_str()];
        let package = stack.package(service);
        let expected = stack.facts[package].default_port().unwrap_or(8000);
        assert_eq!(
            port, expected,
            "service {}: PORT {port}, but `{package}` listens on {expected} by default \
             (its DEFAULT_PORT)",
            service.name
        );
        for published in &service.ports {
            let container = published.rsplit(':').next().unwrap_or_default();
            assert_eq!(
                container,
                port.to_string(),
                "service {}: ports",
                service.name
            );
        }
        // Addresses given to other services point at a service's PORT.
        for (var, value) in service
            .environment
            .iter()
            .filter(|(k, _)| k.ends_with("_URL"))
        {
            let Some((host, target_port)) = http_host_port(value) else {
                continue;
            };
            if let Some(target) = ports.get(host) {
                assert_eq!(
                    target_port, *target,
                    "service {}: {var}={value}, but {host} listens on {target}",
                    service.name
                );
            }
        }
    }
}

#[actix_rt::test]
async fn healthchecks_probe_a_served_route_on_the_service_port() {
    let stack = stack();
    let client = apiarist::testing::TestClient::new(apiarist::App::new("probes")).await;
    for service in stack.compose.built() {
        let [cmd, bin, command, url] = service.healthcheck.as_slice() else {
            panic!(
                "service {}: healthcheck should be [\"CMD\", \"{PROBE_BIN}\", \"probe\", URL], is {:?}",
                service.name, service.healthcheck
            );
        };
        assert_eq!(
            (cmd.as_str(), bin.as_str(), command.as_str()),
            ("CMD", PROBE_BIN, "probe")
        );
        let rest = url
            .strip_prefix("http://127.0.0.1:")
            .expect("probes the container itself");
        let (port, path) = rest.split_at(rest.find('/').expect("a path"));
        assert_eq!(
            port.parse::<u16>().ok(),
            service.port(),
            "service {}: probe port",
            service.name
        );
        assert!(
            ["/healthz", "/readyz"].contains(&path),
            "service {}: {path} is not a probe",
            service.name
        );
        // Every apiarist app serves its probes; an empty one answers them.
        let res = client.get(path).send().await;
        assert_eq!(res.status(), 200, "{path} on an apiarist app");
    }
}

#[test]
fn dependencies_wait_for_health_and_services_can_scale() {
    let compose = &stack().compose;
    for service in &compose.services {
        for (dep, condition) in &service.depends_on {
            let target = compose
                .service(dep)
                .unwrap_or_else(|| panic!("service {}: depends on unknown {dep}", service.name));
            assert_eq!(
                condition, "service_healthy",
                "service {}: depends_on {dep} must wait for its health",
                service.name
            );
            assert!(!target.healthcheck.is_empty(), "{dep} has no healthcheck");
        }
        assert!(
            !service.healthcheck.is_empty(),
            "{} has no healthcheck",
            service.name
        );
    }
    for service in compose.built() {
        assert_eq!(
            service.container_name, None,
            "{}: a fixed name cannot scale",
            service.name
        );
        let scalable = service.name != "gateway";
        assert!(
            !scalable || service.ports.is_empty(),
            "service {}: a published host port stops `--scale {}=2`",
            service.name,
            service.name
        );
    }
    let orders = compose.service("orders").unwrap();
    assert_eq!(
        orders
            .environment
            .get("EMBEDDED_WORKER")
            .map(String::as_str),
        Some("false"),
        "the worker service runs the orders' jobs"
    );
}

#[test]
fn services_share_one_jwt_secret_database_and_broker() {
    let compose = &stack().compose;
    for var in ["JWT_SECRET", "DATABASE_URL", "AMQP_URL"] {
        let values: BTreeSet<&String> = compose
            .built()
            .filter_map(|s| s.environment.get(var))
            .collect();
        assert!(
            values.len() <= 1,
            "{var} differs between services: {values:?}"
        );
    }
    let database = compose.service("users").unwrap().environment["DATABASE_URL"].clone();
    assert!(database.starts_with("postgres://") && database.contains("@postgres:"));
    let amqp = compose.service("worker").unwrap().environment["AMQP_URL"].clone();
    assert!(amqp.starts_with("amqp://") && amqp.contains("@rabbitmq:"));
}

/// `http://host:port/...` -> (host, port).
fn http_host_port(url: &str) -> Option<(&str, u16)> {
    let rest = url.strip_prefix("http://")?;
    let authority = rest.split('/').next()?;
    let (host, port) = authority.split_once(':')?;
    Some((host, port.parse().ok()?))
}
