//! Report languages. Every fixed text of the reports and charts is written in English in the code and
//! looked up here for Chinese ([`t`]), gettext-style: the English template is the key, `{0}`, `{1}` …
//! are its arguments ([`f`]), so a translation may reorder them. Texts that come from a profile
//! (labels, trait words, names) carry both languages in a [`Text`].

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt::Display;

use serde::{Deserialize, Deserializer, Serialize};

/// A report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The `lang` attribute of an HTML document in this language.
    pub fn html_code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        match s.to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "zh" | "zh-cn" | "zh-hans" => Ok(Lang::Zh),
            other => Err(format!("unknown language \"{other}\" (expected en or zh)")),
        }
    }
}

impl Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A text in English, and in Chinese when the profile gives it (English stands in otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Text {
    pub en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zh: Option<String>,
}

impl Text {
    pub fn new(en: impl Into<String>, zh: Option<String>) -> Text {
        Text { en: en.into(), zh: zh.filter(|z| !z.trim().is_empty()) }
    }

    pub fn en(en: impl Into<String>) -> Text {
        Text { en: en.into(), zh: None }
    }

    /// The text in `lang`, English when there is no translation.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => self.zh.as_deref().unwrap_or(&self.en),
        }
    }

    /// Both languages through `map`.
    pub fn map(&self, map: impl Fn(&str, Lang) -> String) -> Text {
        Text { en: map(&self.en, Lang::En), zh: Some(map(self.get(Lang::Zh), Lang::Zh)) }
    }
}

/// Summaries written before texts had two languages hold a plain string.
impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Plain(String),
            Both { en: String, #[serde(default)] zh: Option<String> },
        }
        Ok(match Either::deserialize(d)? {
            Either::Plain(en) => Text::en(en),
            Either::Both { en, zh } => Text { en, zh },
        })
    }
}

thread_local! {
    static MISSING: RefCell<BTreeSet<&'static str>> = const { RefCell::new(BTreeSet::new()) };
}

/// English templates looked up in Chinese without a translation since the last call (on this thread);
/// tests render every section in Chinese and assert this is empty.
pub fn take_missing() -> BTreeSet<&'static str> {
    MISSING.with(|m| std::mem::take(&mut *m.borrow_mut()))
}

/// The fixed text `en` in `lang`.
pub fn t(lang: Lang, en: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Zh => zh(en).unwrap_or_else(|| {
            MISSING.with(|m| m.borrow_mut().insert(en));
            en
        }),
    }
}

/// The template `en` in `lang` with `{0}`, `{1}` … replaced by `args`.
pub fn f(lang: Lang, en: &'static str, args: &[&dyn Display]) -> String {
    fill(t(lang, en), args)
}

pub(crate) fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|close| after[..close].parse::<usize>().ok().map(|i| (i, close))) {
            Some((i, close)) if i < args.len() => {
                out.push_str(&args[i].to_string());
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A sentence break in `lang`: a space after an English sentence, nothing after a Chinese one.
pub fn space(lang: Lang) -> &'static str {
    match lang {
        Lang::En => " ",
        Lang::Zh => "",
    }
}

/// A list separator.
pub fn list_sep(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ", ",
        Lang::Zh => "、",
    }
}

/// Clause separator.
pub fn clause_sep(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "; ",
        Lang::Zh => "；",
    }
}

/// The name of an export in `lang`.
pub fn export_name(lang: Lang, export: &str) -> String {
    match (lang, export) {
        (Lang::Zh, "billing") => "账单".into(),
        (Lang::Zh, "outages") => "停电".into(),
        (Lang::Zh, "tickets") => "服务工单".into(),
        (Lang::Zh, "customers") => "客户".into(),
        _ => export.to_string(),
    }
}

/// Attribute values the tool itself writes.
pub fn attribute_value(lang: Lang, value: &str) -> String {
    match (lang, value) {
        (Lang::Zh, "(other)") => "（其他）".into(),
        (Lang::Zh, "(unknown)") => "（未知）".into(),
        _ => value.to_string(),
    }
}

/// Why a row was rejected, or a feature or group skipped (the English phrases the ingest and feature
/// stages write, joined by "; "), in `lang`. Unknown phrases stay as written.
pub fn reason(lang: Lang, text: &str) -> String {
    if lang == Lang::En {
        return text.to_string();
    }
    text.split("; ").map(reason_zh).collect::<Vec<_>>().join("；")
}

