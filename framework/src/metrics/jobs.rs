//! Job metrics: how each attempt of each queue's jobs ended, and how long it took.

use std::{sync::LazyLock, time::Duration};

use super::registry::{Family, Histogram, JOB_BUCKETS, header, label};

/// How a job attempt was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum JobOutcome {
    /// Handled and acknowledged.
    Done,
    /// Failed; scheduled to run again.
    Retried,
    /// Failed for good (or undecodable); moved to the dead-letter queue.
    DeadLettered,
}

impl JobOutcome {
    fn as_str(self) -> &'static str {
        match self {
            JobOutcome::Done => "done",
            JobOutcome::Retried => "retried",
            JobOutcome::DeadLettered => "dead_lettered",
        }
    }
}

static JOBS: LazyLock<Family<(&'static str, JobOutcome), Histogram>> = LazyLock::new(Family::new);

/// Records one settled attempt of a job of `queue`.
pub(crate) fn record(queue: &'static str, outcome: JobOutcome, elapsed: Duration) {
    JOBS.get_or_insert((queue, outcome), || Histogram::new(JOB_BUCKETS))
        .observe(elapsed);
}

/// Writes the job metrics.
pub(crate) fn render(out: &mut String) {
    let mut series = JOBS.snapshot();
    series.sort_by_key(|(key, _)| *key);
    let labelled: Vec<_> = series
        .into_iter()
        .map(|((queue, outcome), histogram)| {
            let mut labels = String::new();
            label(&mut labels, "queue", queue);
            label(&mut labels, "outcome", outcome.as_str());
            (labels, histogram)
        })
        .collect();
    header(
        out,
        "jobs_total",
        "counter",
        "Job attempts settled, by queue and outcome (done, retried, dead_lettered).",
    );
    for (labels, histogram) in &labelled {
        out.push_str(&format!("jobs_total{{{labels}}} {}\n", histogram.count()));
    }
    header(
        out,
        "job_duration_seconds",
        "histogram",
        "Time a job attempt took, by queue and outcome.",
    );
    for (labels, histogram) in &labelled {
        histogram.write(out, "job_duration_seconds", labels);
    }
}
