//! `--partition hash:M/N`: a stable split of the items by a hash of their ID, so the N jobs of
//! a CI matrix together review every item exactly once.

use sha2::{Digest, Sha256};

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub index: u32,
    pub count: u32,
}

impl Partition {
    /// Parses `hash:M/N` with 1 ≤ M ≤ N; the error says what is wrong.
    pub fn parse(spec: &str) -> Result<Partition, String> {
        let Some(rest) = spec.strip_prefix("hash:") else {
            return Err(format!(
                "`{spec}` is not a partition: expected hash:M/N (e.g. hash:1/4)"
            ));
        };
        let (m, n) = rest
            .split_once('/')
            .ok_or_else(|| format!("`{spec}`: expected hash:M/N (e.g. hash:1/4)"))?;
        let num = |s: &str, what: &str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("`{spec}`: {what} `{s}` is not a whole number"))
        };
        let (index, count) = (num(m, "M")?, num(n, "N")?);
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "`{spec}`: need 1 ≤ M ≤ N, got M={index}, N={count}"
            ));
        }
        Ok(Partition { index, count })
    }

    /// Whether the item with this ID belongs to this shard.
    pub fn contains(&self, id: &str) -> bool {
        shard_of(id, self.count) == self.index
    }
}

/// The 1-based shard of `id` among `count`: SHA-256 of the ID, first 8 bytes big-endian, mod N.
/// The same on every machine and every run, whatever the other items are.
pub fn shard_of(id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_specs_and_refuses_the_rest() {
        assert_eq!(
            Partition::parse("hash:2/4"),
            Ok(Partition { index: 2, count: 4 })
        );
        assert_eq!(
            Partition::parse("hash:1/1"),
            Ok(Partition { index: 1, count: 1 })
        );
        for bad in [
            "hash:0/4",
            "hash:5/4",
            "hash:1/0",
            "2/4",
            "hash:a/4",
            "hash:1",
            "hash:-1/4",
            "",
        ] {
            assert!(Partition::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn every_id_lands_in_exactly_one_shard() {
        let ids: Vec<String> = (1..=500).map(|i| format!("LLD-{i}")).collect();
        for count in [1, 2, 3, 7] {
            let mut seen = vec![0u32; ids.len()];
            for index in 1..=count {
                let p = Partition { index, count };
                for (i, id) in ids.iter().enumerate() {
                    if p.contains(id) {
                        seen[i] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&n| n == 1), "count {count}: {seen:?}");
        }
    }

    #[test]
    fn the_split_is_stable_and_roughly_even() {
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
}
