//! The customers' ids in matrix order, kept in one buffer: a `Vec<String>` costs 24 bytes of header
//! and an allocation per customer (about 400 MB at 10M customers against 180 MB here).

/// Customer ids, row i of every matrix being `get(i)`.
#[derive(Debug, Clone)]
pub struct Ids {
    text: String,
    /// Where id `i` ends in `text`, its low `shift` bits: 4 bytes a customer, not 8.
    ends: Vec<u32>,
    /// The indices at which the ends pass each multiple of 2^`shift` (empty below 4 GiB of ids with
    /// the shift of 32): the `k`-th entry adds `k << shift` to every later end.
    wraps: Vec<usize>,
    shift: u32,
}

impl Default for Ids {
    fn default() -> Ids {
        Ids::with_shift(32)
    }
}

impl Ids {
    fn with_shift(shift: u32) -> Ids {
        Ids { text: String::new(), ends: Vec::new(), wraps: Vec::new(), shift }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn end(&self, i: usize) -> usize {
        let high = self.wraps.partition_point(|&w| w <= i);
        (high << self.shift) | self.ends[i] as usize
    }

    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        &self.text[start..self.end(i)]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    fn push(&mut self, id: &str) {
        self.text.push_str(id);
        let end = self.text.len();
        while end >> self.shift > self.wraps.len() {
            self.wraps.push(self.ends.len());
        }
        self.ends.push((end & ((1usize << self.shift) - 1)) as u32);
    }
}

impl<'a> FromIterator<&'a str> for Ids {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Ids {
        let mut ids = Ids::default();
        for id in iter {
            ids.push(id);
        }
        ids.text.shrink_to_fit();
        ids.ends.shrink_to_fit();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_back_in_order_with_empty_and_multibyte_ones() {
        let given = ["C001", "", "客户-7", "C001"];
        let ids: Ids = given.iter().copied().collect();
        assert_eq!(ids.len(), 4);
        assert_eq!(ids.iter().collect::<Vec<_>>(), given);
        assert_eq!(ids.get(2), "客户-7");
        assert!(Ids::default().is_empty());
    }

    #[test]
    fn ends_past_each_multiple_of_the_offset_width_are_found() {
        // With 3-bit offsets the ends wrap every 8 bytes, as 32-bit ones would every 4 GiB; ids
        // of every length, one of them longer than 8 bytes (two wraps at once).
        let given = ["C1", "C22", "C333", "", "C4444", "客户-7", "C-0123456789", "x", "C55555"];
        let mut ids = Ids::with_shift(3);
        for id in given {
            ids.push(id);
        }
        assert!(ids.wraps.len() >= 4, "{:?}", ids.wraps);
        assert_eq!(ids.iter().collect::<Vec<_>>(), given);
    }
}
