//! `--partition count:M/N` and `hash:M/N`: which items shard M of N reviews, so the N jobs of
//! a CI matrix together review every item exactly once.
//!
//! `count` deals the items, sorted by ID, out round-robin (as cargo-nextest's count
//! partitioning does): shard sizes differ by at most one, but every job must see the same
//! list. `hash` keeps the items whose ID hashes to the shard: stable whatever the other items
//! are (jobs on different checkouts agree), but uneven at CI sizes.

use sha2::{Digest, Sha256};

/// How the items are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Round-robin over the items sorted by ID.
    Count,
    /// SHA-256 of the ID, modulo N.
    Hash,
}

impl Scheme {
    /// The spec prefix: `count` or `hash`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Count => "count",
            Scheme::Hash => "hash",
        }
    }
}

/// Shard `index` (1-based) of `count`, by `scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub scheme: Scheme,
    pub index: u32,
    pub count: u32,
}

/// Why a `--partition` spec was refused; the message quotes the spec on one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    /// No `count:` or `hash:` prefix.
    #[error("`{0}` is not a partition: expected count:M/N or hash:M/N (e.g. count:1/4)")]
    UnknownScheme(String),
    /// A scheme, but not `M/N` after it.
    #[error("`{spec}`: expected {scheme}:M/N (e.g. {scheme}:1/4)")]
    NoSlash { spec: String, scheme: &'static str },
    /// M or N is not a whole number.
    #[error("`{spec}`: {what} `{value}` is not a whole number")]
    NotANumber {
        spec: String,
        what: &'static str,
        value: String,
    },
    /// Not 1 ≤ M ≤ N.
    #[error("`{spec}`: need 1 ≤ M ≤ N, got M={index}, N={count}")]
    OutOfRange {
        spec: String,
        index: u32,
        count: u32,
    },
}

impl Partition {
    /// Parses `count:M/N` or `hash:M/N` with 1 ≤ M ≤ N.
    pub fn parse(spec: &str) -> Result<Partition, PartitionError> {
        let shown = || spec.escape_debug().to_string();
        let (scheme, rest) = match spec.split_once(':') {
            Some(("count", rest)) => (Scheme::Count, rest),
            Some(("hash", rest)) => (Scheme::Hash, rest),
            _ => return Err(PartitionError::UnknownScheme(shown())),
        };
        let (m, n) = rest
            .split_once('/')
            .ok_or_else(|| PartitionError::NoSlash {
                spec: shown(),
                scheme: scheme.name(),
            })?;
        let num = |s: &str, what: &'static str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| PartitionError::NotANumber {
                    spec: shown(),
                    what,
                    value: s.escape_debug().to_string(),
                })
        };
        let (index, count) = (num(m, "M")?, num(n, "N")?);
        if count == 0 || index == 0 || index > count {
            return Err(PartitionError::OutOfRange {
                spec: shown(),
                index,
                count,
            });
        }
        Ok(Partition {
            scheme,
            index,
            count,
        })
    }

    /// For each of `ids` (every item the run found, before anything is taken out for being
    /// cached; IDs are unique), whether it belongs to this shard. The order of `ids` does not
    /// matter: `count` numbers the items by sorted ID.
    pub fn selects(&self, ids: &[&str]) -> Vec<bool> {
        match self.scheme {
            Scheme::Hash => ids
                .iter()
                .map(|id| shard_of(id, self.count) == self.index)
                .collect(),
            Scheme::Count => {
                let mut order: Vec<usize> = (0..ids.len()).collect();
                order.sort_by_key(|&i| ids[i]);
                let mut keep = vec![false; ids.len()];
                let (index, count) = (self.index as usize, self.count as usize);
                for (rank, &i) in order.iter().enumerate() {
                    keep[i] = rank % count + 1 == index;
                }
                keep
            }
        }
    }

    /// Keeps this shard's items of `items` (in their order); `id` gives an item's ID.
    pub fn retain<T>(&self, items: &mut Vec<T>, id: impl Fn(&T) -> &str) {
        let ids: Vec<&str> = items.iter().map(&id).collect();
        let mut keep = self.selects(&ids).into_iter();
        items.retain(|_| keep.next().unwrap_or(false));
    }
}

