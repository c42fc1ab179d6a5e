//! The raw feature values (what reports show), column by column. A column of few distinct values (a
//! category's indicators: 0, 1, and the fill of an unknown value; counts of outages or tickets; the
//! share of a year's bills paid some way) is kept as one byte per customer and its values once; any
//! other column as f64. Of the default profile's 36 columns, 28 fit a byte (15 indicators, 6 counts,
//! 7 shares): at 10M customers that is 1.96 GB less than f64.

use std::borrow::Cow;

/// One column's values.
#[derive(Debug, Clone)]
enum Column {
    Values(Vec<f64>),
    /// `values[codes[i]]` is customer i's value.
    Coded { codes: Vec<u8>, values: Vec<f64> },
}

/// `n × d` raw values, stored column by column.
#[derive(Debug, Clone)]
pub struct Raw {
    n: usize,
    columns: Vec<Column>,
}

impl Raw {
    /// From `d` columns of `n` values each (moved in, not copied). A column of at most 256 distinct
    /// values (by bits) is kept as codes, any other as f64.
    pub fn from_columns(values: Vec<Vec<f64>>) -> Raw {
        let n = values.first().map_or(0, Vec::len);
        assert!(values.iter().all(|c| c.len() == n), "columns of one length");
        let columns = values.into_iter().map(|column| encode(&column).unwrap_or(Column::Values(column))).collect();
        Raw { n, columns }
    }

    pub fn nrows(&self) -> usize {
        self.n
    }

    pub fn ncols(&self) -> usize {
        self.columns.len()
    }

    /// Customer `i`'s value of feature `j`.
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match &self.columns[j] {
            Column::Values(v) => v[i],
            Column::Coded { codes, values } => values[codes[i] as usize],
        }
    }

    /// Rows `start..end` of feature `j`.
    pub fn column_range(&self, j: usize, start: usize, end: usize) -> Cow<'_, [f64]> {
        match &self.columns[j] {
            Column::Values(v) => Cow::Borrowed(&v[start..end]),
            Column::Coded { codes, values } => Cow::Owned(codes[start..end].iter().map(|&c| values[c as usize]).collect()),
        }
    }

    /// Every value of feature `j`.
    pub fn column(&self, j: usize) -> Cow<'_, [f64]> {
        self.column_range(j, 0, self.n)
    }

    /// Every value of feature `j`, one after another (a coded column is not decoded into memory).
    pub fn values(&self, j: usize) -> impl Iterator<Item = f64> + '_ {
        let (plain, coded) = match &self.columns[j] {
            Column::Values(v) => (Some(v.iter().copied()), None),
            Column::Coded { codes, values } => (None, Some(codes.iter().map(move |&c| values[c as usize]))),
        };
        plain.into_iter().flatten().chain(coded.into_iter().flatten())
    }

    /// The mean of each feature (summed as ndarray sums a contiguous column).
    pub fn means(&self) -> Vec<f64> {
        let n = self.n.max(1) as f64;
        (0..self.ncols()).map(|j| ndarray::ArrayView1::from(&*self.column(j)).sum() / n).collect()
    }

    /// Bytes the values take (what the tests check the coding by).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.columns
            .iter()
            .map(|c| match c {
                Column::Values(v) => v.len() * 8,
                Column::Coded { codes, values } => codes.len() + values.len() * 8,
            })
            .sum()
    }
}

/// The column as codes into its distinct values (in order of first appearance), or `None` when it
/// has more than 256.
///
/// Values are found by their bits in a small open-addressing table (512 slots for at most 256
/// values, so probes stay short) written here: a general hash map hashes each of tens of millions of
/// values several times slower, and a linear search of the values seen costs up to 256 comparisons.
fn encode(column: &[f64]) -> Option<Column> {
    const SLOTS: usize = 512;
    let mut slots: [(u64, u16); SLOTS] = [(0, u16::MAX); SLOTS];
    let mut values: Vec<f64> = Vec::new();
    let mut codes = Vec::with_capacity(column.len());
    let mut last: Option<(u64, u8)> = None;
    for &v in column {
        let bits = v.to_bits();
        if let Some((_, c)) = last.filter(|(b, _)| *b == bits) {
            codes.push(c);
            continue;
        }
        let mut at = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 55) as usize;
        let code = loop {
            match slots[at] {
                (b, c) if c != u16::MAX && b == bits => break c as u8,
                (_, u16::MAX) => {
                    if values.len() == 256 {
                        return None;
                    }
                    values.push(v);
                    slots[at] = (bits, (values.len() - 1) as u16);
                    break (values.len() - 1) as u8;
                }
                _ => at = (at + 1) % SLOTS,
            }
        };
        last = Some((bits, code));
        codes.push(code);
    }
    Some(Column::Coded { codes, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_columns_give_back_every_value_and_cost_a_byte_each() {
        let n = 1_000;
        let indicator: Vec<f64> = (0..n).map(|i| [0.0, 1.0, 0.37][i % 3]).collect();
        let amounts: Vec<f64> = (0..n).map(|i| i as f64 * 1.5).collect();
        let many: Vec<f64> = (0..n).map(|i| (i % 300) as f64).collect();
        let raw = Raw::from_columns(vec![indicator.clone(), amounts.clone(), many.clone()]);
        assert_eq!((raw.nrows(), raw.ncols()), (n, 3));
        for i in 0..n {
            assert_eq!(raw.get(i, 0).to_bits(), indicator[i].to_bits());
            assert_eq!(raw.get(i, 1), amounts[i]);
            assert_eq!(raw.get(i, 2), many[i]);
        }
        assert_eq!(&*raw.column_range(0, 10, 20), &indicator[10..20]);
        assert_eq!(&*raw.column(2), &many[..]);
        assert_eq!(raw.values(0).collect::<Vec<_>>(), indicator);
        assert_eq!(raw.values(1).collect::<Vec<_>>(), amounts);
        // Exactly 256 distinct values (by bits: 0.0 and -0.0 are two) still fit a byte.
        let full: Vec<f64> = (0..n).map(|i| if i % 256 == 255 { -0.0 } else { (i % 256) as f64 }).collect();
        let coded = Raw::from_columns(vec![full.clone()]);
        assert_eq!(coded.bytes(), n + 256 * 8);
        assert!((0..n).all(|i| coded.get(i, 0).to_bits() == full[i].to_bits()));
        // The indicator in bytes; 1,000 and 300 distinct values do not fit a byte and stay f64.
        assert_eq!(raw.bytes(), (n + 3 * 8) + n * 8 + n * 8);
        // Means as ndarray sums a column, to the bit.
        let expect: Vec<f64> = [&indicator, &amounts, &many].iter().map(|c| ndarray::ArrayView1::from(&c[..]).sum() / n as f64).collect();
        assert_eq!(raw.means(), expect);
    }
}
