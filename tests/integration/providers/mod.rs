//! Real providers against a local HTTP server speaking each API's real format.

mod fake;
mod formats;
mod keys;
mod pool;
mod redaction;
mod throughput;
