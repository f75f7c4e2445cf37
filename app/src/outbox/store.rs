//! The phone's IndexedDB database `minqing`:
//! - `outbox`: one entry per unsent record, keyed by its client UUID: the sealed record,
//!   the server's reason when it was sent back, and its photos' ids;
//! - `photos`: each photo's sealed bytes, keyed by the photo's client UUID;
//! - `sealed`: small sealed values by name (drafts, the field setup, the sent list, answers);
//! - `meta`: the sealing key (a non-extractable `CryptoKey`), the device id, the pull cursor.
//!
//! Everything is sealed before a transaction opens: an IndexedDB transaction ends as soon
//! as it waits on anything else, so none spans an `await` on WebCrypto.

use std::cell::RefCell;

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{
    Transaction, TransactionDurability, TransactionMode, TransactionOptions,
};
use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::CryptoKey;

use super::{Entry, OutboxError, PhotoMeta, Queued, Reason, seal};

const DB_NAME: &str = "minqing";
const OUTBOX: &str = "outbox";
const PHOTOS: &str = "photos";
const SEALED: &str = "sealed";
const META: &str = "meta";

/// The channel on which this site's tabs tell each other that the outbox changed.
const CHANGES: &str = "minqing-outbox";

thread_local! {
    static DB: RefCell<Option<Database>> = const { RefCell::new(None) };
    static KEY: RefCell<Option<CryptoKey>> = const { RefCell::new(None) };
    static NOTICES: RefCell<Option<BroadcastChannel>> = const { RefCell::new(None) };
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The browser's `BroadcastChannel` (bound here rather than through a web-sys
    /// feature, which would rebuild the whole dependency tree for three calls).
    type BroadcastChannel;
    #[wasm_bindgen(constructor, catch)]
    fn new(name: &str) -> Result<BroadcastChannel, JsValue>;
    #[wasm_bindgen(method, js_name = postMessage, catch)]
    fn post_message(this: &BroadcastChannel, message: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, setter)]
    fn set_onmessage(this: &BroadcastChannel, handler: &js_sys::Function);
}

/// Calls `changed` whenever another tab of this site changes the outbox, the sent list
/// or the answers, so every open tab shows the phone's true state.
pub fn listen(changed: impl Fn() + 'static) {
    use wasm_bindgen::closure::Closure;
    let Ok(channel) = BroadcastChannel::new(CHANGES) else {
        return;
    };
    let on_message = Closure::<dyn Fn(JsValue)>::new(move |_: JsValue| changed());
    channel.set_onmessage(on_message.as_ref().unchecked_ref());
    // The channel lives as long as the page.
    on_message.forget();
    NOTICES.with(|n| *n.borrow_mut() = Some(channel));
}

/// Tells the other tabs that the outbox changed (a tab does not hear its own notices).
fn announce() {
    NOTICES.with(|n| {
        if let Some(channel) = n.borrow().as_ref() {
            let _ = channel.post_message(&JsValue::from_str("changed"));
        }
    });
}

fn storage_error(e: impl std::fmt::Display) -> OutboxError {
    let text = e.to_string();
    if text.contains("QuotaExceeded") {
        OutboxError::Full
    } else {
        OutboxError::Storage(text)
    }
}

async fn db() -> Result<Database, OutboxError> {
    if let Some(db) = DB.with(|d| d.borrow().clone()) {
        return Ok(db);
    }
    let db = Database::open(DB_NAME)
        .with_version(1u8)
        .with_on_upgrade_needed(|event, db| {
            if event.old_version() < 1.0 {
                for store in [OUTBOX, PHOTOS, SEALED, META] {
                    db.create_object_store(store).build()?;
                }
            }
            Ok(())
        })
        .await
        .map_err(storage_error)?;
    DB.with(|d| *d.borrow_mut() = Some(db.clone()));
    Ok(db)
}

