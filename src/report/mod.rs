//! Everything the user sees: live progress on stderr, results on stdout.

pub mod color;
pub mod github;
pub mod junit;
pub mod listing;
pub mod manpage;
pub mod markdown;
pub mod nothing;
pub mod progress;
pub mod refusal;
pub mod sarif;
pub mod setup;
pub mod status;
pub mod style;
pub mod summary;
pub mod table;
