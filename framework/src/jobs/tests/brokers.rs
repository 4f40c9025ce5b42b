//! The [`Broker`](crate::jobs::Broker) contract, on each broker.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;

use super::{TestBroker, actors::Work, wait_stats};
use crate::jobs::{Deliveries, Delivery, EnqueueOptions, Envelope, Job};

async fn next(deliveries: &mut Deliveries, within: Duration) -> Option<Box<dyn Delivery>> {
    tokio::time::timeout(within, deliveries.next())
        .await
        .ok()
        .flatten()
}

async fn take(tb: &TestBroker, deliveries: &mut Deliveries) -> Box<dyn Delivery> {
    next(deliveries, Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("[{}] no delivery within 5 s", tb.label))
}

fn n(envelope: &Envelope) -> u32 {
    envelope.decode::<Work>().expect("a Work payload").n
}

#[actix_rt::test]
async fn publish_returns_once_the_broker_holds_the_job() {
    for tb in TestBroker::all() {
        let jobs = tb.jobs();
        for n in 0..3 {
            jobs.enqueue(Work { n }).await.expect("enqueue");
        }
        let delayed = EnqueueOptions {
            delay: Some(Duration::from_secs(60)),
            ..EnqueueOptions::default()
        };
        jobs.enqueue_with(Work { n: 3 }, delayed).await.unwrap();
        // No polling: the confirm means the broker counts them already.
        let stats = tb.broker.stats(Work::NAME).await.unwrap();
        assert_eq!(
            (stats.ready, stats.dead),
            (4, 0),
            "[{}] {stats:?}",
            tb.label
        );
        assert_eq!(stats.queue, Work::NAME);
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn waiting_jobs_are_delivered_by_priority_then_arrival() {
    for tb in TestBroker::all() {
        let jobs = tb.jobs();
        for (n, priority) in [(1, 0), (2, 5), (3, 0), (4, 9), (5, 5), (6, 200)] {
            let options = EnqueueOptions {
                priority: Some(priority),
                ..EnqueueOptions::default()
            };
            jobs.enqueue_with(Work { n }, options).await.unwrap();
        }
        let mut deliveries = tb.broker.consume(Work::NAME, 1).await.unwrap();
        let mut order = Vec::new();
        for _ in 0..6 {
            let delivery = take(&tb, &mut deliveries).await;
            order.push(n(delivery.envelope()));
            delivery.ack().await.unwrap();
        }
        // 200 is capped to 9 and arrived after 4.
        assert_eq!(order, [4, 6, 2, 5, 1, 3], "[{}]", tb.label);
        drop(deliveries);
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn prefetch_limits_unsettled_deliveries() {
    for tb in TestBroker::all() {
        let jobs = tb.jobs();
        for n in 0..3 {
            jobs.enqueue(Work { n }).await.unwrap();
        }
        let mut deliveries = tb.broker.consume(Work::NAME, 2).await.unwrap();
        let first = take(&tb, &mut deliveries).await;
        let _second = take(&tb, &mut deliveries).await;
        let third = next(&mut deliveries, Duration::from_millis(300)).await;
        assert!(
            third.is_none(),
            "[{}] a third delivery beyond prefetch 2",
            tb.label
        );
        first.ack().await.unwrap();
        let third = take(&tb, &mut deliveries).await;
        assert_eq!(n(third.envelope()), 2, "[{}]", tb.label);
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn unsettled_jobs_come_back_when_the_consumer_is_gone() {
    for tb in TestBroker::all() {
        let jobs = tb.jobs();
        let sent = jobs.enqueue(Work { n: 7 }).await.unwrap();
        let mut deliveries = tb.broker.consume(Work::NAME, 5).await.unwrap();
        let delivery = take(&tb, &mut deliveries).await;
        assert_eq!(delivery.envelope().id, sent.id);
        // A crashed worker: neither settled nor kept.
        drop(delivery);
        drop(deliveries);
        let mut again = tb.broker.consume(Work::NAME, 5).await.unwrap();
        let redelivered = take(&tb, &mut again).await;
        assert_eq!(redelivered.envelope().id, sent.id, "[{}]", tb.label);
        assert_eq!(redelivered.envelope().attempts, 0);
        redelivered.ack().await.unwrap();
        drop(again);
        wait_stats(&tb, Work::NAME, 0, 0).await;
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn delayed_jobs_and_retries_wait_their_time() {
    for tb in TestBroker::all() {
        let jobs = tb.jobs();
        let delay = Duration::from_millis(1234);
        let t0 = Instant::now();
        let options = EnqueueOptions {
            delay: Some(delay),
            ..EnqueueOptions::default()
        };
        jobs.enqueue_with(Work { n: 1 }, options).await.unwrap();
        let mut deliveries = tb.broker.consume(Work::NAME, 5).await.unwrap();
        let delivery = take(&tb, &mut deliveries).await;
        let waited = t0.elapsed();
        assert!(waited >= delay, "[{}] delivered after {waited:?}", tb.label);
        assert!(
            waited < delay + Duration::from_secs(2),
            "[{}] {waited:?}",
            tb.label
        );

        let mut envelope = delivery.envelope().clone();
        envelope.attempts = 1;
        envelope.last_error = Some("try again".into());
        let t1 = Instant::now();
        delivery
            .retry(envelope, Duration::from_millis(200))
            .await
            .unwrap();
        let retried = take(&tb, &mut deliveries).await;
        assert!(t1.elapsed() >= Duration::from_millis(200), "[{}]", tb.label);
        assert_eq!(retried.envelope().attempts, 1);
        assert_eq!(retried.envelope().last_error.as_deref(), Some("try again"));
        retried.ack().await.unwrap();
        drop(deliveries);
        tb.finish::<Work>().await;
    }
}

#[actix_rt::test]
async fn dead_jobs_are_listed_without_loss_and_settled_by_id() {
    for tb in TestBroker::all() {
        let jobs = tb.jobs();
        for n in 0..3 {
            jobs.enqueue(Work { n }).await.unwrap();
        }
        let mut deliveries = tb.broker.consume(Work::NAME, 5).await.unwrap();
        for _ in 0..3 {
            let delivery = take(&tb, &mut deliveries).await;
            let mut envelope = delivery.envelope().clone();
            envelope.attempts = 3;
            envelope.last_error = Some(format!("gave up on {}", n(&envelope)));
            delivery.dead_letter(envelope).await.unwrap();
        }
        drop(deliveries);
        wait_stats(&tb, Work::NAME, 0, 3).await;

        // Browsing twice shows the same jobs, in order: nothing taken.
        let dead = tb.broker.dead_jobs(Work::NAME).await.unwrap();
        let again = tb.broker.dead_jobs(Work::NAME).await.unwrap();
        assert_eq!(dead, again, "[{}]", tb.label);
        let errors: Vec<_> = dead.iter().filter_map(|j| j.last_error.clone()).collect();
        assert_eq!(
            errors,
            ["gave up on 0", "gave up on 1", "gave up on 2"],
            "[{}]",
            tb.label
        );

        let unknown = uuid::Uuid::new_v4();
        assert!(
            !tb.broker
                .settle_dead(Work::NAME, unknown, true)
                .await
                .unwrap()
        );
        assert!(
            tb.broker
                .settle_dead(Work::NAME, dead[0].id, false)
                .await
                .unwrap()
        );
        assert!(
            tb.broker
                .settle_dead(Work::NAME, dead[1].id, true)
                .await
                .unwrap()
        );
        assert!(
            !tb.broker
                .settle_dead(Work::NAME, dead[1].id, true)
                .await
                .unwrap()
        );
        wait_stats(&tb, Work::NAME, 1, 1).await;
        let left = tb.broker.dead_jobs(Work::NAME).await.unwrap();
        assert_eq!(left.iter().map(|j| j.id).collect::<Vec<_>>(), [dead[2].id]);

        let mut deliveries = tb.broker.consume(Work::NAME, 5).await.unwrap();
        let requeued = take(&tb, &mut deliveries).await;
        assert_eq!(requeued.envelope().id, dead[1].id, "[{}]", tb.label);
        assert_eq!(requeued.envelope().attempts, 0, "attempts start over");
        requeued.ack().await.unwrap();
        drop(deliveries);
        tb.finish::<Work>().await;
    }
}
