//! What a package's code reads from the environment, found in its sources (parsed
//! with syn, following the module tree from each target's root and leaving out
//! `#[cfg(test)]` code), and its `DEFAULT_PORT`.
//!
//! A variable counts as read when the code
//!
//! - calls `env::var("NAME")` / `env::var_os("NAME")` (or with a `const` holding the
//!   name);
//! - loads a settings struct with `settings::from_env` (figment: field `name` is the
//!   variable `NAME`, `#[serde(rename/alias)]` and `#[serde(flatten)]` followed). The
//!   struct is named by the turbofish, the `let` binding's type, or the enclosing
//!   function's `Result<T, _>`;
//! - builds tracing's `EnvFilter::from_default_env` (that is `RUST_LOG`);
//! - names it in a table of what it reads: a struct literal field called
//!   `*_variable` with a string value (the gateway's `url_variable: "USERS_URL"`).
//!
//! Anything else (a name built at run time) is invisible here, on purpose: compose may
//! only set what this finds, so a variable no code reads fails the compose test.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use syn::{Attribute, Expr, Item, Lit, visit::Visit};

#[path = "reads.rs"]
mod reads;

use reads::{Reads, StructVars};

/// Facts gathered from one package's sources.
#[derive(Debug, Default)]
pub struct CodeFacts {
    /// Names read directly (`env::var`, `EnvFilter`).
    direct: BTreeSet<String>,
    /// Settings structs loaded through figment, by type name.
    figment_types: BTreeSet<String>,
    /// Structs: name -> variables their fields stand for, and flattened field types.
    structs: BTreeMap<String, StructVars>,
    /// `const NAME: u16 = 8001;` and `const X: &str = "..."`, by name: their text.
    consts: BTreeMap<String, String>,
    /// Names passed to `env::var` as a const, resolved once every file is read.
    const_reads: BTreeSet<String>,
}

impl CodeFacts {
    /// Reads the package whose target roots are `roots`.
    pub fn of_targets(roots: &[PathBuf]) -> Self {
        let mut facts = Self::default();
        let mut seen = BTreeSet::new();
        for root in roots {
            facts.read_module_file(root, true, &mut seen);
        }
        for name in std::mem::take(&mut facts.const_reads) {
            if let Some(value) = facts.consts.get(&name) {
                facts.direct.insert(value.clone());
            }
        }
        facts
    }

    /// The package's `const DEFAULT_PORT: u16 = ...;`, if it has one.
    pub fn default_port(&self) -> Option<u16> {
        self.consts.get("DEFAULT_PORT")?.parse().ok()
    }

