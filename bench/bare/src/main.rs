//! `bare-actix`: the items service's four benchmarked endpoints written by hand on
//! plain actix-web, with no apiarist in between.
//!
//! It exists only as the baseline of `bench/run.sh`, which measures what apiarist
//! costs on top of actix-web. To keep that comparison honest it does the same work
//! as the items service: it parses the same JSON, checks the same `ItemCreate`
//! constraints by hand (422 on failure), stores rows (with the same internal fields)
//! in a `Mutex<Vec>`, answers 201 with the same `ItemResponse` shape, and lists
//! with the same `skip`/`limit`/`search`/`in_stock` query. It listens on `HOST:PORT`
//! (default 127.0.0.1:8000) with actix's default number of workers, like the
//! items service.

use std::sync::Mutex;

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
struct HelloQuery {
    #[serde(default = "world")]
    name: String,
}

fn world() -> String {
    "world".to_owned()
}

#[derive(Debug, Serialize)]
struct Message {
    message: String,
}

async fn hello(query: web::Query<HelloQuery>) -> HttpResponse {
    HttpResponse::Ok().json(Message {
        message: format!("Hello, {}!", query.name),
    })
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ModelName {
    Alexnet,
    Resnet,
    Lenet,
}

#[derive(Debug, Deserialize, Serialize)]
struct ModelPath {
    model_name: ModelName,
}

async fn get_model(path: web::Path<ModelPath>) -> HttpResponse {
    HttpResponse::Ok().json(path.into_inner())
}

#[derive(Debug, Deserialize)]
struct ItemCreate {
    name: String,
    #[serde(default)]
    description: Option<String>,
    price: f64,
    #[serde(default)]
    tax: Option<f64>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default = "default_stock")]
    stock: i64,
}

fn default_stock() -> i64 {
    5
}

impl ItemCreate {
    /// The same rules as `shared_models::items::ItemCreate`, checked by hand.
    fn check(&self) -> Result<(), &'static str> {
        if !(1..=100).contains(&self.name.chars().count()) {
            return Err("name must be 1 to 100 characters");
        }
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 500)
        {
            return Err("description must be at most 500 characters");
        }
        if !(self.price > 0.0 && self.price <= 1_000_000.0) {
            return Err("price must be > 0 and <= 1000000");
        }
        if self.tax.is_some_and(|t| t.is_nan() || t < 0.0) {
            return Err("tax must be >= 0");
        }
        if self.stock < 0 {
            return Err("stock must be >= 0");
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct ItemRow {
    id: i64,
    name: String,
    description: Option<String>,
    price: f64,
    tax: Option<f64>,
    tags: Vec<String>,
    stock: i64,
    #[allow(dead_code)] // stored like the items service's row, never shown
    internal_cost: f64,
    created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
struct ItemResponse {
    id: i64,
    name: String,
    description: Option<String>,
    price: f64,
    price_with_tax: Option<f64>,
    tags: Vec<String>,
    stock: i64,
    in_stock: bool,
    created_at: DateTime<Utc>,
}

impl From<&ItemRow> for ItemResponse {
    fn from(row: &ItemRow) -> Self {
        ItemResponse {
            id: row.id,
            name: row.name.clone(),
            description: row.description.clone(),
            price: row.price,
            price_with_tax: row.tax.map(|tax| row.price + tax),
            tags: row.tags.clone(),
            stock: row.stock,
            in_stock: row.stock > 0,
            created_at: row.created_at,
        }
    }
}

type Store = web::Data<Mutex<Vec<ItemRow>>>;

fn unprocessable(msg: impl std::fmt::Display) -> HttpResponse {
    HttpResponse::UnprocessableEntity().json(serde_json::json!({ "detail": msg.to_string() }))
}

async fn create_item(store: Store, body: web::Bytes) -> HttpResponse {
    let item: ItemCreate = match serde_json::from_slice(&body) {
        Ok(item) => item,
        Err(e) => return unprocessable(e),
    };
    if let Err(msg) = item.check() {
        return unprocessable(msg);
    }
    let row = {
        let mut rows = store.lock().unwrap_or_else(|p| p.into_inner());
        let row = ItemRow {
            id: rows.len() as i64 + 1,
            internal_cost: item.price * 0.6,
            name: item.name,
            description: item.description,
            price: item.price,
            tax: item.tax,
            tags: item.tags,
            stock: item.stock,
            created_at: Utc::now(),
        };
        rows.push(row.clone());
        row
    };
    HttpResponse::Created().json(ItemResponse::from(&row))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    skip: i64,
    #[serde(default = "default_limit")]
    limit: i64,
    search: Option<String>,
    in_stock: Option<bool>,
}

fn default_limit() -> i64 {
    10
}

async fn list_items(store: Store, query: web::Query<ListQuery>) -> HttpResponse {
    let q = query.into_inner();
    if q.skip < 0 || !(1..=100).contains(&q.limit) {
        return unprocessable("skip must be >= 0 and limit 1 to 100");
    }
    let search = q.search.map(|s| s.to_lowercase());
    let rows: Vec<ItemRow> = store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|r| {
            search
                .as_ref()
                .is_none_or(|s| r.name.to_lowercase().contains(s))
        })
        .filter(|r| q.in_stock.is_none_or(|want| (r.stock > 0) == want))
        .skip(q.skip as usize)
        .take(q.limit as usize)
        .cloned()
        .collect();
    HttpResponse::Ok().json(rows.iter().map(ItemResponse::from).collect::<Vec<_>>())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000);
    let store: Store = web::Data::new(Mutex::new(Vec::new()));
    HttpServer::new(move || {
        App::new()
            .app_data(store.clone())
            .route("/hello", web::get().to(hello))
            .route("/models/{model_name}", web::get().to(get_model))
            .route("/items/", web::post().to(create_item))
            .route("/items/", web::get().to(list_items))
    })
    .bind((host.as_str(), port))?
    .run()
    .await
}
