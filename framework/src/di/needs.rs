//! [`Needs`]: the tuple of extractors a provider is built from.

use std::{collections::BTreeMap, future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use apistos::{ApiComponent, OpenApiVersion, paths::Parameter, security::SecurityScheme};

/// What a [`Provide`](super::Provide)r is built from: `()` or a tuple of up to eight
/// extractors, each `FromRequest + ApiComponent` (so it is resolved and documented the
/// same way as a handler parameter). Needs never read the body: a dependency that
/// must, is a handler parameter instead.
pub trait Needs: Sized + 'static {
    /// Extracts every need from the request, in order, stopping at the first error.
    fn resolve(req: &HttpRequest) -> Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    /// The OpenAPI parameters of all needs.
    fn parameters(oas: OpenApiVersion) -> Vec<Parameter>;

    /// The security schemes of all needs.
    fn securities() -> BTreeMap<String, SecurityScheme>;

    /// The first security requirement among the needs.
    fn security_requirement_name() -> Option<String>;
}

impl Needs for () {
    fn resolve(_: &HttpRequest) -> Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>> {
        Box::pin(std::future::ready(Ok(())))
    }
    fn parameters(_: OpenApiVersion) -> Vec<Parameter> {
        Vec::new()
    }
    fn securities() -> BTreeMap<String, SecurityScheme> {
        BTreeMap::new()
    }
    fn security_requirement_name() -> Option<String> {
        None
    }
}

macro_rules! tuple_needs {
    ($($name:ident),+) => {
        impl<$($name),+> Needs for ($($name,)+)
        where
            $($name: FromRequest + ApiComponent + 'static,)+
        {
            #[allow(non_snake_case)]
            fn resolve(
                req: &HttpRequest,
            ) -> Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>> {
                let req = req.clone();
                Box::pin(async move {
                    $(
                        let $name = $name::from_request(&req, &mut Payload::None)
                            .await
                            .map_err(Into::into)?;
                    )+
                    Ok(($($name,)+))
                })
            }

            fn parameters(oas: OpenApiVersion) -> Vec<Parameter> {
                let mut all = Vec::new();
                $( all.extend($name::parameters(oas, None)); )+
                all
            }

            fn securities() -> BTreeMap<String, SecurityScheme> {
                let mut all = BTreeMap::new();
                $( all.extend($name::securities()); )+
                all
            }

            fn security_requirement_name() -> Option<String> {
                None$(.or_else($name::security_requirement_name))+
            }
        }
    };
}

tuple_needs!(A);
tuple_needs!(A, B);
tuple_needs!(A, B, C);
tuple_needs!(A, B, C, D);
tuple_needs!(A, B, C, D, E);
tuple_needs!(A, B, C, D, E, F);
tuple_needs!(A, B, C, D, E, F, G);
tuple_needs!(A, B, C, D, E, F, G, H);
