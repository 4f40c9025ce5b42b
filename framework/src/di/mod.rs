//! Dependency injection: FastAPI's `Depends`, as types.
//!
//! A dependency is a type that implements [`Provide`]: it names what it needs (a
//! tuple of extractors, other dependencies included) and how to build itself from
//! them. A handler asks for it with [`Dep<T>`]; routers and apps can require it for
//! every route with [`Router::depends`](crate::Router::depends) /
//! [`App::depends`](crate::App::depends).
//!
//! - **Once per request.** Resolved values are cached in the request (by type), and
//!   concurrent askers share the one resolution in flight, so a dependency used by
//!   three others runs once.
//! - **Errors are the contract.** A provider (or one of its needs, e.g. a missing
//!   header) fails with any `ResponseError`: the request is answered with it as if a
//!   parameter had failed (422, 401, ...), and exception handlers see the original error.
//! - **Documented.** The needs' parameters and security schemes, and the statuses a
//!   provider declares in [`Provide::ERRORS`], appear on every route that uses it,
//!   directly or through other dependencies or a router.
//! - **Checked at start-up.** App state a dependency reads through [`State<T>`] is
//!   checked when the app is built: a missing `.state(...)` stops start-up with a
//!   message naming the route and the type, not the first request.
//! - **Cleanup.** A provider that takes a [`RequestScope`] can run code when the
//!   handler is done ([`RequestScope::on_finish`], before the response leaves, told
//!   whether the request succeeded) or after the response was sent
//!   ([`RequestScope::defer`], after a streamed body ended): FastAPI's `yield`.
//! - **Overrides.** [`App::override_dependency`](crate::App::override_dependency)
//!   replaces a provider, e.g. with a fake in tests (`app.dependency_overrides`).

mod docs;
mod needs;
mod overrides;
mod scope;
mod state;

use std::{any::TypeId, collections::HashMap, future::Future, pin::Pin, rc::Rc};

use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, dev::Payload};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion, paths::Parameter, reference_or::ReferenceOr,
    security::SecurityScheme,
};
use tokio::sync::OnceCell;

pub(crate) use docs::{DependencyDocs, collect, declare_statuses};
pub use needs::Needs;
pub(crate) use overrides::Overrides;
pub(crate) use scope::{DeferredBody, finish_scope};
pub use scope::{Outcome, RequestScope};
pub use state::State;

/// A type that can be injected into handlers, built once per request from its needs.
///
/// ```
/// use apiarist::{Dep, HttpError, Provide, prelude::*};
///
/// /// The caller's API key, from the `x-api-key` header.
/// #[derive(Debug, Clone)]
/// struct ApiKey {
///     key: String,
/// }
///
/// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct KeyHeader {
///     x_api_key: String,
/// }
///
/// impl Provide for ApiKey {
///     type Needs = (Header<KeyHeader>,);
///     const ERRORS: &'static [u16] = &[401];
///
///     async fn provide((header,): Self::Needs) -> Result<Self, actix_web::Error> {
///         if header.x_api_key != "secret" {
///             return Err(HttpError::unauthorized("Invalid API key").into());
///         }
///         Ok(ApiKey { key: header.into_inner().x_api_key })
///     }
/// }
///
/// /// Who am I?
/// #[api_operation(summary = "Who am I")]
/// async fn whoami(key: Dep<ApiKey>) -> Json<String> {
///     Json(key.key.clone())
/// }
/// # let _ = Router::new().get("/whoami", whoami);
/// ```
pub trait Provide: Clone + Sized + 'static {
    /// What the provider needs: a tuple of extractors (`Dep<_>`, `State<_>`,
    /// `Header<_>`, `Query<_>`, ...), resolved first. `()` for nothing.
    type Needs: Needs;

    /// Error statuses the provider itself may answer with, for the documentation of
    /// every route that uses it (the needs document their own).
    const ERRORS: &'static [u16] = &[];

    /// Builds the value.
    fn provide(needs: Self::Needs) -> impl Future<Output = Result<Self, actix_web::Error>>;
}

/// A resolved dependency, as a handler parameter (FastAPI's `Depends()`).
///
/// Derefs to `T` (so `dep.field` reads `T`'s field). See [`Provide`].
#[derive(Debug, Clone)]
pub struct Dep<T>(T);

crate::extract::newtype_access!(Dep);

/// Resolves `T` for this request: from the request's cache, or by running its
/// provider (or its override) once.
pub(crate) async fn resolve<T: Provide>(req: &HttpRequest) -> Result<T, actix_web::Error> {
    let cell = cell_for::<T>(req);
    let outcome = cell
        .get_or_init(|| async {
            let produced = match overrides::find::<T>(req) {
                Some(replacement) => replacement(req.clone()).await,
                None => produce::<T>(req).await,
            };
            produced.map_err(|e| SharedError(Rc::new(e)))
        })
        .await;
    outcome.clone().map_err(actix_web::Error::from)
}

async fn produce<T: Provide>(req: &HttpRequest) -> Result<T, actix_web::Error> {
    let needs = T::Needs::resolve(req).await?;
    T::provide(needs).await
}

type Cell<T> = OnceCell<Result<T, SharedError>>;

/// The per-request cache: one cell per dependency type.
#[derive(Default)]
pub(crate) struct DepCache(HashMap<TypeId, Rc<dyn std::any::Any>, crate::type_map::TypeIdBuild>);

