//! `report.html` opened in headless Chromium (Debian's `chromium`, installed by `.ci/run`): every chart
//! renders with a non-zero size, no text overflows its box (table cells, paragraphs, chart labels
//! inside their SVG), and the page logs no console errors.
//!
//! Without Chromium the test fails when `CUSTSEG_REQUIRE_CHROMIUM` is set (as `.ci/run` sets it) and is
//! skipped with a message otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
    })
}

/// Measures the page after layout and writes the findings into the DOM, which `--dump-dom` prints.
const PROBE: &str = r#"<script>
window.addEventListener('load', function () {
  var out = [];
  // Measured before the appendix's folded tables are opened: where the persona cards end, and the
  // text a reader meets before the appendix.
  var first = [];
  var cards = document.querySelectorAll('.cards .card');
  if (cards.length) {
    var bottom = 0;
    cards.forEach(function (c) { bottom = Math.max(bottom, c.getBoundingClientRect().bottom + window.scrollY); });
    first.push('cards-bottom=' + Math.round(bottom));
  }
  var appendix = document.getElementById('for-analysts');
  if (appendix) {
    var range = document.createRange();
    range.setStart(document.body, 0);
    range.setEndBefore(appendix);
    first.push('main-text=' + JSON.stringify(range.toString()));
  }
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  var svgs = document.querySelectorAll('figure svg');
  out.push('charts=' + svgs.length);
  svgs.forEach(function (svg, i) {
    var r = svg.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0)) out.push('EMPTY chart ' + i);
    var vb = svg.viewBox.baseVal;
    svg.querySelectorAll('text').forEach(function (t) {
      var b = t.getBBox();
      if (b.width === 0) out.push('INVISIBLE text in chart ' + i + ': ' + t.textContent.trim());
      if (t.textContent.trim().endsWith('…')) out.push('TRUNCATED text in chart ' + i + ': ' + t.textContent.trim());
      if (b.x < -1 || b.y < -1 || b.x + b.width > vb.width + 1 || b.y + b.height > vb.height + 1)
        out.push('OVERFLOW chart ' + i + ': ' + t.textContent.trim());
    });
  });
  document.querySelectorAll('td, th, p, h1, h2, h3, li, summary').forEach(function (el) {
    if (el.scrollWidth > el.clientWidth + 1) out.push('OVERFLOW ' + el.tagName + ': ' + el.textContent.trim().slice(0, 60));
  });
  out.splice.apply(out, [1, 0].concat(first));
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = 'PROBE-BEGIN\n' + out.join('\n') + '\nPROBE-END';
  document.body.appendChild(pre);
});
</script>"#;

/// Whether fontconfig knows a font that covers Chinese.
fn has_cjk_font() -> bool {
    Command::new("fc-list")
        .arg(":lang=zh")
        .output()
        .map(|o| o.status.success() && !o.stdout.is_empty())
        .unwrap_or(false)
}

#[test]
fn report_html_renders_in_headless_chromium_without_overflow_or_console_errors() {
    probe_report("en");
}

/// The Chinese report: CJK text in tables, paragraphs and chart labels stays inside its box (with the
/// Noto CJK fonts `.ci/run` installs).
#[test]
fn chinese_report_html_renders_in_headless_chromium_without_overflow() {
    probe_report("zh");
}

