//! Binance request signing (PROTOCOLS.md §5.5): the signed payload is the
//! query string exactly as sent (percent-encoded, user parameters first in
//! call order, then `recvWindow`, then `timestamp`); `&signature=` goes last.
//! HMAC-SHA256 gives lowercase hex; Ed25519 and RSA (PKCS#1 v1.5, SHA-256)
//! give base64, percent-encoded on the wire.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Sha256;

/// What `urllib.parse.urlencode` (the official SDKs) leaves as is.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One value percent-encoded as the SDKs do (`,` -> `%2C`, `+` -> `%2B`).
pub fn encode(v: &str) -> String {
    utf8_percent_encode(v, QUERY).to_string()
}

/// The query to sign and send: `params` in order (values encoded), then
/// `recvWindow` (if any), then `timestamp`.
pub fn query(params: &[(&str, &str)], recv_window_ms: Option<u32>, timestamp_ms: i64) -> String {
    let mut parts: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if let Some(w) = recv_window_ms {
        parts.push(format!("recvWindow={w}"));
    }
    parts.push(format!("timestamp={timestamp_ms}"));
    parts.join("&")
}

/// A signing key of one of the three kinds Binance accepts. Debug never
/// prints key material.
#[derive(Clone)]
pub enum Signer {
    Hmac(crate::secrets::Secret),
    Ed25519(Box<ed25519_dalek::SigningKey>),
    Rsa(Box<rsa::pkcs1v15::SigningKey<rsa::sha2::Sha256>>),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signer::Hmac(_) => "Signer::Hmac(<redacted>)",
            Signer::Ed25519(_) => "Signer::Ed25519(<redacted>)",
            Signer::Rsa(_) => "Signer::Rsa(<redacted>)",
        })
    }
}

impl Signer {
    /// A PKCS#8 PEM private key (Ed25519 or RSA). The error says which kinds
    /// were tried, never what the file holds.
    pub fn from_pem(pem: &str) -> Result<Signer, String> {
        use ed25519_dalek::pkcs8::DecodePrivateKey as _;
        let pem = pem.trim();
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            return Ok(Signer::Ed25519(Box::new(k)));
        }
        {
            use rsa::pkcs8::DecodePrivateKey as _;
            if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_pem(pem) {
                return Ok(Signer::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(k))));
            }
        }
        {
            use rsa::pkcs1::DecodeRsaPrivateKey as _;
            if let Ok(k) = rsa::RsaPrivateKey::from_pkcs1_pem(pem) {
                return Ok(Signer::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(k))));
            }
        }
        Err("expected a PEM private key: Ed25519 (PKCS#8) or RSA (PKCS#8 or PKCS#1)".into())
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Signer::Hmac(_) => "HMAC",
            Signer::Ed25519(_) => "Ed25519",
            Signer::Rsa(_) => "RSA",
        }
    }

    /// The signature as Binance decodes it (hex or base64).
    pub fn sign(&self, payload: &str) -> String {
        match self {
            Signer::Hmac(secret) => hmac_hex(secret.expose(), payload),
            Signer::Ed25519(k) => {
                use ed25519_dalek::Signer as _;
                let sig = k.sign(payload.as_bytes());
                base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
            }
            Signer::Rsa(k) => {
                use rsa::signature::{SignatureEncoding as _, Signer as _};
                let sig = k.sign(payload.as_bytes());
                base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
            }
        }
    }

    /// `payload&signature=<sig, percent-encoded>`: the query as sent.
    pub fn signed_query(&self, payload: &str) -> String {
        format!("{payload}&signature={}", encode(&self.sign(payload)))
    }
}

