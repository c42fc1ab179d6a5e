//! Cluster-quality metrics: silhouette, Calinski–Harabasz, Davies–Bouldin, and the adjusted Rand index
//! used for stability and for comparing with a known truth. Definitions follow scikit-learn.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

/// Mean silhouette coefficient over all rows (exact; quadratic in the number of rows). A row alone in
/// its segment scores 0.
pub fn silhouette(x: ArrayView2<f64>, labels: &[u32], k: usize) -> f64 {
    let n = x.nrows();
    if n < 2 || k < 2 {
        return 0.0;
    }
    let d = x.ncols();
    // Column by column (each column's values of all rows side by side), so that a row's distances to
    // a block of rows are computed together: independent sums in flight instead of one chain of
    // dependent additions per pair, each with the same additions in the same order as one pair alone.
    let columns: Vec<f64> = (0..d).flat_map(|t| x.column(t).to_vec()).collect();
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l as usize] += 1;
    }
    // Rows in groups of ROWS: each block of the other rows' values is read once for the group.
    let scores: Vec<f64> = (0..n.div_ceil(ROWS))
        .into_par_iter()
        .flat_map_iter(|g| {
            let rows: Vec<usize> = (g * ROWS..((g + 1) * ROWS).min(n)).collect();
            let xs: Vec<Vec<f64>> = rows.iter().map(|&i| x.row(i).to_vec()).collect();
            let sums = distance_sums(&columns, n, &xs, &rows, labels, k);
            rows.into_iter().zip(sums).map(|(i, sums)| {
                let own = labels[i] as usize;
                if sizes[own] <= 1 {
                    return 0.0;
                }
                let a = sums[own] / (sizes[own] - 1) as f64;
                let b = (0..k)
                    .filter(|&c| c != own && sizes[c] > 0)
                    .map(|c| sums[c] / sizes[c] as f64)
                    .fold(f64::INFINITY, f64::min);
                if !b.is_finite() {
                    return 0.0;
                }
                let m = a.max(b);
                if m > 0.0 {
                    (b - a) / m
                } else {
                    0.0
                }
            }).collect::<Vec<f64>>()
        })
        .collect();
    scores.iter().sum::<f64>() / n as f64
}

/// Rows whose distances are summed together (each block of the others' values read once for them).
const ROWS: usize = 4;

/// Per row `xs[r]` (row `rows[r]`) and segment, the sum of the distances to every other row, in row
/// order: [`distance_sums_generic`], four lanes wide where the CPU has AVX2 (no FMA: the same roundings).
fn distance_sums(columns: &[f64], n: usize, xs: &[Vec<f64>], rows: &[usize], labels: &[u32], k: usize) -> Vec<Vec<f64>> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { distance_sums_avx2(columns, n, xs, rows, labels, k) };
        }
    }
    distance_sums_generic(columns, n, xs, rows, labels, k)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn distance_sums_avx2(columns: &[f64], n: usize, xs: &[Vec<f64>], rows: &[usize], labels: &[u32], k: usize) -> Vec<Vec<f64>> {
    distance_sums_generic(columns, n, xs, rows, labels, k)
}

/// Other rows whose distances to the group are summed side by side.
const BLOCK: usize = 64;

#[inline(always)]
fn distance_sums_generic(columns: &[f64], n: usize, xs: &[Vec<f64>], rows: &[usize], labels: &[u32], k: usize) -> Vec<Vec<f64>> {
    let mut sums = vec![vec![0.0; k]; xs.len()];
    let mut acc = [[0.0f64; BLOCK]; ROWS];
    for start in (0..n).step_by(BLOCK) {
        let m = BLOCK.min(n - start);
        for a in acc.iter_mut() {
            a[..m].fill(0.0);
        }
        // Each pair's squared differences added dimension by dimension, as `dist` adds them.
        for t in 0..xs.first().map_or(0, Vec::len) {
            let column = &columns[t * n + start..t * n + start + m];
            for (xi, a) in xs.iter().zip(acc.iter_mut()) {
                let v = xi[t];
                for (a, &w) in a[..m].iter_mut().zip(column) {
                    let diff = v - w;
                    *a += diff * diff;
                }
            }
        }
        for ((&i, a), sums) in rows.iter().zip(&acc).zip(sums.iter_mut()) {
            for (j, &a) in (start..start + m).zip(a[..m].iter()) {
                if j != i {
                    sums[labels[j] as usize] += a.sqrt();
                }
            }
        }
    }
    sums
}

/// Segment means (k × d) and sizes.
pub fn centroids_of(x: ArrayView2<f64>, labels: &[u32], k: usize) -> (Array2<f64>, Vec<usize>) {
    let d = x.ncols();
    let mut c = Array2::<f64>::zeros((k, d));
    let mut sizes = vec![0usize; k];
    for (i, &l) in labels.iter().enumerate() {
        sizes[l as usize] += 1;
        let mut r = c.row_mut(l as usize);
        r += &x.row(i);
    }
    for (j, &size) in sizes.iter().enumerate() {
        if size > 0 {
            let mut r = c.row_mut(j);
            r /= size as f64;
        }
    }
    (c, sizes)
}

