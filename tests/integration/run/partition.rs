//! `--partition hash:M/N`: shards that are disjoint and together complete, through the binary
//! and as properties of the parser and the hash.

use std::collections::HashSet;

use parwf::discover::partition::{shard_of, Partition};
use proptest::prelude::*;

use crate::support::docs::{self, GOOD_LLD, SIM};
use crate::support::exit::{self, assert_exit_for};
use crate::support::{json, repo_with_branch, stderr};

const CASES: u32 = 256;

#[test]
fn partitions_cover_every_item_exactly_once() {
    let repo = repo_with_branch(&docs::llds(12, "x", GOOD_LLD));
    let mut seen: Vec<String> = Vec::new();
    for m in 1..=3 {
        let spec = format!("hash:{m}/3");
        let out = repo.parwf_in(
            repo.path(),
            &[
                "--since",
                "main",
                "--dry-run",
                "--format",
                "json",
                "--partition",
                &spec,
            ],
            SIM,
        );
        let v = json(&out);
        let ids: Vec<String> = v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_str().expect("id").to_string())
            .collect();
        assert!(ids.len() < 12, "shard {m} took everything");
        seen.extend(ids);
    }
    seen.sort();
    let mut all: Vec<String> = (1..=12).map(|i| format!("LLD-{i}")).collect();
    all.sort();
    assert_eq!(seen, all);
    let mut said = String::new();
    for bad in ["hash:0/3", "hash:4/3", "3", "hash:1/0"] {
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

proptest! {
    // SHA-256 is slow unoptimised: fewer, smaller cases keep this under a second.
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// For any set of IDs and any N, the N shards are disjoint and together hold every ID.
    #[test]
    fn partition_shards_are_disjoint_and_complete(
        ids in prop::collection::hash_set("[A-Za-z0-9_-]{1,64}", 0..48),
        n in 1u32..=16,
    ) {
        let shards: Vec<HashSet<&String>> = (1..=n)
            .map(|m| {
                let p = Partition::parse(&format!("hash:{m}/{n}")).expect("valid spec");
                ids.iter().filter(|id| p.contains(id)).collect()
            })
            .collect();
        let total: usize = shards.iter().map(HashSet::len).sum();
        prop_assert_eq!(total, ids.len(), "an ID is in two shards or in none");
        let union: HashSet<&String> = shards.iter().flatten().copied().collect();
        prop_assert_eq!(union.len(), ids.len());
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
        ("\\PC{0,6}", "\\PC{0,6}").prop_map(|(m, n)| format!("hash:{m}/{n}")),
        (any::<i64>(), any::<i64>()).prop_map(|(m, n)| format!("hash:{m}/{n}")),
    ]) {
        match Partition::parse(&spec) {
            Ok(p) => {
                prop_assert!(p.index >= 1 && p.index <= p.count);
                prop_assert!(spec.starts_with("hash:"), "{}", spec);
            }
            Err(e) => prop_assert!(e.contains("hash:M/N") || e.contains("1 ≤ M ≤ N") || e.contains("whole number"), "{}", e),
        }
    }

    /// `hash:M/N` with numbers is accepted exactly when 1 ≤ M ≤ N.
    #[test]
    fn partition_accepts_exactly_the_valid_ranges(m in -3i64..40, n in -3i64..40) {
        let ok = Partition::parse(&format!("hash:{m}/{n}"));
        prop_assert_eq!(ok.is_ok(), 1 <= m && m <= n, "hash:{}/{}: {:?}", m, n, ok);
    }
}
