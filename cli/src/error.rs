//! Everything the tool can fail at, each with a message that says what to do.

use std::{fmt, path::PathBuf};

use crate::{edit::EditError, name::InvalidName, probe::ProbeError};

/// A failed command.
#[derive(Debug)]
#[non_exhaustive]
pub enum CliError {
    /// The command line is wrong; the text says how.
    Usage(String),
    /// The service name is not acceptable.
    Name(InvalidName),
    /// The name (or port) is acceptable but already in use.
    Taken(String),
    /// No apiarist workspace was found from the working directory up.
    NoWorkspace(PathBuf),
    /// A shared file cannot be edited as it is.
    Edit(EditError),
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What happened.
        error: std::io::Error,
    },
    /// A probe found the service unhealthy or unreachable.
    Probe(ProbeError),
}

impl CliError {
    /// The process exit code: 2 for a wrong command line, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |error| CliError::Io { path, error }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(text) => f.write_str(text),
            CliError::Name(e) => e.fmt(f),
            CliError::Taken(text) => f.write_str(text),
            CliError::NoWorkspace(from) => write!(
                f,
                "no apiarist workspace (a Cargo.toml with [workspace] next to services/) \
                 in {} or above it; run this inside the repository",
                from.display()
            ),
            CliError::Edit(e) => write!(f, "cannot edit {e}"),
            CliError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            CliError::Probe(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CliError {}

impl From<InvalidName> for CliError {
    fn from(e: InvalidName) -> Self {
        CliError::Name(e)
    }
}

impl From<EditError> for CliError {
    fn from(e: EditError) -> Self {
        CliError::Edit(e)
    }
}

impl From<ProbeError> for CliError {
    fn from(e: ProbeError) -> Self {
        CliError::Probe(e)
    }
}
