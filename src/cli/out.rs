//! The one way commands write to stdout and stderr. A reader that goes away (`parwf status |
//! head -1`) closes the pipe: the rest of the output is dropped quietly and the command keeps
//! its exit status, as ripgrep does, instead of panicking in `println!`.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::Error;

/// Set once stdout's reader has gone: later writes are skipped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout as it is; see [`print_bytes`].
pub fn print(text: &str) -> Result<(), Error> {
    print_bytes(text.as_bytes())
}

/// Writes `bytes` to stdout as they are (a generated man page or completion script). A closed
/// pipe is not an error; any other failure (a full disk behind `> file`) is, since the output
/// would be lost without a word.
pub fn print_bytes(bytes: &[u8]) -> Result<(), Error> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_all(bytes).and_then(|_| stdout.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(Error::file("write", "standard output", e)),
    }
}

/// Writes `text` and a newline to stdout; see [`print`].
pub fn println(text: &str) -> Result<(), Error> {
    print(&format!("{text}\n"))
}

/// Writes `text` and a newline to stderr. Nothing is left to tell when stderr itself is gone,
/// so failures are ignored.
pub fn eprintln(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

/// Writes `text` to stderr as it is; see [`eprintln`].
pub fn eprint(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
}

/// `println!` through [`println`]: formats a line for stdout and returns early on a write
/// error other than a closed pipe (so it needs a function returning `Result<_, Error>`).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::out::println(&format!($($arg)*))?
    };
}
pub(crate) use say;
