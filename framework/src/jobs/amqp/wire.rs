//! How an [`Envelope`] travels as an AMQP message.
//!
//! The body is the job's payload and nothing else (the JSON a producer in any
//! language would send); the bookkeeping rides in the message properties, where
//! RabbitMQ and its management UI already look for it:
//!
//! | envelope field    | AMQP                                                      |
//! |-------------------|-----------------------------------------------------------|
//! | `payload`         | the body (`content-type: application/json`)               |
//! | `id`              | `message-id`                                              |
//! | `name`            | `type` (else the queue's job name)                        |
//! | `enqueued_at`     | `timestamp` (seconds) plus `x-enqueued-ms` (milliseconds) |
//! | `priority`        | `priority`, when the queues have priorities               |
//! | `attempts`, `max_attempts`, `not_before` (ms since the epoch) | headers `x-attempts`, `x-max-attempts`, `x-not-before` |
//! | `idempotency_key`, `last_error` | headers `x-idempotency-key`, `x-last-error` |
//! | `trace`           | headers `traceparent`, `x-request-id`                     |
//!
//! Headers that would carry a default (no delay, no error, first attempt) are left
//! out. Keeping the body to the payload matters for throughput: RabbitMQ stores
//! and moves every byte of a persistent message, and a small body is what a
//! hand-written producer sends too. It also means a bare JSON message published to
//! a job queue by another program is a job (a fresh id, the default attempts).

use chrono::{DateTime, Utc};
use lapin::{
    BasicProperties,
    types::{AMQPValue, FieldTable, LongString},
};
use uuid::Uuid;

use crate::jobs::{Envelope, JobError, TraceContext};

/// Attempts allowed when a message does not say (a job published by another program).
const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// The body and properties of `envelope`; `max_priority` is the queues' (0: none).
pub(super) fn encode(
    envelope: &Envelope,
    max_priority: u8,
) -> Result<(Vec<u8>, BasicProperties), JobError> {
    let body = serde_json::to_vec(&envelope.payload)
        .map_err(|e| JobError::fatal(format!("cannot serialise job: {e}")))?;
    let mut headers = FieldTable::default();
    let mut text = |key: &str, value: &str| {
        headers.insert(key.into(), AMQPValue::LongString(LongString::from(value)));
    };
    if let Some(key) = &envelope.idempotency_key {
        text("x-idempotency-key", key);
    }
    if let Some(traceparent) = &envelope.trace.traceparent {
        text("traceparent", traceparent);
    }
    if let Some(request_id) = &envelope.trace.request_id {
        text("x-request-id", request_id);
    }
    if let Some(error) = &envelope.last_error {
        text("x-last-error", error);
    }
    if envelope.attempts > 0 {
        headers.insert("x-attempts".into(), int(envelope.attempts));
    }
    if envelope.max_attempts != DEFAULT_MAX_ATTEMPTS {
        headers.insert("x-max-attempts".into(), int(envelope.max_attempts));
    }
    if let Some(at) = envelope.not_before {
        // Rounded up: a job may run a fraction of a millisecond late, never early.
        let ms = at.timestamp_millis() + i64::from(at.timestamp_subsec_nanos() % 1_000_000 != 0);
        headers.insert("x-not-before".into(), AMQPValue::LongLongInt(ms));
    }
    headers.insert(
        "x-enqueued-ms".into(),
        AMQPValue::ShortUInt(envelope.enqueued_at.timestamp_subsec_millis() as u16),
    );
    let mut properties = BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_message_id(envelope.id.to_string().into())
        .with_type(envelope.name.as_str().into())
        .with_timestamp(envelope.enqueued_at.timestamp().max(0) as u64)
        .with_headers(headers);
    if max_priority > 0 && envelope.priority > 0 {
        properties = properties.with_priority(envelope.priority.min(max_priority));
    }
    Ok((body, properties))
}

