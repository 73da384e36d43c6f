//! LongPort's `[[account]]` keys. A credential left out is read from the
//! SDK's environment variables, as an SDK user has them.

use super::{LongportClient, LongportSettings};
use crate::secrets::{Secret, SecretSource};
use crate::venues::Account;
use crate::venues::settings::{AccountKeys, AccountSettings, check_url};
use std::sync::Arc;

pub const KEYS: &[&str] = &[
    "app_key",
    "app_secret",
    "access_token",
    "region",
    "currency",
    "path",
];

#[derive(Debug, Clone)]
pub struct LongportConfig {
    pub app_key: SecretSource,
    pub app_secret: SecretSource,
    pub access_token: SecretSource,
    pub path: String,
    pub currency: Option<String>,
    /// The host when base_url is not given: by region, or the SDK's
    /// environment variable.
    pub default_base_url: String,
}

/// SDK environment names for LongPort, newest first, as the official SDKs read them.
fn env_names(suffix: &str) -> Vec<String> {
    vec![format!("LONGBRIDGE_{suffix}"), format!("LONGPORT_{suffix}")]
}

pub fn parse(k: &mut AccountKeys<'_>) -> Option<Arc<dyn AccountSettings>> {
    let default_base_url = base_url(k);
    let mut or_env = |key: &str, suffix: &str| {
        k.get::<SecretSource>(key)
            .map(|s| s.into_inner())
            .unwrap_or_else(|| SecretSource::EnvChain(env_names(suffix)))
    };
    let app_key = or_env("app_key", "APP_KEY");
    let app_secret = or_env("app_secret", "APP_SECRET");
    let access_token = or_env("access_token", "ACCESS_TOKEN");
    let currency = k.get::<String>("currency").map(|c| {
        let v = c.get_ref().trim().to_uppercase();
        if !super::CURRENCIES.contains(&v.as_str()) {
            k.err(
                c.span(),
                "currency",
                format!("expected one of HKD, USD, CNH, got {v:?}"),
            );
        }
        v
    });
    let path = match k.get::<String>("path") {
        None => super::PATH.to_string(),
        Some(p) => {
            let v = p.get_ref().trim().to_string();
            if !v.starts_with('/') || v.contains(['?', '#', ' ']) {
                k.err(
                    p.span(),
                    "path",
                    format!(
                        "expected a path such as \"{}\" or \"{}\"",
                        super::PATH,
                        super::LEGACY_PATH
                    ),
                );
            }
            v
        }
    };
    Some(Arc::new(LongportConfig {
        app_key,
        app_secret,
        access_token,
        path,
        currency,
        default_base_url,
    }))
}

/// LongPort's host when `base_url` is not given: by `region` ("cn" or
/// "global", the default), else the SDK's LONGBRIDGE_HTTP_URL / LONGPORT_HTTP_URL.
fn base_url(k: &mut AccountKeys<'_>) -> String {
    use super::{CN_BASE_URL, DEFAULT_BASE_URL};
    if k.base_url_given() {
        // Not used: base_url says where to go.
        let _ = k.get::<String>("region");
        return DEFAULT_BASE_URL.into();
    }
    if let Some(r) = k.get::<String>("region") {
        return match r.get_ref().trim() {
            "cn" => CN_BASE_URL.into(),
            "global" => DEFAULT_BASE_URL.into(),
            other => {
                k.err(
                    r.span(),
                    "region",
                    format!("expected \"global\" or \"cn\", got {other:?}"),
                );
                DEFAULT_BASE_URL.into()
            }
        };
    }
    for var in env_names("HTTP_URL") {
        if let Ok(v) = std::env::var(&var)
            && !v.trim().is_empty()
        {
            let v = v.trim().trim_end_matches('/').to_string();
            if let Err(e) = check_url(&v) {
                k.missing("base_url", format!("from environment variable {var}: {e}"));
            }
            return v;
        }
    }
    DEFAULT_BASE_URL.into()
}

impl AccountSettings for LongportConfig {
    fn default_base_url(&self) -> String {
        self.default_base_url.clone()
    }

    fn secrets(&self) -> Vec<(&'static str, &SecretSource)> {
        vec![
            ("app_key", &self.app_key),
            ("app_secret", &self.app_secret),
            ("access_token", &self.access_token),
        ]
    }

    fn build(
        &self,
        base_url: &str,
        http: reqwest::Client,
        secret: &mut dyn FnMut(&'static str, &SecretSource) -> Result<Secret, String>,
    ) -> Result<Box<dyn Account>, String> {
        Ok(Box::new(LongportClient::new(
            http,
            LongportSettings {
                base_url: base_url.to_string(),
                path: self.path.clone(),
                currency: self.currency.clone(),
                app_key: secret("app_key", &self.app_key)?,
                app_secret: secret("app_secret", &self.app_secret)?,
                access_token: secret("access_token", &self.access_token)?,
            },
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
