//! Importing rosters from real XLSX and CSV files, all or nothing, on both engines.

use std::io::{Cursor, Read, Write};
use std::time::{Duration, Instant};

use chrono::Utc;
use domain::Problem;
use domain::audit::{AuditAction, AuditFilter, AuditOutcome};
use domain::auth::Role;
use services::auth::login;
use services::roster::import;
use services::{Caller, ServiceError};
use storage::testing::{self, TestDb};
use storage::{AuditScope, Database};

use crate::common::{PASSWORD, add_user, log_in, workbook};

async fn admin(db: &Database) -> Caller {
    db.seed_demo().await.expect("seed");
    township_person(db, "admin_a", Role::Admin).await
}

/// A logged-in person with one role on the (seeded) township.
async fn township_person(db: &Database, username: &str, role: Role) -> Caller {
    let township = db.org_structure().await.unwrap().unwrap().township.id;
    add_user(db, username, role, township, Utc::now()).await;
    log_in(db, Caller::anonymous(Utc::now()), username, PASSWORD).await
}

const UNITS: &[&[&str]] = &[
    &["类型", "名称", "上级", "编码"],
    &["村", "红旗村", "", "QS-DH-13"],
    &["网格", "第一网格", "红旗村", ""],
    &["网格", "第三网格", "东湖村", ""],
    &["承办单位", "东湖镇水利站", "东湖镇", ""],
];

async fn counts(db: &Database) -> (usize, usize) {
    let s = db.org_structure().await.unwrap().unwrap();
    let units = s.villages.iter().map(|v| 1 + v.grids.len()).sum::<usize>() + s.departments.len();
    (units, db.users().await.unwrap().len())
}

#[tokio::test]
async fn a_good_workbook_is_imported_whole_and_its_people_can_log_in() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let caller = admin(&db).await;
        let (units_before, users_before) = counts(&db).await;
        let people: &[&[&str]] = &[
            &["用户名", "姓名", "电话", "角色", "单位", "初始密码"],
            &[
                "hongqi",
                "赵红",
                "13800138001",
                "信息员",
                "红旗村",
                "red-flag-village-01",
            ],
            &[
                "hongqi1",
                "钱一",
                "",
                "网格员",
                "红旗村/第一网格",
                "red-flag-grid-one-01",
            ],
            &[
                "shuili",
                "孙水",
                "0731-8888888",
                "承办人",
                "东湖镇水利站",
                "water-station-2026",
            ],
        ];
        let bytes = workbook(&[("单位", UNITS), ("人员", people), ("Sheet3", &[])]);
        let report = import(&db, &caller, "名册.xlsx", bytes)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e:?}"));
        assert_eq!((report.units, report.users), (4, 3), "{label}");
        assert_eq!(counts(&db).await, (units_before + 4, users_before + 3), "{label}");

        let grid_worker = login(
            &db,
            &Caller::anonymous(Utc::now()),
            "hongqi1",
            "red-flag-grid-one-01",
        )
        .await
        .unwrap();
        assert_eq!(grid_worker.user.grants[0].role, Role::GridWorker);
        assert_eq!(grid_worker.user.grants[0].unit_name, "第一网格");
    }
}

