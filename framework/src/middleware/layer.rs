//! [`Middleware`]: one layer, as apps and routers hold it, and the stacks that apply
//! a list of them.
//!
//! actix-web builds an app once per worker thread, and most middleware (actix-cors
//! among them) is not `Send`. So a [`Middleware`] is a recipe: a `Send + Sync`
//! function that wraps a (boxed) service in a fresh layer, called once per worker.
//! Stacking boxed services keeps the list dynamic (each app and router has its own)
//! at the price of one boxed future per layer and request.

use std::{fmt, future::Future, pin::Pin, rc::Rc, sync::Arc};

use actix_service::{Service, ServiceExt, Transform, boxed};
use actix_web::{
    Error,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
};
use futures_util::future::Either;

use crate::routing::RouteState;

/// The service a layer wraps: the rest of the stack, type-erased.
pub type BoxedService = boxed::BoxService<ServiceRequest, ServiceResponse<BoxBody>, Error>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;
type Wrap = dyn Fn(BoxedService) -> BoxFuture<Result<BoxedService, ()>> + Send + Sync;

/// Where a middleware added to an [`App`](crate::App) runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Around the whole app, before routing: it sees every request, unknown paths
    /// and the docs pages included.
    AroundApp,
    /// On each route, after routing: path parameters, router state and dependencies
    /// are available.
    PerRoute,
}

/// One middleware layer for [`App::middleware`](crate::App::middleware) or
/// [`Router::middleware`](crate::Router::middleware).
///
/// The framework's own ([`Cors`](super::Cors), [`Compression`](super::Compression),
/// [`TrustedHosts`](super::TrustedHosts), [`HttpsRedirect`](super::HttpsRedirect),
/// [`BodyLimit`](super::BodyLimit), [`Timeout`](super::Timeout),
/// [`RateLimit`](crate::ratelimit::RateLimit)) convert into it; write your own with
/// [`from_fn`](super::from_fn), or bring any actix-web middleware with
/// [`Middleware::actix`].
#[derive(Clone)]
pub struct Middleware {
    pub(crate) name: &'static str,
    pub(crate) placement: Placement,
    /// Answers CORS preflights itself: a router with it also takes `OPTIONS`.
    pub(crate) preflight: bool,
    /// Error statuses it can answer with, documented on the routes it covers.
    pub(crate) statuses: &'static [u16],
    /// A configuration mistake, reported by [`App::check`](crate::App::check).
    pub(crate) problem: Option<String>,
    /// Data it attaches to the routes it covers (e.g. a body limit's `PayloadConfig`).
    pub(crate) states: Vec<RouteState>,
    wrap: Arc<Wrap>,
}

impl fmt::Debug for Middleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Middleware")
            .field("name", &self.name)
            .field("placement", &self.placement)
            .finish_non_exhaustive()
    }
}

