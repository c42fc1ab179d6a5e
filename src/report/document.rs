//! The report as a document: headings, paragraphs, tables, lists and charts in one language, built
//! once from the run result and rendered as `report.md` ([`super::markdown`]) and `report.html`
//! ([`super::html`]), so both say the same thing and every sentence is translated in one place.

use crate::format::{count, number, percent, value};
use crate::i18n::{self, clause_sep, f, list_sep, space, t, Lang};
use super::{FeatureInfo, RunSummary, SegmentProfile, TRAIT_MIN_Z};

/// How a run of text is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Strong,
    Em,
    Code,
}

/// A run of text in one style. Text from exports and profiles only ever sits inside a span's text,
/// so it can never turn into markup: renderers escape it.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub style: Style,
    pub text: String,
}

pub type Rich = Vec<Span>;

/// Plain text as a run of text (for documents built beside this one, such as the history page).
pub(super) fn plain_text(s: impl Into<String>) -> Rich {
    plain(s)
}

fn plain(s: impl Into<String>) -> Rich {
    vec![Span { style: Style::Plain, text: s.into() }]
}

fn styled(style: Style, s: impl Into<String>) -> Rich {
    vec![Span { style, text: s.into() }]
}

/// A translated template with `**strong**`, `*emphasis*` and `` `code` `` markup, split into spans
/// *before* its arguments are filled in, so that an argument's characters are never markup.
pub fn rich(lang: Lang, en: &'static str, args: &[&dyn std::fmt::Display]) -> Rich {
    let template = t(lang, en);
    let mut spans: Rich = Vec::new();
    let mut style = Style::Plain;
    let mut buf = String::new();
    let mut chars = template.chars().peekable();
    let flush = |buf: &mut String, style: Style, spans: &mut Rich| {
        if !buf.is_empty() {
            spans.push(Span { style, text: i18n::fill(buf, args) });
            buf.clear();
        }
    };
    while let Some(c) = chars.next() {
        let next = match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                Some(Style::Strong)
            }
            '*' => Some(Style::Em),
            '`' => Some(Style::Code),
            _ => None,
        };
        match next {
            Some(s) => {
                flush(&mut buf, style, &mut spans);
                style = if style == s { Style::Plain } else { s };
            }
            None => buf.push(c),
        }
    }
    flush(&mut buf, style, &mut spans);
    spans
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub content: Rich,
    /// Right-aligned.
    pub numeric: bool,
}

impl Cell {
    pub(super) fn text(s: impl Into<String>) -> Cell {
        Cell { content: plain(s), numeric: false }
    }
    pub(super) fn num(s: impl Into<String>) -> Cell {
        Cell { content: plain(s), numeric: true }
    }
    fn rich(content: Rich) -> Cell {
        Cell { content, numeric: false }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// The segment (report position) whose colour marks the first cell.
    pub swatch: Option<usize>,
    /// Set in bold (a measure that is one of the segment's traits).
    pub strong: bool,
}

impl Row {
    pub(super) fn new(cells: Vec<Cell>) -> Row {
        Row { cells, swatch: None, strong: false }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub head: Vec<Cell>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading { level: u8, id: Option<String>, text: String, swatch: Option<usize> },
    Para { content: Rich, muted: bool, swatch: Option<usize> },
    List(Vec<Rich>),
    Table(Table),
    /// A chart under `charts/`, with its text alternative.
    Chart { file: String, alt: String },
    Pre(String),
    /// A segment's card: its blocks framed in the segment's colour.
    Card { position: usize, id: String, blocks: Vec<Block> },
    /// Cards side by side where the page is wide enough.
    Grid(Vec<Block>),
    /// A segment's traits, each a plain sentence with a pair of bars (segment, all customers) that
    /// need no statistics to read.
    Traits { position: usize, items: Vec<TraitBar> },
    /// The material for analysts, after everything marketing reads (`id="for-analysts"`).
    Appendix { id: String, title: String, blocks: Vec<Block> },
    /// Blocks folded under a summary line (`<details>` in HTML).
    Details { summary: String, blocks: Vec<Block> },
}

/// One trait of a persona card: its sentence, and the segment's and all customers' values as bar
/// lengths (the larger of the two is 1).
#[derive(Debug, Clone, PartialEq)]
pub struct TraitBar {
    pub text: Rich,
    pub segment: f64,
    pub all: f64,
}

fn para(content: Rich) -> Block {
    Block::Para { content, muted: false, swatch: None }
}

fn heading(level: u8, id: &str, text: &str) -> Block {
    Block::Heading { level, id: Some(id.to_string()), text: text.to_string(), swatch: None }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub lang: Lang,
    pub title: String,
    pub blocks: Vec<Block>,
}

/// A suggested programme and the rule that suggests it.
pub struct Action {
    pub programme: &'static str,
    pub why: String,
}

/// Rules from utility practice (documented in the README): a segment gets a programme when one of the
/// listed features sits at least half a standard deviation above the average.
pub const RULES: &[(&str, &[&str])] = &[
    ("Credit management: payment reminders, payment plans, deposit review", &["arrears_60", "unpaid_share", "late_share", "days_late_mean", "payment_arrangements"]),
    ("Reliability outreach: proactive outage notices, restoration updates, compensation where due", &["interruptions", "long_interruptions", "minutes_interrupted"]),
    ("Efficiency and EV offers: heat pumps, solar, smart thermostats, EV tariffs", &["consumption_mean", "bill_mean"]),
    ("Channel shift: self-service app, web payments, callbacks instead of queues", &["tickets", "call_center_share", "complaints"]),
    ("Retention: loyalty recognition, named contact, early renewal offers", &["tenure_years"]),
];

/// The programmes the rules suggest for a segment, in `lang`.
pub fn actions(r: &RunSummary, s: &SegmentProfile, lang: Lang) -> Vec<Action> {
    let mut out = Vec::new();
    let (cur, unit) = (&r.profile.currency, &r.profile.consumption_unit);
    for (i, (programme, features)) in RULES.iter().enumerate() {
        // The reason in the words people use: the segment's value against all customers'.
        let hits: Vec<String> = features
            .iter()
            .filter_map(|name| s.features.iter().find(|st| st.name == *name))
            .filter(|st| st.z >= TRAIT_MIN_Z)
            .map(|st| {
                let format = feature(r, &st.name).map_or(crate::features::ValueFormat::Number, |info| info.format);
                f(
                    lang,
                    "{0} {1} (all customers: {2})",
                    &[&in_sentence(&label(r, &st.name, lang), lang), &value(st.mean, format, cur, unit), &value(st.population_mean, format, cur, unit)],
                )
            })
            .collect();
        if !hits.is_empty() {
            out.push((i, Action { programme: t(lang, programme), why: hits.join(list_sep(lang)) }));
        }
    }
    // A segment billed well beyond its size is worth keeping whatever else it does.
    let retention = RULES.len() - 1;
    if s.revenue_share >= 1.3 * s.share && !out.iter().any(|(i, _)| *i == retention) {
        out.push((
            retention,
            Action {
                programme: t(lang, RULES[retention].0),
                why: f(lang, "{0} of the amount billed from {1} of customers", &[&percent(s.revenue_share), &percent(s.share)]),
            },
        ));
    }
    out.into_iter().map(|(_, a)| a).collect()
}

fn feature<'a>(r: &'a RunSummary, name: &str) -> Option<&'a FeatureInfo> {
    r.features.iter().find(|f| f.name == name)
}

