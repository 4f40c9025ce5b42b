//! The workspace as cargo sees it: its member packages, their binaries, and which
//! members each one depends on (`cargo metadata`), so a binary's code is known to be
//! its package plus everything of the workspace it links.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::Value;

/// One member package.
#[derive(Debug)]
pub struct Package {
    /// The package name.
    pub name: String,
    /// Root files of its library and binary targets (what the program is made of).
    pub roots: Vec<PathBuf>,
    /// Its binary targets' names.
    pub bins: Vec<String>,
    /// The members it depends on for building and running (no dev-dependencies).
    pub deps: Vec<String>,
}

/// The workspace's members.
#[derive(Debug)]
pub struct Workspace {
    /// The workspace root.
    pub root: PathBuf,
    /// Members by package name.
    pub packages: BTreeMap<String, Package>,
}

impl Workspace {
    /// Reads `cargo metadata` of the workspace this crate belongs to.
    pub fn load() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("tests/ lives in the workspace root")
            .to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let output = Command::new(cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .current_dir(&root)
            .output()
            .expect("running cargo metadata");
        assert!(
            output.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
        let names: BTreeSet<&str> = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        let packages = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| {
                let package = Package::from_metadata(p, &names);
                (package.name.clone(), package)
            })
            .collect();
        Self { root, packages }
    }

    /// The package that has a binary called `bin`.
    pub fn package_of_bin(&self, bin: &str) -> Option<&Package> {
        self.packages
            .values()
            .find(|p| p.bins.iter().any(|b| b == bin))
    }

    /// `package` and every member it depends on, directly or not.
    pub fn closure(&self, package: &str) -> Vec<&Package> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![package.to_owned()];
        while let Some(name) = stack.pop() {
            if let Some(p) = self.packages.get(&name)
                && seen.insert(name)
            {
                stack.extend(p.deps.iter().cloned());
            }
        }
        seen.iter().map(|name| &self.packages[name]).collect()
    }
}

impl Package {
    fn from_metadata(p: &Value, members: &BTreeSet<&str>) -> Self {
        let targets = p["targets"].as_array().expect("targets");
        let kinds = |t: &Value, wanted: &[&str]| {
            t["kind"].as_array().is_some_and(|ks| {
                ks.iter()
                    .any(|k| wanted.contains(&k.as_str().unwrap_or("")))
            })
        };
        let roots = targets
            .iter()
            .filter(|t| kinds(t, &["lib", "bin", "proc-macro"]))
            .map(|t| PathBuf::from(t["src_path"].as_str().expect("src_path")))
            .collect();
        let bins = targets
            .iter()
            .filter(|t| kinds(t, &["bin"]))
            .map(|t| t["name"].as_str().expect("target name").to_owned())
            .collect();
        let deps = p["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].as_str() != Some("dev"))
            .filter_map(|d| d["name"].as_str())
            .filter(|name| members.contains(name))
            .map(str::to_owned)
            .collect();
        Self {
            name: p["name"].as_str().expect("name").to_owned(),
            roots,
            bins,
            deps,
        }
    }
}
