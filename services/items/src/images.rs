//! Item images: `PUT /items/{item_id}/image` stores one image per item on disk,
//! `GET /items/{item_id}/image` sends it back.
//!
//! An upload is a multipart body whose part `file` is a PNG, JPEG, GIF or WebP image
//! of at most [`MAX_IMAGE_SIZE`] bytes. The framework streams it to a temporary file
//! as it arrives (never whole in memory) and answers `413` past the limit and `422`
//! without the part. Here the declared content type must be one of the four (`415`
//! otherwise) and the first bytes must be that format's signature (`415` too), so a
//! file named `cat.png` that is not a PNG is not stored, nor served as one later.
//!
//! The image is kept as `<media dir>/<item_id>.<extension>` (the extension names
//! the format, which is how it is served back): written next to its final name and
//! renamed into place, so a reader never sees half an image; a new image replaces
//! the old one, whatever its format. Downloads are
//! [`FileResponse`]s: `Content-Type`, `ETag`, `Last-Modified`, ranges.

use std::{
    io::{self, Read},
    path::{Path as FsPath, PathBuf},
};

use actix_web::web;
use apiarist::{MultipartLimits, State, db::Db, files::FileResponse, prelude::*};
use shared_models::items::ItemImage;

use crate::{models, routes::ItemPath};

/// The largest image accepted: 5 MiB.
pub const MAX_IMAGE_SIZE: u64 = 5 * 1024 * 1024;

/// An image format the service accepts.
#[derive(Debug, Clone, Copy)]
struct Kind {
    name: &'static str,
    content_type: &'static str,
    extension: &'static str,
    signature: fn(&[u8]) -> bool,
}

const KINDS: [Kind; 4] = [
    Kind {
        name: "PNG",
        content_type: "image/png",
        extension: "png",
        signature: |b| b.starts_with(b"\x89PNG\r\n\x1a\n"),
    },
    Kind {
        name: "JPEG",
        content_type: "image/jpeg",
        extension: "jpg",
        signature: |b| b.starts_with(&[0xFF, 0xD8, 0xFF]),
    },
    Kind {
        name: "GIF",
        content_type: "image/gif",
        extension: "gif",
        signature: |b| b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a"),
    },
    Kind {
        name: "WebP",
        content_type: "image/webp",
        extension: "webp",
        signature: |b| b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP",
    },
];

/// Where item images are kept (app state of the image routes).
#[derive(Debug, Clone)]
pub struct ImageStore {
    dir: PathBuf,
}

impl ImageStore {
    /// Images under `dir` (created on the first upload).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, item_id: i64, kind: &Kind) -> PathBuf {
        self.dir.join(format!("{item_id}.{}", kind.extension))
    }

    /// The stored image of `item_id` and its format, if it has one.
    fn find(&self, item_id: i64) -> Option<(PathBuf, Kind)> {
        KINDS.iter().find_map(|kind| {
            let path = self.path(item_id, kind);
            path.is_file().then_some((path, *kind))
        })
    }

    /// Stores `upload` as the image of `item_id`, replacing any other.
    fn store(&self, item_id: i64, kind: &Kind, upload: UploadFile) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let target = self.path(item_id, kind);
        // Beside the target, so the rename is atomic; the upload's temporary file may
        // be on another file system, so it is copied, not moved.
        let staging = tempfile::NamedTempFile::new_in(&self.dir)?;
        std::fs::copy(upload.path(), staging.path())?;
        staging.persist(&target).map_err(|e| e.error)?;
        for other in KINDS.iter().filter(|k| k.extension != kind.extension) {
            match std::fs::remove_file(self.path(item_id, other)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

/// The multipart body of `PUT /items/{item_id}/image`.
#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct ImageUpload {
    /// The image: PNG, JPEG, GIF or WebP, at most 5 MiB.
    pub file: UploadFile,
}

/// The first bytes of `path`, enough for any signature.
fn head_of(path: &FsPath) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path)?.take(16).read_to_end(&mut head)?;
    Ok(head)
}

fn storage_failed(error: impl std::fmt::Display) -> HttpError {
    tracing::error!(%error, "could not store an item image");
    HttpError::new(500, "Internal Server Error")
}

