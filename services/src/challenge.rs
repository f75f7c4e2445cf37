//! The public form's small challenge, needing no outside service: a sum of two digits
//! asked in words, a minimum time between loading the form and sending it, and a field
//! people never see (a honeypot). The token is signed with a server secret kept in the
//! database, so any instance can check it; it also serves as the form's one-time
//! submission key, which makes a resend the same petition.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use domain::{FieldError, Problem};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use storage::Database;

use crate::Result;

/// Sent sooner than this after loading the form: a script, not a person.
pub const MIN_FILL: Duration = Duration::seconds(3);
/// A form left open longer than this gets a fresh challenge.
pub const MAX_AGE: Duration = Duration::hours(12);

/// What the form shows and carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub token: String,
    pub a: u8,
    pub b: u8,
}

/// What came back with the form.
#[derive(Debug, Clone, Default)]
pub struct ChallengeAnswer {
    pub token: String,
    pub answer: String,
    /// The hidden field; anything in it means a robot filled the form.
    pub honeypot: String,
}

type HmacSha256 = Hmac<Sha256>;

/// The server's form secret, made on first use and shared by every instance.
pub async fn form_secret(db: &Database) -> Result<Vec<u8>> {
    let hex = db
        .secret("form_challenge", || {
            let mut bytes = [0_u8; 32];
            OsRng.fill_bytes(&mut bytes);
            URL_SAFE_NO_PAD.encode(bytes)
        })
        .await?;
    Ok(hex.into_bytes())
}

fn mac(secret: &[u8], parts: &[&str]) -> HmacSha256 {
    // HMAC takes a key of any length, so this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    for p in parts {
        m.update(p.as_bytes());
        m.update(b"|");
    }
    m
}

/// A fresh challenge. The answer is not in the token: only its signature is.
pub fn issue(secret: &[u8], now: DateTime<Utc>) -> Challenge {
    let mut bytes = [0_u8; 18];
    OsRng.fill_bytes(&mut bytes);
    let a = 1 + bytes[16] % 9;
    let b = 1 + bytes[17] % 9;
    let nonce = URL_SAFE_NO_PAD.encode(&bytes[..16]);
    let issued = now.timestamp_millis().to_string();
    let answer = (a + b).to_string();
    let sig = URL_SAFE_NO_PAD.encode(
        mac(secret, &["challenge", &issued, &nonce, &answer])
            .finalize()
            .into_bytes(),
    );
    Challenge {
        token: format!("{issued}.{nonce}.{sig}"),
        a,
        b,
    }
}

/// Checks the answer, the timing and the honeypot. Every failure is the same problem on
/// the challenge field, so a script learns nothing from which check it failed.
pub fn verify(secret: &[u8], answer: &ChallengeAnswer, now: DateTime<Utc>) -> Result<(), FieldError> {
    let wrong = || FieldError::new("challenge", Problem::WrongAnswer);
    if !answer.honeypot.trim().is_empty() {
        return Err(wrong());
    }
    let mut parts = answer.token.split('.');
    let (Some(issued), Some(nonce), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(wrong());
    };
    let issued_at = issued
        .parse::<i64>()
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .ok_or_else(wrong)?;
    if now - issued_at < MIN_FILL || now - issued_at > MAX_AGE {
        return Err(wrong());
    }
    // Phones' Chinese keyboards may type full-width digits.
    let given: String = domain::validation::half_width(&answer.answer)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| wrong())?;
    mac(secret, &["challenge", issued, nonce, &given])
        .verify_slice(&sig)
        .map_err(|_| wrong())
}

/// The query password a form's submission key stands for: the same form resent gets
/// the same password, so a person whose first answer was lost still gets a working one.
pub fn query_password_for(secret: &[u8], submission_key: &str) -> String {
    let digest = mac(secret, &["query-password", submission_key])
        .finalize()
        .into_bytes();
    password_from_bytes(&digest)
}

/// A random query password (for petitions taken in at the office).
pub fn random_query_password() -> String {
    let mut bytes = [0_u8; 32];
    OsRng.fill_bytes(&mut bytes);
    password_from_bytes(&bytes)
}

fn password_from_bytes(bytes: &[u8]) -> String {
    use domain::petition::{QUERY_PASSWORD_ALPHABET as A, QUERY_PASSWORD_LEN};
    bytes
        .iter()
        .take(QUERY_PASSWORD_LEN)
        .map(|b| char::from(A[usize::from(*b) % A.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(c: &Challenge, given: u8) -> ChallengeAnswer {
        ChallengeAnswer {
            token: c.token.clone(),
            answer: given.to_string(),
            honeypot: String::new(),
        }
    }

    #[test]
    fn a_person_who_adds_up_passes_and_a_script_does_not() {
        let secret = b"secret";
        let t0 = Utc::now();
        let c = issue(secret, t0);
        let later = t0 + Duration::seconds(30);
        assert!(verify(secret, &answer(&c, c.a + c.b), later).is_ok());
        assert!(verify(secret, &answer(&c, c.a + c.b + 1), later).is_err());
        // Too fast, too old, the honeypot filled, another server's secret, a forged token.
        assert!(verify(secret, &answer(&c, c.a + c.b), t0 + Duration::seconds(1)).is_err());
        assert!(verify(secret, &answer(&c, c.a + c.b), t0 + Duration::hours(13)).is_err());
        let mut bot = answer(&c, c.a + c.b);
        bot.honeypot = "http://spam".into();
        assert!(verify(secret, &bot, later).is_err());
        assert!(verify(b"other", &answer(&c, c.a + c.b), later).is_err());
        let forged = ChallengeAnswer {
            token: format!("{}.x.y", t0.timestamp_millis()),
            ..answer(&c, c.a + c.b)
        };
        assert!(verify(secret, &forged, later).is_err());
        // Spaces and full-width digits typed on a phone still count.
        let full_width: String = (c.a + c.b)
            .to_string()
            .chars()
            .filter_map(|d| char::from_u32(u32::from(d) - u32::from('0') + u32::from('０')))
            .collect();
        let typed = ChallengeAnswer {
            answer: format!(" {full_width} "),
            ..answer(&c, 0)
        };
        assert!(verify(secret, &typed, later).is_ok());
    }

    #[test]
    fn query_passwords_are_stable_per_form_and_readable() {
        let p = query_password_for(b"s", "form-1");
        assert_eq!(p, query_password_for(b"s", "form-1"));
        assert_ne!(p, query_password_for(b"s", "form-2"));
        assert_eq!(p.len(), domain::petition::QUERY_PASSWORD_LEN);
        assert!(
            p.bytes()
                .all(|b| domain::petition::QUERY_PASSWORD_ALPHABET.contains(&b))
        );
        assert_ne!(random_query_password(), random_query_password());
    }
}
