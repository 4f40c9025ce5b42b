//! The edits `apiarist new service` makes to the workspace's shared files, each a
//! pure function from the file's text to its new text, so they are checked before
//! anything is written and can be tested on strings.

pub mod cargo;
pub mod dockerfile;
pub mod gateway;
pub mod yaml;

use std::fmt;

/// An edit that cannot be made: the file and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError {
    /// The file (relative to the workspace root).
    pub file: String,
    /// What is wrong.
    pub reason: String,
}

impl EditError {
    /// An error about `file`.
    pub fn new(file: &str, reason: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.reason)
    }
}

impl std::error::Error for EditError {}
