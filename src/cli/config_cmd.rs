//! `parwf config show`.

use crate::config::{self, ConfigInputs};
use crate::error::{exit, Error};

/// Prints every effective value with its source; warnings go to stderr.
pub fn show(inputs: ConfigInputs) -> Result<i32, Error> {
    let loaded = config::load(&inputs)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    print!("{}", loaded.render());
    Ok(exit::OK)
}
