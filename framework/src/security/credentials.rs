//! Credentials as extractors: bearer tokens, HTTP Basic, API keys.

use std::{collections::BTreeMap, future::Ready, marker::PhantomData};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header::AUTHORIZATION};
use apistos::{
    ApiComponent, ApistosSchema, OpenApiVersion,
    reference_or::ReferenceOr,
    security::{ApiKeyIn, Http, OAuth2, OauthFlows, OauthToken, SecurityScheme, SecurityType},
};
use base64::Engine;

use super::{OAUTH2_SCHEME, TOKEN_URL, unauthorized};

const NOT_AUTHENTICATED: &str = "Not authenticated";

/// Implements the schema-less part of `ApiComponent` for a credential type.
macro_rules! no_schema {
    () => {
        fn parameters(_: OpenApiVersion, _: Option<String>) -> Vec<apistos::paths::Parameter> {
            crate::di::declare_statuses(&[401]);
            Vec::new()
        }
        fn child_schemas(_: OpenApiVersion) -> Vec<(String, ReferenceOr<ApistosSchema>)> {
            Vec::new()
        }
        fn schema(_: OpenApiVersion) -> Option<(String, ReferenceOr<ApistosSchema>)> {
            None
        }
    };
}

fn scheme(kind: SecurityType, description: &str) -> SecurityScheme {
    SecurityScheme {
        _type: kind,
        description: Some(description.to_owned()),
        extensions: Default::default(),
    }
}

/// The token of an `Authorization: Bearer <token>` header (FastAPI's
/// `OAuth2PasswordBearer`), documented as the OAuth2 password flow against
/// [`TOKEN_URL`](super::TOKEN_URL), so the docs' "Authorize" button logs in.
///
/// Missing or not a bearer: `401 {"detail": "Not authenticated"}` with
/// `WWW-Authenticate: Bearer`. To verify the token, use [`Authenticated`](super::Authenticated).
///
/// ```
/// use apiarist::{prelude::*, security::BearerToken};
///
/// /// Echo the token.
/// #[api_operation(summary = "Token")]
/// async fn token(bearer: BearerToken) -> Json<String> {
///     Json(bearer.token().to_owned())
/// }
/// # let _ = Router::new().get("/token", token);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    /// The raw token.
    pub fn token(&self) -> &str {
        &self.0
    }

    fn parse(req: &HttpRequest) -> Option<Self> {
        let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty())
            .then(|| BearerToken(token.to_owned()))
    }
}

impl FromRequest for BearerToken {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            Self::parse(req).ok_or_else(|| unauthorized(NOT_AUTHENTICATED, "Bearer").into()),
        )
    }
}

impl ApiComponent for BearerToken {
    no_schema!();

    fn securities() -> BTreeMap<String, SecurityScheme> {
        let flows = OauthFlows {
            password: Some(OauthToken {
                token_url: TOKEN_URL.to_owned(),
                refresh_url: None,
                scopes: BTreeMap::new(),
            }),
            ..Default::default()
        };
        BTreeMap::from([(
            OAUTH2_SCHEME.to_owned(),
            scheme(
                SecurityType::OAuth2(OAuth2 { flows }),
                "OAuth2 password flow: a bearer token from POST /token",
            ),
        )])
    }

    fn security_requirement_name() -> Option<String> {
        Some(OAUTH2_SCHEME.to_owned())
    }
}

/// `Authorization: Basic` credentials (FastAPI's `HTTPBasic`).
///
/// Missing or malformed: `401 {"detail": "Not authenticated"}` with
/// `WWW-Authenticate: Basic`. Checking them is up to you (compare passwords with
/// [`auth::verify_password`](crate::auth::verify_password)).
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    /// The user name.
    pub username: String,
    /// The password, as sent.
    pub password: String,
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl BasicCredentials {
    fn parse(req: &HttpRequest) -> Option<Self> {
        let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (username, password) = text.split_once(':')?;
        Some(Self {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }
}

impl FromRequest for BasicCredentials {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            Self::parse(req).ok_or_else(|| unauthorized(NOT_AUTHENTICATED, "Basic").into()),
        )
    }
}

impl ApiComponent for BasicCredentials {
    no_schema!();

    fn securities() -> BTreeMap<String, SecurityScheme> {
        let http = Http {
            scheme: "basic".to_owned(),
            bearer_format: None,
        };
        BTreeMap::from([(
            "HTTPBasic".to_owned(),
            scheme(SecurityType::Http(http), "HTTP Basic authentication"),
        )])
    }

    fn security_requirement_name() -> Option<String> {
        Some("HTTPBasic".to_owned())
    }
}

/// Where an API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// Names an API key: where it is sent and under which name.
///
/// ```
/// use apiarist::security::{ApiKeySource, KeyLocation};
///
/// struct ServiceKey;
/// impl ApiKeySource for ServiceKey {
///     const NAME: &'static str = "x-api-key";
///     const LOCATION: KeyLocation = KeyLocation::Header;
/// }
/// ```
pub trait ApiKeySource: 'static {
    /// The header, query parameter or cookie name.
    const NAME: &'static str;
    /// Where the key is sent.
    const LOCATION: KeyLocation;
    /// The name of the documented security scheme.
    fn scheme_name() -> String {
        let full = std::any::type_name::<Self>();
        full.rsplit("::").next().unwrap_or(full).to_owned()
    }
}

/// An API key read from where `S` says (FastAPI's `APIKeyHeader` / `APIKeyQuery` /
/// `APIKeyCookie`); missing is `401 {"detail": "Not authenticated"}`. Checking the
/// key is up to a dependency of yours.
pub struct ApiKey<S> {
    key: String,
    source: PhantomData<S>,
}

impl<S> ApiKey<S> {
    /// The key as sent.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl<S> Clone for ApiKey<S> {
    fn clone(&self) -> Self {
        Self {
            key: self.key.clone(),
            source: PhantomData,
        }
    }
}

impl<S> std::fmt::Debug for ApiKey<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey").finish_non_exhaustive()
    }
}

impl<S: ApiKeySource> FromRequest for ApiKey<S> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = match S::LOCATION {
            KeyLocation::Header => req
                .headers()
                .get(S::NAME)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            KeyLocation::Query => form_urlencoded::parse(req.query_string().as_bytes())
                .find(|(k, _)| k == S::NAME)
                .map(|(_, v)| v.into_owned()),
            KeyLocation::Cookie => req.cookie(S::NAME).map(|c| c.value().to_owned()),
        };
        std::future::ready(match key.filter(|k| !k.is_empty()) {
            Some(key) => Ok(ApiKey {
                key,
                source: PhantomData,
            }),
            None => Err(unauthorized(NOT_AUTHENTICATED, "APIKey").into()),
        })
    }
}

impl<S: ApiKeySource> ApiComponent for ApiKey<S> {
    no_schema!();

    fn securities() -> BTreeMap<String, SecurityScheme> {
        let key = apistos::security::ApiKey {
            name: S::NAME.to_owned(),
            _in: match S::LOCATION {
                KeyLocation::Header => ApiKeyIn::Header,
                KeyLocation::Query => ApiKeyIn::Query,
                KeyLocation::Cookie => ApiKeyIn::Cookie,
            },
        };
        BTreeMap::from([(
            S::scheme_name(),
            scheme(SecurityType::ApiKey(key), "API key"),
        )])
    }

    fn security_requirement_name() -> Option<String> {
        Some(S::scheme_name())
    }
}
