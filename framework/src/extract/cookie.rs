//! `Cookie<T>`: validated cookies.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion,
    paths::{Parameter, ParameterIn},
    reference_or::ReferenceOr,
};

use super::{Input, conform_params, header::parameters_in, object_from_pairs};
use crate::validation::LocItem;

/// Cookies read into `T`, one field per cookie name. Errors are located as
/// `["cookie", name]`.
///
/// ```
/// use apiarist::prelude::*;
///
/// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct Session {
///     session_id: Option<String>,
/// }
///
/// /// Who am I?
/// #[api_operation(summary = "Session")]
/// async fn session(c: Cookie<Session>) -> Json<bool> {
///     Json(c.session_id.is_some())
/// }
/// # let _ = Router::new().get("/session", session);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie<T>(pub T);

super::newtype_access!(Cookie);

impl<T: Input> FromRequest for Cookie<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let cookies = req.cookies().map(|c| c.clone()).unwrap_or_default();
        let value = object_from_pairs::<T>(
            cookies.iter().map(|c| (c.name(), c.value().to_owned())),
            str::to_owned,
        );
        let loc = [LocItem::Key("cookie".to_owned())];
        ready(
            conform_params::<T>(value, &loc)
                .map(Cookie)
                .map_err(Into::into),
        )
    }
}

impl<T: ApiComponent> ApiComponent for Cookie<T> {
    fn child_schemas(v: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        <web::Query<T> as ApiComponent>::child_schemas(v)
    }
    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }
    fn parameters(v: OpenApiVersion, _description: Option<String>) -> Vec<Parameter> {
        parameters_in::<T>(v, ParameterIn::Cookie, str::to_owned)
    }
}