impl Middleware {
    /// Any actix-web middleware (a `Transform`), built by `make` once per worker. Added
    /// to an app it wraps the whole app, as `actix_web::App::wrap` would; added to a
    /// router it wraps each of the router's routes.
    ///
    /// ```
    /// use apiarist::{App, middleware::Middleware};
    ///
    /// let app = App::new("svc").middleware(Middleware::actix("normalize path", || {
    ///     actix_web::middleware::NormalizePath::trim()
    /// }));
    /// # let _ = app;
    /// ```
    pub fn actix<F, T, B>(name: &'static str, make: F) -> Self
    where
        F: Fn() -> T + Send + Sync + 'static,
        T: Transform<BoxedService, ServiceRequest, Response = ServiceResponse<B>, Error = Error>
            + 'static,
        T::Transform: 'static,
        T::Future: 'static,
        T::InitError: fmt::Debug,
        B: MessageBody + 'static,
    {
        let wrap = move |inner: BoxedService| -> BoxFuture<Result<BoxedService, ()>> {
            let transform = make();
            Box::pin(async move {
                let service = transform.new_transform(inner).await.map_err(|err| {
                    tracing::error!(middleware = name, ?err, "middleware failed to start");
                })?;
                Ok(boxed::service(
                    service.map(ServiceResponse::map_into_boxed_body),
                ))
            })
        };
        Self::with_wrap(name, Placement::AroundApp, Arc::new(wrap))
    }

    /// A layer written as a function of the request and the rest of the stack;
    /// `call` is shared by every worker.
    pub(crate) fn layer<C>(name: &'static str, placement: Placement, call: C) -> Self
    where
        C: Fn(ServiceRequest, Rc<BoxedService>) -> BoxFuture<Result<ServiceResponse, Error>>
            + Send
            + Sync
            + 'static,
    {
        let call = Arc::new(call);
        let wrap = move |inner: BoxedService| -> BoxFuture<Result<BoxedService, ()>> {
            let service: BoxedService = Box::new(Layered {
                inner: Rc::new(inner),
                call: call.clone(),
            });
            Box::pin(std::future::ready(Ok(service)))
        };
        Self::with_wrap(name, placement, Arc::new(wrap))
    }

    fn with_wrap(name: &'static str, placement: Placement, wrap: Arc<Wrap>) -> Self {
        Self {
            name,
            placement,
            preflight: false,
            statuses: &[],
            problem: None,
            states: Vec::new(),
            wrap,
        }
    }
}

/// The service of a [`Middleware::layer`].
struct Layered<C> {
    inner: Rc<BoxedService>,
    call: Arc<C>,
}

impl<C> Service<ServiceRequest> for Layered<C>
where
    C: Fn(ServiceRequest, Rc<BoxedService>) -> BoxFuture<Result<ServiceResponse, Error>>,
{
    type Response = ServiceResponse;
    type Error = Error;
    type Future = BoxFuture<Result<ServiceResponse, Error>>;

    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&self, req: ServiceRequest) -> Self::Future {
        (self.call)(req, self.inner.clone())
    }
}

/// Wraps `service` in `layers`, the first outermost.
async fn stack(layers: Rc<[Middleware]>, service: BoxedService) -> Result<BoxedService, ()> {
    let mut service = service;
    for layer in layers.iter().rev() {
        service = (layer.wrap)(service).await?;
    }
    Ok(service)
}

/// A route's (or the app's) list of layers as one actix `Transform`.
pub(crate) struct Stack(pub(crate) Rc<[Middleware]>);

impl Transform<BoxedService, ServiceRequest> for Stack {
    type Response = ServiceResponse;
    type Error = Error;
    type Transform = BoxedService;
    type InitError = ();
    type Future = BoxFuture<Result<BoxedService, ()>>;

    fn new_transform(&self, service: BoxedService) -> Self::Future {
        Box::pin(stack(self.0.clone(), service))
    }
}

/// The app-level stack around routing: when empty, the app's service itself,
/// without a box.
///
/// Everything inside an actix-web app answers with a [`BoxBody`], and so does this:
/// no body wrapper per layer, which every response would pay for twice (mapping it
/// in, and a level of indirection on each poll of the body).
pub(crate) struct AppStack(pub(crate) Rc<[Middleware]>);

/// [`AppStack`]'s service.
pub(crate) enum AppStackService<S> {
    Direct(S),
    Layered(BoxedService),
}

impl<S> Transform<S, ServiceRequest> for AppStack
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = Error> + 'static,
    S::Future: 'static,
{
    type Response = ServiceResponse;
    type Error = Error;
    type Transform = AppStackService<S>;
    type InitError = ();
    type Future = BoxFuture<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        if self.0.is_empty() {
            return Box::pin(std::future::ready(Ok(AppStackService::Direct(service))));
        }
        let boxed = boxed::service(service);
        let layers = self.0.clone();
        Box::pin(async move { Ok(AppStackService::Layered(stack(layers, boxed).await?)) })
    }
}

impl<S> Service<ServiceRequest> for AppStackService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = Error>,
{
    type Response = ServiceResponse;
    type Error = Error;
    type Future = Either<S::Future, BoxFuture<Result<ServiceResponse, Error>>>;

    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Error>> {
        match self {
            Self::Direct(service) => service.poll_ready(cx),
            Self::Layered(service) => service.poll_ready(cx),
        }
    }

    fn call(&self, req: ServiceRequest) -> Self::Future {
        match self {
            Self::Direct(service) => Either::Left(service.call(req)),
            Self::Layered(service) => Either::Right(service.call(req)),
        }
    }
}