/// A read-write transaction over `stores`, flushed to disk before it reports success
/// ("strict": the browser's default may acknowledge a write still in its cache). It rolls
/// back unless committed.
fn writing<'a>(db: &'a Database, stores: &[&str]) -> Result<Transaction<'a>, OutboxError> {
    db.transaction(stores)
        .with_mode(TransactionMode::Readwrite)
        .with_options(TransactionOptions::new().with_durability(TransactionDurability::Strict))
        .build()
        .map_err(storage_error)
}

fn field(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn bytes(value: &JsValue, name: &str) -> Result<Vec<u8>, OutboxError> {
    field(value, name)
        .dyn_into::<Uint8Array>()
        .map(|a| a.to_vec())
        .map_err(|_| OutboxError::Storage(format!("entry without {name}")))
}

fn object(pairs: &[(&str, JsValue)]) -> Result<JsValue, OutboxError> {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v)
            .map_err(|e| OutboxError::Storage(super::js_error_text(&e)))?;
    }
    Ok(o.into())
}

/// The sealing key, made on first use. Two tabs may race to make it: `add` lets only
/// one win, and the loser reads the winner's key, so nothing is ever sealed under a key
/// that is then overwritten.
async fn key() -> Result<CryptoKey, OutboxError> {
    if let Some(k) = KEY.with(|k| k.borrow().clone()) {
        return Ok(k);
    }
    let db = db().await?;
    let stored = {
        let tx = db.transaction(META).build().map_err(storage_error)?;
        let store = tx.object_store(META).map_err(storage_error)?;
        let v: Option<JsValue> = store.get("key").await.map_err(storage_error)?;
        v
    };
    let key = match stored.and_then(|v| v.dyn_into::<CryptoKey>().ok()) {
        Some(k) => k,
        None => {
            let fresh = seal::new_key().await?;
            let tx = writing(&db, &[META])?;
            let store = tx.object_store(META).map_err(storage_error)?;
            let added = store.add(JsValue::from(fresh.clone())).with_key("key").await;
            match added {
                Ok(_) => {
                    tx.commit().await.map_err(storage_error)?;
                    fresh
                }
                Err(_) => {
                    drop(store);
                    drop(tx);
                    let tx = db.transaction(META).build().map_err(storage_error)?;
                    let store = tx.object_store(META).map_err(storage_error)?;
                    let v: Option<JsValue> = store.get("key").await.map_err(storage_error)?;
                    v.and_then(|v| v.dyn_into::<CryptoKey>().ok())
                        .ok_or_else(|| OutboxError::Crypto("no key".into()))?
                }
            }
        }
    };
    KEY.with(|k| *k.borrow_mut() = Some(key.clone()));
    Ok(key)
}

async fn seal_json<T: Serialize>(value: &T) -> Result<JsValue, OutboxError> {
    let json = serde_json::to_vec(value).map_err(|e| OutboxError::Storage(e.to_string()))?;
    seal_bytes(&json).await
}

async fn seal_bytes(plain: &[u8]) -> Result<JsValue, OutboxError> {
    let (iv, ct) = seal::seal(&key().await?, plain).await?;
    object(&[
        ("iv", Uint8Array::from(&iv[..]).into()),
        ("ct", Uint8Array::from(&ct[..]).into()),
    ])
}

async fn open_bytes(value: &JsValue) -> Result<Vec<u8>, OutboxError> {
    seal::open(&key().await?, &bytes(value, "iv")?, &bytes(value, "ct")?).await
}

async fn open_json<T: for<'de> Deserialize<'de>>(value: &JsValue) -> Result<T, OutboxError> {
    let plain = open_bytes(value).await?;
    serde_json::from_slice(&plain).map_err(|e| OutboxError::Storage(e.to_string()))
}

async fn get(store_name: &str, key: &str) -> Result<Option<JsValue>, OutboxError> {
    let db = db().await?;
    let tx = db.transaction(store_name).build().map_err(storage_error)?;
    let store = tx.object_store(store_name).map_err(storage_error)?;
    let v: Option<JsValue> = store.get(key).await.map_err(storage_error)?;
    Ok(v)
}

