//! Whether a word someone typed is a typo of a name (a command's, for "did you mean"): case
//! aside, a few edits away or a prefix of it.

/// How far `word` is from `name`, when it is close enough to be a typo of it: one edit (two
/// for names of five letters or more), or a prefix of at least three letters (distance 0).
pub fn distance(word: &str, name: &str) -> Option<usize> {
    let word = word.to_ascii_lowercase();
    if word.len() >= 3 && name.starts_with(&word) {
        return Some(0);
    }
    let d = edit_distance(&word, name);
    let allowed = if name.len() >= 5 { 2 } else { 1 };
    (d <= allowed).then_some(d)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbours (`stauts` → `status` is one edit) each count one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_of_command_names_are_close_and_document_names_are_not() {
        assert_eq!(edit_distance("stauts", "status"), 1);
        assert_eq!(distance("stauts", "status"), Some(1));
        assert_eq!(distance("shwo", "show"), Some(1));
        assert_eq!(distance("install-hooks", "install-hook"), Some(1));
        assert_eq!(distance("stat", "status"), Some(0));
        assert_eq!(distance("Status", "status"), Some(0));
        assert_eq!(distance("cache", "clean"), None);
        assert_eq!(distance("LLD-042-cache.md", "clean"), None);
        assert_eq!(distance("ru", "run"), Some(1));
        assert_eq!(distance("x", "run"), None);
    }
}
