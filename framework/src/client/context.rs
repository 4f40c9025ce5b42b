//! [`CallContext`]: what a call to another service carries over from the request
//! that caused it.

use actix_web::HttpRequest;

use crate::{Provide, REQUEST_ID_HEADER, RequestId, telemetry::TraceParent};

/// The request a service call is made for: its request id, sent along as
/// `X-Request-Id` so the logs of one request can be followed across services, and
/// its trace, continued by the call's `traceparent` header (see
/// [`TraceParent::onward`]).
///
/// Handlers take it as a parameter (it is a dependency; nothing is documented) and
/// hand it to the client with [`ServiceClient::in_context`](super::ServiceClient::in_context).
/// Outside a request (a job, a start-up task) use [`CallContext::default`]: the
/// other service then makes up an id of its own.
///
/// ```
/// use apiarist::{client::{CallContext, ServiceClient}, prelude::*};
///
/// #[derive(Debug, Serialize, Deserialize, JsonSchema, ApiComponent)]
/// struct Count { count: u64 }
///
/// /// Count the items.
/// #[api_operation(summary = "Count")]
/// async fn count(
///     ctx: CallContext,
///     items: apiarist::State<ServiceClient>,
/// ) -> Result<Json<Count>, HttpError> {
///     Ok(Json(items.in_context(&ctx).get("/internal/items/count").await?))
/// }
/// # let _ = Router::new().get("/count", count);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallContext {
    request_id: Option<String>,
    traceparent: Option<TraceParent>,
}

impl CallContext {
    /// A context carrying `request_id`.
    ///
    /// ```
    /// let ctx = apiarist::client::CallContext::with_request_id("4bf92f35");
    /// assert_eq!(ctx.request_id(), Some("4bf92f35"));
    /// ```
    pub fn with_request_id(request_id: impl Into<String>) -> Self {
        Self {
            request_id: Some(request_id.into()),
            traceparent: None,
        }
    }

    /// The context of `req`: the id the framework's middleware gave it, else the
    /// `X-Request-Id` header it came with, else none.
    pub fn from_request(req: &HttpRequest) -> Self {
        let assigned = RequestId::current().map(|id| id.as_str().to_owned());
        let request_id = assigned.or_else(|| {
            req.headers()
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        Self {
            request_id,
            traceparent: Some(TraceParent::onward(req.headers())),
        }
    }

    /// The request id to send, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The trace the call continues, if any.
    pub fn traceparent(&self) -> Option<&TraceParent> {
        self.traceparent.as_ref()
    }
}

impl Provide for CallContext {
    type Needs = (HttpRequest,);

    async fn provide((req,): Self::Needs) -> Result<Self, actix_web::Error> {
        Ok(Self::from_request(&req))
    }
}
crate::injectable!(CallContext);
