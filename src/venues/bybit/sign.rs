//! Bybit v5 request signing (PROTOCOLS.md §6.5, as pybit 5.17.0 sends it):
//! the string `timestamp + apiKey + recvWindow + queryString` (GET) or
//! `... + body` (POST), signed HMAC-SHA256 (lowercase hex) or RSA-SHA256
//! PKCS#1 v1.5 (base64).

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The string to sign. `query_or_body` is the query exactly as sent (no
/// `?`; empty when none) or the exact body bytes.
pub fn payload(
    timestamp_ms: &str,
    api_key: &str,
    recv_window: &str,
    query_or_body: &str,
) -> String {
    format!("{timestamp_ms}{api_key}{recv_window}{query_or_body}")
}

/// The query pybit sends: keys sorted, `k=v` joined by `&`, values raw
/// (not percent-encoded: `coin=USDT,BTC`).
pub fn query(params: &[(&str, &str)]) -> String {
    let mut p: Vec<_> = params.to_vec();
    p.sort_by(|a, b| a.0.cmp(b.0));
    p.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// HMAC key: lowercase hex of HMAC-SHA256(secret, payload).
pub fn hmac_hex(secret: &str, payload: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(payload.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A parsed RSA private key (PKCS#8 or PKCS#1 PEM). Debug never shows it.
#[derive(Clone)]
pub struct RsaKey(std::sync::Arc<rsa::pkcs1v15::SigningKey<rsa::sha2::Sha256>>);

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaKey(<redacted>)")
    }
}

impl RsaKey {
    /// Parse a PEM private key; the error says what was expected, never
    /// echoing the key.
    pub fn from_pem(pem: &str) -> Result<RsaKey, String> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        let pem = pem.trim();
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|_| {
                "expected an RSA private key in PEM (\"-----BEGIN PRIVATE KEY-----\" or \"-----BEGIN RSA PRIVATE KEY-----\")".to_string()
            })?;
        Ok(RsaKey(std::sync::Arc::new(rsa::pkcs1v15::SigningKey::new(
            key,
        ))))
    }

    /// Whether `signature_b64` is this key's signature of `payload` (what
    /// Bybit checks with the registered public key; the simulator uses it).
    pub fn verifies(&self, payload: &str, signature_b64: &str) -> bool {
        use rsa::signature::{Keypair, Verifier};
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature_b64) else {
            return false;
        };
        let Ok(sig) = rsa::pkcs1v15::Signature::try_from(bytes.as_slice()) else {
            return false;
        };
        self.0
            .verifying_key()
            .verify(payload.as_bytes(), &sig)
            .is_ok()
    }

    /// base64 of RSASSA-PKCS1-v1_5(SHA-256, payload): deterministic.
    pub fn sign(&self, payload: &str) -> String {
        use rsa::signature::{SignatureEncoding, Signer};
        let sig = self.0.sign(payload.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
    }
}

/// Bybit's timestamp: UTC milliseconds since the epoch.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.timestamp_millis().to_string()
}

/// The RSA test key of PROTOCOLS.md (a published test key, not a
/// credential): the known answers and the simulator's RSA account use it.
#[doc(hidden)]
pub const TEST_RSA_PEM: &str = include_str!("../../../assets/fixtures/protocols-test-rsa.pem");

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "bbrTestKey0001";
    const SECRET: &str = "bbrTestSecret0001";
    const TS: &str = "1735689600500";

    /// PROTOCOLS.md §6.5 "Known answers — Bybit (SDK-verified, pybit 5.17.0)".
    #[test]
    fn known_answers_from_protocols_md() {
        let cases = [
            (
                "5000",
                query(&[("accountType", "UNIFIED")]),
                "1735689600500bbrTestKey00015000accountType=UNIFIED",
                "c717d5d135a7a35fc3a6a614bb6800ede4ee1d643d061c8dcbd5322c54ecf03a",
            ),
            (
                "5000",
                query(&[("accountType", "UNIFIED"), ("coin", "USDT,BTC")]),
                "1735689600500bbrTestKey00015000accountType=UNIFIED&coin=USDT,BTC",
                "af8e18f80a42c525b290626bbba64c17dfae06400e111799ddb41c153d4843a4",
            ),
            (
                "5000",
                query(&[]),
                "1735689600500bbrTestKey00015000",
                "f02c24efc7dbd0aa6d27a0f98e0fd020110939a73ef26de9c42b8b9e3f0767d9",
            ),
            (
                // pybit was called with coin first: the query is sorted.
                "10000",
                query(&[("coin", "BTC"), ("accountType", "CONTRACT")]),
                "1735689600500bbrTestKey000110000accountType=CONTRACT&coin=BTC",
                "9e78266ed6621d35c15b501999d95eb6784aa6d062bea1f7c760bb6479d27854",
            ),
            (
                "5000",
                r#"{"setMarginMode": "REGULAR_MARGIN"}"#.to_string(),
                r#"1735689600500bbrTestKey00015000{"setMarginMode": "REGULAR_MARGIN"}"#,
                "09014b0a624cf9888b45166cdc82bedfb66c10e256d022d0a053871a44ddedce",
            ),
        ];
        for (recv, q, signed, want) in cases {
            let p = payload(TS, KEY, recv, &q);
            assert_eq!(p, signed);
            assert_eq!(hmac_hex(SECRET, &p), want, "{signed}");
        }
    }

    #[test]
    fn rsa_known_answer_from_protocols_md() {
        let key = RsaKey::from_pem(TEST_RSA_PEM).unwrap();
        let p = payload(TS, KEY, "5000", &query(&[("accountType", "UNIFIED")]));
        assert_eq!(
            key.sign(&p),
            "E/nToTCitESmYFCsNFlgc+98XHHK5jtQniyKy0+MFlGRV+TPSRZpIGzPgnvqXeveH+8IrKBUDQJ4BsbKqMmo0j2bKtxvLpDK2yZfbvtjAlQUP/sRz+9Dfo+C/TCXgZxZn4Rw8FHvUkXneMQnJUMqzi2l8asokV7RYmeWNrebWG/9rqBl4J87MlyKiyjq5+M24fUnxnMj+R8IKzWebXuQ9Ifm665B6V+tItBCt7xBzFCUU5AbgO2FVGEyMty1S/LuqutKc4b27PhrZoJGauR4LBgqrrobCZ2D1fKzCaf92zWTr/clevBAj98uqxa1pTannGN3abB4B+E91BFrdBT6Fw=="
        );
        assert_eq!(format!("{key:?}"), "RsaKey(<redacted>)");
        assert!(key.verifies(&p, &key.sign(&p)));
        assert!(!key.verifies(&p, &key.sign("other")));
        let e = RsaKey::from_pem("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----")
            .unwrap_err();
        assert!(e.contains("expected an RSA private key"), "{e}");
        assert!(!e.contains("nope"));
    }

    #[test]
    fn timestamp_is_milliseconds() {
        let at = chrono::DateTime::from_timestamp_millis(1_735_689_600_500).unwrap();
        assert_eq!(timestamp(at), TS);
    }
}
