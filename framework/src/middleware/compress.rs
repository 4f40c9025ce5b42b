//! Response compression: brotli or gzip, as the client prefers, for responses worth it.
//!
//! actix-web's `Compress` compresses every response, down to a 20-byte JSON body
//! (which gets larger and costs a compressor's set-up), and offers every encoding
//! compiled into actix-http. This layer negotiates only `br` and `gzip`, leaves
//! small bodies and already-compressed media alone, never buffers an event stream,
//! and compresses bodies in memory on the spot (see `encode.rs`); streams and large
//! bodies go through actix-http's encoder.

use std::sync::Arc;

use actix_http::encoding::Encoder;
use actix_web::{
    body::{BodySize, BoxBody, MessageBody},
    http::{
        StatusCode,
        header::{
            ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, ContentEncoding, HeaderValue, VARY,
        },
    },
};

use super::{
    encode::{self, INLINE_MAX},
    layer::{Middleware, Placement},
};

/// Compresses responses with brotli or gzip when the client accepts it
/// (`Accept-Encoding`), like Starlette's `GZipMiddleware`.
///
/// Skipped: bodies smaller than [`min_size`](Self::min_size) (500 bytes by default),
/// responses that already have a `Content-Encoding`, images (but SVG), audio, video,
/// archives, `text/event-stream` (each event must leave at once), `204`, `206` and
/// `304`. Compressed responses carry `Vary: Accept-Encoding`.
///
/// ```
/// use apiarist::{App, middleware::Compression};
///
/// let app = App::new("svc").middleware(Compression::default().min_size(1024));
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Compression {
    min_size: u64,
    brotli: bool,
    gzip: bool,
}

impl Default for Compression {
    fn default() -> Self {
        Self {
            min_size: 500,
            brotli: true,
            gzip: true,
        }
    }
}

impl Compression {
    /// Compresses bodies of at least `bytes` (bodies of unknown length always).
    pub fn min_size(mut self, bytes: u64) -> Self {
        self.min_size = bytes;
        self
    }

    /// Offers gzip only (brotli compresses better but costs more CPU per byte).
    pub fn gzip_only(mut self) -> Self {
        self.brotli = false;
        self.gzip = true;
        self
    }

    /// The best encoding both sides accept, from an `Accept-Encoding` value.
    fn negotiate(&self, accept: &str) -> Option<ContentEncoding> {
        let mut best: Option<(ContentEncoding, f32)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok());
            let Some(quality) = quality.filter(|q| *q > 0.0) else {
                continue;
            };
            let encoding = if coding.eq_ignore_ascii_case("br") && self.brotli {
                ContentEncoding::Brotli
            } else if (coding.eq_ignore_ascii_case("gzip") || coding == "*") && self.gzip {
                ContentEncoding::Gzip
            } else {
                continue;
            };
            // Brotli wins a tie: it is listed first when both are equally welcome.
            let better = match best {
                None => true,
                Some((current, q)) => {
                    quality > q
                        || (quality == q
                            && encoding == ContentEncoding::Brotli
                            && current != encoding)
                }
            };
            if better {
                best = Some((encoding, quality));
            }
        }
        best.map(|(encoding, _)| encoding)
    }

    fn worth_it(
        &self,
        status: StatusCode,
        headers: &actix_web::http::header::HeaderMap,
        size: BodySize,
    ) -> bool {
        if matches!(
            status,
            StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
        ) || status.is_informational()
            || headers.contains_key(CONTENT_ENCODING)
        {
            return false;
        }
        match size {
            BodySize::None => return false,
            BodySize::Sized(n) if n < self.min_size => return false,
            _ => {}
        }
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        compressible(content_type)
    }
}

/// Whether a media type gains from compression.
fn compressible(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (kind, sub) = mime.split_once('/').unwrap_or((&mime, ""));
    match kind {
        "image" => sub.starts_with("svg"),
        "audio" | "video" | "font" => false,
        "text" => sub != "event-stream",
        "application" => !matches!(
            sub,
            "zip"
                | "gzip"
                | "x-gzip"
                | "zstd"
                | "x-7z-compressed"
                | "x-bzip2"
                | "x-xz"
                | "octet-stream"
                | "pdf"
                | "wasm"
        ),
        _ => true,
    }
}

impl From<Compression> for Middleware {
    fn from(config: Compression) -> Self {
        let config = Arc::new(config);
        Middleware::layer("compression", Placement::AroundApp, move |req, next| {
            let asks = req.headers().contains_key(ACCEPT_ENCODING);
            let called = next.call(req);
            if !asks {
                return called;
            }
            let config = config.clone();
            Box::pin(async move {
                let res = called.await?;
                if !config.worth_it(res.status(), res.headers(), res.response().body().size()) {
                    return Ok(res);
                }
                // Negotiated only now: most small answers (under `min_size`) never
                // need the header parsed.
                let encoding = res
                    .request()
                    .headers()
                    .get(ACCEPT_ENCODING)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|accept| config.negotiate(accept));
                let Some(encoding) = encoding else {
                    return Ok(res);
                };
                Ok(res.map_body(|head, body| match body.try_into_bytes() {
                    Ok(bytes) if bytes.len() <= INLINE_MAX => {
                        match encode::inline(encoding, &bytes) {
                            Some(packed) => {
                                let headers = head.headers_mut();
                                headers.insert(CONTENT_ENCODING, encoding.to_header_value());
                                headers.append(VARY, HeaderValue::from_static("accept-encoding"));
                                BoxBody::new(packed)
                            }
                            None => BoxBody::new(bytes),
                        }
                    }
                    Ok(bytes) => BoxBody::new(Encoder::response(encoding, head, bytes)),
                    Err(body) => BoxBody::new(Encoder::response(encoding, head, body)),
                }))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_the_preferred_supported_encoding() {
        let c = Compression::default();
        assert_eq!(
            c.negotiate("gzip, deflate, br"),
            Some(ContentEncoding::Brotli)
        );
        assert_eq!(
            c.negotiate("gzip;q=1.0, br;q=0.5"),
            Some(ContentEncoding::Gzip)
        );
        assert_eq!(c.negotiate("deflate, zstd"), None);
        assert_eq!(c.negotiate("br;q=0, gzip"), Some(ContentEncoding::Gzip));
        assert_eq!(c.negotiate("*"), Some(ContentEncoding::Gzip));
        assert_eq!(c.gzip_only().negotiate("br"), None);
    }

    #[test]
    fn skips_media_that_does_not_shrink() {
        assert!(compressible("application/json"));
        assert!(compressible("text/html; charset=utf-8"));
        assert!(compressible("image/svg+xml"));
        assert!(!compressible("image/png"));
        assert!(!compressible("text/event-stream"));
        assert!(!compressible("application/zip"));
    }
}
