//! LongPort (Longbridge) API-key signing, as the official SDKs do it:
//! signature = hex(HMAC-SHA256(app_secret, "HMAC-SHA256|" + hex(SHA1(canonical)))).

use hmac::{Hmac, KeyInit, Mac};
use sha1::{Digest, Sha1};
use sha2::Sha256;

pub const SIGNED_HEADERS: &str = "authorization;x-api-key;x-timestamp";

/// The canonical request. `raw_query` is the query exactly as sent, without `?`.
pub fn canonical(
    method: &str,
    path: &str,
    raw_query: &str,
    access_token: &str,
    app_key: &str,
    timestamp: &str,
    body: Option<&[u8]>,
) -> String {
    let mut c = format!(
        "{method}|{path}|{raw_query}|authorization:{access_token}\nx-api-key:{app_key}\nx-timestamp:{timestamp}\n|{SIGNED_HEADERS}|"
    );
    if let Some(b) = body {
        c.push_str(&hex::encode(Sha1::digest(b)));
    }
    c
}

/// The hex signature of a canonical request.
pub fn signature(app_secret: &str, canonical: &str) -> String {
    let to_sign = format!(
        "HMAC-SHA256|{}",
        hex::encode(Sha1::digest(canonical.as_bytes()))
    );
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(app_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The `x-api-signature` header value.
pub fn header(signature: &str) -> String {
    format!("HMAC-SHA256 SignedHeaders={SIGNED_HEADERS}, Signature={signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "test-app-key";
    const SECRET: &str = "test-app-secret";
    const TOKEN: &str = "test-access-token";
    const TS: &str = "1700000000";

    /// method, path, raw query, body, SHA1(canonical), signature.
    type Row<'a> = (
        &'a str,
        &'a str,
        &'a str,
        Option<&'a [u8]>,
        &'a str,
        &'a str,
    );

    #[test]
    fn known_answers_from_protocols_md() {
        let rows: [Row; 4] = [
            (
                "GET",
                "/v1/asset/account",
                "",
                None,
                "732c71d247534c17676f3ab215007f51a4cb54ef",
                "373b35fdec0bc1ed50607a240a193d6059cdcc5bd3bef32ca2863a908d467b3a",
            ),
            (
                "GET",
                "/v1/asset/account",
                "currency=HKD",
                None,
                "a2411cae31d09d19d2d3459b6f689469d2fbf8d3",
                "842ec9e1e967580af46dcf2a3294466480c10f154f77b22fdb8bfc1753bab5c6",
            ),
            (
                "GET",
                "/v1/asset/account",
                "currency=USD",
                None,
                "cac45708c77af39efc8de893f76ae4ea184857ac",
                "4dbfab98f2718c6a064d56ea8d265f6bec2b53375722dbee001389b3363b7955",
            ),
            (
                "POST",
                "/v1/foo",
                "",
                Some(br#"{"a":1,"b":"x y"}"#),
                "f8d2285733fc37161cb1bb8aba41057eefae8a42",
                "cc4839095398398f70598e96c4ec853ed51ecbd39f2a903f010a938e7dda9922",
            ),
        ];
        for (method, path, query, body, sha1_canonical, sig) in rows {
            let c = canonical(method, path, query, TOKEN, KEY, TS, body);
            assert_eq!(
                hex::encode(Sha1::digest(c.as_bytes())),
                sha1_canonical,
                "{method} {path}?{query}"
            );
            assert_eq!(signature(SECRET, &c), sig, "{method} {path}?{query}");
        }
    }

    #[test]
    fn canonical_string_of_row_two() {
        assert_eq!(
            canonical(
                "GET",
                "/v1/asset/account",
                "currency=HKD",
                TOKEN,
                KEY,
                TS,
                None
            ),
            "GET|/v1/asset/account|currency=HKD|authorization:test-access-token\nx-api-key:test-app-key\nx-timestamp:1700000000\n|authorization;x-api-key;x-timestamp|"
        );
        assert_eq!(
            hex::encode(Sha1::digest(br#"{"a":1,"b":"x y"}"#)),
            "7eee6fd51ac136c8dbfd9147b54865b903435883"
        );
    }
}