fn reason_zh(r: &str) -> String {
    let fixed = match r {
        "blank line" => Some("空行"),
        "not a number" => Some("非数字"),
        "not a date" => Some("非日期"),
        "not a date-time" => Some("非日期时间"),
        "date in the future" => Some("日期晚于今天"),
        "negative consumption" => Some("用量为负"),
        "outage ends before it starts" => Some("停电结束早于开始"),
        "no customer has a value for it" => Some("没有任何客户有此值"),
        "every customer has the same value (after clipping extremes)" => Some("所有客户的值都相同（截去极端值后）"),
        "no feature defined" => Some("未定义特征"),
        _ => None,
    };
    if let Some(z) = fixed {
        return z.into();
    }
    if let Some(c) = r.strip_prefix("missing ") {
        return format!("缺少 {c}");
    }
    if let Some(rest) = r.strip_prefix("no ").and_then(|x| x.strip_suffix(" export was given")) {
        return format!("未提供{}导出文件", export_name(Lang::Zh, rest));
    }
    if let Some(rest) = r.strip_prefix("the ") {
        if let Some((export, tail)) = rest.split_once(" export has no column ") {
            let (column, derived) = match tail.split_once(" (it is derived from ") {
                Some((c, d)) => (c, Some(d.trim_end_matches(')'))),
                None => (tail, None),
            };
            let mut s = format!("{}导出文件没有 {column} 列", export_name(Lang::Zh, export));
            if let Some(d) = derived {
                s.push_str(&format!("（它由 {} 推算）", d.replace(" and ", " 和 ")));
            }
            return s;
        }
    }
    r.to_string()
}

