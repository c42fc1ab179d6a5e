//! Standard output: the one line a script needs (the report's path) or `validate`'s summary. A closed
//! pipe (`custseg validate | head`) ends the command quietly with exit 0, as ripgrep and xsv do; any
//! other write error (a full disk) is reported and exits 1.

use std::io::Write;

/// Standard output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum StdoutError {
    /// The reader went away: not an error (exit 0, nothing printed).
    #[error("standard output was closed")]
    Closed,
    #[error("writing to standard output: {0}")]
    Failed(std::io::Error),
}

/// Writes `text` to standard output and flushes it.
pub fn print(text: &str) -> Result<(), StdoutError> {
    let text = crate::format::visible(text);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => StdoutError::Closed,
        _ => StdoutError::Failed(e),
    })
}
