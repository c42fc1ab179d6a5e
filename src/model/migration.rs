//! Migration between two runs: for the customers of both, which previous segment they were in and
//! which they are in now; plus the customers who are new and those who left.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A segment as the migration table names it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SegmentRef {
    pub id: usize,
    pub name: crate::i18n::Text,
}

/// The from → to matrix of customers between the previous run and this one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Migration {
    /// The previous run's folder, as given to `--previous`.
    pub previous_run: String,
    /// Previous segments (rows), by id.
    pub from: Vec<SegmentRef>,
    /// This run's segments (columns), by id.
    pub to: Vec<SegmentRef>,
    /// `counts[r][c]`: customers in previous segment `from[r]` now in segment `to[c]`.
    pub counts: Vec<Vec<usize>>,
    /// `shares[r][c]`: the same as a share of the previous segment's customers still here.
    pub shares: Vec<Vec<f64>>,
    /// Customers of this run that the previous run did not have, per segment of `to`.
    pub new_customers: Vec<usize>,
    /// Customers of the previous run that this run does not have, per segment of `from`.
    pub departed_customers: Vec<usize>,
    /// Customers in both runs.
    pub continuing: usize,
    /// Continuing customers whose segment id changed.
    pub moved: usize,
    /// `moved / continuing` (0 without continuing customers).
    pub moved_share: f64,
}

/// A previous segment with no successor in this run: where most of its continuing customers went.
pub struct Vanished<'a> {
    pub segment: &'a SegmentRef,
    /// The segment now holding most of its continuing customers, and their share (none when every
    /// one of them left).
    pub went_to: Option<(&'a SegmentRef, f64)>,
}

impl Migration {
    /// Previous segments with no successor (no segment of this run carries their id).
    pub fn vanished(&self) -> Vec<Vanished<'_>> {
        self.from
            .iter()
            .enumerate()
            .filter(|(_, f)| !self.to.iter().any(|t| t.id == f.id))
            .map(|(r, f)| {
                let best = (0..self.to.len()).max_by(|&a, &b| self.counts[r][a].cmp(&self.counts[r][b]).then(b.cmp(&a)));
                let went_to = best.filter(|&c| self.counts[r][c] > 0).map(|c| (&self.to[c], self.shares[r][c]));
                Vanished { segment: f, went_to }
            })
            .collect()
    }

    /// Segments of this run that continue no previous segment.
    pub fn new_segments(&self) -> Vec<&SegmentRef> {
        self.to.iter().filter(|t| !self.from.iter().any(|f| f.id == t.id)).collect()
    }

    /// The segment-change gate (`quality.fail_on_segment_change`): a previous segment vanished or a
    /// new one appeared; the message says which, and where a vanished segment's customers went.
    pub fn segment_gate(&self, enabled: bool) -> Option<super::Error> {
        let (vanished, new) = (self.vanished(), self.new_segments());
        if !enabled || (vanished.is_empty() && new.is_empty()) {
            return None;
        }
        let mut parts: Vec<String> = vanished
            .iter()
            .map(|v| {
                let name = format!("segment {} ({})", v.segment.id, v.segment.name.en);
                match v.went_to {
                    Some((to, share)) => format!(
                        "{name} of the previous run has no successor: {} of its customers are now in segment {} ({})",
                        crate::format::percent(share),
                        to.id,
                        to.name.en
                    ),
                    None => format!("{name} of the previous run has no successor: all its customers left"),
                }
            })
            .collect();
        parts.extend(new.iter().map(|s| format!("segment {} ({}) is new", s.id, s.name.en)));
        Some(super::Error::Gate(format!(
            "the segments changed since the previous run: {}; every output is written (set quality.fail_on_segment_change = false to accept such a change)",
            parts.join("; ")
        )))
    }

    /// The migration gate: more of the customers in both runs changed segment than `max` allows;
    /// `csv` is where the matrix is written.
    pub fn gate(&self, max: Option<f64>, csv: &std::path::Path) -> Option<super::Error> {
        let max = max.filter(|max| self.moved_share > *max)?;
        Some(super::Error::Gate(format!(
            "{} of the customers in both runs changed segment, more than quality.max_migration_share = {}; \
             the migration is in {}",
            crate::format::percent(self.moved_share),
            crate::format::percent(max),
            csv.display()
        )))
    }
}

/// Builds the matrix. `previous` maps customer id → previous segment id; `current` lists this run's
/// customers with their segment id. Segments are given in id order with their names.
pub fn compute(
    previous_run: &str,
    previous: &HashMap<String, usize>,
    previous_segments: Vec<SegmentRef>,
    current: &[(&str, usize)],
    segments: Vec<SegmentRef>,
) -> Migration {
    let row_of: HashMap<usize, usize> = previous_segments.iter().enumerate().map(|(r, s)| (s.id, r)).collect();
    let col_of: HashMap<usize, usize> = segments.iter().enumerate().map(|(c, s)| (s.id, c)).collect();
    let (rows, cols) = (previous_segments.len(), segments.len());
    let mut counts = vec![vec![0usize; cols]; rows];
    let mut new_customers = vec![0usize; cols];
    let mut seen_per_row = vec![0usize; rows];
    let (mut continuing, mut moved) = (0usize, 0usize);
    for &(id, seg) in current {
        let c = col_of[&seg];
        match previous.get(id) {
            Some(prev_seg) => {
                continuing += 1;
                if *prev_seg != seg {
                    moved += 1;
                }
                if let Some(&r) = row_of.get(prev_seg) {
                    counts[r][c] += 1;
                    seen_per_row[r] += 1;
                }
            }
            None => new_customers[c] += 1,
        }
    }
    let mut departed_customers = vec![0usize; rows];
    for seg in previous.values() {
        if let Some(&r) = row_of.get(seg) {
            departed_customers[r] += 1;
        }
    }
    for r in 0..rows {
        departed_customers[r] -= seen_per_row[r];
    }
    let shares = counts
        .iter()
        .map(|row| {
            let total: usize = row.iter().sum();
            row.iter().map(|&c| if total > 0 { c as f64 / total as f64 } else { 0.0 }).collect()
        })
        .collect();
    Migration {
        previous_run: previous_run.to_string(),
        from: previous_segments,
        to: segments,
        counts,
        shares,
        new_customers,
        departed_customers,
        continuing,
        moved,
        moved_share: if continuing > 0 { moved as f64 / continuing as f64 } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(id: usize) -> SegmentRef {
        SegmentRef { id, name: crate::i18n::Text::en(format!("s{id}")) }
    }

    #[test]
    fn counts_moves_new_and_departed_customers() {
        let previous: HashMap<String, usize> =
            [("a", 1), ("b", 1), ("c", 2), ("d", 2), ("gone", 2)].iter().map(|(k, v)| (k.to_string(), *v)).collect();
        // a stays in 1, b moves to 2, c stays in 2, d moves to the new segment 3, e is new.
        let current = [("a", 1), ("b", 2), ("c", 2), ("d", 3), ("e", 3)];
        let m = compute("prev", &previous, vec![seg(1), seg(2)], &current, vec![seg(1), seg(2), seg(3)]);
        assert_eq!(m.counts, vec![vec![1, 1, 0], vec![0, 1, 1]]);
        assert_eq!(m.new_customers, vec![0, 0, 1]);
        assert_eq!(m.departed_customers, vec![0, 1]);
        assert_eq!((m.continuing, m.moved), (4, 2));
        assert_eq!(m.moved_share, 0.5);
        assert_eq!(m.shares[0], vec![0.5, 0.5, 0.0]);
    }
}
