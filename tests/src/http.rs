//! A JSON client for one base URL, as a user of the stack sees it: requests go out
//! over real HTTP, answers come back as a status and a JSON body.

use std::time::Duration;

use serde_json::Value;

/// An answer: its status and its body as JSON (`Value::Null` when it is not JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The body, parsed.
    pub body: Value,
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

/// Requests to `base` (`http://127.0.0.1:8000`), with an optional bearer token.
///
/// Create it inside the actix system that runs the test.
#[derive(Clone)]
pub struct Client {
    base: String,
    inner: awc::Client,
    headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).finish()
    }
}

impl Client {
    /// A client for `base`; no request waits longer than 30 s, no redirect is followed.
    pub fn new(base: impl Into<String>) -> Self {
        let inner = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .disable_redirects()
            .finish();
        Self {
            base: base.into(),
            inner,
            headers: Vec::new(),
        }
    }

    /// The same client, sending `name: value` with every request.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `GET path`.
    ///
    /// # Panics
    ///
    /// If nothing answers.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send("GET", path, token, Body::None).await
    }

    /// `POST path` with a JSON body.
    ///
    /// # Panics
    ///
    /// If nothing answers.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send("POST", path, token, Body::Json(body)).await
    }

    /// `POST /token` with the login form; the access token.
    ///
    /// # Panics
    ///
    /// If the login is refused or nothing answers.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let form = [("username", username), ("password", password)];
        let reply = self.send("POST", "/token", None, Body::Form(&form)).await;
        assert_eq!(reply.status, 200, "logging in as {username}: {reply}");
        reply.body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token in {reply}"))
            .to_owned()
    }

    async fn send(&self, method: &str, path: &str, token: Option<&str>, body: Body<'_>) -> Reply {
        self.exchange(method, path, token, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {}{path}: {e}", self.base))
    }

    async fn exchange(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Body<'_>,
    ) -> Result<Reply, String> {
        let method = method.parse().map_err(|e| format!("{e}"))?;
        let mut request = self.inner.request(method, format!("{}{path}", self.base));
        for (name, value) in &self.headers {
            request = request.insert_header((name.as_str(), value.as_str()));
        }
        if let Some(token) = token {
            request = request.insert_header(("authorization", format!("Bearer {token}")));
        }
        let sent = match body {
            Body::None => request.send().await,
            Body::Json(json) => request.send_json(json).await,
            Body::Form(form) => request.send_form(&form).await,
        };
        let mut response = sent.map_err(|e| e.to_string())?;
        let bytes = response
            .body()
            .limit(16 << 20)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Reply {
            status: response.status().as_u16(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }
}

/// What a request carries.
enum Body<'a> {
    None,
    Json(&'a Value),
    Form(&'a [(&'a str, &'a str)]),
}