pub fn label(r: &RunSummary, name: &str, lang: Lang) -> String {
    feature(r, name).map(|f| f.label.get(lang).to_string()).unwrap_or_else(|| name.to_string())
}

/// How the report names an attribute: its label, or its column name (summaries written before
/// attribute labels existed have none).
fn attribute_label(a: &super::AttributeProfile, lang: Lang) -> String {
    if a.label.en.is_empty() {
        a.name.clone()
    } else {
        a.label.get(lang).to_string()
    }
}

/// How the report writes an attribute's value: the profile's wording, or the value as exported.
fn attribute_value(v: &super::AttributeShare, lang: Lang) -> String {
    match &v.label {
        Some(text) => text.get(lang).to_string(),
        None => i18n::attribute_value(lang, &v.value),
    }
}

/// In English, a label inside a sentence starts in lower case ("mean bill"), unless it starts with an
/// acronym ("EV owners"); Chinese has no case.
fn in_sentence(label: &str, lang: Lang) -> String {
    let mut chars = label.chars();
    match (lang, chars.next(), chars.next()) {
        (Lang::En, Some(a), Some(b)) if a.is_uppercase() && b.is_uppercase() => label.to_string(),
        (Lang::En, Some(a), _) => a.to_lowercase().chain(label.chars().skip(1)).collect(),
        _ => label.to_string(),
    }
}

/// One plain-language paragraph about segment `position` of `r`: who they are, how many, and what sets
/// them apart, in numbers.
pub fn describe(r: &RunSummary, position: usize, lang: Lang) -> String {
    let seg = &r.segments[position];
    let (cur, unit) = (&r.profile.currency, &r.profile.consumption_unit);
    let mut s = f(
        lang,
        "{0} customers ({1} of all customers, {2} of the amount billed).",
        &[&count(seg.size), &percent(seg.share), &percent(seg.revenue_share)],
    );
    if seg.traits.is_empty() {
        s.push_str(space(lang));
        s.push_str(t(lang, "They are close to the average customer on every measure."));
        return s;
    }
    let parts: Vec<String> = seg
        .traits
        .iter()
        .take(3)
        .filter_map(|tr| {
            let info = feature(r, &tr.feature)?;
            let st = seg.features.iter().find(|st| st.name == tr.feature)?;
            Some(f(
                lang,
                "{0} {1} (all customers: {2})",
                &[
                    &in_sentence(info.label.get(lang), lang),
                    &value(st.mean, info.format, cur, unit),
                    &value(st.population_mean, info.format, cur, unit),
                ],
            ))
        })
        .collect();
    s.push_str(space(lang));
    s.push_str(&f(lang, "Compared with the average customer: {0}.", &[&parts.join(clause_sep(lang))]));
    if let Some(household) = household_sentence(seg, lang) {
        s.push_str(space(lang));
        s.push_str(&household);
    }
    s
}

/// How the number of segments was chosen, as one phrase.
pub fn rule_text(rule: &crate::cluster::Rule, lang: Lang) -> String {
    use crate::cluster::Rule;
    let enforced = |shares: &Option<[f64; 2]>| {
        shares
            .map(|[lo, hi]| f(lang, "; segment sizes enforced between {0} and {1} of customers", &[&percent(lo), &percent(hi)]))
            .unwrap_or_default()
    };
    match rule {
        Rule::Fixed { k, enforced_shares } => {
            f(lang, "k fixed by the profile at {0}; accepted if balanced", &[k]) + &enforced(enforced_shares)
        }
        Rule::Scored { model, enforced } => {
            let mut s = f(lang, "scored with the saved model {0} (no refit)", &[model]);
            if *enforced {
                s.push_str(t(lang, ", segment sizes enforced"));
            }
            s
        }
        Rule::Largest { k_min, k_max, min_share, max_size_ratio, min_stability, enforced_shares } => {
            f(
                lang,
                "largest k in {0}..={1} whose segments are balanced (each at least {2} of customers, the largest at most {3} times the smallest), stable (every segment reproduced on resamples with a median Jaccard of at least {4}) and no less separated than fewer segments (silhouette at most {5} below the best smaller k's)",
                &[k_min, k_max, &percent(*min_share), &number(*max_size_ratio, 1), &number(*min_stability, 2), &number(crate::cluster::SEPARATION_MARGIN, 3)],
            ) + &enforced(enforced_shares)
        }
    }
}

