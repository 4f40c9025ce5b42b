//! `apiarist new service` as a user runs it, on a copy of the workspace's manifests
//! and shared files: the crate it writes, the files it edits (checked by parsing
//! them: Cargo.toml with toml_edit, docker-compose.yml with a YAML parser), and the
//! names and ports it refuses without touching anything.

mod common;

use common::{Workspace, text};
use saphyr::{LoadableYamlNode, Yaml};

/// The parsed compose file.
fn compose(ws: &Workspace) -> Yaml<'static> {
    let text: &'static str = Box::leak(ws.read("docker-compose.yml").into_boxed_str());
    Yaml::load_from_str(text).expect("compose parses").remove(0)
}

fn scalar(node: &Yaml) -> String {
    node.as_str()
        .map(str::to_owned)
        .or_else(|| node.as_integer().map(|i| i.to_string()))
        .unwrap_or_else(|| panic!("not a scalar: {node:?}"))
}

#[test]
fn a_new_service_is_a_crate_like_the_others_registered_everywhere() {
    let ws = Workspace::manifests();
    // From a subdirectory: the tool finds the workspace root itself.
    let out = ws.run("services", &["new", "service", "billing"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Created services/billing (package `billing`, port 8005)"),
        "{stdout}"
    );
    assert!(stdout.contains("cargo test -p billing"), "{stdout}");

    // The crate: every part, no placeholder left, the port in its DEFAULT_PORT.
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        "src/main.rs",
        "src/config.rs",
        "src/routes.rs",
        "src/models.rs",
        "src/migrations.rs",
        "src/jobs.rs",
        "tests/api.rs",
    ] {
        let text = ws.read(format!("services/billing/{file}"));
        assert!(
            !text.contains("{{"),
            "{file} has a placeholder left:\n{text}"
        );
    }
    let lib = ws.read("services/billing/src/lib.rs");
    assert!(lib.contains("pub const DEFAULT_PORT: u16 = 8005;"), "{lib}");
    let main = ws.read("services/billing/src/main.rs");
    assert!(
        main.contains("billing::build(billing::Config::from_env()?)"),
        "{main}"
    );
    let manifest: toml_edit::DocumentMut = ws.read("services/billing/Cargo.toml").parse().unwrap();
    assert_eq!(manifest["package"]["name"].as_str(), Some("billing"));
    let routes = ws.read("services/billing/src/routes.rs");
    assert!(
        routes.contains("Router::with_prefix(\"/billing\")"),
        "{routes}"
    );
    let migrations = ws.read("services/billing/src/migrations.rs");
    assert!(
        migrations.contains("\"seaql_migrations_billing\""),
        "{migrations}"
    );

    // The workspace.
    let root: toml_edit::DocumentMut = ws.read("Cargo.toml").parse().unwrap();
    let members: Vec<&str> = root["workspace"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    assert!(members.contains(&"services/billing"), "{members:?}");

    // The compose file: the service, its port, its healthcheck, the gateway's link.
    let compose = compose(&ws);
    let services = &compose["services"];
    let billing = &services["billing"];
    assert_eq!(scalar(&billing["command"][0]), "billing");
    assert_eq!(scalar(&billing["environment"]["PORT"]), "8005");
    assert_eq!(
        scalar(&billing["environment"]["DATABASE_URL"]),
        scalar(&services["orders"]["environment"]["DATABASE_URL"]),
        "the stack's database"
    );
    assert_eq!(
        scalar(&billing["healthcheck"]["test"][3]),
        "http://127.0.0.1:8005/readyz"
    );
    assert_eq!(
        scalar(&billing["depends_on"]["postgres"]["condition"]),
        "service_healthy"
    );
    let gateway = &services["gateway"];
    assert_eq!(
        scalar(&gateway["environment"]["BILLING_URL"]),
        "http://billing:8005"
    );
    assert_eq!(
        scalar(&gateway["depends_on"]["billing"]["condition"]),
        "service_healthy"
    );
    // Everything else is as it was.
    let before = std::fs::read_to_string(common::repo().join("docker-compose.yml")).unwrap();
    let after = ws.read("docker-compose.yml");
    let removed: Vec<&str> = before.lines().filter(|l| !after.contains(l)).collect();
    assert!(removed.is_empty(), "lines lost: {removed:?}");

    // The gateway routes /billing to it, and starts it in all-in-one mode.
    let table = ws.read("services/gateway/src/services.rs");
    assert!(
        table.contains("        name: \"billing\",\n        url_variable: \"BILLING_URL\",\n"),
        "{table}"
    );
    assert!(table.contains("prefixes: &[\"/billing\"],"), "{table}");
    assert!(
        table.contains(
            "        launch: |_| Ok(Boot::new(billing::Config::from_env()?, billing::build)),\n    },\n];"
        ),
        "all-in-one mode starts it: {table}"
    );
    let gateway: toml_edit::DocumentMut = ws.read("services/gateway/Cargo.toml").parse().unwrap();
    assert_eq!(
        gateway["dependencies"]["billing"]["path"].as_str(),
        Some("../billing")
    );

    // The image builds it.
    let dockerfile = ws.read("Dockerfile");
    let services_arg = dockerfile
        .lines()
        .find(|l| l.starts_with("ARG SERVICES="))
        .unwrap();
    assert!(services_arg.ends_with(" billing\""), "{services_arg}");
}

#[test]
fn the_next_service_takes_the_next_port_and_multi_word_names_work() {
    let ws = Workspace::manifests();
    assert!(ws.run(".", &["new", "service", "billing"]).status.success());
    let out = ws.run(".", &["new", "service", "loyalty_points"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let compose = compose(&ws);
    let service = &compose["services"]["loyalty-points"];
    assert_eq!(scalar(&service["command"][0]), "loyalty_points");
    assert_eq!(scalar(&service["environment"]["PORT"]), "8006");
    assert_eq!(
        scalar(&compose["services"]["gateway"]["environment"]["LOYALTY_POINTS_URL"]),
        "http://loyalty-points:8006"
    );
    let jobs = ws.read("services/loyalty_points/src/jobs.rs");
    assert!(jobs.contains("pub struct ProcessLoyaltyPoints"), "{jobs}");
    assert!(jobs.contains("\"loyalty_points.process\""), "{jobs}");

    let out = ws.run(".", &["new", "service", "audit", "--port", "9100"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(
        ws.read("services/audit/src/lib.rs")
            .contains("DEFAULT_PORT: u16 = 9100;")
    );
}

#[test]
fn refused_names_and_ports_say_why_and_change_nothing() {
    let ws = Workspace::manifests();
    let before = ws.snapshot();
    for (args, message) in [
        (
            &["new", "service", "Billing"][..],
            "invalid service name `Billing`: use lowercase letters (e.g. `billing`)",
        ),
        (
            &["new", "service", "loyalty-points"],
            "join words with `_`, not `-` (e.g. `loyalty_points`)",
        ),
        (
            &["new", "service", "fn"],
            "invalid service name `fn`: it is a Rust keyword",
        ),
        (
            &["new", "service", "items"],
            "services/items already exists",
        ),
        (
            &["new", "service", "serde"],
            "`serde` is a dependency of the workspace",
        ),
        (&["new", "service", "e2e"], "invalid service name `e2e`"),
        (
            &["new", "service", "bench_bare"],
            "`bench_bare` is the package in bench/bare",
        ),
        (
            &["new", "service", "billing", "--port", "8001"],
            "port 8001 is used by another service",
        ),
        (
            &["new", "service", "billing", "--port", "8000"],
            "port 8000 is used by another service",
        ),
    ] {
        let out = ws.run(".", args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stdout}{stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    assert!(ws.snapshot() == before, "a refused command changed files");
}

#[test]
fn a_service_cannot_be_made_twice() {
    let ws = Workspace::manifests();
    assert!(ws.run(".", &["new", "service", "billing"]).status.success());
    let out = ws.run(".", &["new", "service", "billing"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("services/billing already exists"));
}

#[test]
fn wrong_command_lines_print_the_usage() {
    let ws = Workspace::manifests();
    for args in [
        &["new", "thing", "x"][..],
        &["new", "service"],
        &["new", "service", "a", "b"],
        &["frobnicate"],
    ] {
        let out = ws.run(".", args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out).1.contains("USAGE:"),
            "{args:?}: {:?}",
            text(&out)
        );
    }
    let out = ws.run(".", &["new", "service", "a", "--port", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("--port takes a port number, not `x`"));
    let out = ws.run(".", &["help"]);
    assert!(out.status.success());
    assert!(text(&out).0.contains("apiarist new service <name>"));
}

#[test]
fn outside_a_workspace_it_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_apiarist"))
        .args(["new", "service", "billing"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).1.contains("no apiarist workspace"),
        "{:?}",
        text(&out)
    );
}

#[test]
fn the_gateway_entry_has_the_fields_of_the_gateways_service_type() {
    let table =
        std::fs::read_to_string(common::repo().join("services/gateway/src/services.rs")).unwrap();
    let start = table
        .find("pub struct Service {")
        .expect("the gateway's `Service` type");
    let body = &table[start..start + table[start..].find("\n}").unwrap()];
    let fields: Vec<&str> = body
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub ")?.split(':').next())
        .filter(|f| !f.starts_with("struct"))
        .collect();
    let entry: Vec<&str> = apiarist_cli::edit::gateway::ENTRY
        .lines()
        .filter_map(|l| l.trim().split_once(':').map(|(field, _)| field))
        .collect();
    assert_eq!(
        entry, fields,
        "cli/templates/gateway-service.rs.tmpl is out of date"
    );
}
