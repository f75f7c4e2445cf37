//! The field API over HTTP as a phone uses it, on both engines: push and its resend, pull,
//! no session, cross-site refusal, a batch over the size limit and as the phone splits it,
//! a photo upload interrupted and resumed, resent and empty chunks, a hash mismatch,
//! errors as `{code, message}` in the reader's language, and the OpenAPI text.

use crate::common::*;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use storage::testing;

/// A request as the phone's `fetch` sends it from the site's own page.
fn api(method: &str, uri: &str, cookie: Option<&str>, body: Body) -> Request<Body> {
    let mut r = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header("sec-fetch-site", "same-origin");
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(body).expect("request")
}

fn post_json(uri: &str, cookie: Option<&str>, value: &Value) -> Request<Body> {
    api("POST", uri, cookie, Body::from(value.to_string()))
}

fn json_of(reply: &Reply) -> Value {
    serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", reply.body))
}

async fn village(t: &testing::TestDb) -> i64 {
    t.db.org_structure().await.unwrap().unwrap().villages[0]
        .village
        .id
}

fn report(id: &str, village: i64) -> Value {
    let found = chrono::Utc::now() - chrono::Duration::hours(1);
    json!({
        "client_id": id,
        "record_type": "field_report",
        "author": "officer",
        "device_id": "phone-1",
        "created_at": chrono::Utc::now().to_rfc3339(),
        "body": {
            "kind": "safety", "severity": "urgent", "village_id": village, "place": "村口桥",
            "found_at": found.to_rfc3339(), "person_count": 3,
            "description": "桥面开裂，有坍塌危险。", "photos": [uuid(900)],
        },
    })
}

