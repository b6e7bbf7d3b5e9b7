//! Exit codes are the interface scripts rely on: 0 ok, 1 regression or failed benchmark,
//! 2 bad input, 3 environment (Docker or database unreachable).

use std::fmt;

/// The process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failed = 1,
    BadInput = 2,
    Environment = 3,
    /// Stopped by SIGINT or SIGTERM (128 + 2, the shell convention).
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub error: anyhow::Error,
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl CliError {
    pub fn bad_input(error: impl Into<anyhow::Error>) -> Self {
        Self {
            exit: Exit::BadInput,
            error: error.into(),
        }
    }

    pub fn environment(error: impl Into<anyhow::Error>) -> Self {
        Self {
            exit: Exit::Environment,
            error: error.into(),
        }
    }
}

/// Attaches an exit code to any error.
pub trait ExitContext<T> {
    fn or_bad_input(self) -> Result<T, CliError>;
    fn or_environment(self) -> Result<T, CliError>;
}

impl<T, E: Into<anyhow::Error>> ExitContext<T> for Result<T, E> {
    fn or_bad_input(self) -> Result<T, CliError> {
        self.map_err(CliError::bad_input)
    }

    fn or_environment(self) -> Result<T, CliError> {
        self.map_err(CliError::environment)
    }
}
