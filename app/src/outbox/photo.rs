//! Photos are made small on the phone before they are queued: a cheap phone's camera
//! gives 3–8 MB, the village's link carries a few hundred KB a minute. Re-encoding
//! through a canvas also drops the file's metadata (GPS position, camera, owner).

use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, File, ImageBitmap, ImageEncodeOptions, OffscreenCanvas, OffscreenCanvasRenderingContext2d,
};

use super::{OutboxError, PhotoMeta, seal};

/// The longer side after scaling: enough to read a document or a face in the photo.
const MAX_SIDE: f64 = 1600.0;
/// What a photo should weigh once compressed.
const TARGET_BYTES: usize = 200 * 1024;
const QUALITIES: [f64; 5] = [0.82, 0.7, 0.58, 0.46, 0.35];

fn photo_error(e: JsValue) -> OutboxError {
    OutboxError::Photo(super::js_error_text(&e))
}

pub async fn compress(file: File) -> Result<(PhotoMeta, Vec<u8>), OutboxError> {
    let window = leptos::prelude::window();
    let promise = window.create_image_bitmap_with_blob(&file).map_err(photo_error)?;
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(photo_error)?
        .dyn_into()
        .map_err(photo_error)?;
    let (w, h) = (f64::from(bitmap.width()), f64::from(bitmap.height()));
    if w < 1.0 || h < 1.0 {
        return Err(OutboxError::Photo("empty image".into()));
    }
    let mut scale = (MAX_SIDE / w.max(h)).min(1.0);
    let mut bytes = Vec::new();
    // Lower the quality first; if even the lowest is too heavy, halve the size once.
    for _ in 0..2 {
        let (cw, ch) = ((w * scale).round().max(1.0), (h * scale).round().max(1.0));
        let canvas = OffscreenCanvas::new(cw as u32, ch as u32).map_err(photo_error)?;
        let context: OffscreenCanvasRenderingContext2d = canvas
            .get_context("2d")
            .map_err(photo_error)?
            .ok_or_else(|| OutboxError::Photo("no 2d context".into()))?
            .dyn_into()
            .map_err(|_| OutboxError::Photo("no 2d context".into()))?;
        context
            .draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, cw, ch)
            .map_err(photo_error)?;
        for quality in QUALITIES {
            let options = ImageEncodeOptions::new();
            options.set_type("image/jpeg");
            options.set_quality(quality);
            let blob: Blob = JsFuture::from(
                canvas
                    .convert_to_blob_with_options(&options)
                    .map_err(photo_error)?,
            )
            .await
            .map_err(photo_error)?
            .dyn_into()
            .map_err(photo_error)?;
            let buffer = JsFuture::from(blob.array_buffer()).await.map_err(photo_error)?;
            bytes = Uint8Array::new(&buffer).to_vec();
            if bytes.len() <= TARGET_BYTES {
                break;
            }
        }
        if bytes.len() <= TARGET_BYTES {
            break;
        }
        scale /= 2.0;
    }
    bitmap.close();
    let sha256 = seal::sha256_hex(&bytes).await?;
    let meta = PhotoMeta {
        id: super::new_id()?,
        media_type: "image/jpeg".into(),
        byte_size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        sha256,
    };
    Ok((meta, bytes))
}
