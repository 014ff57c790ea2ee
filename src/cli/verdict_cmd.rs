//! `parwf verdict FILE|-`.

use std::io::Read;

use super::args::VerdictArgs;
use crate::error::Error;
use crate::exit::Exit;
use crate::verdict;

/// Parses one review text and prints the result as JSON.
pub fn verdict(args: &VerdictArgs) -> Result<Exit, Error> {
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
    // A Review is strings, numbers and enums: it always serializes.
    super::out::println(&serde_json::to_string_pretty(&review).unwrap_or_default())?;
    Ok(Exit::Ok)
}
