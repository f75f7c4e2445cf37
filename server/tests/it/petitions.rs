//! The petition pages over HTTP as a browser without JavaScript uses them: a multipart
//! form post answered with the same page, the receipt or every problem named with
//! nothing typed lost; the tracking post; and staff-only downloads and exports.

use crate::common::{self, login, send, sqlite_app};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

const BOUNDARY: &str = "----minqing-test-boundary";

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn post(uri: &str, body: Vec<u8>, cookie: Option<&str>) -> Request<Body> {
    let mut r = Request::post(uri)
        .header(header::ACCEPT, "text/html")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header("sec-fetch-site", "same-origin");
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::from(body)).expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_public_form_is_answered_with_every_problem_and_everything_typed() {
    let (_t, app) = sqlite_app().await;
    let fields = [
        ("kind", "request_complaint"),
        ("village_id", "999999"),
        ("subject", "<b>村道</b>"),
        ("content", "</textarea><script>alert(1)</script>"),
        ("name", "张秀英"),
        ("resident_id", "110105194912310021"),
        ("phone", "123"),
        ("challenge_token", "forged"),
        ("challenge", "7"),
    ];
    let reply = send(
        &app,
        post("/petition", multipart(&fields, Some(("a.txt", b"hello"))), None),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    assert_eq!(reply.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    for id in [
        "resident_id-error",
        "phone-error",
        "consent-error",
        "attachments-error",
        "challenge-error",
    ] {
        assert!(reply.body.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(reply.body.contains("校验位不对"));
    // What was typed comes back, escaped: shown as text, never run.
    let at = reply
        .body
        .find("alert(1)")
        .map(|i| &reply.body[i.saturating_sub(60)..i + 30]);
    // It must not end the textarea and run.
    assert!(
        reply.body.contains("&lt;/textarea&gt;&lt;script&gt;"),
        "not escaped: {at:?}"
    );
    assert!(!reply.body.contains("<script>alert(1)"), "{at:?}");
    assert!(reply.body.contains("value=\"110105194912310021\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_petition_posted_from_another_site_is_refused() {
    let (_t, app) = sqlite_app().await;
    let mut request = post("/petition", multipart(&[("subject", "x")], None), None);
    request
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(send(&app, request).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_with_a_wrong_password_reveals_nothing() {
    let (_t, app) = sqlite_app().await;
    let request = Request::post("/track")
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from("code=XF-20261123-0001&password=WRONGWRONG"))
        .expect("request");
    let reply = send(&app, request).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("查询码或查询密码不正确"));
    // The password is not echoed back into the page.
    assert!(!reply.body.contains("WRONGWRONG"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_desk_registers_a_letter_and_the_registry_exports_it() {
    let (_t, app) = sqlite_app().await;
    let clerk = login(&app, "clerk").await;
    let fields = [
        ("channel", "letter"),
        ("kind", "suggestion"),
        ("subject", "建议增设公交站"),
        ("content", "建议在东湖村口增设公交站。"),
        ("name", "李四"),
    ];
    let reply = send(
        &app,
        post("/office/intake", multipart(&fields, None), Some(&clerk)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("受理回执"));
    assert!(reply.body.contains("<svg"), "the receipt carries a QR code");

    let csv = send(
        &app,
        common::get_with("/office/petitions.csv?q=公交站", header::COOKIE, &clerk),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains("建议增设公交站"));
    assert!(csv.body.contains("来信"));
    // Someone without a petition role gets nothing.
    let officer = login(&app, "officer").await;
    let refused = send(
        &app,
        common::get_with("/office/petitions.csv", header::COOKIE, &officer),
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let anonymous = send(&app, common::get("/office/attachments/1")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{}", anonymous.body);
}

/// `n` registered petitions a minute apart up to now; every seventh mentions 水渠堵塞.
async fn load_registry(db: &storage::Database, n: i64) {
    let s = db.org_structure().await.expect("org").expect("township");
    let start = chrono::Utc::now() - chrono::Duration::minutes(n + 10);
    let rows: Vec<storage::BulkPetition> = (0..n)
        .map(|i| storage::BulkPetition {
            query_secret_hash: "hash".into(),
            channel: domain::petition::Channel::Letter,
            kind: domain::petition::PetitionKind::RequestComplaint,
            state: domain::petition::PetitionState::Registered,
            township_id: s.township.id,
            village_id: Some(s.villages[0].village.id),
            department_id: None,
            forwarded_to: None,
            subject: format!("来信第{i}件"),
            content: if i % 7 == 0 {
                "反映水渠堵塞问题".into()
            } else {
                "其他事项".into()
            },
            request: None,
            batch_count: 1,
            person_count: 1,
            collective: false,
            received_at: start + chrono::Duration::minutes(i),
            registered_at: None,
            accepted_at: None,
            updated_at: start,
            petitioner: domain::intake::PetitionerIdentity {
                name: "某某".into(),
                resident_id: None,
                phone: None,
                address: None,
            },
            consent_at: None,
        })
        .collect();
    db.bulk_load_petitions(&rows).await.expect("load");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_search_with_many_matches_pages_on_without_a_count() {
    let (t, app) = sqlite_app().await;
    load_registry(&t.db, storage::SCAN_WINDOW + 500).await;
    let clerk = login(&app, "clerk").await;
    let page = |uri: &str| common::get_with(uri, header::COOKIE, &clerk);

    let many = send(&app, page("/office/petitions?q=水渠堵塞")).await;
    assert_eq!(many.status, StatusCode::OK);
    assert!(many.body.contains("匹配很多"), "{}", many.body);
    assert!(many.body.contains("第 1 页"));
    assert!(many.body.contains("rel=\"next\""));
    assert!(!many.body.contains("rel=\"prev\""));
    let second = send(&app, page("/office/petitions?q=水渠堵塞&page=2")).await;
    assert!(second.body.contains("第 2 页") && second.body.contains("rel=\"prev\""));

    // A match only among the oldest, past what is read row by row: found and counted.
    let few = send(&app, page("/office/petitions?q=来信第7件")).await;
    assert!(few.body.contains("共 1 件"), "{}", few.body);
    assert!(!few.body.contains("rel=\"next\""));
    // Without words: counted exactly below the cap.
    let all = send(&app, page("/office/petitions")).await;
    let n = storage::SCAN_WINDOW + 500;
    assert!(all.body.contains(&format!("共 {n} 件")), "{}", all.body);
    assert!(all.body.contains(&format!("第 1 / {} 页", (n + 19) / 20)));
}
