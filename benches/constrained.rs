//! Size-constrained k-means (`balance = "enforce"`) against plain k-means on the same data, as the
//! side-by-side comparison with k-means-constrained runs it (`benches/constrained.sh`): k = 7, every
//! segment between 5% and 25% of rows, one k-means++ initialisation, at most 300 iterations.
//!
//! `cargo bench --bench constrained -- DATA.f64` reads raw little-endian f64 rows of 30 columns (as
//! `benches/constrained/make_data.py` writes them); without a file it generates 300,000 rows of the
//! same kind of blobs (one holding 60% of the rows). Prints one JSON line per variant.

use std::time::Instant;

use custseg::cluster::{balanced, kmeans};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const D: usize = 30;
const K: usize = 7;

fn generated(n: usize) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(12345);
    let centres: Vec<Vec<f64>> = (0..K).map(|_| (0..D).map(|_| rng.gen_range(-4.0..4.0)).collect()).collect();
    let normal = |rng: &mut Xoshiro256PlusPlus| {
        let (u1, u2): (f64, f64) = (rng.gen::<f64>().max(1e-300), rng.gen());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    let mut x = Array2::zeros((n, D));
    for i in 0..n {
        let blob = if rng.gen::<f64>() < 0.6 { 0 } else { rng.gen_range(1..K) };
        for j in 0..D {
            x[[i, j]] = centres[blob][j] + normal(&mut rng);
        }
    }
    x
}

fn read(path: &str) -> Array2<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let values: Vec<f64> = bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect();
    let n = values.len() / D;
    Array2::from_shape_vec((n, D), values).expect("rows of 30 columns")
}

fn sizes(labels: &[u32]) -> Vec<usize> {
    let mut c = vec![0usize; K];
    for &l in labels {
        c[l as usize] += 1;
    }
    c.sort_unstable();
    c
}

fn main() {
    let file = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let x = match &file {
        Some(p) => read(p),
        None => generated(300_000),
    };
    let n = x.nrows();
    let (lo, hi) = balanced::bounds_from_shares(n, K, 0.05, 0.25);
    // k-means-constrained's defaults: at most 300 iterations, tolerance 1e-4 (of the mean variance,
    // on the squared centre shift, as scikit-learn and custseg define it).
    let tol: f64 = std::env::var("CUSTSEG_BENCH_TOL").ok().and_then(|v| v.parse().ok()).unwrap_or(1e-4);
    let params = kmeans::Params { k: K, restarts: 1, max_iter: 300, tol, seed: 0 };

    let t = Instant::now();
    let plain = kmeans::fit(x.view(), params);
    let plain_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let enforced = kmeans::fit_balanced(x.view(), params, &lo, &hi).expect("feasible bounds");
    let enforced_s = t.elapsed().as_secs_f64();

    let d2 = kmeans::distance_matrix(x.view(), enforced.centroids.view());
    let t = Instant::now();
    let _ = balanced::constrained_assign(d2.view(), &lo, &hi).expect("feasible bounds");
    let step_s = t.elapsed().as_secs_f64();

    let threads = rayon::current_num_threads();
    println!(
        "{{\"variant\":\"plain\",\"n\":{n},\"tol\":{tol},\"threads\":{threads},\"seconds\":{plain_s:.3},\"inertia\":{},\"iterations\":{},\"sizes\":{:?}}}",
        plain.inertia,
        plain.iterations,
        sizes(&plain.labels)
    );
    println!(
        "{{\"variant\":\"enforced\",\"n\":{n},\"tol\":{tol},\"threads\":{threads},\"seconds\":{enforced_s:.3},\"inertia\":{},\"iterations\":{},\"sizes\":{:?},\"size_min\":{},\"size_max\":{},\"one_constrained_assignment_s\":{step_s:.4}}}",
        enforced.inertia,
        enforced.iterations,
        sizes(&enforced.labels),
        lo[0],
        hi[0]
    );
}