/// The envelope of a message taken from job queue `name`: the inverse of
/// [`encode`]. Fails only when the body is not JSON.
pub(super) fn decode(
    name: &str,
    properties: &BasicProperties,
    body: &[u8],
) -> Result<Envelope, serde_json::Error> {
    let payload = serde_json::from_slice(body)?;
    let empty = FieldTable::default();
    let headers = properties.headers().as_ref().unwrap_or(&empty).inner();
    let text = |key: &str| match headers.get(key) {
        Some(AMQPValue::LongString(s)) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        Some(AMQPValue::ShortString(s)) => Some(s.as_str().to_owned()),
        _ => None,
    };
    let number = |key: &str| headers.get(key).and_then(integer);
    let seconds = properties.timestamp().unwrap_or(0);
    let millis = number("x-enqueued-ms").unwrap_or(0);
    let enqueued_at = i64::try_from(seconds)
        .ok()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, (millis as u32).min(999) * 1_000_000))
        .filter(|_| seconds > 0)
        .unwrap_or_else(Utc::now);
    Ok(Envelope {
        id: properties
            .message_id()
            .as_ref()
            .and_then(|id| Uuid::parse_str(id.as_str()).ok())
            .unwrap_or_else(Uuid::new_v4),
        name: properties
            .kind()
            .as_ref()
            .map_or_else(|| name.to_owned(), |kind| kind.as_str().to_owned()),
        payload,
        attempts: number("x-attempts").map_or(0, clamp_u32),
        max_attempts: number("x-max-attempts").map_or(DEFAULT_MAX_ATTEMPTS, clamp_u32),
        enqueued_at,
        not_before: number("x-not-before").and_then(DateTime::<Utc>::from_timestamp_millis),
        priority: properties.priority().unwrap_or(0),
        idempotency_key: text("x-idempotency-key"),
        trace: TraceContext {
            traceparent: text("traceparent"),
            request_id: text("x-request-id"),
        },
        last_error: text("x-last-error"),
    })
}

fn int(value: u32) -> AMQPValue {
    AMQPValue::LongInt(i32::try_from(value).unwrap_or(i32::MAX))
}

/// Any integer header (other producers pick their own widths).
fn integer(value: &AMQPValue) -> Option<i64> {
    Some(match *value {
        AMQPValue::ShortShortInt(v) => v.into(),
        AMQPValue::ShortShortUInt(v) => v.into(),
        AMQPValue::ShortInt(v) => v.into(),
        AMQPValue::ShortUInt(v) => v.into(),
        AMQPValue::LongInt(v) => v.into(),
        AMQPValue::LongUInt(v) => v.into(),
        AMQPValue::LongLongInt(v) => v,
        _ => return None,
    })
}

fn clamp_u32(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::jobs::{EnqueueOptions, tests::actors::Work};

    #[test]
    fn an_envelope_survives_the_trip() {
        let mut envelope = Envelope::new(
            &Work { n: 3 },
            EnqueueOptions {
                delay: Some(Duration::from_secs(5)),
                priority: Some(4),
                idempotency_key: Some("work-3".into()),
                trace: Some(TraceContext {
                    traceparent: Some(
                        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into(),
                    ),
                    request_id: Some("req-1".into()),
                }),
            },
        )
        .unwrap();
        envelope.attempts = 2;
        envelope.last_error = Some("busy".into());
        let (body, properties) = encode(&envelope, 9).unwrap();
        assert_eq!(body, br#"{"n":3}"#, "the body is the payload alone");
        let back = decode("ignored", &properties, &body).unwrap();
        // The wire keeps milliseconds; the time a job is due is never brought forward.
        let ms = |t: DateTime<Utc>| t.timestamp_millis();
        assert_eq!(ms(back.enqueued_at), ms(envelope.enqueued_at));
        let (sent, due) = (envelope.not_before.unwrap(), back.not_before.unwrap());
        assert!(due >= sent && due - sent < chrono::Duration::milliseconds(1));
        let (enqueued_at, not_before) = (back.enqueued_at, back.not_before);
        assert_eq!(
            back,
            Envelope {
                enqueued_at,
                not_before,
                ..envelope
            }
        );
    }

    #[test]
    fn priorities_are_sent_only_to_queues_that_have_them() {
        let envelope = Envelope::new(
            &Work { n: 1 },
            EnqueueOptions {
                priority: Some(7),
                ..EnqueueOptions::default()
            },
        )
        .unwrap();
        assert_eq!(*encode(&envelope, 0).unwrap().1.priority(), None);
        assert_eq!(*encode(&envelope, 5).unwrap().1.priority(), Some(5));
    }

    #[test]
    fn a_bare_json_message_is_a_first_attempt() {
        let envelope = decode("work", &BasicProperties::default(), br#"{"n":1}"#).unwrap();
        assert_eq!(envelope.name, "work");
        assert_eq!(envelope.payload, serde_json::json!({"n": 1}));
        assert_eq!(
            (envelope.attempts, envelope.max_attempts),
            (0, DEFAULT_MAX_ATTEMPTS)
        );
        assert!(envelope.trace.request_id.is_none() && envelope.last_error.is_none());
        assert!(decode("work", &BasicProperties::default(), b"not json").is_err());
    }
}
