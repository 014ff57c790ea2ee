//! `parwf config show`.

use crate::config::{self, ConfigInputs};
use crate::error::Error;
use crate::exit::Exit;

/// Prints every effective value with its source; warnings go to stderr.
pub fn show(inputs: ConfigInputs) -> Result<Exit, Error> {
    let loaded = config::load(&inputs)?;
    for w in &loaded.warnings {
        super::out::eprintln(&format!("warning: {w}"));
    }
    super::out::print(&loaded.render())?;
    Ok(Exit::Ok)
}
