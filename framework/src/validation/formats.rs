//! String formats that pydantic checks with their own error wording: `email`,
//! `uuid` and `uri`. (`date` and `date-time` live in [`crate::validation::datetime`].)
//!
//! pydantic delegates to `email-validator`, the `uuid` crate and the `url` crate,
//! and puts their explanation in `msg` and `ctx`. We do not pull those libraries in;
//! instead each check below names the commonly hit problems with the same sentences
//! (the final accept/reject for e-mail is `validator`'s `ValidateEmail`).

use validator::ValidateEmail;

/// Why `text` is not an e-mail address, worded as `email-validator` words it, or
/// `None` when it is one.
pub(crate) fn email_problem(text: &str) -> Option<String> {
    let Some((local, domain)) = text.split_once('@') else {
        return Some("An email address must have an @-sign.".into());
    };
    if local.is_empty() {
        return Some("There must be something before the @-sign.".into());
    }
    if domain.is_empty() {
        return Some("There must be something after the @-sign.".into());
    }
    let bad_local = invalid_chars(local, |c| {
        c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
    });
    if !bad_local.is_empty() {
        return Some(format!(
            "The email address contains invalid characters before the @-sign: {bad_local}."
        ));
    }
    if local.starts_with('.') {
        return Some("An email address cannot start with a period.".into());
    }
    if local.ends_with('.') {
        return Some("An email address cannot have a period immediately before the @-sign.".into());
    }
    if local.contains("..") || domain.contains("..") {
        return Some("An email address cannot have two periods in a row.".into());
    }
    let bad_domain = invalid_chars(domain, |c| c.is_alphanumeric() || c == '-' || c == '.');
    if !bad_domain.is_empty() {
        return Some(format!(
            "The part after the @-sign contains invalid characters: {bad_domain}."
        ));
    }
    if domain.starts_with('-') {
        return Some("An email address cannot have a hyphen immediately after the @-sign.".into());
    }
    if domain.starts_with('.') {
        return Some("An email address cannot have a period immediately after the @-sign.".into());
    }
    if domain.ends_with('.') {
        return Some("An email address cannot end with a period.".into());
    }
    if !domain.contains('.') {
        return Some("The part after the @-sign is not valid. It should have a period.".into());
    }
    if !text.validate_email() {
        return Some("The email address is not valid.".into());
    }
    None
}

/// Lists the distinct characters of `text` that `allowed` refuses, as
/// `email-validator` lists them (`SPACE` for a space, quoted otherwise).
fn invalid_chars(text: &str, allowed: impl Fn(char) -> bool) -> String {
    let mut seen: Vec<char> = Vec::new();
    for c in text.chars().filter(|&c| !allowed(c)) {
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    let names: Vec<String> = seen
        .into_iter()
        .map(|c| match c {
            ' ' => "SPACE".to_owned(),
            '\t' => "TAB".to_owned(),
            c => format!("'{c}'"),
        })
        .collect();
    names.join(", ")
}

/// Why `text` is not a UUID, worded as the `uuid` crate (used by pydantic-core)
/// words it, or `None` when it is one. Accepts the simple, hyphenated, braced and
/// `urn:uuid:` forms, as `uuid::Uuid`'s deserializer does.
pub(crate) fn uuid_problem(text: &str) -> Option<String> {
    let (offset, body) = if let Some(rest) = text.strip_prefix("urn:uuid:") {
        (9, rest)
    } else if let Some(rest) = text.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        (1, rest)
    } else {
        (0, text)
    };
    for (i, c) in body.chars().enumerate() {
        if !c.is_ascii_hexdigit() && c != '-' {
            return Some(format!(
                "invalid character: found `{c}` at {}",
                offset + i + 1
            ));
        }
    }
    if !body.contains('-') {
        return (body.len() != 32).then(|| {
            format!(
                "invalid length: expected length 32 for simple format, found {}",
                body.len()
            )
        });
    }
    let groups: Vec<&str> = body.split('-').collect();
    if groups.len() != 5 {
        return Some(format!(
            "invalid group count: expected 5, found {}",
            groups.len()
        ));
    }
    for (i, (group, expected)) in groups.iter().zip([8, 4, 4, 4, 12]).enumerate() {
        if group.len() != expected {
            return Some(format!(
                "invalid group length in group {i}: expected {expected}, found {}",
                group.len()
            ));
        }
    }
    None
}

