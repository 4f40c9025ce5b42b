//! `Query<T>`: validated query-string parameters.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion, paths::Parameter, reference_or::ReferenceOr,
};

use super::{Input, conform_params, object_from_pairs, parse_plain};
use crate::validation::LocItem;

/// The query string read into `T`: one field per parameter.
///
/// Values are coerced from text as FastAPI does (`?limit=5` into an integer,
/// `?in_stock=yes` into `true`), a `Vec` field collects repeated keys
/// (`?tag=a&tag=b`), an `Option` field is optional and `#[serde(default)]` gives a
/// default. Unknown parameters are ignored.
///
/// ```
/// use apiarist::prelude::*;
///
/// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct Page {
///     #[serde(default)]
///     #[validate(range(min = 0))]
///     skip: u32,
///     #[serde(default)]
///     tag: Vec<String>,
/// }
///
/// /// List things.
/// #[api_operation(summary = "List")]
/// async fn list(page: Query<Page>) -> Json<Vec<String>> {
///     Json(page.tag.clone())
/// }
/// # let _ = Router::new().get("/things", list);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query<T>(pub T);

super::newtype_access!(Query);

/// Decoded `(key, value)` pairs of a urlencoded string.
pub(crate) fn urlencoded_pairs(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl<T: Input> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.query_string();
        if let Some(value) = parse_plain(|| serde_urlencoded::from_str::<T>(raw)) {
            return ready(Ok(Query(value)));
        }
        let pairs = urlencoded_pairs(raw.as_bytes());
        let value = object_from_pairs::<T>(
            pairs.iter().map(|(k, v)| (k.as_str(), v.clone())),
            str::to_owned,
        );
        let loc = [LocItem::Key("query".to_owned())];
        ready(
            conform_params::<T>(value, &loc)
                .map(Query)
                .map_err(Into::into),
        )
    }
}

impl<T: ApiComponent> ApiComponent for Query<T> {
    fn required() -> bool {
        T::required()
    }
    fn child_schemas(v: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        <web::Query<T> as ApiComponent>::child_schemas(v)
    }
    fn raw_schema(v: OpenApiVersion) -> Option<ReferenceOr<ApistosSchema>> {
        <web::Query<T> as ApiComponent>::raw_schema(v)
    }
    fn schema(v: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        <web::Query<T> as ApiComponent>::schema(v)
    }
    fn parameters(v: OpenApiVersion, description: Option<String>) -> Vec<Parameter> {
        <web::Query<T> as ApiComponent>::parameters(v, description)
    }
}
