//! Operator endpoints for the job queues (admin only, documented like any route):
//! depths, dead-lettered jobs with their last error, retry or discard a dead job.

use apistos::{ApiComponent, api_operation};
use schemars::JsonSchema;
use serde::Deserialize;
use validator::Validate;

use super::{Envelope, JobQueue, QueueStats};
use crate::{
    HttpError, Json, NoContent, Path, Router, State,
    security::{AdminRole, RequireRole},
};

fn unavailable(error: super::JobError) -> HttpError {
    tracing::warn!(%error, "job broker unavailable");
    HttpError::new(503, "Job broker unavailable")
}

fn known(queue: &JobQueue, name: &str) -> Result<(), HttpError> {
    match queue.catalog().get(name) {
        Some(_) => Ok(()),
        None => Err(HttpError::not_found(format!("No job queue {name}"))),
    }
}

/// Queue depths.
///
/// For every job queue of the service: jobs waiting (including retries and delays)
/// and jobs dead-lettered.
#[api_operation(tag = "jobs", summary = "Job queue depths", error_code = 503)]
pub(crate) async fn queues(queue: State<JobQueue>) -> Result<Json<Vec<QueueStats>>, HttpError> {
    let mut all = Vec::new();
    for job in queue.catalog().jobs() {
        all.push(queue.broker().stats(job.name).await.map_err(unavailable)?);
    }
    Ok(Json(all))
}

/// Path naming a queue.
#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
pub(crate) struct QueuePath {
    /// The queue (a job name, e.g. `orders.confirm`).
    queue: String,
}

/// Dead-lettered jobs.
///
/// The jobs of a queue that failed their last attempt, each with its `last_error`.
#[api_operation(
    tag = "jobs",
    summary = "Dead-lettered jobs",
    error_code = 404,
    error_code = 503
)]
pub(crate) async fn dead_jobs(
    queue: State<JobQueue>,
    path: Path<QueuePath>,
) -> Result<Json<Vec<Envelope>>, HttpError> {
    known(&queue, &path.queue)?;
    let dead = queue
        .broker()
        .dead_jobs(&path.queue)
        .await
        .map_err(unavailable)?;
    Ok(Json(dead))
}

/// Path naming a dead job.
#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
pub(crate) struct DeadJobPath {
    /// The queue.
    queue: String,
    /// The job's id.
    job_id: uuid::Uuid,
}

async fn settle(
    queue: &JobQueue,
    path: &DeadJobPath,
    requeue: bool,
) -> Result<NoContent, HttpError> {
    known(queue, &path.queue)?;
    let found = queue
        .broker()
        .settle_dead(&path.queue, path.job_id, requeue)
        .await
        .map_err(unavailable)?;
    if found {
        Ok(NoContent)
    } else {
        Err(HttpError::not_found(format!(
            "No dead job {} in {}",
            path.job_id, path.queue
        )))
    }
}

/// Retry a dead job.
///
/// Publishes it again with fresh attempts.
#[api_operation(
    tag = "jobs",
    summary = "Retry a dead job",
    error_code = 404,
    error_code = 503
)]
pub(crate) async fn retry_dead(
    queue: State<JobQueue>,
    path: Path<DeadJobPath>,
) -> Result<NoContent, HttpError> {
    settle(&queue, &path, true).await
}

/// Discard a dead job.
#[api_operation(
    tag = "jobs",
    summary = "Discard a dead job",
    error_code = 404,
    error_code = 503
)]
pub(crate) async fn discard_dead(
    queue: State<JobQueue>,
    path: Path<DeadJobPath>,
) -> Result<NoContent, HttpError> {
    settle(&queue, &path, false).await
}

/// The operator routes under `/admin/jobs`, for the [`JobQueue`] in state, each
/// requiring the `admin` role (401 without a token, 403 without the role):
///
/// - `GET /admin/jobs`: depths of every registered queue;
/// - `GET /admin/jobs/{queue}/dead`: its dead jobs and their last errors;
/// - `POST /admin/jobs/{queue}/dead/{job_id}/retry`: run it again (204);
/// - `DELETE /admin/jobs/{queue}/dead/{job_id}`: drop it (204).
pub fn operator_router() -> Router {
    Router::with_prefix("/admin/jobs")
        .tag("jobs")
        .depends::<RequireRole<AdminRole>>()
        .get("/", queues)
        .get("/{queue}/dead", dead_jobs)
        .post("/{queue}/dead/{job_id}/retry", retry_dead)
        .delete("/{queue}/dead/{job_id}", discard_dead)
}
