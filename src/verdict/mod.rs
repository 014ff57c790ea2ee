//! Verdict parser: turns an LLM governance review (Markdown or JSON) into a [`Review`].

mod quoted;

use quoted::Quoted;
use regex::Regex;
use serde::Serialize;
use serde_json::Value;
use std::sync::LazyLock;

pub use crate::model::Verdict;
pub use reason::{unknown_reason, UnknownReason};

mod reason;

/// Outcome of the review's `## Pre-Flight Gate` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Preflight {
    Passed,
    Failed,
    Absent,
}

/// How the verdict was stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    Checkbox,
    CheckboxOverLine,
    Line,
    Json,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1 = blocking, 2 = high priority, 3 = suggestion.
    pub tier: u8,
    /// Sub-heading such as "Security"; "" when none.
    pub category: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub verdict: Verdict,
    /// Number of Tier 1 findings.
    pub blocking: usize,
    pub findings: Vec<Finding>,
    pub preflight: Preflight,
    pub form: Form,
}

impl Review {
    pub fn blocking_findings(&self) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.tier == 1).collect()
    }
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in regex is valid")
}

static HEADING: LazyLock<Regex> = LazyLock::new(|| re(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$"));
static FENCE_OPEN: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(`{3,}|~{3,})(.*)$"));
/// Title of a verdict section, after leading decoration is stripped; group 1 is the rest.
static VERDICT_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^(?:(?:final|overall|governance|review)\s+)?verdict[*_]*\s*(?:$|[:\-–—(](.*)$)")
});
/// `Verdict: X`, `**Verdict:** X`, `# Governance Verdict: BLOCK`, `- Final verdict - X`.
static LINE_STATEMENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^ {0,3}(?:#{1,6}\s+)?(?:[-*+]\s+)?[*_]*\s*(?:(?:final|overall|governance|review|reviewer|my)\s+)?verdict[*_]*\s*[:\-–—](.*)$",
    )
});
/// A ticked box; group 1 is what follows it.
static TICKED: LazyLock<Regex> =
    LazyLock::new(|| re(r"^ {0,3}(?:(?:[-*+]|\d+[.)])\s+)?\[[xX✓✔]\]\s*(.*)$"));
/// An optional list marker; group 1 is the rest of the line.
static LIST_PREFIX: LazyLock<Regex> = LazyLock::new(|| re(r"^ {0,3}(?:[-*+]\s+)?(.*)$"));
/// After a verdict word: `/ REVISE`, `| BLOCKED`, `or DISCUSS` (an option list, not a decision).
static ALTERNATIVE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^[*_\s]*(?:/|\||,|\bor\b)[*_\s]*([A-Za-z]+)"));
static TIER: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\btier\s*([123])\b"));
static LIST_ITEM: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(\s*)(?:[-*+]|\d+[.)])\s+(?:\[([ xX✓✔])\]\s*)?(.*)$"));
static NO_ISSUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:none|n/a|nothing)\b|^no\s+(?:[\w-]+\s+){0,3}?(?:issues?|concerns?|findings?|problems?|blockers?|suggestions?|gaps?)\b",
    )
});
static PREFLIGHT_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^pre-?\s?flight(?:\s+gate|\s+check)?[*_]*\s*(?:[:\-–—][*_\s]*(PASSED|PASS|FAILED|FAIL)\b)?",
    )
});
/// A pre-flight result line: group 1 the box (if any), group 2 the word.
static PREFLIGHT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:[-*+]\s+)?(?:\[([ xX✓✔])\]\s*)?[*_]*\s*(?:(?:status|result|gate)[*_]*\s*:[*_\s]*)?(?:✅|❌)?\s*[*_]*(PASSED|PASS|FAILED|FAIL)\b",
    )
});

/// One line of the review with what the parser needs to know about it.
struct Line<'a> {
    text: &'a str,
    /// Byte offset of the line in the input.
    start: usize,
    /// Inside a code fence (fence delimiters included).
    fenced: bool,
    /// An opening or closing fence line.
    delim: bool,
    /// ATX heading level and title, outside fences only.
    heading: Option<(usize, &'a str)>,
    /// A line of the text the reviewer was given: never a statement of the reviewer's.
    quoted: bool,
}

