//! [`MultipartBody`]: `multipart/form-data` bodies for test requests.

/// A `multipart/form-data` body for [`RequestBuilder::multipart`](super::RequestBuilder::multipart).
///
/// ```
/// use apiarist::testing::MultipartBody;
///
/// let body = MultipartBody::new()
///     .text("caption", "a cat")
///     .file("file", "cat.png", "image/png", b"\x89PNG...".to_vec());
/// # let _ = body;
/// ```
#[derive(Debug, Default)]
pub struct MultipartBody {
    parts: Vec<u8>,
}

const BOUNDARY: &str = "apiarist-test-boundary-7MA4YWxkTrZu0gW";

impl MultipartBody {
    /// An empty body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text part.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.head(&format!("form-data; name=\"{name}\""), None);
        self.parts.extend_from_slice(value.as_bytes());
        self.parts.extend_from_slice(b"\r\n");
        self
    }

    /// Adds a file part.
    pub fn file(
        mut self,
        name: &str,
        filename: &str,
        content_type: &str,
        content: Vec<u8>,
    ) -> Self {
        let disposition = format!("form-data; name=\"{name}\"; filename=\"{filename}\"");
        self.head(&disposition, Some(content_type));
        self.parts.extend_from_slice(&content);
        self.parts.extend_from_slice(b"\r\n");
        self
    }

    fn head(&mut self, disposition: &str, content_type: Option<&str>) {
        let mut head = format!("--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n");
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str("\r\n");
        self.parts.extend_from_slice(head.as_bytes());
    }

    pub(super) fn finish(mut self) -> (String, Vec<u8>) {
        self.parts
            .extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        (
            format!("multipart/form-data; boundary={BOUNDARY}"),
            self.parts,
        )
    }
}
