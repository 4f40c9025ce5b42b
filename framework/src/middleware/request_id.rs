//! [`RequestId`]: the id every request carries, cheap to make on the hot path.
//!
//! An id is either the client's (a sane `X-Request-Id`) or a fresh one: 32 hex
//! digits, a random per-thread prefix followed by a per-thread counter, so ids are
//! unique across threads and processes without a random draw or an allocation per
//! request. It lives inline (no heap), since every request makes one.

use std::{cell::Cell, fmt};

use actix_web::http::header::{HeaderName, HeaderValue};

/// The request id header, read and echoed.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// [`REQUEST_ID_HEADER`] as a header name, built at compile time.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

/// Longest client-sent id that is kept; a longer one is replaced by a fresh id.
const MAX_LEN: usize = 128;

/// The id of the current request, available to handlers as an extension.
///
/// ```
/// use actix_web::{HttpMessage, HttpRequest};
/// use apiarist::RequestId;
///
/// fn id_of(req: &HttpRequest) -> Option<String> {
///     req.extensions().get::<RequestId>().map(|id| id.as_str().to_owned())
/// }
/// # let _ = id_of;
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RequestId {
    len: u8,
    bytes: [u8; MAX_LEN],
}

impl RequestId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (see `sane` and `fresh`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The id as a header value.
    pub(crate) fn header_value(&self) -> HeaderValue {
        HeaderValue::from_bytes(&self.bytes[..usize::from(self.len)])
            .unwrap_or_else(|_| HeaderValue::from_static("invalid"))
    }

    /// The client's id when it is sane (1 to 128 characters of `A-Za-z0-9-_.:`),
    /// else a fresh one.
    pub(crate) fn from_header(value: Option<&HeaderValue>) -> Self {
        value
            .map(HeaderValue::as_bytes)
            .filter(|v| sane(v))
            .map_or_else(Self::fresh, |v| {
                let mut bytes = [0; MAX_LEN];
                bytes[..v.len()].copy_from_slice(v);
                Self {
                    len: v.len() as u8,
                    bytes,
                }
            })
    }

    /// A new id: this thread's random prefix and its next count, in hex.
    pub(crate) fn fresh() -> Self {
        thread_local! {
            static NEXT: Cell<(u64, u64)> = Cell::new((random_prefix(), 0));
        }
        let (prefix, count) = NEXT.with(|next| {
            let (prefix, count) = next.get();
            next.set((prefix, count.wrapping_add(1)));
            (prefix, count)
        });
        let mut bytes = [0; MAX_LEN];
        hex(prefix, &mut bytes[..16]);
        hex(count, &mut bytes[16..32]);
        Self { len: 32, bytes }
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequestId").field(&self.as_str()).finish()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn sane(value: &[u8]) -> bool {
    !value.is_empty()
        && value.len() <= MAX_LEN
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
}

fn random_prefix() -> u64 {
    let mut seed = [0; 8];
    if getrandom::fill(&mut seed).is_err() {
        // No entropy source: fall back to what differs between threads and runs.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        return nanos ^ u64::from(std::process::id()).rotate_left(32);
    }
    u64::from_le_bytes(seed)
}

fn hex(mut value: u64, out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(value & 0xf) as usize];
        value >>= 4;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn fresh_ids_are_32_hex_digits_and_distinct_across_threads() {
        let mut seen = HashSet::new();
        let mine: Vec<_> = (0..100).map(|_| RequestId::fresh()).collect();
        let theirs =
            std::thread::spawn(|| (0..100).map(|_| RequestId::fresh()).collect::<Vec<_>>())
                .join()
                .unwrap();
        for id in mine.iter().chain(&theirs) {
            assert_eq!(id.as_str().len(), 32);
            assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(seen.insert(id.as_str().to_owned()), "duplicate id {id}");
        }
    }

    #[test]
    fn a_sane_client_id_is_kept_and_anything_else_replaced() {
        let keep = HeaderValue::from_static("req-42.a:b_C");
        assert_eq!(RequestId::from_header(Some(&keep)).as_str(), "req-42.a:b_C");
        assert_eq!(RequestId::from_header(Some(&keep)).header_value(), keep);
        let long = HeaderValue::from_str(&"a".repeat(129)).unwrap();
        for bad in [
            HeaderValue::from_static("a b"),
            HeaderValue::from_static(""),
            long,
        ] {
            let id = RequestId::from_header(Some(&bad));
            assert_eq!(id.as_str().len(), 32, "{bad:?} was kept");
        }
        assert_eq!(RequestId::from_header(None).as_str().len(), 32);
    }
}