/// Why the run has the number of segments it has, in one plain sentence (the chosen k and what the
/// next larger k lacked), for a run that chose among several.
pub fn why_k(r: &RunSummary, lang: Lang) -> Option<String> {
    let k = r.k?;
    if !matches!(r.rule, Some(crate::cluster::Rule::Largest { .. })) {
        return None;
    }
    if let Some(pk) = r.previous_k {
        if r.kept_previous_k {
            return Some(f(
                lang,
                "{0} segments, as in the previous run: their sizes are still comparable and they still come out the same when the customers are split at random and segmented again.",
                &[&k],
            ));
        }
        use crate::cluster::KFailure;
        let why = match crate::cluster::k_failure(&r.selection, pk) {
            None | Some(KFailure::OutOfRange) => t(lang, "that number is outside the range the profile allows").to_string(),
            Some(KFailure::Unbalanced(_)) => t(lang, "some segments would now be too small or too large next to the others").to_string(),
            Some(KFailure::Unstable(m)) => f(lang, "at least one segment no longer came out the same on resampled data (it matched only {0} of the time)", &[&percent(m)]),
        };
        return Some(f(lang, "{0} segments, where the previous run had {1}: with {1}, {2}.", &[&k, &pk, &why]));
    }
    let next = r.selection.iter().find(|c| c.k == k + 1);
    Some(match next {
        None => f(
            lang,
            "{0} segments: the most the profile allows, and their sizes are comparable and they come out the same when the customers are split at random and segmented again.",
            &[&k],
        ),
        Some(c) if !c.balanced => f(
            lang,
            "{0} segments: with {1}, some segments would be too small or too large next to the others.",
            &[&k, &(k + 1)],
        ),
        Some(c) if !c.stable => f(
            lang,
            "{0} segments: with {1}, at least one segment did not come out the same when the customers were split at random and segmented again (it matched only {2} of the time).",
            &[&k, &(k + 1), &percent(c.segment_stability)],
        ),
        Some(_) => f(
            lang,
            "{0} segments: with {1}, the segments would be told apart less clearly than with {0}.",
            &[&k, &(k + 1)],
        ),
    })
}

fn months_between(r: &RunSummary) -> i32 {
    use chrono::Datelike;
    let (a, b) = (r.window.start, r.window.as_of);
    (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32
}

fn yes(b: bool, lang: Lang) -> &'static str {
    t(lang, if b { "yes" } else { "no" })
}

/// The report in `lang`. `command` is the command line that reproduces the run.
pub fn build(r: &RunSummary, lang: Lang, command: &str) -> Document {
    let mut b: Vec<Block> = Vec::new();
    let title = f(lang, "Customer segments: {0}", &[&r.profile.name.get(lang)]);
    let mut opening = f(
        lang,
        "{0} customers with bills between {1} and {2} ({3} months up to {2}).",
        &[&count(r.customers), &r.window.start, &r.window.as_of, &months_between(r)],
    );
    opening.push_str(space(lang));
    let mut intro = plain(opening);
    match r.k {
        Some(k) => intro.extend(rich(lang, "They fall into **{0} segments** of comparable size.", &[&k])),
        None => {
            b.push(para(intro));
            intro = rich(
                lang,
                "**No segmentation passed the checks**: for every number of segments tried, the segments were too unequal in size or did not come out the same on resampled data. See *{0}* below.",
                &[&t(lang, "How the number of segments was chosen")],
            );
        }
    }
    b.push(para(intro));
    if let Some(m) = &r.migration {
        segment_changes(&mut b, m, lang);
        for s in r.segments.iter().filter(|s| s.leading_changed_from.is_some()) {
            let (before, now) = (s.leading_changed_from.as_ref().map_or("", |t| t.get(lang)), s.traits.first().map_or("", |t| t.text.get(lang)));
            b.push(para(rich(
                lang,
                "**Segment {0} has changed**: it was set apart most by “{1}”, and now by “{2}”. Check that the programmes attached to it still fit.",
                &[&f(lang, "{0}: {1}", &[&s.id, &s.name.get(lang)]), &before, &now],
            )));
        }
    }
    if let Some(bal) = &r.balance {
        let n = r.customers.max(1) as f64;
        b.push(para(rich(
            lang,
            "Segment sizes were **enforced**: every segment holds between {0} and {1} customers ({2} to {3}). Left to itself, the segmentation would have made segments of {4} to {5} of customers; keeping within the bounds makes the segments {6} less alike inside.",
            &[
                &count(bal.size_min),
                &count(bal.size_max),
                &percent(bal.size_min as f64 / n),
                &percent(bal.size_max as f64 / n),
                &percent(*bal.unconstrained_shares.last().unwrap_or(&0.0)),
                &percent(*bal.unconstrained_shares.first().unwrap_or(&0.0)),
                &percent(bal.inertia_cost),
            ],
        )));
    }

    if !r.segments.is_empty() {
        persona_cards(&mut b, r, lang);
        segments_overview(&mut b, r, lang);
        if let Some(m) = &r.migration {
            migration(&mut b, m, lang);
        }
    }
    // Everything below is for analysts: the statistics, the full measures, the data.
    let mut a: Vec<Block> = Vec::new();
    if !r.segments.is_empty() {
        segment_details(&mut a, r, lang);
    }
    if let Some(model) = &r.scored_with_model {
        scoring(&mut a, r, model, lang);
    } else if !r.selection.is_empty() {
        selection(&mut a, r, lang);
    }
    data_used(&mut a, r, lang, command);
    b.push(Block::Appendix { id: "for-analysts".into(), title: t(lang, "For analysts").into(), blocks: a });
    Document { lang, title, blocks: b }
}

