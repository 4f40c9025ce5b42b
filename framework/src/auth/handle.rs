//! [`Auth`]: the cheap-to-clone handle the HTTP layer keeps in its app state.

use std::sync::{Arc, RwLock};

use actix::{Addr, Supervisor};

use super::{
    actor::{
        self, AuthActor, CheckLogin, IssueToken, RecordLoginFailure, RecordLoginSuccess, RotateKey,
    },
    claims::Claims,
    error::{AuthError, TokenError},
    keyring::KeyRing,
    keys::SigningKey,
    settings::AuthSettings,
    throttle::LoginThrottle,
};

/// Handle to the running auth service: clone it freely (two `Arc`s).
///
/// Writes (issuing, rotating, throttle bookkeeping) go through the supervised
/// [`AuthActor`]. Verification, the hot path of every authenticated request, reads
/// the shared key ring directly: a mailbox round trip would add a hop and funnel
/// every worker's RS256/EdDSA verification through the actor's single thread,
/// while an uncontended `RwLock` read costs nanoseconds and is only ever blocked
/// for the instant a rotation swaps keys.
///
/// ```
/// use apiarist::auth::{Auth, KeyRing, LoginThrottle, SigningKey, ThrottleConfig, TokenConfig};
///
/// # actix_rt::System::new().block_on(async {
/// let ring = KeyRing::new(SigningKey::hs256(&[7; 32]).unwrap(), TokenConfig::default());
/// let auth = Auth::start(ring, LoginThrottle::new(ThrottleConfig::default()));
///
/// auth.check_login("alice", "10.0.0.1").await.unwrap();
/// // ... the password checked out:
/// auth.record_login_success("alice", "10.0.0.1").await.unwrap();
/// let token = auth.issue("alice", ["items:read"]).await.unwrap();
/// assert_eq!(auth.verify(&token).unwrap().sub, "alice");
/// # });
/// ```
#[derive(Clone)]
pub struct Auth {
    addr: Addr<AuthActor>,
    keys: Arc<RwLock<KeyRing>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("current_kid", &self.current_kid())
            .field("connected", &self.addr.connected())
            .finish()
    }
}

impl Auth {
    /// Starts the supervised [`AuthActor`] on the current actix arbiter and returns
    /// its handle. Call it once, inside the actix system (e.g. in
    /// `#[actix_web::main]` before building the `HttpServer`), and clone the handle
    /// into the workers.
    pub fn start(ring: KeyRing, throttle: LoginThrottle) -> Self {
        let keys = Arc::new(RwLock::new(ring));
        let shared = Arc::clone(&keys);
        let addr = Supervisor::start(move |_| AuthActor::new(shared, throttle));
        Auth { addr, keys }
    }

    /// [`start`](Self::start) with the key ring and throttle `settings` describe.
    ///
    /// ```no_run
    /// # actix_rt::System::new().block_on(async {
    /// let settings = apiarist::auth::AuthSettings::from_env().expect("auth settings");
    /// let auth = apiarist::auth::Auth::from_settings(&settings);
    /// # let _ = auth;
    /// # });
    /// ```
    pub fn from_settings(settings: &AuthSettings) -> Self {
        Self::start(settings.key_ring(), settings.login_throttle())
    }

    /// The actor's address, for sending its messages directly.
    pub fn addr(&self) -> &Addr<AuthActor> {
        &self.addr
    }

    /// The `kid` new tokens are signed with.
    pub fn current_kid(&self) -> String {
        actor::read(&self.keys).current_kid().to_owned()
    }

    /// Verifies a bearer token against the live keys, without the mailbox.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        actor::read(&self.keys).verify(token)
    }

    /// Issues a token for `sub` with `scopes` and the default lifetime.
    pub async fn issue<S: Into<String>>(
        &self,
        sub: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Result<String, AuthError> {
        self.issue_with(IssueToken::new(sub, scopes)).await
    }

    /// Issues a token as `request` describes (lifetime, roles).
    pub async fn issue_with(&self, request: IssueToken) -> Result<String, AuthError> {
        Ok(self.addr.send(request).await??)
    }

    /// Rotates to `key`; tokens signed by the previous key keep verifying.
    pub async fn rotate_key(&self, key: SigningKey) -> Result<(), AuthError> {
        Ok(self.addr.send(RotateKey { key }).await??)
    }

    /// `Err(AuthError::Throttled)` while `account` is locked out for `ip`.
    pub async fn check_login(&self, account: &str, ip: &str) -> Result<(), AuthError> {
        let msg = CheckLogin {
            account: account.to_owned(),
            ip: ip.to_owned(),
        };
        Ok(self.addr.send(msg).await??)
    }

    /// Records a failed login; `Err(AuthError::Throttled)` if that locked the pair out.
    pub async fn record_login_failure(&self, account: &str, ip: &str) -> Result<(), AuthError> {
        let msg = RecordLoginFailure {
            account: account.to_owned(),
            ip: ip.to_owned(),
        };
        Ok(self.addr.send(msg).await??)
    }

    /// Records a successful login, clearing the pair's failures.
    pub async fn record_login_success(&self, account: &str, ip: &str) -> Result<(), AuthError> {
        let msg = RecordLoginSuccess {
            account: account.to_owned(),
            ip: ip.to_owned(),
        };
        Ok(self.addr.send(msg).await?)
    }
}
