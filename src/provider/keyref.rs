//! Key references (`env:NAME`, `file:PATH`, `cmd:COMMAND`) resolved into labelled [`Secret`]s at
//! the start of a run. Errors name the reference, never what it resolved to.

use std::path::Path;
use std::process::{Command, Stdio};

use super::secret::Secret;

/// The pool's keys and anything worth a warning.
#[derive(Debug, Default)]
pub struct Resolved {
    pub keys: Vec<Secret>,
    pub warnings: Vec<String>,
}

/// Why a reference gave no key: the message and a hint, neither containing key text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRefError {
    pub msg: String,
    pub hint: String,
}

/// Where resolution looks things up (passed in so tests need no process environment).
pub struct Lookup<'a> {
    /// An environment variable's value.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// `file:` paths and `cmd:` commands are relative to this directory (the repo root).
    pub base: &'a Path,
}

/// Resolves `refs` (from config key `setting`, e.g. `provider.keys`) in order; keys are
/// labelled `{prefix}1`, `{prefix}2`… in pool order. A key met twice is used once.
pub fn resolve(
    refs: &[String],
    setting: &str,
    prefix: &str,
    lookup: &Lookup<'_>,
) -> Result<Resolved, KeyRefError> {
    let mut out = Resolved::default();
    let mut texts: Vec<String> = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let entry = i + 1;
        let found = one(r, setting, entry, lookup, &mut out.warnings)?;
        if found
            .iter()
            .any(|k| k.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(KeyRefError {
                msg: format!("{setting} entry {entry}: a key contains spaces or control characters"),
                hint: "put one key a line, with nothing else on it (comments on their own lines, starting with #)".into(),
            });
        }
        for text in found {
            if texts.contains(&text) {
                out.warnings.push(format!(
                    "{setting} entry {entry} repeats a key already in the pool: it is used once"
                ));
                continue;
            }
            texts.push(text);
        }
    }
    out.keys = texts
        .into_iter()
        .enumerate()
        .map(|(i, t)| Secret::new(format!("{prefix}{}", i + 1), t))
        .collect();
    Ok(out)
}

const HINT: &str = "keys are references: \"env:NAME\" (a variable that is set), \"file:PATH\" (one key a line, # comments) or \"cmd:COMMAND\" (prints keys on stdout)";

fn one(
    r: &str,
    setting: &str,
    entry: usize,
    lookup: &Lookup<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, KeyRefError> {
    let err = |msg: String| KeyRefError {
        msg: format!("{setting} entry {entry}: {msg}"),
        hint: HINT.to_string(),
    };
    if let Some(name) = r.strip_prefix("env:") {
        let name = name.trim();
        return match (lookup.env)(name) {
            Some(v) if !v.trim().is_empty() => Ok(vec![v.trim().to_string()]),
            Some(_) => Err(err(format!("environment variable {name} is empty"))),
            None => Err(err(format!("environment variable {name} is not set"))),
        };
    }
    if let Some(path) = r.strip_prefix("file:") {
        let path = path.trim();
        let full = match path.strip_prefix("~/") {
            Some(rest) => match (lookup.env)("HOME") {
                Some(home) => Path::new(&home).join(rest),
                None => return Err(err(format!("cannot expand {path}: HOME is not set"))),
            },
            None => lookup.base.join(path),
        };
        let text = std::fs::read_to_string(&full)
            .map_err(|e| err(format!("cannot read keys file {path}: {}", io_reason(&e))))?;
        let keys = lines(&text);
        if keys.is_empty() {
            return Err(err(format!("keys file {path} holds no key")));
        }
        if let Some(w) = loose_permissions(&full) {
            warnings.push(format!("keys file {path} {w}"));
        }
        return Ok(keys);
    }
    if let Some(command) = r.strip_prefix("cmd:") {
        // The command text is not echoed: someone may have written a key into it.
        let out = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(lookup.base)
            .stdin(Stdio::inherit())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| err(format!("cannot run its command: {}", io_reason(&e))))?;
        if !out.status.success() {
            let how = out
                .status
                .code()
                .map_or("was killed by a signal".to_string(), |c| {
                    format!("exited with status {c}")
                });
            return Err(err(format!("its command {how}")));
        }
        let keys = lines(&String::from_utf8_lossy(&out.stdout));
        if keys.is_empty() {
            return Err(err("its command printed no key".into()));
        }
        return Ok(keys);
    }
    Err(err("is not a key reference".into()))
}

