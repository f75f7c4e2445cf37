//! Property tests over every parser of user input in the domain (issue 20): IDs, phones,
//! names, dates, numbers, codes, the petition and step forms, field reports, the sync
//! record decoder, roster sheets, query strings and attachments. Each is fed arbitrary
//! Unicode, full-width forms, control characters and very long strings, and must never
//! panic: what it refuses, it refuses with a `FieldError`/`Problem` naming a real field.
//!
//! The case counts are bounded so the whole file runs in a few seconds in a debug build
//! (`./x test`); `PROPTEST_CASES` does not raise them. Failures are not persisted into
//! the source tree: a failing case is printed, shrunk, for a unit test.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Number, Value};

use domain::attachment::{self, MediaType};
use domain::auth::{check_new_password, clean_username};
use domain::field::{
    self, ACCURACY_MAX_M, InboxFilter, InboxStep, KindRow, MAX_PHOTOS, NOTE_MAX, ReportForm, Week,
    WeeklyForm, check_kinds, check_note, check_report, check_time, check_weekly, default_kinds,
    kinds_from_rows,
};
use domain::handling::{MAX_EXTENSION_DAYS, StepForm, StepInput, check_step};
use domain::intake::{
    FORM_FIELDS, IntakeSource, NAME_MAX, PetitionForm, check_field, check_form, check_received_on,
};
use domain::office::OfficeInfo;
use domain::petition::{
    Channel, MAX_REPRESENTATIVES, PetitionKind, QUERY_PASSWORD_ALPHABET, SUBJECT_MAX, Step, TEXT_MAX,
    normalize_query_password, normalize_tracking_code, tracking_code,
};
use domain::registry::RegistryFilter;
use domain::resident_id::{check_char, clean_resident_id};
use domain::roster::{RosterProblem, Sheet};
use domain::sync::{PushBatch, PushRecord, RecordOutcome, RecordType, Rejection, SupplementForm, clean_uuid};
use domain::validation::{clean_name, clean_phone, half_width};
use domain::{FieldError, Problem};

// ---------------------------------------------------------------------------------------
// Configuration

/// `cases` cases, no regression files written next to the sources.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Strategies: text as people (and attackers) type it

/// One character: ASCII digits and full-width forms often (what Chinese phone keyboards
/// type), and everything else too: controls, C1 controls, zero-width and combining marks,
/// case mappings that change length, CJK, astral planes.
fn messy_char() -> BoxedStrategy<char> {
    prop_oneof![
        4 => proptest::char::range('0', '9'),
        3 => proptest::char::range('\u{FF10}', '\u{FF5A}'),
        1 => proptest::char::range('\u{FF01}', '\u{FF5E}'),
        1 => Just('\u{3000}'),
        2 => proptest::char::range(' ', '~'),
        1 => select(vec!['x', 'X', 'ｘ', 'Ｘ', '-', '－', '—', '–', '_', ' ', '\t', '\n', '\r', 'W', 'w']),
        1 => proptest::char::range('\0', '\u{1F}'),
        1 => proptest::char::range('\u{7F}', '\u{9F}'),
        1 => select(vec![
                '\u{200B}', '\u{200D}', '\u{FEFF}', '\u{0301}', '\u{2028}', '\u{00A0}', '\u{FFFD}',
                '\u{1F600}', '\u{10FFFF}', 'é', 'İ', 'ß', 'ﬀ', 'Ⅻ', '١', '߀', '𝟘',
            ]),
        2 => proptest::char::range('\u{4E00}', '\u{9FFF}'),
        2 => any::<char>(),
    ]
    .boxed()
}

fn short_text(max: usize) -> BoxedStrategy<String> {
    vec(messy_char(), 0..=max).prop_map(String::from_iter).boxed()
}

/// A long string (up to ten thousand characters), cheap to build: a piece repeated.
fn long_text() -> BoxedStrategy<String> {
    (short_text(6), short_text(12), 50_usize..=800, short_text(6))
        .prop_map(|(head, unit, n, tail)| format!("{head}{}{tail}", unit.repeat(n)))
        .boxed()
}

fn text() -> BoxedStrategy<String> {
    prop_oneof![8 => short_text(24), 1 => long_text()].boxed()
}

fn one_of(words: &'static [&'static str]) -> BoxedStrategy<String> {
    select(words).prop_map(str::to_owned).boxed()
}

/// The full-width rendering of ASCII, as a Chinese keyboard types it.
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' ' => '\u{3000}',
            '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).unwrap(),
            c => c,
        })
        .collect()
}

/// A plausible value as typed: plain, full-width, padded, or in another case.
fn typed(value: BoxedStrategy<String>) -> BoxedStrategy<String> {
    (value, 0..5_u8)
        .prop_map(|(v, how)| match how {
            0 => full_width(&v),
            1 => format!("  {v}\u{3000}"),
            2 => v.to_uppercase(),
            _ => v,
        })
        .boxed()
}

/// A field: mostly something plausible (so the checks go deep), else anything.
fn field_of(plausible: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![3 => typed(plausible), 2 => text(), 1 => Just(String::new())].boxed()
}

fn digits(n: usize) -> BoxedStrategy<String> {
    vec(proptest::char::range('0', '9'), n)
        .prop_map(String::from_iter)
        .boxed()
}

fn today() -> BoxedStrategy<NaiveDate> {
    (-20_000_i64..20_000)
        .prop_map(|d| NaiveDate::from_ymd_opt(2026, 11, 23).unwrap() + Duration::days(d))
        .boxed()
}

fn now() -> BoxedStrategy<DateTime<Utc>> {
    (-400_000_000_i64..400_000_000)
        .prop_map(|s| Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap() + Duration::seconds(s))
        .boxed()
}

/// A date near `around` written as people write it, or something date-like that is not.
fn date_text(around: NaiveDate) -> BoxedStrategy<String> {
    prop_oneof![
        3 => (-30_i64..400).prop_map(move |back| (around - Duration::days(back)).format("%Y-%m-%d").to_string()),
        1 => (0_i32..10_000, 0_u32..14, 0_u32..33).prop_map(|(y, m, d)| format!("{y}-{m}-{d}")),
        1 => one_of(&["2026-02-29", "2024-02-29", "+262143-12-31", "-0001-01-01", "2026/11/23", "20261123", "2026-11-23T00:00"]),
    ]
    .boxed()
}

/// A resident ID that passes: a real birth date from 1900 on and the right check char.
fn valid_resident_id() -> BoxedStrategy<String> {
    (digits(6), 0_i64..73_000, digits(3))
        .prop_map(|(region, day, seq)| {
            let born = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + Duration::days(day);
            let first17 = format!("{region}{}{seq}", born.format("%Y%m%d"));
            let check = check_char(&first17).unwrap();
            format!("{first17}{check}")
        })
        .boxed()
}

/// Something shaped like a resident ID: about 18 characters of digits (either width),
/// X, spaces, and now and then anything at all.
fn resident_id_like() -> BoxedStrategy<String> {
    let c = prop_oneof![
        6 => proptest::char::range('0', '9'),
        3 => proptest::char::range('\u{FF10}', '\u{FF19}'),
        1 => select(vec!['X', 'x', 'Ｘ', 'ｘ', ' ', '\u{3000}']),
        1 => messy_char(),
    ];
    vec(c, 15..=20).prop_map(String::from_iter).boxed()
}

fn resident_id_input() -> BoxedStrategy<String> {
    prop_oneof![
        2 => text(),
        3 => resident_id_like(),
        2 => typed(valid_resident_id()),
        // A valid ID with one character replaced by anything.
        2 => (valid_resident_id(), any::<Index>(), messy_char()).prop_map(|(id, at, c)| {
            let mut chars: Vec<char> = id.chars().collect();
            let i = at.index(chars.len());
            chars[i] = c;
            chars.into_iter().collect()
        }),
    ]
    .boxed()
}

fn phone_like() -> BoxedStrategy<String> {
    let c = prop_oneof![
        8 => proptest::char::range('0', '9'),
        3 => proptest::char::range('\u{FF10}', '\u{FF19}'),
        1 => select(vec!['-', '－', ' ', '\u{3000}', '+']),
        1 => messy_char(),
    ];
    prop_oneof![
        2 => vec(c, 0..16).prop_map(String::from_iter),
        1 => typed(digits(10).prop_map(|d| format!("1{d}")).boxed()),
        1 => typed((digits(3), digits(7)).prop_map(|(a, b)| format!("0{a}-{b}")).boxed()),
        1 => text(),
    ]
    .boxed()
}

