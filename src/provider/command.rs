//! The `command` provider: any CLI that reads the prompt on stdin and prints the review on
//! stdout, run through `sh -c` in the repo root with a timeout.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::secret::Secret;
use super::{ProviderError, Reply, Request, MAX_ANSWER_BYTES};

/// Exit status a command uses to say "try again later" (EX_TEMPFAIL): retried like a 5xx.
pub const TEMPFAIL: i32 = 75;

/// `provider.command` and how to run it.
#[derive(Debug)]
pub struct CommandProvider {
    pub command: String,
    pub model: String,
    pub timeout: Duration,
    pub workdir: PathBuf,
    /// Environment variables the command must not see (the one holding the notes key: a
    /// review tool has no business with what makes CI's verdicts unforgeable).
    pub hidden_env: Vec<String>,
}

/// Kills the command's whole process group when the call ends early (timeout, Ctrl+C), so a
/// pipeline under `sh -c` does not outlive it.
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl CommandProvider {
    /// Runs the command once. The key (when keys are configured) is passed in `PARWF_API_KEY`,
    /// never on the command line.
    pub async fn complete(&self, req: &Request, key: &Secret) -> Result<Reply, ProviderError> {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c")
            .arg(&self.command)
            .current_dir(&self.workdir)
            .env("PARWF_TASK", req.task.name())
            .env("PARWF_MODEL", &self.model)
            .env("PARWF_DOC_ID", &req.doc_id)
            .env("PARWF_DOC_PATH", &req.doc_path)
            .env("PARWF_KEY_LABEL", key.label())
            .env_remove("PARWF_API_KEY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for name in &self.hidden_env {
            cmd.env_remove(name);
        }
        if !key.expose().is_empty() {
            cmd.env("PARWF_API_KEY", key.expose());
        }
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd.spawn().map_err(|e| {
            ProviderError::Fatal(format!("cannot run provider.command with sh: {e}"))
        })?;
        let mut guard = GroupGuard(child.id());
        if let Some(mut stdin) = child.stdin.take() {
            let prompt = req.prompt.clone();
            // A command that does not read its stdin is fine: ignore the broken pipe.
            tokio::spawn(async move {
                let _ = stdin.write_all(prompt.as_bytes()).await;
            });
        }
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let run = async {
            // An answer past the cap ends the call at once (the guard kills the command);
            // stderr is only ever needed for its last line.
            let (stdout, stderr) =
                tokio::try_join!(read_answer(stdout), async { Ok(read_tail(stderr).await) })?;
            let status = child
                .wait()
                .await
                .map_err(|e| ProviderError::Fatal(format!("provider.command failed: {e}")))?;
            Ok::<_, ProviderError>((status, stdout, stderr))
        };
        let (status, stdout, stderr) = match tokio::time::timeout(self.timeout, run).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(ProviderError::Transient(format!(
                    "provider.command gave no answer within {}s (timeout_s)",
                    self.timeout.as_secs()
                )))
            }
        };
        guard.0 = None;
        let stderr = String::from_utf8_lossy(&stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("(no output on stderr)")
            .trim();
        let last = match last.char_indices().nth(300) {
            Some((i, _)) => format!("{}…", &last[..i]),
            None => last.to_string(),
        };
        if !status.success() {
            let msg = match status.code() {
                Some(code) => format!("provider.command exited with status {code}: {last}"),
                None => format!("provider.command was killed by a signal: {last}"),
            };
            return Err(if status.code() == Some(TEMPFAIL) {
                ProviderError::Transient(msg)
            } else {
                ProviderError::Fatal(msg)
            });
        }
        let text = String::from_utf8_lossy(&stdout).into_owned();
        if text.trim().is_empty() {
            return Err(ProviderError::Fatal(format!(
                "provider.command printed nothing on stdout: {last}"
            )));
        }
        Ok(Reply::text(text))
    }
}

