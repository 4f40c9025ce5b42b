//! [`TestClient`]: requests straight into the app's service, no socket.

use std::rc::Rc;

use actix_http::Request;
use actix_service::{Service, ServiceExt, boxed::BoxService};
use actix_web::{
    body::BoxBody,
    dev::ServiceResponse,
    http::{Method, header::HeaderMap},
    test::TestRequest,
    web::Bytes,
};
use serde::{Serialize, de::DeserializeOwned};

use super::MultipartBody;
use crate::App;

type AppService = BoxService<Request, ServiceResponse<BoxBody>, actix_web::Error>;

/// Sends requests to an [`App`] in-process.
#[derive(Clone)]
pub struct TestClient {
    service: Rc<AppService>,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClient").finish_non_exhaustive()
    }
}

impl TestClient {
    /// Builds the app as a worker would (after its start-up hooks, which must
    /// succeed) and returns a client for it.
    pub async fn new(app: App) -> Self {
        if let Err(failed) = app.startup().await {
            panic!("{failed}");
        }
        let service = actix_web::test::init_service(app.into_actix()).await;
        let service = service.map(|res: ServiceResponse<_>| res.map_into_boxed_body());
        Self {
            service: Rc::new(actix_service::boxed::service(service)),
        }
    }

    /// Starts a request with any method.
    pub fn request(&self, method: Method, uri: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            client: self,
            inner: TestRequest::default().method(method).uri(uri),
        }
    }

    /// Starts a `GET`.
    pub fn get(&self, uri: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, uri)
    }

    /// Starts a `POST`.
    pub fn post(&self, uri: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, uri)
    }

    /// Starts a `PUT`.
    pub fn put(&self, uri: &str) -> RequestBuilder<'_> {
        self.request(Method::PUT, uri)
    }

    /// Starts a `PATCH`.
    pub fn patch(&self, uri: &str) -> RequestBuilder<'_> {
        self.request(Method::PATCH, uri)
    }

    /// Starts a `DELETE`.
    pub fn delete(&self, uri: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, uri)
    }
}

/// A request being built; [`send`](RequestBuilder::send) runs it.
pub struct RequestBuilder<'a> {
    client: &'a TestClient,
    inner: TestRequest,
}

impl std::fmt::Debug for RequestBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBuilder").finish_non_exhaustive()
    }
}

impl RequestBuilder<'_> {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.insert_header((name, value));
        self
    }

    /// Sets a JSON body (and its content type).
    pub fn json<T: Serialize>(mut self, body: &T) -> Self {
        self.inner = self.inner.set_json(body);
        self
    }

    /// Sets an urlencoded form body (and its content type).
    pub fn form<T: Serialize>(mut self, body: &T) -> Self {
        self.inner = self.inner.set_form(body);
        self
    }

    /// Sets a `multipart/form-data` body (and its content type with the boundary).
    pub fn multipart(mut self, body: MultipartBody) -> Self {
        let (content_type, bytes) = body.finish();
        self.inner = self
            .inner
            .insert_header(("content-type", content_type))
            .set_payload(bytes);
        self
    }

    /// Sets a raw body without touching the content type.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.inner = self.inner.set_payload(body.into());
        self
    }

    /// Adds a cookie.
    pub fn cookie(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.cookie(actix_web::cookie::Cookie::new(
            name.to_owned(),
            value.to_owned(),
        ));
        self
    }

    /// Sends the request through the app and reads the whole response.
    pub async fn send(self) -> TestResponse {
        let response = match self.client.service.call(self.inner.to_request()).await {
            Ok(res) => res.into_parts().1,
            // As the HTTP server does: an error that escaped the app renders itself.
            Err(err) => err.error_response(),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap_or_else(|e| panic!("the response body failed: {e}"));
        TestResponse {
            status,
            headers,
            body,
        }
    }
}

/// A complete response.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON into `T`; panics with the body if it is not.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not the expected JSON ({e}): {}",
                self.text()
            )
        })
    }
}