fn uuid() -> BoxedStrategy<String> {
    vec(select(b"0123456789abcdef".to_vec()), 32)
        .prop_map(|hex| {
            let hex = String::from_utf8(hex).unwrap();
            format!(
                "{}-{}-{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            )
        })
        .boxed()
}

fn uuid_like() -> BoxedStrategy<String> {
    prop_oneof![
        4 => uuid(),
        1 => uuid().prop_map(|u| format!(" {} ", u.to_uppercase())),
        1 => uuid().prop_map(|u| full_width(&u)),
        // One character replaced: a hyphen moved, a non-hex letter, a multi-byte char.
        2 => (uuid(), any::<Index>(), messy_char()).prop_map(|(u, at, c)| {
            let mut chars: Vec<char> = u.chars().collect();
            let i = at.index(chars.len());
            chars[i] = c;
            chars.into_iter().collect()
        }),
        1 => text(),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------
// Shared checks

/// Whether a string is what `clean_text` keeps: trimmed, present, short enough, no
/// control characters but line breaks and tabs.
fn is_clean_text(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.trim() == s
        && s.chars().count() <= max
        && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

fn is_clean_name(s: &str, max: usize) -> bool {
    !s.is_empty() && s.trim() == s && s.chars().count() <= max && !s.chars().any(char::is_control)
}

/// Every error names one of `fields`, in that order, each at most once.
fn errors_in_order(errors: &[FieldError], fields: &[&str]) -> Result<(), TestCaseError> {
    prop_assert!(!errors.is_empty(), "a refusal must say why");
    let mut last = None;
    for e in errors {
        let at = fields.iter().position(|f| *f == e.field);
        prop_assert!(at.is_some(), "unknown field {:?} in {:?}", e.field, errors);
        prop_assert!(at > last, "fields out of order or repeated: {:?}", errors);
        last = at;
    }
    Ok(())
}

fn errors_among(errors: &[FieldError], fields: &[&str]) -> Result<(), TestCaseError> {
    prop_assert!(!errors.is_empty(), "a refusal must say why");
    for e in errors {
        prop_assert!(
            fields.contains(&e.field.as_str()),
            "unknown field {:?} in {:?}",
            e.field,
            errors
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// IDs, phones, names, codes

fn check_resident_id_answer(raw: &str) -> Result<(), TestCaseError> {
    let typed: String = half_width(raw)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match clean_resident_id("resident_id", raw) {
        Ok(None) => prop_assert!(typed.is_empty()),
        Ok(Some(id)) => {
            prop_assert_eq!(&id, &typed);
            prop_assert_eq!(id.len(), 18);
            prop_assert!(id[..17].bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(check_char(&id[..17]), id.chars().last());
            let born = NaiveDate::parse_from_str(&id[6..14], "%Y%m%d");
            prop_assert!(born.is_ok_and(|d| d >= NaiveDate::from_ymd_opt(1900, 1, 1).unwrap()));
        }
        Err(e) => {
            prop_assert_eq!(e.field.as_str(), "resident_id");
            prop_assert!(
                matches!(
                    e.problem,
                    Problem::BadResidentIdLength | Problem::BadResidentIdDate | Problem::BadResidentIdCheck
                ),
                "{:?}",
                e.problem
            );
            prop_assert!(!typed.is_empty());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn resident_ids_are_checked_never_cut(raw in resident_id_input()) {
        check_resident_id_answer(&raw)?;
        // And as typed on the public form, through the whole form check.
        check_resident_id_answer(&format!("\u{3000}{raw} "))?;
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn a_valid_resident_id_is_read_in_any_width(
        id in valid_resident_id(),
        spaces in vec((any::<Index>(), select(vec![" ", "\u{3000}", "\t"])), 0..4),
    ) {
        prop_assert_eq!(clean_resident_id("id", &id).unwrap(), Some(id.clone()));
        let wide = full_width(&id);
        prop_assert_eq!(clean_resident_id("id", &wide).unwrap(), Some(id.clone()));
        let lower = wide.replace('Ｘ', "ｘ");
        prop_assert_eq!(clean_resident_id("id", &lower).unwrap(), Some(id.clone()));
        let mut spaced: Vec<String> = wide.chars().map(String::from).collect();
        for (at, space) in spaces {
            spaced.insert(at.index(spaced.len() + 1), space.to_owned());
        }
        prop_assert_eq!(clean_resident_id("id", &spaced.concat()).unwrap(), Some(id.clone()));
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn every_single_digit_typo_in_a_resident_id_is_caught(
        id in valid_resident_id(),
        at in 0_usize..18,
        digit in proptest::char::range('0', '9'),
    ) {
        let mut chars: Vec<char> = id.chars().collect();
        prop_assume!(chars[at] != digit);
        chars[at] = digit;
        let typo: String = chars.into_iter().collect();
        let e = clean_resident_id("resident_id", &typo).unwrap_err();
        prop_assert!(matches!(e.problem, Problem::BadResidentIdDate | Problem::BadResidentIdCheck));
        // In full width too.
        let e = clean_resident_id("resident_id", &full_width(&typo)).unwrap_err();
        prop_assert!(matches!(e.problem, Problem::BadResidentIdDate | Problem::BadResidentIdCheck));
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn check_char_never_panics(s in prop_oneof![resident_id_like(), text()]) {
        if let Some(c) = check_char(&s) {
            prop_assert!(c.is_ascii_digit() || c == 'X');
            prop_assert_eq!(s.chars().count(), 17);
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn phones_are_mobiles_or_landlines_in_any_width(raw in phone_like()) {
        let typed: String = half_width(&raw).chars().filter(|c| !c.is_whitespace()).collect();
        match clean_phone("phone", &raw) {
            Ok(None) => prop_assert!(typed.chars().all(|c| matches!(c, '-' | '.' | '(' | ')'))),
            Ok(Some(p)) => {
                let digits: String = p.chars().filter(|c| *c != '-').collect();
                prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                let mobile = !p.contains('-') && digits.len() == 11 && digits.starts_with('1');
                let landline = p.matches('-').count() == 1
                    && digits.starts_with('0')
                    && (10..=12).contains(&digits.len());
                prop_assert!(mobile || landline, "{}", p);
                // Only separators and the country code are dropped, never a digit.
                let typed_digits: String = typed.chars().filter(char::is_ascii_digit).collect();
                prop_assert!(typed_digits.ends_with(digits.trim_start_matches('0')), "{} {}", raw, p);
            }
            Err(e) => {
                prop_assert_eq!(e, FieldError::new("phone", Problem::BadPhone));
                prop_assert!(!typed.is_empty());
            }
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn a_mobile_is_the_same_in_full_width(rest in digits(10)) {
        let mobile = format!("1{rest}");
        prop_assert_eq!(clean_phone("phone", &full_width(&mobile)).unwrap(), Some(mobile.clone()));
        let spaced = format!("{}　{}　{}", &mobile[..3], &mobile[3..7], &mobile[7..]);
        prop_assert_eq!(clean_phone("phone", &full_width(&spaced)).unwrap(), Some(mobile));
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn names_are_trimmed_short_and_free_of_controls(raw in text(), max in 0_usize..80) {
        match clean_name("name", &raw, max) {
            Ok(name) => {
                prop_assert_eq!(name.as_str(), raw.trim());
                prop_assert!(is_clean_name(&name, max));
            }
            Err(e) => {
                prop_assert_eq!(e.field.as_str(), "name");
                let trimmed = raw.trim();
                let expected = if trimmed.is_empty() {
                    Problem::Required
                } else if trimmed.chars().count() > max {
                    Problem::TooLong
                } else {
                    Problem::ControlCharacters
                };
                prop_assert_eq!(e.problem, expected);
            }
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn half_width_folds_only_full_width_forms(raw in text()) {
        let folded = half_width(&raw);
        prop_assert_eq!(folded.chars().count(), raw.chars().count());
        prop_assert_eq!(half_width(&folded), folded.clone());
        for (a, b) in raw.chars().zip(folded.chars()) {
            match a {
                '\u{3000}' => prop_assert_eq!(b, ' '),
                '\u{FF01}'..='\u{FF5E}' => {
                    prop_assert!(b.is_ascii_graphic());
                    prop_assert_eq!(full_width(&b.to_string()), a.to_string());
                }
                _ => prop_assert_eq!(a, b),
            }
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn tracking_codes_are_read_as_typed(raw in prop_oneof![
        2 => text(),
        // A real code with one character replaced, inserted or dropped.
        2 => (today(), 0_u32..100_000, any::<Index>(), messy_char(), 0_u8..3).prop_map(|(day, n, at, c, how)| {
            let mut chars: Vec<char> = tracking_code(day, n).chars().collect();
            let i = at.index(chars.len());
            match how {
                0 => chars[i] = c,
                1 => chars.insert(i, c),
                _ => {
                    chars.remove(i);
                }
            }
            chars.into_iter().collect::<String>()
        }),
        2 => vec(prop_oneof![
            one_of(&["XF", "xf", "ＸＦ", "-", "－", "—", "–", "_", " ", "\u{3000}", "20261123", "0042", "1", "x"]),
            digits(4),
            short_text(3),
        ], 0..8).prop_map(|parts| parts.concat()),
    ]) {
        if let Some(code) = normalize_tracking_code(&raw) {
            prop_assert!(code.is_ascii());
            prop_assert!(code.starts_with("XF-"));
            let parts: Vec<&str> = code.split('-').collect();
            prop_assert_eq!(parts.len(), 3);
            prop_assert!(NaiveDate::parse_from_str(parts[1], "%Y%m%d").is_ok());
            prop_assert!((4..=9).contains(&parts[2].len()));
            prop_assert_eq!(normalize_tracking_code(&code), Some(code.clone()));
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn a_real_tracking_code_survives_any_way_of_typing_it(
        day in today(),
        number in 0_u32..100_000,
        how in 0_u8..4,
    ) {
        let code = tracking_code(day, number);
        let typed = match how {
            0 => code.to_lowercase(),
            1 => full_width(&code),
            2 => format!(" {} ", code.replace('-', " — ")),
            _ => code.replace('-', "_"),
        };
        prop_assert_eq!(normalize_tracking_code(&typed), Some(code));
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn query_passwords_are_normalized_once_and_for_all(raw in prop_oneof![
        text(),
        vec(select(QUERY_PASSWORD_ALPHABET), 10).prop_map(|b| String::from_utf8(b).unwrap()),
    ], how in 0_u8..3) {
        let typed = match how {
            0 => raw.to_lowercase(),
            1 => full_width(&raw),
            _ => raw.clone(),
        };
        let p = normalize_query_password(&typed);
        prop_assert!(!p.chars().any(|c| c.is_whitespace() || c == '-' || c.is_ascii_lowercase()));
        prop_assert_eq!(normalize_query_password(&p), p.clone());
        if raw.bytes().all(|b| QUERY_PASSWORD_ALPHABET.contains(&b)) {
            prop_assert_eq!(p, raw);
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn uuids_are_lower_case_and_exact(raw in uuid_like()) {
        match clean_uuid("client_id", &raw) {
            Ok(id) => {
                prop_assert_eq!(id.len(), 36);
                let shape = id.bytes().enumerate().all(|(i, b)| match i {
                    8 | 13 | 18 | 23 => b == b'-',
                    _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
                });
                prop_assert!(shape, "{}", id);
                prop_assert_eq!(clean_uuid("client_id", &id), Ok(id.clone()));
                prop_assert_eq!(id, raw.trim().to_ascii_lowercase());
            }
            Err(e) => prop_assert_eq!(e, FieldError::new("client_id", Problem::BadUuid)),
        }
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn usernames_and_passwords_never_panic(raw in field_of(one_of(&["zhang.san", "li_4", "ab", "Admin", "İstanbul"])), password in text()) {
        match clean_username(&raw) {
            Ok(u) => {
                prop_assert!((3..=32).contains(&u.len()) && u.is_ascii());
                prop_assert_eq!(clean_username(&u), Ok(u.clone()));
                if check_new_password(&password, &u).is_ok() {
                    prop_assert!(!password.to_lowercase().contains(&u));
                }
            }
            Err(e) => prop_assert_eq!(e.field.as_str(), "username"),
        }
        match check_new_password(&password, &raw) {
            Ok(()) => prop_assert!((12..=128).contains(&password.chars().count())),
            Err(e) => {
                prop_assert_eq!(e.field.as_str(), "password");
                prop_assert!(matches!(e.problem, Problem::TooShort | Problem::TooLong | Problem::CommonPassword));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The petition form, step forms and dates

/// How much of a valid value is replaced by anything: nothing (then it must pass), a
/// field or two (then the refusal must name them), or everything.
fn mask(n: usize) -> BoxedStrategy<Vec<bool>> {
    select(vec![0.0, 0.04, 0.1, 0.3, 1.0])
        .prop_flat_map(move |p| vec(proptest::bool::weighted(p), n))
        .boxed()
}

/// Each field from `valid` unless the mask says to take it from `messy`.
fn mixed<T>(valid: Vec<T>, messy: Vec<T>, mask: &[bool]) -> Vec<T> {
    valid
        .into_iter()
        .zip(messy)
        .zip(mask)
        .map(|((v, m), damaged)| if *damaged { m } else { v })
        .collect()
}

/// A petition form that passes for every source, as people type it, in FORM_FIELDS order.
fn valid_petition_fields(today: NaiveDate) -> BoxedStrategy<Vec<String>> {
    let names = || one_of(&["张秀英", "王五", "Li Lei", "欧阳·娜娜"]);
    (
        (
            select(Channel::ALL).prop_map(|c| c.as_str().to_owned()),
            select(PetitionKind::ALL).prop_map(|k| k.as_str().to_owned()),
            typed((1_i64..100_000).prop_map(|n| n.to_string()).boxed()),
            one_of(&["村道损坏", "  路灯不亮 ", "排水沟\t堵塞"]),
            one_of(&[
                "东湖村三组村道损坏，雨天无法通行。",
                "第一段\r\n第二段\t缩进",
                "<script>alert(1)</script>",
            ]),
            one_of(&["", "修路", "  "]),
            one_of(&["", "属实"]),
            names(),
            typed(valid_resident_id()),
            typed(
                prop_oneof![
                    digits(10).prop_map(|d| format!("1{d}")),
                    (digits(3), digits(7)).prop_map(|(a, b)| format!("0{a}-{b}")),
                ]
                .boxed(),
            ),
        ),
        (
            one_of(&["", "东湖村三组"]),
            typed(prop_oneof![Just(String::new()), (1_u32..10_000).prop_map(|n| n.to_string())].boxed()),
            typed(prop_oneof![Just(String::new()), (1_u32..10_000).prop_map(|n| n.to_string())].boxed()),
            vec(names(), 0..=MAX_REPRESENTATIVES).prop_map(|lines| lines.join("\n")),
            one_of(&["李四", ""]),
            one_of(&["某某公司", "东湖镇水利站"]),
            one_of(&["", "多次索要"]),
            (0_i64..=366, 0_u8..3).prop_map(move |(back, how)| {
                let day = (today - Duration::days(back)).format("%Y-%m-%d").to_string();
                match how {
                    0 => full_width(&day),
                    1 => format!(" {day} "),
                    _ => day,
                }
            }),
            Just("on".to_owned()),
            one_of(&["口头同意，有录音", "书面授权"]),
        ),
    )
        .prop_map(|(a, b)| {
            vec![
                a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7, a.8, a.9, b.0, b.1, b.2, b.3, b.4, b.5, b.6, b.7,
                b.8, b.9,
            ]
        })
        .boxed()
}

/// A petition form of anything, near misses included, in FORM_FIELDS order.
fn messy_petition_fields(today: NaiveDate) -> BoxedStrategy<Vec<String>> {
    let count = || {
        field_of(one_of(&[
            "1",
            "12",
            "9999",
            "10000",
            "0",
            "-3",
            "+4",
            "1e3",
            "99999999999",
        ]))
    };
    (
        (
            field_of(one_of(&["Visit", "online ", "letters", "agent"])),
            field_of(one_of(&["Suggestion", "report", "request_complaint"])),
            field_of(one_of(&[
                "-1",
                "0",
                "9223372036854775807",
                "9223372036854775808",
                "1.5",
                "12a",
            ])),
            prop_oneof![text(), Just("路".repeat(SUBJECT_MAX + 1))],
            prop_oneof![text(), Just("段".repeat(TEXT_MAX + 1))],
            text(),
            text(),
            field_of(select(vec!["王\u{7}五".to_owned(), "名".repeat(NAME_MAX + 1)]).boxed()),
            resident_id_input(),
            phone_like(),
        ),
        (
            text(),
            count(),
            count(),
            prop_oneof![
                vec(field_of(one_of(&["甲", "乙", "丙"])), 0..8).prop_map(|lines| lines.join("\n")),
                text(),
            ],
            text(),
            text(),
            text(),
            prop_oneof![2 => date_text(today), 1 => text()],
            field_of(one_of(&["ON", "true", "1"])),
            text(),
        ),
    )
        .prop_map(|(a, b)| {
            vec![
                a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7, a.8, a.9, b.0, b.1, b.2, b.3, b.4, b.5, b.6, b.7,
                b.8, b.9,
            ]
        })
        .boxed()
}

/// A petition form (valid, a little damaged, or anything), the day it is checked, and
/// whether it was left undamaged.
fn petition_form() -> BoxedStrategy<(PetitionForm, NaiveDate, bool)> {
    today()
        .prop_flat_map(|today| {
            (
                valid_petition_fields(today),
                messy_petition_fields(today),
                mask(20),
                Just(today),
            )
        })
        .prop_map(|(valid, messy, mask, today)| {
            let pristine = !mask.contains(&true);
            let mut f = mixed(valid, messy, &mask).into_iter();
            let mut next = || f.next().unwrap();
            let form = PetitionForm {
                channel: next(),
                kind: next(),
                village_id: next(),
                subject: next(),
                content: next(),
                request: next(),
                facts_reasons: next(),
                name: next(),
                resident_id: next(),
                phone: next(),
                address: next(),
                person_count: next(),
                batch_count: next(),
                representatives: next(),
                reported_name: next(),
                reported_unit: next(),
                reported_details: next(),
                received_on: next(),
                consent: next(),
                agent_consent: next(),
            };
            (form, today, pristine)
        })
        .boxed()
}

fn source() -> BoxedStrategy<IntakeSource> {
    select(vec![
        IntakeSource::Public,
        IntakeSource::Office,
        IntakeSource::Agent,
    ])
    .boxed()
}

const STEP_FIELDS: [&str; 14] = [
    "department_id",
    "forwarded_to",
    "reasons",
    "days",
    "approved_by",
    "request",
    "facts_reasons",
    "decision",
    "legal_basis",
    "outcome",
    "delivered_on",
    "rating",
    "comment",
    "note",
];

/// The fields a step may complain about (besides its note).
fn step_fields(step: Step) -> &'static [&'static str] {
    match step {
        Step::Forward => &["forwarded_to"],
        Step::Assign => &["department_id"],
        Step::Decline | Step::Return | Step::Withdraw => &["reasons"],
        Step::Extend => &["days", "reasons", "approved_by"],
        Step::RecordDecision | Step::DecideReview | Step::DecideReReview => {
            &["request", "facts_reasons", "decision", "legal_basis", "outcome"]
        }
        Step::Reply => &["delivered_on"],
        Step::Evaluate => &["rating", "comment"],
        _ => &[],
    }
}

/// A step form (valid for every step, a little damaged, or anything), the day, the day
/// the case was accepted, and whether the form was left undamaged.
fn step_form() -> BoxedStrategy<(StepForm, NaiveDate, Option<NaiveDate>, bool)> {
    (today(), proptest::option::of(0_i64..400))
        .prop_flat_map(|(today, accepted_back)| {
            let accepted_on = accepted_back.map(|back| today - Duration::days(back));
            let delivered_back = accepted_back.unwrap_or(399);
            let words = || one_of(&["需现场勘查", "王镇长", "《公路法》第四十三条", "水利站", " 第一段\n第二段 "]);
            let valid = (
                (
                    typed((1_i64..100_000).prop_map(|n| n.to_string()).boxed()),
                    words(),
                    words(),
                    typed((1..=MAX_EXTENSION_DAYS).prop_map(|d| d.to_string()).boxed()),
                    one_of(&["王镇长", "李书记"]),
                    words(),
                    words(),
                ),
                (
                    words(),
                    words(),
                    select(domain::petition::DecisionOutcome::ALL).prop_map(|o| format!(" {} ", o.as_str())),
                    (0..=delivered_back, 0_u8..3).prop_map(move |(back, how)| {
                        let day = (today - Duration::days(back)).format("%Y-%m-%d").to_string();
                        match how {
                            0 => full_width(&day),
                            1 => format!("\u{3000}{day}"),
                            _ => day,
                        }
                    }),
                    select(domain::petition::Rating::ALL).prop_map(|r| r.as_str().to_owned()),
                    one_of(&["", "满意"]),
                    one_of(&["", "内部备注"]),
                ),
            )
                .prop_map(|(a, b)| vec![a.0, a.1, a.2, a.3, a.4, a.5, a.6, b.0, b.1, b.2, b.3, b.4, b.5, b.6]);
            let messy = vec(
                prop_oneof![
                    4 => text(),
                    1 => one_of(&["0", "31", "-1", "+7", "9223372036854775808", "Supported", "satisfied ", "2026-02-30"]),
                    1 => Just("段".repeat(TEXT_MAX + 1)),
                    1 => date_text(today),
                ],
                14,
            );
            (valid, messy, mask(14), Just((today, accepted_on)))
        })
        .prop_map(|(valid, messy, mask, (today, accepted_on))| {
            let pristine = !mask.contains(&true);
            let mut f = mixed(valid, messy, &mask).into_iter();
            let mut next = || f.next().unwrap();
            let form = StepForm {
                department_id: next(),
                forwarded_to: next(),
                reasons: next(),
                days: next(),
                approved_by: next(),
                request: next(),
                facts_reasons: next(),
                decision: next(),
                legal_basis: next(),
                outcome: next(),
                delivered_on: next(),
                rating: next(),
                comment: next(),
                note: next(),
            };
            (form, today, accepted_on, pristine)
        })
        .boxed()
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn petition_forms_refuse_with_the_fields_of_the_form(
        (form, today, pristine) in petition_form(),
        source in source(),
    ) {
        let checked = check_form(&form, source, today);
        prop_assert!(!pristine || checked.is_ok(), "a valid form was refused: {:?}", checked);
        match checked {
            Ok(p) => {
                match source {
                    IntakeSource::Public => prop_assert_eq!(p.channel, Channel::Online),
                    IntakeSource::Agent => prop_assert_eq!(p.channel, Channel::Agent),
                    IntakeSource::Office => prop_assert_eq!(Channel::parse(form.channel.trim()), Some(p.channel)),
                }
                prop_assert!(is_clean_text(&p.subject, SUBJECT_MAX));
                prop_assert!(is_clean_text(&p.content, TEXT_MAX));
                prop_assert!(is_clean_name(&p.petitioner.name, NAME_MAX));
                if source != IntakeSource::Office {
                    prop_assert!(p.petitioner.resident_id.is_some() && p.petitioner.phone.is_some());
                    prop_assert!(p.village_id.is_some());
                    prop_assert!(p.received_on.is_none());
                }
                if let Some(id) = &p.petitioner.resident_id {
                    prop_assert_eq!(clean_resident_id("x", id), Ok(Some(id.clone())));
                }
                prop_assert_eq!(p.visit.is_some(), p.channel == Channel::Visit);
                if let Some(v) = &p.visit {
                    prop_assert!((1..=9999).contains(&v.person_count) && (1..=9999).contains(&v.batch_count));
                    prop_assert!(v.representatives.len() <= MAX_REPRESENTATIVES);
                    prop_assert!(v.representatives.iter().all(|r| is_clean_name(r, NAME_MAX)));
                }
                prop_assert_eq!(p.reported.is_some(), p.kind == PetitionKind::ReportAccusation);
                if let Some(day) = p.received_on {
                    prop_assert!(day <= today && (today - day).num_days() <= 366);
                }
                prop_assert_eq!(p.agent_consent.is_some(), source == IntakeSource::Agent);
            }
            Err(errors) => {
                errors_in_order(&errors, &FORM_FIELDS)?;
                for e in &errors {
                    match e.field.as_str() {
                        "channel" => prop_assert_eq!(source, IntakeSource::Office),
                        "received_on" => prop_assert_eq!(e.problem, Problem::BadDate),
                        "consent" => prop_assert_ne!(source, IntakeSource::Office),
                        "agent_consent" => prop_assert_eq!(source, IntakeSource::Agent),
                        _ => {}
                    }
                }
                // The check as the person leaves a field says the same.
                let first = &errors[0];
                prop_assert_eq!(check_field(&form, source, &first.field, today), Some(first.problem));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn dates_of_receipt_are_within_the_year_before_today(
        today in today(),
        back in -3_i64..400,
        how in 0_u8..3,
        other in text(),
    ) {
        let day = today - Duration::days(back);
        let written = day.format("%Y-%m-%d").to_string();
        let typed = match how {
            0 => full_width(&written),
            1 => format!(" {written}\u{3000}"),
            _ => written,
        };
        match check_received_on(&typed, today) {
            Ok(d) => {
                prop_assert_eq!(d, day);
                prop_assert!((0..=366).contains(&back));
            }
            Err(e) => {
                prop_assert_eq!(e, FieldError::new("received_on", Problem::BadDate));
                prop_assert!(!(0..=366).contains(&back));
            }
        }
        match check_received_on(&other, today) {
            Ok(d) => prop_assert!(d <= today && (today - d).num_days() <= 366),
            Err(e) => prop_assert_eq!(e, FieldError::new("received_on", Problem::BadDate)),
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn every_step_refuses_with_its_own_fields(
        step in select(Step::ALL),
        (form, today, accepted_on, pristine) in step_form(),
    ) {
        let checked = check_step(step, &form, today, accepted_on);
        prop_assert!(!pristine || checked.is_ok(), "a valid {:?} was refused: {:?}", step, checked);
        match checked {
            Ok((input, note)) => {
                if let Some(note) = &note {
                    prop_assert!(is_clean_text(note, TEXT_MAX));
                }
                match input {
                    StepInput::Plain => prop_assert!(step_fields(step).is_empty()),
                    StepInput::Forward { to } => prop_assert!(step == Step::Forward && is_clean_text(&to, NAME_MAX * 2)),
                    StepInput::Assign { .. } => prop_assert_eq!(step, Step::Assign),
                    StepInput::Reasons { reasons } => {
                        prop_assert!(matches!(step, Step::Decline | Step::Return | Step::Withdraw));
                        prop_assert!(is_clean_text(&reasons, TEXT_MAX));
                    }
                    StepInput::Extend { days, reason, approved_by } => {
                        prop_assert_eq!(step, Step::Extend);
                        prop_assert!((1..=MAX_EXTENSION_DAYS).contains(&days));
                        prop_assert!(is_clean_text(&reason, TEXT_MAX) && is_clean_name(&approved_by, NAME_MAX));
                    }
                    StepInput::Decide(d) => {
                        prop_assert!(matches!(step, Step::RecordDecision | Step::DecideReview | Step::DecideReReview));
                        for part in [&d.request, &d.facts_reasons, &d.decision, &d.legal_basis] {
                            prop_assert!(is_clean_text(part, TEXT_MAX));
                        }
                    }
                    StepInput::Reply { delivered_on } => {
                        prop_assert_eq!(step, Step::Reply);
                        prop_assert!(delivered_on <= today);
                        prop_assert!(accepted_on.is_none_or(|a| a <= delivered_on));
                    }
                    StepInput::Evaluate { comment, .. } => {
                        prop_assert_eq!(step, Step::Evaluate);
                        prop_assert!(comment.is_none_or(|c| is_clean_text(&c, TEXT_MAX)));
                    }
                }
            }
            Err(errors) => {
                errors_among(&errors, &STEP_FIELDS)?;
                for e in &errors {
                    prop_assert!(
                        e.field == "note" || step_fields(step).contains(&e.field.as_str()),
                        "{:?} for {:?}",
                        e,
                        step
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn office_information_refuses_with_its_fields(
        valid in (
            one_of(&["东湖镇人民政府一楼", " 镇政府\n一楼 "]),
            one_of(&["0731-8888888"]),
            one_of(&["", "东湖镇邮政信箱 12 号"]),
            one_of(&["每周三上午\n每月 15 日领导接访"]),
            one_of(&["", "乘 3 路公交"]),
        ).prop_map(|p| vec![p.0, p.1, p.2, p.3, p.4]),
        messy in vec(prop_oneof![4 => text(), 1 => Just("字".repeat(1001))], 5),
        mask in mask(5),
    ) {
        let pristine = !mask.contains(&true);
        let parts = mixed(valid, messy, &mask);
        let info = OfficeInfo {
            address: parts[0].clone(),
            phone: parts[1].clone(),
            mailing_address: parts[2].clone(),
            reception: parts[3].clone(),
            notes: parts[4].clone(),
        };
        let checked = info.check();
        prop_assert!(!pristine || checked.is_ok(), "{:?}", checked);
        match checked {
            Ok(clean) => {
                prop_assert!(is_clean_text(&clean.address, 1000) && is_clean_text(&clean.reception, 1000));
                prop_assert_eq!(clean.check(), Ok(clean.clone()));
            }
            Err(errors) => errors_among(&errors, &["address", "phone", "mailing_address", "reception", "notes"])?,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Field reports, weekly reports and the sync record decoder

const REPORT_FIELDS: [&str; 15] = [
    "kind",
    "severity",
    "village_id",
    "grid_id",
    "place",
    "latitude",
    "longitude",
    "accuracy_m",
    "found_at",
    "parties",
    "person_count",
    "description",
    "action_taken",
    "needs_township",
    "photos",
];
const WEEKLY_FIELDS: [&str; 5] = ["village_id", "week", "zero", "items", "note"];

fn float() -> BoxedStrategy<f64> {
    prop_oneof![
        3 => -200.0_f64..200.0,
        1 => any::<f64>(),
        1 => select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 90.0, -180.0, 1e300, f64::MIN_POSITIVE]),
    ]
    .boxed()
}

/// A time near `now` in RFC 3339 with some offset, or something close to one.
fn time_text(now: DateTime<Utc>) -> BoxedStrategy<String> {
    prop_oneof![
        3 => (-400_i64 * 86_400..86_400, select(vec![8 * 3600, 0, -12 * 3600, 14 * 3600, 86_399])).prop_map(move |(s, off)| {
            let at = now + Duration::seconds(s);
            at.with_timezone(&chrono::FixedOffset::east_opt(off).unwrap()).to_rfc3339()
        }),
        1 => one_of(&[
            "0000-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "2026-02-30T00:00:00Z",
            "2026-11-23 09:30:00+08:00", "2026-11-23T09:30:00", "2026-11-23T25:00:00Z",
            "2026-11-23T09:30:00.123456789123+08:00", "2026-11-23t09:30:00z",
        ]),
        1 => text(),
    ]
    .boxed()
}

fn week_text(now: DateTime<Utc>) -> BoxedStrategy<String> {
    prop_oneof![
        3 => (-60_i64..4, any::<bool>()).prop_map(move |(weeks, lower)| {
            let w = Week::of(now + Duration::weeks(weeks)).to_string();
            if lower { w.replace('W', "w") } else { w }
        }),
        1 => (0_i32..11_000, 0_u32..60).prop_map(|(y, w)| format!("{y}-W{w:02}")),
        1 => one_of(&["2026-W53", "2020-W53", "2026W48", "2026-W4", "2026-W048", "-2026-W01", "2026-Ｗ48"]),
        1 => text(),
    ]
    .boxed()
}

/// A report that passes at `now`, as a phone sends it.
fn valid_report(now: DateTime<Utc>) -> BoxedStrategy<ReportForm> {
    let gps = prop_oneof![
        Just((None, None, None)),
        (
            -90.0_f64..=90.0,
            -180.0_f64..=180.0,
            proptest::option::of(0.0..=ACCURACY_MAX_M)
        )
            .prop_map(|(lat, lon, acc)| (Some(lat), Some(lon), acc)),
    ];
    let found_at =
        (-600_i64..365 * 86_400, select(vec![8 * 3600, 0, -5 * 3600])).prop_map(move |(back, off)| {
            (now - Duration::seconds(back))
                .with_timezone(&chrono::FixedOffset::east_opt(off).unwrap())
                .to_rfc3339()
        });
    let parties = prop_oneof![
        (
            one_of(&["张三与李四", "两户村民"]),
            proptest::option::of(1_i64..=99_999)
        ),
        (Just(String::new()), (1_i64..=99_999).prop_map(Some)),
    ];
    (
        (
            select(default_kinds()).prop_map(|k| k.code),
            select(domain::field::Severity::ALL).prop_map(|s| s.as_str().to_owned()),
            1_i64..100_000,
            proptest::option::of(1_i64..100_000),
            one_of(&["三组晒谷场", " 村口 "]),
            gps,
        ),
        (
            found_at,
            parties,
            one_of(&["宅基地边界纠纷", "河堤\n渗水"]),
            one_of(&["", "已现场调解"]),
            any::<bool>(),
            vec(uuid(), 0..=MAX_PHOTOS),
        ),
    )
        .prop_map(|(a, b)| ReportForm {
            kind: a.0,
            severity: a.1,
            village_id: Some(a.2),
            grid_id: a.3,
            place: a.4,
            latitude: a.5.0,
            longitude: a.5.1,
            accuracy_m: a.5.2,
            found_at: b.0,
            parties: b.1.0,
            person_count: b.1.1,
            description: b.2,
            action_taken: b.3,
            needs_township: b.4,
            photos: b.5,
        })
        .boxed()
}

/// A report of anything, near misses included.
fn messy_report(now: DateTime<Utc>) -> BoxedStrategy<ReportForm> {
    let ids = proptest::option::of(prop_oneof![1_i64..100, any::<i64>()]);
    (
        (
            field_of(one_of(&["land", "wages_owed", "safety", "other", "LAND"])),
            field_of(one_of(&["general", "serious", "urgent"])),
            ids.clone(),
            ids,
            prop_oneof![text(), Just("地".repeat(field::PLACE_MAX + 1))],
            proptest::option::of(float()),
            proptest::option::of(float()),
            proptest::option::of(float()),
        ),
        (
            prop_oneof![3 => time_text(now), 1 => Just(String::new())],
            text(),
            proptest::option::of(prop_oneof![-1_i64..200, Just(100_000), any::<i64>()]),
            text(),
            text(),
            any::<bool>(),
            prop_oneof![
                6 => vec(uuid_like(), 0..8),
                1 => uuid().prop_map(|u| vec![u; 2]),
            ],
        ),
    )
        .prop_map(|(a, b)| ReportForm {
            kind: a.0,
            severity: a.1,
            village_id: a.2,
            grid_id: a.3,
            place: a.4,
            latitude: a.5,
            longitude: a.6,
            accuracy_m: a.7,
            found_at: b.0,
            parties: b.1,
            person_count: b.2,
            description: b.3,
            action_taken: b.4,
            needs_township: b.5,
            photos: b.6,
        })
        .boxed()
}

/// A report (valid, a little damaged, or anything), the server's time, and whether the
/// report was left undamaged.
fn report_form() -> BoxedStrategy<(ReportForm, DateTime<Utc>, bool)> {
    now()
        .prop_flat_map(|now| report_form_at(now).prop_map(move |(f, pristine)| (f, now, pristine)))
        .boxed()
}

fn report_form_at(now: DateTime<Utc>) -> BoxedStrategy<(ReportForm, bool)> {
    (valid_report(now), messy_report(now), mask(15))
        .prop_map(|(valid, messy, mask)| {
            let pick = |i: usize| mask[i];
            let mut f = valid;
            let m = messy;
            // Field by field, in REPORT_FIELDS order.
            if pick(0) {
                f.kind = m.kind
            }
            if pick(1) {
                f.severity = m.severity
            }
            if pick(2) {
                f.village_id = m.village_id
            }
            if pick(3) {
                f.grid_id = m.grid_id
            }
            if pick(4) {
                f.place = m.place
            }
            if pick(5) {
                f.latitude = m.latitude
            }
            if pick(6) {
                f.longitude = m.longitude
            }
            if pick(7) {
                f.accuracy_m = m.accuracy_m
            }
            if pick(8) {
                f.found_at = m.found_at
            }
            if pick(9) {
                f.parties = m.parties
            }
            if pick(10) {
                f.person_count = m.person_count
            }
            if pick(11) {
                f.description = m.description
            }
            if pick(12) {
                f.action_taken = m.action_taken
            }
            if pick(13) {
                f.needs_township = m.needs_township
            }
            if pick(14) {
                f.photos = m.photos
            }
            (f, !mask.contains(&true))
        })
        .boxed()
}

/// A weekly report (valid, a little damaged, or anything), the server's time, and
/// whether the report was left undamaged.
fn weekly_form() -> BoxedStrategy<(WeeklyForm, DateTime<Utc>, bool)> {
    now()
        .prop_flat_map(|now| weekly_form_at(now).prop_map(move |(f, pristine)| (f, now, pristine)))
        .boxed()
}

fn weekly_form_at(now: DateTime<Utc>) -> BoxedStrategy<(WeeklyForm, bool)> {
    Just(now)
        .prop_flat_map(|now| {
            let valid = (
                1_i64..100_000,
                (0_i64..=52, any::<bool>()).prop_map(move |(back, lower)| {
                    let w = Week::of(now - Duration::weeks(back)).to_string();
                    if lower {
                        format!(" {} ", w.replace('W', "w"))
                    } else {
                        w
                    }
                }),
                prop_oneof![
                    Just((true, Vec::new())),
                    vec(uuid(), 1..6).prop_map(|items| (false, items))
                ],
                one_of(&["", "本周无矛盾纠纷"]),
            )
                .prop_map(|(village, week, (zero, items), note)| WeeklyForm {
                    village_id: Some(village),
                    week,
                    zero,
                    items,
                    note,
                });
            let messy = (
                proptest::option::of(any::<i64>()),
                week_text(now),
                any::<bool>(),
                prop_oneof![
                    6 => vec(uuid_like(), 0..6),
                    1 => uuid().prop_map(|u| vec![u; 501]),
                ],
                prop_oneof![text(), Just("记".repeat(NOTE_MAX + 1))],
            )
                .prop_map(|(village_id, week, zero, items, note)| WeeklyForm {
                    village_id,
                    week,
                    zero,
                    items,
                    note,
                });
            (valid, messy, mask(5))
        })
        .prop_map(|(valid, messy, mask)| {
            let mut f = valid;
            if mask[0] {
                f.village_id = messy.village_id
            }
            if mask[1] {
                f.week = messy.week
            }
            if mask[2] {
                f.zero = messy.zero
            }
            if mask[3] {
                f.items = messy.items
            }
            if mask[4] {
                f.note = messy.note
            }
            (f, !mask.contains(&true))
        })
        .boxed()
}

/// Checks a report as the server does; whether it was accepted.
fn check_report_answer(form: &ReportForm, now: DateTime<Utc>) -> Result<bool, TestCaseError> {
    let kinds = default_kinds();
    let checked = check_report(form, &kinds, now);
    let accepted = checked.is_ok();
    match checked {
        Ok(r) => {
            prop_assert!(kinds.iter().any(|k| k.code == r.kind && k.category == r.category));
            prop_assert_eq!(Some(r.village_id), form.village_id);
            prop_assert!(
                is_clean_text(&r.place, field::PLACE_MAX) && is_clean_text(&r.description, TEXT_MAX)
            );
            prop_assert!(r.found_at <= now + field::CLOCK_SKEW && r.found_at >= now - field::MAX_AGE);
            if let Some(gps) = r.gps {
                prop_assert!(
                    (-90.0..=90.0).contains(&gps.latitude) && (-180.0..=180.0).contains(&gps.longitude)
                );
                prop_assert!(gps.accuracy_m.is_none_or(|a| (0.0..=ACCURACY_MAX_M).contains(&a)));
            } else {
                prop_assert!(
                    form.latitude.is_none() && form.longitude.is_none() && form.accuracy_m.is_none()
                );
            }
            prop_assert!(r.person_count.is_none_or(|n| (1..=99_999).contains(&n)));
            prop_assert!(r.parties.is_some() || r.person_count.is_some());
            prop_assert!(r.photos.len() <= MAX_PHOTOS);
            for (i, p) in r.photos.iter().enumerate() {
                prop_assert_eq!(clean_uuid("photos", p), Ok(p.clone()));
                prop_assert!(!r.photos[..i].contains(p));
            }
        }
        Err(errors) => errors_among(&errors, &REPORT_FIELDS)?,
    }
    Ok(accepted)
}

/// Checks a weekly report as the server does; whether it was accepted.
fn check_weekly_answer(form: &WeeklyForm, now: DateTime<Utc>) -> Result<bool, TestCaseError> {
    let checked = check_weekly(form, now);
    let accepted = checked.is_ok();
    match checked {
        Ok(w) => {
            prop_assert_eq!(Some(w.village_id), form.village_id);
            prop_assert!(w.week <= Week::of(now));
            prop_assert_eq!(w.zero, w.items.is_empty());
            prop_assert!(w.items.len() <= field::WEEKLY_ITEMS_MAX);
            prop_assert!(w.note.is_none_or(|n| is_clean_text(&n, NOTE_MAX)));
        }
        Err(errors) => errors_among(&errors, &WEEKLY_FIELDS)?,
    }
    Ok(accepted)
}

/// What the server does with a decoded envelope's body (`services::field::check_record`,
/// before the database is asked anything): read it as its type's form, then check it.
fn check_body(e: &domain::sync::Envelope, now: DateTime<Utc>) -> Result<bool, TestCaseError> {
    Ok(match e.record_type {
        RecordType::FieldReport => match serde_json::from_value::<ReportForm>(e.body.clone()) {
            Ok(form) => check_report_answer(&form, now)?,
            Err(_) => false,
        },
        RecordType::WeeklyReport => match serde_json::from_value::<WeeklyForm>(e.body.clone()) {
            Ok(form) => check_weekly_answer(&form, now)?,
            Err(_) => false,
        },
        RecordType::Supplement => match serde_json::from_value::<SupplementForm>(e.body.clone()) {
            Ok(form) => {
                let id = clean_uuid("report_id", &form.report_id);
                if let Err(err) = &id {
                    prop_assert_eq!(err.field.as_str(), "report_id");
                }
                let note = check_note(InboxStep::Supplement, &form.note);
                match &note {
                    Ok(note) => prop_assert!(note.as_ref().is_some_and(|n| is_clean_text(n, NOTE_MAX))),
                    Err(err) => prop_assert_eq!(err.field.as_str(), "note"),
                }
                id.is_ok() && note.is_ok()
            }
            Err(_) => false,
        },
    })
}

/// A JSON leaf: anything JSON has, with strings both plausible and messy.
fn json_leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => float().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        3 => text().prop_map(Value::String),
        2 => prop_oneof![
            uuid_like(),
            one_of(&["field_report", "weekly_report", "supplement", " FIELD_REPORT ", "zhang.san", "phone-1"]),
            now().prop_flat_map(time_text),
            now().prop_flat_map(week_text),
        ].prop_map(Value::String),
    ]
    .boxed()
}

const KEYS: &[&str] = &[
    "client_id",
    "record_type",
    "author",
    "device_id",
    "created_at",
    "body",
    "kind",
    "severity",
    "village_id",
    "grid_id",
    "place",
    "latitude",
    "longitude",
    "accuracy_m",
    "found_at",
    "parties",
    "person_count",
    "description",
    "action_taken",
    "needs_township",
    "photos",
    "week",
    "zero",
    "items",
    "note",
    "report_id",
    "records",
];

fn json_key() -> BoxedStrategy<String> {
    prop_oneof![3 => one_of(KEYS), 1 => short_text(8)].boxed()
}

/// Any JSON value, nested a few levels.
fn json() -> BoxedStrategy<Value> {
    json_leaf()
        .prop_recursive(4, 48, 8, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..8).prop_map(Value::Array),
                vec((json_key(), inner), 0..8)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
            ]
        })
        .boxed()
}

/// A body of one of the three kinds at `now`: its record type, the body, and whether it
/// was left undamaged (then the server accepts it). Damage is to the form's fields, or
/// to the JSON itself (a number as a string, a field dropped).
fn body_at(now: DateTime<Utc>) -> BoxedStrategy<(&'static str, Value, bool)> {
    let supplement = (
        prop_oneof![uuid(), uuid().prop_map(|u| format!(" {} ", u.to_uppercase()))],
        one_of(&["已补充现场照片", " 补充：\n两户已和解 "]),
        uuid_like(),
        text(),
        mask(2),
    )
        .prop_map(|(id, note, messy_id, messy_note, mask)| {
            let form = SupplementForm {
                report_id: if mask[0] { messy_id } else { id },
                note: if mask[1] { messy_note } else { note },
            };
            (
                "supplement",
                serde_json::to_value(form).unwrap(),
                !mask.contains(&true),
            )
        });
    let shaped = prop_oneof![
        report_form_at(now).prop_map(|(f, ok)| ("field_report", serde_json::to_value(f).unwrap(), ok)),
        weekly_form_at(now).prop_map(|(f, ok)| ("weekly_report", serde_json::to_value(f).unwrap(), ok)),
        supplement,
    ];
    let edits =
        prop_oneof![3 => Just(Vec::new()), 1 => vec((one_of(KEYS), proptest::option::of(json_leaf())), 1..3)];
    (shaped, edits)
        .prop_map(|((kind, mut body, ok), edits)| {
            let pristine = ok && edits.is_empty();
            if let Value::Object(map) = &mut body {
                for (k, v) in edits {
                    match v {
                        Some(v) => map.insert(k, v),
                        None => map.remove(&k),
                    };
                }
            }
            (kind, body, pristine)
        })
        .boxed()
}

const ENVELOPE_KEYS: &[&str] = &[
    "client_id",
    "record_type",
    "author",
    "device_id",
    "created_at",
    "body",
];

/// A push record at `now` as a phone sends it, and whether it was left undamaged (then
/// it is decoded and its body accepted). Damage: an envelope field replaced by any JSON
/// value or dropped, a stray field, the body's type named wrongly, or the body's own.
fn push_record() -> BoxedStrategy<(Value, DateTime<Utc>, bool)> {
    now()
        .prop_flat_map(|now| {
            (
                body_at(now),
                prop_oneof![uuid(), uuid().prop_map(|u| format!("\t{}\n", u.to_uppercase()))],
                one_of(&["zhang.san", " Li_4 ", "İNFO"]),
                one_of(&["phone-1", "小米 13"]),
                (-86_400_i64..86_400).prop_map(move |s| (now + Duration::seconds(s)).to_rfc3339()),
                prop_oneof![4 => Just(None), 1 => select(RecordType::ALL).prop_map(Some)],
                prop_oneof![3 => Just(Vec::new()), 1 => vec((one_of(ENVELOPE_KEYS), proptest::option::of(json_leaf())), 1..3)],
                proptest::option::of((json_key(), json_leaf())),
                Just(now),
            )
        })
        .prop_map(|((kind, body, body_ok), client_id, author, device_id, created_at, retyped, edits, stray, now)| {
            let record_type = retyped.map_or(kind, RecordType::as_str);
            let mut map = Map::new();
            map.insert("client_id".into(), Value::String(client_id));
            map.insert("record_type".into(), Value::String(format!(" {record_type}")));
            map.insert("author".into(), Value::String(author));
            map.insert("device_id".into(), Value::String(device_id));
            map.insert("created_at".into(), Value::String(created_at));
            map.insert("body".into(), body);
            let pristine = body_ok && edits.is_empty() && record_type == kind;
            for (k, v) in edits {
                match v {
                    Some(v) => map.insert(k, v),
                    None => map.remove(&k),
                };
            }
            // A field the server does not know is ignored, unless it overwrites one.
            if let Some((k, v)) = stray.filter(|(k, _)| !ENVELOPE_KEYS.contains(&k.as_str())) {
                map.insert(k, v);
            }
            (Value::Object(map), now, pristine)
        })
        .boxed()
}

/// Decodes a record and checks its body as the server does; whether both were accepted.
fn check_decode(value: &Value, now: DateTime<Utc>) -> Result<bool, TestCaseError> {
    let hint = value
        .get("client_id")
        .and_then(Value::as_str)
        .and_then(|s| clean_uuid("client_id", s).ok());
    match PushRecord::decode(value) {
        Ok(e) => {
            prop_assert_eq!(Some(&e.client_id), hint.as_ref());
            prop_assert_eq!(
                RecordType::parse(value["record_type"].as_str().unwrap_or_default().trim()),
                Some(e.record_type)
            );
            prop_assert_eq!(
                &e.author,
                &value["author"].as_str().unwrap_or_default().trim().to_lowercase()
            );
            prop_assert!(is_clean_name(&e.device_id, domain::sync::LABEL_MAX));
            prop_assert!(e.body.is_object());
            prop_assert_eq!(&e.body, &value["body"]);
            check_body(&e, now)
        }
        Err((id, rejection)) => {
            prop_assert_eq!(id, hint);
            prop_assert!(
                matches!(
                    rejection,
                    Rejection::Malformed | Rejection::UnknownRecordType | Rejection::Invalid(_)
                ),
                "{:?}",
                rejection
            );
            if let Rejection::Invalid(e) = &rejection {
                prop_assert!(
                    (e.field == "client_id" && e.problem == Problem::BadUuid) || e.field == "device_id",
                    "{:?}",
                    e
                );
            }
            let RecordOutcome::Rejected { code, field, .. } = RecordOutcome::rejected(&rejection) else {
                return Err(TestCaseError::fail("a rejection is answered as rejected"));
            };
            prop_assert_eq!(code.as_str(), rejection.code());
            prop_assert!(!code.is_empty());
            prop_assert_eq!(field.as_deref(), rejection.field());
            Ok(false)
        }
    }
}

/// Bytes that are almost JSON: a record's text with a few bytes changed, cut short, or
/// nested deeper than any parser should follow.
fn json_bytes() -> BoxedStrategy<Vec<u8>> {
    let mutated = (
        push_record().prop_map(|(v, _, _)| v),
        vec((any::<Index>(), any::<u8>()), 0..4),
        proptest::option::of(any::<Index>()),
    )
        .prop_map(|(v, edits, cut)| {
            let mut bytes = serde_json::to_vec(&v).unwrap();
            for (at, b) in edits {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            bytes
        });
    let deep = (1_usize..20_000, select(vec!["[", "{\"body\":", "{\"records\":["])).prop_map(|(n, open)| {
        let close = match open {
            "[" => "]",
            "{\"body\":" => "}",
            _ => "]}",
        };
        format!("{}0{}", open.repeat(n), close.repeat(n)).into_bytes()
    });
    prop_oneof![
        4 => mutated,
        2 => vec(any::<u8>(), 0..200),
        1 => text().prop_map(String::into_bytes),
        1 => deep,
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn field_reports_refuse_with_the_fields_of_the_form((form, now, pristine) in report_form()) {
        let accepted = check_report_answer(&form, now)?;
        prop_assert!(!pristine || accepted, "a valid report was refused: {:?}", check_report(&form, &default_kinds(), now));
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn weekly_reports_refuse_with_the_fields_of_the_form((form, now, pristine) in weekly_form()) {
        let accepted = check_weekly_answer(&form, now)?;
        prop_assert!(!pristine || accepted, "a valid weekly report was refused: {:?}", check_weekly(&form, now));
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn weeks_and_times_are_parsed_or_refused(now in now(), raw_week in now().prop_flat_map(week_text), raw_time in now().prop_flat_map(time_text)) {
        if let Some(w) = Week::parse(&raw_week) {
            let shown = w.to_string();
            prop_assert_eq!(Week::parse(&shown), Some(w));
            prop_assert_eq!(shown.len(), 8);
            prop_assert_eq!(w.monday().weekday(), chrono::Weekday::Mon);
        }
        match check_time("found_at", &raw_time, now, field::MAX_AGE) {
            Ok(at) => prop_assert!(at <= now + field::CLOCK_SKEW && at >= now - field::MAX_AGE),
            Err(e) => {
                prop_assert_eq!(e.field.as_str(), "found_at");
                prop_assert!(matches!(e.problem, Problem::Required | Problem::BadDate | Problem::InFuture | Problem::TooOld));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn inbox_notes_are_checked_for_every_step(step in select(InboxStep::ALL), raw in text()) {
        match check_note(step, &raw) {
            Ok(Some(note)) => prop_assert!(is_clean_text(&note, NOTE_MAX)),
            Ok(None) => {
                prop_assert!(!step.transition().note_required);
                prop_assert!(raw.trim().is_empty());
            }
            Err(e) => prop_assert_eq!(e.field.as_str(), "note"),
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn report_kinds_as_an_admin_types_them(
        (kinds, extra) in (
            proptest::sample::subsequence(default_kinds(), 1..=8).prop_shuffle(),
            vec(
                (
                    field_of(one_of(&["land", "wages_owed", "Land", "a b", "new_kind_2", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])),
                    field_of(one_of(&["土地纠纷"])),
                    field_of(one_of(&["Land"])),
                    field_of(one_of(&["dispute", "hazard"])),
                ).prop_map(|(code, name_zh, name_en, category)| KindRow { code, name_zh, name_en, category }),
                0..3,
            ),
        ),
        blank in vec(any::<Index>(), 0..2),
    ) {
        // The township's kinds as the form shows them, with rows added and blank rows.
        let pristine = extra.is_empty();
        let mut rows: Vec<KindRow> = kinds
            .iter()
            .map(|k| KindRow {
                code: format!(" {} ", k.code),
                name_zh: k.name_zh.clone(),
                name_en: k.name_en.clone(),
                category: k.category.as_str().to_owned(),
            })
            .collect();
        rows.extend(extra);
        for at in blank {
            rows.insert(at.index(rows.len() + 1), KindRow { category: "dispute".into(), ..KindRow::default() });
        }
        let read = kinds_from_rows(&rows).map(|k| check_kinds(&k));
        prop_assert!(!pristine || read == Ok(Ok(kinds.clone())), "{:?}", read);
        match kinds_from_rows(&rows) {
            Ok(kinds) => match check_kinds(&kinds) {
                Ok(clean) => {
                    prop_assert!((1..=field::KINDS_MAX).contains(&clean.len()));
                    for (i, k) in clean.iter().enumerate() {
                        prop_assert!(!k.code.is_empty() && k.code.len() <= field::KIND_CODE_MAX);
                        prop_assert!(k.code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
                        prop_assert!(clean[..i].iter().all(|o| o.code != k.code));
                        prop_assert!(is_clean_name(&k.name_zh, field::KIND_NAME_MAX));
                    }
                }
                Err(e) => prop_assert!(["kinds", "code", "name_zh", "name_en"].contains(&e.field.as_str())),
            },
            Err(e) => prop_assert_eq!(e, FieldError::new("category", Problem::UnknownValue)),
        }
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn push_records_are_decoded_or_rejected_alone((value, now, pristine) in push_record()) {
        let accepted = check_decode(&value, now)?;
        prop_assert!(!pristine || accepted, "a valid record was refused: {:?}", PushRecord::decode(&value));
    }

    #[test]
    fn any_json_is_decoded_or_rejected_alone(value in json(), now in now()) {
        check_decode(&value, now)?;
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn push_bytes_never_panic_the_decoder(bytes in json_bytes(), now in now()) {
        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
            check_decode(&value, now)?;
        }
        if let Ok(batch) = serde_json::from_slice::<PushBatch>(&bytes) {
            for value in &batch.records {
                check_decode(value, now)?;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Roster sheets

const UNIT_HEADERS: &[&str] = &[
    "类型",
    "kind",
    "名称",
    "name",
    "上级",
    "上级单位",
    "parent",
    "编码",
    "代码",
    "code",
];
const USER_HEADERS: &[&str] = &[
    "用户名",
    "username",
    "姓名",
    "name",
    "display_name",
    "电话",
    "手机",
    "phone",
    "角色",
    "role",
    "单位",
    "所属单位",
    "unit",
    "初始密码",
    "密码",
    "password",
];
const PASSWORD_HEADERS: &[&str] = &["初始密码", "密码", "password"];
/// The heading reported for a column the sheet lacks: the first of its field's names.
const MISSING_HEADINGS: &[&str] = &[
    "类型",
    "名称",
    "上级",
    "用户名",
    "姓名",
    "角色",
    "单位",
    "初始密码",
];

fn header() -> BoxedStrategy<Vec<String>> {
    let cell = prop_oneof![
        4 => typed(one_of(UNIT_HEADERS)),
        4 => one_of(USER_HEADERS),
        2 => text(),
    ];
    let users = Just(vec!["用户名", "姓名", "电话", "角色", "单位", "初始密码"])
        .prop_shuffle()
        .prop_map(|h| h.into_iter().map(str::to_owned).collect::<Vec<_>>());
    let units = Just(vec!["类型", "名称", "上级", "编码"])
        .prop_shuffle()
        .prop_map(|h| h.into_iter().map(str::to_owned).collect::<Vec<_>>());
    prop_oneof![2 => users, 2 => units, 2 => vec(cell, 0..8)].boxed()
}

fn roster_cell() -> BoxedStrategy<String> {
    prop_oneof![
        3 => typed(one_of(&[
            "村", "社区", "村（社区）", "网格", "承办单位", "village", "grid", "department", "东湖村",
            "第一网格", "东湖村/第一网格", "东湖镇", "QS-DH-13", "zhang.san", "li_4", "ab", "张三",
            "13800138000", "0731-8888888", "信息员", "网格员", "管理员", "clerk", "grid_worker",
            "river-lamp-71-cedar", "123456789012", "password1234", "短",
        ])),
        1 => Just(String::new()),
        2 => text(),
    ]
    .boxed()
}

fn random_sheet() -> BoxedStrategy<(String, Vec<Vec<String>>)> {
    (
        text(),
        header(),
        vec(vec(roster_cell(), 0..8), 0..10),
        proptest::option::of(any::<Index>()),
    )
        .prop_map(|(name, header, mut rows, duplicate)| {
            // Now and then a row twice, to reach the duplicate checks.
            if let Some(at) = duplicate.filter(|_| !rows.is_empty()) {
                let row = rows[at.index(rows.len())].clone();
                rows.push(row);
            }
            let mut cells = vec![header];
            cells.extend(rows);
            (name, cells)
        })
        .boxed()
}

/// A sheet laid out as the template has it (columns in any order, headed by any of their
/// names), each row valid and distinct, then some cells replaced by anything and some
/// blank rows put in. `fields` are each field's header names and a valid value for row
/// `i`. Whether it was left undamaged.
fn laid_out(
    fields: Vec<(&'static [&'static str], BoxedStrategy<String>)>,
    suffix_field: usize,
) -> BoxedStrategy<(Vec<Vec<String>>, bool)> {
    let n = fields.len();
    let (headers, values): (Vec<_>, Vec<_>) = fields.into_iter().unzip();
    let heading = headers
        .into_iter()
        .map(|names| {
            typed(select(names.to_vec()).prop_map(str::to_owned).boxed()).prop_map(|h| {
                // Full width is another heading altogether; padding and case are not.
                if h.chars().any(|c| ('\u{FF01}'..='\u{FF5E}').contains(&c)) {
                    h.chars().map(|c| half_width(&c.to_string())).collect()
                } else {
                    h
                }
            })
        })
        .collect::<Vec<_>>();
    let row = values.into_iter().collect::<Vec<_>>();
    (
        Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
        heading,
        vec(row, 0..8),
        vec(vec(roster_cell(), n), 8),
        mask(8 * n),
        vec(any::<Index>(), 0..3),
        prop_oneof![4 => Just(None), 1 => any::<Index>().prop_map(Some)],
    )
        .prop_map(move |(order, heading, mut rows, messy, mask, blanks, twice)| {
            // Distinct rows: the suffix field gets the row's number.
            for (i, r) in rows.iter_mut().enumerate() {
                r[suffix_field] = format!("{}{i}", r[suffix_field]);
            }
            let mut pristine = true;
            // Now and then a row twice.
            if let Some(at) = twice.filter(|_| !rows.is_empty() && rows.len() < 8) {
                rows.push(rows[at.index(rows.len())].clone());
                pristine = false;
            }
            let mut cells: Vec<Vec<String>> = vec![order.iter().map(|&f| heading[f].clone()).collect()];
            for (i, r) in rows.iter().enumerate() {
                cells.push(
                    order
                        .iter()
                        .map(|&f| {
                            if mask[i * n + f] {
                                pristine = false;
                                messy[i][f].clone()
                            } else {
                                r[f].clone()
                            }
                        })
                        .collect(),
                );
            }
            for at in blanks {
                let i = 1 + at.index(cells.len());
                cells.insert(i, vec![String::new(), " ".to_owned()]);
            }
            (cells, pristine)
        })
        .boxed()
}

fn unit_sheet() -> BoxedStrategy<(Vec<Vec<String>>, bool)> {
    // Kind, name and parent together: a grid always names its village.
    let unit = prop_oneof![
        (
            one_of(&["村", "社区", "村（社区）", "village"]),
            one_of(&["", "东湖镇"])
        ),
        (one_of(&["网格", "grid"]), one_of(&["东湖村", "红旗村"])),
        (
            one_of(&["承办单位", "部门", "department"]),
            one_of(&["", "东湖镇"])
        ),
    ];
    (
        unit,
        one_of(&["", "QS-01"]),
        one_of(&["东湖村", "第一网格", "水利站"]),
    )
        .prop_flat_map(|((kind, parent), code, name)| {
            laid_out(
                vec![
                    (&["类型", "kind"][..], Just(kind.clone()).boxed()),
                    (&["名称", "name"][..], Just(name.clone()).boxed()),
                    (&["上级", "上级单位", "parent"][..], Just(parent.clone()).boxed()),
                    (&["编码", "代码", "code"][..], Just(code.clone()).boxed()),
                ],
                1,
            )
        })
        .boxed()
}

fn user_sheet() -> BoxedStrategy<(Vec<Vec<String>>, bool)> {
    laid_out(
        vec![
            (
                &["用户名", "username"][..],
                proptest::string::string_regex("[a-z0-9][a-z0-9._-]{2,12}")
                    .unwrap()
                    .boxed(),
            ),
            (
                &["姓名", "name", "display_name"][..],
                one_of(&["张三", "李四", "Wang Wu"]),
            ),
            (
                &["电话", "手机", "phone"][..],
                prop_oneof![Just(String::new()), digits(10).prop_map(|d| format!("1{d}"))].boxed(),
            ),
            (
                &["角色", "role"][..],
                one_of(&[
                    "信息员",
                    "网格员",
                    "管理员",
                    "承办人",
                    "clerk",
                    "grid_worker",
                    "信访代理员",
                ]),
            ),
            (
                &["单位", "所属单位", "unit"][..],
                one_of(&["东湖村", "东湖村/第一网格", "东湖镇"]),
            ),
            // No ASCII, so no username is ever part of one.
            (
                &["初始密码", "密码", "password"][..],
                one_of(&["稻田里的青蛙叫了一整夜呀", "山高水长来日方长一起走吧"]),
            ),
        ],
        0,
    )
}

/// A sheet: as the template has it (then whether it was left undamaged as a units or a
/// users sheet), or anything.
fn sheet() -> BoxedStrategy<(String, Vec<Vec<String>>, bool, bool)> {
    prop_oneof![
        2 => (text(), unit_sheet()).prop_map(|(name, (cells, ok))| (name, cells, ok, false)),
        2 => (text(), user_sheet()).prop_map(|(name, (cells, ok))| (name, cells, false, ok)),
        1 => random_sheet().prop_map(|(name, cells)| (name, cells, false, false)),
    ]
    .boxed()
}

/// The rows a sheet has below its header, blank ones left out.
fn data_rows(cells: &[Vec<String>]) -> usize {
    cells
        .iter()
        .skip(1)
        .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
        .count()
}

fn check_roster_problems(
    name: &str,
    cells: &[Vec<String>],
    problems: &[RosterProblem],
    rows_returned: bool,
) -> Result<(), TestCaseError> {
    let header = cells.first().cloned().unwrap_or_default();
    for p in problems {
        prop_assert_eq!(p.sheet.as_str(), name);
        prop_assert!(p.row >= 1 && p.row <= cells.len().max(1), "{:?}", p);
        prop_assert!(p.value.chars().count() <= 64);
        prop_assert!(
            header.contains(&p.column) || MISSING_HEADINGS.contains(&p.column.as_str()),
            "{:?} not a heading of {:?}",
            p.column,
            header
        );
        if p.row == 1 {
            // Only a missing column is reported on the header row, and then no rows are read.
            prop_assert_eq!(p.problem, Problem::Required);
            prop_assert!(!rows_returned);
        } else {
            prop_assert!(
                cells[p.row - 1].iter().any(|c| !c.trim().is_empty()),
                "blank row {}",
                p.row
            );
        }
        if PASSWORD_HEADERS
            .iter()
            .any(|h| p.column.trim().eq_ignore_ascii_case(h))
        {
            prop_assert_eq!(p.value.as_str(), "", "a password is never echoed");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn unit_sheets_report_every_problem_where_it_is((name, cells, pristine, _) in sheet()) {
        let sheet = Sheet { name: &name, cells: &cells };
        let (rows, problems) = sheet.units();
        if pristine {
            prop_assert!(problems.is_empty(), "a valid sheet was refused: {:?}", problems);
            prop_assert_eq!(rows.len(), data_rows(&cells));
        }
        check_roster_problems(&name, &cells, &problems, !rows.is_empty())?;
        let mut last = 1;
        for r in &rows {
            prop_assert!(r.row > last && r.row <= cells.len());
            last = r.row;
            prop_assert!(is_clean_name(&r.name, domain::org::NAME_MAX_CHARS));
            prop_assert_eq!(r.parent.trim(), r.parent.as_str());
            // Rows are returned with the problems, and any problem refuses the file: a
            // grid without its village must be one of them.
            if r.kind == domain::org::OrgUnitKind::Grid && r.parent.is_empty() {
                prop_assert!(problems.iter().any(|p| p.row == r.row && p.problem == Problem::Required));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn user_sheets_report_every_problem_where_it_is((name, cells, _, pristine) in sheet()) {
        let sheet = Sheet { name: &name, cells: &cells };
        let (rows, problems) = sheet.users();
        if pristine {
            prop_assert!(problems.is_empty(), "a valid sheet was refused: {:?}", problems);
            prop_assert_eq!(rows.len(), data_rows(&cells));
        }
        check_roster_problems(&name, &cells, &problems, !rows.is_empty())?;
        let mut last = 1;
        for (i, r) in rows.iter().enumerate() {
            prop_assert!(r.row > last && r.row <= cells.len());
            last = r.row;
            prop_assert_eq!(clean_username(&r.username), Ok(r.username.clone()));
            prop_assert!(rows[..i].iter().all(|o| o.username != r.username));
            prop_assert!(is_clean_name(&r.display_name, 32));
            if let Some(phone) = &r.phone {
                prop_assert_eq!(clean_phone("phone", phone), Ok(Some(phone.clone())));
            }
            prop_assert!(!r.unit.is_empty());
            prop_assert_eq!(check_new_password(&r.password, &r.username), Ok(()));
        }
        let _ = domain::roster::sheet_kind(cells.first().map(Vec::as_slice).unwrap_or(&[]));
    }
}

// ---------------------------------------------------------------------------------------
// Query strings

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn filters_read_any_query_string(
        pairs in vec(
            (
                field_of(one_of(&["state", "channel", "kind", "village", "department", "from", "to", "q", "sort", "page", "severity", "urgent"])),
                prop_oneof![
                    field_of(one_of(&["registered", "visit", "suggestion", "12", "oldest", "0", "3", "on", "urgent", "all", "closed", "4294967296"])),
                    today().prop_flat_map(date_text),
                ],
            ),
            0..8,
        ),
    ) {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let registry = RegistryFilter::from_query(pairs.iter().copied());
        let _ = registry.utc_range();
        let again: Vec<(&str, String)> = registry.to_query();
        let reread = RegistryFilter::from_query(again.iter().map(|(k, v)| (*k, v.as_str())));
        prop_assert_eq!(reread, RegistryFilter { page: 0, ..registry });

        let inbox = InboxFilter::from_query(pairs.iter().copied());
        prop_assert!(inbox.page >= 1);
        let again = inbox.to_query();
        let reread = InboxFilter::from_query(again.iter().map(|(k, v)| (*k, v.as_str())));
        prop_assert_eq!(reread, InboxFilter { page: 1, ..inbox });
    }
}

// ---------------------------------------------------------------------------------------
// Attachments: typed by content, cleaned of metadata

fn jpeg() -> BoxedStrategy<Vec<u8>> {
    let segment = (
        prop_oneof![
            4 => select(vec![0xE0_u8, 0xE1, 0xE2, 0xEE, 0xFE, 0xDB, 0xC4, 0xC0, 0xC2, 0xC8, 0xDD, 0xDA]),
            1 => select(vec![0x00_u8, 0x01, 0xD0, 0xD8, 0xD9, 0xFF]),
            1 => any::<u8>(),
        ],
        prop_oneof![
            3 => vec(any::<u8>(), 0..24),
            1 => Just(b"JFIF\0\x01\x02".to_vec()),
            1 => Just(b"Exif\0\0GPS".to_vec()),
            1 => Just(b"Adobe\0".to_vec()),
        ],
        0_u8..4,
        vec(
            prop_oneof![3 => any::<u8>(), 1 => Just(0xFF_u8), 1 => Just(0x00_u8)],
            0..16,
        ),
    )
        .prop_map(|(marker, payload, fill, entropy)| {
            let mut s = vec![0xFF; 1 + usize::from(fill)];
            s.push(marker);
            if !matches!(marker, 0x01 | 0xD0..=0xD9) {
                s.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
                s.extend_from_slice(&payload);
            }
            if marker == 0xDA {
                s.extend_from_slice(&entropy);
            }
            s
        });
    (vec(segment, 0..8), any::<bool>(), vec(any::<u8>(), 0..8))
        .prop_map(|(segments, end, trailer)| {
            let mut f = vec![0xFF, 0xD8];
            f.extend(segments.concat());
            if end {
                f.extend_from_slice(&[0xFF, 0xD9]);
            }
            f.extend(trailer);
            f
        })
        .boxed()
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const PNG_KEPT: &[&[u8; 4]] = &[
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"cICP", b"mDCV",
    b"mDCv", b"cLLI", b"cLLi", b"sBIT", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT",
];

fn png() -> BoxedStrategy<Vec<u8>> {
    let chunk = (
        prop_oneof![
            4 => select(vec![*b"IHDR", *b"IDAT", *b"IEND", *b"tEXt", *b"eXIf", *b"pHYs", *b"zTXt", *b"iTXt", *b"tIME", *b"PLTE"]),
            1 => any::<[u8; 4]>(),
        ],
        vec(any::<u8>(), 0..24),
        prop_oneof![6 => Just(None), 1 => any::<u32>().prop_map(Some)],
    )
        .prop_map(|(kind, data, wrong_len)| {
            let len = wrong_len.unwrap_or(u32::try_from(data.len()).unwrap());
            let mut c = len.to_be_bytes().to_vec();
            c.extend_from_slice(&kind);
            c.extend_from_slice(&data);
            c.extend_from_slice(&[0xAB; 4]);
            c
        });
    (any::<bool>(), vec(chunk, 0..8), vec(any::<u8>(), 0..8))
        .prop_map(|(ihdr, chunks, trailer)| {
            let mut f = PNG_SIGNATURE.to_vec();
            if ihdr {
                f.extend_from_slice(&13_u32.to_be_bytes());
                f.extend_from_slice(b"IHDR");
                f.extend_from_slice(&[0; 17]);
            }
            f.extend(chunks.concat());
            f.extend(trailer);
            f
        })
        .boxed()
}

const WEBP_KEPT: &[&[u8; 4]] = &[b"VP8 ", b"VP8L", b"ANMF", b"VP8X", b"ALPH", b"ANIM", b"ICCP"];

fn webp() -> BoxedStrategy<Vec<u8>> {
    let chunk = (
        prop_oneof![
            4 => select(vec![*b"VP8 ", *b"VP8L", *b"VP8X", *b"EXIF", *b"XMP ", *b"ALPH", *b"ANIM", *b"ANMF", *b"ICCP"]),
            1 => any::<[u8; 4]>(),
        ],
        vec(any::<u8>(), 0..24),
        prop_oneof![6 => Just(None), 1 => any::<u32>().prop_map(Some)],
        any::<bool>(),
    )
        .prop_map(|(fourcc, data, wrong_size, pad)| {
            let size = wrong_size.unwrap_or(u32::try_from(data.len()).unwrap());
            let mut c = fourcc.to_vec();
            c.extend_from_slice(&size.to_le_bytes());
            c.extend_from_slice(&data);
            if pad && data.len() % 2 == 1 {
                c.push(0);
            }
            c
        });
    (
        vec(chunk, 0..6),
        prop_oneof![4 => Just(None), 1 => any::<u32>().prop_map(Some)],
        vec(any::<u8>(), 0..8),
    )
        .prop_map(|(chunks, wrong_size, trailer)| {
            let body = chunks.concat();
            let size = wrong_size.unwrap_or(u32::try_from(body.len() + 4).unwrap());
            let mut f = b"RIFF".to_vec();
            f.extend_from_slice(&size.to_le_bytes());
            f.extend_from_slice(b"WEBP");
            f.extend(body);
            f.extend(trailer);
            f
        })
        .boxed()
}

/// A well-formed JPEG: metadata and image segments (with fill bytes), one or two scans
/// with restart markers and stuffed bytes, the end marker, and something after it.
fn tidy_jpeg() -> BoxedStrategy<Vec<u8>> {
    let segment = (
        select(vec![
            (0xE0_u8, b"JFIF\0\x01\x02".to_vec()),
            (0xE1, b"Exif\0\0GPS 31.23N".to_vec()),
            (0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>".to_vec()),
            (0xE2, b"ICC_PROFILE\0".to_vec()),
            (0xEE, b"Adobe\0\x64".to_vec()),
            (0xFE, b"a comment".to_vec()),
            (0xDB, vec![0; 65]),
            (0xC4, vec![0; 20]),
            (0xC0, vec![8, 0, 16, 0, 16, 1, 1, 0x11, 0]),
            (0xDD, vec![0, 4]),
        ]),
        0_usize..3,
    )
        .prop_map(|((marker, payload), fill)| {
            let mut s = vec![0xFF; 1 + fill];
            s.push(marker);
            s.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
            s.extend_from_slice(&payload);
            s
        });
    let entropy = vec(
        prop_oneof![
            8 => (0_u8..0xFF).prop_map(|b| vec![b]),
            1 => Just(vec![0xFF, 0x00]),
            1 => (0xD0_u8..=0xD7).prop_map(|m| vec![0xFF, m]),
        ],
        1..24,
    )
    .prop_map(|parts| parts.concat());
    let scan = (entropy, vec(segment.clone(), 0..2)).prop_map(|(data, after)| {
        let mut s = vec![0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 0x3F, 0];
        s.extend(data);
        s.extend(after.concat());
        s
    });
    (vec(segment, 0..6), vec(scan, 1..3), vec(any::<u8>(), 0..12))
        .prop_map(|(segments, scans, trailer)| {
            let mut f = vec![0xFF, 0xD8];
            f.extend(segments.concat());
            f.extend(scans.concat());
            f.extend_from_slice(&[0xFF, 0xD9]);
            f.extend(trailer);
            f
        })
        .boxed()
}

fn png_chunk(kind: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    c.extend_from_slice(&kind);
    c.extend_from_slice(data);
    c.extend_from_slice(&[0xAB; 4]);
    c
}

/// A well-formed PNG: IHDR, image and metadata chunks (private ones too), IEND, and
/// something after it.
fn tidy_png() -> BoxedStrategy<Vec<u8>> {
    let chunk = (
        select(vec![
            *b"PLTE", *b"IDAT", *b"tEXt", *b"eXIf", *b"pHYs", *b"zTXt", *b"iTXt", *b"tIME", *b"gAMA",
            *b"sRGB", *b"prVt",
        ]),
        vec(any::<u8>(), 0..24),
    )
        .prop_map(|(kind, data)| png_chunk(kind, &data));
    (vec(chunk, 0..6), vec(any::<u8>(), 0..8))
        .prop_map(|(chunks, trailer)| {
            let mut f = PNG_SIGNATURE.to_vec();
            f.extend(png_chunk(*b"IHDR", &[0; 13]));
            f.extend(chunks.concat());
            f.extend(png_chunk(*b"IDAT", b"x"));
            f.extend(png_chunk(*b"IEND", b""));
            f.extend(trailer);
            f
        })
        .boxed()
}

/// A well-formed WebP: VP8X, image and metadata chunks, the last perhaps without its pad
/// byte, and something after the RIFF container.
fn tidy_webp() -> BoxedStrategy<Vec<u8>> {
    let chunk = (
        select(vec![
            *b"VP8 ", *b"VP8L", *b"EXIF", *b"XMP ", *b"ALPH", *b"ICCP", *b"ANIM", *b"abcd",
        ]),
        vec(any::<u8>(), 0..24),
    );
    (
        any::<bool>(),
        vec(chunk, 0..5),
        vec(any::<u8>(), 1..24),
        any::<bool>(),
        vec(any::<u8>(), 0..8),
    )
        .prop_map(|(vp8x, chunks, image, pad_last, trailer)| {
            let mut all: Vec<([u8; 4], Vec<u8>)> = Vec::new();
            if vp8x {
                all.push((*b"VP8X", vec![0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
            }
            all.extend(chunks);
            all.push((*b"VP8 ", image));
            let mut body = Vec::new();
            let last = all.len() - 1;
            for (i, (fourcc, data)) in all.into_iter().enumerate() {
                body.extend_from_slice(&fourcc);
                body.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
                body.extend_from_slice(&data);
                if data.len() % 2 == 1 && (i != last || pad_last) {
                    body.push(0);
                }
            }
            let mut f = b"RIFF".to_vec();
            f.extend_from_slice(&u32::try_from(body.len() + 4).unwrap().to_le_bytes());
            f.extend_from_slice(b"WEBP");
            f.extend(body);
            f.extend(trailer);
            f
        })
        .boxed()
}

/// An upload: a well-formed picture (then also what it is), a loosely built one, a PDF
/// or anything; then perhaps a few bytes changed or the file cut short.
fn upload() -> BoxedStrategy<(Vec<u8>, Option<MediaType>)> {
    let structured = prop_oneof![
        2 => tidy_jpeg().prop_map(|f| (f, Some(MediaType::Jpeg))),
        2 => tidy_png().prop_map(|f| (f, Some(MediaType::Png))),
        2 => tidy_webp().prop_map(|f| (f, Some(MediaType::Webp))),
        1 => jpeg().prop_map(|f| (f, None)),
        1 => png().prop_map(|f| (f, None)),
        1 => webp().prop_map(|f| (f, None)),
        1 => vec(any::<u8>(), 0..64).prop_map(|rest| ([b"%PDF-".as_slice(), &rest].concat(), Some(MediaType::Pdf))),
        1 => vec(any::<u8>(), 0..64).prop_map(|f| (f, None)),
    ];
    let edits = prop_oneof![2 => Just(Vec::new()), 1 => vec((any::<Index>(), any::<u8>()), 1..3)];
    let cut = prop_oneof![3 => Just(None), 1 => any::<Index>().prop_map(Some)];
    (structured, edits, cut)
        .prop_map(|((mut f, media), edits, cut)| {
            let intact = edits.is_empty() && cut.is_none();
            if !f.is_empty() {
                for (at, b) in edits {
                    let i = at.index(f.len());
                    f[i] = b;
                }
            }
            if let Some(cut) = cut {
                f.truncate(cut.index(f.len() + 1));
            }
            (f, media.filter(|_| intact))
        })
        .boxed()
}

/// The chunk types of a cleaned PNG or WebP, walking the structure the cleaner wrote.
fn chunk_kinds(media: MediaType, bytes: &[u8]) -> Vec<[u8; 4]> {
    let mut kinds = Vec::new();
    let (mut pos, header) = match media {
        MediaType::Png => (8, 8),
        _ => (12, 8),
    };
    while pos + header <= bytes.len() {
        let (kind, len) = match media {
            MediaType::Png => (
                <[u8; 4]>::try_from(&bytes[pos + 4..pos + 8]).unwrap(),
                u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize + 12,
            ),
            _ => {
                let size = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
                (
                    <[u8; 4]>::try_from(&bytes[pos..pos + 4]).unwrap(),
                    8 + size + size % 2,
                )
            }
        };
        kinds.push(kind);
        pos += len;
    }
    kinds
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn attachments_are_typed_and_cleaned_or_refused((bytes, intact) in upload()) {
        if let Some(media) = intact {
            let clean = attachment::strip_metadata(media, &bytes);
            prop_assert!(clean.is_ok(), "a well-formed {:?} was refused", media);
            // What the cleaners drop (a PDF is returned as it is: see strip_metadata). The
            // kept chunks' random bytes are too short to spell these by chance.
            let clean = if media == MediaType::Pdf { Vec::new() } else { clean.unwrap_or_default() };
            for (metadata, shown) in [(b"Exif".as_slice(), "EXIF"), (b"GPS", "GPS"), (b"xmpmeta", "XMP"), (b"eXIf", "eXIf"), (b"tEXt", "tEXt")] {
                prop_assert!(!clean.windows(metadata.len()).any(|w| w == metadata), "{} kept", shown);
            }
        }
        match attachment::check(&bytes) {
            Ok(media) => prop_assert_eq!(attachment::sniff(&bytes), Some(media)),
            Err(p) => prop_assert!(matches!(p, Problem::FileEmpty | Problem::FileTypeNotAllowed), "{:?}", p),
        }
        for media in MediaType::ALL {
            match attachment::strip_metadata(media, &bytes) {
                Ok(clean) => {
                    prop_assert_eq!(attachment::sniff(&bytes), Some(media));
                    prop_assert_eq!(attachment::sniff(&clean), Some(media));
                    prop_assert!(clean.len() <= bytes.len() + 1);
                    // Cleaning is done once and for all.
                    prop_assert_eq!(attachment::strip_metadata(media, &clean), Ok(clean.clone()));
                    match media {
                        MediaType::Jpeg => prop_assert!(clean.ends_with(&[0xFF, 0xD9])),
                        MediaType::Png => {
                            let kinds = chunk_kinds(media, &clean);
                            prop_assert_eq!(kinds.last(), Some(b"IEND"));
                            prop_assert!(kinds.iter().all(|k| PNG_KEPT.contains(&k)), "{:?}", kinds);
                        }
                        MediaType::Webp => {
                            let riff = u32::from_le_bytes(clean[4..8].try_into().unwrap()) as usize;
                            prop_assert_eq!(riff + 8, clean.len());
                            let kinds = chunk_kinds(media, &clean);
                            prop_assert!(kinds.iter().all(|k| WEBP_KEPT.contains(&k)), "{:?}", kinds);
                        }
                        MediaType::Pdf => prop_assert_eq!(&clean, &bytes),
                    }
                }
                Err(p) => prop_assert_eq!(p, Problem::FileTypeNotAllowed),
            }
        }
    }
}
