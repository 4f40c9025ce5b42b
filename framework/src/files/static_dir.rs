//! A directory served under a URL prefix, refusing any path that leads outside it.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use actix_files::NamedFile;
use actix_web::{HttpRequest, HttpResponse, http::Method, web};
use percent_encoding::percent_decode_str;

use super::download::{json_errors, open_file};
use crate::{App, HttpError, Router};

/// The directory behind a static mount.
#[derive(Debug)]
struct StaticDir {
    root: PathBuf,
}

impl Router {
    /// Serves the files under `dir` at `prefix` (FastAPI's `StaticFiles` mount):
    /// `GET {prefix}/css/site.css` sends `dir/css/site.css`, with `Content-Type`,
    /// `ETag` / `Last-Modified` (304s) and byte ranges; `HEAD` works too.
    ///
    /// Only regular files inside `dir` are served; anything else (a missing file, a
    /// directory, a hidden file, a path that tries to leave `dir`) is
    /// `404 {"detail": "Not Found"}`. See [`files`](crate::files) for the rules.
    /// The routes are not documented in OpenAPI.
    ///
    /// ```
    /// use apiarist::{App, Router};
    ///
    /// let assets = Router::with_prefix("/assets").static_files("/", "web/dist");
    /// let app = App::new("site").include(assets);
    /// # let _ = app;
    /// ```
    pub fn static_files(self, prefix: &str, dir: impl Into<PathBuf>) -> Self {
        let dir = Arc::new(StaticDir { root: dir.into() });
        let pattern = format!("{}/{{tail:.*}}", prefix.trim_end_matches('/'));
        [Method::GET, Method::HEAD]
            .into_iter()
            .fold(self, |router, method| {
                let dir = dir.clone();
                let route_method = method.clone();
                router.undocumented(
                    method,
                    &pattern,
                    "static_files",
                    Arc::new(move || {
                        let dir = dir.clone();
                        crate::routing::method_route(route_method.clone()).to(
                            move |req: HttpRequest| {
                                let dir = dir.clone();
                                async move { dir.serve(&req).await }
                            },
                        )
                    }),
                )
            })
    }
}

impl App {
    /// Serves the files under `dir` at `prefix`: see [`Router::static_files`].
    ///
    /// ```
    /// use apiarist::App;
    ///
    /// let app = App::new("shop").static_files("/static", "static");
    /// # let _ = app;
    /// ```
    pub fn static_files(self, prefix: &str, dir: impl Into<PathBuf>) -> Self {
        self.include(Router::new().static_files(prefix, dir))
    }
}

impl StaticDir {
    async fn serve(&self, req: &HttpRequest) -> HttpResponse {
        let Some(relative) = safe_relative(req.match_info().query("tail")) else {
            return not_found();
        };
        let root = self.root.clone();
        match web::block(move || open_within(&root, &relative)).await {
            Ok(Some(file)) => json_errors(
                file.prefer_utf8(true)
                    .disable_content_disposition()
                    .into_response(req),
            ),
            Ok(None) => not_found(),
            Err(error) => {
                tracing::error!(%error, "could not open a static file");
                HttpResponse::from_error(HttpError::new(500, "Internal Server Error"))
            }
        }
    }
}

fn not_found() -> HttpResponse {
    HttpResponse::from_error(HttpError::not_found("Not Found"))
}

/// The request's tail as a relative path of plain names, or `None` if any segment
/// could lead elsewhere. actix-web has already decoded the tail except for `%2F`,
/// `%25` and `%2B`; decoding each segment once more gives the names the client
/// meant, and a `%2F` becomes a `/` inside a segment, which is refused.
fn safe_relative(tail: &str) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    for raw in tail.split('/').filter(|s| !s.is_empty()) {
        let segment = percent_decode_str(raw).decode_utf8().ok()?;
        let refused = segment.starts_with('.')
            || segment.contains(['/', '\\', ':', '\0'])
            || segment.chars().any(char::is_control);
        if refused {
            return None;
        }
        path.push(segment.as_ref());
    }
    (!path.as_os_str().is_empty()).then_some(path)
}

/// Opens `root/relative` if, once symbolic links are resolved, it is a regular file
/// inside `root`.
fn open_within(root: &Path, relative: &Path) -> Option<NamedFile> {
    let root = root.canonicalize().ok()?;
    let path = root.join(relative).canonicalize().ok()?;
    if !path.starts_with(&root) {
        return None;
    }
    open_file(&path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_make_a_path() {
        assert_eq!(
            safe_relative("css/site.css"),
            Some(PathBuf::from("css/site.css"))
        );
        assert_eq!(safe_relative("a//b"), Some(PathBuf::from("a/b")));
        assert_eq!(
            safe_relative("caf%C3%A9.txt"),
            Some(PathBuf::from("café.txt"))
        );
        for evil in [
            "",
            "../Cargo.toml",
            "a/../../b",
            "./a",
            ".env",
            "a/.git/config",
            "%2e%2e/Cargo.toml",
            "..%2FCargo.toml",
            "..%5CCargo.toml",
            "..\\Cargo.toml",
            "C:%5Cwindows",
            "a%00b",
            "%ff",
        ] {
            assert_eq!(safe_relative(evil), None, "{evil}");
        }
    }
}
