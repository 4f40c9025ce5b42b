//! The files of a new service, kept as templates under `cli/templates/` (compiled
//! into the tool) with `{{placeholder}}` values filled in by plain substitution.
//!
//! Placeholders: `{{name}}` (`loyalty_points`), `{{Name}}` (`LoyaltyPoints`),
//! `{{kebab}}` (`loyalty-points`), `{{words}}` (`loyalty points`), `{{port}}`,
//! `{{date}}` (`YYYYMMDD`, for migration names), and in the compose block
//! `{{database_url}}` and `{{amqp_url}}`.

/// One file of the new crate: its path inside `services/<name>/` and its template.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// Path relative to the crate's directory.
    pub path: &'static str,
    /// The template text.
    pub text: &'static str,
}

macro_rules! template {
    ($path:literal) => {
        Template {
            path: $path,
            text: include_str!(concat!("../templates/", $path, ".tmpl")),
        }
    };
}

/// Every file of a new service crate.
pub const SERVICE_CRATE: &[Template] = &[
    template!("Cargo.toml"),
    template!("src/lib.rs"),
    template!("src/main.rs"),
    template!("src/config.rs"),
    template!("src/routes.rs"),
    template!("src/models.rs"),
    template!("src/migrations.rs"),
    template!("src/jobs.rs"),
    template!("tests/api.rs"),
];

/// The service's block in docker-compose.yml (indented from column 0).
pub const COMPOSE_SERVICE: &str = include_str!("../templates/compose-service.yml.tmpl");

/// `text` with every `{{key}}` of `values` replaced.
///
/// # Panics
///
/// If a placeholder is left that `values` does not fill: a template and the code
/// filling it disagree, which the tests catch.
///
/// ```
/// let out = apiarist_cli::templates::render("[{{name}}:{{port}}]", &[("name", "x".into()), ("port", "1".into())]);
/// assert_eq!(out, "[x:1]");
/// ```
pub fn render(text: &str, values: &[(&str, String)]) -> String {
    let mut out = text.to_owned();
    for (key, value) in values {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    if let Some(left) = placeholder(&out) {
        panic!("template placeholder {{{{{left}}}}} has no value");
    }
    out
}

/// The first `{{identifier}}` in `text`, if any.
fn placeholder(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        if let Some(end) = after.find("}}") {
            let key = &after[..end];
            if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Some(key);
            }
        }
        rest = after;
    }
    None
}

/// Today's date as `YYYYMMDD` (UTC), for migration names.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    format!("{y:04}{m:02}{d:02}")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::{SERVICE_CRATE, civil_from_days, placeholder, render};

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_819), (2027, 1, 1));
    }

    #[test]
    fn placeholders_are_found_but_rust_braces_are_not() {
        assert_eq!(placeholder("a {{name}} b"), Some("name"));
        assert_eq!(placeholder("format!(\"{{}}\")"), None);
        assert_eq!(placeholder("{{ not one }}"), None);
        assert_eq!(render("{{a}}{{a}}", &[("a", "x".into())]), "xx");
    }

    #[test]
    #[should_panic(expected = "{{port}} has no value")]
    fn an_unfilled_placeholder_is_a_bug() {
        render("{{port}}", &[]);
    }

    #[test]
    fn every_template_is_non_empty_and_named_once() {
        let mut paths: Vec<&str> = SERVICE_CRATE.iter().map(|t| t.path).collect();
        assert!(SERVICE_CRATE.iter().all(|t| !t.text.trim().is_empty()));
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), SERVICE_CRATE.len());
    }
}
