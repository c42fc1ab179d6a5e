//! Per-customer aggregation of the bill, outage and ticket rows, written for this job: the customer key
//! is hashed once into a row → customer code, and each feature then costs one sequential pass over one
//! numeric column. polars' group-by hashes the string key again for every query and runs each masked
//! aggregation through its generic machinery; on 12 million bills with 13 features that was most of
//! the features stage. Sums run in row order, so results do not depend on the thread count.

use polars::prelude::*;

use super::{Agg, Error, Result};

/// The code of a row outside the window: it belongs to no group.
const OUTSIDE: u32 = u32::MAX;

/// Row → group codes of a key column, groups numbered in order of first appearance.
pub struct Groups {
    /// Per row, its group ([`OUTSIDE`] for a row outside the window).
    pub codes: Vec<u32>,
    /// The key of each group.
    pub keys: Vec<String>,
    /// Rows per group.
    pub sizes: Vec<u32>,
}

/// Codes the rows of a string key column (null keys form one group of their own, as in polars); with
/// `inside`, only the rows it marks.
pub fn groups_of(key: &StringChunked, inside: Option<&BooleanChunked>) -> Groups {
    assert!(inside.is_none_or(|m| m.len() == key.len()), "the window mask has one entry per row");
    let mut index: PlHashMap<Option<&str>, u32> = PlHashMap::with_capacity(key.len() / 8 + 16);
    let mut codes = Vec::with_capacity(key.len());
    let mut keys = Vec::new();
    let mut sizes: Vec<u32> = Vec::new();
    let mut inside = inside.map(|m| m.iter());
    // Exports usually list a customer's rows together: a row with the previous row's key needs no
    // lookup.
    let mut last: Option<(Option<&str>, u32)> = None;
    for k in key.iter() {
        if let Some(m) = inside.as_mut() {
            if m.next().flatten() != Some(true) {
                codes.push(OUTSIDE);
                continue;
            }
        }
        if let Some((lk, lc)) = last {
            if lk == k {
                sizes[lc as usize] += 1;
                codes.push(lc);
                continue;
            }
        }
        let next = keys.len() as u32;
        let code = *index.entry(k).or_insert_with(|| {
            keys.push(k.unwrap_or("").to_string());
            sizes.push(0);
            next
        });
        sizes[code as usize] += 1;
        codes.push(code);
        last = Some((k, code));
    }
    Groups { codes, keys, sizes }
}

/// Adds the non-null values of `values` (rows `offset..` of the export) to their groups' count and sum.
fn count_sum(values: &Float64Chunked, codes: &[u32], n: &mut [u32], s: &mut [f64]) {
    let mut row = 0usize;
    for arr in values.downcast_iter() {
        let codes = &codes[row..row + arr.len()];
        match arr.validity() {
            None => {
                for (&v, &c) in arr.values().iter().zip(codes) {
                    if c != OUTSIDE {
                        n[c as usize] += 1;
                        s[c as usize] += v;
                    }
                }
            }
            Some(valid) => {
                for ((&v, ok), &c) in arr.values().iter().zip(valid.iter()).zip(codes) {
                    if ok && c != OUTSIDE {
                        n[c as usize] += 1;
                        s[c as usize] += v;
                    }
                }
            }
        }
        row += arr.len();
    }
}

/// Adds the squared deviations from their group's `mean` of the non-null values to `ss`.
fn squared_deviations(values: &Float64Chunked, codes: &[u32], mean: &[f64], ss: &mut [f64]) {
    for (v, &c) in values.iter().zip(codes) {
        if let (Some(v), true) = (v, c != OUTSIDE) {
            let d = v - mean[c as usize];
            ss[c as usize] += d * d;
        }
    }
}

/// One feature to aggregate, with the meaning `agg_expr` gives it in polars: `pred` is its filter
/// (null counts as false), `value` its column, `masked` the column where `pred` holds and `masked_not`
/// where it does not (null elsewhere).
pub struct Request {
    pub agg: Agg,
    pub pred: Option<Expr>,
    pub value: Expr,
    pub masked: Option<Expr>,
    pub masked_not: Option<Expr>,
}

