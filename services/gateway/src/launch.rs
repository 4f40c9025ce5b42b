//! How the all-in-one launcher starts a service of the table: each entry of
//! [`SERVICES`](crate::SERVICES) carries a [`Launch`] hook that reads the service's
//! configuration from the environment, puts in what the launcher shares with every
//! service ([`Shared`]: one auth key, the services' addresses in this process), and
//! hands back a [`Boot`]: that configuration and the service's `build`, to be run
//! later in the service's own thread and actix system.
//!
//! ```
//! use gateway::launch::{Boot, Shared};
//!
//! /// The hook of a service whose `Config` has `auth` and `items_url` fields.
//! fn launch(stack: &Shared) -> Result<Boot, Box<dyn std::error::Error>> {
//!     let mut config = users::Config::from_env()?;
//!     config.auth = stack.auth.clone();
//!     config.items_url = stack.url("items");
//!     Ok(Boot::new(config, users::build))
//! }
//! # let _: gateway::launch::Launch = launch;
//! ```
//!
//! A service's own `Config::from_env` reads the auth variables too (its binary
//! needs them); here that reading is replaced by the shared one, so what it says
//! is noise, once per service: the random secret's warning above all. The
//! launcher reads the auth settings once, with their messages, and runs the hooks
//! with the auth settings module's messages muted ([`muted`]).

use std::{any::Any, error::Error, fmt, future::Future, pin::Pin};

use apiarist::{App, auth::AuthSettings};

use crate::services::ServiceUrls;

/// A service's hook: its configuration from the environment, with what the
/// launcher shares put in, and its `build`.
pub type Launch = fn(&Shared) -> Result<Boot, Box<dyn Error>>;

/// What the launcher hands every service: read once, the same for all.
#[derive(Debug, Clone)]
pub struct Shared {
    /// The stack's key material and token settings: a token from one service is
    /// valid in every other (without `JWT_SECRET`, one random secret for the process).
    pub auth: AuthSettings,
    /// Where each service of the table listens in this process.
    pub urls: ServiceUrls,
}

impl Shared {
    /// The address of `service` in this process (`http://127.0.0.1:<port>`).
    ///
    /// # Panics
    ///
    /// If `service` is not in [`SERVICES`](crate::SERVICES): a hook names a
    /// service the table does not have.
    pub fn url(&self, service: &str) -> String {
        self.urls
            .get(service)
            .unwrap_or_else(|| panic!("no service `{service}` in SERVICES"))
            .to_owned()
    }
}

/// The future of a service's `build`.
type Building = Pin<Box<dyn Future<Output = Result<App, Box<dyn Error>>>>>;

/// A service ready to be built: its configuration and its `build`. The
/// configuration can still be changed ([`Boot::config_mut`]); the build runs in
/// the service's own thread, so only the configuration crosses threads.
pub struct Boot {
    config: Box<dyn Any + Send>,
    build: Box<dyn FnOnce(Box<dyn Any + Send>) -> Building + Send>,
}

impl Boot {
    /// `build(config)`, later.
    pub fn new<C, B, F>(config: C, build: B) -> Self
    where
        C: Any + Send,
        B: FnOnce(C) -> F + Send + 'static,
        F: Future<Output = Result<App, Box<dyn Error>>> + 'static,
    {
        Self {
            config: Box::new(config),
            build: Box::new(move |config| {
                // `config` is the box made above, of type `C`.
                let config = config
                    .downcast::<C>()
                    .unwrap_or_else(|_| unreachable!("a Boot keeps its own configuration"));
                Box::pin(build(*config))
            }),
        }
    }

    /// The configuration, if it is a `C` (`items::Config`, ...): to change it before
    /// the service starts (a test's database, say).
    pub fn config_mut<C: Any>(&mut self) -> Option<&mut C> {
        self.config.downcast_mut()
    }

    /// Starts building the service. Call it inside the service's actix system.
    pub(crate) fn build(self) -> Building {
        (self.build)(self.config)
    }
}

impl fmt::Debug for Boot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Boot").finish_non_exhaustive()
    }
}

/// Runs `f` with the log events of the module `target` (and its submodules)
/// dropped, on this thread; every other event goes where it always goes.
pub fn muted<T>(target: &'static str, f: impl FnOnce() -> T) -> T {
    use tracing::{dispatcher, level_filters::LevelFilter};
    let inner = dispatcher::get_default(dispatcher::Dispatch::clone);
    let muting = dispatcher::Dispatch::new(quiet::Muted {
        inner,
        target,
        max_level: LevelFilter::current(),
    });
    let out = dispatcher::with_default(&muting, f);
    drop(muting);
    // Callsites seen meanwhile go back to the subscriber's own filtering.
    tracing::callsite::rebuild_interest_cache();
    out
}

mod quiet {
    //! A subscriber that hands everything to another but one module's events.

    use tracing::{
        Event, Metadata, Subscriber,
        dispatcher::Dispatch,
        level_filters::LevelFilter,
        span::{Attributes, Id, Record},
        subscriber::Interest,
    };

    pub(super) struct Muted {
        pub(super) inner: Dispatch,
        pub(super) target: &'static str,
        pub(super) max_level: LevelFilter,
    }

    impl Muted {
        fn mutes(&self, metadata: &Metadata<'_>) -> bool {
            metadata
                .target()
                .strip_prefix(self.target)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        }
    }

    impl Subscriber for Muted {
        fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
            if self.mutes(metadata) {
                Interest::never()
            } else {
                self.inner.register_callsite(metadata)
            }
        }

        fn max_level_hint(&self) -> Option<LevelFilter> {
            Some(self.max_level)
        }

        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            !self.mutes(metadata) && self.inner.enabled(metadata)
        }

        fn new_span(&self, span: &Attributes<'_>) -> Id {
            self.inner.new_span(span)
        }

        fn record(&self, span: &Id, values: &Record<'_>) {
            self.inner.record(span, values);
        }

        fn record_follows_from(&self, span: &Id, follows: &Id) {
            self.inner.record_follows_from(span, follows);
        }

        fn event(&self, event: &Event<'_>) {
            if !self.mutes(event.metadata()) {
                self.inner.event(event);
            }
        }

        fn enter(&self, span: &Id) {
            self.inner.enter(span);
        }

        fn exit(&self, span: &Id) {
            self.inner.exit(span);
        }

        fn clone_span(&self, id: &Id) -> Id {
            self.inner.clone_span(id)
        }

        fn try_close(&self, id: Id) -> bool {
            self.inner.try_close(id)
        }
    }
}
