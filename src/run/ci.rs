//! CI cannot be talked out of its verdict: the repository config (and the prompts it names)
//! come from the base revision's commit, which passed the team's review, never from the work
//! tree of the branch under review.

use std::path::Path;

use git2::{ObjectType, Oid, Repository, Tree};

use crate::config::{Committed, ConfigInputs};
use crate::discover::{self, Selection};
use crate::error::Error;
use crate::workflow::prompts::FILES;
use crate::workspace::Workspace;

/// The repository config CI uses.
#[derive(Debug, Clone)]
pub struct BaseConfig {
    /// The base revision's commit (hex), when the selection has one.
    pub commit: Option<String>,
    /// The line that says which config is used, for stderr.
    pub notice: String,
}

fn git(what: &'static str) -> impl Fn(git2::Error) -> Error {
    move |e| Error::Git {
        what,
        msg: e.message().to_string(),
    }
}

/// The tree of the base revision's `commit`.
fn base_tree(repo: &Repository, commit: Oid) -> Result<Tree<'_>, Error> {
    repo.find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(git("cannot read the base revision"))
}

/// A file's text in `tree`; `None` when the path is absent there.
fn committed_text(
    repo: &Repository,
    tree: &Tree<'_>,
    path: &Path,
) -> Result<Option<String>, Error> {
    let entry = match tree.get_path(path) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(git("cannot read the base revision")(e)),
    };
    if entry.kind() != Some(ObjectType::Blob) {
        return Ok(None);
    }
    let blob = repo
        .find_blob(entry.id())
        .map_err(git("cannot read the base revision"))?;
    String::from_utf8(blob.content().to_vec())
        .map(Some)
        .map_err(|_| {
            Error::usage(
                format!("{} in the base revision is not UTF-8 text", path.display()),
                "commit a UTF-8 .parwf.toml (and prompts) on the base branch",
            )
        })
}

/// Replaces the repository layer of `inputs` by the `.parwf.toml` committed on the base
/// revision of `selection` (none at all when it has no base: `--all`, explicit paths).
pub fn use_base_config(
    ws: &Workspace,
    selection: &Selection,
    inputs: &mut ConfigInputs,
) -> Result<BaseConfig, Error> {
    let Some((label, commit)) = discover::base_revision(ws, selection)? else {
        inputs.committed = Some(Committed {
            rev: "none".into(),
            text: None,
        });
        return Ok(BaseConfig {
            commit: None,
            notice: "[PARWF] CI: no base revision (--all or paths): the repository's .parwf.toml is not read; pass --since REV to use the base branch's committed config".into(),
        });
    };
    let hex = commit.to_string();
    let short = hex[..12].to_string();
    let tree = base_tree(ws.repo(), commit)?;
    let text = committed_text(ws.repo(), &tree, Path::new(".parwf.toml"))?;
    let notice = match &text {
        Some(_) => format!(
            "[PARWF] CI: repository config from .parwf.toml at {short} ({label}), not from the work tree"
        ),
        None => format!(
            "[PARWF] CI: {short} ({label}) has no .parwf.toml: the work tree's is not read"
        ),
    };
    inputs.committed = Some(Committed { rev: short, text });
    Ok(BaseConfig {
        commit: Some(hex),
        notice,
    })
}

/// The prompt files of `prompts_dir` as committed on `commit` (`None` for each file the
/// directory does not have); an error when the directory is not there.
pub fn committed_prompts(
    ws: &Workspace,
    commit: &str,
    prompts_dir: &str,
) -> Result<[Option<String>; 3], Error> {
    let repo = ws.repo();
    let oid = Oid::from_str(commit).map_err(git("cannot read the base revision"))?;
    let dir = Path::new(prompts_dir.trim_end_matches('/'));
    let tree = base_tree(repo, oid)?;
    let is_dir = tree
        .get_path(dir)
        .is_ok_and(|e| e.kind() == Some(ObjectType::Tree));
    if !is_dir {
        return Err(Error::usage(
            format!(
                "prompts_dir `{prompts_dir}` is not a directory in the base revision {}",
                &commit[..12]
            ),
            "in CI the prompts are read from the base revision: commit them there, or unset prompts_dir",
        ));
    }
    let mut out: [Option<String>; 3] = Default::default();
    for (slot, name) in out.iter_mut().zip(FILES) {
        *slot = committed_text(repo, &tree, &dir.join(name))?;
    }
    Ok(out)
}
