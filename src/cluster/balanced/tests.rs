//! Exactness (against brute force and an independent min-cost flow), feasibility, determinism and API
//! tests of the size-constrained assignment.

use super::{
    bounds_from_shares, constrained_assign, constrained_assign_detailed, BalanceError, Tuning,
};
use super::reference::*;
use ndarray::{Array2, ShapeBuilder};
use rand::Rng;

/// Tunings exercised everywhere: the default, and "stress" settings that force the warm-start
/// recursion, partial heaps and heap rebuilds even on tiny problems.
fn tunings() -> Vec<(&'static str, Tuning)> {
    vec![
        ("default", Tuning::default()),
        ("stress", Tuning { base_size: 4, sample_ratio: 2, candidate_factor: 0, candidate_floor: 1 }),
        ("stress3", Tuning { base_size: 10, sample_ratio: 3, candidate_factor: 1, candidate_floor: 2 }),
    ]
}

fn solve(d2: &Array2<f64>, lo: &[usize], hi: &[usize], t: &Tuning) -> Vec<u32> {
    constrained_assign_detailed(d2.view(), lo, hi, t).expect("feasible input must solve").0
}

#[test]
fn brute_force_small() {
    let mut r = rng(1);
    let mut cases = 0;
    for case in 0..4000u64 {
        let n = r.gen_range(1..=8);
        let k = r.gen_range(1..=3);
        let kind = KINDS[(case % 4) as usize];
        let d2 = gen_d2(&mut r, n, k, kind);
        let (lo, hi) = gen_bounds(&mut r, n, k);
        let best = brute_force(d2.view(), &lo, &hi).expect("generated bounds are feasible");
        // validate the validator: the full-network min-cost flow agrees with brute force
        let (mcf_cost, _) = mcf(d2.view(), &lo, &hi).expect("feasible");
        assert!(close(mcf_cost, best), "reference solvers disagree: mcf {mcf_cost} vs brute {best}");
        for (name, t) in tunings() {
            let labels = solve(&d2, &lo, &hi, &t);
            assert_bounds(&labels, &lo, &hi);
            let c = cost(d2.view(), &labels);
            assert!(close(c, best), "case {case} ({kind:?}, {name}): got {c}, optimum {best}; lo {lo:?} hi {hi:?}\n{d2}");
        }
        cases += 1;
    }
    assert_eq!(cases, 4000);
}

#[test]
fn min_cost_flow_medium() {
    let mut r = rng(2);
    let mut stress_stats = (0u64, 0usize, 0u64);
    for case in 0..600u64 {
        let n = r.gen_range(1..=200);
        let k = r.gen_range(2..=7);
        let kind = KINDS[(case % 4) as usize];
        let d2 = gen_d2(&mut r, n, k, kind);
        let (lo, hi) = gen_bounds(&mut r, n, k);
        let (best, ref_labels) = mcf(d2.view(), &lo, &hi).expect("generated bounds are feasible");
        assert_bounds(&ref_labels, &lo, &hi);
        for (name, t) in tunings() {
            let (labels, stats) = constrained_assign_detailed(d2.view(), &lo, &hi, &t).unwrap();
            assert_bounds(&labels, &lo, &hi);
            let c = cost(d2.view(), &labels);
            assert!(close(c, best), "case {case} ({kind:?}, {name}) n={n} k={k}: got {c}, optimum {best}; lo {lo:?} hi {hi:?}");
            if name == "stress" {
                stress_stats.0 += stats.rebuilds;
                stress_stats.1 = stress_stats.1.max(stats.levels);
                stress_stats.2 += stats.augmentations;
            }
        }
    }
    // the stress tuning really exercised partial heaps, rebuilds and the warm-start recursion
    let (rebuilds, levels, augs) = stress_stats;
    assert!(rebuilds > 1000 && levels >= 5 && augs > 1000, "stress coverage: {stress_stats:?}");
}

/// Unbalanced blobs with the CLI's share bounds: the situation the module is built for.
#[test]
fn min_cost_flow_unbalanced_shares() {
    let mut r = rng(3);
    for case in 0..40u64 {
        let n = r.gen_range(100..=1200);
        let k = 7;
        let d2 = gen_d2(&mut r, n, k, Kind::Blobs);
        let (lo, hi) = bounds_from_shares(n, k, 0.05, 0.25);
        let (best, _) = mcf(d2.view(), &lo, &hi).unwrap();
        for (name, t) in tunings() {
            let labels = solve(&d2, &lo, &hi, &t);
            assert_bounds(&labels, &lo, &hi);
            let c = cost(d2.view(), &labels);
            assert!(close(c, best), "case {case} ({name}) n={n}: got {c}, optimum {best}");
        }
    }
}

