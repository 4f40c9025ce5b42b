//! [`RequestId`]: the id every request carries, cheap to make on the hot path.
//!
//! An id is either the client's (a sane `X-Request-Id`) or a fresh one: 16 hex
//! digits. Each thread counts up from a random start, so ids are unique across
//! threads and processes (in practice: two of 2^64 starting points would have to
//! fall within the requests served between them) without a random draw per
//! request.
//!
//! Either way the id is held as the header value it is echoed with: a client's
//! shares the bytes of the header it came in, and a fresh one is made into one
//! once. Cloning an id copies no text.
//!
//! Handlers get the id as a parameter (see [`RequestId`]). The core layer does not
//! store it in the request's extensions, whose first entry costs a map allocation
//! per request: it makes the id *current* while it polls the request's future
//! ([`RequestId::scope`]), which is where extractors and handlers run.

use std::{cell::Cell, fmt};

use actix_web::{
    HttpRequest,
    http::header::{HeaderName, HeaderValue},
};

use crate::Provide;

/// The request id header, read and echoed.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// [`REQUEST_ID_HEADER`] as a header name, built at compile time.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

/// Longest client-sent id that is kept; a longer one is replaced by a fresh id.
const MAX_LEN: usize = 128;

/// The id of the current request: the client's `X-Request-Id` when it sent a sane
/// one, else one the framework made. It is echoed in the response, recorded on the
/// request's log span, sent on by [`ServiceClient`](crate::client::ServiceClient)
/// calls and carried by the jobs the request enqueues.
///
/// A handler takes it as a parameter (it is a dependency: nothing is documented);
/// code called from a handler can ask for [`RequestId::current`].
///
/// ```
/// use apiarist::{RequestId, prelude::*};
///
/// #[derive(Debug, Serialize, Deserialize, JsonSchema, ApiComponent)]
/// struct Receipt { request_id: String }
///
/// /// Say which request this was.
/// #[api_operation(summary = "Receipt")]
/// async fn receipt(id: RequestId) -> Json<Receipt> {
///     Json(Receipt { request_id: id.as_str().to_owned() })
/// }
/// # let _ = Router::new().get("/receipt", receipt);
/// ```
#[derive(Clone)]
pub struct RequestId(HeaderValue);

thread_local! {
    /// The id of the request whose future this thread is polling, if any.
    static CURRENT: Cell<Option<RequestId>> = const { Cell::new(None) };
}

impl RequestId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (see `sane` and `fresh`).
        std::str::from_utf8(self.0.as_bytes()).unwrap_or_default()
    }

    /// The id of the request being handled, when called from its handler (or an
    /// extractor, a dependency, a middleware inside the app): `None` elsewhere, such
    /// as in a task spawned off the request.
    ///
    /// ```
    /// // Outside a request there is none.
    /// assert!(apiarist::RequestId::current().is_none());
    /// ```
    pub fn current() -> Option<Self> {
        CURRENT.with(|current| {
            let id = current.take();
            let copy = id.clone();
            current.set(id);
            copy
        })
    }

    /// Runs `f` with `id` as the [current](Self::current) request id, and takes it
    /// back afterwards (even if `f` panics): the core layer wraps every poll of a
    /// request's future in this.
    pub(crate) fn scope<R>(id: &mut Option<RequestId>, f: impl FnOnce() -> R) -> R {
        // Swapping the id with the thread's current one, and back: no drop, no
        // copy beyond the swaps, and an outer request's id (an in-process call made
        // while handling one) comes back with the second swap.
        struct SwapBack<'a>(&'a Cell<Option<RequestId>>);
        impl Drop for SwapBack<'_> {
            fn drop(&mut self) {
                CURRENT.with(|current| current.swap(self.0));
            }
        }
        let id = Cell::from_mut(id);
        CURRENT.with(|current| current.swap(id));
        let _back = SwapBack(id);
        f()
    }

    /// The id, as the header value to echo.
    pub(crate) fn into_header_value(self) -> HeaderValue {
        self.0
    }

    /// The client's id when it is sane (1 to 128 characters of `A-Za-z0-9-_.:`),
    /// else a fresh one.
    pub(crate) fn from_header(value: Option<&HeaderValue>) -> Self {
        match value {
            Some(value) if sane(value.as_bytes()) => Self(value.clone()),
            _ => Self::fresh(),
        }
    }

    /// A new id: this thread's next number, in hex.
    pub(crate) fn fresh() -> Self {
        thread_local! {
            static NEXT: Cell<u64> = Cell::new(random_start());
        }
        let number = NEXT.with(|next| {
            let number = next.get();
            next.set(number.wrapping_add(1));
            number
        });
        // Hex digits are always a valid header value.
        Self(
            HeaderValue::from_bytes(&hex(number))
                .unwrap_or_else(|_| HeaderValue::from_static("invalid")),
        )
    }
}

