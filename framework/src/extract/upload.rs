//! `UploadFile`: one file of a multipart body, already streamed to a temporary file.
//!
//! The multipart extractor writes each file part to disk as it arrives, then
//! deserialises the declared type. Serde cannot carry an open file through a JSON
//! value, so the value holds a token (`"\0upload:<n>"`) and the files wait in a
//! thread-local list for exactly the duration of that synchronous deserialisation:
//! no `.await` happens in between, so no other request can observe them, and a token
//! outside that window (say, typed by a client into a JSON body) resolves to nothing.

use std::{
    borrow::Cow,
    cell::RefCell,
    fmt,
    io::{self, Read},
    path::Path as FsPath,
};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, de};
use tempfile::NamedTempFile;

const TOKEN_PREFIX: &str = "\0upload:";

/// A file received in a multipart body (FastAPI's `UploadFile`).
///
/// The content is on disk in a temporary file, never held whole in memory; the file
/// is deleted when the `UploadFile` is dropped unless [`persist`](Self::persist)ed.
/// Declare it as a field of a [`Multipart`](super::Multipart) form, alone, optional
/// (`Option<UploadFile>`) or as a list (`Vec<UploadFile>` for repeated parts). It is
/// documented as `{"type": "string", "format": "binary"}`.
///
/// ```
/// use apiarist::prelude::*;
///
/// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct Avatar {
///     file: UploadFile,
///     #[validate(length(max = 200))]
///     caption: Option<String>,
/// }
///
/// #[derive(Debug, Serialize, JsonSchema, ApiComponent)]
/// struct Stored { filename: Option<String>, size: u64 }
///
/// /// Upload an avatar.
/// #[api_operation(summary = "Upload an avatar")]
/// async fn upload(form: Multipart<Avatar>) -> Json<Stored> {
///     let file = &form.file;
///     Json(Stored { filename: file.filename().map(str::to_owned), size: file.size() })
/// }
/// # let _ = Router::new().post("/avatar", upload);
/// ```
pub struct UploadFile {
    filename: Option<String>,
    content_type: Option<String>,
    size: u64,
    file: NamedTempFile,
}

impl UploadFile {
    pub(crate) fn new(
        filename: Option<String>,
        content_type: Option<String>,
        size: u64,
        file: NamedTempFile,
    ) -> Self {
        Self {
            filename,
            content_type,
            size,
            file,
        }
    }

    /// The file name the client sent, if any. Never use it as a path as it is.
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// The part's `Content-Type`, as the client declared it (not sniffed).
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Checks the declared content type against `accepted` (exact types such as
    /// `"image/png"`, or `"image/*"`; parameters like `charset` are ignored), and
    /// answers `415 {"detail": ...}` naming the file and the accepted types when it
    /// is not one of them (or missing). The type is what the client declared: check
    /// the content itself where that matters.
    ///
    /// ```
    /// use apiarist::prelude::*;
    ///
    /// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
    /// struct Picture { file: UploadFile }
    ///
    /// /// Upload a picture.
    /// #[api_operation(summary = "Upload a picture", error_code = 415)]
    /// async fn picture(form: Multipart<Picture>) -> Result<NoContent, HttpError> {
    ///     form.file.expect_content_type(&["image/png", "image/jpeg"])?;
    ///     Ok(NoContent)
    /// }
    /// # let _ = Router::new().put("/picture", picture);
    /// ```
    pub fn expect_content_type(&self, accepted: &[&str]) -> Result<(), crate::HttpError> {
        let declared = self.content_type.as_deref().unwrap_or("");
        let essence = declared.split(';').next().unwrap_or("").trim();
        let fits = |pattern: &str| match pattern.strip_suffix("/*") {
            Some(kind) => essence
                .split_once('/')
                .is_some_and(|(k, _)| k.eq_ignore_ascii_case(kind)),
            None => essence.eq_ignore_ascii_case(pattern),
        };
        if accepted.iter().any(|p| fits(p)) {
            return Ok(());
        }
        let name = self.filename.as_deref().unwrap_or("upload");
        let has = if declared.is_empty() {
            "no content type".to_owned()
        } else {
            format!("content type '{declared}'")
        };
        Err(crate::HttpError::new(
            415,
            format!("File '{name}' has {has}; accepted: {}", accepted.join(", ")),
        ))
    }

    /// The size of the content in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Where the temporary file is.
    pub fn path(&self) -> &FsPath {
        self.file.path()
    }

    /// Reads the whole content into memory (blocking; files are small or use
    /// [`path`](Self::path) with your own reader).
    pub fn read_bytes(&self) -> io::Result<Vec<u8>> {
        let mut content = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0));
        self.file.reopen()?.read_to_end(&mut content)?;
        Ok(content)
    }

    /// Moves the file to `path` (same file system), so it outlives the request.
    pub fn persist(self, path: impl AsRef<FsPath>) -> io::Result<std::fs::File> {
        self.file.persist(path).map_err(|e| e.error)
    }

    /// The underlying temporary file.
    pub fn into_temp_file(self) -> NamedTempFile {
        self.file
    }

    /// Describes the file for an error's `input` when it was sent where text was due.
    pub(crate) fn describe(
        filename: Option<&str>,
        content_type: Option<&str>,
        size: u64,
    ) -> serde_json::Value {
        serde_json::json!({"filename": filename, "content_type": content_type, "size": size})
    }
}

impl fmt::Debug for UploadFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadFile")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("path", &self.file.path())
            .finish()
    }
}

impl JsonSchema for UploadFile {
    fn schema_name() -> Cow<'static, str> {
        "UploadFile".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "binary"})
    }
}

thread_local! {
    static PENDING: RefCell<Vec<Option<UploadFile>>> = const { RefCell::new(Vec::new()) };
}

/// The files of one multipart body, claimable by token while the scope lives.
pub(crate) struct PendingFiles {
    _private: (),
}

impl PendingFiles {
    /// Makes `files` claimable on this thread until the returned guard drops; the
    /// token of `files[n]` is [`token(n)`](Self::token).
    pub(crate) fn enter(files: Vec<UploadFile>) -> Self {
        PENDING.with(|p| *p.borrow_mut() = files.into_iter().map(Some).collect());
        Self { _private: () }
    }

    pub(crate) fn token(index: usize) -> String {
        format!("{TOKEN_PREFIX}{index}")
    }

    fn claim(token: &str) -> Option<UploadFile> {
        let index: usize = token.strip_prefix(TOKEN_PREFIX)?.parse().ok()?;
        PENDING.with(|p| p.borrow_mut().get_mut(index)?.take())
    }
}

impl Drop for PendingFiles {
    fn drop(&mut self) {
        // Unclaimed files (the handler never got them) are deleted here.
        PENDING.with(|p| p.borrow_mut().clear());
    }
}

impl<'de> Deserialize<'de> for UploadFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Claim;
        impl de::Visitor<'_> for Claim {
            type Value = UploadFile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an uploaded file")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<UploadFile, E> {
                PendingFiles::claim(v).ok_or_else(|| {
                    E::custom("Value error, Expected UploadFile, received: <class 'str'>")
                })
            }
        }
        deserializer.deserialize_str(Claim)
    }
}
