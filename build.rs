//! Embeds `fixtures/demo/{main,branch}` into the binary for `parwf demo`.

use std::fmt::Write as _;
use std::path::Path;

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(root, &p, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.push((
                rel,
                p.canonicalize().unwrap_or(p.clone()).display().to_string(),
            ));
        }
    }
}

fn main() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    println!("cargo:rerun-if-changed={}", base.display());
    let mut code = String::from("/// (tree, repo-relative path, text) of every demo fixture.\npub const DEMO_FILES: &[(&str, &str, &str)] = &[\n");
    for tree in ["main", "branch"] {
        let mut files = Vec::new();
        walk(&base.join(tree), &base.join(tree), &mut files);
        for (rel, abs) in files {
            let _ = writeln!(code, "    ({tree:?}, {rel:?}, include_str!({abs:?})),");
        }
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("demo_files.rs");
    std::fs::write(out, code).expect("write demo_files.rs");
}