fn new_flag(s: &SegmentProfile, lang: Lang) -> String {
    if s.carried_over == Some(false) {
        format!("{}{}", space(lang), t(lang, "(new)"))
    } else {
        String::new()
    }
}

fn segments_overview(b: &mut Vec<Block>, r: &RunSummary, lang: Lang) {
    let (cur, unit) = (&r.profile.currency, &r.profile.consumption_unit);
    // Overview: size and value, then the profile's headline measures (`[report] overview`, else the
    // first feature of each group). The segment names carry the main traits.
    let mut headline: Vec<&FeatureInfo> = r.overview.iter().filter_map(|name| feature(r, name)).collect();
    if r.overview.is_empty() {
        for fi in &r.features {
            if !headline.iter().any(|h| h.group == fi.group) {
                headline.push(fi);
            }
        }
    }
    b.push(heading(2, "overview", t(lang, "All segments side by side")));
    let mut head = vec![
        Cell::text(t(lang, "Segment")),
        Cell::num(t(lang, "Customers")),
        Cell::num(t(lang, "Share")),
        Cell::num(t(lang, "Share of amount billed")),
    ];
    head.extend(headline.iter().map(|h| Cell::num(h.label.get(lang))));
    let mut rows = Vec::new();
    for (i, s) in r.segments.iter().enumerate() {
        let mut cells = vec![
            Cell::text(format!("{}{}", f(lang, "{0}: {1}", &[&s.id, &s.name.get(lang)]), new_flag(s, lang))),
            Cell::num(count(s.size)),
            Cell::num(percent(s.share)),
            Cell::num(percent(s.revenue_share)),
        ];
        for h in &headline {
            let v = s.features.iter().find(|st| st.name == h.name).map(|st| value(st.mean, h.format, cur, unit)).unwrap_or_default();
            cells.push(Cell::num(v));
        }
        rows.push(Row { cells, swatch: Some(i), strong: false });
    }
    let mut all = vec![
        Cell::rich(styled(Style::Strong, t(lang, "All customers"))),
        Cell::num(count(r.customers)),
        Cell::num("100%"),
        Cell::num("100%"),
    ];
    for h in &headline {
        let v = r.segments.first().and_then(|s| s.features.iter().find(|st| st.name == h.name)).map(|st| value(st.population_mean, h.format, cur, unit)).unwrap_or_default();
        all.push(Cell::num(v));
    }
    rows.push(Row::new(all));
    b.push(Block::Table(Table { head, rows }));
    b.push(Block::Chart { file: "sizes.svg".into(), alt: t(lang, "Customers per segment").into() });
}

/// The persona cards: for each segment, who they are, how many and what they are worth, the traits that
/// set them apart in plain numbers, how it changed since the previous run, and what to offer.
fn persona_cards(b: &mut Vec<Block>, r: &RunSummary, lang: Lang) {
    b.push(heading(2, "segments", t(lang, "The segments")));
    b.push(Block::Para {
        content: plain(t(lang, "In each card, the coloured bar is the segment and the grey bar all customers; the longer of the two fills the line.")),
        muted: true,
        swatch: None,
    });
    let mut cards = Vec::new();
    for (i, s) in r.segments.iter().enumerate() {
        let mut c: Vec<Block> = Vec::new();
        c.push(Block::Heading {
            level: 3,
            id: None,
            text: format!("{}{}", f(lang, "Segment {0}: {1}", &[&s.id, &s.name.get(lang)]), new_flag(s, lang)),
            swatch: Some(i),
        });
        c.push(para(plain(who(r, i, lang))));
        c.push(para(rich(
            lang,
            "**{0}** customers · {1} of all customers · {2} of the amount billed",
            &[&count(s.size), &percent(s.share), &percent(s.revenue_share)],
        )));
        let items = trait_bars(r, s, lang);
        if items.is_empty() {
            c.push(para(plain(t(lang, "They are close to the average customer on every measure."))));
        } else {
            c.push(Block::Traits { position: i, items });
        }
        if let Some(m) = &r.migration {
            if let Some(line) = changed_since(m, s.id, lang) {
                c.push(Block::Para { content: plain(line), muted: true, swatch: None });
            }
        }
        let acts = actions(r, s, lang);
        c.push(para(styled(Style::Strong, t(lang, "What to offer"))));
        if acts.is_empty() {
            c.push(para(plain(t(
                lang,
                "None of the programme rules fits this segment: its arrears, outages, consumption, contacts and years as a customer are close to or below the average, and its share of the amount billed is in line with its size. The standard service suits it; watch it for changes next month.",
            ))));
        } else {
            c.push(Block::List(
                acts.into_iter()
                    .map(|a| {
                        let mut item = styled(Style::Strong, a.programme.to_string());
                        item.extend(plain(format!("{}{}", space(lang), f(lang, "({0})", &[&a.why]))));
                        item
                    })
                    .collect(),
            ));
        }
        cards.push(Block::Card { position: i, id: format!("segment-{}", s.id), blocks: c });
    }
    b.push(Block::Grid(cards));
}

/// Who a segment's customers are, in one sentence: the traits that lead its name (household first,
/// then behaviour) and the household value it has most often.
fn who(r: &RunSummary, position: usize, lang: Lang) -> String {
    let seg = &r.segments[position];
    let texts: Vec<String> = seg.traits.iter().take(3).map(|tr| tr.text.get(lang).to_string()).collect();
    let mut s = match texts.split_first() {
        None => t(lang, "Customers close to the average on every measure.").to_string(),
        Some((first, rest)) => {
            let mut all = vec![first.clone()];
            all.extend(rest.iter().map(|x| in_sentence(x, lang)));
            f(lang, "{0}.", &[&join_and(&all, lang)])
        }
    };
    if let Some(household) = household_sentence(seg, lang) {
        s.push_str(space(lang));
        s.push_str(&household);
    }
    s
}

