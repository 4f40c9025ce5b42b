//! The server of `bench/run.sh`'s middleware scenario: what the default middleware
//! stack costs per request.
//!
//! `MIDDLEWARE=default` serves with CORS, compression and metrics on top of the core
//! layer (request id, tracing span, error rendering); `MIDDLEWARE=none` with the core
//! layer alone; `cors`, `compression` or `metrics` with that one on top of the core
//! layer, to see which costs what. Routes: `GET /hello?name=Ada` (answered as the items service does, a
//! body too small to compress) and `GET /list` (about 2 KB of JSON, compressed by
//! the default stack when the client accepts it). `HOST` / `PORT` as for any app.
//!
//! ```sh
//! MIDDLEWARE=default PORT=8080 cargo run --release -p apiarist --example middleware_stack
//! ```

use apiarist::{
    App, Router,
    middleware::{Compression, Cors},
    prelude::*,
};

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct HelloQuery {
    /// Who to greet.
    #[serde(default = "world")]
    name: String,
}

fn world() -> String {
    "world".to_owned()
}

#[derive(Debug, Serialize, JsonSchema, ApiComponent)]
struct Message {
    message: String,
}

/// Say hello.
#[api_operation(summary = "Say hello")]
async fn hello(query: Query<HelloQuery>) -> Json<Message> {
    Json(Message {
        message: format!("Hello, {}!", query.name),
    })
}

/// About 2 KB of JSON.
#[api_operation(summary = "List")]
async fn list() -> Json<Vec<Message>> {
    Json(
        (0..50)
            .map(|i| Message {
                message: format!("Hello, visitor number {i}!"),
            })
            .collect(),
    )
}

fn main() -> std::io::Result<()> {
    let routes = Router::new().get("/hello", hello).get("/list", list);
    let app = match std::env::var("MIDDLEWARE").as_deref() {
        Ok("none") => App::new("stack").metrics(false),
        Ok("default") | Err(_) => App::new("stack")
            .middleware(Cors::new().allow_origin("http://localhost:3000"))
            .middleware(Compression::default()),
        Ok("cors") => App::new("stack")
            .metrics(false)
            .middleware(Cors::new().allow_origin("http://localhost:3000")),
        Ok("compression") => App::new("stack")
            .metrics(false)
            .middleware(Compression::default()),
        Ok("metrics") => App::new("stack"),
        Ok(other) => {
            eprintln!(
                "MIDDLEWARE must be default, none, cors, compression or metrics, not {other:?}"
            );
            std::process::exit(2);
        }
    };
    app.include(routes).run()
}