fn split_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut start = 0;
    for raw in text.split('\n') {
        let text = raw.strip_suffix('\r').unwrap_or(raw);
        let mut ln = Line {
            text,
            start,
            fenced: true,
            delim: false,
            heading: None,
            quoted: false,
        };
        start += raw.len() + 1;
        if let Some((ch, len)) = fence {
            let t = text.trim();
            ln.delim = t.len() >= len && t.chars().all(|c| c == ch);
            if ln.delim {
                fence = None;
            }
        } else if let Some(open) = fence_open(text) {
            fence = Some(open);
            ln.delim = true;
        } else {
            ln.fenced = false;
            ln.heading = HEADING
                .captures(text)
                .map(|c| (c[1].len(), c.get(2).map_or("", |m| m.as_str())));
        }
        lines.push(ln);
    }
    lines
}

/// The fence character and length if `line` opens a code fence.
fn fence_open(line: &str) -> Option<(char, usize)> {
    let c = FENCE_OPEN.captures(line)?;
    let marks = c.get(1)?.as_str();
    let ch = if marks.starts_with('`') { '`' } else { '~' };
    (ch == '~' || !c[2].contains('`')).then_some((ch, marks.len()))
}

/// Strip leading decoration (emoji, bold, punctuation) from a heading title.
fn clean_title(title: &str) -> &str {
    title.trim_start_matches(|c: char| !c.is_alphanumeric())
}

/// Line index ranges `(heading, end)` of every section whose title matches `pred`.
fn sections(lines: &[Line], pred: impl Fn(&str) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, ln) in lines.iter().enumerate() {
        let Some((level, title)) = ln.heading else {
            continue;
        };
        if !pred(clean_title(title)) {
            continue;
        }
        let end = lines[i + 1..]
            .iter()
            .position(|l| l.heading.is_some_and(|(lv, _)| lv <= level))
            .map_or(lines.len(), |p| i + 1 + p);
        out.push((i, end));
    }
    out
}

/// Verdict words stated by the text after a `Verdict:` label (several if it is an option
/// list). Returns true when a verdict was found and its word is not emphasised
/// (`**Verdict:** BLOCK` rather than `**Verdict:** **BLOCK**`).
fn statement_words(rest: &str, out: &mut Vec<Verdict>) -> bool {
    // `rest` starts after the label: `** BLOCK` for `**Verdict:** BLOCK`.
    let rest = rest.trim_start_matches(['*', '_']);
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || ":-–—".contains(c));
    let plain = !rest.starts_with(['*', '_', '`']);
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || "*_`".contains(c));
    let word_len = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let Some(v) = Verdict::parse_word(&rest[..word_len]) else {
        return false;
    };
    out.push(v);
    let mut tail = &rest[word_len..];
    while let Some(c) = ALTERNATIVE.captures(tail) {
        match Verdict::parse_word(&c[1]) {
            Some(alt) => out.push(alt),
            None => break,
        }
        tail = &tail[c.get(0).map_or(tail.len(), |m| m.end())..];
    }
    plain
}

/// The verdict word starting `rest`, if it is bold or upper case (`**REVISE**`, `BLOCKED`).
fn emphatic_verdict(rest: &str) -> Option<Verdict> {
    let bold = rest.starts_with("**") || rest.starts_with("__");
    let rest = rest.trim_start_matches(['*', '_', ' ']);
    let word = &rest[..rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len())];
    let v = Verdict::parse_word(word)?;
    (bold || word == word.to_ascii_uppercase()).then_some(v)
}

/// The verdict of a ticked box (`[x] **REVISE** - ...`).
fn ticked_verdict(line: &str) -> Option<Verdict> {
    emphatic_verdict(TICKED.captures(line)?.get(1)?.as_str())
}

/// The one verdict all statements agree on; none or a disagreement is `Unknown`.
fn decide(found: &[Verdict]) -> Verdict {
    match found.first() {
        Some(&v) if found.iter().all(|&w| w == v) => v,
        _ => Verdict::Unknown,
    }
}