/// "a, b and c" (English) or "a、b 和 c" (Chinese).
fn join_and(items: &[String], lang: Lang) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => f(lang, "{0} and {1}", &[&rest.join(list_sep(lang)), last]),
    }
}

/// How a segment's value compares with all customers', as people say it: "twice the average",
/// "40% above the average", "a third of the average".
pub fn compared(segment: f64, all: f64, lang: Lang) -> Option<String> {
    if !(segment.is_finite() && all.is_finite()) || all <= 0.0 || segment < 0.0 {
        return None;
    }
    let r = segment / all;
    Some(if r >= 2.95 {
        f(lang, "{0} times the average", &[&number(r, 0)])
    } else if r >= 1.85 {
        if r < 2.15 { t(lang, "twice the average").to_string() } else { f(lang, "{0} times the average", &[&number(r, 1)]) }
    } else if r >= 1.05 {
        f(lang, "{0} above the average", &[&percent(r - 1.0)])
    } else if r > 0.95 {
        t(lang, "about the average").to_string()
    } else if r >= 0.4 {
        f(lang, "{0} below the average", &[&percent(1.0 - r)])
    } else if r > 0.0 {
        f(lang, "{0} of the average", &[&percent(r)])
    } else {
        t(lang, "none, where the average customer has some").to_string()
    })
}

/// The three to five traits of a segment as sentences with bars.
fn trait_bars(r: &RunSummary, s: &SegmentProfile, lang: Lang) -> Vec<TraitBar> {
    let (cur, unit) = (&r.profile.currency, &r.profile.consumption_unit);
    s.traits
        .iter()
        .take(5)
        .filter_map(|tr| {
            let info = feature(r, &tr.feature)?;
            let st = s.features.iter().find(|st| st.name == tr.feature)?;
            let (seg, all) = (value(st.mean, info.format, cur, unit), value(st.population_mean, info.format, cur, unit));
            let mut text = styled(Style::Strong, tr.text.get(lang).to_string());
            let c = compared(st.mean, st.population_mean, lang);
            let detail = if info.agg.is_indicator() {
                // An indicator's label is its value ("Heat pumps"): the shares say it all.
                match c {
                    Some(c) => f(lang, "{0} of them, against {1} of all customers: {2}", &[&seg, &all, &c]),
                    None => f(lang, "{0} of them, against {1} of all customers", &[&seg, &all]),
                }
            } else {
                match c {
                    Some(c) => f(lang, "{0}: {1} against {2} for all customers, {3}", &[&in_sentence(info.label.get(lang), lang), &seg, &all, &c]),
                    None => f(lang, "{0}: {1} against {2} for all customers", &[&in_sentence(info.label.get(lang), lang), &seg, &all]),
                }
            };
            text.extend(plain(format!("{}{}", t(lang, " — "), detail)));
            let top = st.mean.abs().max(st.population_mean.abs());
            let (segment, all) = if top > 0.0 && top.is_finite() { (st.mean.abs() / top, st.population_mean.abs() / top) } else { (0.0, 0.0) };
            Some(TraitBar { text, segment, all })
        })
        .collect()
}

/// How segment `id` changed since the previous run, in one sentence (None for a segment the
/// previous run did not have).
fn changed_since(m: &crate::model::migration::Migration, id: usize, lang: Lang) -> Option<String> {
    let c = m.to.iter().position(|s| s.id == id)?;
    let stayed: usize = m.from.iter().enumerate().filter(|(_, fr)| fr.id == id).map(|(ri, _)| m.counts[ri][c]).sum();
    let joined: usize = m.from.iter().enumerate().filter(|(_, fr)| fr.id != id).map(|(ri, _)| m.counts[ri][c]).sum();
    let new = m.new_customers.get(c).copied().unwrap_or(0);
    if !m.from.iter().any(|fr| fr.id == id) {
        return Some(f(lang, "New since the previous run: {0} customers came from other segments and {1} are new customers.", &[&count(joined), &count(new)]));
    }
    Some(f(
        lang,
        "Since the previous run: {0} customers stayed, {1} came from other segments and {2} are new customers.",
        &[&count(stayed), &count(joined), &count(new)],
    ))
}

/// The household value that most sets a segment apart, in one sentence: the first profiled attribute
/// with a value at least 30% of the segment has and at least 1.3 times as common as among all
/// customers.
fn household_sentence(seg: &SegmentProfile, lang: Lang) -> Option<String> {
    seg.attributes.iter().find_map(|a| {
        let top = a.values.iter().filter(|v| v.segment_share >= 0.3).max_by(|x, y| {
            (x.segment_share - x.population_share).total_cmp(&(y.segment_share - y.population_share))
        })?;
        (top.segment_share >= top.population_share * 1.3).then(|| {
            f(
                lang,
                "{1}: {2} for {0} of them ({3} of all customers).",
                &[&percent(top.segment_share), &attribute_label(a, lang), &attribute_value(top, lang), &percent(top.population_share)],
            )
        })
    })
}