async fn put(store_name: &str, key: &str, value: JsValue) -> Result<(), OutboxError> {
    let db = db().await?;
    let tx = writing(&db, &[store_name])?;
    let store = tx.object_store(store_name).map_err(storage_error)?;
    store.put(value).with_key(key).await.map_err(storage_error)?;
    tx.commit().await.map_err(storage_error)
}

pub async fn put_sealed<T: Serialize>(name: &str, value: &T) -> Result<(), OutboxError> {
    let sealed = seal_json(value).await?;
    put(SEALED, name, sealed).await?;
    // The sent list and the township's answers show in every tab; drafts and the setup
    // are this tab's own business.
    if matches!(name, "sent" | "answers") {
        announce();
    }
    Ok(())
}

pub async fn get_sealed<T: for<'de> Deserialize<'de>>(name: &str) -> Result<Option<T>, OutboxError> {
    match get(SEALED, name).await? {
        Some(v) => open_json(&v).await.map(Some),
        None => Ok(None),
    }
}

pub async fn delete_sealed(name: &str) -> Result<(), OutboxError> {
    let db = db().await?;
    let tx = writing(&db, &[SEALED])?;
    let store = tx.object_store(SEALED).map_err(storage_error)?;
    store.delete(name).await.map_err(storage_error)?;
    tx.commit().await.map_err(storage_error)
}

/// Stores a finished record (its photos are stored already, as they were picked), with
/// no reason: a fixed record goes back into the queue.
pub async fn put_record(queued: &Queued) -> Result<(), OutboxError> {
    let sealed = seal_json(queued).await?;
    let photo_ids = Array::new();
    for p in &queued.photos {
        photo_ids.push(&JsValue::from_str(&p.id));
    }
    let entry = object(&[
        ("iv", field(&sealed, "iv")),
        ("ct", field(&sealed, "ct")),
        ("reason", JsValue::NULL),
        ("photos", photo_ids.into()),
        (
            "created",
            JsValue::from_f64(queued.record.created_at.timestamp_millis() as f64),
        ),
    ])?;
    put(OUTBOX, queued.id(), entry).await?;
    announce();
    Ok(())
}

/// Every unsent record, oldest first. An entry that can no longer be opened (its key was
/// lost with cleared site data) is reported, not silently skipped.
pub async fn all_records() -> Result<Vec<Entry>, OutboxError> {
    let raw: Vec<JsValue> = {
        let db = db().await?;
        let tx = db.transaction(OUTBOX).build().map_err(storage_error)?;
        let store = tx.object_store(OUTBOX).map_err(storage_error)?;
        let all = store.get_all().await.map_err(storage_error)?;
        all.collect::<Result<Vec<JsValue>, _>>().map_err(storage_error)?
    };
    let mut out = Vec::with_capacity(raw.len());
    for v in raw {
        let queued: Queued = open_json(&v).await?;
        let reason = field(&v, "reason")
            .as_string()
            .and_then(|s| serde_json::from_str::<Reason>(&s).ok());
        out.push(Entry { queued, reason });
    }
    out.sort_by_key(|e| e.queued.record.created_at);
    Ok(out)
}

/// Marks a record as sent back by the server, with its reason; it stays on the phone.
pub async fn set_reason(id: &str, reason: Option<&Reason>) -> Result<(), OutboxError> {
    let Some(entry) = get(OUTBOX, id).await? else {
        return Ok(());
    };
    let value = match reason {
        Some(r) => {
            JsValue::from_str(&serde_json::to_string(r).map_err(|e| OutboxError::Storage(e.to_string()))?)
        }
        None => JsValue::NULL,
    };
    Reflect::set(&entry, &JsValue::from_str("reason"), &value)
        .map_err(|e| OutboxError::Storage(super::js_error_text(&e)))?;
    put(OUTBOX, id, entry).await?;
    announce();
    Ok(())
}

pub async fn clear_reason(id: &str) -> Result<(), OutboxError> {
    set_reason(id, None).await
}

