//! The field phone's outbox: every record an officer finishes is kept on the phone
//! (IndexedDB, sealed with AES-GCM under a key that cannot leave the browser) until the
//! township server answers that it has stored it, and is sent whenever a connection
//! allows (`/api/v1/sync/*`, photos resumably through `/api/v1/photos`).
//!
//! Only the browser runs the engine (`store`, `seal`, `sync`, `photo`), and it fetches
//! that code on its own, once the page is interactive (`engine`). On the server the field
//! pages render their frame with an empty outbox, and the browser fills it in after
//! hydration, so both sides render the same first HTML.

use chrono::{DateTime, Utc};
use domain::sync::{Change, FieldSetup, PushRecord, RecordType};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "hydrate")]
mod engine;
#[cfg(feature = "hydrate")]
mod photo;
#[cfg(feature = "hydrate")]
mod seal;
#[cfg(feature = "hydrate")]
mod store;
#[cfg(feature = "hydrate")]
mod sync;

/// Runs `call` in the outbox's engine, fetching the engine's code first if this page has
/// not yet.
#[cfg(feature = "hydrate")]
async fn engine(call: engine::Call) -> Result<engine::Answer, OutboxError> {
    engine::outbox_engine(call).await
}

/// The engine answered a call with the answer of another kind of call (a bug).
#[cfg(feature = "hydrate")]
fn unexpected_answer() -> OutboxError {
    OutboxError::Storage("unexpected answer from the outbox engine".into())
}

/// The message of an error thrown by the browser (a `DOMException` or `Error`), for the
/// officer and for support. Not `{:?}`: the release wasm is built without Debug output.
#[cfg(feature = "hydrate")]
fn js_error_text(e: &wasm_bindgen::JsValue) -> String {
    use wasm_bindgen::JsCast;
    if let Some(error) = e.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    e.as_string().unwrap_or_else(|| "unknown error".to_owned())
}

/// A photo taken for a record: compressed on the phone, uploaded on its own before the
/// record that names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoMeta {
    pub id: String,
    pub media_type: String,
    pub byte_size: i64,
    /// Lower-case hex SHA-256 of the bytes, as the server checks them.
    pub sha256: String,
}

/// One finished record as the phone keeps it until the server has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queued {
    pub record: PushRecord,
    pub photos: Vec<PhotoMeta>,
}

impl Queued {
    /// A finished form as this phone queues it: under `client_id`, by `author`, from this
    /// device, at the phone's time `created_at`.
    pub async fn made(
        client_id: String,
        record_type: RecordType,
        author: String,
        created_at: DateTime<Utc>,
        body: &impl Serialize,
        photos: Vec<PhotoMeta>,
    ) -> Result<Queued, OutboxError> {
        let body = serde_json::to_value(body).map_err(|e| OutboxError::Storage(e.to_string()))?;
        Ok(Queued {
            record: PushRecord {
                client_id,
                record_type: record_type.as_str().to_owned(),
                author,
                device_id: device_id().await?,
                created_at,
                body,
            },
            photos,
        })
    }

    pub fn id(&self) -> &str {
        &self.record.client_id
    }

    /// A body field as text (`kind`, `severity`, `week`, …), empty when absent.
    pub fn text(&self, field: &str) -> String {
        match self.record.body.get(field) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    }
}

/// Why the server did not take a record: its stable code, the field concerned, and its
/// message in the officer's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub field: Option<String>,
    pub message: String,
}

impl Reason {
    /// The server's reason as a field's problem, so the form can point at the field and
    /// say it in the officer's words. `None` for reasons about the whole record.
    pub fn field_error(&self) -> Option<domain::FieldError> {
        let field = self.field.as_deref()?;
        let problem = domain::Problem::ALL.into_iter().find(|p| p.code() == self.code)?;
        Some(domain::FieldError::new(field, problem))
    }
}

/// A record in the outbox: waiting to be sent, or sent back with a reason ("needs
/// attention"), which never holds up the rest of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub queued: Queued,
    pub reason: Option<Reason>,
}

/// What the phone remembers of a record the server has stored: enough to list it in the
/// week's report and to show the township's answers; nothing the officer wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub id: String,
    pub record_type: String,
    pub kind: String,
    pub severity: String,
    pub village_id: Option<i64>,
    /// The ISO week the report falls in (`2026-W48`), or the weekly report's week.
    pub week: String,
    pub stored_at: DateTime<Utc>,
}

