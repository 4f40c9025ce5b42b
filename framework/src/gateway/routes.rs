//! Which service a path belongs to: the longest prefix that matches whole segments.
//!
//! Segments, because `/users` must not capture `/usersettings`; the longest prefix,
//! because one service may own a subtree of another's (`/admin` is the users
//! service's, `/admin/jobs` the orders service's). The prefix `/` alone matches only
//! `/`: a service can own the root page without swallowing every unknown path.

/// A routing table: prefixes, each owned by one service (by index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RouteTable {
    /// `(prefix, service)`, longest prefix first.
    entries: Vec<(String, usize)>,
}

impl RouteTable {
    /// Adds `prefix` for `service`; `Err` names the service that already owns it.
    pub(crate) fn add(&mut self, prefix: &str, service: usize) -> Result<(), usize> {
        let prefix = normalise(prefix);
        if let Some((_, owner)) = self.entries.iter().find(|(p, _)| *p == prefix) {
            return Err(*owner);
        }
        self.entries.push((prefix, service));
        self.entries
            .sort_by(|(a, _), (b, _)| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        Ok(())
    }

    /// The service that serves `path`, if any. `path` may be a path template
    /// (`/items/{item_id}`): a template is matched like the paths it stands for.
    pub(crate) fn route(&self, path: &str) -> Option<usize> {
        self.entries
            .iter()
            .find(|(prefix, _)| matches(prefix, path))
            .map(|(_, service)| *service)
    }
}

/// `/users/` and `users` are both `/users`; `/` stays `/`.
pub(crate) fn normalise(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    format!("/{trimmed}")
}

fn matches(prefix: &str, path: &str) -> bool {
    if prefix == "/" {
        return path == "/";
    }
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::RouteTable;

    fn table() -> RouteTable {
        let mut table = RouteTable::default();
        for (prefix, service) in [("/users", 0), ("/admin", 0), ("/admin/jobs/", 2), ("/", 1)] {
            table.add(prefix, service).unwrap();
        }
        table
    }

    #[test]
    fn whole_segments_and_the_longest_prefix_win() {
        let table = table();
        assert_eq!(table.route("/users"), Some(0));
        assert_eq!(table.route("/users/"), Some(0));
        assert_eq!(table.route("/users/me"), Some(0));
        assert_eq!(table.route("/usersettings"), None);
        assert_eq!(table.route("/admin/stats"), Some(0));
        assert_eq!(table.route("/admin/jobs"), Some(2));
        assert_eq!(table.route("/admin/jobs/{queue}/dead"), Some(2));
        assert_eq!(table.route("/admin/jobsx"), Some(0));
    }

    #[test]
    fn the_root_prefix_matches_only_the_root() {
        let table = table();
        assert_eq!(table.route("/"), Some(1));
        assert_eq!(table.route("/elsewhere"), None);
    }

    #[test]
    fn a_prefix_has_one_owner() {
        let mut table = table();
        assert_eq!(table.add("users/", 3), Err(0));
    }
}
