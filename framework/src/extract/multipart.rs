//! `Multipart<T>`: a validated `multipart/form-data` body with files.

use std::{future::Future, io::Write, pin::Pin};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use apistos::{ApiComponent, ApistosSchema, OpenApiVersion, reference_or::ReferenceOr};
use futures_util::StreamExt;
use serde_json::Value;

use super::{
    Input, conform_params,
    upload::{PendingFiles, UploadFile},
};
use crate::{
    HttpError,
    openapi::schema::{children_of, schema_of},
    validation::{LocItem, Shape},
};

/// Bounds on a multipart body, so a client cannot fill the disk or memory.
///
/// Applies app-wide when shared as state: `App::state(MultipartLimits { .. })`. A
/// part over its limit is a 413 whose detail names the part and the limit.
///
/// ```
/// use apiarist::{App, MultipartLimits};
///
/// let app = App::new("uploads").state(MultipartLimits {
///     max_file_size: 5 * 1024 * 1024,
///     ..MultipartLimits::default()
/// });
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartLimits {
    /// Largest file part, in bytes (default 10 MiB).
    pub max_file_size: u64,
    /// Largest text part, in bytes (default 1 MiB, as Starlette).
    pub max_field_size: usize,
    /// Most file parts in one body (default 100).
    pub max_files: usize,
    /// Most text parts in one body (default 1000, as Starlette).
    pub max_fields: usize,
}

impl Default for MultipartLimits {
    fn default() -> Self {
        Self {
            max_file_size: 10 * 1024 * 1024,
            max_field_size: 1024 * 1024,
            max_files: 100,
            max_fields: 1000,
        }
    }
}

/// A `multipart/form-data` body read into `T`: text parts as for [`Form`](super::Form),
/// file parts as [`UploadFile`] fields (FastAPI's `File()` / `UploadFile`).
///
/// Files are streamed to temporary files as they arrive, within [`MultipartLimits`].
/// Errors follow the 422 contract with `loc` `["body", field]`: a missing file is
/// `missing`, text sent where a file is due is a `value_error`, a file sent where text
/// is due is `string_type`. A body that is not multipart reads as empty (so each
/// required field is `missing`); a malformed one is a 400.
///
/// ```
/// use apiarist::prelude::*;
///
/// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct Attachments {
///     /// Every part named `files`.
///     files: Vec<UploadFile>,
///     note: Option<String>,
/// }
///
/// #[derive(Debug, Serialize, JsonSchema, ApiComponent)]
/// struct Sizes { sizes: Vec<u64> }
///
/// /// Attach files.
/// #[api_operation(summary = "Attach files")]
/// async fn attach(form: Multipart<Attachments>) -> Json<Sizes> {
///     Json(Sizes { sizes: form.files.iter().map(UploadFile::size).collect() })
/// }
/// # let _ = Router::new().post("/attachments", attach);
/// ```
#[derive(Debug)]
pub struct Multipart<T>(pub T);

super::newtype_access!(Multipart);

impl<T: Input> FromRequest for Multipart<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limits = req
            .app_data::<web::Data<MultipartLimits>>()
            .map_or_else(MultipartLimits::default, |l| *l.get_ref());
        let is_multipart = req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|m| m.type_() == actix_web::mime::MULTIPART);
        let parts =
            is_multipart.then(|| actix_multipart::Multipart::new(req.headers(), payload.take()));
        Box::pin(async move {
            let received = match parts {
                Some(parts) => receive::<T>(parts, limits).await?,
                None => Received {
                    value: Value::Object(Default::default()),
                    files: Vec::new(),
                },
            };
            let loc = [LocItem::Key("body".to_owned())];
            // Deserialising claims the files by token; no await from here on.
            let _files = PendingFiles::enter(received.files);
            Ok(Multipart(conform_params::<T>(received.value, &loc)?))
        })
    }
}

struct Received {
    value: Value,
    files: Vec<UploadFile>,
}

/// Reads every part: text into the value, files to disk (their token into the value).
async fn receive<T: Input>(
    mut parts: actix_multipart::Multipart,
    limits: MultipartLimits,
) -> Result<Received, HttpError> {
    let shape = Shape::of::<T>();
    let fields = shape.object_fields().unwrap_or_default();
    let mut pairs: Vec<(String, Value)> = Vec::new();
    let mut files = Vec::new();
    let mut text_parts = 0;
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|_| parse_error())?;
        let name = part.name().unwrap_or_default().to_owned();
        let filename = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let declared = fields.iter().find(|f| f.name == name);
        if let Some(filename) = filename {
            if files.len() >= limits.max_files {
                return Err(too_large(format!(
                    "Too many files: the limit is {}",
                    limits.max_files
                )));
            }
            let content_type = part.content_type().map(ToString::to_string);
            let (file, size) = spool(&mut part, &name, limits.max_file_size).await?;
            let Some(field) = declared else { continue };
            let value = if field.is_file {
                let token = PendingFiles::token(files.len());
                files.push(UploadFile::new(Some(filename), content_type, size, file));
                Value::String(token)
            } else {
                UploadFile::describe(Some(&filename), content_type.as_deref(), size)
            };
            pairs.push((name, value));
        } else {
            text_parts += 1;
            if text_parts > limits.max_fields {
                return Err(too_large(format!(
                    "Too many fields: the limit is {}",
                    limits.max_fields
                )));
            }
            let text = read_text(&mut part, &name, limits.max_field_size).await?;
            if declared.is_some() {
                pairs.push((name, Value::String(text)));
            }
        }
    }
    let value = super::object_from_pairs::<T>(
        pairs.iter().map(|(k, v)| (k.as_str(), v.clone())),
        str::to_owned,
    );
    Ok(Received { value, files })
}

async fn spool(
    part: &mut actix_multipart::Field,
    name: &str,
    limit: u64,
) -> Result<(tempfile::NamedTempFile, u64), HttpError> {
    let mut file = tempfile::NamedTempFile::new().map_err(storage_error)?;
    let mut size: u64 = 0;
    while let Some(chunk) = part.next().await {
        let chunk = chunk.map_err(|_| parse_error())?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large(format!(
                "File '{name}' is larger than the limit of {limit} bytes"
            )));
        }
        // Chunks are small (the payload's buffer size) and go to the page cache, so a
        // plain write does not hold the worker thread for long.
        file.write_all(&chunk).map_err(storage_error)?;
    }
    file.flush().map_err(storage_error)?;
    Ok((file, size))
}

async fn read_text(
    part: &mut actix_multipart::Field,
    name: &str,
    limit: usize,
) -> Result<String, HttpError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = part.next().await {
        let chunk = chunk.map_err(|_| parse_error())?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large(format!(
                "Field '{name}' is larger than the limit of {limit} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn parse_error() -> HttpError {
    HttpError::bad_request("There was an error parsing the body")
}

fn too_large(detail: String) -> HttpError {
    HttpError::new(413, detail)
}

fn storage_error(error: std::io::Error) -> HttpError {
    tracing::error!(%error, "could not store an uploaded file");
    HttpError::new(500, "Internal Server Error")
}

impl<T: schemars::JsonSchema> ApiComponent for Multipart<T> {
    fn content_type() -> String {
        "multipart/form-data".to_owned()
    }
    fn child_schemas(v: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        children_of::<T>(v)
    }
    fn raw_schema(_: OpenApiVersion) -> Option<ReferenceOr<ApistosSchema>> {
        None
    }
    fn schema(v: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        Some(schema_of::<T>(v))
    }
}
