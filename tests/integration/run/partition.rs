//! `--partition count:M/N` and `hash:M/N`: shards that are disjoint and together complete,
//! through the binary and as properties of the parser and the schemes.

use std::collections::HashSet;

use parwf::discover::partition::{shard_of, Partition};
use proptest::prelude::*;

use crate::support::docs::{GOOD_LLD, SIM};
use crate::support::exit::{self, assert_exit, assert_exit_for};
use crate::support::{json, repo_with_branch, stderr, Repo};

const CASES: u32 = 256;

/// Twelve LLDs with different texts (the same text would share one cached verdict).
fn twelve_lld_repo() -> Repo {
    let docs: Vec<(String, String)> = (1..=12)
        .map(|i| {
            let text = format!("{GOOD_LLD}\nDocument {i}.\n");
            (format!("docs/lld/LLD-{i}-x.md"), text)
        })
        .collect();
    repo_with_branch(&docs)
}

/// `(id, state)` of each item `--dry-run --partition SPEC` lists.
fn shard(repo: &Repo, spec: &str) -> Vec<(String, String)> {
    let args = [
        "--since",
        "main",
        "--dry-run",
        "--format",
        "json",
        "--partition",
        spec,
    ];
    let out = repo.parwf_in(repo.path(), &args, SIM);
    assert_exit_for(spec, &out, exit::OK);
    json(&out)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let field = |k: &str| i[k].as_str().unwrap_or("?").to_string();
            (field("id"), field("state"))
        })
        .collect()
}

fn ids(items: &[(String, String)]) -> Vec<String> {
    items.iter().map(|(id, _)| id.clone()).collect()
}

#[test]
fn partitions_cover_every_item_exactly_once() {
    let repo = twelve_lld_repo();
    let mut all: Vec<String> = (1..=12).map(|i| format!("LLD-{i}")).collect();
    all.sort();
    for scheme in ["count", "hash"] {
        let mut seen: Vec<String> = Vec::new();
        let mut sizes = Vec::new();
        for m in 1..=3 {
            let shard_ids = ids(&shard(&repo, &format!("{scheme}:{m}/3")));
            sizes.push(shard_ids.len());
            seen.extend(shard_ids);
        }
        seen.sort();
        assert_eq!(seen, all, "{scheme}");
        if scheme == "count" {
            assert_eq!(sizes, [4, 4, 4], "count shards are balanced");
        } else {
            assert!(
                sizes.iter().all(|&n| n < 12),
                "a hash shard took everything"
            );
        }
    }
    // count deals the IDs in sorted order: LLD-1, LLD-10, LLD-11, LLD-12, LLD-2, …
    assert_eq!(
        ids(&shard(&repo, "count:1/3")),
        ["LLD-1", "LLD-12", "LLD-4", "LLD-7"]
    );
    let mut said = String::new();
    for bad in [
        "hash:0/3",
        "hash:4/3",
        "3",
        "hash:1/0",
        "count:0/3",
        "count:1",
        "rr:1/3",
    ] {
        let out = repo.parwf_in(
            repo.path(),
            &["--since", "main", "--dry-run", "--partition", bad],
            SIM,
        );
        assert_exit_for(bad, &out, exit::USAGE);
        said.push_str(&format!("$ parwf --partition {bad}\n{}", stderr(&out)));
    }
    insta::assert_snapshot!("bad_partitions", said);
}

/// The shards of `count:M/N` are numbered over every item found, cached or not: when one job
/// has already reviewed its shard, the other jobs still take exactly their own items.
#[test]
fn count_shards_keep_their_items_when_some_are_cached() {
    let repo = twelve_lld_repo();
    let before: Vec<Vec<(String, String)>> = (1..=3)
        .map(|m| shard(&repo, &format!("count:{m}/3")))
        .collect();
    for items in &before {
        assert!(items.iter().all(|(_, s)| s == "pending"), "{items:?}");
    }
    let out = repo.parwf_in(
        repo.path(),
        &["--since", "main", "--partition", "count:1/3"],
        SIM,
    );
    assert_exit(&out, exit::OK);
    let after: Vec<Vec<(String, String)>> = (1..=3)
        .map(|m| shard(&repo, &format!("count:{m}/3")))
        .collect();
    for m in 0..3 {
        assert_eq!(ids(&after[m]), ids(&before[m]), "shard {} moved", m + 1);
    }
    assert!(
        after[0].iter().all(|(_, s)| s == "cached"),
        "{:?}",
        after[0]
    );
    assert!(
        after[1].iter().all(|(_, s)| s == "pending"),
        "{:?}",
        after[1]
    );
}

