//! A 2-D picture of the segments: a sample of customers projected on the first two principal
//! components of the standardized features (what k-means sees), coloured by segment.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// The projected sample.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Projection {
    /// (component 1, component 2, segment id) per sampled customer.
    pub points: Vec<(f32, f32, usize)>,
    /// Share of the total variance each component carries.
    pub explained: [f64; 2],
}

/// Leading eigenvector of a symmetric positive semi-definite matrix by power iteration from a fixed
/// start (deterministic), with its eigenvalue.
fn leading(c: &Array2<f64>) -> (Array1<f64>, f64) {
    let d = c.nrows();
    let mut v = Array1::from_iter((0..d).map(|j| 1.0 + j as f64 / d as f64));
    v /= v.dot(&v).sqrt();
    let mut lambda = 0.0;
    for _ in 0..500 {
        let w = c.dot(&v);
        let norm = w.dot(&w).sqrt();
        if norm == 0.0 {
            return (v, 0.0);
        }
        let next = &w / norm;
        let delta = (&next - &v).mapv(f64::abs).sum();
        v = next;
        lambda = norm;
        if delta < 1e-12 {
            break;
        }
    }
    (v, lambda)
}

/// The report's map: up to 2,000 customers of `x`, sampled in proportion to the segments (the `k`
/// fit labels of `segment_of`), on the first two principal components, each with its segment id.
pub fn map_of_segments(x: ArrayView2<f64>, segment_of: super::SegmentOf<'_>, k: usize, seed: u64) -> Projection {
    let rows = crate::cluster::stratified_rows(segment_of.labels, k, 2000, seed, 9);
    let ids: Vec<usize> = rows.iter().map(|&i| segment_of.get(i)).collect();
    pca_2d(x, &rows, &ids)
}

/// Projects `rows` of `x` on the first two principal components; `segment_of[i]` is row `rows[i]`'s
/// segment id.
pub fn pca_2d(x: ArrayView2<f64>, rows: &[usize], segment_of: &[usize]) -> Projection {
    let sample = x.select(Axis(0), rows);
    let n = sample.nrows().max(1) as f64;
    let mean = sample.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(x.ncols()));
    let centred = &sample - &mean;
    let cov = centred.t().dot(&centred) / n;
    let total: f64 = cov.diag().sum();
    let (v1, l1) = leading(&cov);
    let deflated = &cov - &(l1 * outer(&v1, &v1));
    let (v2, l2) = leading(&deflated);
    let p1 = centred.dot(&v1);
    let p2 = centred.dot(&v2);
    let points = (0..sample.nrows()).map(|i| (p1[i] as f32, p2[i] as f32, segment_of[i])).collect();
    let share = |l: f64| if total > 0.0 { l / total } else { 0.0 };
    Projection { points, explained: [share(l1), share(l2)] }
}

fn outer(a: &Array1<f64>, b: &Array1<f64>) -> Array2<f64> {
    Array2::from_shape_fn((a.len(), b.len()), |(i, j)| a[i] * b[j])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_direction_of_largest_spread() {
        // Points along the diagonal x = y with a little noise across it.
        let x = Array2::from_shape_fn((200, 2), |(i, j)| {
            let t = i as f64 / 10.0;
            let across = if i % 2 == 0 { 0.05 } else { -0.05 };
            if j == 0 { t + across } else { t - across }
        });
        let rows: Vec<usize> = (0..200).collect();
        let p = pca_2d(x.view(), &rows, &vec![1; 200]);
        assert!(p.explained[0] > 0.99, "{:?}", p.explained);
        assert!((p.explained[0] + p.explained[1] - 1.0).abs() < 1e-9);
        // The first coordinate orders points as t does (up to sign).
        let first: Vec<f32> = p.points.iter().map(|q| q.0).collect();
        let increasing = first.windows(2).all(|w| w[1] > w[0]);
        let decreasing = first.windows(2).all(|w| w[1] < w[0]);
        assert!(increasing || decreasing);
    }
}
