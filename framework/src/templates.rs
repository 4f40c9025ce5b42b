//! HTML pages: the [`Html`] response, and (with the `templates` feature)
//! [`Templates`], a minijinja environment for the few pages an API serves.
//!
//! [`Html`] needs no feature: any string can be a page. The engine is optional so
//! services without pages do not build it; templates are Jinja2 (FastAPI's
//! `Jinja2Templates`), loaded from a directory or added from strings, and
//! auto-escaped when their name ends in `.html`, `.htm` or `.xml`.

use actix_web::{HttpRequest, HttpResponse, Responder, body::BoxBody, http::StatusCode};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion, paths::Responses, reference_or::ReferenceOr,
};
use serde_json::json;

use crate::openapi::schema::{inline, ok_response};

/// An HTML page: `200 text/html; charset=utf-8` (FastAPI's `HTMLResponse`).
///
/// Documented as a `text/html` string response.
///
/// ```
/// use apiarist::{Html, prelude::*};
///
/// /// The landing page.
/// #[api_operation(summary = "Home")]
/// async fn home() -> Html {
///     Html::new("<h1>Welcome</h1>")
/// }
/// # let _ = Router::new().get("/", home);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Html {
    body: String,
    status: StatusCode,
}

impl Html {
    /// A page with status 200.
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            status: StatusCode::OK,
        }
    }

    /// Changes the status (e.g. 404 for a "not found" page).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The page's markup.
    pub fn as_str(&self) -> &str {
        &self.body
    }
}

impl Responder for Html {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::build(self.status)
            .content_type("text/html; charset=utf-8")
            .body(self.body)
    }
}

impl ApiComponent for Html {
    fn child_schemas(_: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        Vec::new()
    }

    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }

    fn responses(
        v: OpenApiVersion,
        _content_type: Option<String>,
        description: Option<String>,
    ) -> Option<Responses> {
        let description = description.unwrap_or_else(|| "An HTML page.".to_owned());
        let schema = inline(v, json!({"type": "string"}));
        Some(ok_response(v, "text/html", schema, description))
    }
}

#[cfg(feature = "templates")]
pub use engine::Templates;

#[cfg(feature = "templates")]
mod engine {
    use std::{path::PathBuf, sync::Arc};

    use minijinja::{
        Environment,
        value::{Serde, Value},
    };
    use serde::Serialize;

    use super::Html;
    use crate::HttpError;

    /// Jinja2 templates (minijinja), shared as app state (feature `templates`).
    ///
    /// Rendering failures (a missing template, a syntax error, a bad filter call) are
    /// the service's fault: logged with the template's name and line, answered as a
    /// plain `500 {"detail": "Internal Server Error"}`.
    ///
    /// ```
    /// use apiarist::{Html, State, Templates, prelude::*};
    ///
    /// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
    /// struct Who { name: String }
    ///
    /// /// Greet, in HTML.
    /// #[api_operation(summary = "Hello page")]
    /// async fn hello(templates: State<Templates>, who: Query<Who>) -> Result<Html, HttpError> {
    ///     templates.render("hello.html", &serde_json::json!({"name": who.name}))
    /// }
    ///
    /// let templates = Templates::new()
    ///     .with_template("hello.html", "<p>Hello, {{ name }}!</p>")
    ///     .unwrap();
    /// let page = templates.render("hello.html", &serde_json::json!({"name": "<Ann>"})).unwrap();
    /// assert_eq!(page.as_str(), "<p>Hello, &lt;Ann&gt;!</p>");
    ///
    /// let app = App::new("site")
    ///     .state(templates) // or Templates::from_dir("templates")
    ///     .include(Router::new().get("/hello", hello));
    /// # let _ = app;
    /// ```
    #[derive(Debug, Clone)]
    pub struct Templates {
        env: Arc<Environment<'static>>,
    }

    impl Default for Templates {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Templates {
        /// An environment without templates; add them with
        /// [`with_template`](Self::with_template).
        pub fn new() -> Self {
            Self {
                env: Arc::new(Environment::new()),
            }
        }

        /// Templates read from `dir` by name (`"pages/item.html"`), on first use and
        /// again when the file changes. Names cannot leave the directory.
        pub fn from_dir(dir: impl Into<PathBuf>) -> Self {
            let mut env = Environment::new();
            env.set_loader(minijinja::path_loader(dir.into()));
            Self { env: Arc::new(env) }
        }

        /// Adds a template from a string (checked now: a syntax error is returned).
        pub fn with_template(mut self, name: &str, source: &str) -> Result<Self, minijinja::Error> {
            Arc::make_mut(&mut self.env).add_template_owned(name.to_owned(), source.to_owned())?;
            Ok(self)
        }

        /// Renders template `name` with `context` (any serialisable value).
        pub fn render(&self, name: &str, context: &impl Serialize) -> Result<Html, HttpError> {
            let rendered = self
                .env
                .get_template(name)
                .and_then(|template| template.render(Value::from(Serde(context))));
            rendered.map(Html::new).map_err(|error| {
                tracing::error!(template = name, error = %error, detail = ?error.detail(), line = ?error.line(), "template failed");
                HttpError::new(500, "Internal Server Error")
            })
        }
    }
}
