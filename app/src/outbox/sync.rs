//! Sending the outbox: photos first (resumably, in 256 KB chunks, from wherever the
//! server says the upload stands), then the records in batches sized by count and bytes,
//! then a pull of what the township answered. A failed request means "offline" whatever
//! `navigator.onLine` says; the next attempt comes by itself (backoff timer, network
//! back, page visible again). A photo the server fails on waits for that attempt
//! without holding up the records after it. Only one tab syncs at a time (Web Locks).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use chrono::Utc;
use domain::field::Week;
use domain::sync::{
    Change, FieldSetup, PUSH_BUDGET, PullResponse, PushResponse, RecordOutcome, plan_batches,
};
use gloo_net::http::{Request, Response};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use leptos::prelude::*;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Entry, Outbox, OutboxError, Phase, PhotoMeta, Reason, Sent, store};

/// Photo bytes sent a request (the server's chunk limit).
const CHUNK: usize = 256 * 1024;
/// A request that has not answered by then is treated as a lost connection.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(45);
const FIRST_RETRY: Duration = Duration::from_secs(5);
const LAST_RETRY: Duration = Duration::from_secs(300);
/// How much of the sent list and the answers the phone keeps.
const KEEP_SENT: usize = 500;
const KEEP_ANSWERS: usize = 200;

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
    static FAILURES: Cell<u32> = const { Cell::new(0) };
    static RETRY: RefCell<Option<TimeoutHandle>> = const { RefCell::new(None) };
    /// Another tab's notices: 0 none pending, 1 reading the outbox again, 2 and another
    /// notice came meanwhile (a sync of many records sends one per record).
    static NOTICED: Cell<u8> = const { Cell::new(0) };
}

/// Why a sync stopped early.
#[derive(Debug)]
enum Stop {
    Offline,
    Expired,
    /// The server is busy or unreachable behind its proxy (429, 502–504): whatever is
    /// sent next would fail the same way.
    Busy,
    /// The server failed on this request (another 5xx), or an upload kept missing its
    /// offset.
    Failed,
    Local(OutboxError),
}

