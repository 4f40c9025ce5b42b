//! Identity as dependencies: a verified token, and what it must grant.

use std::{marker::PhantomData, ops::Deref};

use crate::{
    HttpError, State,
    auth::{Auth, Claims},
    di::{Dep, Provide},
};

use super::{BearerToken, unauthorized};

/// The verified claims of the request's bearer token.
///
/// Needs the app state [`Auth`] (checked at start-up). A token that is expired,
/// tampered with, signed with `alg: none` or by an unknown key is
/// `401 {"detail": "Token has expired" | "Invalid token"}` with
/// `WWW-Authenticate: Bearer`.
///
/// ```
/// use apiarist::{Dep, prelude::*, security::Authenticated};
///
/// /// Who am I?
/// #[api_operation(summary = "Who am I")]
/// async fn me(user: Dep<Authenticated>) -> Json<String> {
///     Json(user.sub.clone())
/// }
/// # let _ = Router::new().get("/me", me);
/// ```
#[derive(Debug, Clone)]
pub struct Authenticated(pub Claims);

impl Deref for Authenticated {
    type Target = Claims;
    fn deref(&self) -> &Claims {
        &self.0
    }
}

impl Provide for Authenticated {
    type Needs = (BearerToken, State<Auth>);
    const ERRORS: &'static [u16] = &[401];

    async fn provide((bearer, auth): Self::Needs) -> Result<Self, actix_web::Error> {
        auth.verify(bearer.token())
            .map(Authenticated)
            .map_err(|e| unauthorized(&e.to_string(), "Bearer error=\"invalid_token\"").into())
    }
}

/// A set of OAuth2 scopes a route requires (see [`RequireScopes`]).
pub trait Scopes: 'static {
    /// Every scope the token must carry.
    const SCOPES: &'static [&'static str];
}

/// Requires the token to carry every scope of `S`; otherwise `403 {"detail": "Not
/// enough permissions"}` (401 without a valid token).
///
/// ```
/// use apiarist::{prelude::*, security::{RequireScopes, Scopes}};
///
/// struct ItemsWrite;
/// impl Scopes for ItemsWrite {
///     const SCOPES: &'static [&'static str] = &["items:write"];
/// }
///
/// # /// Create.
/// # #[api_operation(summary = "Create")]
/// # async fn create() -> Json<()> { Json(()) }
/// let writers = Router::with_prefix("/items").depends::<RequireScopes<ItemsWrite>>().post("/", create);
/// # let _ = writers;
/// ```
pub struct RequireScopes<S>(pub Claims, PhantomData<S>);

impl<S> Clone for RequireScopes<S> {
    fn clone(&self) -> Self {
        Self(self.0.clone(), PhantomData)
    }
}

impl<S> std::fmt::Debug for RequireScopes<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RequireScopes").field(&self.0).finish()
    }
}

impl<S: Scopes> Provide for RequireScopes<S> {
    type Needs = (Dep<Authenticated>,);
    const ERRORS: &'static [u16] = &[401, 403];

    async fn provide((user,): Self::Needs) -> Result<Self, actix_web::Error> {
        if user.has_scopes(S::SCOPES) {
            return Ok(Self(user.into_inner().0, PhantomData));
        }
        let challenge = format!("Bearer scope=\"{}\"", S::SCOPES.join(" "));
        Err(HttpError::forbidden("Not enough permissions")
            .with_header("www-authenticate", &challenge)
            .into())
    }
}

/// A role a route requires (see [`RequireRole`]).
pub trait Role: 'static {
    /// The role's name in the token's `roles` claim.
    const NAME: &'static str;
}

/// Requires the token to carry role `R`; otherwise `403 {"detail": "Not enough
/// permissions"}` (401 without a valid token).
///
/// ```
/// use apiarist::{prelude::*, security::{RequireRole, Role}};
///
/// struct Admin;
/// impl Role for Admin {
///     const NAME: &'static str = "admin";
/// }
///
/// # /// Stats.
/// # #[api_operation(summary = "Stats")]
/// # async fn stats() -> Json<()> { Json(()) }
/// let admin = Router::with_prefix("/admin").depends::<RequireRole<Admin>>().get("/stats", stats);
/// # let _ = admin;
/// ```
pub struct RequireRole<R>(pub Claims, PhantomData<R>);

impl<R> Clone for RequireRole<R> {
    fn clone(&self) -> Self {
        Self(self.0.clone(), PhantomData)
    }
}

impl<R> std::fmt::Debug for RequireRole<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RequireRole").field(&self.0).finish()
    }
}

impl<R: Role> Provide for RequireRole<R> {
    type Needs = (Dep<Authenticated>,);
    const ERRORS: &'static [u16] = &[401, 403];

    async fn provide((user,): Self::Needs) -> Result<Self, actix_web::Error> {
        if user.has_role(R::NAME) {
            return Ok(Self(user.into_inner().0, PhantomData));
        }
        Err(HttpError::forbidden("Not enough permissions").into())
    }
}

/// The `admin` role, as the framework's own admin routes (job operations) require it.
#[derive(Debug, Clone, Copy)]
pub struct AdminRole;

impl Role for AdminRole {
    const NAME: &'static str = "admin";
}
