//! Exact duplicate rows, found in two passes with little memory.
//!
//! An exact duplicate is a row whose bytes (a CSV record's text without its line end; for Parquet,
//! every column's value) equal those of an earlier row of the same file. Keeping a 64-bit hash of
//! every row costs 8 bytes a row (about 1 GB for 120 million bills) and is not exact. Instead:
//!
//! 1. A first pass (the one that also finds the newest bill) puts every row's hash into a Bloom
//!    filter of [`BITS_PER_ROW`] bits a row: 2 bytes a row. A row whose hash the filter has already
//!    seen is a *suspect*; its hash is kept. Every repeated row is a suspect, and about 0.1 % of the
//!    others are (the filter's false positives).
//! 2. The folding pass keeps the bytes of the first row of each suspect hash; a later row with a
//!    suspect hash is a duplicate only if its bytes equal one of those. So a hash collision never
//!    drops a row, and memory is the filter plus the suspects' bytes.
//!
//! The filter is split into partitions by the hash's low bits, each filled by one thread in file
//! order, so that which rows are suspects does not depend on the thread count.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

/// Bloom-filter bits per expected row: about 0.1 % false positives with 8 bits set per row in
/// 512-bit blocks.
pub const BITS_PER_ROW: usize = 16;

const PARTITIONS: usize = 16;
const BLOCK_WORDS: usize = 8;

/// Keys that are already hashes need no hashing again.
#[derive(Default, Clone, Copy)]
pub struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

pub type BuildPrehashed = std::hash::BuildHasherDefault<Prehashed>;

/// Rows ahead whose filter block is fetched while the current row is added.
const PREFETCH_AHEAD: usize = 16;

