//! Property tests over the roster file reader (issue 20): `services::roster::read_file`
//! is given arbitrary bytes under arbitrary names: random bytes, bytes starting with
//! "PK", damaged workbooks, CSV with quotes, line breaks, GBK and invalid GBK, and very
//! long lines. It must never panic, must read back what a real CSV or XLSX holds, and
//! must refuse everything else as a problem with the field "file".
//!
//! Case counts are bounded to keep this to a few seconds in a debug build; failures are
//! not persisted into the source tree.

use std::sync::OnceLock;

use domain::{FieldError, Problem};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use services::ServiceError;
use services::roster::{Cells, MAX_ROWS, read_file};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any character, with full-width forms, CSV's own syntax and line breaks often.
fn messy_char() -> BoxedStrategy<char> {
    prop_oneof![
        3 => proptest::char::range(' ', '~'),
        2 => select(vec![',', '"', '\n', '\r', '\t', ';', '\u{3000}', '\u{FEFF}', '\0']),
        2 => proptest::char::range('\u{4E00}', '\u{9FFF}'),
        1 => proptest::char::range('\u{FF01}', '\u{FF5E}'),
        1 => proptest::char::range('\0', '\u{1F}'),
        1 => any::<char>(),
    ]
    .boxed()
}

fn text(max: usize) -> BoxedStrategy<String> {
    vec(messy_char(), 0..=max).prop_map(String::from_iter).boxed()
}

fn file_name() -> BoxedStrategy<String> {
    let suffix = select(vec![
        ".csv", ".CSV", ".txt", ".xlsx", ".XLSX", ".xls", ".pdf", "", ".", ".csv.exe",
    ]);
    prop_oneof![
        3 => (select(vec!["名单", "roster", "İSTANBUL", "a.b", ""]), suffix).prop_map(|(stem, s)| format!("{stem}{s}")),
        1 => text(12),
        1 => (text(6), 50_usize..2_000).prop_map(|(t, n)| t.repeat(n)),
    ]
    .boxed()
}

/// What a refusal must look like: a problem with the file, nothing else.
fn refused_as_file(e: &ServiceError) -> Result<(), TestCaseError> {
    match e {
        ServiceError::Invalid(FieldError { field, problem }) => {
            prop_assert_eq!(field.as_str(), "file");
            prop_assert_ne!(*problem, Problem::Required, "only an empty file is missing");
        }
        other => prop_assert!(false, "not a file problem: {:?}", other),
    }
    Ok(())
}

/// Reads `bytes` as `name`: never panics; sheets stay within the row limit; a refusal
/// is a problem with the file.
fn read(name: &str, bytes: &[u8]) -> Result<Option<Vec<Cells>>, TestCaseError> {
    match read_file(name, bytes) {
        Ok(sheets) => {
            prop_assert!(!bytes.is_empty());
            for (_, rows) in &sheets {
                prop_assert!(rows.len() <= MAX_ROWS + 1, "{} rows", rows.len());
            }
            Ok(Some(sheets))
        }
        Err(e) if bytes.is_empty() => {
            let missing = matches!(
                e,
                ServiceError::Invalid(FieldError { ref field, problem: Problem::Required }) if field == "file"
            );
            prop_assert!(missing, "{:?}", e);
            Ok(None)
        }
        Err(e) => {
            refused_as_file(&e)?;
            Ok(None)
        }
    }
}

fn csv_bytes(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for row in rows {
        w.write_record(row).unwrap();
    }
    w.into_inner().unwrap()
}

/// A grid of cells: every row has at least one cell (an empty line is no record).
fn grid() -> BoxedStrategy<Vec<Vec<String>>> {
    let cell = prop_oneof![
        3 => text(12),
        1 => select(vec!["用户名", "姓名", "13800138000", "网格员", "东湖村/第一网格", ""]).prop_map(str::to_owned),
    ];
    vec(vec(cell, 1..6), 0..8).boxed()
}