    /// Every variable read by the code of `packages` (a binary and what it links):
    /// settings structs are looked up across all of them.
    pub fn env_reads<'a>(packages: impl IntoIterator<Item = &'a CodeFacts>) -> BTreeSet<String> {
        let packages: Vec<&CodeFacts> = packages.into_iter().collect();
        // Two packages may each have a settings struct of the same name (items'
        // `ItemsEnv` and shared-models'): a name stands for all of them.
        let mut structs: BTreeMap<&String, Vec<&StructVars>> = BTreeMap::new();
        for (name, vars) in packages.iter().flat_map(|p| p.structs.iter()) {
            structs.entry(name).or_default().push(vars);
        }
        let mut reads = BTreeSet::new();
        let mut pending: Vec<String> = Vec::new();
        for p in &packages {
            reads.extend(p.direct.iter().cloned());
            pending.extend(p.figment_types.iter().cloned());
        }
        let mut expanded = BTreeSet::new();
        while let Some(ty) = pending.pop() {
            if !expanded.insert(ty.clone()) {
                continue;
            }
            for s in structs.get(&ty).into_iter().flatten() {
                reads.extend(s.vars.iter().cloned());
                pending.extend(s.flattened.iter().cloned());
            }
        }
        reads
    }

    fn read_module_file(&mut self, file: &Path, owns_dir: bool, seen: &mut BTreeSet<PathBuf>) {
        if !seen.insert(file.to_path_buf()) {
            return;
        }
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let ast =
            syn::parse_file(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", file.display()));
        // `mod x;` in lib.rs, main.rs or mod.rs is next to it, elsewhere in a folder
        // named after the file.
        let dir = if owns_dir {
            file.parent().expect("a file has a folder").to_path_buf()
        } else {
            file.with_extension("")
        };
        self.read_items(&ast.items, &dir, seen);
    }

    fn read_items(&mut self, items: &[Item], dir: &Path, seen: &mut BTreeSet<PathBuf>) {
        for item in items {
            if is_test_only(item_attrs(item)) {
                continue;
            }
            match item {
                Item::Mod(m) => {
                    let path_attr = string_attr(&m.attrs, "path");
                    match &m.content {
                        Some((_, inner)) => {
                            let sub = dir.join(path_attr.unwrap_or_else(|| m.ident.to_string()));
                            self.read_items(inner, &sub, seen);
                        }
                        None => {
                            let (file, owns_dir) = match path_attr {
                                Some(p) => (dir.join(p), true),
                                None => {
                                    let flat = dir.join(format!("{}.rs", m.ident));
                                    if flat.exists() {
                                        (flat, false)
                                    } else {
                                        (dir.join(m.ident.to_string()).join("mod.rs"), true)
                                    }
                                }
                            };
                            self.read_module_file(&file, owns_dir, seen);
                        }
                    }
                }
                other => Reads::new(self).visit_item(other),
            }
        }
    }
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// `#[cfg(test)]` or `#[test]`: not part of the program.
fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("test")
            || (a.path().is_ident("cfg")
                && a.parse_args::<syn::Ident>().is_ok_and(|id| id == "test"))
    })
}

/// `#[path = "x.rs"]`-style attributes.
fn string_attr(attrs: &[Attribute], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.path().is_ident(name))
        .and_then(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
}

mod tests {
    use super::CodeFacts;

    #[test]
    fn the_code_scan_follows_modules_and_skips_test_code() {
        let dir = tempfile::tempdir().unwrap();
        let write = |file: &str, text: &str| {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "src/lib.rs",
            r#"
            mod config;
            const NAME: &str = "FROM_A_CONST";
            pub const DEFAULT_PORT: u16 = 8123;
            fn a() { let _ = std::env::var(NAME); let _ = std::env::var_os("PLAIN"); }
            #[cfg(test)]
            mod tests { fn t() { let _ = std::env::var("TEST_ONLY"); } }
            #[test]
            fn t() { let _ = std::env::var("TEST_FN_ONLY"); }
            "#,
        );
        write(
            "src/config.rs",
            r#"
            mod nested;
            const TABLE: &[Svc] = &[Svc { name: "x", url_variable: "TABLE_URL" }];
            #[derive(serde::Deserialize)]
            struct Env { service_url: String, #[serde(rename = "OTHER_NAME")] renamed: u8,
                         #[serde(flatten)] more: More }
            #[derive(serde::Deserialize)]
            struct More { extra_knob: u8 }
            struct Unused { not_read: u8 }
            impl Env { fn load() -> Result<Self, E> { apiarist::settings::from_env() } }
            "#,
        );
        write(
            "src/config/nested.rs",
            r#"
            #[derive(serde::Deserialize)] struct Raw { nested_var: u8 }
            #[derive(serde::Deserialize)] struct Typed { typed_var: u8 }
            fn f() { let r: Raw = crate::settings::from_env().unwrap(); let _ = settings::from_env::<Typed>(); }
            "#,
        );
        let facts = CodeFacts::of_targets(&[dir.path().join("src/lib.rs")]);
        let reads = CodeFacts::env_reads([&facts]);
        let expected = [
            "EXTRA_KNOB",
            "FROM_A_CONST",
            "NESTED_VAR",
            "OTHER_NAME",
            "PLAIN",
            "SERVICE_URL",
            "TABLE_URL",
            "TYPED_VAR",
        ];
        assert_eq!(reads, expected.iter().map(|s| s.to_string()).collect());
        assert_eq!(facts.default_port(), Some(8123));
    }
}
