//! Webull's `[[account]]` keys.

use super::sign::Algorithm;
use super::{Region, WebullClient, WebullSettings};
use crate::secrets::{Secret, SecretSource};
use crate::venues::Account;
use crate::venues::settings::{AccountKeys, AccountSettings};
use std::sync::Arc;

pub const KEYS: &[&str] = &[
    "app_key",
    "app_secret",
    "access_token",
    "region",
    "account_id",
    "total_asset_currency",
    "signature_algorithm",
];

/// The `total_asset_currency` values the balance call documents.
pub const TOTAL_ASSET_CURRENCIES: [&str; 3] = ["HKD", "USD", "CNH"];

#[derive(Debug, Clone)]
pub struct WebullConfig {
    pub app_key: SecretSource,
    pub app_secret: SecretSource,
    pub access_token: Option<SecretSource>,
    pub region: Region,
    /// None: discover the app key's accounts.
    pub account_id: Option<String>,
    pub total_asset_currency: Option<String>,
    pub algorithm: Algorithm,
}

pub fn parse(k: &mut AccountKeys<'_>) -> Option<Arc<dyn AccountSettings>> {
    let region = match k.get::<String>("region") {
        Some(r) => {
            let v = r.get_ref().trim().to_lowercase();
            let region = Region::parse(&v);
            if region.is_none() {
                k.err(
                    r.span(),
                    "region",
                    format!("expected one of us, hk, jp, sg, au, uk, eu, got {v:?}"),
                );
            }
            region
        }
        None if k.has("region") => None,
        None if k.base_url_given() => {
            // Without a region (a base_url alone), the budget is the
            // strictest published one.
            Some(Region::Us)
        }
        None => {
            k.missing(
                "region",
                "missing: Webull needs region (us, hk, jp, sg, au, uk, eu) or base_url",
            );
            None
        }
    };
    let algorithm = match k.get::<String>("signature_algorithm") {
        None => Some(Algorithm::HmacSha256),
        Some(s) => {
            let alg = Algorithm::parse(s.get_ref().trim());
            if alg.is_none() {
                k.err(
                    s.span(),
                    "signature_algorithm",
                    format!(
                        "expected \"HMAC-SHA256\" or \"HMAC-SHA1\", got {:?}",
                        s.get_ref()
                    ),
                );
            }
            alg
        }
    };
    let account_id = k.get::<String>("account_id").and_then(|id| {
        let v = id.get_ref().trim().to_string();
        if v.is_empty()
            || !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            k.err(
                id.span(),
                "account_id",
                format!("expected an account id like \"QJHO3P1PR9425Q6UAT7QLJTEKB\", got {v:?}"),
            );
            return None;
        }
        Some(v)
    });
    let total_asset_currency = k.get::<String>("total_asset_currency").and_then(|c| {
        let v = c.get_ref().trim().to_uppercase();
        if v.len() != 3 || !v.chars().all(|ch| ch.is_ascii_alphabetic()) {
            k.err(
                c.span(),
                "total_asset_currency",
                format!("expected a currency code such as \"HKD\", got {v:?}"),
            );
            return None;
        }
        Some(v)
    });
    const MISSING: &str = "missing: Webull needs app_key and app_secret";
    let app_key = k.required_secret("app_key", MISSING);
    let app_secret = k.required_secret("app_secret", MISSING);
    let access_token = k
        .get::<SecretSource>("access_token")
        .map(|t| t.into_inner());
    Some(Arc::new(WebullConfig {
        app_key: app_key?,
        app_secret: app_secret?,
        access_token,
        region: region?,
        account_id,
        total_asset_currency,
        algorithm: algorithm?,
    }))
}

impl AccountSettings for WebullConfig {
    fn default_base_url(&self) -> String {
        self.region.host().to_string()
    }

    fn secrets(&self) -> Vec<(&'static str, &SecretSource)> {
        let mut v = vec![("app_key", &self.app_key), ("app_secret", &self.app_secret)];
        if let Some(t) = &self.access_token {
            v.push(("access_token", t));
        }
        v
    }

    fn build(
        &self,
        base_url: &str,
        http: reqwest::Client,
        secret: &mut dyn FnMut(&'static str, &SecretSource) -> Result<Secret, String>,
    ) -> Result<Box<dyn Account>, String> {
        Ok(Box::new(WebullClient::new(
            http,
            WebullSettings {
                base_url: base_url.to_string(),
                region: self.region,
                account_id: self.account_id.clone(),
                total_asset_currency: self.total_asset_currency.clone(),
                algorithm: self.algorithm,
                app_key: secret("app_key", &self.app_key)?,
                app_secret: secret("app_secret", &self.app_secret)?,
                access_token: self
                    .access_token
                    .as_ref()
                    .map(|t| secret("access_token", t))
                    .transpose()?,
            },
        )))
    }

    fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// `total_asset_currency` = the report currency, when the account sets
    /// none and the balance call takes it (HKD, USD or CNH: PROTOCOLS.md).
    fn prefer_currency(&self, ccy: &str) -> Option<Arc<dyn AccountSettings>> {
        if self.total_asset_currency.is_some() || !TOTAL_ASSET_CURRENCIES.contains(&ccy) {
            return None;
        }
        Some(Arc::new(WebullConfig {
            total_asset_currency: Some(ccy.to_string()),
            ..self.clone()
        }))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(ccy: Option<&str>) -> WebullConfig {
        WebullConfig {
            app_key: SecretSource::Inline("k".into()),
            app_secret: SecretSource::Inline("s".into()),
            access_token: None,
            region: Region::Hk,
            account_id: None,
            total_asset_currency: ccy.map(String::from),
            algorithm: Algorithm::HmacSha256,
        }
    }

    fn asked(s: &Arc<dyn AccountSettings>) -> Option<String> {
        let c: &WebullConfig = s.as_any().downcast_ref().unwrap();
        c.total_asset_currency.clone()
    }

    #[test]
    fn the_report_currency_is_asked_for_where_the_call_takes_it() {
        for ccy in ["USD", "HKD", "CNH"] {
            let s = config(None).prefer_currency(ccy).unwrap();
            assert_eq!(asked(&s).as_deref(), Some(ccy));
        }
        // Not a documented value: the region's default stays.
        assert!(config(None).prefer_currency("EUR").is_none());
        assert!(config(None).prefer_currency("USDT").is_none());
        // The account's own choice wins.
        assert!(config(Some("HKD")).prefer_currency("USD").is_none());
    }
}
