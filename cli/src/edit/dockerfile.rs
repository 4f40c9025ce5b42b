//! The Dockerfile: the new binary joins `ARG SERVICES="..."`, the list of service
//! binaries the image builds and carries.

use super::EditError;

const FILE: &str = "Dockerfile";
const ARG: &str = "ARG SERVICES=";

/// The service binaries the Dockerfile builds.
pub fn services(text: &str) -> Result<Vec<String>, EditError> {
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix(ARG))
        .ok_or_else(|| EditError::new(FILE, format!("has no `{ARG}\"...\"` line")))?;
    Ok(line
        .trim_matches('"')
        .split_whitespace()
        .map(str::to_owned)
        .collect())
}

/// `text` with `binary` appended to `ARG SERVICES`.
pub fn add_service(text: &str, binary: &str) -> Result<String, EditError> {
    let mut list = services(text)?;
    if list.iter().any(|s| s == binary) {
        return Err(EditError::new(FILE, format!("builds `{binary}` already")));
    }
    list.push(binary.to_owned());
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        match line.trim().strip_prefix(ARG) {
            Some(_) => {
                let indent = &line[..line.len() - line.trim_start().len()];
                out.push(format!("{indent}{ARG}\"{}\"", list.join(" ")));
            }
            None => out.push(line.to_owned()),
        }
    }
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::{add_service, services};

    #[test]
    fn appends_to_the_services_argument() {
        let text = "FROM x\nARG SERVICES=\"users items\"\nRUN build $SERVICES\n";
        let out = add_service(text, "billing").unwrap();
        assert_eq!(
            out,
            "FROM x\nARG SERVICES=\"users items billing\"\nRUN build $SERVICES\n"
        );
        assert_eq!(services(&out).unwrap(), ["users", "items", "billing"]);
        assert!(add_service(&out, "billing").is_err());
        assert!(
            add_service("FROM x\n", "billing")
                .unwrap_err()
                .to_string()
                .contains("ARG SERVICES")
        );
    }
}
