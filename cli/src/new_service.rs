//! `apiarist new service <name>`: a new service crate under `services/<name>`, and
//! the workspace, compose file, Dockerfile and gateway told about it.
//!
//! Everything is planned first (every file read, every check made, every edit
//! computed in memory) and written only when the whole plan holds, so a refused
//! name or an unexpected file leaves the workspace as it was.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use crate::{
    CliError,
    edit::{cargo::Manifest, dockerfile, gateway, yaml},
    name::ServiceName,
    templates,
};

/// The compose file, relative to the workspace root.
pub const COMPOSE: &str = "docker-compose.yml";
/// The Dockerfile, relative to the workspace root.
pub const DOCKERFILE: &str = "Dockerfile";
/// The lowest port a new service gets (the gateway has 8000).
const FIRST_PORT: u16 = 8001;

/// A new service, planned and checked, not yet written.
#[derive(Debug)]
pub struct NewService {
    /// Its name.
    pub name: ServiceName,
    /// Its port (`DEFAULT_PORT`, `PORT` in compose).
    pub port: u16,
    /// Files to create, relative to the workspace root, with their text.
    pub created: Vec<(PathBuf, String)>,
    /// Files to replace, relative to the workspace root: (path, new text, what changes).
    pub updated: Vec<(PathBuf, String, String)>,
}

/// Plans the service `name` in the workspace at `root`, on `port` or the next free one.
pub fn plan(root: &Path, name: &str, port: Option<u16>) -> Result<NewService, CliError> {
    let name = ServiceName::parse(name)?;
    let read = |rel: &str| {
        let path = root.join(rel);
        fs::read_to_string(&path).map_err(CliError::io(path))
    };
    let dir = format!("services/{}", name.snake());
    let cargo_text = read("Cargo.toml")?;
    let compose_text = read(COMPOSE)?;
    let docker_text = read(DOCKERFILE)?;

    let mut manifest = Manifest::parse(&cargo_text)?;
    check_free(root, &name, &manifest, &compose_text, &docker_text)?;
    let used = used_ports(root, &manifest, &compose_text);
    let port = match port {
        Some(p) if used.contains(&p) || p == 8000 => {
            return Err(CliError::Taken(format!(
                "port {p} is used by another service"
            )));
        }
        Some(p) => p,
        // Above every port in use, so the stack's ports stay in creation order.
        None => used
            .iter()
            .max()
            .map_or(Some(FIRST_PORT), |max| max.checked_add(1))
            .map(|p| p.max(FIRST_PORT))
            .ok_or_else(|| CliError::Taken("no free port above the others".to_owned()))?,
    };

    let url = format!("http://{}:{port}", name.kebab());
    let first_value = |key: &str, default: &str| {
        compose_value(&compose_text, key).unwrap_or_else(|| default.to_owned())
    };
    let values = [
        ("name", name.snake().to_owned()),
        ("Name", name.pascal()),
        ("kebab", name.kebab()),
        ("words", name.words()),
        ("port", port.to_string()),
        ("date", templates::today()),
        (
            "database_url",
            first_value(
                "DATABASE_URL",
                "postgres://apiarist:apiarist@postgres:5432/apiarist",
            ),
        ),
        (
            "amqp_url",
            first_value("AMQP_URL", "amqp://apiarist:apiarist@rabbitmq:5672/%2f"),
        ),
    ];
    let created = templates::SERVICE_CRATE
        .iter()
        .map(|t| {
            (
                Path::new(&dir).join(t.path),
                templates::render(t.text, &values),
            )
        })
        .collect();

    manifest.add_member(&dir)?;
    let mut updated = vec![(
        PathBuf::from("Cargo.toml"),
        manifest.to_string(),
        format!("workspace member `{dir}`"),
    )];
    let block = templates::render(templates::COMPOSE_SERVICE, &values);
    let mut compose = yaml::append(&compose_text, &["services"], &block, true, COMPOSE)?;
    let route = gateway::plan(root, &name, &url)?;
    for (path, entry) in &route.compose {
        compose = yaml::append(&compose, path, entry, false, COMPOSE)?;
    }
    updated.push((
        PathBuf::from(COMPOSE),
        compose,
        format!(
            "service `{}` on port {port}{}",
            name.kebab(),
            route.compose_note
        ),
    ));
    updated.push((
        PathBuf::from(DOCKERFILE),
        dockerfile::add_service(&docker_text, name.snake())?,
        format!("builds `{}`", name.snake()),
    ));
    updated.extend(route.files);
    Ok(NewService {
        name,
        port,
        created,
        updated,
    })
}

