//! Handlers the tests share.

use apiarist::prelude::*;
use serde_json::{Value, json};

/// Say hello (a small body).
#[api_operation(summary = "Hello")]
pub async fn hello() -> Json<Value> {
    Json(json!({"message": "hello"}))
}

/// A body worth compressing.
#[api_operation(summary = "Big")]
pub async fn big() -> Json<Value> {
    Json(json!({"items": (0..200).map(|i| format!("item number {i}")).collect::<Vec<_>>()}))
}

#[derive(Debug, Serialize, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct Note {
    pub text: String,
}

/// Store a note.
#[api_operation(summary = "Note")]
pub async fn note(body: Json<Note>) -> Json<usize> {
    Json(body.text.len())
}

/// The body of a JSON note with `len` characters of text.
pub fn note_of(len: usize) -> Value {
    json!({"text": "x".repeat(len)})
}