/// The 1-based hash shard of `id` among `count`: SHA-256 of the ID, first 8 bytes big-endian,
/// mod N. The same on every machine and every run, whatever the other items are.
pub fn shard_of(id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(scheme: Scheme, index: u32, count: u32) -> Partition {
        Partition {
            scheme,
            index,
            count,
        }
    }

    #[test]
    fn parses_valid_specs_and_refuses_the_rest() {
        assert_eq!(Partition::parse("hash:2/4"), Ok(p(Scheme::Hash, 2, 4)));
        assert_eq!(Partition::parse("hash:1/1"), Ok(p(Scheme::Hash, 1, 1)));
        assert_eq!(Partition::parse("count:3/3"), Ok(p(Scheme::Count, 3, 3)));
        for bad in [
            "hash:0/4",
            "hash:5/4",
            "hash:1/0",
            "count:0/2",
            "count:3/2",
            "2/4",
            "hash:a/4",
            "hash:1",
            "count:1",
            "hash:-1/4",
            "slice:1/4",
            "Count:1/4",
            "",
        ] {
            assert!(Partition::parse(bad).is_err(), "{bad} accepted");
        }
        let e = Partition::parse("count:x/3").unwrap_err().to_string();
        assert_eq!(e, "`count:x/3`: M `x` is not a whole number");
        let e = Partition::parse("nope\n").unwrap_err().to_string();
        assert!(e.starts_with("`nope\\n` is not a partition"), "{e}");
    }

    fn ids(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("LLD-{i}")).collect()
    }

    fn sizes(scheme: Scheme, ids: &[String], count: u32) -> Vec<usize> {
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        (1..=count)
            .map(|m| {
                p(scheme, m, count)
                    .selects(&refs)
                    .iter()
                    .filter(|&&k| k)
                    .count()
            })
            .collect()
    }

    #[test]
    fn every_id_lands_in_exactly_one_shard() {
        let ids = ids(500);
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        for scheme in [Scheme::Hash, Scheme::Count] {
            for count in [1, 2, 3, 7] {
                let mut seen = vec![0u32; ids.len()];
                for index in 1..=count {
                    let keep = p(scheme, index, count).selects(&refs);
                    for (i, k) in keep.into_iter().enumerate() {
                        seen[i] += u32::from(k);
                    }
                }
                assert!(seen.iter().all(|&n| n == 1), "{scheme:?} {count}: {seen:?}");
            }
        }
    }

    #[test]
    fn count_deals_sorted_ids_round_robin_whatever_their_order() {
        let mut shuffled = vec!["LLD-3", "ISSUE-1", "LLD-10", "LLD-2", "LLD-1"];
        // Sorted: ISSUE-1, LLD-1, LLD-10, LLD-2, LLD-3 → shards 1, 2, 1, 2, 1.
        let first = |ids: &[&str]| -> Vec<String> {
            let keep = p(Scheme::Count, 1, 2).selects(ids);
            let mut mine: Vec<String> = ids
                .iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(id, _)| id.to_string())
                .collect();
            mine.sort();
            mine
        };
        assert_eq!(first(&shuffled), ["ISSUE-1", "LLD-10", "LLD-3"]);
        shuffled.reverse();
        assert_eq!(first(&shuffled), ["ISSUE-1", "LLD-10", "LLD-3"]);
        let mut items = shuffled.clone();
        p(Scheme::Count, 1, 2).retain(&mut items, |id| id);
        assert_eq!(
            items,
            ["LLD-10", "ISSUE-1", "LLD-3"],
            "retain keeps the items' order"
        );
    }

    /// The figures the README quotes for 3 shards.
    #[test]
    fn count_is_balanced_where_hash_is_not() {
        assert_eq!(sizes(Scheme::Count, &ids(60), 3), [20, 20, 20]);
        assert_eq!(sizes(Scheme::Count, &ids(120), 3), [40, 40, 40]);
        assert_eq!(sizes(Scheme::Count, &ids(121), 3), [41, 40, 40]);
        assert_eq!(sizes(Scheme::Hash, &ids(60), 3), HASH_60);
        assert_eq!(sizes(Scheme::Hash, &ids(120), 3), HASH_120);
    }

    #[test]
    fn the_hash_split_is_stable_and_roughly_even() {
        // Pinned values: a change to the hash would silently reshuffle every CI matrix.
        assert_eq!(shard_of("LLD-42", 4), shard_of("LLD-42", 4));
        let pinned: Vec<u32> = ["LLD-1", "LLD-2", "ISSUE-7", "LLD-101-3fa2c1"]
            .iter()
            .map(|id| shard_of(id, 4))
            .collect();
        assert_eq!(pinned, PINNED);
        let mut sizes = [0usize; 4];
        for i in 0..1000 {
            sizes[shard_of(&format!("LLD-{i}"), 4) as usize - 1] += 1;
        }
        assert!(sizes.iter().all(|&n| (180..=320).contains(&n)), "{sizes:?}");
    }

    // Computed independently: python3 -c "int.from_bytes(sha256(id).digest()[:8], 'big') % 4 + 1".
    const PINNED: [u32; 4] = [1, 1, 3, 3];
    // The same, % 3, over LLD-1 … LLD-60 and LLD-1 … LLD-120.
    const HASH_60: [usize; 3] = [24, 15, 21];
    const HASH_120: [usize; 3] = [42, 41, 37];
}
