//! Service identity: how one service proves to another that it is a service of the
//! same stack, with no call to anyone.
//!
//! Every service of a stack holds the same key material (`JWT_*`, see
//! [`AuthSettings`](crate::auth::AuthSettings)). A calling service signs itself a
//! short-lived token whose `roles` claim holds [`ServiceRole`] ([`ServiceToken`]); the
//! called service verifies it locally like any bearer token and protects its internal
//! routes with [`RequireRole<ServiceRole>`](crate::security::RequireRole). User tokens
//! never carry the role (only code that holds the signing key can issue it), so an
//! end client cannot reach those routes even with a valid login.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use crate::{
    auth::{Auth, AuthError, IssueToken, unix_now},
    security::Role,
};

/// The `service` role that service tokens carry: put
/// `RequireRole<ServiceRole>` on the routes only other services may call.
///
/// ```
/// use apiarist::{client::ServiceRole, prelude::*, security::RequireRole};
///
/// # /// Reserve.
/// # #[api_operation(summary = "Reserve")]
/// # async fn reserve() -> Json<()> { Json(()) }
/// let internal = Router::with_prefix("/internal")
///     .depends::<RequireRole<ServiceRole>>()
///     .post("/reserve", reserve);
/// # let _ = internal;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ServiceRole;

impl Role for ServiceRole {
    const NAME: &'static str = "service";
}

/// How long a service token lives: short, since it is re-signed for free.
const LIFETIME: Duration = Duration::from_secs(300);

/// A service's own token, signed with the stack's shared key through its [`Auth`]
/// and re-signed when half of its life is over.
///
/// Its subject is `service:<name>` and its only role [`ServiceRole`]. Give it to a
/// [`ServiceClient`](super::ServiceClient) with
/// [`with_service_token`](super::ServiceClient::with_service_token).
///
/// ```
/// use apiarist::{auth::{Auth, KeyRing, LoginThrottle, SigningKey, ThrottleConfig, TokenConfig}, client::ServiceToken};
///
/// # actix_rt::System::new().block_on(async {
/// let ring = KeyRing::new(SigningKey::hs256(&[7; 32]).unwrap(), TokenConfig::default());
/// let auth = Auth::start(ring, LoginThrottle::new(ThrottleConfig::default()));
/// let token = ServiceToken::new("orders", auth.clone());
///
/// let claims = auth.verify(&token.token().await.unwrap()).unwrap();
/// assert_eq!(claims.sub, "service:orders");
/// assert!(claims.has_role("service"));
/// # });
/// ```
#[derive(Clone)]
pub struct ServiceToken {
    subject: Arc<str>,
    auth: Auth,
    cached: Arc<Mutex<Option<Cached>>>,
}

#[derive(Clone)]
struct Cached {
    token: String,
    /// Unix second after which a fresh token is signed.
    renew_at: u64,
}

impl std::fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceToken")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl ServiceToken {
    /// The token of service `name`, signed by `auth`'s current key.
    pub fn new(name: &str, auth: Auth) -> Self {
        Self {
            subject: format!("service:{name}").into(),
            auth,
            cached: Arc::default(),
        }
    }

    /// The token's subject, `service:<name>`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// A valid token: the cached one, or a freshly signed one. Fails when the key
    /// cannot sign (a verify-only public key) or the auth actor is gone.
    pub async fn token(&self) -> Result<String, AuthError> {
        let now = unix_now();
        if let Some(cached) = self.lock().as_ref().filter(|c| now < c.renew_at) {
            return Ok(cached.token.clone());
        }
        let request = IssueToken {
            ttl: Some(LIFETIME),
            roles: vec![ServiceRole::NAME.to_owned()],
            ..IssueToken::new(self.subject.to_string(), Vec::<String>::new())
        };
        // A key ring whose longest lifetime is shorter signs with the default one.
        let token = match self.auth.issue_with(request.clone()).await {
            Ok(token) => token,
            Err(_) => {
                self.auth
                    .issue_with(IssueToken {
                        ttl: None,
                        ..request
                    })
                    .await?
            }
        };
        let renew_at = match self.auth.verify(&token) {
            Ok(claims) => claims.iat + claims.exp.saturating_sub(claims.iat) / 2,
            Err(_) => now,
        };
        *self.lock() = Some(Cached {
            token: token.clone(),
            renew_at,
        });
        Ok(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
