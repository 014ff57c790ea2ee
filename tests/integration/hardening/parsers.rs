//! Property tests: the pre-push input, the rate-limit parsers and `--partition` never panic,
//! understand what is valid, refuse what is not, and never yield an absurd wait.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parwf::discover::partition::{shard_of, Partition};
use parwf::discover::push::{read_input, InputError, MAX_LINE_BYTES};
use parwf::provider::ratelimit::{
    classify, exhausted_for, go_duration, http_date, proto_duration, retry_after, rfc3339, Api,
    Headers, MAX_HINT,
};
use parwf::provider::ProviderError;
use proptest::prelude::*;

const CASES: u32 = 256;

// ---- the pre-push hook's stdin -------------------------------------------------------------

/// A ref name as git may write it: no whitespace or control characters, but anything else,
/// including Unicode spaces (NBSP, U+3000) and bytes that are not UTF-8.
fn ref_name() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        "[a-z0-9._/-]{1,8}".prop_map(String::into_bytes),
        "[^\\x00-\\x20\\x7f]{1,3}".prop_map(String::into_bytes),
        Just("\u{a0}".as_bytes().to_vec()),
        Just("\u{3000}".as_bytes().to_vec()),
        Just("é".as_bytes().to_vec()),
        prop::collection::vec(0x80u8..=0xff, 1..4),
    ];
    let prefix = prop_oneof![
        Just("refs/heads/"),
        Just("refs/tags/"),
        Just("refs/notes/"),
        Just(""),
    ];
    (prefix, prop::collection::vec(piece, 1..4)).prop_map(|(p, pieces)| {
        let mut name = p.as_bytes().to_vec();
        name.extend(pieces.concat());
        name
    })
}

fn oid() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-f]{40}",
        "[0-9A-F]{40}",
        "[0-9a-f]{64}",
        Just("0".repeat(40)),
        Just("0".repeat(64)),
    ]
}

/// One valid line's fields: (local ref, local oid, remote ref, remote oid).
type Fields = (Vec<u8>, String, Vec<u8>, String);

fn valid_line() -> impl Strategy<Value = Fields> {
    let local = prop_oneof![3 => ref_name(), 1 => Just(b"(delete)".to_vec())];
    (local, oid(), ref_name(), oid())
}

/// A separator git never writes but a hand-fed input may have.
fn gap() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just(" "), 1 => Just("  "), 1 => Just("\t")]
}

/// A line that is not git's: a wrong number of fields, or an OID that is not one.
fn garbage_line() -> impl Strategy<Value = String> {
    let word = "[^\\s]{1,12}";
    prop_oneof![
        prop::collection::vec(word, 1..4).prop_map(|w| w.join(" ")),
        prop::collection::vec(word, 5..8).prop_map(|w| w.join(" ")),
        (word, "[0-9a-f]{0,39}", word, "[0-9a-f]{40}")
            .prop_map(|(a, b, c, d)| format!("{a} {b} {c} {d}")),
        (word, "[0-9a-f]{40}", word, "[0-9a-f]{41,63}")
            .prop_map(|(a, b, c, d)| format!("{a} {b} {c} {d}")),
        (word, "[0-9a-f]{39}[g-z]", word, "[0-9a-f]{40}")
            .prop_map(|(a, b, c, d)| format!("{a} {b} {c} {d}")),
    ]
}

/// The Line error's message, which must be one bounded line; panics on anything else.
fn line_error(r: Result<Vec<parwf::discover::push::RefUpdate>, InputError>) -> String {
    match r {
        Err(InputError::Line(m)) => m,
        other => panic!("expected a refused line, got {other:?}"),
    }
}