/// Asks the CPU to bring the cache line holding `word` closer; a hint with no effect on results.
#[inline(always)]
fn prefetch(word: &u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing and cannot fault; SSE is part of every x86_64 CPU.
    unsafe {
        std::arch::x86_64::_mm_prefetch(std::ptr::from_ref(word).cast::<i8>(), std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = word;
}

/// The first pass's filter.
pub struct RowFilter {
    /// Per partition, its blocks of `BLOCK_WORDS` words.
    parts: Vec<Vec<u64>>,
    blocks_per_part: usize,
    suspects: HashSet<u64, BuildPrehashed>,
    /// Per partition, the hashes of the pieces being added (reused from call to call).
    by_part: Vec<Vec<u64>>,
}

impl RowFilter {
    /// A filter for about `rows` rows (more rows only raise the share of suspects).
    pub fn new(rows: usize) -> RowFilter {
        let bits = (rows.max(1 << 12) * BITS_PER_ROW).next_power_of_two();
        let blocks_per_part = (bits / 64 / BLOCK_WORDS / PARTITIONS).max(1);
        RowFilter { parts: vec![vec![0u64; blocks_per_part * BLOCK_WORDS]; PARTITIONS], blocks_per_part, suspects: HashSet::default(), by_part: vec![Vec::new(); PARTITIONS] }
    }

    /// Adds the row hashes of consecutive pieces of the file (in file order).
    pub fn add(&mut self, pieces: &[Vec<u64>]) {
        let mut by_part = std::mem::take(&mut self.by_part);
        by_part.iter_mut().for_each(Vec::clear);
        for piece in pieces {
            for &h in piece {
                by_part[(h as usize) % PARTITIONS].push(h);
            }
        }
        let blocks = self.blocks_per_part;
        let found: Vec<Vec<u64>> = self
            .parts
            .par_iter_mut()
            .zip(by_part.par_iter())
            .map(|(part, hashes)| {
                let mut seen_before = Vec::new();
                let block_of = |h: u64| ((h >> 32) as usize % blocks) * BLOCK_WORDS;
                for (j, &h) in hashes.iter().enumerate() {
                    // Each row touches one random cache line of a filter far larger than the caches:
                    // asking for the line a few rows ahead overlaps those memory waits (it was half of a
                    // Parquet first pass). The order rows are added in, and so the result, is unchanged.
                    if let Some(&ahead) = hashes.get(j + PREFETCH_AHEAD) {
                        prefetch(&part[block_of(ahead)]);
                    }
                    let block = block_of(h);
                    let mut mix = h.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (h >> 17);
                    let mut all = true;
                    for _ in 0..8 {
                        let bit = (mix & 511) as usize;
                        mix = mix.rotate_right(9);
                        let (w, b) = (block + bit / 64, bit % 64);
                        all &= part[w] >> b & 1 == 1;
                        part[w] |= 1 << b;
                    }
                    if all {
                        seen_before.push(h);
                    }
                }
                seen_before
            })
            .collect();
        for f in found {
            self.suspects.extend(f);
        }
        self.by_part = by_part;
    }

    /// The suspect hashes (rows that may repeat an earlier one).
    pub fn into_suspects(self) -> HashSet<u64, BuildPrehashed> {
        self.suspects
    }
}

/// The suspect hashes of a file, shared with the threads that parse it (they keep the bytes of
/// suspect rows).
#[derive(Clone, Default)]
pub struct Suspects(std::sync::Arc<HashSet<u64, BuildPrehashed>>);

impl Suspects {
    pub fn contains(&self, hash: u64) -> bool {
        self.0.contains(&hash)
    }

    /// No row's hash repeated in the first pass: no row can be a duplicate, and the second pass need
    /// not hash rows at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The second pass: decides, in file order, which suspect rows are duplicates.
pub struct Duplicates {
    suspects: Suspects,
    firsts: HashMap<u64, Vec<Vec<u8>>, BuildPrehashed>,
}

impl Duplicates {
    pub fn new(suspects: HashSet<u64, BuildPrehashed>) -> Duplicates {
        Duplicates { suspects: Suspects(std::sync::Arc::new(suspects)), firsts: HashMap::default() }
    }

    /// The suspects, to share.
    pub fn suspect_set(&self) -> Suspects {
        self.suspects.clone()
    }

    /// No row can be a duplicate: every file without repeated rows, and without false positives.
    pub fn none() -> Duplicates {
        Duplicates::new(HashSet::default())
    }

    /// Whether a row with this hash needs its bytes checked.
    pub fn is_suspect(&self, hash: u64) -> bool {
        self.suspects.contains(hash)
    }

    /// Whether the row (its hash and, for a suspect, its bytes) repeats an earlier row. Rows must come
    /// in file order.
    pub fn repeats(&mut self, hash: u64, bytes: Option<&[u8]>) -> bool {
        if !self.suspects.contains(hash) {
            return false;
        }
        let bytes = bytes.unwrap_or_default();
        let firsts = self.firsts.entry(hash).or_default();
        if firsts.iter().any(|f| f == bytes) {
            true
        } else {
            firsts.push(bytes.to_vec());
            false
        }
    }

    pub fn suspects(&self) -> usize {
        self.suspects.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_repeated_row_is_a_suspect_and_few_others_are() {
        let rows: Vec<u64> = (0..200_000u64).map(|i| crate::ingest::keys::hash_bytes(&(i % 150_000).to_le_bytes())).collect();
        let mut f = RowFilter::new(200_000);
        for piece in rows.chunks(7_777) {
            f.add(&[piece.to_vec()]);
        }
        let suspects = f.into_suspects();
        for &h in &rows[150_000..] {
            assert!(suspects.contains(&h));
        }
        let false_positives = suspects.len() - 50_000;
        assert!(false_positives < 400, "{false_positives} false positives among 150,000 rows");
        // The pass over the rows finds exactly the repeats, bytes compared.
        let mut d = Duplicates::new(suspects);
        let mut dups = 0;
        for (i, &h) in rows.iter().enumerate() {
            let bytes = ((i % 150_000) as u64).to_le_bytes();
            if d.repeats(h, Some(&bytes[..])) {
                dups += 1;
            }
        }
        assert_eq!(dups, 50_000);
    }

    #[test]
    fn a_hash_collision_does_not_drop_a_row() {
        let mut d = Duplicates::new([7u64].into_iter().collect());
        assert!(!d.repeats(7, Some(b"first")));
        assert!(!d.repeats(7, Some(b"other bytes, same hash")));
        assert!(d.repeats(7, Some(b"first")));
        assert!(!d.repeats(8, Some(b"first")));
    }
}