/// Large instances (recursion, partial heaps): optimality by the negative-cycle certificate,
/// and all tunings must reach the same optimal cost.
#[test]
fn large_instances_certificate() {
    let mut r = rng(4);
    let sizes = [(200_000usize, Kind::Blobs), (120_000, Kind::SmallInt), (100_000, Kind::Uniform), (150_000, Kind::Duplicates)];
    for (n, kind) in sizes {
        let k = 7;
        let d2 = gen_d2(&mut r, n, k, kind);
        let (lo, hi) = bounds_from_shares(n, k, 0.05, 0.25);
        let tol = 1e-9 * (max_abs(d2.view()) + 1.0);
        let mut costs = vec![];
        for (name, t) in [tunings()[0].clone(), ("stress3-large", Tuning { base_size: 5000, sample_ratio: 4, candidate_factor: 1, candidate_floor: 16 })] {
            let (labels, stats) = constrained_assign_detailed(d2.view(), &lo, &hi, &t).unwrap();
            assert_bounds(&labels, &lo, &hi);
            let neg = most_negative_cycle(d2.view(), &labels, &lo, &hi);
            assert!(neg >= -tol, "{kind:?} n={n} {name}: negative cycle {neg} (not optimal); stats {stats:?}");
            costs.push(cost(d2.view(), &labels));
        }
        assert!(close(costs[0], costs[1]), "{kind:?}: {costs:?}");
    }
}

#[test]
fn deterministic_across_thread_counts() {
    let mut r = rng(5);
    for (n, kind) in [(200_000usize, Kind::Blobs), (60_000, Kind::SmallInt), (60_000, Kind::Duplicates)] {
        let k = 7;
        let d2 = gen_d2(&mut r, n, k, kind);
        let (lo, hi) = bounds_from_shares(n, k, 0.05, 0.25);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| constrained_assign(d2.view(), &lo, &hi).unwrap())
        };
        let one = run(1);
        let two = run(2);
        let three = run(3);
        assert_bounds(&one, &lo, &hi);
        assert!(one == two, "{kind:?}: labels differ between 1 and 2 threads");
        assert!(one == three, "{kind:?}: labels differ between 1 and 3 threads");
        assert!(one == run(2), "{kind:?}: labels differ between two runs");
    }
}

#[test]
fn loose_bounds_equal_nearest_centroid() {
    let mut r = rng(6);
    for case in 0..300u64 {
        let n = r.gen_range(1..=3000);
        let k = r.gen_range(1..=7);
        let d2 = gen_d2(&mut r, n, k, KINDS[(case % 4) as usize]);
        let near = nearest(d2.view());
        // fully loose
        let labels = constrained_assign(d2.view(), &vec![0; k], &vec![n; k]).unwrap();
        assert_eq!(labels, near, "case {case}: loose bounds must give nearest-centroid (lowest index on ties)");
        let (lo, hi) = bounds_from_shares(n, k, 0.0, 1.0);
        assert_eq!(constrained_assign(d2.view(), &lo, &hi).unwrap(), near);
        // bounds that the nearest-centroid sizes happen to satisfy exactly
        let c = counts(&near, k);
        assert_eq!(constrained_assign(d2.view(), &c, &c).unwrap(), near);
    }
}

#[test]
fn layout_does_not_matter() {
    let mut r = rng(7);
    let n = 5000;
    let k = 5;
    let d2 = gen_d2(&mut r, n, k, Kind::SmallInt);
    let (lo, hi) = bounds_from_shares(n, k, 0.1, 0.22);
    let a = constrained_assign(d2.view(), &lo, &hi).unwrap();
    let mut fortran = Array2::<f64>::zeros((n, k).f());
    fortran.assign(&d2);
    let b = constrained_assign(fortran.view(), &lo, &hi).unwrap();
    assert_eq!(a, b);
}

