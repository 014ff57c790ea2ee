//! Real providers against local HTTP servers speaking each API's real format: 429s and their
//! headers, the key pool, key references, redaction, broken answers, the rate-limit parsers.

mod answers;
mod formats;
mod keys;
mod pool;
mod ratelimit_props;
mod redaction;
mod throughput;