/// One key a line; blank lines and `#` comments skipped.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.kind().to_string(),
    }
}

#[cfg(unix)]
fn loose_permissions(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0)
        .then(|| format!("is readable by other users (mode {mode:o}); `chmod 600` it"))
}

#[cfg(not(unix))]
fn loose_permissions(_: &Path) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(refs: &[&str], env: &[(&str, &str)], base: &Path) -> Result<Resolved, KeyRefError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let get = move |n: &str| env.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let refs: Vec<String> = refs.iter().map(|s| s.to_string()).collect();
        resolve(&refs, "provider.keys", "key-", &Lookup { env: &get, base })
    }

    #[test]
    fn env_file_and_cmd_in_pool_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("keys.txt"),
            "# team keys\nsk-file-1\n\n  sk-file-2  \n# old: sk-x\nsk-file-3\n",
        )
        .unwrap();
        let r = run(
            &[
                "env:K1",
                "file:keys.txt",
                "cmd:printf 'sk-cmd-1\\n\\nsk-cmd-2\\n'",
            ],
            &[("K1", "sk-env-1\n")],
            dir.path(),
        )
        .unwrap();
        let got: Vec<(&str, &str)> = r.keys.iter().map(|k| (k.label(), k.expose())).collect();
        assert_eq!(
            got,
            [
                ("key-1", "sk-env-1"),
                ("key-2", "sk-file-1"),
                ("key-3", "sk-file-2"),
                ("key-4", "sk-file-3"),
                ("key-5", "sk-cmd-1"),
                ("key-6", "sk-cmd-2"),
            ]
        );
    }

    #[test]
    fn failures_name_the_reference_never_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let e = run(&["env:K1", "env:NOPE"], &[("K1", "a")], dir.path()).unwrap_err();
        assert_eq!(
            e.msg,
            "provider.keys entry 2: environment variable NOPE is not set"
        );
        let e = run(&["file:missing.txt"], &[], dir.path()).unwrap_err();
        assert!(
            e.msg
                .contains("cannot read keys file missing.txt: no such file"),
            "{e:?}"
        );
        let e = run(&["cmd:echo sk-leaky-123; exit 4"], &[], dir.path()).unwrap_err();
        assert_eq!(
            e.msg,
            "provider.keys entry 1: its command exited with status 4"
        );
        assert!(!format!("{e:?}").contains("sk-leaky"));
        std::fs::write(dir.path().join("two"), "sk-a sk-b\n").unwrap();
        let e = run(&["file:two"], &[], dir.path()).unwrap_err();
        assert!(e.msg.contains("spaces"), "{e:?}");
        assert!(!format!("{e:?}").contains("sk-a"));
        std::fs::write(dir.path().join("empty"), "# nothing\n\n").unwrap();
        let e = run(&["file:empty"], &[], dir.path()).unwrap_err();
        assert!(e.msg.contains("holds no key"), "{e:?}");
        assert!(e.hint.contains("env:NAME"));
    }

    #[test]
    fn repeated_keys_are_used_once_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            &["env:A", "env:B"],
            &[("A", "same"), ("B", "same")],
            dir.path(),
        )
        .unwrap();
        assert_eq!(r.keys.len(), 1);
        assert!(
            r.warnings[0].contains("entry 2 repeats"),
            "{:?}",
            r.warnings
        );
    }
}