fn probe_report(lang: &str) {
    let required = std::env::var_os("CUSTSEG_REQUIRE_CHROMIUM").is_some();
    let Some(browser) = required_chromium() else {
        eprintln!("skipped: no chromium on PATH (`.ci/run` installs it)");
        return;
    };
    if lang == "zh" && !has_cjk_font() {
        assert!(!required, "a Chinese font is required (CUSTSEG_REQUIRE_CHROMIUM is set) but fc-list finds none");
        eprintln!("skipped: no Chinese font (`.ci/run` installs fonts-noto-cjk)");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    let mut run = custseg();
    run.args(["run", "--quiet", "--lang", lang, "--out"]).arg(&out);
    // The Chinese run also draws the migration chart (against an English run of the same data).
    let migration = lang == "zh";
    if migration {
        let prev = t.path().join("prev");
        custseg().args(["run", "--quiet", "--out"]).arg(&prev).assert().success();
        run.arg("--previous").arg(&prev);
    }
    run.assert().success();
    let k = read_json(&out.join("summary.json"))["k"].as_u64().unwrap() as usize;
    let findings = probe_page(&browser, &out.join("report.html"), t.path());
    assert_eq!(findings.first().map(String::as_str), Some(format!("charts={}", 4 + k + migration as usize).as_str()), "{findings:?}");
    // The persona cards of the six segments fit in the first four screens (of 800 px, at 1280 px wide).
    assert_eq!(k, 6, "the committed sample has six segments");
    let bottom: f64 = findings.iter().find_map(|l| l.strip_prefix("cards-bottom=")).expect("the page has persona cards").parse().unwrap();
    assert!(bottom <= 4.0 * 800.0, "the persona cards end at {bottom} px: more than four screens of 800 px ({lang})");
    // No statistics vocabulary before the appendix for analysts.
    let main: String = serde_json::from_str(findings.iter().find_map(|l| l.strip_prefix("main-text=")).expect("an appendix")).unwrap();
    assert!(main.contains(if lang == "zh" { "建议提供" } else { "What to offer" }), "the main text was measured: {main:.200}");
    let vocabulary: &[&str] = if lang == "zh" {
        &["标准差", "指数", "距离", "轮廓", "Calinski", "Davies", "Jaccard", "惯性", "k-means", "z 值", "中心"]
    } else {
        &["standard deviation", " SD", "z-score", "index", "distance", "silhouette", "calinski", "davies", "jaccard", "inertia", "k-means", "centroid"]
    };
    let lower = main.to_lowercase();
    let found: Vec<&&str> = vocabulary.iter().filter(|w| lower.contains(&w.to_lowercase())).collect();
    assert!(found.is_empty(), "statistics words before #for-analysts ({lang}): {found:?}");
    let problems: Vec<&String> = findings.iter().skip(1).filter(|l| !l.starts_with("cards-bottom=") && !l.starts_with("main-text=")).collect();
    assert!(problems.is_empty(), "layout problems ({lang}):\n{}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"));
}

/// Chromium, or None when it is missing and not required (the caller skips).
pub(crate) fn required_chromium() -> Option<PathBuf> {
    let required = std::env::var_os("CUSTSEG_REQUIRE_CHROMIUM").is_some();
    let found = chromium();
    assert!(found.is_some() || !required, "Chromium is required (CUSTSEG_REQUIRE_CHROMIUM is set) but not found");
    found
}

/// Opens `html` in headless Chromium with the probe and returns its findings: `charts=N` first, then
/// one line per problem. Fails on console messages.
pub(crate) fn probe_page(browser: &Path, html: &Path, work: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(html).unwrap();
    let probed = work.join("probed.html");
    std::fs::write(&probed, edit(&text, "</body>", &format!("{PROBE}</body>"))).unwrap();
    let profile_dir = work.join("chromium-profile");
    let run = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            // A 1280×800 screen.
            "--window-size=1280,800",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile_dir.display()))
        .arg(format!("file://{}", probed.display()))
        .output()
        .expect("running chromium");
    let dom = String::from_utf8_lossy(&run.stdout);
    let log = String::from_utf8_lossy(&run.stderr);
    // The last occurrence: the findings appended after the probe's own source.
    let probe = dom
        .rsplit("PROBE-BEGIN")
        .next()
        .filter(|_| dom.matches("PROBE-BEGIN").count() > 1)
        .and_then(|s| s.split("PROBE-END").next())
        .unwrap_or_else(|| panic!("the probe did not run; chromium said:\n{log}"));
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE") && !l.contains("PROBE")).collect();
    assert!(console.is_empty(), "console messages:\n{}", console.join("\n"));
    probe.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}
