//! Binance's `[[account]]` keys.

use super::{BinanceClient, BinanceSettings, Mode};
use crate::secrets::{Secret, SecretSource};
use crate::venues::Account;
use crate::venues::settings::{AccountKeys, AccountSettings};
use std::sync::Arc;

pub const KEYS: &[&str] = &[
    "mode",
    "api_key",
    "secret_key",
    "private_key",
    "wallets",
    "recv_window",
    "isolated_pairs",
];

/// Wallets a classic account may list.
pub const WALLETS: &[&str] = &["spot", "margin", "futures", "coinm"];

#[derive(Debug, Clone)]
pub struct BinanceConfig {
    pub mode: Mode,
    pub api_key: SecretSource,
    /// HMAC secret, or
    pub secret_key: Option<SecretSource>,
    /// an Ed25519 or RSA private key (PEM).
    pub private_key: Option<SecretSource>,
    pub wallets: Vec<String>,
    pub recv_window: u32,
    /// Isolated margin pairs to read ("BTCUSDT"); empty: none read.
    pub isolated_pairs: Vec<String>,
    /// `base_url` set: one host for every API family.
    pub one_host: bool,
}

pub fn parse(k: &mut AccountKeys<'_>) -> Option<Arc<dyn AccountSettings>> {
    let mode = match k.get::<String>("mode") {
        None => {
            k.missing(
                "mode",
                "missing: Binance needs mode = \"classic\" or \"portfolio_margin\"",
            );
            None
        }
        Some(m) => match m.get_ref().trim() {
            "classic" => Some(Mode::Classic),
            "portfolio_margin" => Some(Mode::PortfolioMargin),
            other => {
                k.err(
                    m.span(),
                    "mode",
                    format!("expected \"classic\" or \"portfolio_margin\", got {other:?}"),
                );
                None
            }
        },
    };
    let wallets = match k.get::<Vec<String>>("wallets") {
        None => vec!["spot".into(), "margin".into(), "futures".into()],
        Some(w) => {
            let span = w.span();
            let list: Vec<String> = w
                .get_ref()
                .iter()
                .map(|s| s.trim().to_lowercase())
                .collect();
            if mode == Some(Mode::PortfolioMargin) {
                k.err(
                    span.clone(),
                    "wallets",
                    "classic mode only: a portfolio_margin account reads spot and its unified account",
                );
            }
            if let Some(bad) = list.iter().find(|s| !WALLETS.contains(&s.as_str())) {
                k.err(
                    span.clone(),
                    "wallets",
                    format!(
                        "expected some of \"spot\", \"margin\", \"futures\", \"coinm\", got {bad:?}"
                    ),
                );
            }
            if list.is_empty() {
                k.err(span, "wallets", "expected at least one wallet");
            }
            list
        }
    };
    let recv_window = match k.get::<i64>("recv_window") {
        None => super::RECV_WINDOW_MS,
        Some(w) => match u32::try_from(*w.get_ref()) {
            Ok(v) if (1..=60_000).contains(&v) => v,
            _ => {
                k.err(
                    w.span(),
                    "recv_window",
                    "expected milliseconds from 1 to 60000 (Binance's maximum)",
                );
                super::RECV_WINDOW_MS
            }
        },
    };
    let isolated_pairs = match k.get::<Vec<String>>("isolated_pairs") {
        None => Vec::new(),
        Some(p) => {
            let list: Vec<String> = p
                .get_ref()
                .iter()
                .map(|s| s.trim().to_uppercase())
                .collect();
            if mode == Some(Mode::PortfolioMargin) {
                k.err(
                    p.span(),
                    "isolated_pairs",
                    "classic mode only: isolated margin is a classic account's wallet",
                );
            } else if let Some(bad) = list
                .iter()
                .find(|s| s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                k.err(
                    p.span(),
                    "isolated_pairs",
                    format!("expected trading pairs such as \"BTCUSDT\", got {bad:?}"),
                );
            }
            list
        }
    };
    let api_key = k.required_secret(
        "api_key",
        "missing: Binance needs api_key and secret_key (HMAC) or private_key (Ed25519/RSA PEM)",
    );
    let secret_key = k.get::<SecretSource>("secret_key").map(|s| s.into_inner());
    let private_key = k.get::<SecretSource>("private_key").map(|s| s.into_inner());
    match (&secret_key, &private_key) {
        (None, None) => k.missing(
            "secret_key",
            "missing: Binance needs secret_key (HMAC) or private_key (Ed25519 or RSA PEM)",
        ),
        (Some(_), Some(_)) => k.missing(
            "private_key",
            "set secret_key (HMAC) or private_key (Ed25519/RSA), not both: a key has one kind",
        ),
        _ => {}
    }
    if secret_key.is_some() == private_key.is_some() {
        return None;
    }
    let one_host = k.base_url_given();
    Some(Arc::new(BinanceConfig {
        mode: mode?,
        api_key: api_key?,
        secret_key,
        private_key,
        wallets,
        recv_window,
        isolated_pairs,
        one_host,
    }))
}

impl AccountSettings for BinanceConfig {
    fn default_base_url(&self) -> String {
        super::API_HOST.to_string()
    }

    /// The private key PEM spans lines, so it is read in `build`, not with
    /// the header-safe secrets.
    fn secrets(&self) -> Vec<(&'static str, &SecretSource)> {
        let mut v = vec![("api_key", &self.api_key)];
        if let Some(s) = &self.secret_key {
            v.push(("secret_key", s));
        }
        v
    }

    fn build(
        &self,
        base_url: &str,
        http: reqwest::Client,
        secret: &mut dyn FnMut(&'static str, &SecretSource) -> Result<Secret, String>,
    ) -> Result<Box<dyn Account>, String> {
        let api_key = secret("api_key", &self.api_key)?;
        let signer = match (&self.secret_key, &self.private_key) {
            (Some(s), _) => super::sign::Signer::Hmac(secret("secret_key", s)?),
            (None, Some(p)) => {
                let (pem, from) = p
                    .resolve_from()
                    .map_err(|e| format!("key `private_key`: {e}"))?;
                tracing::info!(key = "private_key", source = %from, "credential read");
                super::sign::Signer::from_pem(pem.expose())
                    .map_err(|e| format!("key `private_key` (from {from}): {e}"))?
            }
            (None, None) => return Err("key `secret_key` or `private_key`: missing".into()),
        };
        Ok(Box::new(BinanceClient::new(
            http,
            BinanceSettings {
                base_url: self.one_host.then(|| base_url.to_string()),
                api_key,
                signer,
                mode: self.mode,
                wallets: self.wallets.clone(),
                recv_window: self.recv_window,
                isolated_pairs: self.isolated_pairs.clone(),
            },
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
