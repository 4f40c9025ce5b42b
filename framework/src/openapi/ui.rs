//! Offline API documentation UIs: Swagger UI, ReDoc and Scalar.
//!
//! FastAPI links these UIs from a CDN; apiarist serves every byte itself, so
//! the docs render on an air-gapped network and no third party learns who
//! reads them. The pages are ours (small, escaped, same-origin URLs only); the
//! JS/CSS comes from crates that ship the upstream builds, pinned with `=`:
//!
//! - **Swagger UI** (`swagger-ui-dist`, Apache-2.0): the files are reachable
//!   only through the crate's actix `generate_scope`, so we mount that scope
//!   for the assets (incl. `oauth2-redirect.html`) and shadow its index page.
//!   `validatorUrl: null` stops the badge image from validator.swagger.io.
//! - **ReDoc** (`aide`, feature `redoc`, MIT/Apache; ReDoc 2.0.0 is MIT): its
//!   only public API is [`aide::redoc::Redoc::html`], which inlines the bundle;
//!   we cut the bundle out once and serve it as a cacheable file. Its one
//!   automatic remote load, the Redocly logo `<img>`, is pointed at `data:,`:
//!   the image fails locally and ReDoc hides it.
//! - **Scalar** (`scalar_api_reference`, MIT): `get_asset("scalar.js")`. The
//!   page turns off its web fonts (fonts.scalar.com), telemetry, Agent Scalar
//!   and the developer toolbar.
//!
//! Assets are linked as `…?v=<tag>` (the package version for Swagger UI, a
//! content hash otherwise) and answered with `Cache-Control: public,
//! max-age=31536000, immutable`; pages and untagged requests get `no-cache`.

use std::sync::LazyLock;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use actix_web::{Error, HttpResponse, web};

/// Swagger UI version shipped by the pinned `swagger-ui-dist` (cache tag).
const SWAGGER_UI_VERSION: &str = "5.34.1";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
const JS: &str = "text/javascript; charset=utf-8";
/// The only URL in the ReDoc bundle that the browser would fetch by itself.
const REDOC_LOGO_URL: &str = "https://cdn.redoc.ly/redoc/logo-mini.svg";

/// Which documentation UIs to serve, where, and for which OpenAPI document.
///
/// Set a UI's path to `None` to switch it off. Paths must be absolute and not
/// `/`; a trailing slash is ignored. Each UI claims its whole path prefix
/// (`/docs/...`), where it serves its assets.
///
/// ```
/// # use apiarist::openapi::ui::DocsConfig;
/// let docs = DocsConfig {
///     title: "Items API".into(),
///     scalar: None,
///     ..DocsConfig::default()
/// };
/// assert_eq!(docs.swagger_ui.as_deref(), Some("/docs"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocsConfig {
    /// Page title (HTML-escaped when rendered).
    pub title: String,
    /// URL of the OpenAPI document the UIs load, normally `/openapi.json`.
    pub openapi_url: String,
    /// Path of the Swagger UI page, `/docs` by default.
    pub swagger_ui: Option<String>,
    /// Path of the ReDoc page, `/redoc` by default.
    pub redoc: Option<String>,
    /// Path of the Scalar page, `/scalar` by default.
    pub scalar: Option<String>,
}

impl Default for DocsConfig {
    fn default() -> Self {
        Self {
            title: "API".into(),
            openapi_url: "/openapi.json".into(),
            swagger_ui: Some("/docs".into()),
            redoc: Some("/redoc".into()),
            scalar: Some("/scalar".into()),
        }
    }
}

/// Registers the enabled UI pages and their asset routes (for example
/// `/docs/swagger-ui-bundle.js`) on an actix-web [`web::ServiceConfig`].
///
/// The OpenAPI document itself is not served here.
///
/// # Panics
///
/// If a path is relative or `/`, or if the pinned ReDoc crate no longer has
/// the layout this module reads (caught by the tests).
///
/// ```
/// use actix_web::App;
/// # use apiarist::openapi::ui::{configure, DocsConfig};
/// let docs = DocsConfig::default();
/// let _app = App::new().configure(|cfg| configure(cfg, &docs));
/// ```
pub fn configure(cfg: &mut web::ServiceConfig, docs: &DocsConfig) {
    configure_under(cfg, docs, "");
}

/// [`configure`] for an app mounted under `prefix`: routes are registered as usual
/// (inside the mount's scope), the pages link their assets under the prefix.
pub(crate) fn configure_under(cfg: &mut web::ServiceConfig, docs: &DocsConfig, prefix: &str) {
    let seen = |base: &str| format!("{prefix}{base}");
    if let Some(base) = docs.swagger_ui.as_deref().map(base_path) {
        add_page(cfg, &base, swagger_page(docs, &seen(&base)));
        let assets = swagger_ui_dist::ApiDefinition {
            uri_prefix: String::new(),
            // The crate also routes this URI; aim it at its index route,
            // which the page registered above already shadows.
            api_definition: swagger_ui_dist::OpenApiSource::Uri("/".to_owned()),
            title: None,
        };
        cfg.service(
            web::scope(&base)
                .wrap_fn(cache_policy)
                .service(swagger_ui_dist::generate_scope(assets)),
        );
    }
    if let Some(base) = docs.redoc.as_deref().map(base_path) {
        add_page(cfg, &base, redoc_page(docs, &seen(&base)));
        cfg.service(web::scope(&base).wrap_fn(cache_policy).route(
            "/redoc.standalone.js",
            web::get().to(|| async { REDOC_JS.response() }),
        ));
    }
    if let Some(base) = docs.scalar.as_deref().map(base_path) {
        add_page(cfg, &base, scalar_page(docs, &seen(&base)));
        cfg.service(web::scope(&base).wrap_fn(cache_policy).route(
            "/scalar.js",
            web::get().to(|| async { SCALAR_JS.response() }),
        ));
    }
}