/// A valid workbook, written once, to damage in many ways.
fn workbook() -> &'static [u8] {
    static BOOK: OnceLock<Vec<u8>> = OnceLock::new();
    BOOK.get_or_init(|| {
        xlsx(&[
            (0, 0, "用户名".into()),
            (1, 0, "zhang.san".into()),
            (1, 2, "13800138000".into()),
        ])
    })
}

/// An XLSX with one sheet holding `cells` (row, column, text).
fn xlsx(cells: &[(u32, u16, String)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("人员").unwrap();
    for (r, c, text) in cells {
        sheet.write_string(*r, *c, text).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// Text an XLSX can hold as written: XML 1.0 has no control characters (nor U+FFFE/FFFF),
/// a bare CR is read as LF, and `_xHHHH_` is Excel's own escape.
fn sheet_text() -> BoxedStrategy<String> {
    let c = prop_oneof![
        3 => proptest::char::range(' ', '~').prop_filter("Excel's escape", |c| *c != '_'),
        2 => proptest::char::range('\u{4E00}', '\u{9FFF}'),
        1 => proptest::char::range('\u{FF01}', '\u{FF5E}'),
        1 => select(vec!['\u{3000}', '\n', '\t', 'é', '😀', '\u{200B}']),
    ];
    vec(c, 1..24).prop_map(String::from_iter).boxed()
}

/// CRC-32 (IEEE), as a zip entry carries it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0_u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip of stored (uncompressed) entries, so the XML inside can be damaged at will and
/// still reach the XML reader.
fn stored_zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let u16_of = |n: usize| u16::try_from(n).unwrap().to_le_bytes();
    let u32_of = |n: usize| u32::try_from(n).unwrap().to_le_bytes();
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len();
        let crc = crc32(data).to_le_bytes();
        out.extend_from_slice(&0x0403_4b50_u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]); // version, flags, stored, time, date
        out.extend_from_slice(&crc);
        out.extend_from_slice(&u32_of(data.len()));
        out.extend_from_slice(&u32_of(data.len()));
        out.extend_from_slice(&u16_of(name.len()));
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50_u32.to_le_bytes());
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        central.extend_from_slice(&crc);
        central.extend_from_slice(&u32_of(data.len()));
        central.extend_from_slice(&u32_of(data.len()));
        central.extend_from_slice(&u16_of(name.len()));
        central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
        central.extend_from_slice(&u32_of(offset));
        central.extend_from_slice(name.as_bytes());
    }
    let at = out.len();
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50_u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&u16_of(entries.len()));
    out.extend_from_slice(&u16_of(entries.len()));
    out.extend_from_slice(&u32_of(central.len()));
    out.extend_from_slice(&u32_of(at));
    out.extend_from_slice(&[0, 0]);
    out
}

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const DOC_RELS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// An XLSX written by hand: one sheet named `sheet_name`, shared strings `strings`, and
/// the sheet's XML body (what goes inside `<worksheet>`) as given.
fn hand_xlsx(sheet_name: &str, strings: &[String], sheet_body: &str) -> Vec<u8> {
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#.to_owned();
    let root_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let workbook_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
    );
    let shared: String = strings.iter().map(|s| format!("<si><t>{s}</t></si>")).collect();
    let shared = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{n}" uniqueCount="{n}">{shared}</sst>"#,
        n = strings.len()
    );
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{sheet_body}</worksheet>"#
    );
    stored_zip(&[
        ("[Content_Types].xml", types.into_bytes()),
        ("_rels/.rels", root_rels.into_bytes()),
        ("xl/workbook.xml", workbook.into_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.into_bytes()),
        ("xl/sharedStrings.xml", shared.into_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.into_bytes()),
    ])
}

