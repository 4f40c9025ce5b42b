//! Files: download responses and static directories.
//!
//! - [`FileResponse`] (FastAPI's `FileResponse`) sends a file from disk: its
//!   `Content-Type` from the extension, `Content-Disposition` (attachment or
//!   inline, with the file name, UTF-8 names included), `ETag` and
//!   `Last-Modified` with `304 Not Modified` for `If-None-Match` /
//!   `If-Modified-Since`, and byte ranges (`206 Partial Content`, `416` JSON for a
//!   range past the end). The content is read in chunks as it is sent.
//! - [`Router::static_files`](crate::Router::static_files) /
//!   [`App::static_files`](crate::App::static_files) serve a directory under a
//!   prefix (FastAPI's `StaticFiles` mount), with the same headers and ranges.
//!
//! **Path traversal.** A static request names a file by its URL; it is served only
//! if it is a regular file inside the directory. Each path segment is decoded once
//! (so `%2e%2e` is `..`) and the request is refused (`404 {"detail": "Not Found"}`,
//! the answer for any missing file) when a segment is `.` or `..`, starts with a
//! dot (hidden files), or holds a `/`, `\`, `:` or NUL once decoded; the resolved
//! path (symbolic links followed) must still lie inside the directory. Static
//! routes are not in the OpenAPI document, as FastAPI's mounts are not.
//!
//! Multipart uploads are [`UploadFile`](crate::UploadFile) fields of a
//! [`Multipart`](crate::Multipart) form: streamed to disk as they arrive.

mod download;
mod static_dir;

pub use download::FileResponse;