fn cell_for<T: Provide>(req: &HttpRequest) -> Rc<Cell<T>> {
    let mut extensions = req.extensions_mut();
    if extensions.get::<DepCache>().is_none() {
        extensions.insert(DepCache::default());
    }
    let cache = extensions.get_mut::<DepCache>().expect("inserted above");
    let cell = cache
        .0
        .entry(TypeId::of::<T>())
        .or_insert_with(|| Rc::new(Cell::<T>::new()))
        .clone();
    cell.downcast::<Cell<T>>()
        .unwrap_or_else(|_| unreachable!("the cache is keyed by type"))
}

/// A provider's failure, shared by everyone who asked for the dependency.
#[derive(Clone)]
pub(crate) struct SharedError(Rc<actix_web::Error>);

impl SharedError {
    /// The provider's own error, for exception handlers and re-rendering.
    pub(crate) fn original(err: &actix_web::Error) -> &actix_web::Error {
        match err.as_error::<SharedError>() {
            Some(shared) => &shared.0,
            None => err,
        }
    }
}

impl std::fmt::Debug for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl ResponseError for SharedError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.0.as_response_error().status_code()
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        self.0.error_response()
    }
}

impl<T: Provide> FromRequest for Dep<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resolve::<T>(&req).await.map(Dep) })
    }
}

impl<T: Provide> ApiComponent for Dep<T> {
    fn child_schemas(_: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        Vec::new()
    }

    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }

    fn securities() -> std::collections::BTreeMap<String, SecurityScheme> {
        T::Needs::securities()
    }

    fn security_requirement_name() -> Option<String> {
        T::Needs::security_requirement_name()
    }

    fn parameters(oas: OpenApiVersion, _: Option<String>) -> Vec<Parameter> {
        docs::visit::<T, _>(T::ERRORS, || T::Needs::parameters(oas))
    }
}

/// Makes a [`Provide`] type a handler parameter by itself, without `Dep<...>`
/// around it (FastAPI's `user: User = Depends(get_current_user)`): it is resolved,
/// cached and documented exactly as `Dep<T>` is.
///
/// ```
/// use apiarist::{Provide, injectable, prelude::*};
///
/// #[derive(Debug, Clone)]
/// struct RequestStart(std::time::Instant);
///
/// impl Provide for RequestStart {
///     type Needs = ();
///     async fn provide(_: ()) -> Result<Self, actix_web::Error> {
///         Ok(RequestStart(std::time::Instant::now()))
///     }
/// }
/// injectable!(RequestStart);
///
/// /// How long did this take?
/// #[api_operation(summary = "Elapsed")]
/// async fn elapsed(start: RequestStart) -> Json<u128> {
///     Json(start.0.elapsed().as_nanos())
/// }
/// # let _ = Router::new().get("/elapsed", elapsed);
/// ```
#[macro_export]
macro_rules! injectable {
    ($ty:ty) => {
        impl $crate::reexports::actix_web::FromRequest for $ty {
            type Error = $crate::reexports::actix_web::Error;
            type Future = ::std::pin::Pin<
                ::std::boxed::Box<dyn ::std::future::Future<Output = ::std::result::Result<Self, Self::Error>>>,
            >;

            fn from_request(
                req: &$crate::reexports::actix_web::HttpRequest,
                payload: &mut $crate::reexports::actix_web::dev::Payload,
            ) -> Self::Future {
                let dep = <$crate::Dep<$ty> as $crate::reexports::actix_web::FromRequest>::from_request(req, payload);
                ::std::boxed::Box::pin(async move { dep.await.map($crate::Dep::into_inner) })
            }
        }

        impl $crate::reexports::apistos::ApiComponent for $ty {
            fn child_schemas(
                v: $crate::reexports::apistos::OpenApiVersion,
            ) -> ::std::vec::Vec<(
                ::std::string::String,
                $crate::reexports::apistos::reference_or::ReferenceOr<$crate::reexports::apistos::ApistosSchema>,
            )> {
                <$crate::Dep<$ty> as $crate::reexports::apistos::ApiComponent>::child_schemas(v)
            }
            fn schema(
                v: $crate::reexports::apistos::OpenApiVersion,
            ) -> ::std::option::Option<(
                ::std::string::String,
                $crate::reexports::apistos::reference_or::ReferenceOr<$crate::reexports::apistos::ApistosSchema>,
            )> {
                <$crate::Dep<$ty> as $crate::reexports::apistos::ApiComponent>::schema(v)
            }
            fn securities() -> ::std::collections::BTreeMap<
                ::std::string::String,
                $crate::reexports::apistos::security::SecurityScheme,
            > {
                <$crate::Dep<$ty> as $crate::reexports::apistos::ApiComponent>::securities()
            }
            fn security_requirement_name() -> ::std::option::Option<::std::string::String> {
                <$crate::Dep<$ty> as $crate::reexports::apistos::ApiComponent>::security_requirement_name()
            }
            fn parameters(
                v: $crate::reexports::apistos::OpenApiVersion,
                d: ::std::option::Option<::std::string::String>,
            ) -> ::std::vec::Vec<$crate::reexports::apistos::paths::Parameter> {
                <$crate::Dep<$ty> as $crate::reexports::apistos::ApiComponent>::parameters(v, d)
            }
        }
    };
}

/// `T` if this request already resolved it (e.g. whether the handler holds a `Tx`),
/// without resolving it.
pub(crate) fn peek<T: Provide>(req: &HttpRequest) -> Option<T> {
    let extensions = req.extensions();
    let cell = extensions
        .get::<DepCache>()?
        .0
        .get(&TypeId::of::<T>())?
        .clone();
    drop(extensions);
    let cell = cell.downcast::<Cell<T>>().ok()?;
    cell.get()?.as_ref().ok().cloned()
}
