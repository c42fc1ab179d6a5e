//! One Lloyd iteration at scale (issue 5's kernel goal): custseg's kernel in f64 and f32 and
//! linfa-clustering's, on the same n × 30 matrix from the same k = 7 start. Median of `REPEATS` runs.
//!
//!   cargo bench --bench lloyd_iteration -- [N] [DATA.f64]
//!
//! N defaults to 1,000,000. With DATA.f64, the matrix is read from that file when it exists, or
//! written there (raw little-endian f64, row-major) so that `benches/sklearn_iteration.py` can time
//! scikit-learn on the very same rows. `CUSTSEG_BENCH_LINFA=0` skips linfa (slow at 10M).

use std::time::Instant;

use custseg::cluster::kmeans;
use linfa::prelude::*;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const D: usize = 30;
const K: usize = 7;
const REPEATS: usize = 5;

fn generate(n: usize) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let centres: Vec<Vec<f64>> = (0..K).map(|_| (0..D).map(|_| rng.gen_range(-3.0..3.0)).collect()).collect();
    Array2::from_shape_fn((n, D), |(i, j)| centres[i % K][j] + rng.gen_range(-1.0..1.0))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<R>(mut f: impl FnMut() -> R) -> f64 {
    median(
        (0..REPEATS)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let file = args.get(1);
    let x = match file {
        Some(p) if std::path::Path::new(p).exists() => {
            let bytes = std::fs::read(p).expect("data file");
            let v: Vec<f64> = bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect();
            Array2::from_shape_vec((v.len() / D, D), v).expect("rows of 30")
        }
        _ => {
            let x = generate(n);
            if let Some(p) = file {
                let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
                std::fs::write(p, bytes).expect("writing the data file");
            }
            x
        }
    };
    let n = x.nrows();
    // The start: the first K rows of different planted centres (deterministic, shared with sklearn).
    let init = x.slice(ndarray::s![0..K, ..]).to_owned();
    let gib = (n * D * 8) as f64 / (1u64 << 30) as f64;
    let threads = rayon::current_num_threads();
    let report = |name: &str, secs: f64, bytes_per: usize| {
        println!(
            "{{\"bench\":\"{name}\",\"n\":{n},\"d\":{D},\"k\":{K},\"threads\":{threads},\"seconds\":{secs:.4},\"matrix_gib\":{:.2},\"gib_per_s\":{:.1}}}",
            gib * bytes_per as f64 / 8.0,
            gib * bytes_per as f64 / 8.0 / secs
        )
    };
    // The hardware limit: one parallel pass that only reads the matrix (sums it in blocks).
    let flat = x.as_slice().expect("standard layout");
    report(
        "read_only_pass",
        time(|| {
            use rayon::prelude::*;
            flat.par_chunks(1 << 16).map(|c| c.iter().sum::<f64>()).sum::<f64>()
        }),
        8,
    );
    report("custseg_f64_one_iteration", time(|| kmeans::lloyd_iteration(x.view(), &init)), 8);
    report("custseg_f64_assignment_pass", time(|| kmeans::assign(x.view(), init.view())), 8);
    let x32 = x.mapv(|v| v as f32);
    report("custseg_f32_one_iteration", time(|| kmeans::lloyd_iteration(x32.view(), &init)), 4);
    let (a, _) = kmeans::assign(x.view(), init.view());
    let (b, _) = kmeans::assign(x32.view(), init.view());
    let same = a.iter().zip(&b).filter(|(p, q)| p == q).count();
    println!("{{\"f32_labels_equal_to_f64\":{:.6}}}", same as f64 / n as f64);
    drop(x32);
    if std::env::var("CUSTSEG_BENCH_LINFA").map_or(true, |v| v != "0") {
        let data = DatasetBase::from(x.clone());
        report(
            "linfa_one_iteration",
            time(|| {
                linfa_clustering::KMeans::params_with_rng(K, rand_xoshiro::Xoshiro256Plus::seed_from_u64(0))
                    .init_method(linfa_clustering::KMeansInit::Precomputed(init.clone()))
                    .n_runs(1)
                    .max_n_iterations(1)
                    .fit(&data)
                    .unwrap()
            }),
            8,
        );
    }
}
