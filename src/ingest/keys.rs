//! The customers of a run: every distinct customer id seen in any export, numbered in order of first
//! appearance, with the exports each appears in. Ids are kept once, in one byte arena (about 20 bytes
//! per customer beside the id itself), since a provincial utility has tens of millions of them.

use hashbrown::HashTable;

use super::Source;

/// A 64-bit hash of bytes (multiply–rotate over 8-byte words): fast, and only used to find equal ids
/// and rows, which are then compared byte for byte.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h: u64 = bytes.len() as u64 ^ 0x9E37_79B9_7F4A_7C15;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w.try_into().expect("8 bytes"))).wrapping_mul(K);
    }
    for &b in words.remainder() {
        h = (h.rotate_left(5) ^ b as u64).wrapping_mul(K);
    }
    // Final mix, so that the low bits (the table's) depend on every byte.
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 32)
}

fn bit(source: Source) -> u8 {
    match source {
        Source::Billing => 1,
        Source::Outages => 2,
        Source::Tickets => 4,
        Source::Customers => 8,
    }
}

/// Key `code`'s bytes in an arena whose key `i` ends at `ends[i]` (a free function so that the hash
/// table's closures can borrow the arena while the table is borrowed mutably).
fn key_bytes<'a>(arena: &'a [u8], ends: &[u64], code: u32) -> &'a [u8] {
    let i = code as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &arena[start..ends[i] as usize]
}

/// Interned keys (customer or feeder ids): code `i` is the `i`-th distinct key seen.
#[derive(Default)]
pub struct Keys {
    arena: Vec<u8>,
    /// `ends[i]`: where key `i` ends in the arena.
    ends: Vec<u64>,
    table: HashTable<u32>,
    /// Per key, the exports it appears in (a bit per export).
    seen_in: Vec<u8>,
}

impl Keys {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn key(&self, code: u32) -> &str {
        let i = code as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        // Keys are inserted from `&str`.
        std::str::from_utf8(&self.arena[start..self.ends[i] as usize]).unwrap_or("")
    }

    fn bytes(&self, code: u32) -> &[u8] {
        key_bytes(&self.arena, &self.ends, code)
    }

    /// Whether key `code` is `key`.
    pub fn is(&self, code: u32, key: &str) -> bool {
        self.bytes(code) == key.as_bytes()
    }

    /// The code of `key` (hash `hash` from [`hash_bytes`]), if known.
    pub fn find(&self, key: &str, hash: u64) -> Option<u32> {
        self.table.find(hash, |&c| self.bytes(c) == key.as_bytes()).copied()
    }

    /// Room for about `keys` more keys of `bytes` bytes in all: the table then grows once, not by
    /// doubling (each step a rehash into new memory).
    pub fn reserve(&mut self, keys: usize, bytes: usize) {
        self.arena.reserve(bytes);
        self.ends.reserve(keys);
        self.seen_in.reserve(keys);
        let (arena, ends) = (&self.arena, &self.ends);
        self.table.reserve(keys, |&k| hash_bytes(key_bytes(arena, ends, k)));
    }

    /// The code of `key`, numbering it if new, and marks it seen in `source`.
    pub fn code(&mut self, key: &str, hash: u64, source: Source) -> u32 {
        let code = match self.table.find(hash, |&c| key_bytes(&self.arena, &self.ends, c) == key.as_bytes()) {
            Some(&c) => c,
            None => {
                let c = self.ends.len() as u32;
                self.arena.extend_from_slice(key.as_bytes());
                self.ends.push(self.arena.len() as u64);
                self.seen_in.push(0);
                // Rehashing needs each key's hash: recomputed from the arena.
                let (arena, ends) = (&self.arena, &self.ends);
                self.table.insert_unique(hash, c, |&k| hash_bytes(key_bytes(arena, ends, k)));
                c
            }
        };
        self.seen_in[code as usize] |= bit(source);
        code
    }

    /// [`Keys::code`] for a key that likely follows key `previous` (an export sorted as the one that
    /// numbered the keys): that one is compared first, and the table searched only if it differs.
    pub fn code_after(&mut self, previous: u32, key: &str, hash: u64, source: Source) -> u32 {
        let next = previous.wrapping_add(1);
        if (next as usize) < self.ends.len() && self.bytes(next) == key.as_bytes() {
            self.seen_in[next as usize] |= bit(source);
            return next;
        }
        self.code(key, hash, source)
    }

    /// Whether key `code` appears in `source`.
    pub fn seen(&self, code: u32, source: Source) -> bool {
        self.seen_in[code as usize] & bit(source) != 0
    }

    /// Forgets which keys `source` had.
    pub fn forget(&mut self, source: Source) {
        for s in &mut self.seen_in {
            *s &= !bit(source);
        }
    }

    /// Marks key `code` seen in `source` (feeder-keyed outages reach customers through their feeder).
    pub fn mark(&mut self, code: u32, source: Source) {
        self.seen_in[code as usize] |= bit(source);
    }

    /// Memory held, in bytes (for the manifest's notes and tests).
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.ends.capacity() * 8 + self.seen_in.capacity() + self.table.capacity() * 5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_numbered_by_first_appearance_and_remember_their_exports() {
        let mut k = Keys::default();
        let code = |k: &mut Keys, s: &str, src| k.code(s, hash_bytes(s.as_bytes()), src);
        assert_eq!(code(&mut k, "b", Source::Billing), 0);
        assert_eq!(code(&mut k, "a", Source::Billing), 1);
        assert_eq!(code(&mut k, "b", Source::Tickets), 0);
        assert_eq!(code(&mut k, "", Source::Customers), 2);
        assert_eq!((k.key(0), k.key(1), k.key(2)), ("b", "a", ""));
        assert!(k.seen(0, Source::Billing) && k.seen(0, Source::Tickets) && !k.seen(1, Source::Tickets));
        assert_eq!(k.find("a", hash_bytes(b"a")), Some(1));
        assert_eq!(k.find("c", hash_bytes(b"c")), None);
        // Many keys, through every rehash.
        for i in 0..100_000 {
            let s = format!("C{i:08}");
            assert_eq!(code(&mut k, &s, Source::Billing), 3 + i);
        }
        assert_eq!(k.find("C00012345", hash_bytes(b"C00012345")), Some(3 + 12345));
        // The key after a given one is found without the table; any other key through it.
        let after = |k: &mut Keys, prev: u32, s: &str, src| k.code_after(prev, s, hash_bytes(s.as_bytes()), src);
        assert_eq!(after(&mut k, 3 + 5, "C00000006", Source::Outages), 3 + 6);
        assert!(k.seen(3 + 6, Source::Outages) && !k.seen(3 + 7, Source::Outages));
        assert_eq!(after(&mut k, 3 + 5, "C00000009", Source::Outages), 3 + 9);
        assert_eq!(after(&mut k, 100_002, "new", Source::Outages), 100_003);
        assert_eq!(after(&mut k, 100_003, "b", Source::Outages), 0);
        assert_eq!(k.len(), 100_004);
    }
}