/// The command's stdout, up to [`MAX_ANSWER_BYTES`]; an error past that.
async fn read_answer(out: Option<tokio::process::ChildStdout>) -> Result<Vec<u8>, ProviderError> {
    let mut bytes = Vec::new();
    if let Some(out) = out {
        out.take(MAX_ANSWER_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| ProviderError::Fatal(format!("provider.command failed: {e}")))?;
    }
    if bytes.len() > MAX_ANSWER_BYTES {
        return Err(ProviderError::Fatal(format!(
            "provider.command printed more than {} MiB on stdout: not read (parwf reads at most that much of an answer)",
            MAX_ANSWER_BYTES / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// The end of the command's stderr (its last 64 KiB), read to the end so the command never
/// blocks on a full pipe.
async fn read_tail(err: Option<tokio::process::ChildStderr>) -> Vec<u8> {
    const KEEP: usize = 64 * 1024;
    let mut tail = Vec::new();
    let Some(mut err) = err else {
        return tail;
    };
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n @ 1..) = err.read(&mut buf).await {
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > 2 * KEEP {
            tail.drain(..tail.len() - KEEP);
        }
    }
    tail
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::model::WorkflowKind;
    use crate::provider::Task;

    fn provider(command: &str, timeout_ms: u64) -> CommandProvider {
        CommandProvider {
            command: command.into(),
            model: "m1".into(),
            timeout: Duration::from_millis(timeout_ms),
            workdir: std::env::temp_dir(),
            hidden_env: Vec::new(),
        }
    }

    fn req() -> Request {
        Request {
            task: Task::Review(WorkflowKind::Lld),
            prompt: "the prompt\n".into(),
            document: String::new(),
            findings: Vec::new(),
            doc_id: "LLD-1".into(),
            doc_path: "docs/lld/LLD-1.md".into(),
        }
    }

    #[tokio::test]
    async fn prompt_in_review_out_key_in_env() {
        let key = Secret::new("key-1", "k-123");
        let p = provider(
            r#"read line; echo "$line|$PARWF_TASK|$PARWF_MODEL|$PARWF_DOC_ID|$PARWF_DOC_PATH|$PARWF_API_KEY""#,
            5000,
        );
        let r = p.complete(&req(), &key).await.unwrap();
        assert_eq!(
            r.text,
            "the prompt|review-lld|m1|LLD-1|docs/lld/LLD-1.md|k-123\n"
        );
        // The keyless pseudo-key sets no PARWF_API_KEY.
        let none = Secret::new("command", "");
        let r = p.complete(&req(), &none).await.unwrap();
        assert_eq!(
            r.text,
            "the prompt|review-lld|m1|LLD-1|docs/lld/LLD-1.md|\n"
        );
    }

    #[tokio::test]
    async fn failures_timeouts_and_tempfail() {
        let key = Secret::new("key-1", "");
        let e = provider("echo warming up >&2; echo 'quota gone' >&2; exit 3", 5000)
            .complete(&req(), &key)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ProviderError::Fatal(m) if m == "provider.command exited with status 3: quota gone"),
            "{e:?}"
        );
        let e = provider("echo busy >&2; exit 75", 5000)
            .complete(&req(), &key)
            .await
            .unwrap_err();
        assert!(matches!(e, ProviderError::Transient(_)), "{e:?}");
        let t = std::time::Instant::now();
        let e = provider("sleep 5 | cat", 200)
            .complete(&req(), &key)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ProviderError::Transient(m) if m.contains("within")),
            "{e:?}"
        );
        assert!(t.elapsed() < Duration::from_secs(3));
        let e = provider("cat >/dev/null", 5000)
            .complete(&req(), &key)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("printed nothing"), "{e}");
    }

    #[tokio::test]
    async fn enormous_output_is_cut_off_at_the_cap() {
        let key = Secret::new("key-1", "");
        let t = std::time::Instant::now();
        let e = provider("head -c 50000000 /dev/zero | tr '\\0' x", 10_000)
            .complete(&req(), &key)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ProviderError::Fatal(m) if m.starts_with("provider.command printed more than 4 MiB on stdout")),
            "{e:?}"
        );
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        // Megabytes on stderr: only its last line is told, and only its start.
        let e = provider(
            "head -c 20000000 /dev/zero >&2; echo >&2; echo 'the real error' >&2; exit 3",
            10_000,
        )
        .complete(&req(), &key)
        .await
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "provider.command exited with status 3: the real error"
        );
        let e = provider("head -c 100000 /dev/zero | tr '\\0' y >&2; exit 3", 10_000)
            .complete(&req(), &key)
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.ends_with("yyy…") && msg.chars().count() < 400,
            "{msg:.500}"
        );
    }
}
