//! The one integration test binary: real git repos in tempdirs, the real `parwf` binary.

mod support;

mod cli;
mod discover;
mod providers;
mod run;
