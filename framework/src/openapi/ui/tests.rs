use actix_web::http::StatusCode;
use actix_web::{App, test as http};

use super::*;

/// GETs `uri` from an app configured with `docs`: (status, content type, cache control, body).
async fn get(docs: &DocsConfig, uri: &str) -> (StatusCode, String, String, String) {
    let app = http::init_service(App::new().configure(|cfg| configure(cfg, docs))).await;
    let res = http::call_service(&app, http::TestRequest::get().uri(uri).to_request()).await;
    let header = |name| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (status, content_type, cache) = (res.status(), header(CONTENT_TYPE), header(CACHE_CONTROL));
    let body = http::read_body(res).await;
    (
        status,
        content_type,
        cache,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// Values of every `src="…"` and `href="…"` attribute in `html`.
fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attr) {
            let value = &html[at + attr.len()..];
            found.push(value[..value.find('"').unwrap()].to_owned());
        }
    }
    found
}

/// The page answers HTML, links only same-origin assets, and each asset answers JS/CSS.
async fn check_page(path: &str, expected_assets: usize) -> String {
    let docs = DocsConfig::default();
    let (status, content_type, cache, html) = get(&docs, path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    assert!(
        content_type.starts_with("text/html"),
        "{path}: {content_type}"
    );
    assert_eq!(cache, "no-cache");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{path}: {html}"
    );
    let assets: Vec<_> = links(&html).into_iter().filter(|l| l != "data:,").collect();
    assert_eq!(assets.len(), expected_assets, "{path}: {assets:?}");
    for asset in assets {
        assert!(
            asset.starts_with(&format!("{path}/")),
            "not same-origin: {asset}"
        );
        let (status, content_type, cache, body) = get(&docs, &asset).await;
        assert_eq!(status, StatusCode::OK, "{asset}");
        assert!(
            content_type.starts_with("text/javascript") || content_type.starts_with("text/css"),
            "{asset}: {content_type}"
        );
        assert!(body.len() > 100_000, "{asset} is {} bytes", body.len());
        assert_eq!(cache, IMMUTABLE, "{asset}");
    }
    html
}

#[actix_web::test]
async fn swagger_ui_page_and_assets() {
    let html = check_page("/docs", 2).await;
    assert!(html.contains("url: \"/openapi.json\""));
    assert!(html.contains("persistAuthorization: true"));
    assert!(html.contains("validatorUrl: null"));
    assert!(html.contains("\"/docs/oauth2-redirect.html\""));
}

#[actix_web::test]
async fn redoc_page_and_assets() {
    let html = check_page("/redoc", 1).await;
    assert!(html.contains("Redoc.init(\"/openapi.json\""));
}

#[actix_web::test]
async fn scalar_page_and_assets() {
    let html = check_page("/scalar", 1).await;
    assert!(html.contains("url: \"/openapi.json\""));
    assert!(html.contains("withDefaultFonts: false"));
}

#[actix_web::test]
async fn trailing_slash_serves_our_page() {
    let docs = DocsConfig::default();
    for path in ["/docs/", "/redoc/", "/scalar/"] {
        let (status, _, _, html) = get(&docs, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            html.contains("<link rel=\"icon\" href=\"data:,\">"),
            "{path}: {html}"
        );
    }
}

#[actix_web::test]
async fn swagger_oauth2_redirect_is_served() {
    let docs = DocsConfig::default();
    let (status, content_type, cache, html) = get(&docs, "/docs/oauth2-redirect.html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert_eq!(cache, REVALIDATE);
    assert_eq!(links(&html), ["oauth2-redirect.js"]);
    let (status, content_type, _, js) = get(&docs, "/docs/oauth2-redirect.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/javascript"));
    assert!(js.contains("swaggerUIRedirectOauth2"));
}

#[actix_web::test]
async fn swagger_cache_tag_matches_the_bundled_version() {
    let (_, _, _, js) = get(&DocsConfig::default(), "/docs/swagger-ui-bundle.js").await;
    assert!(js.contains(&format!("PACKAGE_VERSION:\"{SWAGGER_UI_VERSION}\"")));
}

#[actix_web::test]
async fn untagged_asset_requests_revalidate() {
    let (status, _, cache, _) = get(&DocsConfig::default(), "/scalar/scalar.js").await;
    assert_eq!((status, cache.as_str()), (StatusCode::OK, REVALIDATE));
}

#[test]
fn redoc_bundle_is_extracted_and_neutralised() {
    let js = std::str::from_utf8(&REDOC_JS.body).unwrap();
    assert!(js.len() > 500_000);
    // Exactly the bundle: its first and last lines, none of aide's page.
    assert!(js.starts_with("/*! For license information"));
    assert!(js.ends_with("//# sourceMappingURL=redoc.standalone.js.map"));
    assert!(!js.contains("cdn.redoc.ly"), "logo URL still present");
    assert_eq!(REDOC_JS.tag.len(), 16);
}

#[actix_web::test]
async fn disabled_uis_are_not_routed() {
    let docs = DocsConfig {
        swagger_ui: None,
        redoc: None,
        scalar: None,
        ..DocsConfig::default()
    };
    for path in ["/docs", "/redoc", "/scalar", "/docs/swagger-ui.css"] {
        assert_eq!(get(&docs, path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}

#[actix_web::test]
async fn custom_paths_title_and_url_are_escaped() {
    let docs = DocsConfig {
        title: "<Items> & \"more\"".into(),
        openapi_url: "/v1/openapi.json?x=</script>".into(),
        swagger_ui: Some("/api/docs/".into()),
        ..DocsConfig::default()
    };
    let (status, _, _, html) = get(&docs, "/api/docs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<title>&lt;Items&gt; &amp; &quot;more&quot;</title>"));
    assert!(html.contains("\"/v1/openapi.json?x=\\u003c/script\\u003e\""));
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(html.contains("href=\"/api/docs/swagger-ui.css?v="));
    let (status, _, _, _) = get(&docs, "/api/docs/swagger-ui.css").await;
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn escaping_helpers() {
    assert_eq!(html_escape("a'b"), "a&#39;b");
    assert_eq!(js_string("a\"\\\n\u{2028}"), "\"a\\\"\\\\\\u000a\\u2028\"");
    assert_eq!(base_path("/docs/"), "/docs");
}

#[test]
#[should_panic(expected = "must be absolute")]
fn root_path_is_rejected() {
    base_path("/");
}
