//! The engine behind the outbox (storage, encryption, sync, photos) as one piece of code
//! the browser fetches on its own: `#[lazy]` makes [`outbox_engine`] a wasm chunk of its
//! own, so the field pages' islands hydrate (and the officer can type) without it. The
//! first call loads it; the field area makes that call as soon as its page is
//! interactive, so by the time a form is sent the engine is normally there.
//!
//! Every way into the engine is a [`Call`]; `outbox/mod.rs` wraps each in a typed
//! function, so the rest of the app never sees this module.

use leptos::prelude::*;

use super::{Outbox, OutboxError, PhotoMeta, Queued, photo, store, sync};
use domain::sync::FieldSetup;

/// What the outbox asks of its engine.
pub enum Call {
    /// Wire the outbox to the page (read it, keep the page's setup, sync on every
    /// occasion), under the field area's owner.
    Run(Owner, Outbox, Option<FieldSetup>),
    Add(Outbox, Queued),
    Retry(Outbox, String),
    Discard(Outbox, String),
    Reload(Outbox),
    SyncNow(Outbox),
    UnsentOnPhone,
    WipePhone,
    KeepPhoto(PhotoMeta, Vec<u8>),
    SaveDraft(&'static str, serde_json::Value),
    LoadDraft(&'static str),
    ClearDraft(&'static str),
    DeviceId,
    CompressPhoto(web_sys::File),
    Export,
}

/// What the engine answers, by the kind of call.
pub enum Answer {
    Done,
    Count(usize),
    Draft(Option<serde_json::Value>),
    DeviceId(String),
    Photo(PhotoMeta, Vec<u8>),
}

fn draft_key(form: &str) -> String {
    format!("draft:{form}")
}

#[leptos::lazy]
pub async fn outbox_engine(call: Call) -> Result<Answer, OutboxError> {
    match call {
        Call::Run(owner, outbox, setup) => {
            owner.with(|| sync::run(outbox, setup));
            Ok(Answer::Done)
        }
        Call::Add(outbox, queued) => {
            store::put_record(&queued).await?;
            sync::reload(outbox).await;
            sync::start(outbox);
            Ok(Answer::Done)
        }
        Call::Retry(outbox, id) => {
            store::clear_reason(&id).await?;
            sync::reload(outbox).await;
            sync::start(outbox);
            Ok(Answer::Done)
        }
        Call::Discard(outbox, id) => {
            store::delete_record(&id).await?;
            sync::reload(outbox).await;
            Ok(Answer::Done)
        }
        Call::Reload(outbox) => {
            sync::reload(outbox).await;
            Ok(Answer::Done)
        }
        Call::SyncNow(outbox) => {
            sync::start(outbox);
            Ok(Answer::Done)
        }
        Call::UnsentOnPhone => Ok(Answer::Count(store::all_records().await.map_or(0, |e| e.len()))),
        Call::WipePhone => store::wipe().await.map(|()| Answer::Done),
        Call::KeepPhoto(meta, bytes) => store::put_photo(&meta, &bytes).await.map(|()| Answer::Done),
        Call::SaveDraft(form, draft) => store::put_sealed(&draft_key(form), &draft)
            .await
            .map(|()| Answer::Done),
        Call::LoadDraft(form) => store::get_sealed(&draft_key(form)).await.map(Answer::Draft),
        Call::ClearDraft(form) => store::delete_sealed(&draft_key(form))
            .await
            .map(|()| Answer::Done),
        Call::DeviceId => store::device_id().await.map(Answer::DeviceId),
        Call::CompressPhoto(file) => photo::compress(file)
            .await
            .map(|(meta, bytes)| Answer::Photo(meta, bytes)),
        Call::Export => sync::export().await.map(|()| Answer::Done),
    }
}
