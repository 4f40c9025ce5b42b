//! A throw-away copy of the workspace for the tool to work on: never the repository
//! itself.

#![allow(dead_code)] // each test file uses part of this

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// The repository this crate is part of.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ lives in the workspace root")
        .to_path_buf()
}

/// A copy of (part of) the workspace in a temporary directory.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    /// The files the tool reads or edits: the root manifest, the compose file, the
    /// Dockerfile, and every member's manifest and sources.
    pub fn manifests() -> Self {
        let ws = Self::empty();
        let repo = repo();
        for file in [
            "Cargo.toml",
            "Cargo.lock",
            "docker-compose.yml",
            "Dockerfile",
        ] {
            ws.copy_in(&repo.join(file), Path::new(file));
        }
        for member in members(&repo) {
            ws.copy_in(
                &repo.join(&member).join("Cargo.toml"),
                &member.join("Cargo.toml"),
            );
            copy_tree(
                &repo.join(&member).join("src"),
                &ws.path(member.join("src")),
                &[],
            );
        }
        ws
    }

    /// The whole workspace, sources and all (without `target/` and `.git/`).
    pub fn full() -> Self {
        let ws = Self::empty();
        copy_tree(&repo(), ws.dir.path(), &["target", ".git"]);
        ws
    }

    fn empty() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("apiarist-cli-")
                .tempdir()
                .expect("a temporary directory"),
        }
    }

    fn copy_in(&self, from: &Path, to: &Path) {
        let to = self.path(to);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(from, &to).unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
    }

    /// `rel` inside the copy.
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The text of `rel`.
    pub fn read(&self, rel: impl AsRef<Path>) -> String {
        let path = self.path(rel);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    }

    /// Runs `apiarist args...` in `cwd` (relative to the copy).
    pub fn run(&self, cwd: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_apiarist"))
            .args(args)
            .current_dir(self.path(cwd))
            .output()
            .expect("running apiarist")
    }

    /// Every file of the copy and its text.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, String> {
        let mut files = BTreeMap::new();
        walk(self.dir.path(), &mut |path| {
            let rel = path.strip_prefix(self.dir.path()).unwrap().to_path_buf();
            files.insert(rel, fs::read_to_string(path).unwrap_or_default());
        });
        files
    }
}

/// The member paths of the workspace at `root`.
fn members(root: &Path) -> Vec<PathBuf> {
    let manifest: toml_edit::DocumentMut = fs::read_to_string(root.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    manifest["workspace"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| PathBuf::from(m.as_str().unwrap()))
        .collect()
}

fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    let Ok(entries) = fs::read_dir(from) else {
        return;
    };
    fs::create_dir_all(to).unwrap();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst, &[]);
        } else if !name.to_string_lossy().ends_with(".db") {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

fn walk(dir: &Path, visit: &mut impl FnMut(&Path)) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, visit);
        } else {
            visit(&path);
        }
    }
}

/// A command's stdout and stderr, for assertion messages.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
