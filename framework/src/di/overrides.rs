//! Replacing a dependency's provider for an app (FastAPI's `dependency_overrides`).

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::Arc,
};

use actix_web::HttpRequest;

use super::Provide;

type AnyFuture = Pin<Box<dyn Future<Output = Result<Box<dyn Any>, actix_web::Error>>>>;

/// A replacement provider, type-erased.
type OverrideFn = Arc<dyn Fn(HttpRequest) -> AnyFuture + Send + Sync>;

/// The app's overrides, shared with every worker as app data.
#[derive(Clone, Default)]
pub(crate) struct Overrides(pub(crate) HashMap<TypeId, OverrideFn>);

impl Overrides {
    pub(crate) fn insert<T, F, Fut>(&mut self, replacement: F)
    where
        T: Provide,
        F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, actix_web::Error>> + 'static,
    {
        let erased: OverrideFn = Arc::new(move |req| {
            let fut = replacement(req);
            Box::pin(async move { fut.await.map(|v| Box::new(v) as Box<dyn Any>) })
        });
        self.0.insert(TypeId::of::<T>(), erased);
    }
}

type Produced<T> = Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>>;

/// The override of `T` in this request's app, if any.
pub(crate) fn find<T: Provide>(
    req: &HttpRequest,
) -> Option<impl FnOnce(HttpRequest) -> Produced<T>> {
    let overrides = req.app_data::<Overrides>()?;
    let replacement = overrides.0.get(&TypeId::of::<T>())?.clone();
    Some(move |req: HttpRequest| {
        let fut = replacement(req);
        Box::pin(async move {
            let value = fut.await?;
            Ok(*value
                .downcast::<T>()
                .unwrap_or_else(|_| unreachable!("overrides are keyed by type")))
        }) as Produced<T>
    })
}
