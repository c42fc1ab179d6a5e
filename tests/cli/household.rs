//! Household attributes as features (`agg = "indicator"` and `"category"`): their scaling and
//! weights, the missing-value rule, values a saved model never saw, names that say who customers are,
//! the per-customer reasons, and `features.parquet`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use polars::prelude::*;

use crate::common::*;

pub(crate) fn features_parquet(run: &Path) -> DataFrame {
    let file = std::fs::File::open(run.join("features.parquet")).expect("features.parquet");
    ParquetReader::new(file).finish().expect("readable Parquet")
}

pub(crate) fn column_f64(df: &DataFrame, name: &str) -> Vec<f64> {
    df.column(name).unwrap_or_else(|_| panic!("column {name}")).f64().expect("f64").into_no_null_iter().collect()
}

pub(crate) fn column_str(df: &DataFrame, name: &str) -> Vec<String> {
    let c = df.column(name).expect("column");
    (0..c.len()).map(|i| match c.get(i).expect("row") {
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        v => panic!("{name}: {v:?} is not text"),
    }).collect()
}

/// customers.csv of `dir`: id → value of `column`.
fn customer_values(dir: &Path, column: &str) -> HashMap<String, String> {
    read_pairs(&dir.join("customers.csv"), "customer_id", column).into_iter().collect()
}

fn run_sample(out: &Path, extra: &[&str]) {
    custseg().args(["run", "--quiet"]).args(extra).arg("--out").arg(out).assert().success();
}