/// hex(HMAC-SHA256(secret, payload)), lowercase.
pub fn hmac_hex(secret: &str, payload: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(payload.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const SECRET: &str = "bbr-test-secret-0001";
    pub const TS: i64 = 1_735_689_600_500;
    pub const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f\n-----END PRIVATE KEY-----\n";
    /// The published RSA test key of PROTOCOLS.md (shared with Bybit's tests).
    pub const RSA_PEM: &str = include_str!("../../../assets/fixtures/protocols-test-rsa.pem");

    /// Every HMAC known answer of PROTOCOLS.md §5.5 (both SDK generations
    /// agree): (params in call order, recvWindow, signed payload, signature).
    #[test]
    fn hmac_known_answers() {
        let hmac = Signer::Hmac(crate::secrets::Secret::new(SECRET));
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<u32>, &'a str, &'a str);
        let cases: &[Case] = &[
            (
                &[],
                None,
                "timestamp=1735689600500",
                "795c605a470611028920d3ac6a3e204583cfa10a180652d87ee2ddb21d25de58",
            ),
            (
                &[("omitZeroBalances", "true")],
                Some(5000),
                "omitZeroBalances=true&recvWindow=5000&timestamp=1735689600500",
                "a0e6608cd46c947f4a1136f1cd07900c6e92781993e5afb0b142e6af1ecfcd7e",
            ),
            (
                &[],
                Some(10000),
                "recvWindow=10000&timestamp=1735689600500",
                "a9cfb21ca303af1dee8863d9ff51fa1e24cd94fa67e9b909635a0fdf30745fd0",
            ),
            (
                &[("symbols", "BTCUSDT,ETHUSDT")],
                None,
                "symbols=BTCUSDT%2CETHUSDT&timestamp=1735689600500",
                "41dbe5c7f19a12bd2883000bb788d79d394d4baa89144dffbcbe8d18cc27c62e",
            ),
            (
                &[],
                Some(5000),
                "recvWindow=5000&timestamp=1735689600500",
                "2bfc785f7c9486878be70867fa29432b2bf44d71df9ec88bbe426518d6516244",
            ),
            (
                &[("asset", "USDT")],
                Some(5000),
                "asset=USDT&recvWindow=5000&timestamp=1735689600500",
                "226d68a3d24f57189e11c76dd2744d16c581b74d2a44dcf855e5e1ccdf4d11df",
            ),
            (
                &[],
                Some(6000),
                "recvWindow=6000&timestamp=1735689600500",
                "39d12018b324953b50ba4a76911bf7319db79e566085af0b6a5e819ab5a71685",
            ),
        ];
        for (params, rw, payload, sig) in cases {
            let q = query(params, *rw, TS);
            assert_eq!(q, *payload);
            assert_eq!(hmac.sign(&q), *sig, "{payload}");
            assert_eq!(hmac.signed_query(&q), format!("{payload}&signature={sig}"));
        }
    }

    #[test]
    fn ed25519_known_answer_and_wire_form() {
        let k = Signer::from_pem(ED25519_PEM).unwrap();
        assert_eq!(k.kind(), "Ed25519");
        let q = query(&[("omitZeroBalances", "true")], None, TS);
        assert_eq!(q, "omitZeroBalances=true&timestamp=1735689600500");
        assert_eq!(
            k.sign(&q),
            "L+f/NQDEgB+ZjZobZyBJXIp3o6yL7nwwQB7NAHxD+6YCsC4lV0AnCPTdraPQP5Ko2NSP15Twtp3LmGrAfvweAg=="
        );
        assert_eq!(
            k.signed_query(&q),
            "omitZeroBalances=true&timestamp=1735689600500&signature=L%2Bf%2FNQDEgB%2BZjZobZyBJXIp3o6yL7nwwQB7NAHxD%2B6YCsC4lV0AnCPTdraPQP5Ko2NSP15Twtp3LmGrAfvweAg%3D%3D"
        );
    }

    #[test]
    fn rsa_known_answer() {
        let k = Signer::from_pem(RSA_PEM).unwrap();
        assert_eq!(k.kind(), "RSA");
        let q = query(&[("omitZeroBalances", "true")], None, TS);
        assert_eq!(
            k.sign(&q),
            "HKNlYkhrPO2Kwsf+7I5qgGqg7XwU71jWZ3cBLos4Kcy2SnWxi+8UarH4JfbpoW6L/gzQkJeiz51ZwlxDItycRaLtWX4iqR8jQsT33k1QIawAvUvwQ+j8MD9OmRQihJ9w8Ko9kJsPcYyYaJkSKMRgb3f8JIDIz0rc+SDhu2gLi8DPu1g7qfaG5x31JJeH/cjSqy9uh5TRk6QsIOLMiuf3x60tMHW+6o4A1AKkNiFTOgygm852nARjQeHOTkWao4hXGx3yW2gpxnR1EdpCByYfC3YFUR5iRPAr6GTsiVwRjhHYDANHcbW3dNglkbfYDuAmP7cQq7ipAeJsF9OP7xh36g=="
        );
    }

    #[test]
    fn vendor_hmac_vectors_and_bad_pem() {
        // futures general-info Example 1 (vendor secret and payload).
        let secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
        let payload = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943";
        assert_eq!(
            hmac_hex(secret, payload),
            "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
        );
        let e = Signer::from_pem("not a key").unwrap_err();
        assert!(e.contains("Ed25519") && !e.contains("not a key"), "{e}");
        assert_eq!(
            format!("{:?}", Signer::Hmac(crate::secrets::Secret::new(SECRET))),
            "Signer::Hmac(<redacted>)"
        );
    }
}
