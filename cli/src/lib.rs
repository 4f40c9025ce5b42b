//! `apiarist`, the workspace's command-line tool.
//!
//! - `apiarist new service <name> [--port N]` adds a service crate under
//!   `services/<name>` with every part the others have (a router, a sea-orm model,
//!   a migration, a job and its actor, a test, a `main` with `DEFAULT_PORT` and the
//!   `Config::from_env()` / `build(config)` entry points), and registers it with the
//!   workspace (`Cargo.toml`), the compose stack (`docker-compose.yml`, with its
//!   healthcheck), the image (`Dockerfile`) and the gateway. Run it from anywhere in
//!   the repository: `cargo run -p apiarist-cli -- new service billing`.
//! - `apiarist probe <url>` GETs a URL and exits 0 on a 2xx answer: the compose
//!   stack's healthcheck, so the runtime image needs no curl.
//!
//! The new crate's files are templates (`cli/templates/`, compiled in) filled by
//! plain substitution; the shared files are edited in place, keeping their layout
//! and comments.

pub mod edit;
mod error;
pub mod name;
pub mod new_service;
pub mod probe;
pub mod templates;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

pub use error::CliError;

/// The tool's help text.
pub const USAGE: &str = "\
apiarist: the apiarist workspace's tool

USAGE:
    apiarist new service <name> [--port <port>]
        Create services/<name>, a service crate like the others, and add it to the
        workspace, docker-compose.yml, the Dockerfile and the gateway's routes.
        <name>: lowercase letters, digits and single underscores (e.g. billing).
    apiarist probe <url> [--timeout <seconds>]
        GET <url>; exit 0 on a 2xx answer, 1 otherwise (container healthchecks).
    apiarist help
";

/// Runs the command line `args` (without the program name) from `cwd`; `Ok` holds
/// what to print.
pub fn run(args: &[String], cwd: &Path) -> Result<String, CliError> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["new", "service", rest @ ..] => {
            let (name, port) = new_service_args(rest)?;
            let root = workspace_root(cwd)?;
            let plan = new_service::plan(&root, name, port)?;
            plan.write(&root)?;
            let mut out = plan.summary();
            if let Err(note) = plan.format(&root) {
                out.push_str(&format!("Note: {note}\n"));
            }
            Ok(out)
        }
        ["new", ..] => Err(CliError::Usage(format!(
            "`apiarist new` makes services only: apiarist new service <name>\n\n{USAGE}"
        ))),
        ["probe", url] => probe_command(url, Duration::from_secs(3)),
        ["probe", url, "--timeout", secs] => {
            let secs: u64 = secs
                .parse()
                .map_err(|_| CliError::Usage(format!("--timeout takes seconds, not `{secs}`")))?;
            probe_command(url, Duration::from_secs(secs.max(1)))
        }
        [] | ["help" | "--help" | "-h"] => Ok(USAGE.to_owned()),
        _ => Err(CliError::Usage(format!(
            "unknown command `{}`\n\n{USAGE}",
            words.join(" ")
        ))),
    }
}

fn new_service_args<'a>(args: &[&'a str]) -> Result<(&'a str, Option<u16>), CliError> {
    let usage = || {
        CliError::Usage(format!(
            "usage: apiarist new service <name> [--port <port>]\n\n{USAGE}"
        ))
    };
    match args {
        [name] => Ok((name, None)),
        [name, "--port", port] | ["--port", port, name] => {
            let port = port.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                CliError::Usage(format!("--port takes a port number, not `{port}`"))
            })?;
            Ok((name, Some(port)))
        }
        _ => Err(usage()),
    }
}

fn probe_command(url: &str, timeout: Duration) -> Result<String, CliError> {
    let line = probe::probe(url, timeout)?;
    Ok(format!("{url}: {line}\n"))
}

/// The workspace root: the nearest directory at or above `from` with a
/// `Cargo.toml` declaring `[workspace]` and a `services/` folder.
pub fn workspace_root(from: &Path) -> Result<PathBuf, CliError> {
    from.ancestors()
        .find(|dir| {
            dir.join("services").is_dir()
                && std::fs::read_to_string(dir.join("Cargo.toml"))
                    .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
        })
        .map(Path::to_path_buf)
        .ok_or_else(|| CliError::NoWorkspace(from.to_path_buf()))
}