/// Excel's column letters: 0 is A, 26 is AA.
fn column_name(mut c: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + u8::try_from(c % 26).unwrap());
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A cell reference: mostly real ones (some far out), else anything. Not the ones that
/// overflow calamine's arithmetic (seven letters, ten digits, a range that runs
/// backwards): those are `far_references_are_refused_not_a_panic`, ignored for now.
fn cell_ref() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (0_u32..8, 1_u32..10).prop_map(|(c, r)| format!("{}{r}", column_name(c))),
        2 => (0_u32..20_000, 1_u32..2_000_000).prop_map(|(c, r)| format!("{}{r}", column_name(c))),
        2 => select(vec![
            "", "A0", "1A", "A", "XFD1048576", "XFE1", "ZZZZZZ1", "A999999999", "A-1", "a1", "$A$1", "Ａ１", "A1:B2",
        ]).prop_map(str::to_owned),
        1 => text(6).prop_map(|t| xml_escape(&t)),
    ]
    .boxed()
}

/// The body of a worksheet: a dimension and rows of typed cells, each part plausible or
/// damaged, and now and then the XML itself cut or broken.
fn sheet_body() -> BoxedStrategy<String> {
    let kind = prop_oneof![
        4 => select(vec!["", "s", "n", "str", "inlineStr", "b", "e", "d"]).prop_map(str::to_owned),
        1 => text(4).prop_map(|t| xml_escape(&t)),
    ];
    let value = prop_oneof![
        4 => select(vec![
            "0", "1", "2", "3", "-1", "4294967296", "13800138000", "1e308", "-1e400", "NaN", "inf", "0.5",
            "abc", "2026-11-23T00:00:00", "#DIV/0!", "true", "",
        ]).prop_map(str::to_owned),
        1 => text(8).prop_map(|t| xml_escape(&t)),
    ];
    let cell = (cell_ref(), kind, value, any::<bool>()).prop_map(|(r, t, v, inline)| {
        if inline {
            format!(r#"<c r="{r}" t="inlineStr"><is><t>{v}</t></is></c>"#)
        } else {
            format!(r#"<c r="{r}" t="{t}"><v>{v}</v></c>"#)
        }
    });
    let row = (
        prop_oneof![3 => (1_u32..10).prop_map(|r| r.to_string()), 1 => cell_ref()],
        vec(cell, 0..5),
    )
        .prop_map(|(r, cells)| format!(r#"<row r="{r}">{}</row>"#, cells.concat()));
    (
        prop_oneof![
            3 => select(vec!["A1", "A1:C3", "B2:D9", "A1:XFD1048576", "A1:ZZZZZZ999999999", "", "C3", ":"])
                .prop_map(str::to_owned),
            1 => cell_ref(),
        ],
        vec(row, 0..6),
        proptest::option::of((
            any::<Index>(),
            select(vec!["", "<", "</row>", "<c>", "&", "\u{0}", "<![CDATA["]),
        )),
    )
        .prop_map(|(dimension, rows, damage)| {
            let mut body = format!(
                r#"<dimension ref="{dimension}"/><sheetData>{}</sheetData>"#,
                rows.concat()
            );
            if let Some((at, junk)) = damage {
                let mut cut = at.index(body.len() + 1);
                while !body.is_char_boundary(cut) {
                    cut -= 1;
                }
                body.insert_str(cut, junk);
            }
            body
        })
        .boxed()
}

/// Cell references and dimensions that make calamine 0.38 overflow a `u32` while it
/// reads them (`get_row_and_optional_column`: a column of seven letters or more, a row
/// past `u32::MAX`; `get_dimension`: a range that ends above or left of its start). A
/// debug build panics there (what `./x test` and `cargo leptos watch` run); a release
/// build wraps around and reads the cell somewhere else (upstream: tafia/calamine#694,
/// #709). `services::roster::read_file` turns such a panic into a file problem.
#[test]
fn far_references_are_refused_not_a_panic() {
    let mut panicked = Vec::new();
    for (dimension, cell) in [("A1", "ZZZZZZZZ1"), ("A1", "A99999999999"), ("C3:A1", "A1")] {
        let body = format!(
            r#"<dimension ref="{dimension}"/><sheetData><row r="1"><c r="{cell}"><v>1</v></c></row></sheetData>"#
        );
        let bytes = hand_xlsx("人员", &[], &body);
        match std::panic::catch_unwind(|| read_file("roster.xlsx", &bytes).map(|_| ())) {
            Err(_) => panicked.push((dimension, cell)),
            Ok(read) => assert!(read.is_err(), "{dimension} {cell} was read"),
        }
    }
    assert!(panicked.is_empty(), "panicked on {panicked:?}");
}

#[test]
fn a_hand_built_workbook_is_read() {
    // The zip writer above is right, so the damaged ones below reach the XML reader.
    let body = r#"<dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>zhang.san</t></is></c><c r="B2"><v>13800138000</v></c></row></sheetData>"#;
    let bytes = hand_xlsx("人员", &["用户名".to_owned(), "电话".to_owned()], body);
    let sheets = read_file("roster.xlsx", &bytes).unwrap();
    let expected = vec![vec!["用户名", "电话"], vec!["zhang.san", "13800138000"]];
    assert_eq!(
        sheets,
        vec![(
            "人员".to_owned(),
            expected
                .into_iter()
                .map(|r| r.into_iter().map(str::to_owned).collect())
                .collect()
        )]
    );
}

proptest! {
    #![proptest_config(config(192))]

    #[test]
    fn any_bytes_under_any_name_are_read_or_refused(
        name in file_name(),
        bytes in prop_oneof![
            3 => vec(any::<u8>(), 0..256),
            2 => vec(any::<u8>(), 0..256).prop_map(|b| [b"PK".as_slice(), &b].concat()),
            1 => vec(any::<u8>(), 0..64).prop_map(|b| [b"PK\x03\x04".as_slice(), &b].concat()),
            1 => vec(any::<u8>(), 0..64).prop_map(|b| [b"\xEF\xBB\xBF".as_slice(), &b].concat()),
            // GBK lead bytes with and without a valid trail byte.
            2 => vec(prop_oneof![0x81_u8..=0xFE, 0x40_u8..=0xFE, Just(b','), Just(b'"'), Just(b'\n'), any::<u8>()], 0..128),
        ],
    ) {
        read(&name, &bytes)?;
    }

    #[test]
    fn csv_text_is_read_as_written(rows in grid(), gbk in any::<bool>(), name in select(vec!["名单.csv", "名单.TXT", "名单"])) {
        let written = csv_bytes(&rows);
        let text = String::from_utf8(written).unwrap();
        let bytes = if gbk {
            let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
            prop_assume!(!unmappable);
            // GBK that happens to be valid UTF-8 is read as UTF-8: both are right guesses.
            prop_assume!(text.is_ascii() || std::str::from_utf8(&bytes).is_err());
            bytes.into_owned()
        } else {
            text.into_bytes()
        };
        let sheets = read(name, &bytes)?;
        if bytes.is_empty() {
            prop_assert!(sheets.is_none());
            return Ok(());
        }
        // A byte-order mark is dropped, as Excel writes one.
        prop_assume!(!rows.first().and_then(|r| r.first()).is_some_and(|c| c.starts_with('\u{FEFF}')));
        // A file starting with "PK" is taken for a workbook whatever its name.
        prop_assume!(!bytes.starts_with(b"PK"));
        // Trailing empty cells are padding, kept or not.
        let trim = |rows: Vec<Vec<String>>| -> Vec<Vec<String>> {
            rows.into_iter()
                .map(|mut row| {
                    while row.last().is_some_and(String::is_empty) {
                        row.pop();
                    }
                    row
                })
                .collect()
        };
        let sheets = sheets.map(|s| s.into_iter().map(|(name, rows)| (name, trim(rows))).collect::<Vec<_>>());
        prop_assert_eq!(sheets, Some(vec![("名单".to_owned(), trim(rows))]));
    }

    #[test]
    fn csv_with_stray_quotes_and_long_lines_never_panics(
        pieces in vec(prop_oneof![
            text(8),
            select(vec!["\"", "\"\"", ",\"", "\"\n", "\r\n", "\r", "\n\n"]).prop_map(str::to_owned),
            (text(4), 100_usize..20_000).prop_map(|(t, n)| t.repeat(n)),
        ], 0..8),
        gbk_junk in vec(0x80_u8..=0xFF, 0..4),
        name in file_name(),
    ) {
        let mut bytes = pieces.concat().into_bytes();
        bytes.extend(gbk_junk);
        read(&name, &bytes)?;
        read("roster.csv", &bytes)?;
    }
}

proptest! {
    #![proptest_config(config(8))]

    #[test]
    fn the_row_limit_is_exact(extra in 0_usize..6, header in any::<bool>()) {
        let lines = MAX_ROWS - 2 + extra;
        let mut text = if header { "用户名,姓名\n".to_owned() } else { String::new() };
        text.push_str(&"zhang,张\n".repeat(lines));
        let total = lines + usize::from(header);
        match read("roster.csv", text.as_bytes())? {
            Some(sheets) => {
                prop_assert!(total <= MAX_ROWS + 1);
                prop_assert_eq!(sheets[0].1.len(), total);
            }
            None => {
                prop_assert!(total > MAX_ROWS + 1);
                let e = read_file("roster.csv", text.as_bytes()).unwrap_err();
                let too_long = matches!(e, ServiceError::Invalid(FieldError { problem: Problem::TooLong, .. }));
                prop_assert!(too_long, "{:?}", e);
            }
        }
    }
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn a_workbook_is_read_cell_for_cell(
        cells in vec((0_u32..8, 0_u16..6, sheet_text()), 1..12),
        name in prop_oneof![Just("名单.xlsx".to_owned()), Just("名单.csv".to_owned()), file_name()],
    ) {
        // The last write to a cell counts.
        let mut written: Vec<(u32, u16, String)> = Vec::new();
        for (r, c, t) in cells {
            written.retain(|(r2, c2, _)| (*r2, *c2) != (r, c));
            written.push((r, c, t));
        }
        let bytes = xlsx(&written);
        // "PK" at the start: read as a workbook whatever the name says.
        let Some(sheets) = read(&name, &bytes)? else {
            return Err(TestCaseError::fail("a valid workbook was refused"));
        };
        prop_assert_eq!(sheets.len(), 1);
        let (sheet, rows) = &sheets[0];
        prop_assert_eq!(sheet.as_str(), "人员");
        // Rows start at the first used row and column, as Excel's used range does.
        let top = written.iter().map(|(r, _, _)| *r).min().unwrap();
        let left = written.iter().map(|(_, c, _)| *c).min().unwrap();
        for (r, c, t) in &written {
            let found = rows.get((r - top) as usize).and_then(|row| row.get(usize::from(c - left)));
            prop_assert_eq!(found, Some(t), "cell ({}, {})", r, c);
        }
        let kept: usize = rows.iter().flatten().filter(|c| !c.is_empty()).count();
        prop_assert_eq!(kept, written.len());
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn a_workbook_with_damaged_xml_is_read_or_refused(
        sheet_name in prop_oneof![3 => Just("人员".to_owned()), 1 => text(40).prop_map(|t| xml_escape(&t))],
        strings in vec(prop_oneof![3 => text(10).prop_map(|t| xml_escape(&t)), 1 => text(10)], 0..4),
        body in sheet_body(),
    ) {
        let bytes = hand_xlsx(&sheet_name, &strings, &body);
        read("roster.xlsx", &bytes)?;
    }

    #[test]
    fn a_damaged_workbook_is_refused_as_a_file_problem(
        edits in vec((any::<Index>(), any::<u8>()), 1..6),
        cut in proptest::option::of(any::<Index>()),
        name in prop_oneof![Just("名单.xlsx".to_owned()), file_name()],
    ) {
        let mut bytes = workbook().to_vec();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        read(&name, &bytes)?;
    }
}
