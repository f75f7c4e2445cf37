//! SQLite migration 0008 rebuilt nine tables for parity: a database with rows in them
//! keeps every one.

use storage::Database;
use storage::testing;

use super::{differences, read_sqlite};
use crate::common::migrations_up_to;

/// SQLite migration 0008 closed two kinds of drift by making nine tables anew (and the
/// four that reference three of them): a database that holds rows in all of them when it
/// meets 0008 keeps every row, index and reference, and changes only those constraints.
#[tokio::test]
async fn the_sqlite_tables_made_anew_for_parity_keep_their_rows() {
    let t = testing::sqlite().await;
    let Database::Sqlite(pool) = &t.db else {
        unreachable!()
    };
    // The schema as it was before 0008: the migrations up to 0007.
    let before_0008 = migrations_up_to("sqlite", 7);
    sqlx::migrate::Migrator::new(before_0008.0.as_path())
        .await
        .expect("read migrations 0001-0007")
        .run(pool)
        .await
        .expect("migrate up to 0007");

    // A row in every table 0008 makes anew, each column set (the ones 0006 and 0007
    // added too), booleans of both values, and rows that reference them.
    sqlx::raw_sql(
        "INSERT INTO org_unit (id, kind, name) VALUES (1, 'county', '青山县'),
             (2, 'township', '东湖镇'), (3, 'village', '东湖村'), (4, 'township', '西湖镇');
         INSERT INTO app_user (id, username, display_name, password_hash, created_at,
             password_changed_at) VALUES (1, 'grid', '网格员', 'hash', '2026-01-01T00:00:00Z',
             '2026-01-01T00:00:00Z');
         INSERT INTO user_session VALUES ('token', 1, 'field', '2026-01-02T00:00:00Z',
             '2026-01-02T01:00:00Z', '127.0.0.1', 'phone', '2026-01-02T00:30:00Z');
         INSERT INTO tracking_sequence VALUES ('2026-01-02', 7);
         INSERT INTO app_secret VALUES ('form_challenge', 'secret');
         INSERT INTO sync_receipt VALUES ('receipt-uuid', 1, 'weekly_report', 'hash',
             '2026-01-02T00:00:00Z');
         INSERT INTO weekly_deadline VALUES (2, 5, 17, 1, '2026-01-02T00:00:00Z', 1),
             (4, 1, 9, 0, '2026-01-02T00:00:00Z', NULL);
         INSERT INTO field_report VALUES (10, 'report-uuid', 2, 3, NULL, 'land', 'dispute',
             'urgent', 1, '村口', 30.25, 114.5, 8.0, '2026-01-02T00:00:00Z', '两户', 2, '争地',
             NULL, 0, 'acknowledged', 1, 'device', '2026-01-02T00:00:00Z',
             '2026-01-02T00:01:00Z', '2026-01-02T00:02:00Z', 'body-hash'),
             (11, 'report-uuid-2', 2, 3, NULL, 'safety', 'hazard', 'general', 0, '桥', NULL,
             NULL, NULL, '2026-01-03T00:00:00Z', NULL, NULL, '桥裂', '已围挡', 1, 'new', 1,
             'device', '2026-01-03T00:00:00Z', '2026-01-03T00:01:00Z',
             '2026-01-03T00:01:00Z', NULL);
         INSERT INTO field_report_photo VALUES (10, 1, 'photo-uuid');
         INSERT INTO inbox_event VALUES (20, 10, '2026-01-02T00:03:00Z', 'acknowledge', 'new',
             'acknowledged', 1, '收到');
         INSERT INTO photo_upload VALUES (30, 'photo-uuid', 2, 3, 1, 'jpeg', 4, 'sha', 4, 1,
             X'FFD8FFD9', '2026-01-02T00:00:00Z', '2026-01-02T00:00:05Z'),
             (31, 'photo-uuid-2', 2, NULL, 1, 'png', 8, 'sha2', 4, 0, NULL,
             '2026-01-02T00:00:00Z', NULL);
         INSERT INTO photo_chunk VALUES (31, 0, X'89504E47');
         INSERT INTO weekly_report VALUES (40, 'weekly-uuid', 2, 3, '2026-W01', 0, '一起', 1,
             'device', '2026-01-02T00:00:00Z', '2026-01-02T00:01:00Z', '2026-01-01T00:00:00Z'),
             (41, 'weekly-uuid-2', 2, 3, '2026-W02', 1, NULL, 1, 'device',
             '2026-01-09T00:00:00Z', '2026-01-09T00:01:00Z', NULL);
         INSERT INTO weekly_report_item VALUES (40, 10);",
    )
    .execute(pool)
    .await
    .expect("fill the tables at 0007");
    // A boolean the app never wrote but SQLite kept until now: read as true (any
    // non-zero is), so it is kept as 1.
    sqlx::query("INSERT INTO weekly_deadline VALUES (3, 7, 20, 2, '2026-01-02T00:00:00Z', NULL)")
        .execute(pool)
        .await
        .unwrap();

    let schema_before = read_sqlite(&t).await;
    let rows_before = testing::snapshot(&t.db, &["weekly_deadline"]).await;
    // Up to 0008 only: later migrations add tables of their own.
    sqlx::migrate::Migrator::new(migrations_up_to("sqlite", 8).0.as_path())
        .await
        .expect("read migrations 0001-0008")
        .run(pool)
        .await
        .expect("migrate from 0007");
    let rows_after = testing::snapshot(&t.db, &["weekly_deadline"]).await;
    assert_eq!(rows_before, rows_after, "0008 changed rows");
    let deadlines: Vec<(i64, i64)> =
        sqlx::query_as("SELECT township_id, next_week FROM weekly_deadline ORDER BY township_id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(deadlines, [(2, 1), (3, 1), (4, 0)]);

    // `differences` names its two sides sqlite and postgres: here they are the schema
    // before 0008 and after it.
    assert_eq!(
        differences(&schema_before, &read_sqlite(&t).await),
        [
            "table app_secret: column name: NOT NULL on postgres only",
            "table field_report: column needs_township: type: sqlite INTEGER (integer) vs postgres INTEGER (boolean)",
            "table field_report: column urgent: type: sqlite INTEGER (integer) vs postgres INTEGER (boolean)",
            "table photo_upload: column complete: type: sqlite INTEGER (integer) vs postgres INTEGER (boolean)",
            "table sync_receipt: column client_uuid: NOT NULL on postgres only",
            "table tracking_sequence: column day: NOT NULL on postgres only",
            "table user_session: column token_hash: NOT NULL on postgres only",
            "table weekly_deadline: column next_week: type: sqlite INTEGER (integer) vs postgres INTEGER (boolean)",
            "table weekly_report: column zero: type: sqlite INTEGER (integer) vs postgres INTEGER (boolean)",
        ]
    );
    let broken: Vec<(String, Option<i64>, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    // Nothing of the rebuild is left behind, and the references work: deleting a report
    // takes its photos and inbox steps with it, and a report named by a weekly report
    // cannot go.
    let leftovers: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE name LIKE '%\\_new%' ESCAPE '\\'")
            .fetch_all(pool)
            .await
            .unwrap();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(
        sqlx::query("DELETE FROM field_report WHERE id = 10")
            .execute(pool)
            .await
            .is_err()
    );
    sqlx::query("DELETE FROM weekly_report WHERE id = 40")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM field_report WHERE id = 10")
        .execute(pool)
        .await
        .unwrap();
    let orphans: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM field_report_photo) + (SELECT count(*) FROM inbox_event) \
         + (SELECT count(*) FROM weekly_report_item)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    // And the new constraints hold.
    for sql in [
        "INSERT INTO app_secret (name, value) VALUES (NULL, 'x')",
        "UPDATE photo_upload SET complete = 2 WHERE id = 31",
    ] {
        assert!(sqlx::query(sql).execute(pool).await.is_err(), "{sql}");
    }
}
