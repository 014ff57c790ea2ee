//! The one integration test binary: real git repos in tempdirs, the real `parwf` binary, local
//! servers on 127.0.0.1. One module per command or concern; what they share is in `support`.

mod support;

mod config;
mod demo;
mod discover;
mod ecosystem;
mod everyday;
mod help;
mod hook;
mod install_hook;
mod providers;
mod real_models;
mod resume;
mod run;
mod state;
mod trust;
mod verdict;
mod writeback;
