//! [`AuthActor`]: the single writer of the key ring and the owner of the login
//! throttle, run under an actix [`Supervisor`](actix::Supervisor).
//!
//! A panic inside a handler is caught: the sender gets
//! [`MailboxError::Closed`](actix::MailboxError) (mapped to
//! [`AuthError::Unavailable`](super::AuthError::Unavailable)) and the actor stops,
//! so the supervisor restarts it. The supervisor keeps the same actor value, so
//! nothing is lost: the key ring sits in an `Arc<RwLock<_>>` shared with every
//! [`Auth`](super::Auth) handle (tokens issued before the panic still verify), and
//! the throttle keeps its counts (crashing the actor must not reset lockouts).
//! [`Supervised::restarting`] only repairs what a panic can leave behind.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, PoisonError, RwLock},
    time::{Duration, Instant},
};

use actix::{
    Actor, AsyncContext, Context, Handler, Message, Supervised,
    dev::{MessageResponse, OneshotSender},
};

use super::{
    claims::Claims,
    error::{IssueError, KeyError, RetryAfter, TokenError},
    keyring::{KeyRing, unix_now},
    keys::SigningKey,
    throttle::LoginThrottle,
};

/// How often idle throttle entries and expired keys are dropped.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Issue a token for `sub` signed by the current key.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<String, IssueError>")]
pub struct IssueToken {
    /// Subject.
    pub sub: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Lifetime; `None` for the configured default.
    pub ttl: Option<Duration>,
    /// Roles to include.
    pub roles: Vec<String>,
}

impl IssueToken {
    /// A request for `sub` with `scopes`, default lifetime, no roles.
    ///
    /// ```
    /// let msg = apiarist::auth::IssueToken::new("alice", ["items:read"]);
    /// assert!(msg.ttl.is_none());
    /// ```
    pub fn new<S: Into<String>>(
        sub: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        IssueToken {
            sub: sub.into(),
            scopes: scopes.into_iter().map(Into::into).collect(),
            ttl: None,
            roles: Vec::new(),
        }
    }
}

/// Verify a token through the actor. [`Auth::verify`](super::Auth::verify) does
/// the same without the mailbox round trip; this exists for callers holding only
/// the `Addr`.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Claims, TokenError>")]
pub struct VerifyToken {
    /// The bearer token.
    pub token: String,
}

/// Make `key` the signing key; the previous one keeps verifying for the maximum
/// token lifetime.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<(), KeyError>")]
pub struct RotateKey {
    /// The new key.
    pub key: SigningKey,
}

/// May `account` try to log in from `ip`?
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<(), RetryAfter>")]
pub struct CheckLogin {
    /// The account (normalised by the caller).
    pub account: String,
    /// The client address.
    pub ip: String,
}

/// A login failed; `Err` if the pair is now locked out.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<(), RetryAfter>")]
pub struct RecordLoginFailure {
    /// The account (normalised by the caller).
    pub account: String,
    /// The client address.
    pub ip: String,
}

/// A login succeeded: clear the pair's failures.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct RecordLoginSuccess {
    /// The account (normalised by the caller).
    pub account: String,
    /// The client address.
    pub ip: String,
}

/// Test-only: panics inside the actor, to exercise the supervisor.
#[cfg(test)]
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct Crash;

/// Owns the [`KeyRing`] (shared read-only with the handles) and the
/// [`LoginThrottle`]. Start it through [`Auth::start`](super::Auth::start).
#[derive(Debug)]
pub struct AuthActor {
    keys: Arc<RwLock<KeyRing>>,
    throttle: LoginThrottle,
    restarts: u32,
}

impl AuthActor {
    pub(crate) fn new(keys: Arc<RwLock<KeyRing>>, throttle: LoginThrottle) -> Self {
        AuthActor {
            keys,
            throttle,
            restarts: 0,
        }
    }

    /// Runs a handler body; a panic stops the actor (the supervisor restarts it)
    /// and drops the reply, so the sender sees the mailbox closed.
    fn guarded<T>(
        &mut self,
        ctx: &mut Context<Self>,
        body: impl FnOnce(&mut Self) -> T,
    ) -> Guarded<T> {
        match catch_unwind(AssertUnwindSafe(|| body(self))) {
            Ok(value) => Guarded(Some(value)),
            Err(_) => {
                tracing::error!("auth actor panicked while handling a message; restarting it");
                actix::ActorContext::stop(ctx);
                Guarded(None)
            }
        }
    }

