//! Git histories of thousands of commits in seconds: commits are written as one
//! `git fast-import` stream instead of one `git commit` each.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// A commit in the stream, to name as a parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(usize);

/// A `git fast-import` stream under construction.
#[derive(Debug)]
pub struct FastImport {
    committer: String,
    stream: String,
    marks: usize,
}

impl FastImport {
    /// A stream whose commits are all by `committer` (`Name <email>`).
    pub fn new(committer: &str) -> FastImport {
        FastImport {
            committer: committer.to_string(),
            stream: String::new(),
            marks: 0,
        }
    }

    /// Adds a commit on `branch`, at `time` (seconds since the epoch, UTC), on top of `parent`
    /// (none: a root commit, or the branch's tip earlier in this stream), writing `files`
    /// (path, text).
    pub fn commit<P: AsRef<str>, T: AsRef<str>>(
        &mut self,
        branch: &str,
        time: i64,
        message: &str,
        parent: Option<Mark>,
        files: &[(P, T)],
    ) -> Mark {
        self.marks += 1;
        let s = &mut self.stream;
        let _ = write!(
            s,
            "commit refs/heads/{branch}\nmark :{}\ncommitter {} {time} +0000\ndata {}\n{message}\n",
            self.marks,
            self.committer,
            message.len()
        );
        if let Some(Mark(p)) = parent {
            let _ = writeln!(s, "from :{p}");
        }
        for (path, text) in files {
            let (path, text) = (path.as_ref(), text.as_ref());
            let _ = write!(s, "M 100644 inline {path}\ndata {}\n{text}\n", text.len());
        }
        Mark(self.marks)
    }

    /// Feeds the stream to `git fast-import` in `dir` (an initialised repository); `env`
    /// prepares the command (a hermetic environment).
    pub fn import(self, dir: &Path, env: impl FnOnce(&mut Command)) -> std::io::Result<()> {
        let mut cmd = Command::new("git");
        cmd.args(["fast-import", "--quiet"])
            .current_dir(dir)
            .stdin(Stdio::piped());
        env(&mut cmd);
        let mut child = cmd.spawn()?;
        child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("git fast-import has no stdin"))?
            .write_all(self.stream.as_bytes())?;
        let status = child.wait()?;
        if status.success() {
            Ok(())
        } else {
            Err(std::io::Error::other(format!("git fast-import: {status}")))
        }
    }
}
