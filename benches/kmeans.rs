//! Criterion bench of the k-means kernel: one Lloyd iteration, k-means++ initialisation and the
//! metrics, on generated blobs (default 200,000 × 30; set CUSTSEG_BENCH_ROWS to change), with
//! linfa-clustering's iteration as the baseline.

use criterion::{criterion_group, criterion_main, Criterion};
use custseg::cluster::{kmeans, metrics};
use linfa::prelude::*;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn blobs(n: usize, d: usize, k: usize) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let centres: Vec<Vec<f64>> = (0..k).map(|_| (0..d).map(|_| rng.gen_range(-3.0..3.0)).collect()).collect();
    Array2::from_shape_fn((n, d), |(i, j)| centres[i % k][j] + rng.gen_range(-1.0..1.0))
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("CUSTSEG_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let (d, k) = (30, 7);
    let x = blobs(n, d, k);
    let init = kmeans::kmeans_plus_plus(x.view(), k, &mut kmeans::rng_for(1, 1));
    let mut g = c.benchmark_group(format!("kmeans_{n}x{d}_k{k}"));
    g.sample_size(10);
    g.bench_function("lloyd_one_iteration", |b| b.iter(|| kmeans::lloyd_iteration(x.view(), &init)));
    let x32 = x.mapv(|v| v as f32);
    g.bench_function("lloyd_one_iteration_f32", |b| b.iter(|| kmeans::lloyd_iteration(x32.view(), &init)));
    // `lloyd` with one iteration: the tolerance scale (two passes), the iteration and the final
    // assignment pass that makes labels agree with the returned centroids.
    g.bench_function("lloyd_max_iter_1", |b| b.iter(|| kmeans::lloyd(x.view(), init.clone(), 1, 0.0)));
    g.bench_function("assignment_pass", |b| b.iter(|| kmeans::assign(x.view(), init.view())));
    g.bench_function("kmeans_plus_plus", |b| b.iter(|| kmeans::kmeans_plus_plus(x.view(), k, &mut kmeans::rng_for(1, 1))));
    let data = DatasetBase::from(x.clone());
    g.bench_function("linfa_one_iteration", |b| {
        b.iter(|| {
            linfa_clustering::KMeans::params_with_rng(k, rand_xoshiro::Xoshiro256Plus::seed_from_u64(0))
                .init_method(linfa_clustering::KMeansInit::Precomputed(init.clone()))
                .n_runs(1)
                .max_n_iterations(1)
                .fit(&data)
                .unwrap()
        })
    });
    let fit = kmeans::lloyd(x.view(), init.clone(), 1, 0.0);
    g.bench_function("calinski_harabasz_and_davies_bouldin", |b| {
        b.iter(|| metrics::calinski_harabasz_and_davies_bouldin(x.view(), &fit.labels, k))
    });
    let s = 4000.min(n);
    let xs = x.slice(ndarray::s![..s, ..]).to_owned();
    g.bench_function("silhouette_4000", |b| b.iter(|| metrics::silhouette(xs.view(), &fit.labels[..s], k)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
