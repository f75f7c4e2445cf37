//! Sealing what the phone keeps: AES-GCM (256-bit) with a key made by WebCrypto as
//! non-extractable. The key lives in IndexedDB as a `CryptoKey` object, which script can
//! use but never read out, so a copy of the storage files alone does not reveal the
//! queued personal data.

use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesGcmParams, AesKeyGenParams, CryptoKey, SubtleCrypto};

use super::OutboxError;

const IV_LEN: usize = 12;

fn crypto_error(e: JsValue) -> OutboxError {
    OutboxError::Crypto(super::js_error_text(&e))
}

fn subtle() -> Result<SubtleCrypto, OutboxError> {
    let crypto = leptos::prelude::window().crypto().map_err(crypto_error)?;
    Ok(crypto.subtle())
}

/// Makes a new key that can encrypt and decrypt but never be exported.
pub async fn new_key() -> Result<CryptoKey, OutboxError> {
    let params = AesKeyGenParams::new("AES-GCM", 256);
    let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
    let promise = subtle()?
        .generate_key_with_object(&Object::from(params), false, &usages)
        .map_err(crypto_error)?;
    let key = JsFuture::from(promise).await.map_err(crypto_error)?;
    key.dyn_into::<CryptoKey>().map_err(crypto_error)
}

fn random_iv() -> Result<Vec<u8>, OutboxError> {
    let mut iv = vec![0u8; IV_LEN];
    let crypto = leptos::prelude::window().crypto().map_err(crypto_error)?;
    crypto
        .get_random_values_with_u8_array(&mut iv)
        .map_err(crypto_error)?;
    Ok(iv)
}

fn params(iv: &[u8]) -> AesGcmParams {
    AesGcmParams::new("AES-GCM", &Uint8Array::from(iv))
}

/// Encrypts `plain` under `key` with a fresh IV: `(iv, ciphertext)`.
pub async fn seal(key: &CryptoKey, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), OutboxError> {
    let iv = random_iv()?;
    // The copy keeps `plain` out of JS memory that the browser might retain.
    let data = Uint8Array::from(plain);
    let promise = subtle()?
        .encrypt_with_object_and_js_u8_array(&params(&iv), key, &data)
        .map_err(crypto_error)?;
    let sealed = JsFuture::from(promise).await.map_err(crypto_error)?;
    Ok((iv, Uint8Array::new(&sealed).to_vec()))
}

/// Decrypts what [`seal`] made; a wrong key or changed bytes fail.
pub async fn open(key: &CryptoKey, iv: &[u8], sealed: &[u8]) -> Result<Vec<u8>, OutboxError> {
    let data = Uint8Array::from(sealed);
    let promise = subtle()?
        .decrypt_with_object_and_js_u8_array(&params(iv), key, &data)
        .map_err(crypto_error)?;
    let plain = JsFuture::from(promise).await.map_err(crypto_error)?;
    Ok(Uint8Array::new(&plain).to_vec())
}

/// Lower-case hex SHA-256, as the server checks a photo.
pub async fn sha256_hex(bytes: &[u8]) -> Result<String, OutboxError> {
    let data = Uint8Array::from(bytes);
    let promise = subtle()?
        .digest_with_str_and_js_u8_array("SHA-256", &data)
        .map_err(crypto_error)?;
    let digest = JsFuture::from(promise).await.map_err(crypto_error)?;
    Ok(Uint8Array::new(&digest)
        .to_vec()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
