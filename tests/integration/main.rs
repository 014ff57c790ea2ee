//! The one integration test binary: real git repos in tempdirs, the real `parwf` binary.

mod support;

mod cli;
mod crash;
mod discover;
mod everyday;
mod hardening;
mod hook;
mod hostile;
mod props;
mod providers;
mod resume;
mod run;
mod writeback;
