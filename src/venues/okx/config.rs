//! OKX's `[[account]]` keys.

use super::{OkxClient, OkxSettings};
use crate::secrets::{Secret, SecretSource};
use crate::venues::Account;
use crate::venues::settings::{AccountKeys, AccountSettings};
use std::sync::Arc;

pub const KEYS: &[&str] = &[
    "demo_trading",
    "currencies",
    "api_key",
    "secret_key",
    "passphrase",
    "rate_group",
];

#[derive(Debug, Clone)]
pub struct OkxConfig {
    pub api_key: SecretSource,
    pub secret_key: SecretSource,
    pub passphrase: SecretSource,
    pub demo_trading: bool,
    pub currencies: Vec<String>,
    /// OKX counts its limit per user ID: accounts whose different API keys
    /// belong to one user ID name the same group, and share one budget.
    pub rate_group: Option<String>,
}

pub fn parse(k: &mut AccountKeys<'_>) -> Option<Arc<dyn AccountSettings>> {
    let currencies = match k.get::<Vec<String>>("currencies") {
        None => Vec::new(),
        Some(c) => {
            let span = c.span();
            let list: Vec<String> = c
                .get_ref()
                .iter()
                .map(|s| s.trim().to_uppercase())
                .collect();
            if list.len() > 20 {
                k.err(
                    span.clone(),
                    "currencies",
                    "at most 20 currencies (the venue's limit)",
                );
            }
            if let Some(bad) = list
                .iter()
                .find(|s| s.is_empty() || !s.chars().all(|ch| ch.is_ascii_alphanumeric()))
            {
                k.err(
                    span,
                    "currencies",
                    format!("expected currency codes like \"BTC\", got {bad:?}"),
                );
            }
            list
        }
    };
    let demo_trading = k
        .get::<bool>("demo_trading")
        .map(|d| *d.get_ref())
        .unwrap_or(false);
    let rate_group = match k.get::<String>("rate_group") {
        Some(g) if g.get_ref().trim().is_empty() => {
            k.err(g.span(), "rate_group", "expected a non-empty name");
            None
        }
        g => g.map(|g| g.get_ref().trim().to_string()),
    };
    const MISSING: &str = "missing: OKX needs api_key, secret_key and passphrase";
    let api_key = k.required_secret("api_key", MISSING);
    let secret_key = k.required_secret("secret_key", MISSING);
    let passphrase = k.required_secret("passphrase", MISSING);
    Some(Arc::new(OkxConfig {
        api_key: api_key?,
        secret_key: secret_key?,
        passphrase: passphrase?,
        demo_trading,
        currencies,
        rate_group,
    }))
}

impl AccountSettings for OkxConfig {
    fn default_base_url(&self) -> String {
        super::DEFAULT_BASE_URL.to_string()
    }

    fn secrets(&self) -> Vec<(&'static str, &SecretSource)> {
        vec![
            ("api_key", &self.api_key),
            ("secret_key", &self.secret_key),
            ("passphrase", &self.passphrase),
        ]
    }

    fn build(
        &self,
        base_url: &str,
        http: reqwest::Client,
        secret: &mut dyn FnMut(&'static str, &SecretSource) -> Result<Secret, String>,
    ) -> Result<Box<dyn Account>, String> {
        Ok(Box::new(OkxClient::new(
            http,
            OkxSettings {
                base_url: base_url.to_string(),
                api_key: secret("api_key", &self.api_key)?,
                secret_key: secret("secret_key", &self.secret_key)?,
                passphrase: secret("passphrase", &self.passphrase)?,
                demo_trading: self.demo_trading,
                currencies: self.currencies.clone(),
                rate_group: self.rate_group.clone(),
            },
        )))
    }

    fn demo_trading(&self) -> bool {
        self.demo_trading
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