/// `ids` reversed or rotated, by `seed`.
fn rotated<'a>(ids: &[&'a str], seed: u64) -> Vec<&'a str> {
    let mut v = ids.to_vec();
    if !v.is_empty() {
        let len = v.len();
        v.rotate_left((seed % len as u64) as usize);
    }
    if seed % 2 == 1 {
        v.reverse();
    }
    v
}

proptest! {
    // SHA-256 is slow unoptimised: fewer, smaller cases keep this under a second.
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// For any set of IDs in any order, any N and either scheme, the N shards are disjoint and
    /// together hold every ID; `count` shards differ in size by at most one.
    #[test]
    fn partition_shards_are_disjoint_and_complete(
        set in prop::collection::hash_set("[A-Za-z0-9_-]{1,64}", 0..48),
        n in 1u32..=16,
        scheme in prop_oneof![Just("count"), Just("hash")],
        seed in any::<u64>(),
    ) {
        // Each job may list the items in its own order; the shards must agree anyway.
        let ids: Vec<&str> = set.iter().map(String::as_str).collect();
        let shards: Vec<HashSet<&str>> = (1..=n)
            .map(|m| {
                let p = Partition::parse(&format!("{scheme}:{m}/{n}")).expect("valid spec");
                let mut mine = rotated(&ids, seed.wrapping_add(u64::from(m)));
                p.retain(&mut mine, |id| id);
                mine.into_iter().collect()
            })
            .collect();
        let total: usize = shards.iter().map(HashSet::len).sum();
        prop_assert_eq!(total, ids.len(), "an ID is in two shards or in none");
        let union: HashSet<&str> = shards.iter().flatten().copied().collect();
        prop_assert_eq!(union.len(), ids.len());
        if scheme == "count" {
            let sizes: Vec<usize> = shards.iter().map(HashSet::len).collect();
            let (min, max) = (sizes.iter().min(), sizes.iter().max());
            prop_assert!(max.zip(min).is_some_and(|(a, b)| a - b <= 1), "{:?}", sizes);
        }
        for id in &ids {
            prop_assert!((1..=n).contains(&shard_of(id, n)));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// Any `--partition` text parses or is refused with a one-line message; never a panic.
    #[test]
    fn partition_specs_never_panic(spec in prop_oneof![
        "\\PC{0,30}",
        ("(count|hash)", "\\PC{0,6}", "\\PC{0,6}").prop_map(|(s, m, n)| format!("{s}:{m}/{n}")),
        ("(count|hash)", any::<i64>(), any::<i64>()).prop_map(|(s, m, n)| format!("{s}:{m}/{n}")),
    ]) {
        match Partition::parse(&spec) {
            Ok(p) => {
                prop_assert!(p.index >= 1 && p.index <= p.count);
                prop_assert!(spec.starts_with(&format!("{}:", p.scheme.name())), "{}", spec);
            }
            Err(e) => {
                let e = e.to_string();
                prop_assert!(!e.contains(['\n', '\r']), "{}", e);
                prop_assert!(e.contains(":M/N") || e.contains("1 ≤ M ≤ N") || e.contains("whole number"), "{}", e);
            }
        }
    }

    /// `count:M/N` and `hash:M/N` with numbers are accepted exactly when 1 ≤ M ≤ N.
    #[test]
    fn partition_accepts_exactly_the_valid_ranges(
        scheme in prop_oneof![Just("count"), Just("hash")],
        m in -3i64..40,
        n in -3i64..40,
    ) {
        let ok = Partition::parse(&format!("{scheme}:{m}/{n}"));
        prop_assert_eq!(ok.is_ok(), 1 <= m && m <= n, "{}:{}/{}: {:?}", scheme, m, n, ok);
    }
}