/// Refuses a name some part of the workspace already uses.
fn check_free(
    root: &Path,
    name: &ServiceName,
    manifest: &Manifest,
    compose: &str,
    docker: &str,
) -> Result<(), CliError> {
    let taken = |what: String| Err(CliError::Taken(what));
    let dir = root.join("services").join(name.snake());
    if dir.exists() {
        return taken(format!("services/{} already exists", name.snake()));
    }
    let snake = |s: &str| s.replace('-', "_");
    if manifest
        .dependency_names()
        .iter()
        .any(|d| snake(d) == name.snake())
    {
        return taken(format!(
            "`{name}` is a dependency of the workspace ([workspace.dependencies]); \
             a crate of that name would clash with it"
        ));
    }
    for member in manifest.members() {
        if package_name(root, &member).is_some_and(|p| snake(&p) == name.snake()) {
            return taken(format!("`{name}` is the package in {member}"));
        }
    }
    if yaml::has_key(compose, &["services"], &name.kebab()) {
        return taken(format!(
            "{COMPOSE} already has a service `{}`",
            name.kebab()
        ));
    }
    if dockerfile::services(docker)?
        .iter()
        .any(|s| s == name.snake())
    {
        return taken(format!("{DOCKERFILE} already builds `{name}`"));
    }
    Ok(())
}

/// The `[package] name` in `member/Cargo.toml`.
fn package_name(root: &Path, member: &str) -> Option<String> {
    let text = fs::read_to_string(root.join(member).join("Cargo.toml")).ok()?;
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    doc.get("package")?.get("name")?.as_str().map(str::to_owned)
}

/// Ports in use: every `PORT` in the compose file and every member's `DEFAULT_PORT`.
fn used_ports(root: &Path, manifest: &Manifest, compose: &str) -> Vec<u16> {
    let mut ports: Vec<u16> = compose
        .lines()
        .filter_map(|l| l.trim().strip_prefix("PORT:"))
        .filter_map(|v| v.trim().trim_matches(['"', '\'']).parse().ok())
        .collect();
    for member in manifest.members() {
        let Ok(lib) = fs::read_to_string(root.join(&member).join("src/lib.rs")) else {
            continue;
        };
        ports.extend(lib.lines().filter_map(|l| {
            let value = l.trim().strip_prefix("pub const DEFAULT_PORT: u16 =")?;
            value
                .trim()
                .trim_end_matches(';')
                .trim()
                .parse::<u16>()
                .ok()
        }));
    }
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// The first value given to `key` in the compose file (services share the database
/// and the broker, so a new one takes what the others have).
fn compose_value(compose: &str, key: &str) -> Option<String> {
    compose.lines().find_map(|l| {
        let value = l.trim().strip_prefix(key)?.strip_prefix(':')?.trim();
        (!value.is_empty()).then(|| value.to_owned())
    })
}

impl NewService {
    /// Writes the plan: the new files (refusing to overwrite any), then the edits.
    pub fn write(&self, root: &Path) -> Result<(), CliError> {
        for (rel, text) in &self.created {
            let path = root.join(rel);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(CliError::io(parent))?;
            }
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(CliError::io(&path))?;
            file.write_all(text.as_bytes())
                .map_err(CliError::io(&path))?;
        }
        for (rel, text, _) in &self.updated {
            let path = root.join(rel);
            fs::write(&path, text).map_err(CliError::io(&path))?;
        }
        Ok(())
    }

    /// Formats the Rust files it wrote (the new crate's, and the gateway's table)
    /// with rustfmt (`$RUSTFMT`, else `rustfmt` on the `PATH`): the templates are
    /// formatted for a typical name, and a longer name can push a line past the
    /// width. `Err` says what to run by hand.
    pub fn format(&self, root: &Path) -> Result<(), String> {
        let files: Vec<PathBuf> = self
            .created
            .iter()
            .map(|(path, _)| path)
            .chain(self.updated.iter().map(|(path, _, _)| path))
            .filter(|path| path.extension().is_some_and(|e| e == "rs"))
            .map(|path| root.join(path))
            .collect();
        let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
        let status = std::process::Command::new(rustfmt)
            .args(["--edition", "2024"])
            .args(&files)
            .status();
        match status {
            Ok(status) if status.success() => Ok(()),
            _ => Err(format!(
                "rustfmt did not run; format the new crate with `cargo fmt -p {}` \
                 and the gateway with `cargo fmt -p gateway`",
                self.name
            )),
        }
    }

    /// What was done and what to run next, for the terminal.
    pub fn summary(&self) -> String {
        let name = self.name.snake();
        let mut out = format!(
            "Created services/{name} (package `{name}`, port {}):\n",
            self.port
        );
        for (path, _) in &self.created {
            out.push_str(&format!("  {}\n", path.display()));
        }
        out.push_str("Updated:\n");
        for (path, _, what) in &self.updated {
            out.push_str(&format!("  {:<28} {what}\n", path.display()));
        }
        out.push_str("Next:\n");
        let next = [
            (format!("cargo test -p {name}"), String::new()),
            (
                format!("cargo run -p {name}"),
                format!("# http://127.0.0.1:{}/docs", self.port),
            ),
            (
                "cargo run".to_owned(),
                format!("# the whole stack in one process, {name} included"),
            ),
            (
                "docker compose up --build".to_owned(),
                format!("# the whole stack, {} included", self.name.kebab()),
            ),
        ];
        let width = next.iter().map(|(cmd, _)| cmd.len()).max().unwrap_or(0);
        for (command, comment) in next {
            out.push_str(format!("  {command:<width$}  {comment}").trim_end());
            out.push('\n');
        }
        out
    }
}
