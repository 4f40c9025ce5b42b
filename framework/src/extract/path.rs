//! `Path<T>`: validated path parameters.

use std::future::{Ready, ready};

use actix_router::PathDeserializer;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion, paths::Parameter, reference_or::ReferenceOr,
};

use super::{Input, conform_params, object_from_pairs, parse_plain};
use crate::validation::LocItem;

/// The path parameters read into `T`, one field per `{name}` of the route's path.
///
/// ```
/// use apiarist::prelude::*;
///
/// #[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
/// struct ItemId {
///     /// The item's id.
///     #[validate(range(min = 1))]
///     item_id: u64,
/// }
///
/// /// Read one item.
/// #[api_operation(summary = "Read item")]
/// async fn get_item(id: Path<ItemId>) -> Json<u64> {
///     Json(id.item_id)
/// }
/// # let _ = Router::new().get("/items/{item_id}", get_item);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path<T>(pub T);

super::newtype_access!(Path);

impl<T: Input> FromRequest for Path<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let plain = || T::deserialize(PathDeserializer::new(req.match_info()));
        if let Some(value) = parse_plain(plain) {
            return ready(Ok(Path(value)));
        }
        let value = object_from_pairs::<T>(
            req.match_info().iter().map(|(k, v)| (k, v.to_owned())),
            str::to_owned,
        );
        let loc = [LocItem::Key("path".to_owned())];
        ready(
            conform_params::<T>(value, &loc)
                .map(Path)
                .map_err(Into::into),
        )
    }
}

impl<T: ApiComponent> ApiComponent for Path<T> {
    fn child_schemas(v: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
        <web::Path<T> as ApiComponent>::child_schemas(v)
    }
    fn raw_schema(v: OpenApiVersion) -> Option<ReferenceOr<ApistosSchema>> {
        <web::Path<T> as ApiComponent>::raw_schema(v)
    }
    fn schema(v: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
        <web::Path<T> as ApiComponent>::schema(v)
    }
    fn parameters(v: OpenApiVersion, description: Option<String>) -> Vec<Parameter> {
        <web::Path<T> as ApiComponent>::parameters(v, description)
    }
}
