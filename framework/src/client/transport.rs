//! The HTTP connections under every [`ServiceClient`](super::ServiceClient).
//!
//! An `awc::Client` is bound to the thread (and actix system) that made it: it is
//! `!Send`, and its connection pool runs on that thread's runtime. A
//! `ServiceClient`, on the other hand, is app state shared by every worker thread.
//! So the connections live here, one `awc::Client` per thread and actix system,
//! shared by all the service clients used on that thread: calls to one service
//! reuse kept-alive connections, and a new actix system (a test, a restarted
//! launcher thread) gets a new pool instead of a dead one.

use std::cell::RefCell;

thread_local! {
    static CLIENT: RefCell<Option<(usize, awc::Client)>> = const { RefCell::new(None) };
}

/// This thread's client, made on first use in the current actix system.
pub(crate) fn client() -> awc::Client {
    let Some(system) = actix_rt::System::try_current().map(|s| s.id()) else {
        return build();
    };
    CLIENT.with(|slot| {
        let mut slot = slot.borrow_mut();
        match &*slot {
            Some((id, client)) if *id == system => client.clone(),
            _ => {
                let client = build();
                *slot = Some((system, client.clone()));
                client
            }
        }
    })
}

/// No timeout of awc's own: the service client bounds the whole exchange (connect,
/// send, the response and its body) with its own, which awc's would only cut short.
fn build() -> awc::Client {
    awc::Client::builder().disable_timeout().finish()
}