impl From<OutboxError> for Stop {
    fn from(e: OutboxError) -> Self {
        Stop::Local(e)
    }
}

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks.request(name, options, callback)`: web-sys has it only behind
    /// its unstable-API flag.
    #[wasm_bindgen(js_namespace = ["navigator", "locks"], js_name = request, catch)]
    fn lock_request(name: &str, options: &JsValue, callback: &Function) -> Result<Promise, JsValue>;
}

/// Wires the outbox to the page: reads it, keeps the setup, asks for persistent storage,
/// and syncs now and whenever a chance comes.
pub fn run(outbox: Outbox, setup: Option<FieldSetup>) {
    // The page's setup is the newest: the phone keeps it for pages opened offline.
    if let Some(s) = setup {
        leptos::task::spawn_local(async move {
            let _ = store::put_sealed("setup", &s).await;
        });
    }
    // Effects run only in the browser, once here (nothing is tracked).
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            reload(outbox).await;
            if outbox.setup.get_untracked().is_none()
                && let Ok(Some(s)) = store::get_sealed::<FieldSetup>("setup").await
            {
                outbox.setup.set(Some(s));
            }
            check_storage(outbox).await;
            start(outbox);
        });
    });
    store::listen(move || noticed(outbox));
    let online = window_event_listener(leptos::ev::online, move |_| start(outbox));
    let visible = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if document().visibility_state() == web_sys::VisibilityState::Visible {
            leptos::task::spawn_local(async move {
                reload(outbox).await;
                start(outbox);
            });
        }
    });
    on_cleanup(move || {
        online.remove();
        visible.remove();
    });
}

/// Another tab changed the outbox: read it again, once for any number of notices that
/// arrive while reading.
fn noticed(outbox: Outbox) {
    if NOTICED.get() > 0 {
        NOTICED.set(2);
        return;
    }
    NOTICED.set(1);
    leptos::task::spawn_local(async move {
        loop {
            reload(outbox).await;
            if NOTICED.get() == 2 {
                NOTICED.set(1);
                continue;
            }
            NOTICED.set(0);
            break;
        }
    });
}

/// Reads the outbox, the sent list and the answers from the phone's storage.
pub async fn reload(outbox: Outbox) {
    match store::all_records().await {
        Ok(entries) => {
            outbox.entries.set(entries);
            outbox.problem.set(None);
        }
        Err(e) => outbox.problem.set(Some(e)),
    }
    if let Ok(Some(sent)) = store::get_sealed::<Vec<Sent>>("sent").await {
        outbox.sent.set(sent);
    }
    if let Ok(Some(answers)) = store::get_sealed::<Vec<Change>>("answers").await {
        outbox.answers.set(answers);
    }
    outbox.loaded.set(true);
}

/// Asks the browser not to clear this site's storage under pressure, and notes when the
/// phone is nearly full.
async fn check_storage(outbox: Outbox) {
    let storage = window().navigator().storage();
    if let Ok(p) = storage.persist()
        && let Ok(granted) = JsFuture::from(p).await
    {
        outbox.not_persisted.set(granted.as_bool() != Some(true));
    }
    if let Ok(p) = storage.estimate()
        && let Ok(estimate) = JsFuture::from(p).await
    {
        let number = |name: &str| {
            Reflect::get(&estimate, &name.into())
                .ok()
                .and_then(|v| v.as_f64())
        };
        if let (Some(usage), Some(quota)) = (number("usage"), number("quota")) {
            outbox
                .storage_low
                .set(quota > 0.0 && (quota - usage < 20e6 || usage / quota > 0.9));
        }
    }
}

/// Starts a sync unless one is running in this tab (then it runs once more afterwards).
pub fn start(outbox: Outbox) {
    if RUNNING.get() {
        AGAIN.set(true);
        return;
    }
    RUNNING.set(true);
    if let Some(handle) = RETRY.with(|r| r.borrow_mut().take()) {
        handle.clear();
    }
    leptos::task::spawn_local(async move {
        loop {
            AGAIN.set(false);
            let result = locked(outbox).await;
            outbox.sending.set(Vec::new());
            reload(outbox).await;
            match result {
                Ok(()) => {
                    FAILURES.set(0);
                    outbox.phase.set(Phase::Idle);
                }
                Err(stop) => {
                    outbox.phase.set(match stop {
                        Stop::Offline => Phase::Offline,
                        Stop::Expired => Phase::Expired,
                        Stop::Busy | Stop::Failed => Phase::Failed,
                        Stop::Local(ref e) => {
                            outbox.problem.set(Some(e.clone()));
                            Phase::Failed
                        }
                    });
                    // An ended session waits for the officer to log in again.
                    if !matches!(stop, Stop::Expired) {
                        retry_later(outbox);
                    }
                }
            }
            if !AGAIN.get() {
                break;
            }
        }
        RUNNING.set(false);
    });
}

fn retry_later(outbox: Outbox) {
    let failures = FAILURES.get().saturating_add(1);
    FAILURES.set(failures);
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(10));
    let base = FIRST_RETRY.saturating_mul(factor).min(LAST_RETRY);
    // Jitter, so a village's phones that lost signal together do not return together.
    let jitter = Duration::from_millis((js_sys::Math::random() * 2000.0) as u64);
    if let Ok(handle) = set_timeout_with_handle(move || start(outbox), base + jitter) {
        RETRY.with(|r| *r.borrow_mut() = Some(handle));
    }
}

/// Runs one sync under the tab-wide lock; if another tab holds it, that tab is syncing
/// and this one does nothing.
async fn locked(outbox: Outbox) -> Result<(), Stop> {
    let has_locks = Reflect::has(&window().navigator(), &"locks".into()).unwrap_or(false);
    if !has_locks {
        return sync_once(outbox).await;
    }
    let result: Rc<RefCell<Option<Result<(), Stop>>>> = Rc::new(RefCell::new(None));
    let slot = result.clone();
    let callback = Closure::once_into_js(move |lock: JsValue| -> Promise {
        wasm_bindgen_futures::future_to_promise(async move {
            if !lock.is_null() {
                let r = sync_once(outbox).await;
                *slot.borrow_mut() = Some(r);
            }
            Ok(JsValue::UNDEFINED)
        })
    });
    let options = Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    let callback: Function = callback.unchecked_into();
    match lock_request("minqing-sync", &options, &callback) {
        Ok(promise) => {
            let _ = JsFuture::from(promise).await;
        }
        Err(_) => return sync_once(outbox).await,
    }
    result.borrow_mut().take().unwrap_or(Ok(()))
}

async fn sync_once(outbox: Outbox) -> Result<(), Stop> {
    let pending: Vec<Entry> = store::all_records()
        .await?
        .into_iter()
        .filter(|e| e.reason.is_none())
        .collect();
    let total = pending.len();
    let mut done = 0;
    if total > 0 {
        outbox.phase.set(Phase::Syncing { done, total });
    }
    // A record whose photos could not go this time stays queued for the next attempt.
    let mut held = false;
    // Records ready to push, and their sizes in a push body.
    let mut ready: Vec<Entry> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    for entry in pending {
        let id = entry.queued.id().to_owned();
        outbox.sending.update(|s| s.push(id.clone()));
        match upload_photos(&entry).await {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => {
                store::set_reason(&id, Some(&reason)).await?;
                outbox.sending.update(|s| s.retain(|x| *x != id));
                done += 1;
                outbox.phase.set(Phase::Syncing { done, total });
                continue;
            }
            // This photo's own trouble (the server failed on it, it kept missing its
            // offset, it is gone from the phone) must not hold up the records after it.
            Err(Stop::Failed | Stop::Local(OutboxError::Photo(_))) => {
                held = true;
                outbox.sending.update(|s| s.retain(|x| *x != id));
                continue;
            }
            Err(stop) => return Err(stop),
        }
        // A record with photos goes at once, so the progress follows the slow uploads;
        // the others go as soon as a batch is full.
        let at_once = !entry.queued.photos.is_empty();
        sizes.push(record_size(&entry));
        ready.push(entry);
        let full = if at_once {
            ready.len()
        } else {
            plan_batches(&sizes, PUSH_BUDGET)
                .last()
                .map_or(0, |last| last.start)
        };
        if full > 0 {
            let batch: Vec<Entry> = ready.drain(..full).collect();
            let batch_sizes: Vec<usize> = sizes.drain(..full).collect();
            done += push_planned(&batch, &batch_sizes).await?;
            outbox
                .sending
                .set(ready.iter().map(|e| e.queued.id().to_owned()).collect());
            outbox.phase.set(Phase::Syncing { done, total });
        }
    }
    if !ready.is_empty() {
        done += push_planned(&ready, &sizes).await?;
        outbox.phase.set(Phase::Syncing { done, total });
    }
    outbox.sending.set(Vec::new());
    pull(outbox).await?;
    // Sent all else; the backoff tries the held ones again.
    if held { Err(Stop::Failed) } else { Ok(()) }
}

/// A record's size in a push body (compact JSON, as `Request::json` writes it).
fn record_size(entry: &Entry) -> usize {
    serde_json::to_string(&entry.queued.record).map_or(0, |text| text.len())
}

/// The error body of the field API.
#[derive(Debug, Deserialize)]
struct ApiError {
    code: String,
    message: String,
    #[serde(default)]
    field: Option<String>,
}

/// What a response's status means for the sync: go on, or stop.
async fn check(response: Result<Response, gloo_net::Error>) -> Result<Result<Response, Reason>, Stop> {
    let response = response.map_err(|_| Stop::Offline)?;
    match response.status() {
        200..=299 => Ok(Ok(response)),
        401 => Err(Stop::Expired),
        // A refusal of this one thing: keep it with the server's reason.
        400 | 403 | 404 | 409 | 413 | 422 => {
            let reason = match response.json::<ApiError>().await {
                Ok(e) => Reason {
                    code: e.code,
                    field: e.field,
                    message: e.message,
                },
                Err(_) => Reason {
                    code: format!("http_{}", response.status()),
                    field: None,
                    message: String::new(),
                },
            };
            Ok(Err(reason))
        }
        // Busy, rate-limited or down: try everything again later.
        429 | 502..=504 => Err(Stop::Busy),
        // Failing on this request: try it again later.
        _ => Err(Stop::Failed),
    }
}

/// Aborts a request that hangs (a link that connects but carries nothing).
struct Deadline {
    controller: web_sys::AbortController,
    timer: Option<TimeoutHandle>,
}

impl Deadline {
    fn new() -> Result<Deadline, Stop> {
        let controller = web_sys::AbortController::new().map_err(|_| Stop::Failed)?;
        let c = controller.clone();
        let timer = set_timeout_with_handle(move || c.abort(), REQUEST_TIMEOUT).ok();
        Ok(Deadline { controller, timer })
    }

    fn signal(&self) -> web_sys::AbortSignal {
        self.controller.signal()
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Some(t) = self.timer.take() {
            t.clear();
        }
    }
}

#[derive(Debug, Deserialize)]
struct PhotoStatus {
    offset: i64,
    complete: bool,
}

/// Uploads a record's photos; `Ok(Err(reason))` when the server refuses one.
async fn upload_photos(entry: &Entry) -> Result<Result<(), Reason>, Stop> {
    for photo in &entry.queued.photos {
        if let Err(reason) = upload_photo(photo).await? {
            return Ok(Err(reason));
        }
    }
    Ok(Ok(()))
}

/// Uploads one photo from wherever the server has it; `Ok(Err(reason))` when the server
/// refuses it (the record is then kept with that reason).
async fn upload_photo(photo: &PhotoMeta) -> Result<Result<(), Reason>, Stop> {
    let declaration = serde_json::json!({
        "client_id": photo.id,
        "byte_size": photo.byte_size,
        "sha256": photo.sha256,
        "media_type": photo.media_type,
    });
    let deadline = Deadline::new()?;
    let request = Request::post("/api/v1/photos")
        .abort_signal(Some(&deadline.signal()))
        .json(&declaration)
        .map_err(|_| Stop::Failed)?;
    let response = match check(request.send().await).await? {
        Ok(r) => r,
        Err(reason) => return Ok(Err(reason)),
    };
    let mut status: PhotoStatus = response.json().await.map_err(|_| Stop::Offline)?;
    drop(deadline);
    if status.complete {
        return Ok(Ok(()));
    }
    let bytes = store::photo_bytes(&photo.id).await?;
    let mut mismatches = 0;
    while !status.complete {
        let start = usize::try_from(status.offset).unwrap_or(0).min(bytes.len());
        let end = (start + CHUNK).min(bytes.len());
        let chunk = Uint8Array::from(&bytes[start..end]);
        let deadline = Deadline::new()?;
        let response = Request::put(&format!("/api/v1/photos/{}", photo.id))
            .header("Upload-Offset", &start.to_string())
            .header("Content-Type", "application/octet-stream")
            .abort_signal(Some(&deadline.signal()))
            .body(chunk)
            .map_err(|_| Stop::Failed)?
            .send()
            .await;
        let response = response.map_err(|_| Stop::Offline)?;
        if response.status() == 409 {
            // The server has a different offset (an earlier chunk arrived after all, or
            // was lost): ask where it stands and go on from there.
            mismatches += 1;
            if mismatches > 3 {
                return Err(Stop::Failed);
            }
            let deadline = Deadline::new()?;
            let r = Request::get(&format!("/api/v1/photos/{}", photo.id))
                .abort_signal(Some(&deadline.signal()))
                .send()
                .await;
            match check(r).await? {
                Ok(r) => status = r.json().await.map_err(|_| Stop::Offline)?,
                Err(reason) => return Ok(Err(reason)),
            }
            continue;
        }
        match check(Ok(response)).await? {
            Ok(r) => status = r.json().await.map_err(|_| Stop::Offline)?,
            Err(reason) => return Ok(Err(reason)),
        }
    }
    Ok(Ok(()))
}

/// Pushes records (of these sizes) in the batches `plan_batches` cuts them into;
/// returns how many were answered.
async fn push_planned(entries: &[Entry], sizes: &[usize]) -> Result<usize, Stop> {
    let mut answered = 0;
    for batch in plan_batches(sizes, PUSH_BUDGET) {
        answered += push(&entries[batch]).await?;
    }
    Ok(answered)
}

/// Pushes one batch. One the server finds too large (its limit is smaller than planned
/// for) is split in halves, each pushed the same way, so only a record too large on its
/// own is kept with the reason.
async fn push(batch: &[Entry]) -> Result<usize, Stop> {
    let mut answered = 0;
    // Last in, first out: the first half goes before the second.
    let mut parts = vec![batch];
    while let Some(part) = parts.pop() {
        match push_one(part).await? {
            Some(n) => answered += n,
            None => {
                let (first, second) = part.split_at(part.len() / 2);
                parts.push(second);
                parts.push(first);
            }
        }
    }
    Ok(answered)
}

/// Pushes one batch and settles each record by its answer; returns how many were
/// answered, or None when the batch of several records was too large to be read.
async fn push_one(batch: &[Entry]) -> Result<Option<usize>, Stop> {
    let records: Vec<serde_json::Value> = batch
        .iter()
        .filter_map(|e| serde_json::to_value(&e.queued.record).ok())
        .collect();
    let deadline = Deadline::new()?;
    let request = Request::post("/api/v1/sync/push")
        .abort_signal(Some(&deadline.signal()))
        .json(&serde_json::json!({ "records": records }))
        .map_err(|_| Stop::Failed)?;
    let response = request.send().await;
    if batch.len() > 1
        && let Ok(r) = &response
        && r.status() == 413
    {
        return Ok(None);
    }
    let response = match check(response).await? {
        Ok(r) => r,
        // The whole batch refused (it did not parse, or one record alone is over the
        // limit): should not happen; keep every record.
        Err(reason) => {
            for e in batch {
                store::set_reason(e.queued.id(), Some(&reason)).await?;
            }
            return Ok(Some(batch.len()));
        }
    };
    let answer: PushResponse = response.json().await.map_err(|_| Stop::Offline)?;
    drop(deadline);
    let mut sent: Vec<Sent> = store::get_sealed("sent").await?.unwrap_or_default();
    let mut delivered = Vec::new();
    let mut answered = 0;
    for result in answer.results {
        let Some(id) = result.client_id else { continue };
        let Some(entry) = batch.iter().find(|e| e.queued.id() == id) else {
            continue;
        };
        answered += 1;
        match result.outcome {
            RecordOutcome::Stored | RecordOutcome::Duplicate => {
                sent.retain(|s| s.id != id);
                sent.insert(0, summary(entry));
                delivered.push(id);
            }
            RecordOutcome::Rejected { code, field, message } => {
                store::set_reason(&id, Some(&Reason { code, field, message })).await?;
            }
            RecordOutcome::Conflict => {
                let reason = Reason {
                    code: "conflict".into(),
                    field: None,
                    message: String::new(),
                };
                store::set_reason(&id, Some(&reason)).await?;
            }
        }
    }
    sent.truncate(KEEP_SENT);
    // The sent list before the deletions: a page closed between them (the officer moved
    // on) leaves a record both listed as sent and queued, which the next push answers
    // with "duplicate", never one that is in neither.
    store::put_sealed("sent", &sent).await?;
    for id in delivered {
        store::delete_record(&id).await?;
    }
    Ok(Some(answered))
}

fn summary(entry: &Entry) -> Sent {
    let q = &entry.queued;
    let week = match q.text("week") {
        w if !w.is_empty() => w,
        _ => chrono::DateTime::parse_from_rfc3339(&q.text("found_at"))
            .map(|t| Week::of(t.with_timezone(&Utc)).to_string())
            .unwrap_or_default(),
    };
    Sent {
        id: q.id().to_owned(),
        record_type: q.record.record_type.clone(),
        kind: q.text("kind"),
        severity: q.text("severity"),
        village_id: q
            .record
            .body
            .get("village_id")
            .and_then(serde_json::Value::as_i64),
        week,
        stored_at: super::now(),
    }
}

/// Fetches what the township answered since the last pull, and the current setup.
async fn pull(outbox: Outbox) -> Result<(), Stop> {
    let mut cursor = store::cursor().await?;
    let mut answers: Vec<Change> = store::get_sealed("answers").await?.unwrap_or_default();
    loop {
        let deadline = Deadline::new()?;
        let response = Request::get(&format!("/api/v1/sync/pull?cursor={cursor}"))
            .abort_signal(Some(&deadline.signal()))
            .send()
            .await;
        let response = match check(response).await? {
            Ok(r) => r,
            Err(_) => return Err(Stop::Failed),
        };
        let page: PullResponse = response.json().await.map_err(|_| Stop::Offline)?;
        drop(deadline);
        for change in page.changes.into_iter().rev() {
            answers.insert(0, change);
        }
        answers.truncate(KEEP_ANSWERS);
        store::put_sealed("answers", &answers).await?;
        cursor = page.next_cursor;
        store::set_cursor(cursor).await?;
        let setup = FieldSetup {
            report_kinds: page.report_kinds,
            weekly: page.weekly,
            week_field_reports: page.week_field_reports,
            server_time: page.server_time,
        };
        store::put_sealed("setup", &setup).await?;
        outbox.setup.set(Some(setup));
        if !page.more {
            break;
        }
    }
    outbox.answers.set(answers);
    Ok(())
}

/// Writes everything unsent to a JSON file for the officer to hand over by other means.
pub async fn export() -> Result<(), OutboxError> {
    let entries = store::all_records().await?;
    let mut records = Vec::with_capacity(entries.len());
    for e in &entries {
        let mut photos = Vec::new();
        for p in &e.queued.photos {
            let bytes = store::photo_bytes(&p.id).await.unwrap_or_default();
            photos.push(serde_json::json!({
                "id": p.id,
                "media_type": p.media_type,
                "sha256": p.sha256,
                "base64": super::base64(&bytes),
            }));
        }
        records.push(serde_json::json!({
            "record": e.queued.record,
            "reason": e.reason,
            "photos": photos,
        }));
    }
    let file = serde_json::json!({
        "format": "minqing-outbox/1",
        "exported_at": super::now(),
        "device_id": store::device_id().await.ok(),
        "records": records,
    });
    let text = serde_json::to_string_pretty(&file).map_err(|e| OutboxError::Storage(e.to_string()))?;
    let parts = Array::of1(&JsValue::from_str(&text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| OutboxError::Storage(super::js_error_text(&e)))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|e| OutboxError::Storage(super::js_error_text(&e)))?;
    let a: web_sys::HtmlAnchorElement = document()
        .create_element("a")
        .map_err(|e| OutboxError::Storage(super::js_error_text(&e)))?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(&format!(
        "minqing-outbox-{}.json",
        super::now().format("%Y%m%d-%H%M")
    ));
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