fn assert_one_short_line(msg: &str) {
    assert!(!msg.contains('\n') && !msg.contains('\r'), "{msg:?}");
    assert!(msg.chars().count() < 400, "{} chars: {msg:.200}", msg.len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// Any bytes at all: no panic; a refusal is one short line; an acceptance only when every
    /// non-blank line has git's four fields with two OIDs.
    #[test]
    fn pre_push_input_of_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        match read_input(&bytes[..]) {
            Ok(updates) => {
                let text = String::from_utf8_lossy(&bytes);
                let lines: Vec<&str> = text.lines().filter(|l| !l.trim_ascii().is_empty()).collect();
                prop_assert_eq!(updates.len(), lines.len());
                for u in &updates {
                    for oid in [&u.local_oid, &u.remote_oid] {
                        prop_assert!(matches!(oid.len(), 40 | 64));
                        prop_assert!(oid.bytes().all(|b| b.is_ascii_hexdigit()));
                    }
                }
            }
            Err(InputError::Line(m)) => assert_one_short_line(&m),
            Err(InputError::Read(e)) => prop_assert!(false, "reading a slice failed: {e}"),
        }
    }

    /// Valid lines — whatever the ref names, zero OIDs for new branches and deletions, tags,
    /// CRLF, extra blank lines, no final newline — are each understood as git meant them.
    #[test]
    fn valid_pre_push_lines_are_always_understood(
        lines in prop::collection::vec((valid_line(), gap()), 0..8),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        blank_after in prop::option::of(0usize..8),
    ) {
        let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut input = Vec::new();
        for (i, ((lr, lo, rr, ro), gap)) in lines.iter().enumerate() {
            for (j, field) in [lr.as_slice(), lo.as_bytes(), rr, ro.as_bytes()].iter().enumerate() {
                if j > 0 {
                    input.extend_from_slice(gap.as_bytes());
                }
                input.extend_from_slice(field);
            }
            if i + 1 < lines.len() || final_newline {
                input.extend_from_slice(eol);
            }
            if blank_after == Some(i) && (i + 1 < lines.len() || final_newline) {
                input.extend_from_slice(b" \t");
                input.extend_from_slice(eol);
            }
        }
        let updates = read_input(&input[..]).map_err(|e| {
            TestCaseError::fail(format!("{e} for {:?}", String::from_utf8_lossy(&input)))
        })?;
        prop_assert_eq!(updates.len(), lines.len());
        for (u, ((lr, lo, rr, ro), _)) in updates.iter().zip(&lines) {
            prop_assert_eq!(&u.local_ref, &String::from_utf8_lossy(lr));
            prop_assert_eq!(&u.remote_ref, &String::from_utf8_lossy(rr));
            prop_assert_eq!(&u.local_oid, lo);
            prop_assert_eq!(&u.remote_oid, ro);
            prop_assert_eq!(u.is_deletion(), lo.bytes().all(|b| b == b'0'));
            prop_assert_eq!(u.is_new(), ro.bytes().all(|b| b == b'0'));
            prop_assert_eq!(u.is_branch(), rr.starts_with(b"refs/heads/"));
        }
    }

    /// One line that is not git's, anywhere among valid ones, refuses the whole input (the
    /// hook then exits 2): never a silent pass on the lines that did parse.
    #[test]
    fn one_garbage_line_refuses_the_whole_input(
        before in prop::collection::vec(valid_line(), 0..4),
        bad in garbage_line(),
        after in prop::collection::vec(valid_line(), 0..4),
    ) {
        let join = |ls: &[Fields]| -> Vec<u8> {
            let mut out = Vec::new();
            for (lr, lo, rr, ro) in ls {
                out.extend_from_slice(lr);
                out.extend_from_slice(format!(" {lo} ").as_bytes());
                out.extend_from_slice(rr);
                out.extend_from_slice(format!(" {ro}\n").as_bytes());
            }
            out
        };
        let mut input = join(&before);
        input.extend_from_slice(bad.as_bytes());
        input.push(b'\n');
        input.extend(join(&after));
        let msg = line_error(read_input(&input[..]));
        assert_one_short_line(&msg);
        prop_assert!(msg.starts_with("unexpected pre-push input line `"), "{}", msg);
    }
}

