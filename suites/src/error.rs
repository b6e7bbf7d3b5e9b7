use std::path::PathBuf;

use thiserror::Error;

/// A suite file that cannot be used, with where and why.
#[derive(Debug, Error)]
pub enum SuiteError {
    #[error("{path}: cannot read the suite file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Invalid content: `path:line:column: key: message`, then a hint when one helps.
    #[error("{path}:{line}:{column}: {key}: {message}{}", hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        key: String,
        message: String,
        hint: Option<String>,
    },
}