/// The Chinese catalogue: (English template, Chinese template).
const ZH: &[(&str, &str)] = &[
        ("Segment sizes were **enforced**: every segment holds between {0} and {1} customers ({2} to {3}). Left to itself, the segmentation would have made segments of {4} to {5} of customers; keeping within the bounds makes the segments {6} less alike inside.", "客户群规模经过**强制约束**：每个客户群有 {0} 至 {1} 位客户（{2} 至 {3}）。不加约束时，客户群占客户的 {4} 至 {5}；保持在约束范围内使客户群内部的相似度降低 {6}。"),
        ("For analysts", "供分析人员参考"),
        ("All segments side by side", "各客户群对比"),
        ("**{0}** customers · {1} of all customers · {2} of the amount billed", "**{0}** 位客户 · 占全部客户的 {1} · 占账单金额的 {2}"),
        ("What to offer", "建议提供"),
        ("Customers close to the average on every measure.", "各项指标都接近平均水平的客户。"),
        ("{0}.", "{0}。"),
        ("{0} and {1}", "{0}和{1}"),
        ("{0} times the average", "是平均水平的 {0} 倍"),
        ("twice the average", "是平均水平的两倍"),
        ("{0} above the average", "比平均水平高 {0}"),
        ("about the average", "与平均水平相当"),
        ("{0} below the average", "比平均水平低 {0}"),
        ("{0} of the average", "仅为平均水平的 {0}"),
        ("none, where the average customer has some", "没有（而一般客户有）"),
        ("{0}: {1} against {2} for all customers, {3}", "{0}：{1}，全部客户为 {2}，{3}"),
        ("{0}: {1} against {2} for all customers", "{0}：{1}，全部客户为 {2}"),
        ("{0} of them, against {1} of all customers: {2}", "占该群的 {0}，全部客户中为 {1}：{2}"),
        ("{0} of them, against {1} of all customers", "占该群的 {0}，全部客户中为 {1}"),
        (" — ", "——"),
        ("New since the previous run: {0} customers came from other segments and {1} are new customers.", "上次运行后新出现：{0} 位客户来自其他客户群，{1} 位是新客户。"),
        ("Since the previous run: {0} customers stayed, {1} came from other segments and {2} are new customers.", "与上次运行相比：{0} 位客户留在本群，{1} 位来自其他客户群，{2} 位是新客户。"),
        ("Every measure, segment by segment", "各客户群的全部指标"),
        ("Measured on a sample of {0} customers (silhouette on {1}, stability on {2}). What each measure means:", "在 {0} 位客户的样本上测量（轮廓系数用 {1} 位，稳定性用 {2} 位）。各指标的含义："),
        ("*Silhouette* (−1 to 1): how much nearer customers are to their own segment's centre than to the next segment's; higher is better.", "*轮廓系数*（−1 至 1）：客户离本客户群中心比离下一个客户群中心近多少；越高越好。"),
        ("*Calinski–Harabasz*: how far apart the segments' centres are, against how spread out each segment is; higher is better.", "*Calinski–Harabasz 指数*：各客户群中心之间的距离相对于各客户群内部的分散程度；越高越好。"),
        ("*Davies–Bouldin*: how much each segment overlaps the segment most like it; lower is better.", "*Davies–Bouldin 指数*：每个客户群与最相似的客户群重叠的程度；越低越好。"),
        ("*Worst segment reproduced* (Jaccard, 0 to 1): the segmentation is fitted again on random halves of the customers and each segment matched to its nearest; this is the share of customers the worst-matched segment keeps, as the median over the resamples with its 95% range. A number of segments is stable when the median reaches the profile's threshold.", "*最差客户群的重现度*（Jaccard，0 至 1）：在随机抽取的一半客户上重新分群，并将每个客户群与最接近的客户群对应；该值为对应最差的客户群保留的客户比例，取各次重抽样的中位数及其 95% 区间。中位数达到配置文件的阈值时，该客户群数量视为稳定。"),
        ("*Smallest* and *Largest*: the share of customers in the smallest and the largest segment (balance).", "*最小*和*最大*：最小和最大客户群占客户的比例（规模均衡）。"),
        ("*Inertia* (in the chart): the sum of every customer's squared distance to its segment's centre; it always falls as segments are added, so it is read for where it stops falling fast, not for its lowest value.", "*惯性*（见图）：每位客户到其客户群中心距离的平方之和；客户群越多它总会越小，因此看它从何处不再明显下降，而不是看最小值。"),
        ("In each card, the coloured bar is the segment and the grey bar all customers; the longer of the two fills the line.", "每张卡片中，彩色条表示该客户群，灰色条表示全部客户；两者中较大者占满整行。"),
        // Title and opening.
        ("Customer segments: {0}", "客户细分：{0}"),
        ("{0} customers with bills between {1} and {2} ({3} months up to {2}).", "{0} 位客户，账单日期在 {1} 至 {2} 之间（截至 {2} 的 {3} 个月）。"),
        ("They fall into **{0} segments** of comparable size.", "这些客户分为规模相近的 **{0} 个客户群**。"),
        ("Segment sizes were **enforced**: every segment holds between {0} and {1} customers ({2} to {3}). Left to itself, k-means would have made segments of {4} to {5} of customers; keeping within the bounds makes the segments {6} less tight.", "客户群规模经过**强制约束**：每个客户群有 {0} 至 {1} 位客户（{2} 至 {3}）。不加约束时，k-means 得到的客户群占客户的 {4} 至 {5}；保持在约束范围内使客户群的紧密度降低 {6}。"),
        ("**No segmentation passed the checks**: for every number of segments tried, the segments were too unequal in size or did not come out the same on resampled data. See *{0}* below.", "**没有任何细分方案通过检查**：对尝试过的每一个客户群数目，客户群的规模相差太大，或在重抽样数据上结果不一致。见下文“{0}”。"),
        // Sections.
        ("Changes since the previous run", "与上次运行相比的变化"),
        ("The segments", "各客户群"),
        ("How the number of segments was chosen", "客户群数目是如何确定的"),
        ("How customers were placed", "客户是如何归入客户群的"),
        ("Data used", "所用数据"),
        ("Reproduce this run", "重现本次运行"),
        // Segment texts.
        ("Segment {0}: {1}", "客户群 {0}：{1}"),
        ("{0}: {1}", "{0}：{1}"),
        (" ({0})", "（{0}）"),
        ("({0})", "（{0}）"),
        ("(new)", "（新）"),
        ("Typical customers", "接近平均的客户"),
        ("Close to the segment's typical customer", "接近本客户群的典型客户"),
        ("{0} segments: the most the profile allows, and their sizes are comparable and they come out the same when the customers are split at random and segmented again.", "分为 {0} 个客户群：这是配置允许的最大数目，各群规模相当，而且把客户随机分成两半重新划分时结果一致。"),
        ("{0} segments, as in the previous run: their sizes are still comparable and they still come out the same when the customers are split at random and segmented again.", "分为 {0} 个客户群，与上次运行相同：各群规模仍然相当，把客户随机分成两半重新划分时结果仍然一致。"),
        ("**Segment {0} of the previous run is gone.** {1} of its customers are now in segment {2}; the others spread over the other segments or left.", "**上次运行的客户群 {0} 已不复存在。** 其中 {1} 的客户现在属于客户群 {2}；其余客户分散到其他客户群或已离开。"),
        ("**Segment {0} of the previous run is gone.** All its customers left.", "**上次运行的客户群 {0} 已不复存在。** 其客户均已离开。"),
        ("**Segment {0} is new**: no segment of the previous run matches it.", "**客户群 {0} 是新出现的**：上次运行中没有与之对应的客户群。"),
        ("Segment history: {0}", "客户群变化历史：{0}"),
        ("{0} monthly runs, from {1} to {2}.", "共 {0} 次月度运行，从 {1} 到 {2}。"),
        ("No month ended at a gate.", "没有任何月份触发检查关卡。"),
        ("Months where a gate fired", "触发检查关卡的月份"),
        ("Month", "月份"),
        ("Exit code", "退出码"),
        ("What fired", "触发原因"),
        ("Segment sizes", "客户群规模"),
        ("Share of customers in each segment, month by month", "各月各客户群的客户占比"),
        ("Share of customers", "客户占比"),
        ("Customers moving between segments", "客户在客户群之间的流动"),
        ("Each column is a month, each block a segment (its height: its customers); the bands between two months are the customers who moved from one segment to another, or stayed.", "每一列是一个月份，每个色块是一个客户群（高度表示客户数）；两个月份之间的色带表示从一个客户群流向另一个客户群或留在原客户群的客户。"),
        ("Flows of customers between segments from month to month", "各月之间客户在客户群之间的流动"),
        ("Headline measures over time", "主要指标随时间的变化"),
        ("segment {0} gone", "客户群 {0} 消失"),
        ("segment {0} new", "客户群 {0} 新出现"),
        ("exit code {0} (see that month's report)", "退出码 {0}（见该月报告）"),
        ("**Segment {0} has changed**: it was set apart most by “{1}”, and now by “{2}”. Check that the programmes attached to it still fit.", "**客户群 {0} 已发生变化**：它原先最突出的特征是“{1}”，现在是“{2}”。请检查为其安排的项目是否仍然合适。"),
        ("that number is outside the range the profile allows", "该数目超出了配置允许的范围"),
        ("some segments would now be too small or too large next to the others", "有的客户群现在会比其他的过小或过大"),
        ("at least one segment no longer came out the same on resampled data (it matched only {0} of the time)", "至少有一个客户群在重抽样数据上不再能重现（吻合度只有 {0}）"),
        ("{0} segments, where the previous run had {1}: with {1}, {2}.", "分为 {0} 个客户群，而上次运行为 {1} 个：若分为 {1} 个，{2}。"),
        ("{0} segments: with {1}, the segments would be told apart less clearly than with {0}.", "分为 {0} 个客户群：若分为 {1} 个，各客户群之间的区分会比 {0} 个时更模糊。"),
        ("{0} segments: with {1}, some segments would be too small or too large next to the others.", "分为 {0} 个客户群：若分为 {1} 个，有的客户群会比其他的过小或过大。"),
        ("{0} segments: with {1}, at least one segment did not come out the same when the customers were split at random and segmented again (it matched only {2} of the time).", "分为 {0} 个客户群：若分为 {1} 个，把客户随机分成两半重新划分时，至少有一个客户群无法重现（吻合度只有 {2}）。"),
        ("; ", "；"),
        ("High {0}", "{0}偏高"),
        ("Low {0}", "{0}偏低"),
        ("{0} customers ({1} of all customers, {2} of the amount billed).", "{0} 位客户（占全部客户的 {1}，占账单金额的 {2}）。"),
        ("They are close to the average customer on every measure.", "这些客户在各项指标上都接近平均客户。"),
        ("Compared with the average customer: {0}.", "与平均客户相比：{0}。"),
        ("{0} {1} (all customers: {2})", "{0}为 {1}（全部客户：{2}）"),
        ("{1}: {2} for {0} of them ({3} of all customers).", "其中 {0} 的{1}为{2}（全部客户中为 {3}）。"),
        ("*Index* compares a segment with all customers: 100 is average, 200 twice the average, 50 half. *Distance* is how many standard deviations the segment sits from the average; beyond ±{0} it counts as a trait.", "“指数”将客户群与全部客户相比：100 为平均水平，200 为平均的两倍，50 为一半。“距离”表示客户群偏离平均值多少个标准差；超过 ±{0} 即视为该客户群的特征。"),
        // Tables.
        ("Segment", "客户群"),
        ("Customers", "客户数"),
        ("Share", "占比"),
        ("Share of amount billed", "账单金额占比"),
        ("All customers", "全部客户"),
        ("Measure", "指标"),
        ("This segment", "本客户群"),
        ("Index", "指数"),
        ("Distance", "距离"),
        ("Silhouette", "轮廓系数"),
        ("Calinski–Harabasz", "Calinski–Harabasz 指数"),
        ("Davies–Bouldin", "Davies–Bouldin 指数"),
        ("Worst segment reproduced", "最差客户群的重现度"),
        ("Smallest", "最小客户群占比"),
        ("Largest", "最大客户群占比"),
        ("Balanced", "规模均衡"),
        ("Stable", "稳定"),
        ("Chosen", "是否选定"),
        ("yes", "是"),
        ("no", "否"),
        ("Export", "导出文件"),
        ("Size", "大小"),
        ("File", "文件"),
        ("Rows read", "读取行数"),
        ("Used", "采用行数"),
        ("Rejected", "拒绝行数"),
        ("Duplicates", "重复行数"),
        ("Outside the window", "时间窗口外"),
        ("Previous segment → now", "上次的客户群 → 现在"),
        ("Left", "已离开"),
        ("New customers", "新客户"),
        ("{0} ({1})", "{0}（{1}）"),
        ("(left)", "（已离开）"),
        ("(new customer)", "（新客户）"),
        // Migration.
        ("Compared with the previous run (`{0}`): of the {1} customers in both, **{2} ({3}) changed segment**. {4} customers are new and {5} have left. Segments that continue a previous one keep its number and name.", "与上次运行（`{0}`）相比：两次都在的 {1} 位客户中，**{2}（{3}）换了客户群**。新客户 {4} 位，离开的客户 {5} 位。延续上次某个客户群的客户群保留其编号和名称。"),
        ("Shares are of the previous segment's customers who are still customers; **bold** cells are those who stayed.", "占比以上次客户群中仍是客户的人数为基数；**粗体**单元格是留在原客户群的客户。"),
        ("Segment {0} ({1}) is new: it matches none of the previous run's segments.", "客户群 {0}（{1}）为新增客户群：它与上次运行的任何客户群都不对应。"),
        ("Previous segment {0} ({1}) has no successor in this run.", "上次的客户群 {0}（{1}）在本次运行中没有延续。"),
        // Selection.
        ("Rule: {0}.", "规则：{0}。"),
        ("k fixed by the profile at {0}; accepted if balanced", "配置文件把 k 固定为 {0}；规模均衡即接受"),
        ("largest k in {0}..={1} whose segments are balanced (each at least {2} of customers, the largest at most {3} times the smallest), stable (every segment reproduced on resamples with a median Jaccard of at least {4}) and no less separated than fewer segments (silhouette at most {5} below the best smaller k's)", "在 {0} 到 {1} 之间取最大的 k，要求客户群规模均衡（每个至少占客户的 {2}，最大的不超过最小的 {3} 倍）、稳定（每个客户群在重抽样上重现的 Jaccard 指数中位数至少为 {4}），且区分程度不低于更少的客户群（轮廓系数比更小的最佳 k 低不超过 {5}）"),
        ("scored with the saved model {0} (no refit)", "用已保存的模型 {0} 评分（未重新拟合）"),
        (", segment sizes enforced", "，客户群规模经过强制约束"),
        ("; segment sizes enforced between {0} and {1} of customers", "；客户群规模强制保持在客户的 {0} 至 {1} 之间"),
        ("Customers were scored with the saved model `{0}`: each goes to the segment whose centre is nearest, measured with the same features and scaling as when the model was fitted. Nothing was refitted, so segment numbers and names are the model's.", "客户用已保存的模型 `{0}` 评分：每位客户归入中心最近的客户群，所用特征和缩放与拟合模型时相同。没有重新拟合，因此客户群编号和名称沿用模型的。"),
        ("Segment sizes were kept within the model's bounds (`--enforce-balance`).", "客户群规模保持在模型的约束范围内（`--enforce-balance`）。"),
        ("**Drift**: {0} of customers sit farther from their segment's centre than any customer the model was fitted on, and {1} farther than 99% of them (about 1% when customers have not changed). When these shares grow, fit a new segmentation with `custseg run --previous`.", "**漂移**：{0} 的客户离所属客户群中心的距离超过拟合模型时的任何客户，{1} 超过其中 99% 的客户（客户没有变化时约为 1%）。这些比例上升时，请用 `custseg run --previous` 重新细分。"),
        // Data used.
        ("Rejected {0} rows, by reason: {1}; see `{2}`.", "{0}导出文件中被拒绝的行（按原因）：{1}；详见 `{2}`。"),
        ("{0} customers in the {1} export have no bill in the window and were left out.", "{1}导出文件中有 {0} 位客户在窗口内没有账单，未纳入。"),
        ("The {0} export lists events by feeder; each reached the customers on its feeder. {1} events reached no known customer.", "{0}导出文件按馈线列出事件；每个事件影响该馈线上的客户。有 {1} 个事件没有影响到任何已知客户。"),
        ("{0} customers with bills are missing from the customers export: their attributes show as (unknown).", "有账单的客户中有 {0} 位不在客户导出文件中：他们的属性显示为（未知）。"),
        ("Feature group **{0}** was skipped: {1}.", "特征组 **{0}** 被跳过：{1}。"),
        ("Feature `{0}` was skipped: {1}.", "特征 `{0}` 被跳过：{1}。"),
        ("Profile `{0}`, seed {1}, custseg {2}. The same inputs, profile and seed give the same segments. `manifest.json` also has the checksum of every output.", "配置文件 `{0}`，随机种子 {1}，custseg {2}。相同的输入、配置文件和种子得到相同的客户群。`manifest.json` 还记录了每个输出文件的校验和。"),
        // Actions.
        ("Credit management: payment reminders, payment plans, deposit review", "信用管理：缴费提醒、分期缴费计划、押金复核"),
        ("Reliability outreach: proactive outage notices, restoration updates, compensation where due", "供电可靠性沟通：主动停电通知、恢复供电进展通报、按规定赔偿"),
        ("Efficiency and EV offers: heat pumps, solar, smart thermostats, EV tariffs", "能效与电动汽车方案：热泵、光伏、智能温控器、电动汽车电价"),
        ("Channel shift: self-service app, web payments, callbacks instead of queues", "渠道转移：自助 App、网上缴费、以回电代替排队"),
        ("Retention: loyalty recognition, named contact, early renewal offers", "客户保留：忠诚度回馈、专属联系人、提前续约优惠"),
        ("None of the programme rules fits this segment: its arrears, outages, consumption, contacts and years as a customer are close to or below the average, and its share of the amount billed is in line with its size. The standard service suits it; watch it for changes next month.", "没有任何项目规则适用于该客户群：其欠费、停电、用电量、联系次数和客户年限都接近或低于平均水平，其账单金额占比与其规模相当。标准服务即可满足其需要；请在下个月继续关注其变化。"),
        ("{0} of the amount billed from {1} of customers", "{1} 的客户贡献了 {0} 的账单金额"),
        // Charts.
        ("Customers per segment", "各客户群的客户数"),
        ("How each segment differs from the average customer", "各客户群与平均客户的差异"),
        ("Columns are segments. Standard deviations from the average: teal above, brown below, white average", "每列是一个客户群。与平均值相差的标准差数：青绿色高于平均，棕色低于平均，白色为平均"),
        ("How the number of segments was chosen: filled dots are balanced k, the ring is the chosen k", "客户群数目如何确定：实心点为规模均衡的 k，圆圈为选定的 k"),
        ("Silhouette (higher is better)", "轮廓系数（越高越好）"),
        ("Calinski–Harabasz (higher is better)", "Calinski–Harabasz 指数（越高越好）"),
        ("Davies–Bouldin (lower is better)", "Davies–Bouldin 指数（越低越好）"),
        ("Worst segment reproduced (Jaccard, higher is better)", "最差客户群的重现度（Jaccard，越高越好）"),
        ("Inertia (lower is better)", "组内平方和（越低越好）"),
        ("Map of the segments: each dot is a customer (a sample)", "客户群分布图：每个点是一位客户（抽样）"),
        ("Map of the segments", "客户群分布图"),
        ("Main direction of difference ({0} of the variation)", "主要差异方向（占变异的 {0}）"),
        ("Second direction ({0})", "第二方向（{0}）"),
        ("Segment {0}: index against the average customer (100)", "客户群 {0}：相对平均客户的指数（100）"),
        ("Segment {0} index against the average customer", "客户群 {0} 相对平均客户的指数"),
        ("Customers moving between segments since the previous run", "自上次运行以来客户在客户群之间的流动"),
        ("Previous segment ↓ · segment now →", "上次的客户群 ↓ · 现在的客户群 →"),
        ("Now {0}", "现客户群 {0}"),
        ("Shares are of each previous segment's customers who are still customers; darker = more.", "占比以上次各客户群中仍是客户的人数为基数；颜色越深，人数越多。"),
        ("k-selection diagnostics", "k 值选择诊断"),
];