#[test]
fn a_huge_pre_push_line_is_refused_early_with_a_short_message() {
    // 8 MB without a newline: refused after the first MAX_LINE_BYTES, quoted in 100 chars.
    let huge = vec![b'x'; 8 << 20];
    let msg = line_error(read_input(&huge[..]));
    assert_one_short_line(&msg);
    assert!(
        msg.contains(&format!("longer than {MAX_LINE_BYTES} bytes")),
        "{msg}"
    );
    // A line exactly at the limit (plus its newline) is still read, and judged on its fields.
    let mut at_limit = vec![b'y'; MAX_LINE_BYTES];
    at_limit.push(b'\n');
    let msg = line_error(read_input(&at_limit[..]));
    assert!(
        msg.starts_with("unexpected pre-push input line `yyy"),
        "{msg:.120}"
    );
    assert!(msg.contains("`…"), "the quote is cut: {msg:.200}");
}

#[test]
fn a_huge_valid_pre_push_input_is_read_whole() {
    // `git push --tags` of a big repo: 20,000 lines, all understood, none checked.
    let a = "a".repeat(40);
    let zero = "0".repeat(40);
    let input: String = (0..20_000)
        .map(|i| format!("refs/tags/v{i} {a} refs/tags/v{i} {zero}\n"))
        .collect();
    let updates = read_input(input.as_bytes()).expect("valid input");
    assert_eq!(updates.len(), 20_000);
    assert!(updates.iter().all(|u| !u.is_branch() && u.is_new()));
}

// ---- 429 headers and bodies ----------------------------------------------------------------

fn now() -> impl Strategy<Value = SystemTime> {
    // From 1970 to 2100.
    (0u64..4_102_444_800).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

/// A number that is usually sane and sometimes absurd.
fn sometimes_absurd(sane: std::ops::Range<i64>) -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => sane,
        1 => any::<i64>(),
        1 => prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(-1)],
        1 => 10_000i64..1_000_000_000_000_000,
    ]
}

/// `Retry-After` HTTP-dates with one field or another out of range.
fn http_dates() -> impl Strategy<Value = String> {
    let mon = prop_oneof![
        Just("Jan"),
        Just("Feb"),
        Just("Oct"),
        Just("Dec"),
        Just("Foo")
    ];
    (
        sometimes_absurd(1..32),
        mon,
        sometimes_absurd(1970..2100),
        sometimes_absurd(0..24),
        sometimes_absurd(0..60),
        prop_oneof![4 => 0.0f64..61.0, 1 => any::<f64>()],
    )
        .prop_map(|(d, m, y, h, mi, s)| format!("Wed, {d:02} {m} {y} {h:02}:{mi:02}:{s:02} GMT"))
}

/// Anthropic's RFC 3339 resets with absurd offsets, fractions and fields.
fn rfc3339_times() -> impl Strategy<Value = String> {
    (
        0i64..10_000,
        sometimes_absurd(1..13),
        sometimes_absurd(1..29),
        sometimes_absurd(0..24),
        prop_oneof![Just("Z"), Just("+"), Just("-"), Just("z")],
        sometimes_absurd(0..24),
        sometimes_absurd(0..60),
        "(\\.[0-9]{1,12})?",
    )
        .prop_map(|(y, m, d, h, zone, oh, om, frac)| {
            let zone = match zone {
                "Z" | "z" => zone.to_string(),
                sign => format!("{sign}{oh:02}:{om:02}"),
            };
            format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00{frac}{zone}")
        })
}

/// Go durations (`1h2m3.5s`) with huge numbers and unknown units.
fn go_durations() -> impl Strategy<Value = String> {
    let unit = prop_oneof![
        Just("h"),
        Just("m"),
        Just("s"),
        Just("ms"),
        Just("us"),
        Just("µs"),
        Just("ns"),
        Just(""),
        Just("d"),
    ];
    prop::collection::vec(("[0-9]{1,25}(\\.[0-9]{0,5})?", unit), 1..5)
        .prop_map(|parts| parts.into_iter().map(|(n, u)| format!("{n}{u}")).collect())
}

