//! File downloads, static directories (and attempts to leave them), uploads that
//! are refused before they are read whole.

use std::path::PathBuf;

use apiarist::{
    MultipartLimits,
    files::FileResponse,
    prelude::*,
    testing::{TestClient, TestServer},
};
use serde_json::{Value, json};

/// Files on disk: `public/` is served; `secret.txt` beside it must never be.
struct Site {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Site {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let write = |path: &str, content: &[u8]| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        };
        write("secret.txt", b"TOP SECRET");
        write("public/hello.txt", b"hello, world");
        write("public/css/site.css", b"body { color: teal }");
        write("public/logo.png", b"\x89PNG\r\n\x1a\n0000");
        write("public/.env", b"TOP SECRET");
        write("public/report.pdf", b"%PDF-1.7 0123456789");
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("secret.txt"), root.join("public/link.txt")).unwrap();
        Self { _dir: dir, root }
    }

    fn public(&self) -> PathBuf {
        self.root.join("public")
    }
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Name {
    name: String,
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Disposition {
    #[serde(default)]
    inline: bool,
}

/// Download a file of the public directory.
#[api_operation(summary = "Download")]
async fn download(
    dir: actix_web::web::Data<PathBuf>,
    name: Path<Name>,
    how: Query<Disposition>,
) -> Result<FileResponse, HttpError> {
    let file = FileResponse::open(dir.join(&name.name)).await?;
    Ok(if how.inline {
        file.inline()
    } else {
        file.attachment(&format!("renamed {}", name.name))
    })
}

fn app(site: &Site) -> App {
    App::new("files")
        .state(site.public())
        .static_files("/static", site.public())
        .include(Router::new().get("/download/{name}", download))
}

#[actix_web::test]
async fn downloads_carry_type_disposition_and_validators() {
    let site = Site::new();
    let client = TestClient::new(app(&site)).await;
    let res = client.get("/download/hello.txt").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "hello, world");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"renamed hello.txt\"")
    );
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
    assert!(res.header("last-modified").is_some());
    let etag = res.header("etag").unwrap().to_owned();

    let res = client.get("/download/logo.png?inline=true").send().await;
    assert_eq!(res.header("content-type"), Some("image/png"));
    assert_eq!(
        res.header("content-disposition"),
        Some("inline; filename=\"logo.png\"")
    );
    let res = client.get("/download/report.pdf").send().await;
    assert_eq!(res.header("content-type"), Some("application/pdf"));

    let res = client
        .get("/download/hello.txt")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(res.status(), 304);
    assert!(res.bytes().is_empty());
    let res = client
        .get("/download/hello.txt")
        .header("if-none-match", "\"something-else\"")
        .send()
        .await;
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn ranges_are_served_and_impossible_ones_are_416_json() {
    let site = Site::new();
    let client = TestClient::new(app(&site)).await;
    let res = client
        .get("/download/hello.txt")
        .header("range", "bytes=7-11")
        .send()
        .await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.text(), "world");
    assert_eq!(res.header("content-range"), Some("bytes 7-11/12"));

    let res = client
        .get("/download/hello.txt")
        .header("range", "bytes=100-200")
        .send()
        .await;
    assert_eq!(res.status(), 416);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Range Not Satisfiable"})
    );
    assert_eq!(res.header("content-range"), Some("bytes */12"));
}

#[actix_web::test]
async fn a_missing_file_is_404_json() {
    let site = Site::new();
    let client = TestClient::new(app(&site)).await;
    let res = client.get("/download/nope.txt").send().await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>(), json!({"detail": "File not found"}));
    let res = client.get("/download/css").send().await; // a directory
    assert_eq!(res.status(), 404);
}

