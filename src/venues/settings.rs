//! An account's venue settings: each venue reads its own `[[account]]` keys
//! (through [`AccountKeys`], which keeps where each value is so errors name
//! file:line), and turns them into an [`AccountSettings`] that knows its
//! secrets and builds the client. The config module reads the common keys
//! (name, venue, base_url, poll_interval) and asks the venue for the rest.

use super::Account;
use crate::secrets::{Secret, SecretSource};
use serde::de::DeserializeOwned;
use std::ops::Range;
use toml::Spanned;
use toml::de::DeValue;

/// A venue's parsed settings for one account.
pub trait AccountSettings: std::fmt::Debug + Send + Sync + 'static {
    /// The host when `base_url` is not given.
    fn default_base_url(&self) -> String;

    /// Where each secret comes from, by key, in the order the venue reads them.
    fn secrets(&self) -> Vec<(&'static str, &SecretSource)>;

    /// The client, with each secret read through `secret(key, source)`.
    fn build(
        &self,
        base_url: &str,
        http: reqwest::Client,
        secret: &mut dyn FnMut(&'static str, &SecretSource) -> Result<Secret, String>,
    ) -> Result<Box<dyn Account>, String>;

    /// Whether the secret under `key` goes into an HTTP header (so it must
    /// be a single line of header-safe text); false for a signing key that
    /// never leaves the machine, e.g. an RSA private key in PEM.
    fn secret_in_header(&self, _key: &str) -> bool {
        true
    }

    /// Demo trading (not real money) as the venue's settings say.
    fn demo_trading(&self) -> bool {
        false
    }

    /// The venue account id when configured (accounts found by discovery
    /// have none until the venue lists them).
    fn account_id(&self) -> Option<&str> {
        None
    }

    /// These settings asking for the account's totals in `ccy` (upper case),
    /// when the account names no currency of its own and the venue's
    /// document allows `ccy`; None: keep them as they are.
    fn prefer_currency(&self, _ccy: &str) -> Option<std::sync::Arc<dyn AccountSettings>> {
        None
    }

    fn as_any(&self) -> &dyn std::any::Any;
}

/// One `[[account]]` table's venue keys, for the venue to read.
pub struct AccountKeys<'a> {
    venue_id: &'static str,
    entries: Vec<(String, Spanned<DeValue<'a>>)>,
    name_span: Range<usize>,
    base_url_given: bool,
    /// Validation errors: (where, key, message). The account becomes a
    /// CONFIG ERROR, the others load.
    problems: Vec<(Range<usize>, String, String)>,
    /// A value of the wrong shape (a TOML-level error): it fails the file,
    /// as any other TOML error does.
    fatal: Option<(Range<usize>, String)>,
}

impl<'a> AccountKeys<'a> {
    pub fn new(
        venue_id: &'static str,
        entries: Vec<(String, Spanned<DeValue<'a>>)>,
        name_span: Range<usize>,
        base_url_given: bool,
    ) -> Self {
        AccountKeys {
            venue_id,
            entries,
            name_span,
            base_url_given,
            problems: Vec::new(),
            fatal: None,
        }
    }

    /// The value of `key` with where it is; None when absent or of the wrong
    /// shape (then a fatal error is noted, with serde's own words).
    pub fn get<T: DeserializeOwned>(&mut self, key: &str) -> Option<Spanned<T>> {
        let v = self.entries.iter().find(|(k, _)| k == key)?.1.clone();
        let span = v.span();
        match Spanned::<T>::deserialize(toml::de::ValueDeserializer::from(v)) {
            Ok(t) => Some(t),
            Err(e) => {
                if self.fatal.is_none() {
                    let at = e.span().unwrap_or(span);
                    self.fatal = Some((at, e.message().to_string()));
                }
                None
            }
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// Whether the account sets `base_url` (then the venue's default host,
    /// and what it is derived from, does not matter).
    pub fn base_url_given(&self) -> bool {
        self.base_url_given
    }

    /// Where the account's name is: a missing key is reported there.
    pub fn name_span(&self) -> Range<usize> {
        self.name_span.clone()
    }

    /// The venue's id, for messages ("not a webull setting").
    pub fn venue_id(&self) -> &'static str {
        self.venue_id
    }

    /// A value that is there but unusable.
    pub fn err(&mut self, span: Range<usize>, key: &str, msg: impl Into<String>) {
        self.problems.push((span, key.to_string(), msg.into()));
    }

    /// A secret the venue cannot do without: None (and `missing_msg` noted
    /// under `key`) when absent; a wrong shape is noted by `get`.
    pub fn required_secret(&mut self, key: &str, missing_msg: &str) -> Option<SecretSource> {
        let s = self.get::<SecretSource>(key).map(Spanned::into_inner);
        if s.is_none() && !self.has(key) {
            self.missing(key, missing_msg);
        }
        s
    }

    /// A key the venue needs that is not there.
    pub fn missing(&mut self, key: &str, msg: impl Into<String>) {
        let span = self.name_span();
        self.err(span, key, msg);
    }

    /// What went wrong: the fatal shape error (if any) and the problems.
    #[allow(clippy::type_complexity)]
    pub fn finish(
        self,
    ) -> (
        Option<(Range<usize>, String)>,
        Vec<(Range<usize>, String, String)>,
    ) {
        (self.fatal, self.problems)
    }
}

use serde::Deserialize;

/// Check a base URL: https, or plain http to this machine only.
pub fn check_url(s: &str) -> Result<(), String> {
    match reqwest::Url::parse(s) {
        // It is logged and shown: credentials have their own keys.
        Ok(url) if !url.username().is_empty() || url.password().is_some() => Err(
            "credentials do not belong in a URL (it is logged and shown); use the key settings".into(),
        ),
        Ok(url) if !matches!(url.path(), "" | "/") || url.query().is_some() => Err(
            "expected only scheme, host and port, e.g. \"https://www.okx.com\" (requests are signed over the venue's own path)".into(),
        ),
        Ok(url) if url.scheme() == "https" => Ok(()),
        Ok(url) if url.scheme() == "http" && is_loopback_url(s) => Ok(()),
        Ok(url) if url.scheme() == "http" => Err(
            "plain http is allowed only to this machine (127.0.0.1, localhost, [::1]); use https"
                .into(),
        ),
        Ok(_) => Err("expected an https:// URL".into()),
        Err(e) => Err(format!("expected a URL ({e})")),
    }
}

pub fn is_loopback_url(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