/// Header values: real-shaped ones with absurd numbers, and arbitrary text.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|f| f.to_string()),
        any::<f64>().prop_map(|f| format!("{f}s")),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|i| format!("{i}.{i}")),
        go_durations(),
        http_dates(),
        rfc3339_times(),
        "\\PC{0,40}",
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("retry-after".to_string()),
        Just("Retry-After".to_string()),
        Just("retry-after-ms".to_string()),
        Just("x-ratelimit-remaining-requests".to_string()),
        Just("x-ratelimit-reset-requests".to_string()),
        Just("x-ratelimit-remaining-tokens".to_string()),
        Just("x-ratelimit-reset-tokens".to_string()),
        Just("anthropic-ratelimit-requests-remaining".to_string()),
        Just("anthropic-ratelimit-requests-reset".to_string()),
        Just("anthropic-ratelimit-tokens-remaining".to_string()),
        Just("anthropic-ratelimit-output-tokens-reset".to_string()),
        "[a-z-]{1,20}",
    ]
}

fn headers() -> impl Strategy<Value = Headers> {
    let value = prop_oneof![1 => Just("0".to_string()), 3 => header_value()];
    prop::collection::vec((header_name(), value), 0..8).prop_map(Headers)
}

/// Error bodies: each API's real shapes with hostile fields, and arbitrary text.
fn body() -> impl Strategy<Value = String> {
    let text = "\\PC{0,60}";
    prop_oneof![
        (header_value(), text).prop_map(|(delay, msg)| {
            serde_json::json!({"error": {"code": 429, "message": msg, "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]}})
            .to_string()
        }),
        (text, any::<bool>()).prop_map(|(q, day)| {
            let quota = if day { format!("{q}PerDay") } else { q };
            serde_json::json!({"error": {"code": 429, "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": quota}]}]}})
            .to_string()
        }),
        (text, prop_oneof![Just("insufficient_quota"), Just("rate_limit_exceeded"), Just("")])
            .prop_map(|(msg, code)| {
                serde_json::json!({"error": {"message": msg, "type": code, "code": code}}).to_string()
            }),
        Just(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000))),
        Just("<html><head><title>502 Bad Gateway</title></head></html>".to_string()),
        "\\PC{0,300}",
        "[{}\\[\\]\":,a-z0-9 ]{0,200}",
    ]
}

fn api() -> impl Strategy<Value = Api> {
    prop_oneof![Just(Api::OpenAi), Just(Api::Anthropic), Just(Api::Gemini)]
}

