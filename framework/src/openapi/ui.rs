//! Documentation pages (placeholder until the offline UIs land).

/// Which documentation UIs to serve and where.
#[derive(Debug, Clone)]
pub struct DocsConfig {
    /// Title shown in the pages.
    pub title: String,
    /// Where the document is served.
    pub openapi_url: String,
}

impl Default for DocsConfig {
    fn default() -> Self {
        Self {
            title: "API".into(),
            openapi_url: "/openapi.json".into(),
        }
    }
}

/// Registers the pages.
pub fn configure(_cfg: &mut actix_web::web::ServiceConfig, _docs: &DocsConfig) {}