/// Where syncing stands, as the badge and the outbox page show it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Phase {
    /// Nothing is being sent (the outbox may still hold records waiting for a chance).
    #[default]
    Idle,
    /// Sending: `done` of `total` records answered so far.
    Syncing { done: usize, total: usize },
    /// The last attempt found no connection; the next one comes by itself.
    Offline,
    /// The session has ended: the officer must log in again. Nothing is lost.
    Expired,
    /// The server failed; retried later.
    Failed,
}

/// Why the outbox could not do something, in the layer's own terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboxError {
    #[error("the phone's storage failed: {0}")]
    Storage(String),
    #[error("the phone's encryption failed: {0}")]
    Crypto(String),
    #[error("the photo could not be read: {0}")]
    Photo(String),
    #[error("the phone's storage is full")]
    Full,
    #[error("not in a browser")]
    NoBrowser,
}

/// The outbox of this phone, shared by the field pages.
#[derive(Clone, Copy)]
pub struct Outbox {
    /// Everything not yet stored by the server, oldest first.
    pub entries: RwSignal<Vec<Entry>>,
    /// Records the server has stored, newest first (a few weeks' worth).
    pub sent: RwSignal<Vec<Sent>>,
    /// The township's answers to this officer's reports, newest first.
    pub answers: RwSignal<Vec<Change>>,
    /// Kinds and villages: from the server with the page, else the phone's last copy.
    pub setup: RwSignal<Option<FieldSetup>>,
    pub phase: RwSignal<Phase>,
    /// The outbox has been read from the phone's storage (until then counts are unknown).
    pub loaded: RwSignal<bool>,
    /// The phone's storage is nearly full.
    pub storage_low: RwSignal<bool>,
    /// The browser may clear this site's storage under pressure (persistence refused).
    pub not_persisted: RwSignal<bool>,
    /// The records being sent right now.
    pub sending: RwSignal<Vec<String>>,
    /// A storage or encryption failure, shown until the next success.
    pub problem: RwSignal<Option<OutboxError>>,
}

impl Outbox {
    /// Records waiting or needing attention: the badge's number.
    pub fn unsent(&self) -> usize {
        self.entries.with(Vec::len)
    }

    /// Starts a sync now unless one is running (in this tab or another).
    pub fn sync_now(self) {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let _ = engine(engine::Call::SyncNow(self)).await;
        });
    }

    /// Keeps a finished record on the phone, then tries to send it. Resolves only once the
    /// record is safely stored in IndexedDB.
    /// Its photos were kept on the phone as they were picked ([`keep_photo`]); a record
    /// sent back and fixed goes in again under its own id (the server keeps no receipt of
    /// a record it rejected), replacing the old one and its reason.
    pub async fn add(self, queued: Queued) -> Result<(), OutboxError> {
        #[cfg(feature = "hydrate")]
        {
            engine(engine::Call::Add(self, queued)).await.map(drop)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = queued;
            Err(OutboxError::NoBrowser)
        }
    }

    /// Sends a rejected record again as it is (for instance after the kinds list changed back).
    pub async fn retry(self, id: String) -> Result<(), OutboxError> {
        #[cfg(feature = "hydrate")]
        {
            engine(engine::Call::Retry(self, id)).await.map(drop)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = id;
            Err(OutboxError::NoBrowser)
        }
    }

    /// The officer deletes a record that should not be sent after all.
    pub async fn discard(self, id: String) -> Result<(), OutboxError> {
        #[cfg(feature = "hydrate")]
        {
            engine(engine::Call::Discard(self, id)).await.map(drop)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = id;
            Err(OutboxError::NoBrowser)
        }
    }

    /// Reads the outbox, the sent list and the answers again from the phone's storage.
    pub async fn reload(self) {
        #[cfg(feature = "hydrate")]
        if let Err(e) = engine(engine::Call::Reload(self)).await {
            self.problem.set(Some(e));
        }
    }

    /// Deletes everything this site keeps on the phone: outbox, photos, drafts, the key,
    /// and the saved field pages. Used on logout, after the officer has been warned.
    pub async fn wipe(self) -> Result<(), OutboxError> {
        #[cfg(feature = "hydrate")]
        {
            engine(engine::Call::WipePhone).await?;
            self.entries.set(Vec::new());
            self.sent.set(Vec::new());
            self.answers.set(Vec::new());
            Ok(())
        }
        #[cfg(not(feature = "hydrate"))]
        Err(OutboxError::NoBrowser)
    }
}

