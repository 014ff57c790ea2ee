//! (c) Discovery on a generated history: `parwf --since REV --dry-run` against
//! `git diff --name-only` on the same range, for the whole branch and for a PR-sized range.

mod common;

fn main() -> std::process::ExitCode {
    common::main(|quick| {
        let (commits, docs) = if quick {
            (2_000, 1_000)
        } else {
            (10_000, 5_000)
        };
        common::discovery("(c) discovery", commits, docs)
    })
}