/// Verdict and form from the Markdown outside code fences; `None` if nothing states one.
fn markdown_verdict(lines: &[Line]) -> Option<(Verdict, Form)> {
    let secs = sections(lines, |t| VERDICT_TITLE.is_match(t));
    let mut in_section = vec![false; lines.len()];
    for &(s, e) in &secs {
        in_section[s..e].fill(true);
    }
    let mut boxes = Vec::new();
    let mut sec_lines = Vec::new();
    for &(s, e) in &secs {
        if let Some(rest) = lines[s]
            .heading
            .filter(|_| !lines[s].quoted)
            .and_then(|(_, t)| VERDICT_TITLE.captures(clean_title(t)))
            .and_then(|c| c.get(1))
        {
            let _ = statement_words(rest.as_str(), &mut sec_lines);
        }
        for ln in lines[s + 1..e].iter().filter(|l| !l.fenced && !l.quoted) {
            if let Some(v) = ticked_verdict(ln.text) {
                boxes.push(v);
            } else if let Some(c) = LINE_STATEMENT.captures(ln.text) {
                let _ = statement_words(c.get(1).map_or("", |m| m.as_str()), &mut sec_lines);
            } else if let Some(v) = LIST_PREFIX
                .captures(ln.text)
                .and_then(|c| emphatic_verdict(c.get(1)?.as_str()))
            {
                sec_lines.push(v);
            }
        }
    }
    let mut other_boxes = Vec::new();
    let mut other_lines = Vec::new();
    // A plain `**Verdict:** BLOCK` line elsewhere makes a ticked box `checkbox-over-line`.
    // The corpus labels `**Verdict:** **BLOCK**` (emphasised word) as plain `checkbox`.
    let mut plain_line = false;
    for (i, ln) in lines.iter().enumerate() {
        if ln.fenced || ln.quoted || in_section[i] {
            continue;
        }
        if let Some(v) = ticked_verdict(ln.text) {
            other_boxes.push(v);
        } else if let Some(c) = LINE_STATEMENT.captures(ln.text) {
            plain_line |= statement_words(c.get(1).map_or("", |m| m.as_str()), &mut other_lines);
        }
    }
    if !boxes.is_empty() {
        let mut v = decide(&boxes);
        // A ticked box does not outvote the reviewer's own words: signals that disagree
        // leave no single verdict.
        if sec_lines.iter().any(|&w| w != v) {
            v = Verdict::Unknown;
        }
        let form = match v != Verdict::Unknown && plain_line {
            true => Form::CheckboxOverLine,
            false => Form::Checkbox,
        };
        return Some((v, form));
    }
    if !sec_lines.is_empty() {
        return Some((decide(&sec_lines), Form::Line));
    }
    if other_boxes.is_empty() && other_lines.is_empty() {
        return None;
    }
    let form = if other_lines.is_empty() {
        Form::Checkbox
    } else {
        Form::Line
    };
    other_boxes.extend(other_lines);
    Some((decide(&other_boxes), form))
}

/// Review from a JSON answer: `{"verdict": ..., "blocking_issues": [...]}`.
fn json_review(obj: &serde_json::Map<String, Value>) -> Review {
    let verdict = obj
        .get("verdict")
        .and_then(Value::as_str)
        .and_then(Verdict::parse_word)
        .unwrap_or(Verdict::Unknown);
    let issues = obj.get("blocking_issues").and_then(Value::as_array);
    let findings: Vec<Finding> = issues
        .map(|a| a.iter().map(json_finding).collect())
        .unwrap_or_default();
    Review {
        verdict,
        blocking: findings.len(),
        findings,
        preflight: Preflight::Absent,
        form: Form::Json,
    }
}

fn json_finding(item: &Value) -> Finding {
    let field = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| item.get(*k).and_then(Value::as_str))
            .unwrap_or("")
            .to_string()
    };
    let text = match item {
        Value::String(s) => s.clone(),
        Value::Object(_) => {
            let t = field(&["issue", "description", "text", "title", "message"]);
            if t.is_empty() {
                item.to_string()
            } else {
                t
            }
        }
        other => other.to_string(),
    };
    Finding {
        tier: 1,
        category: field(&["section", "category"]),
        text,
    }
}