fn capped(d: Option<Duration>) -> Result<(), TestCaseError> {
    if let Some(d) = d {
        prop_assert!(d <= MAX_HINT, "{d:?} above the cap {MAX_HINT:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// Every header parser on any value: no panic, no overflow, no wait above MAX_HINT.
    #[test]
    fn rate_limit_header_parsers_never_panic_and_stay_capped(v in header_value(), now in now()) {
        capped(retry_after(&v, now))?;
        capped(go_duration(&v))?;
        capped(proto_duration(&v))?;
        let _ = http_date(&v);
        let _ = rfc3339(&v);
        if v.trim_start().starts_with('-') {
            prop_assert_eq!(go_duration(&v), None);
            if v.trim().parse::<f64>().is_ok_and(|f| f < 0.0) {
                prop_assert_eq!(retry_after(&v, now), None, "a negative delay is not a wait");
            }
        }
    }

    /// A whole failed response — any status, headers and body, in each API's format — is
    /// classified without a panic, every wait it asks for is within MAX_HINT, and its message
    /// is one bounded line.
    #[test]
    fn any_failed_response_classifies_to_a_capped_wait_and_one_line(
        api in api(),
        status in prop_oneof![3 => Just(429u16), 1 => 100u16..600],
        h in headers(),
        body in body(),
        now in now(),
    ) {
        capped(exhausted_for(&h, now))?;
        match classify(api, status, &h, &body, now) {
            ProviderError::RateLimited { retry_after } => capped(retry_after)?,
            ProviderError::QuotaExhausted { for_ } => capped(for_)?,
            ProviderError::InvalidKey { status: s } => prop_assert_eq!(s, status),
            ProviderError::Transient(m) | ProviderError::Fatal(m) => {
                prop_assert!(!m.contains('\n'), "{}", m);
                prop_assert!(m.chars().count() <= 320, "{}", m);
            }
        }
    }
}

// ---- --partition count:M/N and hash:M/N ---------------------------------------------------

proptest! {
    // SHA-256 is slow unoptimised: fewer, smaller cases keep this under a second.
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// For any set of IDs in any order, any N and either scheme, the N shards are disjoint and
    /// together hold every ID; `count` shards differ in size by at most one.
    #[test]
    fn partition_shards_are_disjoint_and_complete(
        set in prop::collection::hash_set("[A-Za-z0-9_-]{1,64}", 0..48),
        n in 1u32..=16,
        scheme in prop_oneof![Just("count"), Just("hash")],
        seed in any::<u64>(),
    ) {
        // Each job may list the items in its own order; the shards must agree anyway.
        let ids: Vec<&str> = set.iter().map(String::as_str).collect();
        let shards: Vec<HashSet<&str>> = (1..=n)
            .map(|m| {
                let p = Partition::parse(&format!("{scheme}:{m}/{n}")).expect("valid spec");
                let mut mine = rotated(&ids, seed.wrapping_add(u64::from(m)));
                p.retain(&mut mine, |id| id);
                mine.into_iter().collect()
            })
            .collect();
        let total: usize = shards.iter().map(HashSet::len).sum();
        prop_assert_eq!(total, ids.len(), "an ID is in two shards or in none");
        let union: HashSet<&str> = shards.iter().flatten().copied().collect();
        prop_assert_eq!(union.len(), ids.len());
        if scheme == "count" {
            let sizes: Vec<usize> = shards.iter().map(HashSet::len).collect();
            let (min, max) = (sizes.iter().min(), sizes.iter().max());
            prop_assert!(max.zip(min).is_some_and(|(a, b)| a - b <= 1), "{:?}", sizes);
        }
        for id in &ids {
            prop_assert!((1..=n).contains(&shard_of(id, n)));
        }
    }

}

/// `ids` reversed or rotated, by `seed`.
fn rotated<'a>(ids: &[&'a str], seed: u64) -> Vec<&'a str> {
    let mut v = ids.to_vec();
    if !v.is_empty() {
        let len = v.len();
        v.rotate_left((seed % len as u64) as usize);
    }
    if seed % 2 == 1 {
        v.reverse();
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// Any `--partition` text parses or is refused with a one-line message; never a panic.
    #[test]
    fn partition_specs_never_panic(spec in prop_oneof![
        "\\PC{0,30}",
        ("(count|hash)", "\\PC{0,6}", "\\PC{0,6}").prop_map(|(s, m, n)| format!("{s}:{m}/{n}")),
        ("(count|hash)", any::<i64>(), any::<i64>()).prop_map(|(s, m, n)| format!("{s}:{m}/{n}")),
    ]) {
        match Partition::parse(&spec) {
            Ok(p) => {
                prop_assert!(p.index >= 1 && p.index <= p.count);
                prop_assert!(spec.starts_with(&format!("{}:", p.scheme.name())), "{}", spec);
            }
            Err(e) => {
                let e = e.to_string();
                prop_assert!(!e.contains(['\n', '\r']), "{}", e);
                prop_assert!(e.contains(":M/N") || e.contains("1 ≤ M ≤ N") || e.contains("whole number"), "{}", e);
            }
        }
    }

    /// `count:M/N` and `hash:M/N` with numbers are accepted exactly when 1 ≤ M ≤ N.
    #[test]
    fn partition_accepts_exactly_the_valid_ranges(
        scheme in prop_oneof![Just("count"), Just("hash")],
        m in -3i64..40,
        n in -3i64..40,
    ) {
        let ok = Partition::parse(&format!("{scheme}:{m}/{n}"));
        prop_assert_eq!(ok.is_ok(), 1 <= m && m <= n, "{}:{}/{}: {:?}", scheme, m, n, ok);
    }
}
