//! The in-process backend: one tokio broadcast channel per event name.

use std::{collections::HashMap, sync::Mutex};

use actix_web::web::Bytes;
use tokio::sync::broadcast;

use super::{EventError, SUBSCRIBER_BUFFER, Transport};
use crate::jobs::BoxFuture;

/// Events that never leave the process.
#[derive(Debug, Default)]
pub(super) struct MemoryTransport {
    topics: Mutex<HashMap<&'static str, broadcast::Sender<Bytes>>>,
}

impl MemoryTransport {
    fn sender(&self, name: &'static str) -> broadcast::Sender<Bytes> {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics
            .entry(name)
            .or_insert_with(|| broadcast::channel(SUBSCRIBER_BUFFER).0)
            .clone()
    }
}

impl Transport for MemoryTransport {
    fn publish(&self, name: &'static str, payload: Bytes) -> BoxFuture<'_, Result<(), EventError>> {
        // No receiver means no subscriber: nobody to tell, not a failure.
        let _ = self.sender(name).send(payload);
        Box::pin(std::future::ready(Ok(())))
    }

    fn subscribe(
        &self,
        name: &'static str,
    ) -> BoxFuture<'_, Result<broadcast::Receiver<Bytes>, EventError>> {
        let receiver = self.sender(name).subscribe();
        Box::pin(std::future::ready(Ok(receiver)))
    }

    fn ready(&self) -> BoxFuture<'_, Result<(), EventError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

    fn delete(&self, _: &'static str) -> BoxFuture<'_, Result<(), EventError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn describe(&self) -> &'static str {
        "in-process"
    }
}