/// Forgets a record and its photos (once the server has stored it, or when the officer
/// discards it).
pub async fn delete_record(id: &str) -> Result<(), OutboxError> {
    let Some(entry) = get(OUTBOX, id).await? else {
        return Ok(());
    };
    let photo_ids: Vec<String> = field(&entry, "photos")
        .dyn_into::<Array>()
        .map(|a| a.iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    let db = db().await?;
    let tx = writing(&db, &[OUTBOX, PHOTOS])?;
    let outbox = tx.object_store(OUTBOX).map_err(storage_error)?;
    let photos = tx.object_store(PHOTOS).map_err(storage_error)?;
    outbox.delete(id).await.map_err(storage_error)?;
    for p in &photo_ids {
        photos.delete(p.as_str()).await.map_err(storage_error)?;
    }
    tx.commit().await.map_err(storage_error)?;
    announce();
    Ok(())
}

pub async fn put_photo(meta: &PhotoMeta, data: &[u8]) -> Result<(), OutboxError> {
    let sealed = seal_bytes(data).await?;
    put(PHOTOS, &meta.id, sealed).await
}

pub async fn photo_bytes(id: &str) -> Result<Vec<u8>, OutboxError> {
    match get(PHOTOS, id).await? {
        Some(v) => open_bytes(&v).await,
        None => Err(OutboxError::Photo(format!("photo {id} is not on the phone"))),
    }
}

/// This phone's id: made once, kept until the phone's data is wiped.
pub async fn device_id() -> Result<String, OutboxError> {
    if let Some(id) = get(META, "device").await?.and_then(|v| v.as_string()) {
        return Ok(id);
    }
    let fresh = super::new_id()?;
    let db = db().await?;
    let tx = writing(&db, &[META])?;
    let store = tx.object_store(META).map_err(storage_error)?;
    if store.add(fresh.as_str()).with_key("device").await.is_ok() {
        tx.commit().await.map_err(storage_error)?;
        return Ok(fresh);
    }
    drop(store);
    drop(tx);
    get(META, "device")
        .await?
        .and_then(|v| v.as_string())
        .ok_or_else(|| OutboxError::Storage("no device id".into()))
}

pub async fn cursor() -> Result<i64, OutboxError> {
    Ok(get(META, "cursor")
        .await?
        .and_then(|v| v.as_f64())
        .map_or(0, |c| c as i64))
}

pub async fn set_cursor(cursor: i64) -> Result<(), OutboxError> {
    put(META, "cursor", JsValue::from_f64(cursor as f64)).await
}

/// Empties every store (the key included), then forgets the saved field pages. Stores
/// are cleared rather than the database deleted: a deletion would wait for every other
/// open tab to let go of it.
pub async fn wipe() -> Result<(), OutboxError> {
    let db = db().await?;
    let tx = writing(&db, &[OUTBOX, PHOTOS, SEALED, META])?;
    for name in [OUTBOX, PHOTOS, SEALED, META] {
        tx.object_store(name)
            .map_err(storage_error)?
            .clear()
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
    }
    tx.commit().await.map_err(storage_error)?;
    KEY.with(|k| *k.borrow_mut() = None);
    announce();
    forget_saved_pages().await;
    Ok(())
}

/// Deletes the field and account pages the service worker saved for offline use: they
/// carry the officer's name and villages.
async fn forget_saved_pages() {
    use wasm_bindgen_futures::JsFuture;
    let Ok(caches) = leptos::prelude::window().caches() else {
        return;
    };
    let Ok(names) = JsFuture::from(caches.keys()).await else {
        return;
    };
    for name in Array::from(&names).iter().filter_map(|n| n.as_string()) {
        if !name.starts_with("minqing-") {
            continue;
        }
        let Ok(cache) = JsFuture::from(caches.open(&name)).await else {
            continue;
        };
        let cache: web_sys::Cache = cache.unchecked_into();
        let Ok(requests) = JsFuture::from(cache.keys()).await else {
            continue;
        };
        for request in Array::from(&requests).iter() {
            let request: web_sys::Request = request.unchecked_into();
            let url = request.url();
            let path = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
            let path = path.find('/').map_or("/", |i| &path[i..]);
            if path.starts_with("/field") || path.starts_with("/account") {
                let _ = JsFuture::from(cache.delete_with_request(&request)).await;
            }
        }
    }
}