#[actix_web::test]
async fn a_static_directory_is_served_with_types_and_304s() {
    let site = Site::new();
    let client = TestClient::new(app(&site)).await;
    let res = client.get("/static/css/site.css").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "body { color: teal }");
    assert_eq!(res.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(res.header("content-disposition"), None);
    let etag = res.header("etag").unwrap().to_owned();
    let res = client
        .get("/static/css/site.css")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(res.status(), 304);
    let res = client
        .request(actix_web::http::Method::HEAD, "/static/hello.txt")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );

    for missing in [
        "/static/nope.txt",
        "/static/css",
        "/static/",
        "/static/css/",
    ] {
        let res = client.get(missing).send().await;
        assert_eq!(res.status(), 404, "{missing}");
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Not Found"}),
            "{missing}"
        );
    }
    // Static routes are not part of the API's document.
    let doc = app(&site).openapi();
    assert!(
        doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .all(|p| !p.starts_with("/static"))
    );
}

#[actix_web::test]
async fn no_request_path_leaves_the_static_directory() {
    let site = Site::new();
    // `Cargo.toml` beside `public/` too, as in the classic attack.
    std::fs::write(site.root.join("Cargo.toml"), b"TOP SECRET").unwrap();
    assert!(site.root.join("secret.txt").exists() && site.public().join("hello.txt").exists());
    let server = TestServer::start(app(&site)).await;
    let attempts = [
        "/static/../Cargo.toml",
        "/static/../secret.txt",
        "/static/css/../../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E/Cargo.toml",
        "/static/.%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/..%2Fsecret.txt",
        "/static/%2e%2e%2fsecret.txt",
        "/static/..%5csecret.txt",
        "/static/..\\secret.txt",
        "/static/css/..%5c..%5csecret.txt",
        "/static/%252e%252e/secret.txt",
        "/static//etc/passwd",
        "/static/.env",
        "/static/link.txt",
        "/static/%00/secret.txt",
        "/static/..",
    ];
    for path in attempts {
        let res = server.raw_get(path, &[]).await;
        assert!(
            !res.text().contains("TOP SECRET"),
            "{path} leaked: {}",
            res.text()
        );
        assert!(
            res.status() == 404 || res.status() == 400,
            "{path}: {} {}",
            res.status(),
            res.text()
        );
    }
    // The same files inside the directory are reachable.
    let ok = server.raw_get("/static/hello.txt", &[]).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text(), "hello, world");
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Image {
    file: UploadFile,
}

/// Accept an image.
#[api_operation(summary = "Upload image")]
async fn upload(form: Multipart<Image>) -> Result<Json<Value>, HttpError> {
    form.file
        .expect_content_type(&["image/png", "image/jpeg"])?;
    Ok(Json(json!({"size": form.file.size()})))
}

fn uploads() -> App {
    App::new("uploads")
        .state(MultipartLimits {
            max_file_size: 1024,
            ..MultipartLimits::default()
        })
        .include(Router::new().put("/image", upload))
}

#[actix_web::test]
async fn an_upload_must_have_an_accepted_content_type() {
    use apiarist::testing::MultipartBody;
    let client = TestClient::new(uploads()).await;
    let png = MultipartBody::new().file("file", "a.png", "image/png", b"\x89PNG".to_vec());
    let res = client.put("/image").multipart(png).send().await;
    assert_eq!(res.status(), 200);
    let text = MultipartBody::new().file("file", "a.txt", "text/plain", b"hi".to_vec());
    let res = client.put("/image").multipart(text).send().await;
    assert_eq!(res.status(), 415);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "File 'a.txt' has content type 'text/plain'; accepted: image/png, image/jpeg"})
    );
}

/// The upload is streamed: a file over the limit is refused while the client is
/// still sending, long before the declared 100 MiB could have arrived.
#[actix_web::test]
async fn an_oversized_upload_is_refused_before_the_body_is_read_whole() {
    let server = TestServer::start(uploads()).await;
    let boundary = "XyZ";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    );
    let declared = head.len() + 100 * 1024 * 1024;
    let mut request = format!(
        "PUT /image HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {declared}\r\n\r\n{head}",
        server.addr()
    )
    .into_bytes();
    request.extend_from_slice(&[0u8; 4096]);
    let res = server.raw(request).await;
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "File 'file' is larger than the limit of 1024 bytes"})
    );
}
