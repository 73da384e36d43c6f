//! Bybit's `[[account]]` keys.

use super::{BybitClient, BybitSettings, Signer};
use crate::secrets::{Secret, SecretSource};
use crate::venues::Account;
use crate::venues::settings::{AccountKeys, AccountSettings};
use std::sync::Arc;

pub const KEYS: &[&str] = &["api_key", "secret_key", "private_key", "recv_window"];

/// Default `X-BAPI-RECV-WINDOW` (ms), as pybit sends.
pub const DEFAULT_RECV_WINDOW: u32 = 5000;
/// Largest recv_window accepted (PROTOCOLS.md §7: 10000+ allowed for Bybit).
pub const MAX_RECV_WINDOW: u32 = 60_000;

#[derive(Debug, Clone)]
pub struct BybitConfig {
    pub api_key: SecretSource,
    /// HMAC secret, or (with `rsa`) the RSA private key in PEM.
    pub signing_key: SecretSource,
    pub rsa: bool,
    pub recv_window: u32,
}

pub fn parse(k: &mut AccountKeys<'_>) -> Option<Arc<dyn AccountSettings>> {
    let recv_window = match k.get::<i64>("recv_window") {
        None => DEFAULT_RECV_WINDOW,
        Some(r) => match u32::try_from(*r.get_ref()) {
            Ok(v) if (1..=MAX_RECV_WINDOW).contains(&v) => v,
            _ => {
                k.err(
                    r.span(),
                    "recv_window",
                    format!("expected milliseconds from 1 to {MAX_RECV_WINDOW}"),
                );
                DEFAULT_RECV_WINDOW
            }
        },
    };
    let api_key = k.required_secret(
        "api_key",
        "missing: Bybit needs api_key and one of secret_key (HMAC) or private_key (RSA)",
    );
    let (has_secret, has_private) = (k.has("secret_key"), k.has("private_key"));
    let (signing_key, rsa) = match (has_secret, has_private) {
        (true, true) => {
            let span = k.name_span();
            k.err(
                span,
                "private_key",
                "expected one of secret_key (HMAC) or private_key (RSA), not both",
            );
            return None;
        }
        (false, false) => {
            k.missing(
                "secret_key",
                "missing: Bybit needs secret_key (HMAC) or private_key (RSA PEM)",
            );
            return None;
        }
        (true, false) => (k.get::<SecretSource>("secret_key")?.into_inner(), false),
        (false, true) => (k.get::<SecretSource>("private_key")?.into_inner(), true),
    };
    Some(Arc::new(BybitConfig {
        api_key: api_key?,
        signing_key,
        rsa,
        recv_window,
    }))
}

impl BybitConfig {
    fn signing_key_name(&self) -> &'static str {
        if self.rsa {
            "private_key"
        } else {
            "secret_key"
        }
    }
}

impl AccountSettings for BybitConfig {
    fn default_base_url(&self) -> String {
        super::DEFAULT_BASE_URL.to_string()
    }

    fn secrets(&self) -> Vec<(&'static str, &SecretSource)> {
        vec![
            ("api_key", &self.api_key),
            (self.signing_key_name(), &self.signing_key),
        ]
    }

    fn secret_in_header(&self, key: &str) -> bool {
        // A PEM key has line breaks and is only used to sign.
        key != "private_key"
    }

    fn build(
        &self,
        base_url: &str,
        http: reqwest::Client,
        secret: &mut dyn FnMut(&'static str, &SecretSource) -> Result<Secret, String>,
    ) -> Result<Box<dyn Account>, String> {
        let api_key = secret("api_key", &self.api_key)?;
        let key = secret(self.signing_key_name(), &self.signing_key)?;
        let signer = if self.rsa {
            Signer::Rsa(
                super::sign::RsaKey::from_pem(key.expose())
                    .map_err(|e| format!("key `private_key`: {e}"))?,
            )
        } else {
            Signer::Hmac(key)
        };
        Ok(Box::new(BybitClient::new(
            http,
            BybitSettings {
                base_url: base_url.to_string(),
                api_key,
                signer,
                recv_window: self.recv_window,
            },
        )))
    }

    fn demo_trading(&self) -> bool {
        false
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
