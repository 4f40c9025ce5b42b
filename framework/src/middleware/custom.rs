//! Your own middleware: an async function of the request and the rest of the stack.

use std::{future::Future, rc::Rc};

use actix_web::{
    Error, HttpRequest,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
};

use super::layer::{BoxedService, Middleware, Placement};
use crate::di::Provide;

/// The rest of the stack (inner middleware, dependencies of the router, the
/// handler), for a [`from_fn`] middleware to call.
pub struct Next(Rc<BoxedService>);

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next").finish_non_exhaustive()
    }
}

impl Next {
    /// Passes the request on and resolves to the response.
    pub fn call(
        &self,
        req: ServiceRequest,
    ) -> impl Future<Output = Result<ServiceResponse, Error>> + 'static {
        self.0.call(req)
    }
}

/// A middleware from an async function: code before the handler, the call of
/// [`Next`], code after it (FastAPI's `@app.middleware("http")`).
///
/// It runs on each route it covers, after routing: [`dependency`] resolves any
/// [`Provide`] type there (path parameters, router state and app state are
/// available), cached for the request, so the handler gets the same value. An
/// `Err` it returns answers the request as a handler's error would. Added to an
/// [`App`](crate::App), it covers every route of the app (not unknown paths, nor
/// the docs pages; for that, wrap an actix middleware with
/// [`Middleware::actix`]).
///
/// ```
/// use actix_web::http::header::{HeaderName, HeaderValue};
/// use apiarist::{App, middleware::from_fn};
///
/// let app = App::new("svc").middleware(from_fn(|req, next| async move {
///     let started = std::time::Instant::now();
///     let mut res = next.call(req).await?;
///     let took = format!("{:.3}", started.elapsed().as_secs_f64() * 1000.0);
///     res.headers_mut().insert(
///         HeaderName::from_static("x-process-time-ms"),
///         HeaderValue::from_str(&took).unwrap(),
///     );
///     Ok(res)
/// }));
/// # let _ = app;
/// ```
pub fn from_fn<F, Fut, B>(f: F) -> Middleware
where
    F: Fn(ServiceRequest, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<ServiceResponse<B>, Error>> + 'static,
    B: MessageBody + 'static,
{
    Middleware::layer("custom", Placement::PerRoute, move |req, inner| {
        // After routing nothing adds to the request's app data any more, so holding
        // a second handle to it is safe; it turns an `Err` into this request's answer.
        let request = req.request().clone();
        let called = f(req, Next(inner));
        Box::pin(async move {
            match called.await {
                Ok(res) => Ok(res.map_into_boxed_body()),
                Err(err) => Ok(ServiceResponse::from_err(err, request)),
            }
        })
    })
}

/// Resolves dependency `T` for this request, as a handler's `Dep<T>` would: built
/// once per request and shared (the handler gets the same value), overrides
/// applied, its error the request's answer if you return it.
///
/// ```
/// use apiarist::{App, HttpError, Provide, Header, middleware::{dependency, from_fn}, prelude::*};
///
/// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct TenantHeader { x_tenant: String }
///
/// #[derive(Debug, Clone)]
/// struct Tenant(String);
///
/// impl Provide for Tenant {
///     type Needs = (Header<TenantHeader>,);
///     async fn provide((h,): Self::Needs) -> Result<Self, actix_web::Error> {
///         Ok(Tenant(h.into_inner().x_tenant))
///     }
/// }
///
/// let app = App::new("svc").middleware(from_fn(|req, next| async move {
///     let tenant = dependency::<Tenant>(req.request()).await?;
///     if tenant.0 == "blocked" {
///         return Err(HttpError::forbidden("Tenant blocked").into());
///     }
///     next.call(req).await
/// }));
/// # let _ = app;
/// ```
pub async fn dependency<T: Provide>(req: &HttpRequest) -> Result<T, Error> {
    crate::di::resolve::<T>(req).await
}