/// Creates the outbox for the field area and, in the browser, reads it from storage,
/// asks for persistent storage, and starts syncing on every occasion: now, when the
/// network returns, when the page becomes visible again, and on a backoff timer.
pub fn provide_outbox(setup: Option<FieldSetup>) -> Outbox {
    let outbox = Outbox {
        entries: RwSignal::new(Vec::new()),
        sent: RwSignal::new(Vec::new()),
        answers: RwSignal::new(Vec::new()),
        setup: RwSignal::new(setup.clone()),
        phase: RwSignal::new(Phase::Idle),
        loaded: RwSignal::new(false),
        storage_low: RwSignal::new(false),
        not_persisted: RwSignal::new(false),
        sending: RwSignal::new(Vec::new()),
        problem: RwSignal::new(None),
    };
    provide_context(outbox);
    // The engine fills the outbox from the phone's storage, which changes what the field
    // islands show: it starts once they have hydrated what the server sent. Its code is
    // fetched then, not before: the page is interactive without it.
    #[cfg(feature = "hydrate")]
    crate::components::island::after_hydration(move || {
        let Some(owner) = Owner::current() else { return };
        leptos::task::spawn_local(async move {
            if let Err(e) = engine(engine::Call::Run(owner, outbox, setup)).await {
                outbox.problem.set(Some(e));
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = setup;
    outbox
}

pub fn use_outbox() -> Option<Outbox> {
    use_context::<Outbox>()
}

/// How many records this phone still holds unsent, read straight from storage (the
/// logout button asks this outside the field area). Zero where there is no storage.
pub async fn unsent_on_this_phone() -> usize {
    #[cfg(feature = "hydrate")]
    {
        match engine(engine::Call::UnsentOnPhone).await {
            Ok(engine::Answer::Count(n)) => n,
            _ => 0,
        }
    }
    #[cfg(not(feature = "hydrate"))]
    0
}

/// Deletes everything this site keeps on the phone (see [`Outbox::wipe`]).
pub async fn wipe_phone() -> Result<(), OutboxError> {
    #[cfg(feature = "hydrate")]
    {
        engine(engine::Call::WipePhone).await.map(drop)
    }
    #[cfg(not(feature = "hydrate"))]
    Err(OutboxError::NoBrowser)
}

/// Keeps a photo the officer just picked, so a draft survives a closed tab with its photos.
pub async fn keep_photo(meta: &PhotoMeta, bytes: &[u8]) -> Result<(), OutboxError> {
    #[cfg(feature = "hydrate")]
    {
        engine(engine::Call::KeepPhoto(meta.clone(), bytes.to_vec()))
            .await
            .map(drop)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (meta, bytes);
        Err(OutboxError::NoBrowser)
    }
}

/// Saves what the officer has typed so far (sealed), so a closed tab or a flat battery
/// loses nothing. `form` names the form (`report`, `weekly`).
pub fn save_draft<T: Serialize + 'static>(form: &'static str, draft: T) {
    #[cfg(feature = "hydrate")]
    {
        let draft = match serde_json::to_value(draft) {
            Ok(draft) => draft,
            Err(e) => {
                leptos::logging::warn!("draft not saved: {e}");
                return;
            }
        };
        leptos::task::spawn_local(async move {
            if let Err(e) = engine(engine::Call::SaveDraft(form, draft)).await {
                leptos::logging::warn!("draft not saved: {e}");
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (form, draft);
}

/// The draft saved for `form`, if any.
pub async fn load_draft<T: for<'de> Deserialize<'de>>(form: &'static str) -> Option<T> {
    #[cfg(feature = "hydrate")]
    {
        match engine(engine::Call::LoadDraft(form)).await {
            Ok(engine::Answer::Draft(Some(draft))) => serde_json::from_value(draft).ok(),
            _ => None,
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = form;
        None
    }
}

pub async fn clear_draft(form: &'static str) {
    #[cfg(feature = "hydrate")]
    if let Err(e) = engine(engine::Call::ClearDraft(form)).await {
        leptos::logging::warn!("draft not cleared: {e}");
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = form;
}

/// This phone's id, made once and kept (it tells the township which device a record came from).
pub async fn device_id() -> Result<String, OutboxError> {
    #[cfg(feature = "hydrate")]
    {
        match engine(engine::Call::DeviceId).await? {
            engine::Answer::DeviceId(id) => Ok(id),
            _ => Err(unexpected_answer()),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    Err(OutboxError::NoBrowser)
}

/// A fresh client UUID for a record or photo (the browser's own generator).
pub fn new_id() -> Result<String, OutboxError> {
    #[cfg(feature = "hydrate")]
    {
        let crypto = window().crypto().map_err(|_| OutboxError::NoBrowser)?;
        Ok(crypto.random_uuid())
    }
    #[cfg(not(feature = "hydrate"))]
    Err(OutboxError::NoBrowser)
}

/// Compresses a photo the officer picked to about 200 KB (JPEG, metadata dropped by the
/// re-encoding: no GPS or camera details leave the phone inside the file).
pub async fn compress_photo(file: web_sys::File) -> Result<(PhotoMeta, Vec<u8>), OutboxError> {
    #[cfg(feature = "hydrate")]
    {
        match engine(engine::Call::CompressPhoto(file)).await? {
            engine::Answer::Photo(meta, bytes) => Ok((meta, bytes)),
            _ => Err(unexpected_answer()),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = file;
        Err(OutboxError::NoBrowser)
    }
}

/// Writes every unsent record (and the sent list) to a JSON file the officer can hand
/// over when the phone cannot sync at all. Photos are included as base64.
pub async fn export() -> Result<(), OutboxError> {
    #[cfg(feature = "hydrate")]
    {
        engine(engine::Call::Export).await.map(drop)
    }
    #[cfg(not(feature = "hydrate"))]
    Err(OutboxError::NoBrowser)
}

/// The phone's clock now. (chrono's own clock is not wired to the browser in this build.)
pub fn now() -> DateTime<Utc> {
    #[cfg(feature = "hydrate")]
    {
        DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    Utc::now()
}

/// Now as a `datetime-local` value in the phone's time zone (`2026-12-02T09:30`).
pub fn now_local() -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new_0();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            d.get_full_year(),
            d.get_month() + 1,
            d.get_date(),
            d.get_hours(),
            d.get_minutes()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// A `datetime-local` value, read in the phone's time zone, as RFC 3339 (UTC).
pub fn local_to_rfc3339(local: &str) -> Option<String> {
    if local.trim().is_empty() {
        return None;
    }
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local.trim()));
        let ms = d.get_time();
        if ms.is_nan() {
            return Some(local.to_owned());
        }
        DateTime::from_timestamp_millis(ms as i64).map(|t| t.to_rfc3339())
    }
    #[cfg(not(feature = "hydrate"))]
    Some(local.to_owned())
}

/// The reverse of [`local_to_rfc3339`], to show a stored time in the form again.
pub fn rfc3339_to_local(rfc: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc));
        if d.get_time().is_nan() {
            return String::new();
        }
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            d.get_full_year(),
            d.get_month() + 1,
            d.get_date(),
            d.get_hours(),
            d.get_minutes()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = rfc;
        String::new()
    }
}

/// Asks the phone for its position once: `(latitude, longitude, accuracy in metres)`,
/// or `None` when refused or unavailable (the report can go without it).
pub fn locate(done: impl Fn(Option<(f64, f64, Option<f64>)>) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use std::rc::Rc;
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let done = Rc::new(done);
        let Ok(geolocation) = window().navigator().geolocation() else {
            done(None);
            return;
        };
        let ok_done = done.clone();
        let ok = Closure::once_into_js(move |p: web_sys::Position| {
            let c = p.coords();
            ok_done(Some((c.latitude(), c.longitude(), Some(c.accuracy()))));
        });
        let fail = Closure::once_into_js(move |_e: wasm_bindgen::JsValue| done(None));
        let options = web_sys::PositionOptions::new();
        options.set_enable_high_accuracy(true);
        options.set_timeout(20_000);
        let _ = geolocation.get_current_position_with_error_callback_and_options(
            ok.unchecked_ref(),
            Some(fail.unchecked_ref()),
            &options,
        );
    }
    #[cfg(not(feature = "hydrate"))]
    done(None);
}

/// An object URL showing a picked photo in the form (not stored; gone with the page).
pub fn preview_url(bytes: &[u8]) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("image/jpeg");
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
        web_sys::Url::create_object_url_with_blob(&blob).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = bytes;
        None
    }
}

/// Standard base64 with padding, for photos in an exported outbox file.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(super::base64(&[0xff, 0xfe]), "//4=");
    }
}