    fn prune(&mut self) {
        self.throttle.prune(Instant::now());
        write(&self.keys).prune_at(unix_now());
    }
}

impl Actor for AuthActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(PRUNE_EVERY, |actor, _| actor.prune());
    }
}

impl Supervised for AuthActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.restarts += 1;
        // A panic while rotating poisons the lock; the ring itself is always left
        // whole (rotation swaps keys in one step), so clear the flag and go on.
        self.keys.clear_poison();
        self.prune();
        tracing::warn!(restarts = self.restarts, "auth actor restarted");
    }
}

/// An [`AuthActor`] handler's reply, or nothing when the handler panicked (the
/// sender then sees the mailbox closed). Only the actor builds these.
#[derive(Debug)]
pub struct Guarded<T>(Option<T>);

impl<M, T> MessageResponse<AuthActor, M> for Guarded<T>
where
    M: Message<Result = T>,
    T: 'static,
{
    fn handle(self, _: &mut Context<AuthActor>, tx: Option<OneshotSender<T>>) {
        if let (Some(value), Some(tx)) = (self.0, tx) {
            // The sender may have given up waiting; nothing to do then.
            let _ = tx.send(value);
        }
    }
}

pub(crate) fn read(keys: &RwLock<KeyRing>) -> std::sync::RwLockReadGuard<'_, KeyRing> {
    keys.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(keys: &RwLock<KeyRing>) -> std::sync::RwLockWriteGuard<'_, KeyRing> {
    keys.write().unwrap_or_else(PoisonError::into_inner)
}

impl Handler<IssueToken> for AuthActor {
    type Result = Guarded<Result<String, IssueError>>;

    fn handle(&mut self, msg: IssueToken, ctx: &mut Context<Self>) -> Self::Result {
        self.guarded(ctx, |this| {
            let ring = read(&this.keys);
            let ttl = msg.ttl.unwrap_or(ring.config().default_ttl);
            let claims = Claims::new(msg.sub, msg.scopes, unix_now(), ttl).with_roles(msg.roles);
            ring.sign(&claims)
        })
    }
}

impl Handler<VerifyToken> for AuthActor {
    type Result = Guarded<Result<Claims, TokenError>>;

    fn handle(&mut self, msg: VerifyToken, ctx: &mut Context<Self>) -> Self::Result {
        self.guarded(ctx, |this| read(&this.keys).verify(&msg.token))
    }
}

impl Handler<RotateKey> for AuthActor {
    type Result = Guarded<Result<(), KeyError>>;

    fn handle(&mut self, msg: RotateKey, ctx: &mut Context<Self>) -> Self::Result {
        self.guarded(ctx, |this| {
            let kid = msg.key.kid().to_owned();
            let result = write(&this.keys).rotate(msg.key);
            if result.is_ok() {
                tracing::info!(kid, "signing key rotated");
            }
            result
        })
    }
}

impl Handler<CheckLogin> for AuthActor {
    type Result = Guarded<Result<(), RetryAfter>>;

    fn handle(&mut self, msg: CheckLogin, ctx: &mut Context<Self>) -> Self::Result {
        self.guarded(ctx, |this| {
            this.throttle.check(&msg.account, &msg.ip, Instant::now())
        })
    }
}

impl Handler<RecordLoginFailure> for AuthActor {
    type Result = Guarded<Result<(), RetryAfter>>;

    fn handle(&mut self, msg: RecordLoginFailure, ctx: &mut Context<Self>) -> Self::Result {
        self.guarded(ctx, |this| {
            let result = this
                .throttle
                .record_failure(&msg.account, &msg.ip, Instant::now());
            if let Err(retry) = result {
                tracing::warn!(
                    account = msg.account,
                    ip = msg.ip,
                    retry_after = retry.seconds(),
                    "login locked out"
                );
            }
            result
        })
    }
}

impl Handler<RecordLoginSuccess> for AuthActor {
    type Result = Guarded<()>;

    fn handle(&mut self, msg: RecordLoginSuccess, ctx: &mut Context<Self>) -> Self::Result {
        self.guarded(ctx, |this| {
            this.throttle.record_success(&msg.account, &msg.ip)
        })
    }
}

#[cfg(test)]
impl Handler<Crash> for AuthActor {
    type Result = Guarded<()>;

    fn handle(&mut self, _: Crash, ctx: &mut Context<Self>) -> Self::Result {
        self.guarded(ctx, |_| panic!("test-induced panic in the auth actor"))
    }
}

#[cfg(test)]
#[path = "actor_tests.rs"]
mod tests;
