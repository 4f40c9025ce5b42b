//! Telling the gateway about a new service: an entry in its route table
//! (`SERVICES` in `services/gateway/src/services.rs`, the table the gateway's
//! routing, settings, merged docs and all-in-one launcher all read), a row in that
//! table's docs, the crate as a dependency (the entry names its `DEFAULT_PORT`, and
//! its launch hook its `Config::from_env` and `build`), and in the compose file the
//! service's address for the gateway and a health dependency on it.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, InlineTable};

use super::EditError;
use crate::{CliError, name::ServiceName, templates};

/// The gateway's route table.
pub const TABLE: &str = "services/gateway/src/services.rs";
/// The gateway's manifest.
pub const MANIFEST: &str = "services/gateway/Cargo.toml";
/// The line that opens the table.
const TABLE_START: &str = "pub const SERVICES: &[Service] = &[";

/// The table entry for a service (indented from column 0).
pub const ENTRY: &str = include_str!("../../templates/gateway-service.rs.tmpl");

/// The gateway's part of a new service.
#[derive(Debug, Default)]
pub struct Route {
    /// Entries for docker-compose.yml: (mapping path, YAML entry).
    pub compose: Vec<(&'static [&'static str], String)>,
    /// What the compose entries do, for the summary.
    pub compose_note: String,
    /// Files to replace: (path, new text, what changes).
    pub files: Vec<(PathBuf, String, String)>,
}

/// Plans the gateway's route to `name`, reachable at `url` in the compose stack.
pub fn plan(root: &Path, name: &ServiceName, url: &str) -> Result<Route, CliError> {
    let read = |rel: &str| {
        let path = root.join(rel);
        std::fs::read_to_string(&path).map_err(CliError::io(path))
    };
    let var = url_variable(name);
    let table = add_entry(&read(TABLE)?, name)?;
    let manifest = add_dependency(&read(MANIFEST)?, name)?;
    Ok(Route {
        compose: vec![
            (
                &["services", "gateway", "environment"],
                format!("{var}: {url}"),
            ),
            (
                &["services", "gateway", "depends_on"],
                format!("{}:\n  condition: service_healthy", name.kebab()),
            ),
        ],
        compose_note: format!("; the gateway's {var}"),
        files: vec![
            (
                PathBuf::from(TABLE),
                table,
                format!(
                    "routes /{} to it ({var}), starts it in all-in-one mode",
                    name.snake()
                ),
            ),
            (
                PathBuf::from(MANIFEST),
                manifest,
                format!("depends on `{}`", name.snake()),
            ),
        ],
    })
}

/// The variable with the service's address (`BILLING_URL`).
pub fn url_variable(name: &ServiceName) -> String {
    format!("{}_URL", name.upper())
}

/// `text` (services.rs) with the service's entry at the end of `SERVICES` and a row
/// in the prefix table of the module docs, when there is one.
pub fn add_entry(text: &str, name: &ServiceName) -> Result<String, EditError> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == TABLE_START)
        .ok_or_else(|| EditError::new(TABLE, format!("has no `{TABLE_START} ... ];` table")))?;
    let end = (start + 1..lines.len())
        .find(|&i| lines[i].trim() == "];")
        .ok_or_else(|| EditError::new(TABLE, "the SERVICES table does not end with `];`"))?;
    let quoted = format!("name: \"{}\",", name.snake());
    if lines[start..end].iter().any(|l| l.trim() == quoted) {
        return Err(EditError::new(TABLE, format!("routes `{name}` already")));
    }
    let values = [("name", name.snake().to_owned()), ("NAME", name.upper())];
    let entry = templates::render(ENTRY, &values);
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 8);
    // The docs' `| prefix | service |` table gets a row after its last one.
    let last_row = lines[..start]
        .iter()
        .rposition(|l| l.starts_with("//! | `"));
    for (i, line) in lines.iter().enumerate() {
        if i == end {
            out.extend(entry.lines().map(|l| format!("    {l}")));
        }
        out.push((*line).to_owned());
        if Some(i) == last_row {
            out.push(format!("//! | `/{0}` | {0} |", name.snake()));
        }
    }
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    Ok(joined)
}

/// `text` (the gateway's Cargo.toml) with `name = { path = "../name" }` among its
/// dependencies.
pub fn add_dependency(text: &str, name: &ServiceName) -> Result<String, EditError> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| EditError::new(MANIFEST, format!("does not parse: {e}")))?;
    let deps = doc
        .get_mut("dependencies")
        .and_then(|d| d.as_table_like_mut())
        .ok_or_else(|| EditError::new(MANIFEST, "has no [dependencies]"))?;
    if deps.contains_key(name.snake()) {
        return Err(EditError::new(
            MANIFEST,
            format!("depends on `{name}` already"),
        ));
    }
    let mut path = InlineTable::new();
    path.insert("path", format!("../{}", name.snake()).into());
    deps.insert(name.snake(), toml_edit::value(path));
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::{add_dependency, add_entry};
    use crate::name::ServiceName;

    const TABLE: &str = "\
//! | prefix | service |
//! | --- | --- |
//! | `/items` | items |
//!
//! text

pub const SERVICES: &[Service] = &[
    Service {
        name: \"items\",
        prefixes: &[\"/items\"],
    },
];
";

    #[test]
    fn the_entry_goes_at_the_end_of_the_table_and_its_docs() {
        let name = ServiceName::parse("billing").unwrap();
        let out = add_entry(TABLE, &name).unwrap();
        assert!(
            out.contains("//! | `/items` | items |\n//! | `/billing` | billing |\n//!\n"),
            "{out}"
        );
        assert!(
            out.contains("    },\n    Service {\n        name: \"billing\",\n        url_variable: \"BILLING_URL\",\n        default_port: billing::DEFAULT_PORT,\n        prefixes: &[\"/billing\"],\n        launch: |_| Ok(Boot::new(billing::Config::from_env()?, billing::build)),\n    },\n];\n"),
            "{out}"
        );
        assert!(
            add_entry(&out, &name)
                .unwrap_err()
                .to_string()
                .contains("already")
        );
        assert!(
            add_entry("fn main() {}\n", &name)
                .unwrap_err()
                .to_string()
                .contains("SERVICES")
        );
    }

    #[test]
    fn the_dependency_is_a_path() {
        let name = ServiceName::parse("billing").unwrap();
        let out = add_dependency(
            "[package]\nname = \"gateway\"\n\n[dependencies]\nitems = { path = \"../items\" }\n",
            &name,
        )
        .unwrap();
        assert!(
            out.ends_with("items = { path = \"../items\" }\nbilling = { path = \"../billing\" }\n"),
            "{out}"
        );
        assert!(add_dependency(&out, &name).is_err());
    }
}