/// The first JSON value at the start of `s`, if it is an object with a `verdict` key.
fn json_object_at(s: &str) -> Option<(serde_json::Map<String, Value>, usize)> {
    let mut stream = serde_json::Deserializer::from_str(s).into_iter::<Value>();
    match stream.next() {
        Some(Ok(Value::Object(obj))) if obj.contains_key("verdict") => {
            Some((obj, stream.byte_offset()))
        }
        _ => None,
    }
}

/// A JSON answer inside a code fence or amid short prose; only for reviews that have no
/// Markdown headings outside fences (a structured review's fenced examples never count).
fn embedded_json(text: &str, lines: &[Line], quoted: &Quoted) -> Option<Review> {
    if lines.iter().any(|l| l.heading.is_some()) {
        return None;
    }
    let mut found = Vec::new();
    let mut skip_until = 0;
    let mut attempts = 0; // bounds the work on hostile input with many `{` lines
    let mut i = 0;
    while i < lines.len() {
        let ln = &lines[i];
        if ln.fenced {
            // `ln` opens a fence: its body runs to the closing delimiter (or the end).
            let end = lines[i + 1..]
                .iter()
                .position(|l| l.delim)
                .map_or(lines.len(), |p| i + 1 + p);
            let body_start = lines.get(i + 1).map_or(text.len(), |l| l.start);
            let body_end = lines.get(end).map_or(text.len(), |l| l.start);
            let body = text.get(body_start..body_end).unwrap_or("");
            if let Some((obj, len)) = json_object_at(body) {
                if !quoted.passage(&body[..len.min(body.len())]) {
                    found.push(obj);
                }
            }
            i = end + 1;
            continue;
        }
        if ln.start >= skip_until && ln.text.trim_start().starts_with('{') && attempts < 16 {
            attempts += 1;
            let rest = text.get(ln.start..).unwrap_or("");
            if let Some((obj, len)) = json_object_at(rest) {
                skip_until = ln.start + len;
                if !quoted.passage(&rest[..len.min(rest.len())]) {
                    found.push(obj);
                }
            }
        }
        i += 1;
    }
    let first = found.first()?;
    let mut review = json_review(first);
    let verdicts: Vec<Verdict> = found.iter().map(|o| json_review(o).verdict).collect();
    review.verdict = decide(&verdicts);
    Some(review)
}

/// Tier 1/2/3 findings from `## Tier N: ...` sections (and `## Required Changes`).
fn markdown_findings(lines: &[Line]) -> Vec<Finding> {
    struct Item {
        finding: Option<Finding>,
        indent: usize,
    }
    fn flush(item: &mut Option<Item>, out: &mut Vec<Finding>) {
        if let Some(f) = item.take().and_then(|i| i.finding) {
            out.push(f);
        }
    }
    let mut out = Vec::new();
    let mut tier: Option<(u8, usize)> = None;
    let mut category = String::new();
    let mut item: Option<Item> = None;
    // "No blocking issues found." under the Tier 1 heading: items listed there anyway
    // (notes, authorised exceptions) are recorded as Tier 2, not as blocking.
    let mut none_blocking = false;
    for ln in lines.iter().filter(|l| !l.fenced) {
        if let Some((level, title)) = ln.heading {
            flush(&mut item, &mut out);
            let title = clean_title(title);
            let alias = (level <= 2).then(|| tier_alias(title)).flatten();
            let t = TIER
                .captures(title)
                .and_then(|c| c[1].parse::<u8>().ok())
                .or(alias);
            if let Some(t) = t {
                tier = Some((t, level));
                category.clear();
                none_blocking = false;
            } else if tier.is_some_and(|(_, tl)| level > tl) {
                category = title
                    .replace(['*', '_'], "")
                    .trim()
                    .trim_end_matches(':')
                    .to_string();
            } else {
                tier = None;
            }
            continue;
        }
        let Some((t, _)) = tier else { continue };
        let indent = ln.text.len() - ln.text.trim_start().len();
        let continues = item.as_ref().is_some_and(|i| indent > i.indent);
        if ln.text.trim().is_empty() {
            continue;
        }
        if continues {
            if let Some(f) = item.as_mut().and_then(|i| i.finding.as_mut()) {
                f.text.push('\n');
                f.text
                    .push_str(&ln.text.trim().replace("**", "").replace("__", ""));
            }
            continue;
        }
        flush(&mut item, &mut out);
        let Some(c) = LIST_ITEM.captures(ln.text) else {
            if t == 1
                && category.is_empty()
                && NO_ISSUE.is_match(ln.text.trim_start_matches(['*', '_', ' ']))
            {
                none_blocking = true;
            }
            continue;
        };
        let ticked = c.get(2).is_some_and(|m| m.as_str() != " ");
        let text = c
            .get(3)
            .map_or("", |m| m.as_str())
            .replace("**", "")
            .replace("__", "");
        let text = text.trim();
        let real = !ticked && !NO_ISSUE.is_match(text) && text.chars().any(|c| c.is_alphanumeric());
        let tier = if t == 1 && none_blocking { 2 } else { t };
        let finding = real.then(|| Finding {
            tier,
            category: category.clone(),
            text: text.to_string(),
        });
        item = Some(Item { finding, indent });
    }
    flush(&mut item, &mut out);
    out
}