/// The appendix's part on segments: what the index and the distance mean, the heatmap and the map,
/// and each segment's every measure and attribute, folded.
fn segment_details(b: &mut Vec<Block>, r: &RunSummary, lang: Lang) {
    let (cur, unit) = (&r.profile.currency, &r.profile.consumption_unit);
    b.push(heading(3, "measures", t(lang, "Every measure, segment by segment")));
    b.push(Block::Para {
        content: rich(
            lang,
            "*Index* compares a segment with all customers: 100 is average, 200 twice the average, 50 half. *Distance* is how many standard deviations the segment sits from the average; beyond ±{0} it counts as a trait.",
            &[&TRAIT_MIN_Z],
        ),
        muted: true,
        swatch: None,
    });
    b.push(Block::Chart { file: "profile-heatmap.svg".into(), alt: t(lang, "How each segment differs from the average customer").into() });
    if r.projection.is_some() {
        b.push(Block::Chart { file: "map.svg".into(), alt: t(lang, "Map of the segments").into() });
    }
    for (i, s) in r.segments.iter().enumerate() {
        let mut c: Vec<Block> = vec![para(plain(describe(r, i, lang)))];
        let head = vec![
            Cell::text(t(lang, "Measure")),
            Cell::num(t(lang, "This segment")),
            Cell::num(t(lang, "All customers")),
            Cell::num(t(lang, "Index")),
            Cell::num(t(lang, "Distance")),
        ];
        let rows = s
            .features
            .iter()
            .map(|st| {
                let format = feature(r, &st.name).map(|fi| fi.format).unwrap_or_default();
                Row {
                    cells: vec![
                        Cell::text(label(r, &st.name, lang)),
                        Cell::num(value(st.mean, format, cur, unit)),
                        Cell::num(value(st.population_mean, format, cur, unit)),
                        Cell::num(st.index.map(|v| number(v, 0)).unwrap_or_else(|| "–".into())),
                        Cell::num(format!("{:+.2}", if st.z.abs() < 0.005 { 0.0 } else { st.z })),
                    ],
                    swatch: None,
                    strong: st.z.abs() >= TRAIT_MIN_Z,
                }
            })
            .collect();
        c.push(Block::Table(Table { head, rows }));
        c.push(Block::Chart {
            file: format!("segment-{}-index.svg", s.id),
            alt: f(lang, "Segment {0} index against the average customer", &[&s.id]),
        });
        for a in &s.attributes {
            let head = vec![Cell::text(attribute_label(a, lang)), Cell::num(t(lang, "This segment")), Cell::num(t(lang, "All customers"))];
            let rows = a
                .values
                .iter()
                .map(|v| Row::new(vec![Cell::text(attribute_value(v, lang)), Cell::num(percent(v.segment_share)), Cell::num(percent(v.population_share))]))
                .collect();
            c.push(Block::Table(Table { head, rows }));
        }
        b.push(Block::Details { summary: f(lang, "Segment {0}: {1}", &[&s.id, &s.name.get(lang)]), blocks: c });
    }
}

/// The from → to table of a run with `--previous`.
/// At the top of the report: previous segments with no successor (and where their customers went)
/// and new segments, which programmes attached to segments must hear about first.
fn segment_changes(b: &mut Vec<Block>, m: &crate::model::migration::Migration, lang: Lang) {
    let name = |s: &crate::model::migration::SegmentRef| f(lang, "{0}: {1}", &[&s.id, &s.name.get(lang)]);
    for v in m.vanished() {
        b.push(para(match v.went_to {
            Some((to, share)) => rich(
                lang,
                "**Segment {0} of the previous run is gone.** {1} of its customers are now in segment {2}; the others spread over the other segments or left.",
                &[&name(v.segment), &percent(share), &name(to)],
            ),
            None => rich(lang, "**Segment {0} of the previous run is gone.** All its customers left.", &[&name(v.segment)]),
        }));
    }
    for s in m.new_segments() {
        b.push(para(rich(lang, "**Segment {0} is new**: no segment of the previous run matches it.", &[&name(s)])));
    }
}

fn migration(b: &mut Vec<Block>, m: &crate::model::migration::Migration, lang: Lang) {
    b.push(heading(2, "migration", t(lang, "Changes since the previous run")));
    let new_total: usize = m.new_customers.iter().sum();
    let departed_total: usize = m.departed_customers.iter().sum();
    b.push(para(rich(
        lang,
        "Compared with the previous run (`{0}`): of the {1} customers in both, **{2} ({3}) changed segment**. {4} customers are new and {5} have left. Segments that continue a previous one keep its number and name.",
        &[&m.previous_run, &count(m.continuing), &count(m.moved), &percent(m.moved_share), &count(new_total), &count(departed_total)],
    )));
    let mut head = vec![Cell::text(t(lang, "Previous segment → now"))];
    head.extend(m.to.iter().map(|s| Cell::num(f(lang, "{0}: {1}", &[&s.id, &s.name.get(lang)]))));
    head.push(Cell::num(t(lang, "Left")));
    let mut rows = Vec::new();
    for (ri, from) in m.from.iter().enumerate() {
        let mut cells = vec![Cell::text(f(lang, "{0}: {1}", &[&from.id, &from.name.get(lang)]))];
        for c in 0..m.to.len() {
            let text = f(lang, "{0} ({1})", &[&count(m.counts[ri][c]), &percent(m.shares[ri][c])]);
            let style = if from.id == m.to[c].id { Style::Strong } else { Style::Plain };
            cells.push(Cell { content: styled(style, text), numeric: true });
        }
        cells.push(Cell::num(count(m.departed_customers[ri])));
        rows.push(Row::new(cells));
    }
    let mut cells = vec![Cell::text(t(lang, "New customers"))];
    cells.extend(m.new_customers.iter().map(|n| Cell::num(count(*n))));
    cells.push(Cell::num(""));
    rows.push(Row::new(cells));
    b.push(Block::Table(Table { head, rows }));
    b.push(Block::Para {
        content: rich(lang, "Shares are of the previous segment's customers who are still customers; **bold** cells are those who stayed.", &[]),
        muted: true,
        swatch: None,
    });
    b.push(Block::Chart { file: "migration.svg".into(), alt: t(lang, "Customers moving between segments since the previous run").into() });
    let mut notes = Vec::new();
    for to in &m.to {
        if !m.from.iter().any(|fr| fr.id == to.id) {
            notes.push(plain(f(lang, "Segment {0} ({1}) is new: it matches none of the previous run's segments.", &[&to.id, &to.name.get(lang)])));
        }
    }
    for fr in &m.from {
        if !m.to.iter().any(|to| to.id == fr.id) {
            notes.push(plain(f(lang, "Previous segment {0} ({1}) has no successor in this run.", &[&fr.id, &fr.name.get(lang)])));
        }
    }
    if !notes.is_empty() {
        b.push(Block::List(notes));
    }
}

