//! SLOW (minutes; ignored by default): `apiarist new service billing` in a full copy
//! of the workspace, then what the README promises right after it: `cargo test -p
//! billing` passes, the crate is clippy- and rustfmt-clean, the gateway builds with
//! the new route and stays rustfmt-clean, the compose checks (`cargo test -p e2e
//! --test compose`) accept the new service, and `cargo run` (the gateway in
//! all-in-one mode) starts billing with the others: it is ready, its routes are in
//! the merged `/openapi.json`, and a request reaches it through the gateway.
//!
//! ```sh
//! cargo test -p apiarist-cli --test generated_crate -- --ignored
//! ```
//!
//! It builds into `CARGO_TARGET_DIR` when set (the workspace's usual one), so only
//! the copied crates are compiled again.

mod common;

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::{Workspace, text};
use serde_json::Value;

fn cargo(ws: &Workspace, args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(args)
        .current_dir(ws.path("."))
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("running cargo");
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "cargo {args:?} failed:\n{stdout}\n{stderr}"
    );
}

/// The copy's gateway binary, built, and copied out of the shared target
/// directory at once (a build of the repository's own gateway would replace it).
fn gateway_binary(ws: &Workspace) -> PathBuf {
    cargo(ws, &["build", "-p", "gateway"]);
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| ws.path("target"), PathBuf::from);
    let binary = ws.path("gateway-all-in-one");
    std::fs::copy(target.join("debug/gateway"), &binary).expect("the gateway binary");
    binary
}

/// The gateway in all-in-one mode (none of the services' variables set), in
/// `dir`, on `port`; killed when dropped.
struct AllInOne {
    child: Child,
    log: PathBuf,
}

impl AllInOne {
    fn start(binary: &Path, dir: &Path, port: u16) -> Self {
        let log = dir.join("gateway.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut command = Command::new(binary);
        command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            let ours = ["DATABASE_", "AMQP_", "JWT_", "GATEWAY_"]
                .iter()
                .any(|p| name.starts_with(p));
            if ours || name.ends_with("_URL") {
                command.env_remove(&name);
            }
        }
        command
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "info")
            .env("LOG_FORMAT", "text");
        Self {
            child: command.spawn().expect("starting the gateway"),
            log,
        }
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for AllInOne {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on 127.0.0.1:`port`: the status and the body (the gateway's own
/// answers and these services' JSON carry a length, so reading to the end is it).
fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_owned()))
}

#[test]
#[ignore = "slow: compiles the generated crate; run with --ignored"]
fn the_generated_service_builds_passes_its_tests_and_the_compose_checks() {
    let ws = Workspace::full();
    let out = ws.run(".", &["new", "service", "billing"]);
    assert!(out.status.success(), "{:?}", text(&out));
    cargo(&ws, &["test", "-p", "billing"]);
    cargo(
        &ws,
        &[
            "clippy",
            "-p",
            "billing",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    );
    cargo(
        &ws,
        &["fmt", "-p", "billing", "-p", "gateway", "--", "--check"],
    );
    // The gateway compiles with the new entry in its route table.
    cargo(&ws, &["check", "-p", "gateway"]);
    cargo(&ws, &["test", "-p", "e2e", "--test", "compose"]);

    // `cargo run`: the gateway starts billing in its own process with the others.
    let binary = gateway_binary(&ws);
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gateway = AllInOne::start(&binary, dir.path(), port);
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = loop {
        match get(port, "/readyz") {
            Ok((200, body)) => break body,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            other => panic!("not ready in time: {other:?}\n{}", gateway.logs()),
        }
    };
    let ready: Value = serde_json::from_str(&ready).unwrap();
    assert_eq!(ready["services"]["billing"]["status"], "ready", "{ready}");

    let (status, doc) = get(port, "/openapi.json").unwrap();
    assert_eq!(status, 200, "{doc}");
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(doc["x-services"]["billing"]["status"], "current", "{doc}");
    for path in ["/billing/", "/billing/{record_id}", "/items/", "/orders/"] {
        assert!(doc["paths"][path].is_object(), "{path} is missing: {doc}");
    }
    let (status, records) = get(port, "/billing/").unwrap();
    assert_eq!(
        (status, records.as_str()),
        (200, "[]"),
        "through the gateway"
    );
    assert!(
        dir.path().join("billing.db").exists(),
        "its own SQLite file, like the others"
    );
}