/// Calinski–Harabasz and Davies–Bouldin together: one pass for the centroids, one for every row's
/// distance to its centroid (its square feeds Calinski–Harabasz, the distance itself Davies–Bouldin).
pub fn calinski_harabasz_and_davies_bouldin(x: ArrayView2<f64>, labels: &[u32], k: usize) -> (f64, f64) {
    let n = x.nrows();
    let (c, sizes) = centroids_of(x, labels, k);
    let mut within = 0.0;
    let mut spread = vec![0.0; k];
    for (i, &l) in labels.iter().enumerate() {
        let d2: f64 = x.row(i).iter().zip(c.row(l as usize).iter()).map(|(a, b)| (a - b) * (a - b)).sum();
        within += d2;
        spread[l as usize] += d2.sqrt();
    }
    // Calinski–Harabasz: between-segment dispersion over within-segment dispersion, each divided by its
    // degrees of freedom. Higher is better.
    let mean = x.mean_axis(ndarray::Axis(0)).expect("rows");
    let mut between = 0.0;
    for (j, &size) in sizes.iter().enumerate() {
        let d2: f64 = c.row(j).iter().zip(mean.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
        between += size as f64 * d2;
    }
    let ch = if within == 0.0 { 1.0 } else { between * (n - k) as f64 / (within * (k - 1) as f64) };
    // Davies–Bouldin: mean over segments of the worst ratio of summed spreads to centroid distance.
    // Lower is better.
    for j in 0..k {
        if sizes[j] > 0 {
            spread[j] /= sizes[j] as f64;
        }
    }
    let mut total = 0.0;
    for i in 0..k {
        let mut worst: f64 = 0.0;
        for j in 0..k {
            if i == j {
                continue;
            }
            let sep = dist(&c.row(i).to_vec(), &c.row(j).to_vec());
            let r = if sep > 0.0 { (spread[i] + spread[j]) / sep } else { 0.0 };
            worst = worst.max(r);
        }
        total += worst;
    }
    (ch, total / k as f64)
}

/// Calinski–Harabasz index alone (see [`calinski_harabasz_and_davies_bouldin`]).
pub fn calinski_harabasz(x: ArrayView2<f64>, labels: &[u32], k: usize) -> f64 {
    calinski_harabasz_and_davies_bouldin(x, labels, k).0
}

/// Davies–Bouldin index alone (see [`calinski_harabasz_and_davies_bouldin`]).
pub fn davies_bouldin(x: ArrayView2<f64>, labels: &[u32], k: usize) -> f64 {
    calinski_harabasz_and_davies_bouldin(x, labels, k).1
}

fn comb2(n: u64) -> f64 {
    (n as f64) * (n as f64 - 1.0) / 2.0
}

/// Adjusted Rand index between two labelings of the same rows (1 = identical partitions, about 0 =
/// chance agreement). Labels may be any hashable values.
pub fn adjusted_rand_index<A: std::hash::Hash + Eq + Copy, B: std::hash::Hash + Eq + Copy>(a: &[A], b: &[B]) -> f64 {
    assert_eq!(a.len(), b.len(), "labelings of different lengths");
    let n = a.len() as u64;
    let mut table: HashMap<(A, B), u64> = HashMap::new();
    let mut ra: HashMap<A, u64> = HashMap::new();
    let mut rb: HashMap<B, u64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *table.entry((x, y)).or_default() += 1;
        *ra.entry(x).or_default() += 1;
        *rb.entry(y).or_default() += 1;
    }
    let index: f64 = table.values().map(|&v| comb2(v)).sum();
    let sa: f64 = ra.values().map(|&v| comb2(v)).sum();
    let sb: f64 = rb.values().map(|&v| comb2(v)).sum();
    let expected = sa * sb / comb2(n);
    let max = (sa + sb) / 2.0;
    if max == expected {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

/// The lowest, over the segments of either labeling, of a segment's best Jaccard index
/// (|A ∩ B| / |A ∪ B|) with a segment of the other labeling. 1 when both labelings agree up to renaming.
pub fn worst_segment_jaccard(a: &[u32], b: &[u32], k: usize) -> f64 {
    let mut table = vec![0usize; k * k];
    let (mut sa, mut sb) = (vec![0usize; k], vec![0usize; k]);
    for (&x, &y) in a.iter().zip(b) {
        table[x as usize * k + y as usize] += 1;
        sa[x as usize] += 1;
        sb[y as usize] += 1;
    }
    let jaccard = |i: usize, j: usize| {
        let both = table[i * k + j];
        let union = sa[i] + sb[j] - both;
        if union == 0 { 0.0 } else { both as f64 / union as f64 }
    };
    let worst_a = (0..k).filter(|&i| sa[i] > 0).map(|i| (0..k).map(|j| jaccard(i, j)).fold(0.0, f64::max)).fold(1.0, f64::min);
    let worst_b = (0..k).filter(|&j| sb[j] > 0).map(|j| (0..k).map(|i| jaccard(i, j)).fold(0.0, f64::max)).fold(1.0, f64::min);
    worst_a.min(worst_b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    // Four points in two tight pairs, far apart: every value can be worked out by hand.
    // Pairs {(0,0),(0,1)} and {(4,0),(4,1)}.
    fn case() -> (Array2<f64>, Vec<u32>) {
        (array![[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]], vec![0, 0, 1, 1])
    }

    #[test]
    fn silhouette_matches_hand_computation() {
        let (x, l) = case();
        // For (0,0): a = 1; b = mean(4, sqrt(17)); s = (b - a) / b. All four points are symmetric.
        let b = (4.0 + 17f64.sqrt()) / 2.0;
        let expected = (b - 1.0) / b;
        assert!((silhouette(x.view(), &l, 2) - expected).abs() < 1e-12);
    }

    fn row(x: &ArrayView2<f64>, i: usize) -> Vec<f64> {
        x.row(i).to_vec()
    }

    /// The silhouette pair by pair, one distance at a time (what `silhouette` computes in blocks).
    fn silhouette_pairwise(x: ArrayView2<f64>, labels: &[u32], k: usize) -> f64 {
        let n = x.nrows();
        let mut sizes = vec![0usize; k];
        for &l in labels {
            sizes[l as usize] += 1;
        }
        let mut total = Vec::new();
        for i in 0..n {
            let mut sums = vec![0.0; k];
            for j in (0..n).filter(|&j| j != i) {
                sums[labels[j] as usize] += dist(&row(&x, i), &row(&x, j));
            }
            let own = labels[i] as usize;
            if sizes[own] <= 1 {
                total.push(0.0);
                continue;
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..k).filter(|&c| c != own && sizes[c] > 0).map(|c| sums[c] / sizes[c] as f64).fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            total.push(if !b.is_finite() || m <= 0.0 { 0.0 } else { (b - a) / m });
        }
        total.iter().sum::<f64>() / n as f64
    }

    #[test]
    fn silhouette_in_blocks_is_the_pairwise_one_to_the_last_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        // Rows not a multiple of the block, a segment of one row, repeated rows (distance 0).
        for (n, d, k) in [(150, 7, 3), (64, 3, 2), (201, 30, 7), (3, 1, 2)] {
            let mut x = Array2::from_shape_fn((n, d), |_| rng.gen::<f64>() * 10.0 - 5.0);
            let mut labels: Vec<u32> = (0..n).map(|_| rng.gen_range(0..k as u32 - 1)).collect();
            labels[n - 1] = k as u32 - 1;
            if n > 4 {
                let first = x.row(0).to_owned();
                x.row_mut(1).assign(&first);
            }
            let blocked = silhouette(x.view(), &labels, k);
            assert_eq!(blocked.to_bits(), silhouette_pairwise(x.view(), &labels, k).to_bits(), "n = {n}, d = {d}, k = {k}");
            assert!(blocked.abs() <= 1.0);
        }
    }

    #[test]
    fn calinski_harabasz_matches_hand_computation() {
        let (x, l) = case();
        // Centroids (0,.5) and (4,.5), overall mean (2,.5): between = 2*4 + 2*4 = 16.
        // Within = 4 * 0.25 = 1. CH = 16 * (4-2) / (1 * (2-1)) = 32.
        assert!((calinski_harabasz(x.view(), &l, 2) - 32.0).abs() < 1e-12);
    }

    #[test]
    fn davies_bouldin_matches_hand_computation() {
        let (x, l) = case();
        // Spreads 0.5 each, centroid distance 4: DB = (0.5 + 0.5) / 4 = 0.25.
        assert!((davies_bouldin(x.view(), &l, 2) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn ari_known_values() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, 9, 9]), 1.0);
        // sklearn: adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714285714285715
        let v = adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]);
        assert!((v - 0.5714285714285715).abs() < 1e-12, "{v}");
        // By hand: index 0, row pairs 6, column pairs 3, expected 18/15, max 4.5 → -1.2 / 3.3.
        let v = adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 1, 2, 0, 1, 2]);
        assert!((v + 1.2 / 3.3).abs() < 1e-12, "{v}");
    }

    #[test]
    fn worst_segment_jaccard_by_hand() {
        assert_eq!(worst_segment_jaccard(&[0, 0, 1, 1], &[1, 1, 0, 0], 2), 1.0);
        // b splits a's segment {2,3} into {2} and {3}: each half matches it with Jaccard 1/2.
        assert_eq!(worst_segment_jaccard(&[0, 0, 1, 1], &[0, 0, 1, 2], 3), 0.5);
    }

    #[test]
    fn silhouette_of_singleton_is_zero() {
        let x = array![[0.0], [1.0], [10.0]];
        // Point 2 is alone (0); points 0 and 1: a = 1, b = 10 and 9.
        let expected = ((10.0 - 1.0) / 10.0 + (9.0 - 1.0) / 9.0) / 3.0;
        assert!((silhouette(x.view(), &[0, 0, 1], 2) - expected).abs() < 1e-12);
    }
}