/// How a run scored with a saved model (`custseg assign`) placed customers, and the drift.
fn scoring(b: &mut Vec<Block>, r: &RunSummary, model: &str, lang: Lang) {
    b.push(heading(3, "selection", t(lang, "How customers were placed")));
    let mut content = rich(
        lang,
        "Customers were scored with the saved model `{0}`: each goes to the segment whose centre is nearest, measured with the same features and scaling as when the model was fitted. Nothing was refitted, so segment numbers and names are the model's.",
        &[&model],
    );
    if matches!(r.rule, Some(crate::cluster::Rule::Scored { enforced: true, .. })) {
        content.extend(plain(space(lang)));
        content.extend(rich(lang, "Segment sizes were kept within the model's bounds (`--enforce-balance`).", &[]));
    }
    b.push(para(content));
    if let Some(d) = &r.drift {
        b.push(para(rich(
            lang,
            "**Drift**: {0} of customers sit farther from their segment's centre than any customer the model was fitted on, and {1} farther than 99% of them (about 1% when customers have not changed). When these shares grow, fit a new segmentation with `custseg run --previous`.",
            &[&percent(d.beyond_max_share), &percent(d.beyond_p99_share)],
        )));
    }
}

fn selection(b: &mut Vec<Block>, r: &RunSummary, lang: Lang) {
    b.push(heading(3, "selection", t(lang, "How the number of segments was chosen")));
    let rule = r.rule.as_ref().map(|rule| rule_text(rule, lang)).unwrap_or_else(|| r.selection_rule.clone());
    b.push(para(rich(lang, "Rule: {0}.", &[&rule])));
    if let Some(why) = why_k(r, lang) {
        b.push(para(plain(why)));
    }
    // Summaries written before stability had its own sample measured it on the whole sample.
    let stability_rows = if r.stability_sample_size > 0 { r.stability_sample_size } else { r.selection_sample_size };
    b.push(Block::Para {
        content: rich(
            lang,
            "Measured on a sample of {0} customers (silhouette on {1}, stability on {2}). What each measure means:",
            &[&count(r.selection_sample_size), &count(r.silhouette_sample_size), &count(stability_rows)],
        ),
        muted: true,
        swatch: None,
    });
    b.push(Block::List(vec![
        rich(lang, "*Silhouette* (−1 to 1): how much nearer customers are to their own segment's centre than to the next segment's; higher is better.", &[]),
        rich(lang, "*Calinski–Harabasz*: how far apart the segments' centres are, against how spread out each segment is; higher is better.", &[]),
        rich(lang, "*Davies–Bouldin*: how much each segment overlaps the segment most like it; lower is better.", &[]),
        rich(lang, "*Worst segment reproduced* (Jaccard, 0 to 1): the segmentation is fitted again on random halves of the customers and each segment matched to its nearest; this is the share of customers the worst-matched segment keeps, as the median over the resamples with its 95% range. A number of segments is stable when the median reaches the profile's threshold.", &[]),
        rich(lang, "*Smallest* and *Largest*: the share of customers in the smallest and the largest segment (balance).", &[]),
        rich(lang, "*Inertia* (in the chart): the sum of every customer's squared distance to its segment's centre; it always falls as segments are added, so it is read for where it stops falling fast, not for its lowest value.", &[]),
    ]));
    b.push(Block::Chart { file: "k-selection.svg".into(), alt: t(lang, "k-selection diagnostics").into() });
    let head = vec![
        Cell::num("k"),
        Cell::num(t(lang, "Silhouette")),
        Cell::num(t(lang, "Calinski–Harabasz")),
        Cell::num(t(lang, "Davies–Bouldin")),
        Cell::num(t(lang, "Worst segment reproduced")),
        Cell::num(t(lang, "Smallest")),
        Cell::num(t(lang, "Largest")),
        Cell::text(t(lang, "Balanced")),
        Cell::text(t(lang, "Stable")),
        Cell::text(t(lang, "Chosen")),
    ];
    let rows = r
        .selection
        .iter()
        .map(|c| {
            Row::new(vec![
                Cell::num(c.k.to_string()),
                Cell::num(format!("{:.3}", c.silhouette)),
                Cell::num(number(c.calinski_harabasz, 0)),
                Cell::num(format!("{:.3}", c.davies_bouldin)),
                Cell::num(format!("{:.3} ({:.2}–{:.2})", c.segment_stability, c.segment_stability_interval[0], c.segment_stability_interval[1])),
                Cell::num(percent(*c.shares.last().unwrap_or(&0.0))),
                Cell::num(percent(*c.shares.first().unwrap_or(&0.0))),
                Cell::text(yes(c.balanced, lang)),
                Cell::text(yes(c.stable, lang)),
                if c.chosen { Cell::rich(styled(Style::Strong, yes(true, lang))) } else { Cell::text("") },
            ])
        })
        .collect();
    b.push(Block::Table(Table { head, rows }));
}