/// Upload an item's image.
///
/// Stores the multipart part `file` as the item's image, replacing any previous one.
/// Only PNG, JPEG, GIF and WebP images are accepted, of at most 5 MiB (`413`). The
/// part's declared content type must be one of theirs and match the content
/// (`415` otherwise); a part declared as nothing or `application/octet-stream` is
/// taken for what its content is.
#[api_operation(
    tag = "items",
    summary = "Upload an item's image",
    error_code = 404,
    error_code = 413,
    error_code = 415,
    error_code = 503
)]
pub async fn put_image(
    db: Db,
    images: State<ImageStore>,
    path: Path<ItemPath>,
    form: Multipart<ImageUpload>,
) -> Result<Json<ItemImage>, HttpError> {
    let item_id = path.item_id;
    if models::find(&*db, item_id).await?.is_none() {
        return Err(HttpError::not_found(format!(
            "Item with id {item_id} not found"
        )));
    }
    let upload = form.into_inner().file;
    let declared = declared_kind(&upload)?;
    let temp = upload.path().to_owned();
    let head = web::block(move || head_of(&temp))
        .await
        .map_err(storage_failed)?
        .map_err(storage_failed)?;
    let name = upload.filename().unwrap_or("upload").to_owned();
    let kind = match declared {
        Some(kind) if (kind.signature)(&head) => kind,
        Some(kind) => {
            let detail = format!("File '{name}' is not a {} image", kind.name);
            return Err(HttpError::new(415, detail));
        }
        None => *KINDS.iter().find(|k| (k.signature)(&head)).ok_or_else(|| {
            HttpError::new(
                415,
                format!("File '{name}' is not a PNG, JPEG, GIF or WebP image"),
            )
        })?,
    };
    let size = upload.size();
    let store = images.into_data();
    web::block(move || store.store(item_id, &kind, upload))
        .await
        .map_err(storage_failed)?
        .map_err(storage_failed)?;
    Ok(Json(ItemImage {
        item_id,
        content_type: kind.content_type.to_owned(),
        size,
    }))
}

/// The format the client declared for `upload`: `None` when it declared none (or
/// `application/octet-stream`), a `415` when it is not an accepted image type.
fn declared_kind(upload: &UploadFile) -> Result<Option<Kind>, HttpError> {
    let declared = upload.content_type().unwrap_or_default();
    let essence = declared.split(';').next().unwrap_or_default().trim();
    if essence.is_empty() || essence.eq_ignore_ascii_case("application/octet-stream") {
        return Ok(None);
    }
    upload.expect_content_type(&KINDS.map(|k| k.content_type))?;
    Ok(KINDS
        .iter()
        .find(|k| k.content_type.eq_ignore_ascii_case(essence))
        .copied())
}

/// Read an item's image.
///
/// The image as uploaded, with its content type, `ETag` and `Last-Modified` (so
/// `If-None-Match` gets a `304`) and byte ranges (`Range`: `206`). An item without
/// an image is a 404.
#[api_operation(
    tag = "items",
    summary = "Read an item's image",
    produces = "image/*",
    error_code = 404
)]
pub async fn get_image(
    images: State<ImageStore>,
    path: Path<ItemPath>,
) -> Result<FileResponse, HttpError> {
    let item_id = path.item_id;
    let store = images.into_data();
    let found = web::block(move || store.find(item_id))
        .await
        .map_err(storage_failed)?;
    let Some((file, kind)) = found else {
        return Err(HttpError::not_found(format!("Item {item_id} has no image")));
    };
    Ok(FileResponse::open(file)
        .await?
        .content_type(kind.content_type)
        .inline())
}

/// The image routes, with uploads limited to one file of [`MAX_IMAGE_SIZE`].
pub fn router() -> Router {
    Router::with_prefix("/items")
        .tag("items")
        .state(MultipartLimits {
            max_file_size: MAX_IMAGE_SIZE,
            max_files: 1,
            max_fields: 10,
            max_field_size: 64 * 1024,
        })
        .put("/{item_id}/image", put_image)
        .get("/{item_id}/image", get_image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_knows_its_signature() {
        let samples: [&[u8]; 4] = [
            b"\x89PNG\r\n\x1a\n....",
            &[0xFF, 0xD8, 0xFF, 0xE0],
            b"GIF89a..",
            b"RIFF\x10\0\0\0WEBPVP8 ",
        ];
        for (kind, sample) in KINDS.iter().zip(samples) {
            for (other, other_sample) in KINDS.iter().zip(samples) {
                assert_eq!(
                    (kind.signature)(other_sample),
                    kind.content_type == other.content_type,
                    "{} on a {} sample",
                    kind.content_type,
                    other.content_type
                );
            }
            assert!(!(kind.signature)(b""), "{}", kind.content_type);
            assert!((kind.signature)(sample));
        }
    }
}
