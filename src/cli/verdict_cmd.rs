//! `parwf verdict FILE|-`.

use std::io::Read;

use super::args::VerdictArgs;
use crate::error::{exit, Error};
use crate::workflow::verdict;

/// Parses one review text and prints the result as JSON.
pub fn verdict(args: &VerdictArgs) -> Result<i32, Error> {
    let mut bytes = Vec::new();
    let read = if args.file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(&args.file).map(|b| bytes = b)
    };
    read.map_err(|e| {
        Error::usage(
            format!("cannot read {}: {e}", args.file.display()),
            "pass a review file, or - to read standard input",
        )
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let review = verdict::parse(&text);
    let json = serde_json::to_string_pretty(&review).map_err(|e| Error::Io(e.to_string()))?;
    println!("{json}");
    Ok(exit::OK)
}