fn data_used(b: &mut Vec<Block>, r: &RunSummary, lang: Lang, command: &str) {
    b.push(heading(3, "quality", t(lang, "Data used")));
    let head = vec![
        Cell::text(t(lang, "Export")),
        Cell::text(t(lang, "File")),
        Cell::num(t(lang, "Rows read")),
        Cell::num(t(lang, "Used")),
        Cell::num(t(lang, "Rejected")),
        Cell::num(t(lang, "Duplicates")),
        Cell::num(t(lang, "Outside the window")),
        Cell::num(t(lang, "Customers")),
    ];
    let rows = r
        .inputs
        .iter()
        .map(|(name, s)| {
            Row::new(vec![
                Cell::text(i18n::export_name(lang, name)),
                Cell::text(s.path.clone()),
                Cell::num(count(s.rows_read)),
                Cell::num(count(s.rows_accepted)),
                Cell::num(count(s.rows_rejected)),
                Cell::num(count(s.rows_duplicate)),
                Cell::num(count(s.rows_outside_window)),
                Cell::num(count(s.customers)),
            ])
        })
        .collect();
    b.push(Block::Table(Table { head, rows }));
    let mut notes: Vec<Rich> = Vec::new();
    for (name, s) in &r.inputs {
        if !s.reject_reasons.is_empty() {
            let reasons: Vec<String> =
                s.reject_reasons.iter().map(|(k, v)| f(lang, "{0} ({1})", &[&i18n::reason(lang, k), &count(*v)])).collect();
            notes.push(rich(
                lang,
                "Rejected {0} rows, by reason: {1}; see `{2}`.",
                &[&i18n::export_name(lang, name), &reasons.join(list_sep(lang)), &format!("rejects/{name}.csv")],
            ));
        }
    }
    for (name, n) in &r.customers_without_bills {
        if *n > 0 {
            notes.push(plain(f(
                lang,
                "{0} customers in the {1} export have no bill in the window and were left out.",
                &[&count(*n), &i18n::export_name(lang, name)],
            )));
        }
    }
    for (name, s) in &r.inputs {
        if let Some(n) = s.events_without_customers {
            notes.push(plain(f(
                lang,
                "The {0} export lists events by feeder; each reached the customers on its feeder. {1} events reached no known customer.",
                &[&i18n::export_name(lang, name), &count(n)],
            )));
        }
    }
    if let Some(n) = r.billed_not_in_customers.filter(|n| *n > 0) {
        notes.push(plain(f(
            lang,
            "{0} customers with bills are missing from the customers export: their attributes show as (unknown).",
            &[&count(n)],
        )));
    }
    for g in &r.skipped_groups {
        let label = r.group_labels.get(&g.group).map(|l| l.get(lang).to_string()).unwrap_or_else(|| g.group.clone());
        notes.push(rich(lang, "Feature group **{0}** was skipped: {1}.", &[&label, &i18n::reason(lang, &g.reason)]));
    }
    for sf in &r.skipped_features {
        if !r.skipped_groups.iter().any(|g| g.group == sf.group) {
            notes.push(rich(lang, "Feature `{0}` was skipped: {1}.", &[&sf.name, &i18n::reason(lang, &sf.reason)]));
        }
    }
    if !notes.is_empty() {
        b.push(Block::List(notes));
    }
    b.push(heading(3, "reproduce", t(lang, "Reproduce this run")));
    b.push(Block::Pre(command.to_string()));
    if !r.input_files.is_empty() {
        let head = vec![Cell::text(t(lang, "Export")), Cell::text(t(lang, "File")), Cell::num(t(lang, "Size")), Cell::text("SHA-256")];
        let rows = r
            .input_files
            .iter()
            .map(|i| {
                Row::new(vec![
                    Cell::text(i18n::export_name(lang, &i.export)),
                    Cell::text(i.path.clone()),
                    Cell::num(crate::format::bytes(i.bytes)),
                    Cell::rich(styled(Style::Code, i.sha256.clone())),
                ])
            })
            .collect();
        b.push(Block::Table(Table { head, rows }));
    }
    b.push(Block::Para {
        content: rich(
            lang,
            "Profile `{0}`, seed {1}, custseg {2}. The same inputs, profile and seed give the same segments. `manifest.json` also has the checksum of every output.",
            &[&r.profile.path, &r.seed, &r.version],
        ),
        muted: true,
        swatch: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_are_in_words_people_use() {
        let c = |a: f64, b: f64| compared(a, b, Lang::En);
        assert_eq!(c(4.0, 1.0).as_deref(), Some("4 times the average"));
        assert_eq!(c(2.0, 1.0).as_deref(), Some("twice the average"));
        assert_eq!(c(2.4, 1.0).as_deref(), Some("2.4 times the average"));
        assert_eq!(c(1.4, 1.0).as_deref(), Some("40% above the average"));
        assert_eq!(c(1.0, 1.0).as_deref(), Some("about the average"));
        assert_eq!(c(0.7, 1.0).as_deref(), Some("30% below the average"));
        assert_eq!(c(0.1, 1.0).as_deref(), Some("10% of the average"));
        assert_eq!(c(0.0, 1.0).as_deref(), Some("none, where the average customer has some"));
        assert_eq!(c(1.0, 0.0), None);
        assert_eq!(compared(2.0, 1.0, Lang::Zh).as_deref(), Some("是平均水平的两倍"));
    }

    #[test]
    fn markup_comes_from_the_template_only() {
        let spans = rich(Lang::En, "Feature group **{0}** was skipped: {1}.", &[&"**not bold** `x`", &"*y*"]);
        assert_eq!(
            spans,
            vec![
                Span { style: Style::Plain, text: "Feature group ".into() },
                Span { style: Style::Strong, text: "**not bold** `x`".into() },
                Span { style: Style::Plain, text: " was skipped: *y*.".into() },
            ]
        );
        let spans = rich(Lang::Zh, "Feature `{0}` was skipped: {1}.", &[&"a", &"b"]);
        assert_eq!(spans[1], Span { style: Style::Code, text: "a".into() });
        assert_eq!(spans[0].text, "特征 ");
    }
}
