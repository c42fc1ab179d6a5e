//! Reports in Chinese (`--lang zh`, `[report] language`, `custseg report --lang zh`), and segment names
//! set in the profile (`[segments] names`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::{custseg, read_json, read_pairs, repo};

const NO_TRANSLATION: &str = "translation";

/// Runs custseg (without `--quiet`, so that warnings show), asserting the exit code and that every
/// report text had a translation.
pub(crate) fn run_ok(args: &[&str], code: i32) -> String {
    let out = custseg().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(code), "custseg {args:?}: {stderr}");
    assert!(!stderr.contains(NO_TRANSLATION), "custseg {args:?}: untranslated report texts: {stderr}");
    stderr
}

pub(crate) fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

pub(crate) fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The English headings and phrases a Chinese report must not fall back to.
const ENGLISH: &[&str] = &[
    "## In short",
    "## Overview",
    "## The segments",
    "## Data used",
    "## Reproduce this run",
    "Suggested actions",
    "This segment",
    "All customers",
    "customers with bills between",
    "Changes since the previous run",
    "How customers were placed",
    "How the number of segments was chosen",
    "was skipped",
    "Previous segment → now",
    "New customers",
    "Rule:",
    "| Measure |",
    "| Export |",
    "| Rows read |",
    "Silhouette |",
    "Balanced |",
    "of all customers",
    "Drift",
    "Segment ",
];

pub(crate) fn assert_chinese(md: &str) {
    for e in ENGLISH {
        assert!(!md.contains(e), "English text \"{e}\" in a Chinese report:\n{md}");
    }
}

