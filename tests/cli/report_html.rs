//! `report.html`: self-contained, well-formed, every chart inline, hostile data escaped; every CSV
//! custseg writes neutralises spreadsheet formulas.

use std::path::Path;

use crate::common::*;

fn well_formed_and_offline(html: &str) {
    let doc = roxmltree::Document::parse_with_options(html, roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() })
        .unwrap_or_else(|e| panic!("report.html is not well-formed: {e}"));
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(!["script", "link", "img", "iframe", "object", "embed"].contains(&name), "<{name}> in the report");
        for attr in node.attributes() {
            let v = attr.value();
            assert!(
                !(attr.name() == "src" || (attr.name() == "href" && !v.starts_with('#'))),
                "<{name} {}=\"{v}\"> points outside the report",
                attr.name()
            );
        }
    }
    for needle in ["@import", "url(", "<script"] {
        assert!(!html.contains(needle), "report.html contains {needle}");
    }
}

#[test]
fn the_html_report_is_well_formed_offline_and_holds_every_chart() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    custseg().args(["run", "--quiet", "--out"]).arg(&out).assert().success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    well_formed_and_offline(&html);
    let s = read_json(&out.join("summary.json"));
    let k = s["k"].as_u64().unwrap() as usize;
    // Sizes, the profile heatmap, the map, k selection and one index chart per segment, each inline.
    assert_eq!(html.matches("<svg").count(), 4 + k, "charts inline");
    let charts: Vec<String> = std::fs::read_dir(out.join("charts")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    assert_eq!(charts.len(), 4 + k, "{charts:?}");
    let points = s["projection"]["points"].as_array().unwrap().len();
    assert_eq!(points, 2000, "the map shows every customer of the 2,000-customer sample");
    for seg in s["segments"].as_array().unwrap() {
        assert!(html.contains(&format!("id=\"segment-{}\"", seg["id"])), "no card for segment {}", seg["id"]);
    }
    for section in ["segments", "overview", "for-analysts", "measures", "selection", "quality", "reproduce"] {
        assert!(html.contains(&format!("id=\"{section}\"")), "no {section} section");
    }
    assert!(html.contains("What to offer"), "no segment says what to offer");
}

/// Writes the committed sample into `dir` with hostile text in it: an attribute value, a customer id
/// and a rejected value.
fn hostile_data(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for f in ["outages.csv", "tickets.csv"] {
        std::fs::copy(repo().join("data-samples").join(f), dir.join(f)).unwrap();
    }
    let evil_id = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let quoted = "\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"";
    let customers = std::fs::read_to_string(repo().join("data-samples/customers.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in customers.lines().enumerate() {
        // Quoted as CSV quotes a field holding quotes.
        let line = if i > 0 && i % 2 == 0 { line.replacen(",north,", ",\"<script>alert(\"\"x\"\")</script>\",", 1) } else { line.to_string() };
        out.push_str(&line.replacen("C0000001,", &format!("{quoted},"), 1));
        out.push('\n');
    }
    std::fs::write(dir.join("customers.csv"), out).unwrap();
    let billing = std::fs::read_to_string(repo().join("data-samples/billing.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in billing.lines().enumerate() {
        let mut line = line.replace("C0000001,", &format!("{quoted},"));
        if i == 7 {
            let cells: Vec<&str> = line.split(',').collect();
            line = format!("{},{},=1+2,{}", cells[0], cells[1], cells[3..].join(","));
        }
        out.push_str(&line);
        out.push('\n');
    }
    std::fs::write(dir.join("billing.csv"), out).unwrap();
    assert!(evil_id.starts_with('='));
}

#[test]
fn hostile_text_is_escaped_in_html_and_svg_and_neutralised_in_every_csv() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    hostile_data(&data);
    // Segment names from the profile are hostile too.
    let base = std::fs::read_to_string(repo().join("profiles/residential.toml")).unwrap();
    let profile = t.path().join("hostile.toml");
    std::fs::write(
        &profile,
        format!("{base}\n[segments]\nnames = {{ 1 = \"=HYPERLINK(\\\"http://evil.example\\\",\\\"y\\\")\", 2 = \"<img src=x onerror=alert(2)> & *bold*\" }}\n"),
    )
    .unwrap();
    let out = t.path().join("o");
    custseg().args(["run", "--quiet", "--data"]).arg(&data).arg("--profile").arg(&profile).arg("--out").arg(&out).assert().success();
    // The same report in Chinese, re-rendered from the run.
    custseg().args(["report", "--quiet", "--lang", "zh", "--run"]).arg(&out).assert().success();
    for html_path in [out.join("report.html"), out.join("report-zh/report.html")] {
        let html = std::fs::read_to_string(html_path).unwrap();
        well_formed_and_offline(&html);
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), "the attribute value is not in the report, escaped");
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt; &amp; *bold*"), "the segment name is not in the report, escaped");
        assert!(!html.contains("<img"), "raw markup from a segment name");
    }
    for entry in std::fs::read_dir(out.join("charts")).unwrap() {
        let svg = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!svg.contains("<script"));
        roxmltree::Document::parse(&svg).expect("a chart is not well-formed");
    }
    for md_path in [out.join("report.md"), out.join("report-zh/report.md")] {
        let md = std::fs::read_to_string(md_path).unwrap();
        assert!(!md.contains("<script>") && !md.contains("<img"), "raw markup in report.md");
        assert!(md.contains("&lt;img src=x onerror=alert(2)&gt; &amp; \\*bold\\*"), "the segment name is not escaped in report.md");
        assert!(md.contains("http\\://evil.example") && !md.contains("http://evil"), "a web address in report.md would become a link");
    }
    for entry in std::fs::read_dir(out.join("report-zh/charts")).unwrap() {
        let svg = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!svg.contains("<script") && !svg.contains("<img"));
        roxmltree::Document::parse(&svg).expect("a chart is not well-formed");
    }
    // Every CSV: no cell starts with a formula character unless neutralised.
    let mut checked = 0;
    let assignments = std::fs::read_to_string(out.join("assignments.csv")).unwrap();
    assert!(assignments.contains("'=HYPERLINK("), "the hostile segment name is not neutralised in assignments.csv");
    for csv_path in [out.join("assignments.csv"), out.join("rejects/billing.csv")] {
        let mut r = csv::Reader::from_path(&csv_path).unwrap();
        for rec in r.records() {
            for cell in rec.unwrap().iter() {
                assert!(!cell.starts_with(['=', '+', '@']), "{}: formula cell {cell}", csv_path.display());
                if cell.starts_with("'=") {
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 2, "the hostile id and the rejected value should both appear neutralised ({checked})");
}

/// The segment-sizes chart writes every segment's name in full (it sizes its label column to them).
#[test]
fn the_sizes_chart_names_every_segment_in_full() {
    let t = tempfile::tempdir().unwrap();
    for lang in ["en", "zh"] {
        let out = t.path().join(lang);
        custseg().args(["run", "--quiet", "--lang", lang, "--out"]).arg(&out).assert().success();
        let svg = std::fs::read_to_string(out.join("charts/sizes.svg")).unwrap();
        let summary = read_json(&out.join("summary.json"));
        for s in summary["segments"].as_array().unwrap() {
            let name = s["name"][lang].as_str().unwrap();
            let sep = if lang == "zh" { "：" } else { ": " };
            assert!(svg.contains(&format!("{}{sep}{name}", s["id"])), "{lang}: {name} not in full in sizes.svg");
        }
        assert!(!svg.contains('…'), "{lang}: a label is cut");
    }
}
