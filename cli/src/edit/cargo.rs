//! The root `Cargo.toml`: the new crate joins `[workspace] members`, with the
//! manifest's layout and comments kept (toml_edit).

use toml_edit::{DocumentMut, Value};

use super::EditError;

const FILE: &str = "Cargo.toml";

/// The workspace manifest.
#[derive(Debug)]
pub struct Manifest {
    doc: DocumentMut,
}

impl Manifest {
    /// Parses the root manifest; it must be a workspace with a `members` list.
    pub fn parse(text: &str) -> Result<Self, EditError> {
        let doc: DocumentMut = text
            .parse()
            .map_err(|e| EditError::new(FILE, format!("does not parse: {e}")))?;
        let manifest = Self { doc };
        manifest.members_array()?;
        Ok(manifest)
    }

    fn members_array(&self) -> Result<&toml_edit::Array, EditError> {
        self.doc
            .get("workspace")
            .and_then(|w| w.get("members"))
            .and_then(|m| m.as_array())
            .ok_or_else(|| EditError::new(FILE, "has no `[workspace] members = [...]` list"))
    }

    /// The member paths.
    pub fn members(&self) -> Vec<String> {
        self.members_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The names in `[workspace.dependencies]` (a new crate must not take one).
    pub fn dependency_names(&self) -> Vec<String> {
        self.doc
            .get("workspace")
            .and_then(|w| w.get("dependencies"))
            .and_then(|d| d.as_table_like())
            .map(|t| t.iter().map(|(k, _)| k.to_owned()).collect())
            .unwrap_or_default()
    }

    /// Adds `member` after the last `services/...` member (at the end if none).
    pub fn add_member(&mut self, member: &str) -> Result<(), EditError> {
        if self.members().iter().any(|m| m == member) {
            return Err(EditError::new(
                FILE,
                format!("`{member}` is a member already"),
            ));
        }
        let members = self
            .doc
            .get_mut("workspace")
            .and_then(|w| w.get_mut("members"))
            .and_then(|m| m.as_array_mut())
            .ok_or_else(|| EditError::new(FILE, "has no `[workspace] members = [...]` list"))?;
        let services: Vec<bool> = members
            .iter()
            .map(|m| m.as_str().is_some_and(|s| s.starts_with("services/")))
            .collect();
        let at = services
            .iter()
            .rposition(|&is_service| is_service)
            .map_or(members.len(), |i| i + 1);
        members.insert(at, member);
        // A new element gets the array's usual `, "x"` spacing, not a trailing one.
        if let Some(value) = members.get_mut(at) {
            value.decor_mut().set_prefix(if at == 0 { "" } else { " " });
            value.decor_mut().set_suffix("");
        }
        Ok(())
    }
}

impl std::fmt::Display for Manifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.doc.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::Manifest;

    #[test]
    fn adds_the_member_after_the_services_keeping_the_rest() {
        let text = "# top\n[workspace]\nmembers = [\"framework\", \"services/items\", \"tests\"] # keep\n\n[workspace.dependencies]\nserde = \"1\"\n";
        let mut manifest = Manifest::parse(text).unwrap();
        manifest.add_member("services/billing").unwrap();
        assert_eq!(
            manifest.to_string(),
            "# top\n[workspace]\nmembers = [\"framework\", \"services/items\", \"services/billing\", \"tests\"] # keep\n\n[workspace.dependencies]\nserde = \"1\"\n"
        );
        assert_eq!(manifest.dependency_names(), ["serde"]);
        let err = manifest.add_member("services/billing").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cargo.toml: `services/billing` is a member already"
        );
    }

    #[test]
    fn a_manifest_without_members_is_refused() {
        let err = Manifest::parse("[package]\nname = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("members"), "{err}");
        assert!(Manifest::parse("[workspace\n").is_err());
    }
}