/// The Chinese of an English template.
fn zh(en: &str) -> Option<&'static str> {
    ZH.iter().find(|(e, _)| *e == en).map(|(_, z)| *z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_in_any_order() {
        assert_eq!(fill("{1} before {0}", &[&"a", &2]), "2 before a");
        assert_eq!(fill("{0} and {0}", &[&"x"]), "x and x");
        // Braces that are not arguments stay.
        assert_eq!(fill("{x} {3} {", &[&1]), "{x} {3} {");
        assert_eq!(f(Lang::Zh, "Segment {0}: {1}", &[&3, &"高额欠费"]), "客户群 3：高额欠费");
        assert_eq!(f(Lang::En, "Segment {0}: {1}", &[&3, &"High arrears"]), "Segment 3: High arrears");
    }

    #[test]
    fn every_translation_keeps_the_arguments_of_its_template() {
        let args = |s: &str| {
            let mut v: Vec<String> = (0..10).map(|i| format!("{{{i}}}")).filter(|a| s.contains(a.as_str())).collect();
            v.sort();
            v
        };
        let markup = |s: &str| s.matches("**").count().is_multiple_of(2) && s.matches('`').count().is_multiple_of(2);
        for (i, (en, zh)) in ZH.iter().enumerate() {
            assert_eq!(args(en), args(zh), "{en} → {zh}");
            assert!(markup(zh), "unbalanced markup: {zh}");
            assert!(!ZH[..i].iter().any(|(e, _)| e == en), "{en} twice");
        }
        assert!(ZH.len() > 100, "{}", ZH.len());
    }

    #[test]
    fn missing_translations_are_recorded_and_fall_back_to_english() {
        take_missing();
        assert_eq!(t(Lang::Zh, "no such text"), "no such text");
        assert!(take_missing().contains("no such text"));
        assert_eq!(t(Lang::Zh, "For analysts"), "供分析人员参考");
        assert!(take_missing().is_empty());
    }

    #[test]
    fn reasons_translate_and_unknown_ones_stay() {
        assert_eq!(reason(Lang::Zh, "missing bill_date; not a date"), "缺少 bill_date；非日期");
        assert_eq!(
            reason(Lang::Zh, "the billing export has no column \"paid_date\" (it is derived from due_date and paid_date)"),
            "账单导出文件没有 \"paid_date\" 列（它由 due_date 和 paid_date 推算）"
        );
        assert_eq!(reason(Lang::Zh, "no outages export was given"), "未提供停电导出文件");
        assert_eq!(reason(Lang::Zh, "something new"), "something new");
        assert_eq!(reason(Lang::En, "blank line"), "blank line");
    }

    #[test]
    fn texts_fall_back_to_english_and_read_plain_strings() {
        let t: Text = serde_json::from_str("\"High bills\"").unwrap();
        assert_eq!(t.get(Lang::Zh), "High bills");
        let t: Text = serde_json::from_str(r#"{"en":"High bills","zh":"账单高"}"#).unwrap();
        assert_eq!((t.get(Lang::En), t.get(Lang::Zh)), ("High bills", "账单高"));
        assert_eq!(serde_json::to_string(&Text::en("x")).unwrap(), r#"{"en":"x"}"#);
    }
}
