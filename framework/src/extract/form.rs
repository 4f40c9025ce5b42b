//! `Form<T>`: a validated `application/x-www-form-urlencoded` body.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use apistos::{ApiComponent, ApistosSchema, OpenApiVersion, reference_or::ReferenceOr};

use super::{Input, conform_params, object_from_pairs, query::urlencoded_pairs};
use crate::validation::LocItem;

/// An urlencoded form body read into `T` (FastAPI's `Form()` fields, e.g. the OAuth2
/// password form). Coercion and repeated keys work as for [`Query`](super::Query);
/// errors are located as `["body", field]`.
///
/// ```
/// use apiarist::prelude::*;
///
/// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct Login {
///     username: String,
///     password: String,
/// }
///
/// /// Log in.
/// #[api_operation(summary = "Log in")]
/// async fn login(form: Form<Login>) -> Json<String> {
///     Json(form.username.clone())
/// }
/// # let _ = Router::new().post("/token", login);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form<T>(pub T);

super::newtype_access!(Form);

impl<T: Input> FromRequest for Form<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await?;
            let pairs = urlencoded_pairs(&bytes);
            let value = object_from_pairs::<T>(
                pairs.iter().map(|(k, v)| (k.as_str(), v.clone())),
                str::to_owned,
            );
            let loc = [LocItem::Key("body".to_owned())];
            Ok(Form(conform_params::<T>(value, &loc)?))
        })
    }
}

impl<T: ApiComponent> ApiComponent for Form<T> {
    fn content_type() -> String {
        "application/x-www-form-urlencoded".to_owned()
    }
    fn child_schemas(v: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        <web::Form<T> as ApiComponent>::child_schemas(v)
    }
    fn raw_schema(v: OpenApiVersion) -> Option<ReferenceOr<ApistosSchema>> {
        <web::Form<T> as ApiComponent>::raw_schema(v)
    }
    fn schema(v: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        <web::Form<T> as ApiComponent>::schema(v)
    }
}
