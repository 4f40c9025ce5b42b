//! The items service against external contract checkers, as a client team would run
//! them: `openapi-spec-validator` on the served document, and `schemathesis` against
//! the running service (every status code it meets must be documented, and every
//! response must match its documented schema).
//!
//! Both tools come from PyPI into a virtualenv under the target directory, created on
//! first use. Without Python or network they are skipped, except in CI (`CI=true`),
//! where a missing tool is a failure.

mod common;

use apiarist::db::{Database, testing::TestDatabase};
use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

const TOOLS: &[&str] = &["schemathesis==4.32.5", "openapi-spec-validator==0.9.0"];

fn skip_or_fail(why: &str) -> Option<PathBuf> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}");
    }
    eprintln!("skipping: {why}");
    None
}

/// The virtualenv with the checkers, created once per target directory.
fn tools() -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let venv = target.join("pytools");
    let marker = venv.join(format!("installed-{}", TOOLS.join("-")));
    if marker.exists() {
        return Some(venv);
    }
    // Tests run in parallel: let one create the venv while others wait for it.
    let lock = target.join("pytools.lock");
    std::fs::create_dir_all(&target).ok()?;
    for _ in 0..600 {
        if std::fs::create_dir(&lock).is_ok() {
            break;
        }
        if marker.exists() {
            return Some(venv);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let result = (|| {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .ok()?
            .success();
        ok.then_some(())?;
        let ok = Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "--disable-pip-version-check"])
            .args(TOOLS)
            .status()
            .ok()?
            .success();
        ok.then_some(())?;
        std::fs::write(&marker, b"").ok()
    })();
    std::fs::remove_dir(&lock).ok();
    match result {
        Some(()) => Some(venv),
        None => skip_or_fail("could not install the contract checkers from PyPI"),
    }
}

#[test]
fn openapi_document_is_valid() {
    let Some(venv) = tools() else { return };
    let test_db = TestDatabase::sqlite();
    let doc = actix_web::rt::System::new()
        .block_on(async { common::app(test_db.connect::<items::Migrator>().await).openapi() });
    let file = std::env::temp_dir().join(format!("items-openapi-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = Command::new(venv.join("bin/openapi-spec-validator"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator rejected the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn schemathesis_finds_no_contract_violation() {
    let Some(venv) = tools() else { return };
    let port = free_port();
    let test_db = TestDatabase::sqlite();
    let settings = test_db.settings();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let db = Database::connect::<items::Migrator>(settings)
                .await
                .expect("test database");
            common::app(db).serve("127.0.0.1", port).await
        })
    });
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let out = Command::new(venv.join("bin/schemathesis"))
        // The checks (every one but `negative_data_rejection`, with exceptions for
        // the item images) are in the config file, with why.
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{base}/openapi.json")])
        .args(["--max-examples", "40", "--seed", "1", "--no-color"])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{report}"
    );
}
