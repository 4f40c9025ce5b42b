//! [`RequestId`]: the id every request carries, cheap to make on the hot path.
//!
//! An id is either the client's (a sane `X-Request-Id`) or a fresh one: 32 hex
//! digits, a random per-thread prefix followed by a per-thread counter, so ids are
//! unique across threads and processes without a random draw or an allocation per
//! request. A fresh id lives inline (no heap); a client's shares the bytes of the
//! header it came in (no copy). Either way it is small, since every request makes
//! one, clones it into its extensions and echoes it.

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
#[derive(Clone)]
pub struct RequestId(Repr);

#[derive(Clone)]
enum Repr {
    /// Made here: 32 hex digits.
    Fresh([u8; 32]),
    /// The client's, checked by `sane` (so ASCII).
    Client(HeaderValue),
}

impl RequestId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (see `sane` and `fresh`).
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Fresh(bytes) => bytes,
            Repr::Client(value) => value.as_bytes(),
        }
    }

    /// The id as a header value.
    pub(crate) fn header_value(&self) -> HeaderValue {
        match &self.0 {
            Repr::Fresh(bytes) => HeaderValue::from_bytes(bytes)
                .unwrap_or_else(|_| HeaderValue::from_static("invalid")),
            Repr::Client(value) => value.clone(),
        }
    }

    /// The client's id when it is sane (1 to 128 characters of `A-Za-z0-9-_.:`),
    /// else a fresh one.
    pub(crate) fn from_header(value: Option<&HeaderValue>) -> Self {
        match value {
            Some(value) if sane(value.as_bytes()) => Self(Repr::Client(value.clone())),
            _ => Self::fresh(),
        }
    }

    /// A new id: this thread's random prefix and its next count, in hex.
    pub(crate) fn fresh() -> Self {
        thread_local! {
            /// The prefix already in hex (it never changes), and the next count.
            static NEXT: Cell<([u8; 16], u64)> = Cell::new((hex(random_prefix()), 0));
        }
        let (prefix, count) = NEXT.with(|next| {
            let (prefix, count) = next.get();
            next.set((prefix, count.wrapping_add(1)));
            (prefix, count)
        });
        let mut bytes = [0; 32];
        bytes[..16].copy_from_slice(&prefix);
        bytes[16..].copy_from_slice(&hex(count));
        Self(Repr::Fresh(bytes))
    }
}

impl PartialEq for RequestId {
    /// Ids are equal when their text is, wherever it came from.
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for RequestId {}

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

/// `value` as 16 lowercase hex digits, most significant first.
///
/// All digits at once rather than a loop over nibbles (this runs on every
/// request): each nibble is spread into a byte of its own, then turned into its
/// ASCII digit with byte-wise arithmetic that cannot carry between bytes.
fn hex(value: u64) -> [u8; 16] {
    const BYTES: u128 = 0x0101_0101_0101_0101_0101_0101_0101_0101;
    let mut x = u128::from(value);
    // Nibble i (counting from the least significant) ends in byte i.
    x = (x | (x << 32)) & 0x0000_0000_ffff_ffff_0000_0000_ffff_ffff;
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff_0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff_00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f_0f0f_0f0f_0f0f_0f0f;
    // 1 in each byte holding 10 or more (b + 6 reaches 16), which get the offset
    // from '0' + 10 to 'a' (39) on top of '0'.
    let letters = ((x + 6 * BYTES) >> 4) & BYTES;
    (x + b'0' as u128 * BYTES + letters * 39).to_be_bytes()
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

    #[test]
    fn hex_digits_match_the_formatter() {
        for value in [
            0,
            1,
            9,
            10,
            15,
            16,
            0xdead_beef,
            u64::MAX,
            0x0123_4567_89ab_cdef,
        ] {
            let digits = hex(value);
            assert_eq!(
                std::str::from_utf8(&digits).unwrap(),
                format!("{value:016x}")
            );
        }
    }

    #[test]
    fn ids_compare_by_their_text() {
        let fresh = RequestId::fresh();
        let echoed = RequestId::from_header(Some(&fresh.header_value()));
        assert_eq!(fresh, echoed);
        assert_ne!(fresh, RequestId::fresh());
    }
}
