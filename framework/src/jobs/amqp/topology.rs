//! The queues and exchange a job needs, declared idempotently.
//!
//! For a job queue `q` (the job's name, after the broker's namespace):
//!
//! ```text
//!  publish ──> [apiarist.jobs] ──(routing key q)──> q  (x-max-priority, if set) ──> consumers
//!                    ^
//!                    └──── dead-lettered on expiry ──── q.delay.<ms>  (x-message-ttl ms)
//!  retries and delayed jobs ──> q.delay.<ms>
//!  failed for good ──────────> q.dead
//! ```
//!
//! Delays use no broker plugin: a holding queue per delay, whose messages expire
//! after `ms` and are dead-lettered back to the work queue. All messages of one
//! holding queue share its TTL, so they expire in arrival order (no head-of-line
//! blocking). To keep the number of holding queues small, a delay is rounded
//! *down* to two significant digits (1234 ms waits in `q.delay.1200`); the consumer
//! sees that the job's `not_before` is still ahead and sends it on another, shorter
//! hop (34 ms). A job therefore never runs early, and each hop cuts what is left by
//! at least ten times. Holding queues expire (`x-expires`) a while after their last
//! use. All queues are durable and all messages persistent.

use lapin::{
    Channel, ExchangeKind,
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable, ShortString},
};

use crate::jobs::JobError;

/// The direct exchange every job is published to, routed by its queue's name.
pub(super) const EXCHANGE: &str = "apiarist.jobs";

/// How long an unused holding queue lives after its TTL (it is re-declared, which
/// renews the lease, whenever a job goes through it).
const DELAY_QUEUE_LINGER_MS: u64 = 5 * 60 * 1000;

/// The longest single hop: TTLs are 32-bit on the wire (with room for the linger).
const MAX_HOP_MS: u64 = 2_000_000_000;

/// Longest queue name we make; AMQP allows 255 bytes, `.delay.<ms>` needs the rest.
const MAX_NAME_LEN: usize = 200;

/// The dead-letter queue of `queue`.
pub(super) fn dead_queue(queue: &str) -> String {
    format!("{queue}.dead")
}

/// The holding queue of `queue` for `ms`.
pub(super) fn delay_queue(queue: &str, ms: u64) -> String {
    format!("{queue}.delay.{ms}")
}

/// The hop for a wait of `ms` (at least 1): `ms` rounded down to two significant
/// digits, at most [`MAX_HOP_MS`].
///
/// ```text
/// 50 -> 50, 100 -> 100, 1234 -> 1200, 86_400_000 -> 86_000_000
/// ```
pub(super) fn delay_bucket(ms: u64) -> u64 {
    let ms = ms.clamp(1, MAX_HOP_MS);
    let mut unit = 1;
    while ms / unit >= 100 {
        unit *= 10;
    }
    ms / unit * unit
}

pub(super) fn check_name(queue: &str) -> Result<ShortString, JobError> {
    if queue.is_empty() || queue.len() > MAX_NAME_LEN {
        return Err(JobError::fatal(format!(
            "job queue name {queue:?} must be 1 to {MAX_NAME_LEN} bytes"
        )));
    }
    Ok(queue.into())
}

fn int(value: u64) -> AMQPValue {
    AMQPValue::LongInt(i32::try_from(value).unwrap_or(i32::MAX))
}

/// Declares the exchange, the work queue (bound to it; a priority queue when
/// `max_priority` is above 0) and the dead-letter queue.
pub(super) async fn declare_job_queue(
    channel: &Channel,
    queue: &str,
    max_priority: u8,
) -> lapin::Result<()> {
    channel
        .exchange_declare(
            EXCHANGE.into(),
            ExchangeKind::Direct,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    let mut args = FieldTable::default();
    if max_priority > 0 {
        args.insert(
            "x-max-priority".into(),
            AMQPValue::LongInt(max_priority.into()),
        );
    }
    channel
        .queue_declare(queue.into(), QueueDeclareOptions::durable(), args)
        .await?;
    channel
        .queue_bind(
            queue.into(),
            EXCHANGE.into(),
            queue.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_declare(
            dead_queue(queue).into(),
            QueueDeclareOptions::durable(),
            FieldTable::default(),
        )
        .await?;
    Ok(())
}

/// Declares `queue`'s holding queue for `ms` (which must be a [`delay_bucket`]).
pub(super) async fn declare_delay_queue(
    channel: &Channel,
    queue: &str,
    ms: u64,
) -> lapin::Result<()> {
    let mut args = FieldTable::default();
    args.insert("x-message-ttl".into(), int(ms));
    args.insert("x-expires".into(), int(ms + DELAY_QUEUE_LINGER_MS));
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(EXCHANGE.into()),
    );
    args.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(queue.into()),
    );
    channel
        .queue_declare(
            delay_queue(queue, ms).into(),
            QueueDeclareOptions::durable(),
            args,
        )
        .await?;
    Ok(())
}

/// How often a holding queue is re-declared while in use (renewing `x-expires`).
pub(super) const DELAY_REDECLARE: std::time::Duration =
    std::time::Duration::from_millis(DELAY_QUEUE_LINGER_MS / 5);

#[cfg(test)]
mod tests {
    use super::delay_bucket;

    #[test]
    fn buckets_round_down_to_two_significant_digits() {
        assert_eq!(delay_bucket(0), 1);
        assert_eq!(delay_bucket(7), 7);
        assert_eq!(delay_bucket(50), 50);
        assert_eq!(delay_bucket(99), 99);
        assert_eq!(delay_bucket(100), 100);
        assert_eq!(delay_bucket(1234), 1200);
        assert_eq!(delay_bucket(12_800), 12_000);
        assert_eq!(delay_bucket(86_400_000), 86_000_000);
        assert_eq!(delay_bucket(u64::MAX), 2_000_000_000);
        // Hops never overshoot and shrink what is left at least tenfold.
        for ms in [1u64, 13, 999, 1001, 123_456, 9_999_999] {
            let hop = delay_bucket(ms);
            assert!(hop <= ms && (ms - hop) * 10 <= ms, "{ms} -> {hop}");
        }
    }
}
