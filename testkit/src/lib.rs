//! Helpers parwf's tests and benchmarks share, kept out of the product: a local HTTP server
//! that answers like a provider's API, and generated git histories of any size.

pub mod history;
pub mod http;
