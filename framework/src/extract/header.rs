//! `Header<T>`: validated request headers.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion,
    paths::{Parameter, ParameterIn},
    reference_or::ReferenceOr,
};

use super::{Input, conform_params, object_from_pairs};
use crate::{RequestValidationError, validation::LocItem};

/// Request headers read into `T`; a field `x_token` reads the header `x-token`
/// (case-insensitive), as in FastAPI. Errors are located as `["header", "x-token"]`.
///
/// ```
/// use apiarist::prelude::*;
///
/// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct Token {
///     #[validate(length(min = 8))]
///     x_token: String,
/// }
///
/// /// Needs a token.
/// #[api_operation(summary = "Secret")]
/// async fn secret(headers: Header<Token>) -> Json<usize> {
///     Json(headers.x_token.len())
/// }
/// # let _ = Router::new().get("/secret", secret);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<T>(pub T);

super::newtype_access!(Header);

/// `x_token` -> `x-token`.
fn header_name(field: &str) -> String {
    field.replace('_', "-")
}

impl<T: Input> FromRequest for Header<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = req
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?.to_owned())));
        let value =
            object_from_pairs::<T>(pairs, |name| name.to_ascii_lowercase().replace('-', "_"));
        let loc = [LocItem::Key("header".to_owned())];
        let result = conform_params::<T>(value, &loc).map_err(|err| {
            let mut errors = err.errors().to_vec();
            for e in &mut errors {
                if let Some(LocItem::Key(field)) = e.loc.get_mut(1) {
                    *field = header_name(field.as_str());
                }
            }
            RequestValidationError::new(errors)
        });
        ready(result.map(Header).map_err(Into::into))
    }
}

/// Documents each field of `T` as a parameter in `location`, named by `rename`.
pub(crate) fn parameters_in<T: ApiComponent>(
    v: OpenApiVersion,
    location: ParameterIn,
    rename: fn(&str) -> String,
) -> Vec<Parameter> {
    <web::Query<T> as ApiComponent>::parameters(v, None)
        .into_iter()
        .map(|mut p| {
            p._in = location.clone();
            p.name = rename(&p.name);
            p.style = None;
            p.explode = None;
            p
        })
        .collect()
}

impl<T: ApiComponent> ApiComponent for Header<T> {
    fn child_schemas(v: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        <web::Query<T> as ApiComponent>::child_schemas(v)
    }
    fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        None
    }
    fn parameters(v: OpenApiVersion, _description: Option<String>) -> Vec<Parameter> {
        parameters_in::<T>(v, ParameterIn::Header, header_name)
    }
}
