//! What a service's queue knows about its job types: for operators and AsyncAPI.

use std::sync::Arc;

use serde_json::Value;

use super::Job;

/// One job type of a service: its name (and queue), payload schema and retry policy.
#[derive(Debug, Clone, PartialEq)]
pub struct JobInfo {
    /// [`Job::NAME`].
    pub name: &'static str,
    /// The payload type's name, e.g. `ConfirmOrder`.
    pub type_name: &'static str,
    /// The payload's JSON Schema (draft 2020-12).
    pub schema: Value,
    /// The payload type's doc comment, if any.
    pub description: Option<String>,
    /// [`Job::MAX_ATTEMPTS`].
    pub max_attempts: u32,
}

impl JobInfo {
    /// The facts of job type `J`.
    pub fn of<J: Job>() -> Self {
        let (type_name, schema, description) = payload_facts::<J>();
        Self {
            name: J::NAME,
            type_name,
            schema,
            description,
            max_attempts: J::MAX_ATTEMPTS,
        }
    }
}

/// The job types registered on a queue, in registration order.
#[derive(Debug, Clone, Default)]
pub struct Catalog(Arc<Vec<JobInfo>>);

impl Catalog {
    pub(crate) fn add(&mut self, info: JobInfo) {
        if !self.0.iter().any(|j| j.name == info.name) {
            Arc::make_mut(&mut self.0).push(info);
        }
    }

    /// Every registered job type.
    pub fn jobs(&self) -> &[JobInfo] {
        &self.0
    }

    /// The job type named `name`.
    pub fn get(&self, name: &str) -> Option<&JobInfo> {
        self.0.iter().find(|j| j.name == name)
    }
}

/// What the documents say of a message payload type: its short type name, its JSON
/// Schema (draft 2020-12, without `$schema`) and its doc comment. Shared by jobs and
/// events.
pub(crate) fn payload_facts<T: schemars::JsonSchema>() -> (&'static str, Value, Option<String>) {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    let description = schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
    }
    let full = std::any::type_name::<T>();
    (
        full.rsplit("::").next().unwrap_or(full),
        schema,
        description,
    )
}