#[test]
fn a_chinese_run_names_segments_in_chinese_everywhere() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("zh");
    run_ok(&["run", "--lang", "zh", "--out", p(&out)], 0);
    let s = read_json(&out.join("summary.json"));
    assert_eq!(s["language"], "zh");
    let html = read(out.join("report.html"));
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("<h1>客户细分：居民用电客户</h1>"), "{}", &html[..html.len().min(2000)]);
    let md = read(out.join("report.md"));
    assert_chinese(&md);
    for heading in ["## 各客户群", "## 各客户群对比", "## 供分析人员参考", "### 客户群数目是如何确定的", "### 所用数据", "### 重现本次运行", "**建议提供**"] {
        assert!(md.contains(heading), "{heading} missing:\n{md}");
    }
    // Names: generated from the profile's Chinese trait words, distinct, and the same in the summary,
    // the report, the charts and assignments.csv.
    let names: Vec<String> = s["segments"].as_array().unwrap().iter().map(|g| g["name"]["zh"].as_str().unwrap().to_string()).collect();
    let mut distinct = names.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), names.len(), "{names:?}");
    let trait_words: Vec<String> = std::fs::read_to_string(repo().join("profiles/residential.toml"))
        .unwrap()
        .lines()
        .flat_map(|l| {
            if let Some(w) = l.strip_prefix("high_zh = \"").or_else(|| l.strip_prefix("low_zh = \"")) {
                vec![w.trim_end_matches('"').to_string()]
            } else if let Some(values) = l.strip_prefix("values_zh = {") {
                // A category's names of its values: { yes = "自有住房", no = "租房" }.
                values.split('"').skip(1).step_by(2).map(String::from).collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    for name in &names {
        assert!(name.split(" · ").all(|w| trait_words.iter().any(|t| t == w)), "{name} is not made of Chinese trait words");
        assert!(md.contains(name.as_str()), "{name} not in report.md");
    }
    let sizes = read(out.join("charts/sizes.svg"));
    assert!(sizes.contains("各客户群的客户数"), "chart title not translated");
    let in_csv: BTreeSet<String> = read_pairs(&out.join("assignments.csv"), "segment", "segment_name").into_iter().map(|(_, n)| n).collect();
    assert_eq!(in_csv, names.iter().cloned().collect(), "assignments.csv names");
    // model.json keeps both languages.
    let model = read_json(&out.join("model.json"));
    assert_eq!(model["segment_names"][0]["zh"], s["segments"][0]["name"]["zh"]);
    assert_eq!(model["segment_names"][0]["en"], s["segments"][0]["name"]["en"]);
}

#[test]
fn every_section_translates_migration_scoring_balance_skipped_groups_and_failure() {
    let t = tempfile::tempdir().unwrap();
    let (g1, g2) = (t.path().join("g1"), t.path().join("g2"));
    custseg().args(["sample-data", "--customers", "2000", "--seed", "5", "--out", p(&g1)]).assert().success();
    custseg().args(["sample-data", "--customers", "2000", "--seed", "5", "--month", "2", "--out", p(&g2)]).assert().success();
    let (r1, r2, scored) = (t.path().join("r1"), t.path().join("r2"), t.path().join("scored"));
    run_ok(&["run", "--data", p(&g1), "--out", p(&r1)], 0);
    // Migration, in Chinese; migration.csv names in Chinese.
    run_ok(&["run", "--lang", "zh", "--data", p(&g2), "--previous", p(&r1), "--out", p(&r2)], 0);
    let md = read(r2.join("report.md"));
    assert_chinese(&md);
    assert!(md.contains("## 与上次运行相比的变化") && md.contains("换了客户群"), "{md}");
    let zh_names: Vec<String> =
        read_json(&r2.join("summary.json"))["segments"].as_array().unwrap().iter().map(|g| g["name"]["zh"].as_str().unwrap().to_string()).collect();
    let migration = read(r2.join("migration.csv"));
    assert!(zh_names.iter().all(|n| migration.contains(n.as_str())) && migration.contains("（新客户）"), "{migration}");
    // Scoring with a saved model, drift.
    run_ok(&["assign", "--lang", "zh", "--data", p(&g2), "--model", p(&r1), "--out", p(&scored)], 0);
    let md = read(scored.join("report.md"));
    assert_chinese(&md);
    assert!(md.contains("## 客户是如何归入客户群的") && md.contains("**漂移**"), "{md}");
    // Skipped groups (no outages, no tickets), re-rendered from a finished English run.
    let partial = t.path().join("partial");
    run_ok(&["run", "--billing", p(&g1.join("billing.csv")), "--customers", p(&g1.join("customers.csv")), "--out", p(&partial)], 0);
    run_ok(&["report", "--run", p(&partial), "--lang", "zh"], 0);
    let md = read(partial.join("report-zh/report.md"));
    assert_chinese(&md);
    assert!(md.contains("特征组 **供电可靠性体验** 被跳过：未提供停电导出文件"), "{md}");
    // Enforced balance, and a run where no k passes (exit 4), on unbalanced data.
    let unbalanced = t.path().join("unbalanced");
    custseg().args(["sample-data", "--customers", "8000", "--seed", "21", "--dominant-share", "0.6", "--out", p(&unbalanced)]).assert().success();
    let failed = t.path().join("failed");
    let strict = crate::common::edited_profile(t.path(), "strict.toml", &[("max_size_ratio = 5.0", "max_size_ratio = 1.2")]);
    run_ok(&["run", "--lang", "zh", "--profile", p(&strict), "--data", p(&unbalanced), "--out", p(&failed)], 4);
    let md = read(failed.join("report.md"));
    assert_chinese(&md);
    assert!(md.contains("**没有任何细分方案通过检查**"), "{md}");
    let profile = t.path().join("enforce.toml");
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    std::fs::write(&profile, crate::common::edit(&crate::common::edit(&base, "[clustering]\n", "[clustering]\nbalance = \"enforce\"\n"), "language = \"en\"", "language = \"zh\"")).unwrap();
    let enforced = t.path().join("enforced");
    run_ok(&["run", "--profile", p(&profile), "--data", p(&unbalanced), "--out", p(&enforced)], 0);
    let md = read(enforced.join("report.md"));
    assert_chinese(&md);
    assert!(md.contains("**强制约束**") && md.contains("客户群规模强制保持在"), "{md}");
}

#[test]
fn names_from_the_profile_replace_generated_ones_and_are_kept_by_the_model() {
    let t = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let profile = t.path().join("named.toml");
    std::fs::write(&profile, format!("{base}\n[segments]\nnames = {{ 2 = \"Budget movers\", 9 = \"Nobody\" }}\nnames_zh = {{ 2 = \"精打细算族\" }}\n")).unwrap();
    let (plain, named, scored) = (t.path().join("plain"), t.path().join("named"), t.path().join("scored"));
    run_ok(&["run", "--out", p(&plain)], 0);
    run_ok(&["run", "--profile", p(&profile), "--out", p(&named)], 0);
    let (a, b) = (read_json(&plain.join("summary.json")), read_json(&named.join("summary.json")));
    let segs = |s: &serde_json::Value| s["segments"].as_array().unwrap().clone();
    for (x, y) in segs(&a).iter().zip(segs(&b).iter()) {
        assert_eq!(x["size"], y["size"], "naming changed the segmentation");
        if y["id"] == 2 {
            assert_eq!(y["name"]["en"], "Budget movers");
            assert_eq!(y["name"]["zh"], "精打细算族");
        } else {
            assert_eq!(x["name"], y["name"], "other segments keep their generated names");
        }
    }
    let md = read(named.join("report.md"));
    assert!(md.contains("### Segment 2: Budget movers") && !md.contains("Nobody"), "{md}");
    let model = read_json(&named.join("model.json"));
    let i = model["segment_ids"].as_array().unwrap().iter().position(|v| v == 2).unwrap();
    assert_eq!(model["segment_names"][i]["en"], "Budget movers");
    // A model keeps the names it was fitted with.
    run_ok(&["assign", "--lang", "zh", "--model", p(&named), "--out", p(&scored)], 0);
    let md = read(scored.join("report.md"));
    assert!(md.contains("### 客户群 2：精打细算族"), "{md}");
}

#[test]
fn a_name_from_the_profile_wins_over_a_kept_one_and_the_model_stays_loadable() {
    let t = tempfile::tempdir().unwrap();
    let (g1, g2) = (t.path().join("g1"), t.path().join("g2"));
    custseg().args(["sample-data", "--customers", "2000", "--seed", "5", "--out", p(&g1)]).assert().success();
    custseg().args(["sample-data", "--customers", "2000", "--seed", "5", "--month", "2", "--out", p(&g2)]).assert().success();
    let r1 = t.path().join("r1");
    run_ok(&["run", "--data", p(&g1), "--out", p(&r1)], 0);
    let first = read_json(&r1.join("summary.json"));
    // Segment 1 is named after segment 2's kept name: segment 2 must give it up.
    let kept = first["segments"][1]["name"]["en"].as_str().unwrap().to_string();
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let profile = t.path().join("named.toml");
    std::fs::write(&profile, format!("{base}\n[segments]\nnames = {{ 1 = \"{kept}\" }}\n")).unwrap();
    let r2 = t.path().join("r2");
    run_ok(&["run", "--profile", p(&profile), "--data", p(&g2), "--previous", p(&r1), "--out", p(&r2)], 0);
    let second = read_json(&r2.join("summary.json"));
    let names: Vec<&str> = second["segments"].as_array().unwrap().iter().map(|g| g["name"]["en"].as_str().unwrap()).collect();
    assert_eq!(names.iter().filter(|n| **n == kept).count(), 1, "{names:?}");
    assert_eq!(second["segments"][0]["name"]["en"], kept.as_str());
    // The model is still loadable: it scores, and serves as --previous.
    let scored = t.path().join("scored");
    run_ok(&["assign", "--data", p(&g2), "--model", p(&r2), "--previous", p(&r2), "--out", p(&scored)], 0);
}

#[test]
fn a_summary_written_before_reports_had_languages_still_renders() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    run_ok(&["run", "--out", p(&run)], 0);
    // Turn the summary into its older form: plain-string names, labels and texts; no attribute labels,
    // rule, language or group labels.
    let mut s = read_json(&run.join("summary.json"));
    let plain = |v: &mut serde_json::Value| *v = v["en"].clone();
    plain(&mut s["profile"]["name"]);
    for f in s["features"].as_array_mut().unwrap() {
        plain(&mut f["label"]);
    }
    for seg in s["segments"].as_array_mut().unwrap() {
        plain(&mut seg["name"]);
        plain(&mut seg["description"]);
        for tr in seg["traits"].as_array_mut().unwrap() {
            plain(&mut tr["text"]);
        }
        for a in seg["attributes"].as_array_mut().unwrap() {
            a.as_object_mut().unwrap().remove("label");
        }
    }
    for key in ["rule", "language", "group_labels"] {
        s.as_object_mut().unwrap().remove(key);
    }
    let old = t.path().join("old");
    std::fs::create_dir(&old).unwrap();
    std::fs::write(old.join("summary.json"), serde_json::to_string(&s).unwrap()).unwrap();
    run_ok(&["report", "--run", p(&old), "--lang", "zh"], 0);
    let md = read(old.join("report-zh/report.md"));
    assert!(md.contains("| region | 本客户群 | 全部客户 |"), "attribute tables fall back to the column name:\n{md}");
    assert!(md.contains("## 各客户群\n"));
}

/// A Chinese run warns for each profile text without its Chinese, naming the key; the GBK example
/// profile, the template for a Chinese utility, carries them all.
#[test]
fn a_chinese_run_names_the_profile_texts_without_chinese_and_the_gbk_example_has_none() {
    let t = tempfile::tempdir().unwrap();
    let profile = crate::common::edited_profile(t.path(), "p.toml", &[("label_zh = \"平均账单金额\"\n", ""), ("high_zh = \"账单金额高\"\n", "")]);
    let out = custseg().args(["run", "--lang", "zh", "--profile", p(&profile), "--out", p(&t.path().join("o"))]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("2 texts of the profile have no Chinese") && stderr.contains("(bill_mean).label_zh") && stderr.contains("(bill_mean).high_zh"), "{stderr}");
    let gbk = run_ok(
        &["run", "--lang", "zh", "--profile", "profiles/examples/gbk-chinese-headers.toml", "--data", "data-samples/gbk-example", "--out", p(&t.path().join("gbk"))],
        0,
    );
    assert!(!gbk.contains("have no Chinese") && !gbk.contains("show as exported"), "{gbk}");
    // The report before the appendix for analysts: Chinese but for units, the app and data values.
    let md = read(t.path().join("gbk/report.md"));
    let main = &md[..md.find("## 供分析人员参考").expect("the appendix")];
    // Without the charts' file names (`![…](charts/sizes.svg)`), which are links, not text.
    let mut text = String::new();
    for (i, part) in main.split("](").enumerate() {
        text.push_str(if i == 0 { part } else { part.split_once(')').map_or("", |(_, rest)| rest) });
    }
    // Units, the app, and the encoding's name in the profile's own Chinese name.
    let english: BTreeSet<&str> = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2 && !["kWh", "App", "GBK"].contains(w))
        .collect();
    assert!(english.is_empty(), "English words in the Chinese report of the GBK example: {english:?}");
    // The attribute tables of the appendix write the values in Chinese too.
    assert!(md.contains("| 独栋房屋 |") && md.contains("| 燃气 |"), "attribute values are translated:\n{md}");

    // A value the profile does not translate shows as exported, and the run says so.
    let untranslated = crate::common::edited_profile(t.path(), "q.toml", &[("城区\", rural = \"农村\" }, dwelling", "城区\" }, dwelling")]);
    let out = custseg().args(["run", "--lang", "zh", "--profile", p(&untranslated), "--out", p(&t.path().join("q"))]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("attribute region: the values \"rural\" show as exported") && stderr.contains("attributes.values_zh.region.rural"), "{stderr}");
}
