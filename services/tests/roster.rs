//! Importing rosters from real XLSX and CSV files, all or nothing, on both engines.

use chrono::Utc;
use domain::Problem;
use domain::auth::{NewUser, Role};
use services::auth::{hash_password, login};
use services::roster::import;
use services::{Caller, ServiceError};
use storage::Database;
use storage::testing::{self, TestDb};

const PASSWORD: &str = "river-lamp-71-cedar";

async fn admin(db: &Database) -> Caller {
    db.seed_demo().await.expect("seed");
    let township = db.org_structure().await.unwrap().unwrap().township.id;
    let user = NewUser {
        username: "admin_a".into(),
        display_name: "管理员".into(),
        phone: None,
        grants: vec![(Role::Admin, township)],
    };
    db.create_user(&user, &hash_password(PASSWORD).await.unwrap(), Utc::now())
        .await
        .unwrap();
    let caller = Caller::anonymous(Utc::now());
    let logged_in = login(db, &caller, "admin_a", PASSWORD).await.unwrap();
    Caller {
        user: Some(logged_in.user),
        ..caller
    }
}

/// An XLSX workbook with the given sheets, as Excel would save it.
fn workbook(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).unwrap();
        for (r, row) in (0_u32..).zip(rows.iter()) {
            for (c, cell) in (0_u16..).zip(row.iter()) {
                sheet.write_string(r, c, *cell).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
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
        let report = import(&db, &caller, "名册.xlsx", &bytes)
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
        let Err(ServiceError::Roster(problems)) = import(&db, &caller, "名册.xlsx", &bytes).await else {
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
    let report = import(&t.db, &caller, "units.csv", &gbk).await.unwrap();
    assert_eq!(report.units, 2);
    // Importing it again: the same units already exist.
    let Err(ServiceError::Roster(problems)) = import(&t.db, &caller, "units.csv", &gbk).await else {
        panic!("a second import must be refused");
    };
    assert_eq!(problems[0].problem, Problem::Duplicate);
}

#[tokio::test]
async fn only_admins_import_and_junk_is_refused_clearly() {
    let t = testing::sqlite().await;
    t.db.migrate().await.unwrap();
    let caller = admin(&t.db).await;
    let junk = import(&t.db, &caller, "photo.jpg", b"\xFF\xD8\xFF\xE0 not a roster").await;
    assert!(
        matches!(junk, Err(ServiceError::Invalid(ref e)) if e.field == "file"),
        "{junk:?}"
    );
    let empty = import(&t.db, &caller, "empty.csv", b"").await;
    assert!(matches!(empty, Err(ServiceError::Invalid(ref e)) if e.problem == Problem::Required));

    let nobody = Caller::anonymous(Utc::now());
    let csv = "类型,名称\r\n村,红旗村\r\n".as_bytes();
    assert!(matches!(
        import(&t.db, &nobody, "u.csv", csv).await,
        Err(ServiceError::Unauthenticated)
    ));
}