#[test]
fn a_category_becomes_one_indicator_per_value_sharing_one_features_weight() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    run_sample(&run, &[]);
    let model = read_json(&run.join("model.json"));
    let features = model["features"].as_array().unwrap();
    let scaler = model["scaler"].as_array().unwrap();
    let heating: Vec<usize> = (0..features.len()).filter(|&j| features[j]["block"] == "heating").collect();
    let levels: Vec<&str> = features[heating[0]]["levels"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    // Every value of the column, most common first, one indicator each, named after it.
    let values = customer_values(&repo().join("data-samples"), "heating");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values.values() {
        *counts.entry(v.as_str()).or_default() += 1;
    }
    let mut expected: Vec<&str> = counts.keys().copied().collect();
    expected.sort_by(|a, b| counts[b].cmp(&counts[a]).then(a.cmp(b)));
    assert_eq!(levels, expected);
    assert_eq!(heating.len(), levels.len());
    for (&j, level) in heating.iter().zip(&levels) {
        assert_eq!(features[j]["agg"], "indicator");
        assert_eq!(features[j]["name"], format!("heating_{level}"));
        assert_eq!(features[j]["filter"]["equals"], *level);
        assert_eq!((scaler[j]["clip_low"].as_f64(), scaler[j]["clip_high"].as_f64()), (Some(0.0), Some(1.0)));
    }
    // One fixed spread for every indicator of a category, sqrt(1/2), around its value's share among
    // the billed customers, so the category adds 2 (1 − Σ p²) of variance (before its scale).
    let df = features_parquet(&run);
    let shares: Vec<f64> = heating.iter().map(|&j| {
        let v = column_f64(&df, features[j]["name"].as_str().unwrap());
        v.iter().sum::<f64>() / v.len() as f64
    }).collect();
    for (&j, p) in heating.iter().zip(&shares) {
        assert!((scaler[j]["std"].as_f64().unwrap() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15, "{}", scaler[j]);
        assert!((scaler[j]["mean"].as_f64().unwrap() - p).abs() < 1e-12, "{}", scaler[j]);
    }
    let variance: f64 = heating.iter().map(|&j| {
        let name = features[j]["name"].as_str().unwrap();
        let z = column_f64(&df, &format!("{name}_scaled"));
        let scale = scaler[j]["scale"].as_f64().unwrap();
        z.iter().map(|v| (v / scale).powi(2)).sum::<f64>() / z.len() as f64
    }).sum();
    let expected = 2.0 * (1.0 - shares.iter().map(|p| p * p).sum::<f64>());
    assert!((variance - expected).abs() < 1e-9, "heating adds {variance}, expected {expected}");
    assert!(expected > 0.5 && expected < 2.0, "{expected}");
    // The household group's five categories weigh as five features: each indicator has the scale
    // of one feature in a group of five weighing 3 (the default profile's), sqrt(3/5).
    let household: Vec<usize> = (0..features.len()).filter(|&j| features[j]["group"] == "household").collect();
    let blocks: std::collections::BTreeSet<&str> = household.iter().map(|&j| features[j]["block"].as_str().unwrap()).collect();
    assert_eq!(blocks.into_iter().collect::<Vec<_>>(), ["dwelling", "ev_owner", "heating", "homeowner", "region"]);
    for &j in &household {
        assert!((scaler[j]["scale"].as_f64().unwrap() - (3.0f64 / 5.0).sqrt()).abs() < 1e-12, "{}", scaler[j]);
    }
    // Values are 0 and 1, as the customers export says.
    let ids = column_str(&df, "customer_id");
    let gas = column_f64(&df, "heating_gas");
    for (id, g) in ids.iter().zip(&gas) {
        assert_eq!(*g, if values[id] == "gas" { 1.0 } else { 0.0 }, "{id}");
    }
}

/// The committed sample with `heating` changed for the first `n` customers by `to(old)`, and the
/// folder it is written in.
fn sample_with_heating(dir: &Path, n: usize, to: &str) -> std::path::PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for f in ["billing.csv", "outages.csv", "tickets.csv"] {
        std::fs::copy(repo().join("data-samples").join(f), data.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(repo().join("data-samples/customers.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let col = lines[0].split(',').position(|c| c == "heating").unwrap();
    for line in lines.iter_mut().skip(1).take(n) {
        let mut cells: Vec<&str> = line.split(',').collect();
        cells[col] = to;
        *line = cells.join(",");
    }
    std::fs::write(data.join("customers.csv"), lines.join("\n") + "\n").unwrap();
    let changed = customer_values(&data, "heating");
    assert_eq!(changed.values().filter(|v| v.as_str() == to).count(), n, "the edit took");
    data
}

#[test]
fn an_empty_value_is_unknown_and_gets_the_share_of_the_known_customers() {
    let t = tempfile::tempdir().unwrap();
    let data = sample_with_heating(t.path(), 100, "");
    let run = t.path().join("run");
    custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--out").arg(&run).assert().success();
    let df = features_parquet(&run);
    let ids = column_str(&df, "customer_id");
    let values = customer_values(&data, "heating");
    let gas = column_f64(&df, "heating_gas");
    let known: Vec<f64> = ids.iter().zip(&gas).filter(|(id, _)| !values[*id].is_empty()).map(|(_, g)| *g).collect();
    let share = known.iter().sum::<f64>() / known.len() as f64;
    let unknown: Vec<f64> = ids.iter().zip(&gas).filter(|(id, _)| values[*id].is_empty()).map(|(_, g)| *g).collect();
    assert!(!unknown.is_empty());
    for g in unknown {
        assert!((g - share).abs() < 1e-12, "{g} vs the share {share}");
    }
    let model = read_json(&run.join("model.json"));
    let levels = model["features"].as_array().unwrap().iter().find(|f| f["name"] == "heating_gas").unwrap()["levels"].clone();
    assert!(!levels.as_array().unwrap().iter().any(|l| l == ""), "an empty value is not a level: {levels}");
}

#[test]
fn assign_treats_a_value_the_model_never_saw_as_unknown() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    run_sample(&run, &[]);
    let data = sample_with_heating(t.path(), 50, "wood_stove");
    let scored = t.path().join("scored");
    custseg().args(["assign", "--quiet", "--model"]).arg(&run).arg("--data").arg(&data).arg("--out").arg(&scored).assert().success();
    let model = read_json(&run.join("model.json"));
    let fill = |name: &str| model["scaler"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()["fill"].as_f64().unwrap();
    let df = features_parquet(&scored);
    let ids = column_str(&df, "customer_id");
    let values = customer_values(&data, "heating");
    assert!(!df.get_column_names().iter().any(|c| c.contains("wood")), "no feature for the new value");
    for level in ["gas", "electric", "heat_pump"] {
        let v = column_f64(&df, &format!("heating_{level}"));
        for (id, x) in ids.iter().zip(&v) {
            if values[id] == "wood_stove" {
                assert_eq!(*x, fill(&format!("heating_{level}")), "{id} {level}");
            } else {
                assert_eq!(*x, if values[id] == level { 1.0 } else { 0.0 });
            }
        }
    }
}

#[test]
fn an_indicator_of_one_value_is_a_feature_of_its_own() {
    let t = tempfile::tempdir().unwrap();
    let p = edited_profile(
        t.path(),
        "p.toml",
        &[(
            "# --- household",
            "[[features]]\nname = \"gas_heated\"\nlabel = \"Gas heating\"\ngroup = \"household\"\nsource = \"customers\"\nagg = \"indicator\"\nfilter = { column = \"heating\", equals = \"gas\" }\nhigh = \"Gas-heated\"\n\n# --- household",
        )],
    );
    let run = t.path().join("run");
    custseg().args(["run", "--quiet", "--profile"]).arg(&p).arg("--out").arg(&run).assert().success();
    let df = features_parquet(&run);
    assert_eq!(column_f64(&df, "gas_heated"), column_f64(&df, "heating_gas"));
    let model = read_json(&run.join("model.json"));
    let s = model["scaler"].as_array().unwrap().iter().find(|s| s["name"] == "gas_heated").unwrap().clone();
    let v = column_f64(&df, "gas_heated");
    let p = v.iter().sum::<f64>() / v.len() as f64;
    // Its own spread (a z-score), not a category's.
    assert!((s["std"].as_f64().unwrap() - (p * (1.0 - p)).sqrt()).abs() < 1e-12, "{s}");
    assert!(model["features"].as_array().unwrap().iter().find(|f| f["name"] == "gas_heated").unwrap().get("block").is_none());
}

#[test]
fn category_keys_are_checked_and_a_column_with_too_many_values_is_skipped_saying_why() {
    let t = tempfile::tempdir().unwrap();
    let bad = [
        ("agg = \"category\"\ncolumn = \"region\"", "agg = \"category\"\ncolumn = \"region\"\nfilter = { column = \"region\", equals = \"west\" }", "takes no filter"),
        ("agg = \"category\"\ncolumn = \"region\"", "agg = \"category\"\ncolumn = \"region\"\nblock = \"x\"", "not a profile key"),
        ("agg = \"category\"\ncolumn = \"region\"", "agg = \"category\"\ncolumn = \"region\"\ntransform = \"log1p\"", "no transform"),
        ("agg = \"category\"\ncolumn = \"region\"", "agg = \"category\"\ncolumn = \"region\"\nlevels = [\"west\", \"west\"]", "listed twice"),
        ("name = \"tickets\"\nlabel = \"Service tickets\"", "name = \"tickets\"\nlabel = \"Service tickets\"\nvalues = { a = \"b\" }", "go with agg = \"category\""),
    ];
    for (i, (from, to, says)) in bad.iter().enumerate() {
        let p = edited_profile(t.path(), &format!("bad{i}.toml"), &[(from, to)]);
        let out = custseg().args(["run", "--quiet", "--profile"]).arg(&p).arg("--out").arg(t.path().join(format!("o{i}"))).assert().code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains(says), "{says}: {err}");
    }
    // customer_id as a category: 2,000 values.
    let p = edited_profile(t.path(), "ids.toml", &[("agg = \"category\"\ncolumn = \"region\"", "agg = \"category\"\ncolumn = \"customer_id\"")]);
    let run = t.path().join("ids");
    custseg().args(["run", "--quiet", "--profile"]).arg(&p).arg("--out").arg(&run).assert().success();
    let summary = read_json(&run.join("summary.json"));
    let skipped = summary["skipped_features"].as_array().unwrap().iter().find(|s| s["name"] == "region").expect("region skipped").clone();
    assert!(skipped["reason"].as_str().unwrap().contains("2,000 different values") || skipped["reason"].as_str().unwrap().contains("2000 different values"), "{skipped}");
    // With levels listed, those values are used and the others are unknown.
    let p = edited_profile(t.path(), "levels.toml", &[("agg = \"category\"\ncolumn = \"region\"", "agg = \"category\"\ncolumn = \"region\"\nlevels = [\"rural\", \"city\"]")]);
    let run = t.path().join("levels");
    custseg().args(["run", "--quiet", "--profile"]).arg(&p).arg("--out").arg(&run).assert().success();
    let df = features_parquet(&run);
    let names = df.get_column_names().iter().map(|c| c.to_string()).filter(|c| c.starts_with("region_") && !c.ends_with("_scaled")).collect::<Vec<_>>();
    assert_eq!(names, ["region_rural", "region_city"]);
}

#[test]
fn names_say_who_customers_are_in_both_languages() {
    let t = tempfile::tempdir().unwrap();
    let (en, zh) = (t.path().join("en"), t.path().join("zh"));
    run_sample(&en, &[]);
    run_sample(&zh, &["--lang", "zh"]);
    let words_en = ["Homeowners", "Renters", "Live in houses", "Live in apartments", "Gas heating", "Electric heating", "Heat pumps", "City", "Rural", "EV owners"];
    let words_zh = ["自有住房", "租房", "住独栋房屋", "住公寓", "燃气采暖", "电采暖", "热泵采暖", "城区", "农村", "有电动汽车"];
    let summary = read_json(&en.join("summary.json"));
    let segments = summary["segments"].as_array().unwrap();
    let household_led = segments.iter().filter(|s| {
        let name = s["name"]["en"].as_str().unwrap();
        words_en.iter().any(|w| name.starts_with(w))
    });
    assert!(household_led.count() >= 3, "{:?}", segments.iter().map(|s| &s["name"]).collect::<Vec<_>>());
    for s in segments {
        let (en_name, zh_name) = (s["name"]["en"].as_str().unwrap(), s["name"]["zh"].as_str().unwrap());
        if let Some(i) = words_en.iter().position(|w| en_name.starts_with(w)) {
            assert!(zh_name.starts_with(words_zh[i]), "{en_name} / {zh_name}");
        }
    }
    // The Chinese run writes the Chinese names into its assignments.
    let zh_names: Vec<String> = read_pairs(&zh.join("assignments.csv"), "customer_id", "segment_name").into_iter().map(|(_, n)| n).collect();
    assert!(zh_names.iter().any(|n| words_zh.iter().any(|w| n.starts_with(w))));
}

#[test]
fn reasons_name_traits_of_the_customers_own_segment() {
    let t = tempfile::tempdir().unwrap();
    let (en, zh) = (t.path().join("en"), t.path().join("zh"));
    run_sample(&en, &[]);
    run_sample(&zh, &["--lang", "zh"]);
    for (run, lang, sep) in [(&en, "en", "; "), (&zh, "zh", "；")] {
        let summary = read_json(&run.join("summary.json"));
        let traits: HashMap<String, Vec<String>> = summary["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["id"].to_string(), s["traits"].as_array().unwrap().iter().map(|t| t["text"][lang].as_str().unwrap().to_string()).collect()))
            .collect();
        let mut r = csv::Reader::from_path(run.join("assignments.csv")).unwrap();
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), ["customer_id", "segment", "segment_name", "distance", "reasons"]);
        let mut with_traits = 0;
        let mut rows = 0;
        for rec in r.records() {
            let rec = rec.unwrap();
            rows += 1;
            let reasons = &rec[4];
            assert!(!reasons.is_empty());
            let own = &traits[&rec[1]];
            if own.iter().any(|t| reasons.starts_with(t.as_str())) {
                with_traits += 1;
                let parts: Vec<&str> = reasons.split(sep).collect();
                assert!(parts.len() <= 3, "{reasons}");
                for p in parts {
                    assert!(own.iter().any(|t| t == p), "{lang}: {p:?} is not a trait of segment {} ({own:?})", &rec[1]);
                }
            }
        }
        // Nearly every customer shares at least one of its segment's traits.
        assert!(with_traits * 10 >= rows * 9, "{lang}: {with_traits} of {rows}");
    }
}

#[test]
fn features_parquet_has_every_feature_raw_and_scaled_for_every_customer() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    run_sample(&run, &[]);
    let df = features_parquet(&run);
    let model = read_json(&run.join("model.json"));
    let names: Vec<String> = model["features"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect();
    let mut expected = vec!["customer_id".to_string()];
    expected.extend(names.iter().cloned());
    expected.extend(names.iter().map(|n| format!("{n}_scaled")));
    assert_eq!(df.get_column_names().iter().map(|c| c.to_string()).collect::<Vec<_>>(), expected);
    let summary = read_json(&run.join("summary.json"));
    assert_eq!(df.height() as u64, summary["customers"].as_u64().unwrap());
    assert_eq!(column_str(&df, "customer_id"), read_pairs(&run.join("assignments.csv"), "customer_id", "segment").into_iter().map(|(id, _)| id).collect::<Vec<_>>());
}

#[test]
fn sample_data_plants_four_to_seven_personas() {
    let t = tempfile::tempdir().unwrap();
    for n in [4usize, 7] {
        let d = t.path().join(format!("p{n}"));
        custseg().args(["sample-data", "-q", "--customers", "700", "--personas", &n.to_string(), "--out"]).arg(&d).assert().success();
        let personas: std::collections::BTreeSet<String> = read_pairs(&d.join("truth.csv"), "customer_id", "persona").into_iter().map(|(_, p)| p).collect();
        assert_eq!(personas.len(), n);
    }
    for bad in ["3", "8"] {
        custseg().args(["sample-data", "-q", "--personas", bad, "--out"]).arg(t.path().join("x")).assert().code(2);
    }
}
