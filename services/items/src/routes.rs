//! The items service's HTTP routes.

use apiarist::{db::Db, prelude::*};
use shared_models::items::{ItemCreate, ItemResponse};

use crate::models::{self, ItemFilter};

/// The API root.
///
/// A fixed welcome message.
#[api_operation(tag = "hello", summary = "Read root")]
pub async fn read_root() -> Json<Message> {
    Json(Message {
        message: "Hello World".to_owned(),
    })
}

/// Query of `GET /hello`.
#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct HelloQuery {
    /// Who to greet.
    #[serde(default = "world")]
    pub name: String,
}

fn world() -> String {
    "world".to_owned()
}

/// A greeting.
#[derive(Debug, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct Message {
    /// The greeting text.
    pub message: String,
}

/// Say hello.
///
/// Greets `name`, or the world.
#[api_operation(tag = "hello", summary = "Say hello")]
pub async fn hello(query: Query<HelloQuery>) -> Json<Message> {
    Json(Message {
        message: format!("Hello, {}!", query.name),
    })
}

/// The models this API knows.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ModelName {
    /// AlexNet.
    Alexnet,
    /// ResNet.
    Resnet,
    /// LeNet.
    Lenet,
}

/// Path of `GET /models/{model_name}`.
#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct ModelPath {
    /// One of the known model names.
    pub model_name: ModelName,
}

/// The chosen model.
#[derive(Debug, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct ModelResponse {
    /// The model's name.
    pub model_name: ModelName,
}

/// Read a model name.
///
/// Only `alexnet`, `resnet` and `lenet` are accepted.
#[api_operation(tag = "models", summary = "Get a model")]
pub async fn get_model(path: Path<ModelPath>) -> Json<ModelResponse> {
    Json(ModelResponse {
        model_name: path.model_name,
    })
}

/// Create an item.
///
/// Stores the item and returns it as the API shows it.
#[api_operation(tag = "items", summary = "Create an item", error_code = 503)]
pub async fn create_item(
    db: Db,
    item: Json<ItemCreate>,
) -> Result<Created<ItemResponse>, HttpError> {
    // One INSERT is atomic by itself: no transaction (and its two extra round
    // trips) needed. Handlers that write more than once take `Tx` (see orders).
    let row = models::create(&*db, item.into_inner()).await?;
    Ok(Created(ItemResponse::from(&row)))
}

/// Query of `GET /items/`.
#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct ListItemsQuery {
    /// How many items to skip.
    #[serde(default)]
    #[validate(range(min = 0))]
    pub skip: i64,
    /// How many items to return at most.
    #[serde(default = "default_limit")]
    #[validate(range(min = 1, max = 100))]
    pub limit: i64,
    /// Case-insensitive part of the name.
    pub search: Option<String>,
    /// Only items in stock (`true`) or out of stock (`false`).
    pub in_stock: Option<bool>,
}

fn default_limit() -> i64 {
    10
}

/// List items.
///
/// Pages through the catalogue, optionally filtered by name and stock.
#[api_operation(tag = "items", summary = "List items", error_code = 503)]
pub async fn list_items(
    db: Db,
    query: Query<ListItemsQuery>,
) -> Result<Json<Vec<ItemResponse>>, HttpError> {
    let query = query.into_inner();
    let filter = ItemFilter {
        skip: u64::try_from(query.skip).unwrap_or(0),
        limit: u64::try_from(query.limit).unwrap_or(0),
        search: query.search,
        in_stock: query.in_stock,
    };
    let rows = models::list(&*db, &filter).await?;
    Ok(Json(rows.iter().map(ItemResponse::from).collect()))
}

/// Path of `GET /items/{item_id}`.
#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct ItemPath {
    /// The item's id.
    #[validate(range(exclusive_min = 0))]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub item_id: i64,
}

/// Read an item.
///
/// Answers 404 with an `X-Error` header when there is no such item.
#[api_operation(
    tag = "items",
    summary = "Read an item",
    error_code = 404,
    error_code = 503
)]
pub async fn get_item(db: Db, path: Path<ItemPath>) -> Result<Json<ItemResponse>, HttpError> {
    let id = path.item_id;
    models::find(&*db, id)
        .await?
        .map(|row| Json(ItemResponse::from(&row)))
        .ok_or_else(|| {
            HttpError::not_found(format!("Item with id {id} not found"))
                .with_header("X-Error", "Item not found")
        })
}

/// The service's router.
pub fn router() -> Router {
    Router::new()
        .get("/", read_root)
        .get("/hello", hello)
        .get("/models/{model_name}", get_model)
        .include(
            Router::with_prefix("/items")
                .post("/", create_item)
                .get("/", list_items)
                .get("/{item_id}", get_item),
        )
}