#[test]
fn all_identical_rows_large() {
    // Every point ties with every other: exact sizes must be met by batched tie moves.
    let n = 300_000;
    let k = 7;
    let d2 = Array2::from_shape_fn((n, k), |(_, j)| [3.0, 1.0, 2.0, 5.0, 1.0, 4.0, 2.5][j]);
    let (lo, hi) = bounds_from_shares(n, k, 0.05, 0.25);
    let t0 = std::time::Instant::now();
    let (labels, stats) = constrained_assign_detailed(d2.view(), &lo, &hi, &Tuning::default()).unwrap();
    let secs = t0.elapsed().as_secs_f64();
    assert_bounds(&labels, &lo, &hi);
    // Optimal: fill the cheapest segments to hi, others to lo.
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| d2[[0, a]].total_cmp(&d2[[0, b]]));
    let mut left = n - lo.iter().sum::<usize>();
    let mut expect = 0.0;
    for &j in &order {
        let extra = (hi[j] - lo[j]).min(left);
        left -= extra;
        expect += (lo[j] + extra) as f64 * d2[[0, j]];
    }
    assert!(close(cost(d2.view(), &labels), expect));
    assert!(secs < 5.0, "took {secs}s, stats {stats:?}");
}

#[test]
fn errors_on_bad_input() {
    let d2 = Array2::from_shape_fn((10, 3), |(i, j)| (i * j) as f64);
    let v = d2.view();
    assert!(matches!(constrained_assign(v, &[4, 4, 4], &[10, 10, 10]), Err(BalanceError::Infeasible { .. })));
    assert!(matches!(constrained_assign(v, &[0, 0, 0], &[3, 3, 3]), Err(BalanceError::Infeasible { .. })));
    assert!(matches!(constrained_assign(v, &[0, 5, 0], &[10, 4, 10]), Err(BalanceError::EmptyRange { segment: 1, .. })));
    assert!(matches!(constrained_assign(v, &[0, 0], &[10, 10]), Err(BalanceError::ShapeMismatch { .. })));
    let mut bad = d2.clone();
    bad[[7, 2]] = f64::NAN;
    bad[[8, 0]] = f64::INFINITY;
    assert_eq!(constrained_assign(bad.view(), &[0, 0, 0], &[10, 10, 10]), Err(BalanceError::NonFinite { row: 7, col: 2 }));
    // k = 0 with points is infeasible; empty input is fine.
    let none = Array2::<f64>::zeros((5, 0));
    assert!(matches!(constrained_assign(none.view(), &[], &[]), Err(BalanceError::Infeasible { .. })));
    let empty = Array2::<f64>::zeros((0, 3));
    assert_eq!(constrained_assign(empty.view(), &[0, 0, 0], &[0, 0, 0]), Ok(vec![]));
    // error messages are readable
    let e = constrained_assign(v, &[4, 4, 4], &[10, 10, 10]).unwrap_err();
    assert!(e.to_string().contains("infeasible"), "{e}");
}

#[test]
fn shares_rounding_and_clamping() {
    // plain rounding: lo = ceil, hi = floor
    assert_eq!(bounds_from_shares(1_000_000, 7, 0.05, 0.25), (vec![50_000; 7], vec![250_000; 7]));
    assert_eq!(bounds_from_shares(1001, 7, 0.05, 0.25), (vec![51; 7], vec![250; 7]));
    // decimal shares that are not exact in binary do not round to the next integer
    assert_eq!(bounds_from_shares(100, 4, 0.07, 0.29), (vec![7; 4], vec![29; 4]));
    assert_eq!(bounds_from_shares(300_000, 7, 0.05, 0.25), (vec![15_000; 7], vec![75_000; 7]));
    // clamped to feasibility: min share too large, max share too small
    assert_eq!(bounds_from_shares(100, 7, 0.2, 0.1), (vec![14; 7], vec![15; 7]));
    assert_eq!(bounds_from_shares(10, 3, 0.5, 0.5), (vec![3; 3], vec![5; 3]));
    // degenerate inputs
    assert_eq!(bounds_from_shares(0, 4, 0.1, 0.3), (vec![0; 4], vec![0; 4]));
    assert_eq!(bounds_from_shares(10, 0, 0.1, 0.3), (vec![], vec![]));
    assert_eq!(bounds_from_shares(10, 2, f64::NAN, f64::NAN), (vec![0; 2], vec![10; 2]));
    assert_eq!(bounds_from_shares(10, 2, -1.0, 7.0), (vec![0; 2], vec![10; 2]));
    let mut r = rng(8);
    for _ in 0..10_000 {
        let n = r.gen_range(0..5000);
        let k = r.gen_range(1..=7);
        let (lo, hi) = bounds_from_shares(n, k, r.gen_range(-0.1..1.1), r.gen_range(-0.1..1.1));
        let (sl, sh): (usize, usize) = (lo.iter().sum(), hi.iter().sum());
        assert!(sl <= n && n <= sh && lo[0] <= hi[0] && hi[0] <= n);
    }
}
