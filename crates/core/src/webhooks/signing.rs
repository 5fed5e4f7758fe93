//! Standard Webhooks signatures: `webhook-signature: v1,<base64 of
//! HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>`, several separated by
//! spaces while a rotated secret is still honoured, and the `whsec_`
//! secret they are made with. A receiver verifies them with any of the
//! specification's libraries, so the bytes signed here must be exactly
//! the bytes sent.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;

const PREFIX: &str = "whsec_";

/// The fewest and most bytes a secret holds (the specification asks for
/// 24 to 64).
pub const SECRET_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// The bytes of a generated secret.
pub const GENERATED_BYTES: usize = 32;

/// An endpoint's signing key. Its `Debug` prints stars, so that a logged
/// endpoint never leaks it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("secret must start with \"whsec_\"")]
    Prefix,
    #[error("secret must be \"whsec_\" and standard base64")]
    Base64,
    #[error("secret must hold 24 to 64 bytes, not {0}")]
    Length(usize),
}

impl WebhookSecret {
    /// A secret from `bytes` the caller drew at random.
    pub fn from_random(bytes: [u8; GENERATED_BYTES]) -> Self {
        WebhookSecret(bytes.to_vec())
    }

    /// Reads `whsec_` and the base64 of 24 to 64 bytes.
    pub fn parse(s: &str) -> Result<Self, SecretError> {
        let b64 = s.strip_prefix(PREFIX).ok_or(SecretError::Prefix)?;
        let bytes = STANDARD.decode(b64).map_err(|_| SecretError::Base64)?;
        if !SECRET_BYTES.contains(&bytes.len()) {
            return Err(SecretError::Length(bytes.len()));
        }
        Ok(WebhookSecret(bytes))
    }

    /// The secret as given to the consumer: `whsec_` and base64.
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// `v1,<signature>` of a message.
    pub fn sign(&self, id: &str, timestamp_secs: u64, body: &[u8]) -> String {
        format!(
            "v1,{}",
            STANDARD.encode(self.mac(id, timestamp_secs, body).finalize().into_bytes())
        )
    }

    /// Whether one of the space-separated `v1,` signatures in `header` is
    /// this secret's, compared in constant time.
    pub fn verify(&self, id: &str, timestamp_secs: u64, body: &[u8], header: &str) -> bool {
        header.split(' ').any(|sig| {
            let Some(b64) = sig.strip_prefix("v1,") else {
                return false;
            };
            let Ok(given) = STANDARD.decode(b64) else {
                return false;
            };
            self.mac(id, timestamp_secs, body)
                .verify_slice(&given)
                .is_ok()
        })
    }

    fn mac(&self, id: &str, timestamp_secs: u64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any size");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp_secs.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(****)")
    }
}

/// The `webhook-signature` header: one signature per secret still valid.
pub fn signature_header(
    secrets: &[&WebhookSecret],
    id: &str,
    timestamp_secs: u64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp_secs, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example published with the specification (and its reference
    /// libraries' tests).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: u64 = 1_614_265_330;
    const BODY: &str = r#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signs_the_published_example() {
        let s = WebhookSecret::parse(SECRET).unwrap();
        assert_eq!(s.sign(ID, TIMESTAMP, BODY.as_bytes()), SIGNATURE);
        assert!(s.verify(ID, TIMESTAMP, BODY.as_bytes(), SIGNATURE));
        assert!(!s.verify(ID, TIMESTAMP + 1, BODY.as_bytes(), SIGNATURE));
        assert_eq!(s.expose(), SECRET);
    }

    #[test]
    fn a_rotated_secret_signs_beside_the_new_one() {
        let old = WebhookSecret::parse(SECRET).unwrap();
        let new = WebhookSecret::from_random([7; GENERATED_BYTES]);
        let header = signature_header(&[&new, &old], ID, TIMESTAMP, BODY.as_bytes());
        assert!(header.ends_with(&format!(" {SIGNATURE}")), "{header}");
        assert!(new.verify(ID, TIMESTAMP, BODY.as_bytes(), &header));
        assert!(old.verify(ID, TIMESTAMP, BODY.as_bytes(), &header));
    }

    #[test]
    fn bad_secrets_say_why() {
        assert_eq!(WebhookSecret::parse("MfKQ9r8G"), Err(SecretError::Prefix));
        assert_eq!(WebhookSecret::parse("whsec_!!"), Err(SecretError::Base64));
        let short = format!("whsec_{}", STANDARD.encode([1u8; 23]));
        assert_eq!(WebhookSecret::parse(&short), Err(SecretError::Length(23)));
        let long = format!("whsec_{}", STANDARD.encode([1u8; 65]));
        assert_eq!(WebhookSecret::parse(&long), Err(SecretError::Length(65)));
        let widest = format!("whsec_{}", STANDARD.encode([1u8; 64]));
        assert!(WebhookSecret::parse(&widest).is_ok());
        let s = WebhookSecret::parse(SECRET).unwrap();
        assert_eq!(format!("{s:?}"), "WebhookSecret(****)");
    }
}
