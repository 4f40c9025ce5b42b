//! Adding entries to block-style YAML without re-serialising it, so the compose file
//! keeps its comments, order and layout: find a mapping by its key path from the
//! indentation, and insert lines at its end, indented like its other entries.

use super::EditError;

/// One line of the file with what the edits need to know about it.
struct Line<'a> {
    text: &'a str,
    indent: usize,
    /// Blank or a comment: not part of the structure.
    blank: bool,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .map(|l| {
            let trimmed = l.trim_start();
            Line {
                text: l,
                indent: l.len() - trimmed.len(),
                blank: trimmed.is_empty() || trimmed.starts_with('#'),
            }
        })
        .collect()
}

/// Where a block mapping's entries are: the lines after its key, up to the end.
struct Block {
    /// Index of the first line after the key.
    start: usize,
    /// Index one past its last structural line.
    end: usize,
    /// Its entries' indentation (`None` when it has no entries yet).
    indent: Option<usize>,
}

/// Finds the mapping at `path` (`["services", "gateway", "environment"]`).
fn find(lines: &[Line<'_>], path: &[&str], file: &str) -> Result<Block, EditError> {
    let mut block = Block {
        start: 0,
        end: lines.len(),
        indent: Some(0),
    };
    for (depth, key) in path.iter().enumerate() {
        let where_ = path[..=depth].join(".");
        let indent = block
            .indent
            .ok_or_else(|| EditError::new(file, format!("`{where_}` not found")))?;
        let key_line = (block.start..block.end)
            .find(|&i| {
                let l = &lines[i];
                !l.blank && l.indent == indent && is_key(l.text.trim_start(), key)
            })
            .ok_or_else(|| EditError::new(file, format!("`{where_}` not found")))?;
        let rest = lines[key_line].text.trim_start()[key.len() + 1..].trim();
        if !rest.is_empty() && !rest.starts_with('#') {
            return Err(EditError::new(
                file,
                format!("`{where_}` is written inline (`{rest}`); expected a block mapping"),
            ));
        }
        let end = (key_line + 1..block.end)
            .find(|&i| !lines[i].blank && lines[i].indent <= indent)
            .unwrap_or(block.end);
        let first_child = (key_line + 1..end).find(|&i| !lines[i].blank);
        if let Some(i) = first_child
            && lines[i].text.trim_start().starts_with("- ")
        {
            return Err(EditError::new(
                file,
                format!("`{where_}` is a list; expected a block mapping"),
            ));
        }
        block = Block {
            start: key_line + 1,
            end,
            indent: first_child.map(|i| lines[i].indent),
        };
    }
    Ok(block)
}

fn is_key(line: &str, key: &str) -> bool {
    line.strip_prefix(key)
        .is_some_and(|rest| rest.starts_with(':'))
}

/// Whether the mapping at `path` has an entry `key`.
pub fn has_key(text: &str, path: &[&str], key: &str) -> bool {
    let lines = lines(text);
    let Ok(block) = find(&lines, path, "") else {
        return false;
    };
    let Some(indent) = block.indent else {
        return false;
    };
    (block.start..block.end).any(|i| {
        !lines[i].blank && lines[i].indent == indent && is_key(lines[i].text.trim_start(), key)
    })
}

/// Appends `entry` (YAML lines indented from column 0, the first one `key: ...`) to
/// the mapping at `path`, indented like the mapping's other entries (two more
/// spaces than its key when it has none), after its last entry. `separate` puts a
/// blank line before it (between services).
pub fn append(
    text: &str,
    path: &[&str],
    entry: &str,
    separate: bool,
    file: &str,
) -> Result<String, EditError> {
    let lines = lines(text);
    let block = find(&lines, path, file)?;
    let indent = block.indent.unwrap_or(2 * path.len());
    // After the last structural line of the block (trailing blanks and comments stay
    // where they are, with whatever follows).
    let at = (block.start..block.end)
        .rev()
        .find(|&i| !lines[i].blank)
        .map_or(block.start, |i| i + 1);
    let pad = " ".repeat(indent);
    let mut inserted: Vec<String> = Vec::new();
    if separate {
        inserted.push(String::new());
    }
    inserted.extend(entry.lines().map(|l| {
        if l.trim().is_empty() {
            String::new()
        } else {
            format!("{pad}{l}")
        }
    }));
    let mut out: Vec<&str> = lines[..at].iter().map(|l| l.text).collect();
    out.extend(inserted.iter().map(String::as_str));
    out.extend(lines[at..].iter().map(|l| l.text));
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::{append, has_key};

    const COMPOSE: &str = "\
# head
services:
  db:
    image: postgres

  gateway:
    environment:
      A_URL: http://a:1 # a
      # a comment in the block
    depends_on:
      db:
        condition: service_healthy

volumes:
  data:
";

    #[test]
    fn appends_at_the_end_of_the_right_block() {
        let out = append(
            COMPOSE,
            &["services", "gateway", "environment"],
            "B_URL: http://b:2",
            false,
            "f",
        )
        .unwrap();
        assert!(
            out.contains("      A_URL: http://a:1 # a\n      B_URL: http://b:2\n      # a comment"),
            "{out}"
        );
        let out = append(
            &out,
            &["services", "gateway", "depends_on"],
            "b:\n  condition: service_healthy",
            false,
            "f",
        )
        .unwrap();
        assert!(out.contains("        condition: service_healthy\n      b:\n        condition: service_healthy\n\nvolumes:"), "{out}");
        let out = append(&out, &["services"], "b:\n  image: b", true, "f").unwrap();
        assert!(
            out.contains("service_healthy\n\n  b:\n    image: b\n\nvolumes:"),
            "{out}"
        );
        assert!(has_key(&out, &["services"], "b"));
        assert!(has_key(
            &out,
            &["services", "gateway", "environment"],
            "B_URL"
        ));
        assert!(!has_key(
            &out,
            &["services", "gateway", "environment"],
            "C_URL"
        ));
        assert!(out.ends_with("  data:\n"));
    }

    #[test]
    fn refuses_what_it_cannot_edit_faithfully() {
        let err = append(
            COMPOSE,
            &["services", "nope", "environment"],
            "X: 1",
            false,
            "f.yml",
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "f.yml: `services.nope` not found");
        let inline = COMPOSE.replace(
            "    environment:\n      A_URL: http://a:1 # a\n",
            "    environment: {A_URL: x}\n",
        );
        let err = append(
            &inline,
            &["services", "gateway", "environment"],
            "X: 1",
            false,
            "f.yml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("inline"), "{err}");
        let list = COMPOSE.replace("      A_URL: http://a:1 # a\n", "      - A_URL=x\n");
        let err = append(
            &list,
            &["services", "gateway", "environment"],
            "X: 1",
            false,
            "f.yml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("is a list"), "{err}");
    }
}