/// Why `text` is not an absolute URL, worded as the `url` crate (used by
/// pydantic-core) words the usual failures, or `None` when it is one.
pub(crate) fn url_problem(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return Some("input is empty".into());
    }
    let Some((scheme, rest)) = text.split_once(':') else {
        return Some("relative URL without a base".into());
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return Some("relative URL without a base".into());
    }
    let special =
        ["http", "https", "ws", "wss", "ftp"].contains(&scheme.to_ascii_lowercase().as_str());
    if special {
        let host = rest.trim_start_matches(['/', '\\']);
        let host = host.split(['/', '\\', '?', '#']).next().unwrap_or("");
        let host = host.rsplit('@').next().unwrap_or("");
        let host = host.split(':').next().unwrap_or("");
        if host.is_empty() {
            return Some("empty host".into());
        }
        if host.contains(' ') {
            return Some("invalid domain character".into());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_reasons_match_email_validator() {
        let cases = [
            ("nope", "An email address must have an @-sign."),
            ("", "An email address must have an @-sign."),
            ("a@", "There must be something after the @-sign."),
            ("@b.com", "There must be something before the @-sign."),
            (
                "a@b",
                "The part after the @-sign is not valid. It should have a period.",
            ),
            (
                "a b@c.com",
                "The email address contains invalid characters before the @-sign: SPACE.",
            ),
            (
                "a@@b.com",
                "The part after the @-sign contains invalid characters: '@'.",
            ),
            (
                "a@-b.com",
                "An email address cannot have a hyphen immediately after the @-sign.",
            ),
            (
                "a..b@c.com",
                "An email address cannot have two periods in a row.",
            ),
            (".a@c.com", "An email address cannot start with a period."),
        ];
        for (input, reason) in cases {
            assert_eq!(email_problem(input).as_deref(), Some(reason), "{input}");
        }
        assert_eq!(email_problem("a.b+tag@example.co.uk"), None);
    }

    #[test]
    fn uuid_errors_match_the_uuid_crate() {
        let cases = [
            ("nope", "invalid character: found `n` at 1"),
            (
                "12345678-1234-1234-1234-1234567890az",
                "invalid character: found `z` at 36",
            ),
            (
                "12345678123412341234123456789",
                "invalid length: expected length 32 for simple format, found 29",
            ),
            (
                "",
                "invalid length: expected length 32 for simple format, found 0",
            ),
            (
                "1234567-1234-1234-1234-1234567890ab",
                "invalid group length in group 0: expected 8, found 7",
            ),
            (
                "12345678-1234-1234-1234",
                "invalid group count: expected 5, found 4",
            ),
        ];
        for (input, error) in cases {
            assert_eq!(uuid_problem(input).as_deref(), Some(error), "{input}");
        }
        assert_eq!(uuid_problem("12345678-1234-1234-1234-1234567890ab"), None);
        assert_eq!(uuid_problem("123456781234123412341234567890ab"), None);
        assert_eq!(
            uuid_problem("urn:uuid:12345678-1234-1234-1234-1234567890ab"),
            None
        );
    }

    #[test]
    fn url_errors_match_the_url_crate() {
        assert_eq!(
            url_problem("nope").as_deref(),
            Some("relative URL without a base")
        );
        assert_eq!(
            url_problem("/rel").as_deref(),
            Some("relative URL without a base")
        );
        assert_eq!(url_problem("").as_deref(), Some("input is empty"));
        assert_eq!(url_problem("http://").as_deref(), Some("empty host"));
        assert_eq!(url_problem("http://x.com"), None);
        assert_eq!(url_problem("mailto:x"), None);
    }
}