#[tokio::test]
async fn a_template_formatted_far_below_its_rows_still_imports() {
    // Offices keep templates with borders drawn down to row 10,000: those cells hold no
    // data, and the sheet's declared size counts them.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("单位").unwrap();
    for (r, row) in (0_u32..).zip(UNITS.iter()) {
        for (c, cell) in (0_u16..).zip(row.iter()) {
            sheet.write_string(r, c, *cell).unwrap();
        }
    }
    let border = rust_xlsxwriter::Format::new().set_border(rust_xlsxwriter::FormatBorder::Thin);
    for r in 5..10_000 {
        for c in 0..4 {
            sheet.write_blank(r, c, &border).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let db = testing::sqlite().await;
    db.db.migrate().await.unwrap();
    let caller = admin(&db.db).await;
    let report = import(&db.db, &caller, "模板.xlsx", bytes)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(report.units, 4);
}

#[tokio::test]
async fn one_bad_row_refuses_the_file_and_lists_every_problem() {
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let caller = admin(&db).await;
        let before = counts(&db).await;
        let people: &[&[&str]] = &[
            &["用户名", "姓名", "电话", "角色", "单位", "初始密码"],
            &[
                "hongqi",
                "赵红",
                "13800138001",
                "信息员",
                "红旗村",
                "red-flag-village-01",
            ],
            &["admin_a", "重名", "", "信息员", "红旗村", "another-fine-pass-02"],
            &["wangge", "王格", "", "网格员", "红旗村", "grid-on-a-village-03"],
            &["nowhere", "无处", "", "信息员", "月亮村", "no-such-village-04"],
        ];
        let bytes = workbook(&[("单位", UNITS), ("人员", people)]);
        let Err(ServiceError::Roster(problems)) = import(&db, &caller, "名册.xlsx", bytes).await else {
            panic!("{label}: the file must be refused");
        };
        let found: Vec<(&str, usize, &str, Problem)> = problems
            .iter()
            .map(|p| (p.sheet.as_str(), p.row, p.column.as_str(), p.problem))
            .collect();
        assert_eq!(
            found,
            vec![
                ("人员", 3, "用户名", Problem::UsernameTaken),
                ("人员", 4, "角色", Problem::WrongScope),
                ("人员", 5, "单位", Problem::UnknownValue),
            ],
            "{label}"
        );
        // Nothing of the good rows was written either.
        assert_eq!(counts(&db).await, before, "{label}");
        assert!(db.credentials("hongqi").await.unwrap().is_none(), "{label}");
    }
}

#[tokio::test]
async fn csv_from_chinese_excel_is_read_in_gbk() {
    let t = testing::sqlite().await;
    t.db.migrate().await.unwrap();
    let caller = admin(&t.db).await;
    let text = "类型,名称,上级\r\n村,红旗村,\r\n网格,第一网格,红旗村\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let report = import(&t.db, &caller, "units.csv", gbk.to_vec()).await.unwrap();
    assert_eq!(report.units, 2);
    // Importing it again: the same units already exist.
    let Err(ServiceError::Roster(problems)) = import(&t.db, &caller, "units.csv", gbk.to_vec()).await else {
        panic!("a second import must be refused");
    };
    assert_eq!(problems[0].problem, Problem::Duplicate);
}

#[tokio::test]
async fn only_admins_import_and_junk_is_refused_clearly() {
    let t = testing::sqlite().await;
    t.db.migrate().await.unwrap();
    let caller = admin(&t.db).await;
    let junk = import(
        &t.db,
        &caller,
        "photo.jpg",
        b"\xFF\xD8\xFF\xE0 not a roster".to_vec(),
    )
    .await;
    assert!(
        matches!(junk, Err(ServiceError::Invalid(ref e)) if e.field == "file"),
        "{junk:?}"
    );
    let empty = import(&t.db, &caller, "empty.csv", Vec::new()).await;
    assert!(matches!(empty, Err(ServiceError::Invalid(ref e)) if e.problem == Problem::Required));
    // A row wider than any roster, whatever the format.
    let wide = format!("类型,名称\r\n{}\r\n", ["x"; 60].join(","));
    let refused = import(&t.db, &caller, "wide.csv", wide.into_bytes()).await;
    assert!(file_refused_as(&refused, Problem::TooLong), "{refused:?}");

    let nobody = Caller::anonymous(Utc::now());
    let csv = "类型,名称\r\n村,红旗村\r\n".as_bytes().to_vec();
    assert!(matches!(
        import(&t.db, &nobody, "u.csv", csv).await,
        Err(ServiceError::Unauthenticated)
    ));
}

/// Rewrites a workbook's parts (stored, uncompressed) through `change(name, text)`.
fn rezip(bytes: &[u8], change: impl Fn(&str, String) -> String) -> Vec<u8> {
    let mut from = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut to = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..from.len() {
        let mut part = from.by_index(i).unwrap();
        let name = part.name().unwrap().into_owned();
        let mut text = String::new();
        part.read_to_string(&mut text).unwrap();
        to.start_file(name.as_str(), stored).unwrap();
        to.write_all(change(&name, text).as_bytes()).unwrap();
    }
    to.finish().unwrap().into_inner()
}

/// Sets the uncompressed size a zip's central directory declares for `part`, as a zip
/// bomb's would read: the bytes themselves stay small.
fn declare_size(mut bytes: Vec<u8>, part: &str, size: u32) -> Vec<u8> {
    let u16_at = |b: &[u8], at: usize| usize::from(u16::from_le_bytes([b[at], b[at + 1]]));
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize;
    let end = bytes.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
    let (count, mut at) = (u16_at(&bytes, end + 10), u32_at(&bytes, end + 16));
    for _ in 0..count {
        assert_eq!(&bytes[at..at + 4], b"PK\x01\x02");
        let (name, extra, comment) = (
            u16_at(&bytes, at + 28),
            u16_at(&bytes, at + 30),
            u16_at(&bytes, at + 32),
        );
        if &bytes[at + 46..at + 46 + name] == part.as_bytes() {
            bytes[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
        }
        at += 46 + name + extra + comment;
    }
    bytes
}

fn file_refused_as(result: &Result<services::roster::ImportReport, ServiceError>, problem: Problem) -> bool {
    matches!(result, Err(ServiceError::Invalid(e)) if e.field == "file" && e.problem == problem)
}

#[tokio::test]
async fn a_sheet_reaching_xfd1048576_is_refused_at_once_without_a_dense_array() {
    // 1,048,576 × 16,384 cells: calamine's dense range would ask for hundreds of GB.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "类型").unwrap();
    sheet.write_string(1_048_575, 16_383, "远").unwrap();
    let declared = book.save_to_buffer().unwrap();
    assert!(declared.len() < 10_000, "{}", declared.len());
    // The same cells with a dimension that hides them: the cells themselves are checked.
    let hidden = rezip(&declared, |name, text| {
        if !name.starts_with("xl/worksheets/") {
            return text;
        }
        let start = text.find("<dimension ref=\"").unwrap() + "<dimension ref=\"".len();
        let end = start + text[start..].find('"').unwrap();
        format!("{}A1{}", &text[..start], &text[end..])
    });
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let caller = admin(&db).await;
        for (what, bytes) in [("declared", &declared), ("hidden", &hidden)] {
            let started = Instant::now();
            let refused = import(&db, &caller, "名册.xlsx", bytes.clone()).await;
            assert!(
                file_refused_as(&refused, Problem::TooLong),
                "{label} {what}: {refused:?}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{label} {what}: {:?}",
                started.elapsed()
            );
        }
    }
}

#[tokio::test]
async fn a_zip_declaring_more_than_the_limits_is_refused_before_it_is_unpacked() {
    let units = rezip(&workbook(&[("单位", UNITS)]), |_, text| text);
    // A sheet that says it unpacks to 1 GiB.
    let bomb = declare_size(units.clone(), "xl/worksheets/sheet1.xml", 1 << 30);
    // A styles part of 2 MB for real: calamine keeps a large record per cell format.
    let styles = rezip(&units, |name, text| {
        if name != "xl/styles.xml" {
            return text;
        }
        let at = text.rfind("</styleSheet>").unwrap();
        format!("{}<!--{}-->{}", &text[..at], " ".repeat(2 << 20), &text[at..])
    });
    for TestDb { label, db, .. } in testing::all_migrated().await {
        let caller = admin(&db).await;
        let before = counts(&db).await;
        for (what, bytes) in [("bomb", &bomb), ("styles", &styles)] {
            let refused = import(&db, &caller, "名册.xlsx", bytes.clone()).await;
            assert!(
                file_refused_as(&refused, Problem::TooLong),
                "{label} {what}: {refused:?}"
            );
        }
        assert_eq!(counts(&db).await, before, "{label}");
        // The same workbook within the limits is read as before.
        let report = import(&db, &caller, "名册.xlsx", units.clone())
            .await
            .unwrap_or_else(|e| panic!("{label}: {e:?}"));
        assert_eq!(report.units, 4, "{label}");
    }
}

#[tokio::test]
async fn only_an_admin_gets_a_file_read_at_all() {
    // Not a roster at all: read, it would be refused as a file problem.
    let junk = b"\xFF\xD8\xFF\xE0 not a roster".to_vec();
    for TestDb { label, db, .. } in testing::all_migrated().await {
        db.seed_demo().await.expect("seed");
        let clerk = township_person(&db, "clerk_a", Role::Clerk).await;
        let nobody = Caller::anonymous(Utc::now());

        let anonymous = import(&db, &nobody, "photo.jpg", junk.clone()).await;
        assert!(
            matches!(anonymous, Err(ServiceError::Unauthenticated)),
            "{label}: {anonymous:?}"
        );
        let refused = import(&db, &clerk, "photo.jpg", junk.clone()).await;
        assert!(
            matches!(refused, Err(ServiceError::NotFound)),
            "{label}: {refused:?}"
        );
        let asked = services::roster::may_import(&db, &clerk).await;
        assert!(matches!(asked, Err(ServiceError::NotFound)), "{label}: {asked:?}");

        // Each of the clerk's attempts is logged as a denial.
        let filter = AuditFilter {
            action: Some(AuditAction::ImportRoster),
            username: Some("clerk_a".into()),
            ..AuditFilter::default()
        };
        let log = db
            .audit_entries(&filter, &AuditScope::All, 0, None)
            .await
            .unwrap();
        assert_eq!(log.total, 2, "{label}");
        assert!(
            log.entries.iter().all(|e| e.outcome == AuditOutcome::Denied),
            "{label}: {:?}",
            log.entries
        );

        // An admin's same file is read, and refused for what it is.
        let admin = township_person(&db, "admin_a", Role::Admin).await;
        let read = import(&db, &admin, "photo.jpg", junk.clone()).await;
        assert!(file_refused_as(&read, Problem::UnknownValue), "{label}: {read:?}");
    }
}