impl Provide for RequestId {
    type Needs = (HttpRequest,);

    /// The current id; outside the framework's core layer (an actix-web app of
    /// one's own), the request's sane `X-Request-Id` or a fresh one.
    async fn provide((req,): Self::Needs) -> Result<Self, actix_web::Error> {
        Ok(Self::current().unwrap_or_else(|| Self::from_header(req.headers().get(REQUEST_ID))))
    }
}
crate::injectable!(RequestId);

impl PartialEq for RequestId {
    /// Ids are equal when their text is, wherever it came from.
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes() == other.0.as_bytes()
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

/// Where a thread's ids start.
fn random_start() -> u64 {
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

    fn is_fresh(id: &RequestId) -> bool {
        id.as_str().len() == 16 && id.as_str().bytes().all(|b| b.is_ascii_hexdigit())
    }

    #[test]
    fn fresh_ids_are_16_hex_digits_and_distinct_across_threads() {
        let mut seen = HashSet::new();
        let mine: Vec<_> = (0..100).map(|_| RequestId::fresh()).collect();
        let theirs =
            std::thread::spawn(|| (0..100).map(|_| RequestId::fresh()).collect::<Vec<_>>())
                .join()
                .unwrap();
        for id in mine.iter().chain(&theirs) {
            assert!(is_fresh(id), "{id}");
            assert!(seen.insert(id.as_str().to_owned()), "duplicate id {id}");
        }
    }

    #[test]
    fn a_thread_counts_up() {
        let number = |id: &RequestId| u64::from_str_radix(id.as_str(), 16).unwrap();
        let first = RequestId::fresh();
        let second = RequestId::fresh();
        assert_eq!(number(&second), number(&first).wrapping_add(1));
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
    fn a_sane_client_id_is_kept_and_anything_else_replaced() {
        let keep = HeaderValue::from_static("req-42.a:b_C");
        assert_eq!(RequestId::from_header(Some(&keep)).as_str(), "req-42.a:b_C");
        assert_eq!(
            RequestId::from_header(Some(&keep)).into_header_value(),
            keep
        );
        let long = HeaderValue::from_str(&"a".repeat(129)).unwrap();
        for bad in [
            HeaderValue::from_static("a b"),
            HeaderValue::from_static(""),
            long,
        ] {
            let id = RequestId::from_header(Some(&bad));
            assert!(is_fresh(&id), "{bad:?} was kept");
        }
        assert!(is_fresh(&RequestId::from_header(None)));
    }

    #[test]
    fn an_id_is_current_only_inside_its_scope() {
        assert_eq!(RequestId::current(), None);
        let outer_id = RequestId::fresh();
        let mut outer = Some(outer_id.clone());
        RequestId::scope(&mut outer, || {
            assert_eq!(RequestId::current().as_ref(), Some(&outer_id));
            // A request handled inside another (an in-process call) has its own.
            let inner_id = RequestId::fresh();
            let mut inner = Some(inner_id.clone());
            RequestId::scope(&mut inner, || {
                assert_eq!(RequestId::current(), Some(inner_id.clone()));
            });
            assert_eq!(inner, Some(inner_id));
            assert_eq!(RequestId::current().as_ref(), Some(&outer_id));
        });
        assert_eq!(outer, Some(outer_id.clone()));
        assert_eq!(RequestId::current(), None);
        // A panic inside still hands the id back.
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            RequestId::scope(&mut outer, || panic!("handler failed"))
        }));
        assert!(caught.is_err());
        assert_eq!(outer, Some(outer_id));
        assert_eq!(RequestId::current(), None);
    }

    #[test]
    fn ids_compare_by_their_text() {
        let fresh = RequestId::fresh();
        let echoed = RequestId::from_header(Some(&fresh.clone().into_header_value()));
        assert_eq!(fresh, echoed);
        assert_ne!(fresh, RequestId::fresh());
    }
}
