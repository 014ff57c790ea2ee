//! Real providers against a local HTTP server speaking each API's real format.

pub mod fake;
mod formats;
mod keys;
mod pool;
mod redaction;
