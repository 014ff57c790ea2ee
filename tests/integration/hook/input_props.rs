//! Property tests of the pre-push hook's stdin parser: any bytes never panic, valid lines are
//! understood as git meant them, one garbage line refuses the whole input.

use parwf::discover::push::{read_input, InputError, RefUpdate, MAX_LINE_BYTES};
use proptest::prelude::*;

const CASES: u32 = 256;

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
fn line_error(r: Result<Vec<RefUpdate>, InputError>) -> String {
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