/// A JavaScript bundle held in memory with its cache tag.
struct Asset {
    body: web::Bytes,
    tag: String,
}

impl Asset {
    fn new(body: Vec<u8>) -> Self {
        let tag = format!("{:016x}", fnv1a(&body));
        Self {
            body: body.into(),
            tag,
        }
    }

    fn response(&self) -> HttpResponse {
        HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, JS))
            .body(self.body.clone())
    }
}

static REDOC_JS: LazyLock<Asset> = LazyLock::new(|| {
    let js = redoc_bundle().expect("aide's Redoc page no longer has the expected layout");
    Asset::new(js.replace(REDOC_LOGO_URL, "data:,").into_bytes())
});

static SCALAR_JS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(scalar_api_reference::get_asset("scalar.js").expect("scalar.js is embedded"))
});

/// Cuts the ReDoc bundle out of the page `aide` renders around it.
fn redoc_bundle() -> Option<String> {
    const MARK: &str = "__apiarist_spec_url__";
    let page = aide::redoc::Redoc::new(MARK).html();
    let start = page.find("<script>")? + "<script>".len();
    let end = page.rfind(&format!("Redoc.init(\"{MARK}\""))?;
    let js = page.get(start..end)?.trim();
    js.starts_with("/*!").then(|| js.to_owned())
}

/// Non-cryptographic content hash (FNV-1a, 64 bit) used as cache tag.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Versioned asset requests (`?v=…`) may be cached forever; others revalidate.
fn cache_policy<S, B>(
    req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    let versioned = req.query_string().starts_with("v=");
    let response = srv.call(req);
    async move {
        let mut res = response.await?;
        let policy = if versioned && res.status().is_success() {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        let policy = HeaderValue::from_static(policy);
        res.headers_mut().insert(CACHE_CONTROL, policy);
        Ok(res)
    }
}

/// Serves `page` at `base` and `base/`.
fn add_page(cfg: &mut web::ServiceConfig, base: &str, page: String) {
    let page = web::Bytes::from(page);
    for path in [base.to_owned(), format!("{base}/")] {
        let page = page.clone();
        cfg.route(
            &path,
            web::get().to(move || {
                let page = page.clone();
                async move {
                    HttpResponse::Ok()
                        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
                        .insert_header((CACHE_CONTROL, REVALIDATE))
                        .body(page)
                }
            }),
        );
    }
}

fn base_path(path: &str) -> String {
    let base = path.trim_end_matches('/');
    assert!(
        path.starts_with('/') && !base.is_empty(),
        "docs UI path must be absolute and not `/`, got {path:?}"
    );
    base.to_owned()
}

fn page(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"icon\" href=\"data:,\">\n{head}</head>\n\
         <body>\n{body}</body>\n</html>\n",
        html_escape(title)
    )
}

fn swagger_page(docs: &DocsConfig, base: &str) -> String {
    let v = SWAGGER_UI_VERSION;
    let head = format!("<link rel=\"stylesheet\" href=\"{base}/swagger-ui.css?v={v}\">\n");
    let body = format!(
        "<div id=\"swagger-ui\"></div>\n\
         <script src=\"{base}/swagger-ui-bundle.js?v={v}\"></script>\n\
         <script>\nwindow.ui = SwaggerUIBundle({{\n  url: {url},\n  dom_id: \"#swagger-ui\",\n  \
         deepLinking: true,\n  persistAuthorization: true,\n  validatorUrl: null,\n  \
         oauth2RedirectUrl: window.location.origin + {redirect},\n  \
         presets: [SwaggerUIBundle.presets.apis],\n}});\n</script>\n",
        url = js_string(&docs.openapi_url),
        redirect = js_string(&format!("{base}/oauth2-redirect.html")),
    );
    page(&docs.title, &head, &body)
}

fn redoc_page(docs: &DocsConfig, base: &str) -> String {
    let head = "<style>body { margin: 0; padding: 0; }</style>\n";
    let body = format!(
        "<div id=\"redoc\"></div>\n\
         <script src=\"{base}/redoc.standalone.js?v={v}\"></script>\n\
         <script>\nRedoc.init({url}, {{}}, document.getElementById(\"redoc\"));\n</script>\n",
        v = REDOC_JS.tag,
        url = js_string(&docs.openapi_url),
    );
    page(&docs.title, head, &body)
}

fn scalar_page(docs: &DocsConfig, base: &str) -> String {
    let body = format!(
        "<div id=\"app\"></div>\n\
         <script src=\"{base}/scalar.js?v={v}\"></script>\n\
         <script>\nScalar.createApiReference(\"#app\", {{\n  url: {url},\n  \
         withDefaultFonts: false,\n  telemetry: false,\n  agent: {{ disabled: true }},\n  \
         showDeveloperTools: \"never\",\n  persistAuth: true,\n}});\n</script>\n",
        v = SCALAR_JS.tag,
        url = js_string(&docs.openapi_url),
    );
    page(&docs.title, "", &body)
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A double-quoted JS string literal that is also safe inside `<script>`.
fn js_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
