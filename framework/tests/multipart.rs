//! Multipart bodies: files streamed to disk, text parts, limits and the 422 contract.

use apiarist::{
    MultipartLimits,
    prelude::*,
    testing::{MultipartBody, TestClient},
};
use serde_json::{Value, json};

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Upload {
    /// The file itself.
    file: UploadFile,
    #[validate(length(max = 10))]
    caption: Option<String>,
}

/// Receive one file.
#[api_operation(summary = "Upload")]
async fn upload(form: Multipart<Upload>) -> Json<Value> {
    let file = &form.file;
    Json(json!({
        "filename": file.filename(),
        "content_type": file.content_type(),
        "size": file.size(),
        "content": String::from_utf8(file.read_bytes().unwrap()).unwrap(),
        "caption": form.caption,
        "path": file.path(),
    }))
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Many {
    files: Vec<UploadFile>,
    #[serde(default)]
    label: Vec<String>,
}

/// Receive many files.
#[api_operation(summary = "Upload many")]
async fn upload_many(form: Multipart<Many>) -> Json<Value> {
    let names: Vec<_> = form.files.iter().map(|f| f.filename()).collect();
    Json(json!({"names": names, "labels": form.label}))
}

async fn client(limits: MultipartLimits) -> TestClient {
    let router = Router::new()
        .post("/upload", upload)
        .post("/many", upload_many);
    TestClient::new(App::new("uploads").state(limits).include(router)).await
}

fn one_file(content: &[u8]) -> MultipartBody {
    MultipartBody::new().text("caption", "a cat").file(
        "file",
        "cat.txt",
        "text/plain",
        content.to_vec(),
    )
}

#[actix_web::test]
async fn a_file_and_a_text_field_arrive_typed() {
    let client = client(MultipartLimits::default()).await;
    let res = client
        .post("/upload")
        .multipart(one_file(b"meow"))
        .send()
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json();
    assert_eq!(body["filename"], "cat.txt");
    assert_eq!(body["content_type"], "text/plain");
    assert_eq!(body["size"], 4);
    assert_eq!(body["content"], "meow");
    assert_eq!(body["caption"], "a cat");
    // The temporary file is gone once the request is over.
    let path = body["path"].as_str().unwrap();
    assert!(!std::path::Path::new(path).exists(), "{path} still exists");
}

#[actix_web::test]
async fn repeated_file_parts_fill_a_list() {
    let client = client(MultipartLimits::default()).await;
    let body = MultipartBody::new()
        .file("files", "a.txt", "text/plain", b"a".to_vec())
        .file("files", "b.txt", "text/plain", b"b".to_vec())
        .text("label", "x")
        .text("label", "y");
    let res = client.post("/many").multipart(body).send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>(),
        json!({"names": ["a.txt", "b.txt"], "labels": ["x", "y"]})
    );
}

#[actix_web::test]
async fn missing_and_mistyped_parts_are_422s_listing_every_error() {
    let client = client(MultipartLimits::default()).await;
    let res = client
        .post("/upload")
        .multipart(MultipartBody::new().text("caption", "far too long a caption"))
        .send()
        .await;
    assert_eq!(res.status(), 422);
    let detail = res.json::<Value>()["detail"].clone();
    assert_eq!(
        detail[0],
        json!({"type": "missing", "loc": ["body", "file"], "msg": "Field required", "input": null})
    );
    assert_eq!(detail[1]["type"], "string_too_long");
    assert_eq!(detail[1]["loc"], json!(["body", "caption"]));

    // Text where a file is due, a file where text is due.
    let body = MultipartBody::new().text("file", "not a file").file(
        "caption",
        "c.txt",
        "text/plain",
        b"x".to_vec(),
    );
    let res = client.post("/upload").multipart(body).send().await;
    assert_eq!(res.status(), 422);
    let detail = res.json::<Value>()["detail"].clone();
    let types: Vec<_> = detail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].clone(), e["loc"].clone()))
        .collect();
    assert!(
        types.contains(&(json!("string_type"), json!(["body", "caption"]))),
        "{detail}"
    );

    let body = MultipartBody::new().text("file", "not a file");
    let res = client.post("/upload").multipart(body).send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>()["detail"][0],
        json!({
            "type": "value_error",
            "loc": ["body", "file"],
            "msg": "Value error, Expected UploadFile, received: <class 'str'>",
            "input": "not a file"
        })
    );
}

#[actix_web::test]
async fn a_body_that_is_not_multipart_reads_as_empty_and_a_broken_one_is_400() {
    let client = client(MultipartLimits::default()).await;
    let res = client
        .post("/upload")
        .json(&json!({"file": "x"}))
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>()["detail"][0]["type"], "missing");

    let res = client
        .post("/upload")
        .header("content-type", "multipart/form-data; boundary=xyz")
        .body("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nunterminated")
        .send()
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "There was an error parsing the body"})
    );
}

#[actix_web::test]
async fn a_file_over_the_limit_is_413_naming_the_limit() {
    let client = client(MultipartLimits {
        max_file_size: 8,
        ..MultipartLimits::default()
    })
    .await;
    let res = client
        .post("/upload")
        .multipart(one_file(b"123456789"))
        .send()
        .await;
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "File 'file' is larger than the limit of 8 bytes"})
    );
    // At the limit is fine.
    let res = client
        .post("/upload")
        .multipart(one_file(b"12345678"))
        .send()
        .await;
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn the_document_shows_a_multipart_body_with_binary_files() {
    let client = client(MultipartLimits::default()).await;
    let doc: Value = client.get("/openapi.json").send().await.json();
    let body = &doc["paths"]["/upload"]["post"]["requestBody"]["content"]["multipart/form-data"];
    let schema = match body["schema"]["$ref"].as_str() {
        Some(reference) => &doc["components"]["schemas"][reference.rsplit('/').next().unwrap()],
        None => &body["schema"],
    };
    assert_eq!(schema["properties"]["file"]["type"], "string", "{schema}");
    assert_eq!(schema["properties"]["file"]["format"], "binary");
    assert_eq!(schema["required"], json!(["file"]));
    let responses = &doc["paths"]["/upload"]["post"]["responses"];
    for status in ["400", "413", "422"] {
        assert!(responses[status]["content"]["application/json"]["schema"]["$ref"].is_string());
    }
}