fn statuses(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["status"].as_str().unwrap_or("?").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn push(app: &Router, cookie: &str, records: Vec<Value>) -> Reply {
    send(
        app,
        post_json("/api/v1/sync/push", Some(cookie), &json!({ "records": records })),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_and_its_resend_store_one_report_that_the_phone_then_pulls() {
    for t in testing::all_migrated().await {
        let app = app(&t).await;
        let v = village(&t).await;
        let officer = login(&app, "officer").await;
        let mut other = report(&uuid(2), v);
        other["body"]["latitude"] = json!(95.0);
        other["body"]["longitude"] = json!(100.0);
        let records = vec![report(&uuid(1), v), other];
        let first = push(&app, &officer, records.clone()).await;
        assert_eq!(first.status, StatusCode::OK, "{}: {}", t.label, first.body);
        let body = json_of(&first);
        assert_eq!(statuses(&body), ["stored", "rejected"], "{}", t.label);
        assert_eq!(body["results"][1]["code"], "bad_coordinates", "{}", t.label);
        assert!(
            body["results"][1]["message"].as_str().unwrap().contains("纬度"),
            "{}",
            t.label
        );
        let again = push(&app, &officer, records).await;
        assert_eq!(
            statuses(&json_of(&again)),
            ["duplicate", "rejected"],
            "{}",
            t.label
        );

        let pulled = send(
            &app,
            get_with("/api/v1/sync/pull?cursor=0", header::COOKIE, &officer),
        )
        .await;
        assert_eq!(pulled.status, StatusCode::OK, "{}: {}", t.label, pulled.body);
        let p = json_of(&pulled);
        assert_eq!(p["report_kinds"].as_array().map(Vec::len), Some(8), "{}", t.label);
        assert_eq!(p["next_cursor"], 0, "{}", t.label);
        let bad = send(
            &app,
            get_with("/api/v1/sync/pull?cursor=-4", header::COOKIE, &officer),
        )
        .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", t.label);
        assert_eq!(json_of(&bad)["code"], "bad_number", "{}", t.label);
        // In English when the language cookie says so.
        let en = format!("{officer}; i18n_pref_locale=en");
        let mut wrong = report(&uuid(3), v);
        wrong["author"] = json!("gridworker");
        let english = push(&app, &en, vec![wrong]).await;
        let e = json_of(&english);
        assert_eq!(e["results"][0]["code"], "author_mismatch", "{}", t.label);
        assert!(
            e["results"][0]["message"]
                .as_str()
                .unwrap()
                .contains("someone else"),
            "{}",
            t.label
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_session_is_a_json_401_and_a_cross_site_push_is_refused() {
    let (t, app) = sqlite_app().await;
    let v = village(&t).await;
    let body = json!({ "records": [report(&uuid(1), v)] });
    let anonymous = send(&app, post_json("/api/v1/sync/push", None, &body)).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(&anonymous)["code"], "unauthenticated");
    assert!(
        json_of(&anonymous)["message"]
            .as_str()
            .unwrap()
            .contains("重新登录")
    );
    // An expired or revoked cookie answers the same, and the cookie is cleared.
    let stale = "minqing_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let expired = send(&app, get_with("/api/v1/sync/pull", header::COOKIE, stale)).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(&expired)["code"], "unauthenticated");

    let officer = login(&app, "officer").await;
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "http://evil.example"),
    ] {
        let request = Request::post("/api/v1/sync/push")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::COOKIE, &officer)
            .header(name, value)
            .body(Body::from(body.to_string()))
            .expect("request");
        let refused = send(&app, request).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{name}");
        assert_eq!(json_of(&refused)["code"], "forbidden", "{name}");
    }
    // The phone's own fetch (same origin, by Origin header alone) passes.
    let request = Request::post("/api/v1/sync/push")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::COOKIE, &officer)
        .body(Body::from(body.to_string()))
        .expect("request");
    let ok = send(&app, request).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    // Not JSON, or too many records: a 4xx with a code, never a 500.
    let junk = send(
        &app,
        api(
            "POST",
            "/api/v1/sync/push",
            Some(&officer),
            Body::from("{not json"),
        ),
    )
    .await;
    assert_eq!(junk.status, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&junk)["code"], "malformed");
    let many = json!({ "records": vec![json!({}); 101] });
    let too_many = send(&app, post_json("/api/v1/sync/push", Some(&officer), &many)).await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(&too_many)["code"], "too_many");
    let huge = "x".repeat(server::sync_api::MAX_PUSH_BYTES + 1);
    let too_big = send(
        &app,
        api("POST", "/api/v1/sync/push", Some(&officer), Body::from(huge)),
    )
    .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A clerk is no field officer: their push is "not found".
    let clerk = login(&app, "clerk").await;
    let refused = push(&app, &clerk, vec![]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

fn jpeg(len: usize) -> Vec<u8> {
    let mut f = vec![0xFF, 0xD8, 0xFF, 0xE0];
    f.extend((0..len - 6).map(|i| (i % 251) as u8));
    f.extend([0xFF, 0xD9]);
    f
}

fn put_chunk(id: &str, cookie: &str, header_name: &str, header_value: &str, bytes: &[u8]) -> Request<Body> {
    Request::put(format!("/api/v1/photos/{id}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header("sec-fetch-site", "same-origin")
        .header(header::COOKIE, cookie)
        .header(header_name, header_value)
        .body(Body::from(bytes.to_vec()))
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_upload_is_interrupted_resumed_and_checked_by_hash() {
    for t in testing::all_migrated().await {
        let app = app(&t).await;
        let officer = login(&app, "officer").await;
        let photo = jpeg(300_000);
        let id = uuid(900);
        let declare = json!({"client_id": id, "byte_size": photo.len(), "sha256": sha256(&photo), "media_type": "image/jpeg"});
        let begun = send(&app, post_json("/api/v1/photos", Some(&officer), &declare)).await;
        assert_eq!(begun.status, StatusCode::CREATED, "{}: {}", t.label, begun.body);
        assert_eq!(begun.headers[header::LOCATION], format!("/api/v1/photos/{id}"));
        assert_eq!(begun.headers["upload-offset"], "0");

        let first = send(
            &app,
            put_chunk(&id, &officer, "upload-offset", "0", &photo[..200_000]),
        )
        .await;
        assert_eq!(first.status, StatusCode::OK, "{}: {}", t.label, first.body);
        assert_eq!(first.headers["upload-offset"], "200000");
        // The connection dropped before the answer; the phone resends the same chunk,
        // which is taken as it was.
        let resent = send(
            &app,
            put_chunk(&id, &officer, "upload-offset", "0", &photo[..200_000]),
        )
        .await;
        assert_eq!(resent.status, StatusCode::OK, "{}: {}", t.label, resent.body);
        assert_eq!(resent.body, first.body, "{}", t.label);
        assert_eq!(resent.headers["upload-offset"], "200000");
        // A chunk that is not where the upload stands is told where it does.
        let stale = send(
            &app,
            put_chunk(&id, &officer, "upload-offset", "0", &photo[..100_000]),
        )
        .await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "{}", t.label);
        assert_eq!(json_of(&stale)["code"], "offset_mismatch");
        assert_eq!(json_of(&stale)["offset"], 200_000);
        // Or it asks where it stands, by HEAD.
        let head = Request::head(format!("/api/v1/photos/{id}"))
            .header(header::COOKIE, &officer)
            .body(Body::empty())
            .expect("request");
        let status = send(&app, head).await;
        assert_eq!(status.status, StatusCode::OK);
        assert_eq!(status.headers["upload-offset"], "200000");
        let range = format!("bytes 200000-{}/{}", photo.len() - 1, photo.len());
        let rest = send(
            &app,
            put_chunk(&id, &officer, "content-range", &range, &photo[200_000..]),
        )
        .await;
        assert_eq!(rest.status, StatusCode::OK, "{}: {}", t.label, rest.body);
        assert_eq!(json_of(&rest)["complete"], true, "{}", t.label);
        let got = send(
            &app,
            get_with(&format!("/api/v1/photos/{id}"), header::COOKIE, &officer),
        )
        .await;
        assert_eq!(json_of(&got)["complete"], true);
        // No offset at all, or a chunk over the limit.
        let none = Request::put(format!("/api/v1/photos/{id}"))
            .header("sec-fetch-site", "same-origin")
            .header(header::COOKIE, &officer)
            .body(Body::from(vec![1, 2, 3]))
            .expect("request");
        assert_eq!(json_of(&send(&app, none).await)["code"], "offset_required");

        // A file that does not match its declared hash is refused and starts over.
        let id2 = uuid(901);
        let wrong = json!({"client_id": id2, "byte_size": 1000, "sha256": sha256(b"other"), "media_type": "image/jpeg"});
        send(&app, post_json("/api/v1/photos", Some(&officer), &wrong)).await;
        let refused = send(&app, put_chunk(&id2, &officer, "upload-offset", "0", &jpeg(1000))).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {}",
            t.label,
            refused.body
        );
        assert_eq!(json_of(&refused)["code"], "mismatch");
        let after = send(
            &app,
            get_with(&format!("/api/v1/photos/{id2}"), header::COOKIE, &officer),
        )
        .await;
        assert_eq!(json_of(&after)["offset"], 0);
        let big = vec![0_u8; server::sync_api::MAX_CHUNK_REQUEST_BYTES + 1];
        let too_big = send(&app, put_chunk(&id2, &officer, "upload-offset", "0", &big)).await;
        assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", t.label);
        // Another person's upload is not there for them.
        let grid = login(&app, "gridworker").await;
        let theirs = send(
            &app,
            get_with(&format!("/api/v1/photos/{id}"), header::COOKIE, &grid),
        )
        .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_chunk_is_refused_and_the_photo_still_uploads_with_no_500() {
    for t in testing::all_migrated().await {
        let app = app(&t).await;
        let officer = login(&app, "officer").await;
        let photo = jpeg(1000);
        let id = uuid(910);
        let declare = json!({"client_id": id, "byte_size": photo.len(), "sha256": sha256(&photo), "media_type": "image/jpeg"});
        let begun = send(&app, post_json("/api/v1/photos", Some(&officer), &declare)).await;
        assert_eq!(begun.status, StatusCode::CREATED, "{}: {}", t.label, begun.body);
        let put = |offset: &str, bytes: &[u8]| put_chunk(&id, &officer, "upload-offset", offset, bytes);
        // Before, this was stored and every real chunk at 0 then failed with a 500.
        let empty = send(&app, put("0", &[])).await;
        assert_eq!(
            empty.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {}",
            t.label,
            empty.body
        );
        assert_eq!(json_of(&empty)["code"], "file_empty", "{}", t.label);
        assert_eq!(json_of(&empty)["field"], "chunk", "{}", t.label);
        let first = send(&app, put("0", &photo[..600])).await;
        assert_eq!(first.status, StatusCode::OK, "{}: {}", t.label, first.body);
        assert_eq!(first.headers["upload-offset"], "600");
        // The same chunk again: accepted once, answered the same.
        let again = send(&app, put("0", &photo[..600])).await;
        assert_eq!(
            (again.status, &again.body),
            (StatusCode::OK, &first.body),
            "{}",
            t.label
        );
        // Offsets that are none, or far past the file: a 4xx, never a 500.
        for (offset, status) in [
            ("-1", StatusCode::BAD_REQUEST),
            ("99999999999999999999", StatusCode::BAD_REQUEST),
            ("9223372036854775807", StatusCode::CONFLICT),
        ] {
            let r = send(&app, put(offset, &photo[600..])).await;
            assert_eq!(r.status, status, "{}: {offset}: {}", t.label, r.body);
        }
        let range = send(
            &app,
            put_chunk(
                &id,
                &officer,
                "content-range",
                "bytes 9223372036854775000-9223372036854775399/*",
                &photo[600..],
            ),
        )
        .await;
        assert_eq!(range.status, StatusCode::CONFLICT, "{}: {}", t.label, range.body);
        let last = send(&app, put("600", &photo[600..])).await;
        assert_eq!(last.status, StatusCode::OK, "{}: {}", t.label, last.body);
        assert_eq!(json_of(&last)["complete"], true, "{}", t.label);
        let last_again = send(&app, put("600", &photo[600..])).await;
        assert_eq!(
            (last_again.status, &last_again.body),
            (StatusCode::OK, &last.body),
            "{}",
            t.label
        );
    }
}

/// A dispute report as large as the form allows: every text at its longest, in Chinese
/// characters of 3 bytes each, and five photos named.
fn largest_report(id: &str, village: i64) -> Value {
    use domain::field::{ACTION_MAX, MAX_PHOTOS, PARTIES_MAX, PLACE_MAX};
    let zh = |max: usize| "纠".repeat(max);
    let mut r = report(id, village);
    let body = &mut r["body"];
    body["severity"] = json!("serious");
    body["place"] = json!(zh(PLACE_MAX));
    body["parties"] = json!(zh(PARTIES_MAX));
    body["description"] = json!(zh(domain::petition::TEXT_MAX));
    body["action_taken"] = json!(zh(ACTION_MAX));
    body["photos"] = json!(
        (0..MAX_PHOTOS as u32)
            .map(|n| uuid(9_000 + n))
            .collect::<Vec<_>>()
    );
    r["device_id"] = json!(zh(domain::sync::LABEL_MAX));
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_batch_of_the_largest_reports_is_refused_whole_and_stored_as_the_phone_plans_it() {
    use domain::sync::{MAX_BATCH, MAX_PUSH_BYTES, PUSH_BUDGET, plan_batches};
    for t in testing::all_migrated().await {
        let app = app(&t).await;
        let v = village(&t).await;
        let officer = login(&app, "officer").await;
        let records: Vec<Value> = (0..MAX_BATCH as u32)
            .map(|n| largest_report(&uuid(5_000 + n), v))
            .collect();
        let whole = json!({ "records": records }).to_string();
        assert!(whole.len() > MAX_PUSH_BYTES, "{}", whole.len());
        let refused = push(&app, &officer, records.clone()).await;
        assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", t.label);
        assert_eq!(json_of(&refused)["code"], "too_large", "{}", t.label);

        let sizes: Vec<usize> = records.iter().map(|r| r.to_string().len()).collect();
        let plan = plan_batches(&sizes, PUSH_BUDGET);
        assert!(plan.len() > 1, "{}", t.label);
        for r in plan {
            let pushed = push(&app, &officer, records[r.clone()].to_vec()).await;
            assert_eq!(
                pushed.status,
                StatusCode::OK,
                "{}: {r:?}: {}",
                t.label,
                pushed.body
            );
            let got = statuses(&json_of(&pushed));
            assert!(
                got.len() == r.len() && got.iter().all(|s| s == "stored"),
                "{}: {r:?}: {}",
                t.label,
                pushed.body
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_is_described_and_server_functions_still_answer() {
    let (_t, app) = sqlite_app().await;
    let spec = send(&app, get("/api/v1/openapi.json")).await;
    assert_eq!(spec.status, StatusCode::OK);
    assert_eq!(spec.headers[header::CONTENT_TYPE], "application/json");
    let v = json_of(&spec);
    assert_eq!(v["openapi"], "3.0.3");
    for path in [
        "/api/v1/sync/push",
        "/api/v1/sync/pull",
        "/api/v1/photos",
        "/api/v1/photos/{id}",
    ] {
        assert!(v["paths"][path].is_object(), "{path}");
    }
    // The server functions under /api/ are untouched: logging in works (as `login` does).
    let cookie = login(&app, "officer").await;
    assert!(cookie.starts_with("minqing_session="));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phones_whole_queue_passes_the_rate_limit_and_officers_behind_one_address_do_not_starve_each_other()
{
    // Every request here comes from the same (unknown) address, as a village behind NAT.
    let (t, app) = sqlite_app().await;
    let v = village(&t).await;
    let officer = login(&app, "officer").await;
    let grid = login(&app, "gridworker").await;
    let throttled = |r: &Reply| r.status == StatusCode::TOO_MANY_REQUESTS;

    // A week offline: 200 reports in batches of 10 and 50 photos of three chunks each,
    // 220 state-changing requests in one go (the per-address budget is 120).
    let photo = jpeg(600_000);
    let hash = sha256(&photo);
    for batch in 0..20 {
        let records = (0..10)
            .map(|i| {
                let n = batch * 10 + i;
                let mut r = report(&uuid(1_000 + n), v);
                r["body"]["photos"] = json!(if n < 50 { vec![uuid(2_000 + n)] } else { vec![] });
                r
            })
            .collect();
        let pushed = push(&app, &officer, records).await;
        assert_eq!(pushed.status, StatusCode::OK, "batch {batch}: {}", pushed.body);
        assert!(
            statuses(&json_of(&pushed)).iter().all(|s| s == "stored"),
            "{}",
            pushed.body
        );
    }
    for n in 0..50 {
        let id = uuid(2_000 + n);
        let declare =
            json!({"client_id": id, "byte_size": photo.len(), "sha256": hash, "media_type": "image/jpeg"});
        let begun = send(&app, post_json("/api/v1/photos", Some(&officer), &declare)).await;
        assert_eq!(begun.status, StatusCode::CREATED, "photo {n}: {}", begun.body);
        for (i, chunk) in photo.chunks(services::field::MAX_CHUNK_BYTES).enumerate() {
            let offset = (i * services::field::MAX_CHUNK_BYTES).to_string();
            let put = send(&app, put_chunk(&id, &officer, "upload-offset", &offset, chunk)).await;
            assert_eq!(put.status, StatusCode::OK, "photo {n} chunk {i}: {}", put.body);
        }
    }

    // The officer keeps going until their own session's budget ends…
    let declare = json!({"client_id": uuid(2_000), "byte_size": photo.len(), "sha256": hash, "media_type": "image/jpeg"});
    let mut sent = 0;
    loop {
        let r = send(&app, post_json("/api/v1/photos", Some(&officer), &declare)).await;
        if throttled(&r) {
            assert_eq!(json_of(&r)["code"], "throttled");
            break;
        }
        assert!(r.status.is_success(), "{}: {}", r.status, r.body);
        sent += 1;
        assert!(sent < 5_000, "the session's budget never ended");
    }
    // …while the grid worker at the same address still syncs, and pages still post.
    let mut theirs = report(&uuid(3_000), v);
    theirs["author"] = json!("gridworker");
    theirs["body"]["photos"] = json!([]);
    let pushed = push(&app, &grid, vec![theirs]).await;
    assert_eq!(pushed.status, StatusCode::OK, "{}", pushed.body);
    assert_eq!(statuses(&json_of(&pushed)), ["stored"]);
    login(&app, "agent").await;

    // Without a session the API counts against the address, like any other POST.
    let anonymous = json!({ "records": [] });
    let mut refused = false;
    for _ in 0..200 {
        let r = send(&app, post_json("/api/v1/sync/push", None, &anonymous)).await;
        if throttled(&r) {
            refused = true;
            break;
        }
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    assert!(refused, "unauthenticated API calls were never limited");
    // The grid worker's session is still its own.
    let pull = send(&app, get_with("/api/v1/sync/pull", header::COOKIE, &grid)).await;
    assert_eq!(pull.status, StatusCode::OK);
    let again = push(&app, &grid, vec![]).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
}
