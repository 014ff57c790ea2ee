//! parwf: run LLM governance reviews of design documents in parallel, from inside git.

pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod coordinator;
pub mod discover;
pub mod error;
pub mod provider;
pub mod report;
pub mod timefmt;
pub mod workflow;
pub mod writeback;