/// How a feature is made from the per-group count and sum of the expressions evaluated.
enum Plan {
    Rows,
    Sum(usize),
    Mean(usize),
    Cv(usize),
    /// Sum over the group's rows.
    Share(usize),
    Ratio(usize, usize),
}

/// Rows evaluated at a time: the expressions' columns for one slice stay small (a few hundred MB at
/// most), however many bills there are.
const SLICE_ROWS: usize = 1 << 21;

/// Every requested feature per group, and the sum per group of each of `sums`. The rows of `rows`
/// (`n_rows` of them) are evaluated a slice at a time, every expression of a slice in one polars
/// query (which computes shared parts, such as a derived column, once), and the slice is added to
/// the groups' counts and sums, one expression per thread; each sum runs in row order, so results
/// do not depend on the thread count.
/// Per request, each group's value (`None`: no value); per sum, each group's sum.
pub type Aggregates = (Vec<Vec<Option<f64>>>, Vec<Vec<f64>>);

pub fn aggregate(rows: &LazyFrame, n_rows: usize, g: &Groups, requests: &[Request], sums: &[Expr]) -> Result<Aggregates> {
    aggregate_in_slices(rows, n_rows, g, requests, sums, SLICE_ROWS)
}

/// [`aggregate`] with slices of `slice_rows` rows (tests use small ones).
pub fn aggregate_in_slices(
    rows: &LazyFrame,
    n_rows: usize,
    g: &Groups,
    requests: &[Request],
    sums: &[Expr],
    slice_rows: usize,
) -> Result<Aggregates> {
    use rayon::prelude::*;
    let mut exprs: Vec<Expr> = Vec::new();
    let mut add = |e: Expr| {
        exprs.push(e);
        exprs.len() - 1
    };
    let plans: Vec<Plan> = requests
        .iter()
        .map(|r| {
            let filtered = || r.masked.clone().unwrap_or_else(|| r.value.clone());
            match (r.agg, &r.pred) {
                (Agg::Count, Some(p)) => Plan::Sum(add(p.clone())),
                (Agg::Count, None) => Plan::Rows,
                (Agg::Sum, _) => Plan::Sum(add(filtered())),
                (Agg::Mean, _) => Plan::Mean(add(filtered())),
                (Agg::Cv, _) => Plan::Cv(add(filtered())),
                (Agg::Share, Some(p)) => Plan::Share(add(p.clone())),
                (Agg::Share, None) => Plan::Mean(add(r.value.clone())),
                (Agg::Ratio, _) => {
                    let on = add(r.masked.clone().expect("validated: ratio has a filter"));
                    Plan::Ratio(on, add(r.masked_not.clone().expect("validated: ratio has a filter")))
                }
                (Agg::Value | Agg::TenureYears, _) => unreachable!("customers-export features are aggregated by polars"),
            }
        })
        .collect();
    let sum_at: Vec<usize> = sums.iter().map(|e| add(e.clone())).collect();
    let m = g.keys.len();
    let context = |e: PolarsError| Error::polars("computing features' values", e);
    let slices = |indices: &[usize], visit: &mut dyn FnMut(usize, Vec<Float64Chunked>)| -> Result<()> {
        let mut offset = 0usize;
        while offset < n_rows {
            let len = slice_rows.min(n_rows - offset);
            let select: Vec<Expr> = indices.iter().map(|&i| exprs[i].clone().cast(DataType::Float64).alias(format!("__e{i}"))).collect();
            let out = rows.clone().slice(offset as i64, len as IdxSize).select(select).collect().map_err(context)?;
            let columns = out
                .columns()
                .iter()
                .map(|c| c.as_materialized_series().f64().cloned())
                .collect::<PolarsResult<Vec<_>>>()
                .map_err(context)?;
            assert!(columns.iter().all(|c| c.len() == len), "every expression gives one value per row of the slice");
            visit(offset, columns);
            offset += len;
        }
        Ok(())
    };
    // Pass 1: counts and sums of every expression.
    let all: Vec<usize> = (0..exprs.len()).collect();
    let mut acc: Vec<(Vec<u32>, Vec<f64>)> = vec![(vec![0; m], vec![0.0; m]); exprs.len()];
    slices(&all, &mut |offset, columns| {
        acc.par_iter_mut().zip(columns.par_iter()).for_each(|((n, s), values)| {
            count_sum(values, &g.codes[offset..offset + values.len()], n, s);
        });
    })?;
    let mean = |i: usize| -> Vec<Option<f64>> { acc[i].0.iter().zip(&acc[i].1).map(|(&n, &s)| (n > 0).then(|| s / n as f64)).collect() };
    // Pass 2, for coefficients of variation: squared deviations from the group means (two passes, as
    // polars computes a standard deviation, rather than a sum of squares that cancels).
    let cv: Vec<usize> = plans.iter().filter_map(|p| if let Plan::Cv(i) = p { Some(*i) } else { None }).collect();
    let mut ss: Vec<Vec<f64>> = vec![vec![0.0; m]; cv.len()];
    if !cv.is_empty() {
        let means: Vec<Vec<f64>> = cv.iter().map(|&i| mean(i).into_iter().map(|v| v.unwrap_or(0.0)).collect()).collect();
        slices(&cv, &mut |offset, columns| {
            ss.par_iter_mut().zip(columns.par_iter()).zip(means.par_iter()).for_each(|((ss, values), mean)| {
                squared_deviations(values, &g.codes[offset..offset + values.len()], mean, ss);
            });
        })?;
    }
    let features = plans
        .iter()
        .map(|p| match *p {
            Plan::Rows => g.sizes.iter().map(|&n| Some(n as f64)).collect(),
            // polars sums a group of nulls to 0.
            Plan::Sum(i) => acc[i].1.iter().map(|&s| Some(s)).collect(),
            Plan::Mean(i) => mean(i),
            Plan::Share(i) => acc[i].1.iter().zip(&g.sizes).map(|(&s, &n)| Some(s / n as f64)).collect(),
            Plan::Ratio(a, b) => mean(a).into_iter().zip(mean(b)).map(|(a, b)| Some(a? / b?)).collect(),
            Plan::Cv(i) => {
                let k = cv.iter().position(|&c| c == i).expect("planned");
                let (n, s) = &acc[i];
                (0..m).map(|c| (n[c] >= 2).then(|| (ss[k][c] / (n[c] - 1) as f64).sqrt() / (s[c] / n[c] as f64))).collect()
            }
        })
        .collect();
    let sums = sum_at.iter().map(|&i| acc[i].1.clone()).collect();
    Ok((features, sums))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_number_keys_by_first_appearance_and_count_rows() {
        let key = StringChunked::from_iter(["b", "a", "b", "c", "a", "b"].iter().map(|s| Some(*s)));
        let g = groups_of(&key, None);
        assert_eq!(g.keys, ["b", "a", "c"]);
        assert_eq!(g.codes, [0, 1, 0, 2, 1, 0]);
        assert_eq!(g.sizes, [3, 2, 1]);
        let v = Float64Chunked::from_iter([Some(1.0), None, Some(3.0), Some(4.0), Some(5.0), None]);
        let sums = |g: &Groups| {
            let (mut n, mut s) = (vec![0; g.keys.len()], vec![0.0; g.keys.len()]);
            count_sum(&v, &g.codes, &mut n, &mut s);
            (n, s)
        };
        assert_eq!(sums(&g), (vec![2, 1, 1], vec![4.0, 5.0, 4.0]));
        // Rows outside the window belong to no group.
        let inside = BooleanChunked::from_iter([Some(true), Some(false), Some(true), Some(false), Some(true), None]);
        let g = groups_of(&key, Some(&inside));
        assert_eq!((g.keys.clone(), g.sizes.clone()), (vec!["b".to_string(), "a".to_string()], vec![2, 1]));
        assert_eq!(sums(&g), (vec![2, 1], vec![4.0, 5.0]));
    }
}
