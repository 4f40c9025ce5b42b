//! Item images and static files over HTTP: each status of the upload (200, 404,
//! 413, 415, 422), downloads with their content type, `ETag` (304) and ranges
//! (206), and a `/static/` mount that serves its directory and nothing outside it.

mod common;

use apiarist::{
    db::testing::TestDatabase,
    testing::{MultipartBody, TestClient, TestResponse},
};
use serde_json::{Value, json};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-a-tiny-png";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];

struct Env {
    client: TestClient,
    media: tempfile::TempDir,
    _db: TestDatabase,
}

async fn env() -> Env {
    let db = TestDatabase::postgres_from_env().unwrap_or_else(TestDatabase::sqlite);
    let media = tempfile::tempdir().unwrap();
    let app = common::app_with_media(
        db.connect::<items::Migrator>().await,
        media.path().join("images"),
    );
    Env {
        client: TestClient::new(app).await,
        media,
        _db: db,
    }
}

impl Env {
    async fn item(&self) -> i64 {
        let res = self
            .client
            .post("/items/")
            .json(&json!({"name": "Widget", "price": 2.5}))
            .send()
            .await;
        assert_eq!(res.status(), 201, "{}", res.text());
        res.json::<Value>()["id"].as_i64().unwrap()
    }

    async fn upload(&self, item: i64, body: MultipartBody) -> TestResponse {
        self.client
            .put(&format!("/items/{item}/image"))
            .multipart(body)
            .send()
            .await
    }

    async fn image(&self, item: i64, headers: &[(&str, &str)]) -> TestResponse {
        let mut request = self.client.get(&format!("/items/{item}/image"));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send().await
    }

    /// The files in the image directory.
    fn stored(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.media.path().join("images"))
            .map(|dir| {
                dir.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

fn image(name: &str, content_type: &str, content: &[u8]) -> MultipartBody {
    MultipartBody::new().file("file", name, content_type, content.to_vec())
}

#[actix_web::test]
async fn an_uploaded_image_is_served_back_with_its_type_etag_and_ranges() {
    let env = env().await;
    let item = env.item().await;
    assert_eq!(
        env.image(item, &[]).await.json::<Value>(),
        json!({"detail": format!("Item {item} has no image")})
    );

    let res = env
        .upload(item, image("widget.png", "image/png", PNG))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"item_id": item, "content_type": "image/png", "size": PNG.len()})
    );
    assert_eq!(env.stored(), vec![format!("{item}.png")]);

    let res = env.image(item, &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("image/png"));
    assert_eq!(res.bytes().as_ref(), PNG);
    assert!(
        res.header("content-disposition")
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
    let etag = res.header("etag").expect("an ETag").to_owned();

    let res = env.image(item, &[("if-none-match", &etag)]).await;
    assert_eq!(res.status(), 304);
    let res = env.image(item, &[("range", "bytes=1-3")]).await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().as_ref(), &PNG[1..=3]);
    let total = PNG.len();
    assert_eq!(
        res.header("content-range"),
        Some(format!("bytes 1-3/{total}").as_str())
    );
    let res = env.image(item, &[("range", "bytes=999-")]).await;
    assert_eq!(res.status(), 416);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Range Not Satisfiable"})
    );

    // A new image replaces the old one, whatever its format.
    let res = env
        .upload(item, image("widget.jpg", "image/jpeg", JPEG))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(env.stored(), vec![format!("{item}.jpg")]);
    let res = env.image(item, &[]).await;
    assert_eq!(res.header("content-type"), Some("image/jpeg"));
    assert_eq!(res.bytes().as_ref(), JPEG);
}

#[actix_web::test]
async fn only_images_are_accepted_415() {
    let env = env().await;
    let item = env.item().await;
    let res = env
        .upload(item, image("notes.txt", "text/plain", b"hello"))
        .await;
    assert_eq!(res.status(), 415);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "File 'notes.txt' has content type 'text/plain'; accepted: image/png, image/jpeg, image/gif, image/webp"})
    );
    // Declared a PNG, but is not one.
    let res = env
        .upload(item, image("cat.png", "image/png", b"GIF89a, really"))
        .await;
    assert_eq!(res.status(), 415);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "File 'cat.png' is not a PNG image"})
    );
    // Declared as nothing in particular: the content decides.
    let res = env
        .upload(
            item,
            image("blob", "application/octet-stream", b"PK\x03\x04 a zip"),
        )
        .await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (
            415,
            json!({"detail": "File 'blob' is not a PNG, JPEG, GIF or WebP image"})
        )
    );
    assert!(env.stored().is_empty(), "nothing stored");
    let res = env
        .upload(item, image("blob", "application/octet-stream", PNG))
        .await;
    assert_eq!(res.json::<Value>()["content_type"], "image/png");
    assert_eq!(env.stored(), vec![format!("{item}.png")]);
}

#[actix_web::test]
async fn images_over_5_mib_are_413() {
    let env = env().await;
    let item = env.item().await;
    let mut big = PNG.to_vec();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let res = env.upload(item, image("big.png", "image/png", &big)).await;
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "File 'file' is larger than the limit of 5242880 bytes"})
    );
    big.truncate(5 * 1024 * 1024);
    let res = env
        .upload(item, image("just-right.png", "image/png", &big))
        .await;
    assert_eq!(res.status(), 200, "exactly 5 MiB is fine: {}", res.text());
}

#[actix_web::test]
async fn a_missing_file_is_422_and_an_unknown_item_404() {
    let env = env().await;
    let item = env.item().await;
    let res = env
        .upload(item, MultipartBody::new().text("caption", "no file"))
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json();
    assert_eq!(body["detail"][0]["type"], "missing");
    assert_eq!(body["detail"][0]["loc"], json!(["body", "file"]));
    let res = env.upload(9999, image("a.png", "image/png", PNG)).await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (404, json!({"detail": "Item with id 9999 not found"}))
    );
    let res = env.image(9999, &[]).await;
    assert_eq!(
        (res.status(), res.json::<Value>()),
        (404, json!({"detail": "Item 9999 has no image"}))
    );
}

#[actix_web::test]
async fn the_image_routes_are_documented() {
    let env = env().await;
    let doc: Value = env.client.get("/openapi.json").send().await.json();
    let path = &doc["paths"]["/items/{item_id}/image"];
    let put = &path["put"];
    for status in ["200", "404", "413", "415", "422"] {
        assert!(put["responses"][status].is_object(), "PUT {status}: {put}");
    }
    let form = &put["requestBody"]["content"]["multipart/form-data"]["schema"];
    assert!(form.is_object(), "{put}");
    let get = &path["get"]["responses"];
    assert!(get["200"]["content"]["image/*"].is_object(), "{get}");
    assert!(get["404"].is_object() && get["206"].is_object(), "{get}");
    assert!(
        doc["paths"]["/static/{tail}"].is_null(),
        "static files are not documented"
    );
}

#[actix_web::test]
async fn static_files_are_served_and_nothing_outside_their_directory() {
    let env = env().await;
    let res = env.client.get("/static/placeholder.svg").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("image/svg+xml"));
    assert!(res.text().contains("<svg"));
    assert!(res.header("etag").is_some());
    for path in [
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/..%2FCargo.toml",
        "/static/../src/lib.rs",
        "/static/missing.txt",
        "/static/",
    ] {
        let res = env.client.get(path).send().await;
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Not Found"}),
            "{path}"
        );
    }
}
