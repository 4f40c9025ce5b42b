//! `State<T>`: app state, checked at start-up.

use std::{future::Ready, ops::Deref};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion, paths::Parameter, reference_or::ReferenceOr,
};

use crate::HttpError;

/// Shared app state registered with [`App::state`](crate::App::state), as a handler
/// parameter or a dependency's need.
///
/// Unlike a bare `web::Data<T>`, a route that reads `State<T>` (itself or through any
/// dependency) is checked when the app is built: if no `T` was registered, start-up
/// fails with a message naming the route, the type and the dependency chain.
///
/// ```
/// use apiarist::{State, prelude::*};
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// #[derive(Debug, Default)]
/// struct Hits(AtomicU64);
///
/// /// Count a hit.
/// #[api_operation(summary = "Count")]
/// async fn hit(hits: State<Hits>) -> Json<u64> {
///     Json(hits.0.fetch_add(1, Ordering::Relaxed) + 1)
/// }
///
/// let app = App::new("counter").state(Hits::default()).include(Router::new().post("/hit", hit));
/// app.check().unwrap();
/// ```
#[derive(Debug)]
pub struct State<T: ?Sized>(web::Data<T>);

impl<T: ?Sized> Clone for State<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: ?Sized> State<T> {
    /// The shared handle.
    pub fn into_data(self) -> web::Data<T> {
        self.0
    }
}

impl<T: ?Sized> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + 'static> FromRequest for State<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match req.app_data::<web::Data<T>>() {
            Some(data) => Ok(State(data.clone())),
            None => {
                // Start-up checks make this unreachable for routes of an `App`.
                tracing::error!(state = std::any::type_name::<T>(), "app state is missing");
                Err(HttpError::new(500, "Internal Server Error").into())
            }
        })
    }
}

impl<T: ?Sized + 'static> ApiComponent for State<T> {
    fn child_schemas(_: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        Vec::new()
    }

    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }

    fn parameters(_: OpenApiVersion, _: Option<String>) -> Vec<Parameter> {
        super::docs::require_state::<T>();
        Vec::new()
    }
}
