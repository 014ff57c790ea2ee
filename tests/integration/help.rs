//! `--help`, unknown flags and `parwf man`.

use crate::support::exit::{self, assert_exit};
use crate::support::{stdout, Repo};

#[test]
fn help_explains_and_unknown_flags_exit_2() {
    let repo = Repo::new();
    let out = repo.parwf(&["--help"]);
    assert_exit(&out, exit::OK);
    insta::assert_snapshot!("help", stdout(&out));
    let out = repo.parwf(&["--frobnicate"]);
    assert_exit(&out, exit::USAGE);
}

#[test]
fn man_pages_are_generated_for_both_names() {
    let repo = Repo::new();
    let dir = repo.path().join("man");
    let out = repo.parwf(&["man", dir.to_str().expect("utf-8")]);
    assert_exit(&out, exit::OK);
    let page = std::fs::read_to_string(dir.join("git-parwf.1")).expect("git-parwf.1");
    assert!(page.contains(".TH git-parwf"), "{page}");
    assert!(page.contains("since"));
    assert!(dir.join("parwf.1").exists());
}
