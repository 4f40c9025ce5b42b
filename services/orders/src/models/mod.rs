//! The orders service's data: orders and the notifications about them.

pub mod notification;
pub mod order;
mod queries;

pub use queries::{
    REPLAY_LIMIT, changed_after, confirm, find, insert, notifications, record_notification,
};
