//! parwf: run LLM governance reviews of design documents in parallel, from inside git.
//!
//! The data path (see ARCHITECTURE.md): [`discover`] finds the documents, [`run`] plans and
//! drives a run, [`workflow`] reviews one item through the [`coordinator`] and a
//! [`provider`], [`writeback`] puts results into git, [`report`] shows them.

pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod coordinator;
pub mod demo;
pub mod digest;
pub mod discover;
pub mod env;
pub mod error;
pub mod exit;
pub mod hooks;
pub mod model;
pub mod provider;
pub mod records;
pub mod report;
pub mod run;
pub mod timefmt;
pub mod typo;
pub mod verdict;
pub mod workflow;
pub mod workspace;
pub mod writeback;
