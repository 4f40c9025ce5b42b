//! [`FileResponse`]: a file from disk as a response, with the HTTP caching and
//! range semantics clients expect (actix-files' `NamedFile` underneath).

use std::{collections::BTreeMap, io, path::Path};

use actix_files::NamedFile;
use actix_web::{
    HttpRequest, HttpResponse, Responder,
    body::BoxBody,
    http::{
        StatusCode,
        header::{Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue},
    },
    web,
};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion,
    paths::{Response, Responses},
    reference_or::ReferenceOr,
};
use serde_json::json;

use crate::{
    HttpError,
    openapi::schema::{inline, media_content},
};

/// A file sent from disk (FastAPI's `FileResponse`).
///
/// [`open`](Self::open) answers `404 {"detail": "File not found"}` for a missing
/// file. The response carries `Content-Type` (by extension; `charset=utf-8` for
/// text), `Content-Disposition` (inline for text, images, audio and video,
/// attachment otherwise, unless you choose), `ETag`, `Last-Modified` and
/// `Accept-Ranges: bytes`; conditional and range requests get `304`, `206`,
/// `412` or `416` (the errors as JSON). Documented as a binary `200` with `206`
/// and `304`, and `404` / `416` errors.
///
/// ```
/// use apiarist::{files::FileResponse, prelude::*};
///
/// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct Report {
///     id: u32,
/// }
///
/// /// Download a report.
/// #[api_operation(summary = "Report", produces = "application/pdf")]
/// async fn report(report: Path<Report>) -> Result<FileResponse, HttpError> {
///     let file = FileResponse::open(format!("reports/{}.pdf", report.id)).await?;
///     Ok(file.attachment(&format!("report-{}.pdf", report.id)))
/// }
/// # let _ = Router::new().get("/reports/{id}", report);
/// ```
#[derive(Debug)]
pub struct FileResponse {
    file: NamedFile,
}

impl FileResponse {
    /// Opens the file at `path` (without blocking the server's thread).
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, HttpError> {
        let path = path.as_ref().to_path_buf();
        let opened = web::block(move || open_file(&path)).await;
        match opened {
            Ok(Ok(file)) => Ok(Self {
                file: file.prefer_utf8(true),
            }),
            Ok(Err(error)) if error.kind() == io::ErrorKind::NotFound => {
                Err(HttpError::not_found("File not found"))
            }
            Ok(Err(error)) => Err(io_failure(&error)),
            Err(error) => Err(io_failure(&error)),
        }
    }

    /// Sends it as an attachment (a download) saved as `filename`.
    pub fn attachment(self, filename: &str) -> Self {
        self.disposition(DispositionType::Attachment, Some(filename))
    }

    /// Sends it to be shown in the browser (`Content-Disposition: inline`),
    /// keeping its file name.
    pub fn inline(self) -> Self {
        self.disposition(DispositionType::Inline, None)
    }

    /// Overrides the content type guessed from the extension (e.g. `"image/webp"`);
    /// a value that is not a media type is ignored, with a warning.
    pub fn content_type(mut self, content_type: &str) -> Self {
        match content_type.parse::<actix_web::mime::Mime>() {
            Ok(mime) => self.file = self.file.set_content_type(mime),
            Err(_) => tracing::warn!(content_type, "not a media type; kept the guessed one"),
        }
        self
    }

    fn disposition(mut self, kind: DispositionType, filename: Option<&str>) -> Self {
        let mut disposition: ContentDisposition = self.file.content_disposition().clone();
        disposition.disposition = kind;
        if let Some(name) = filename {
            disposition.parameters = filename_parameters(name);
        }
        self.file = self.file.set_content_disposition(disposition);
        self
    }
}

/// Opens a regular file; anything else (a directory) counts as not found.
pub(super) fn open_file(path: &Path) -> io::Result<NamedFile> {
    let file = NamedFile::open(path)?;
    if file.metadata().is_file() {
        Ok(file)
    } else {
        Err(io::ErrorKind::NotFound.into())
    }
}

fn io_failure(error: &dyn std::fmt::Display) -> HttpError {
    tracing::error!(%error, "could not open a file to send");
    HttpError::new(500, "Internal Server Error")
}

/// `filename` as an ASCII fallback, plus `filename*` (UTF-8) when the name is not
/// ASCII (RFC 6266). Control characters and path separators become `_`.
fn filename_parameters(name: &str) -> Vec<DispositionParam> {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_control() || c == '/' || c == '\\' {
                '_'
            } else {
                c
            }
        })
        .collect();
    if clean.is_ascii() {
        return vec![DispositionParam::Filename(clean)];
    }
    let fallback = clean
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    vec![
        DispositionParam::Filename(fallback),
        DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".to_owned()),
            language_tag: None,
            value: clean.into_bytes(),
        }),
    ]
}

impl Responder for FileResponse {
    type Body = BoxBody;

    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        json_errors(self.file.into_response(req))
    }
}

/// `NamedFile` answers failed preconditions and ranges with empty bodies: give
/// them the framework's JSON error body (keeping `Content-Range`).
pub(super) fn json_errors(res: HttpResponse) -> HttpResponse {
    let detail = match res.status() {
        StatusCode::RANGE_NOT_SATISFIABLE => "Range Not Satisfiable",
        StatusCode::PRECONDITION_FAILED => "Precondition Failed",
        StatusCode::BAD_REQUEST => "Invalid Range header",
        _ => return res,
    };
    let mut error = HttpError::new(res.status().as_u16(), detail);
    if let Some(range) = res
        .headers()
        .get(actix_web::http::header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
    {
        error = error.with_header("content-range", range);
    }
    HttpResponse::from_error(error)
}

impl ApiComponent for FileResponse {
    fn child_schemas(_: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        Vec::new()
    }

    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }

    fn responses(
        v: OpenApiVersion,
        content_type: Option<String>,
        description: Option<String>,
    ) -> Option<Responses> {
        crate::di::declare_statuses(&[404, 416]);
        let media = content_type.unwrap_or_else(|| "application/octet-stream".to_owned());
        let binary = json!({"type": "string", "format": "binary"});
        let content = |v| media_content(v, &media, inline(v, binary.clone()));
        let response = |description: String, content| {
            ReferenceOr::Object(Response {
                description,
                content,
                ..Default::default()
            })
        };
        let ok = description.unwrap_or_else(|| {
            "The file, with `ETag` and `Last-Modified` for caches and \
             `Accept-Ranges: bytes`."
                .to_owned()
        });
        Some(Responses {
            responses: BTreeMap::from([
                ("200".to_owned(), response(ok, content(v))),
                (
                    "206".to_owned(),
                    response(
                        "Partial Content: the byte range asked for with `Range`.".to_owned(),
                        content(v),
                    ),
                ),
                (
                    "304".to_owned(),
                    response(
                        "Not Modified: the copy named by `If-None-Match` or \
                         `If-Modified-Since` is current."
                            .to_owned(),
                        BTreeMap::new(),
                    ),
                ),
            ]),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_keep_their_unicode() {
        assert_eq!(
            filename_parameters("a/b\r\n.txt"),
            vec![DispositionParam::Filename("a_b__.txt".to_owned())]
        );
        let params = filename_parameters("résumé.pdf");
        assert_eq!(
            params[0],
            DispositionParam::Filename("r_sum_.pdf".to_owned())
        );
        assert!(
            matches!(&params[1], DispositionParam::FilenameExt(v) if v.value == "résumé.pdf".as_bytes())
        );
    }
}
