//! The pre-commit framework's pre-push stage: pre-commit reads git's pre-push input itself and
//! hands its hooks an empty stdin, describing the push in PRE_COMMIT_* variables instead. This
//! turns the variables back into git's line, so the same gate runs.

use git2::Repository;

use super::DiscoverError;

const ZERO: &str = "0000000000000000000000000000000000000000";

/// The remote, its URL and the one pre-push line the variables describe.
#[derive(Debug, PartialEq, Eq)]
pub struct Push {
    pub remote: String,
    pub url: Option<String>,
    pub line: String,
}

/// Reads pre-commit's variables: PRE_COMMIT_REMOTE_NAME/URL/BRANCH, PRE_COMMIT_LOCAL_BRANCH,
/// and PRE_COMMIT_FROM_REF/TO_REF (absent when the whole history is new). A hand-run
/// `pre-commit run --hook-stage pre-push --from-ref A --to-ref B` sets only the refs.
pub fn push_from(
    var: impl Fn(&str) -> Option<String>,
    repo: &Repository,
) -> Result<Push, DiscoverError> {
    let var = |k: &str| var(k).filter(|v| !v.trim().is_empty());
    let (from, to) = (var("PRE_COMMIT_FROM_REF"), var("PRE_COMMIT_TO_REF"));
    let local_branch = var("PRE_COMMIT_LOCAL_BRANCH");
    if to.is_none() && local_branch.is_none() {
        return Err(DiscoverError::PreCommit {
            msg: "parwf hook pre-push-env: no push described (PRE_COMMIT_TO_REF and PRE_COMMIT_LOCAL_BRANCH are unset)".into(),
            hint: "it runs from the pre-commit framework's pre-push stage (pre-commit install --hook-type pre-push); for a plain git hook use parwf install-hook".into(),
        });
    }
    let resolve = |rev: &str| -> Result<String, DiscoverError> {
        repo.revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id().to_string())
            .map_err(|_| DiscoverError::PreCommit {
                msg: format!("parwf hook pre-push-env: `{rev}` is not a commit in this repository"),
                hint: "PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF name the pushed range".into(),
            })
    };
    let local_ref = local_branch.unwrap_or_else(|| "HEAD".to_string());
    let local_oid = resolve(to.as_deref().unwrap_or(&local_ref))?;
    let remote = var("PRE_COMMIT_REMOTE_NAME");
    let remote_branch = var("PRE_COMMIT_REMOTE_BRANCH");
    // A branch the remote has not got (no remote-tracking ref for it) is pushed as new, as
    // git would say: the hook then compares it with the remote's default branch, as its own
    // hook does, rather than with pre-commit's parent of the first unpushed commit.
    let new_branch = match (&remote, &remote_branch) {
        (Some(r), Some(b)) => b.strip_prefix("refs/heads/").is_some_and(|name| {
            repo.find_reference(&format!("refs/remotes/{r}/{name}"))
                .is_err()
        }),
        _ => false,
    };
    // Otherwise the remote's old tip (or pre-commit's base). Absent: all of the history is
    // new to the remote.
    let remote_oid = match &from {
        Some(f) if !new_branch => resolve(f)?,
        _ => ZERO.to_string(),
    };
    let remote_ref = remote_branch.unwrap_or_else(|| {
        let branch = repo
            .head()
            .ok()
            .and_then(|h| h.shorthand().map(str::to_string))
            .unwrap_or_else(|| "HEAD".into());
        format!("refs/heads/{branch}")
    });
    Ok(Push {
        remote: remote.unwrap_or_else(|| "origin".into()),
        url: var("PRE_COMMIT_REMOTE_URL"),
        line: format!("{local_ref} {local_oid} {remote_ref} {remote_oid}\n"),
    })
}