fn tier_alias(title: &str) -> Option<u8> {
    let t = title.to_ascii_lowercase();
    if ["required changes", "blocking issues", "feedback items"]
        .iter()
        .any(|p| t.starts_with(p))
    {
        Some(1)
    } else if t.starts_with("high priority issues") {
        Some(2)
    } else if t.starts_with("suggestions") || t.starts_with("recommendations") {
        Some(3)
    } else {
        None
    }
}

fn preflight(lines: &[Line]) -> Preflight {
    let Some(&(s, e)) = sections(lines, |t| PREFLIGHT_TITLE.is_match(t)).first() else {
        return Preflight::Absent;
    };
    let mut words: Vec<String> = Vec::new();
    if let Some(c) = lines[s]
        .heading
        .and_then(|(_, t)| PREFLIGHT_TITLE.captures(clean_title(t)))
    {
        words.extend(c.get(1).map(|m| m.as_str().to_ascii_uppercase()));
    }
    for ln in lines[s + 1..e].iter().filter(|l| !l.fenced) {
        match PREFLIGHT_LINE.captures(ln.text) {
            Some(c) if c.get(1).is_none_or(|b| b.as_str() != " ") => {
                words.push(c[2].to_ascii_uppercase())
            }
            _ => {}
        }
    }
    if words.iter().any(|w| w.starts_with("FAIL")) {
        Preflight::Failed
    } else if words.is_empty() {
        Preflight::Absent
    } else {
        Preflight::Passed
    }
}

/// Parse one review. Never panics; anything unclear is `Verdict::Unknown`.
pub fn parse(text: &str) -> Review {
    parse_quoting(text, &[])
}

/// Parse the review of a text the reviewer was given in `sources` (the prompt, which holds
/// the document): a verdict statement that is a line of those texts is not the reviewer's and
/// counts for nothing.
pub fn parse_quoting(text: &str, sources: &[&str]) -> Review {
    let quoted = Quoted::new(sources);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        if let Some((obj, len)) = json_object_at(trimmed) {
            if !quoted.passage(&trimmed[..len.min(trimmed.len())]) {
                return json_review(&obj);
            }
        }
    }
    let mut lines = split_lines(text);
    for ln in lines.iter_mut().filter(|l| !l.fenced) {
        ln.quoted = quoted.line(ln.text);
    }
    let (verdict, form) = match markdown_verdict(&lines) {
        Some(found) => found,
        None => match embedded_json(text, &lines, &quoted) {
            Some(review) => return review,
            None => (Verdict::Unknown, Form::None),
        },
    };
    let findings = markdown_findings(&lines);
    Review {
        verdict,
        blocking: findings.iter().filter(|f| f.tier == 1).count(),
        findings,
        preflight: preflight(&lines),
        form,
    }
}

#[cfg(test)]
mod tests;
