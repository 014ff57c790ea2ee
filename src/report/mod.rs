//! Everything the user sees: live progress on stderr, results on stdout.

pub mod progress;
pub mod summary;
