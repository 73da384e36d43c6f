//! One total across accounts, in the report currency, from the venues' own
//! figures only (no outside price feed), and the cash of each currency
//! summed across accounts.
//!
//! Pure: the caller passes the accounts and `now`; nothing here reads a clock
//! or the network. Rules:
//! - Only fresh data is summed. An account whose data is older than the
//!   staleness limit is listed as excluded (stale), never summed: a total
//!   that mixes old and new numbers would look current and not be.
//! - An account's own figures in the report currency (its totals, or another
//!   view the venue gave of the same account) are used as they are. Otherwise
//!   its totals are converted at a rate from the venues' own numbers and the
//!   result is marked approximate (≈).
//! - Rates: an account seen in two currencies (LongPort's views) gives
//!   `net_assets B / net_assets A` for A -> B; a currency row with
//!   `value_in_base` (OKX eqUsd, in the totals currency) and `equity` gives
//!   CCY -> totals currency. The freshest rate of a pair wins; inverses and
//!   one hop through a third currency are used when no direct rate exists.
//! - Every account appears in exactly one of `included` and `excluded`.
//! - Arithmetic is checked: an overflow excludes the account (or leaves the
//!   sum absent, with a problem noted), it never panics.

use crate::health::Thresholds;
use crate::model::{CurrencyBalance, Snapshot, Totals, VenueKind, View, Wallet};
use crate::monitor::{Account, PollState};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde::ser::SerializeStruct;

/// What is known of an account's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataState {
    /// Data within the staleness limit.
    Fresh,
    /// Data older than the staleness limit.
    Stale,
    /// No data: the fetch failed.
    Failed,
    /// No data yet.
    Loading,
    /// Not polled: its config is unusable.
    ConfigError,
}

/// An account's figures, borrowed from a `Snapshot` (or a snapshot report).
#[derive(Debug, Clone, Copy)]
pub struct Figures<'a> {
    pub fetched_at: DateTime<Utc>,
    pub totals: &'a Totals,
    pub other_views: &'a [View],
    pub currencies: &'a [CurrencyBalance],
    /// Per-wallet totals (Binance), used when the account has no totals of
    /// its own.
    pub wallets: &'a [Wallet],
}

impl<'a> From<&'a Snapshot> for Figures<'a> {
    fn from(s: &'a Snapshot) -> Self {
        Figures {
            fetched_at: s.fetched_at,
            totals: &s.totals,
            other_views: &s.other_views,
            currencies: &s.currencies,
            wallets: &s.wallets,
        }
    }
}

/// One account as the totals see it.
#[derive(Debug, Clone, Copy)]
pub struct Holding<'a> {
    pub name: &'a str,
    pub venue: VenueKind,
    pub state: DataState,
    pub figures: Option<Figures<'a>>,
}

impl<'a> Holding<'a> {
    /// A monitored account at `now`. Data within the staleness limit is fresh
    /// even when the latest poll failed (the account's own status says so);
    /// older data is stale whatever the poll state.
    pub fn of_account(a: &'a Account, now: DateTime<Utc>, t: &Thresholds) -> Self {
        let state = match (&a.snapshot, a.poll) {
            (Some(_), _) if a.is_stale(now, t) => DataState::Stale,
            (Some(_), _) => DataState::Fresh,
            (None, PollState::Loading) => DataState::Loading,
            (None, PollState::ConfigError) => DataState::ConfigError,
            (None, _) => DataState::Failed,
        };
        Holding {
            name: &a.spec.name,
            venue: a.spec.venue,
            state,
            figures: a.snapshot.as_ref().map(Figures::from),
        }
    }
}

/// A rate from the venues' own numbers: 1 `from` = `rate` `to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    pub from: String,
    pub to: String,
    pub rate: Decimal,
    /// Which account and figures give it, e.g. "lp-hk net_assets HKD/USD".
    pub source: String,
    /// When those figures were fetched (the older one for a cross rate).
    pub as_of: DateTime<Utc>,
}

impl Rate {
    /// `to` -> `from`; None for a zero rate.
    fn inverse(&self) -> Option<Rate> {
        Some(Rate {
            from: self.to.clone(),
            to: self.from.clone(),
            rate: Decimal::ONE.checked_div(self.rate)?,
            source: format!("1 / ({})", self.source),
            as_of: self.as_of,
        })
    }

    /// This rate, then `next` (self.to == next.from); None on overflow.
    fn then(&self, next: &Rate) -> Option<Rate> {
        Some(Rate {
            from: self.from.clone(),
            to: next.to.clone(),
            rate: self.rate.checked_mul(next.rate)?,
            source: format!("{} × {}", self.source, next.source),
            as_of: self.as_of.min(next.as_of),
        })
    }
}

/// An account in the totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Included {
    pub account: String,
    pub venue: VenueKind,
    /// The currency of the account's figures used (its totals' or a view's).
    pub currency: String,
    /// In the report currency; None where the venue reports no such figure.
    pub net_assets: Option<Decimal>,
    pub cash: Option<Decimal>,
    /// None: the venue's own figures in the report currency (or, for an
    /// account valued by its wallets, each part's own rate in
    /// `wallet_parts`). Some: converted at this rate (shown with ≈).
    pub rate: Option<Rate>,
    /// An account valued by its wallets (no totals of its own): the parts
    /// added, each in its own currency, and the rate it was converted at.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wallet_parts: Vec<WalletPart>,
    pub as_of: DateTime<Utc>,
}

impl Included {
    /// Some figure was converted at a rate (≈): its own, or a wallet part's.
    pub fn converted(&self) -> bool {
        self.rate.is_some() || self.wallet_parts.iter().any(|w| w.rate.is_some())
    }
}

/// One part of an account valued by its wallets: a wallet's net assets, or
/// a wallet without totals (spot) valued coin by coin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WalletPart {
    /// The wallet ("margin", "futures", "spot").
    pub wallet: String,
    pub currency: String,
    /// In `currency`, as the venue reports it.
    pub amount: Decimal,
    /// In the report currency.
    pub value: Decimal,
    /// None when `currency` is the report currency.
    pub rate: Option<Rate>,
}

/// Why an account is not in the totals.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Its data is older than the staleness limit.
    Stale {
        as_of: DateTime<Utc>,
    },
    Failed,
    Loading,
    ConfigError,
    /// No rate from any venue links its currency to the report currency.
    NotConvertible {
        currency: String,
    },
    /// Its totals name no currency.
    NoTotalsCurrency,
    /// The venue reports neither net assets nor total cash.
    NoTotals,
    /// Converting it overflows.
    Overflow,
}

impl Reason {
    /// Stable word for machine output.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Stale { .. } => "stale",
            Reason::Failed => "failed",
            Reason::Loading => "loading",
            Reason::ConfigError => "config_error",
            Reason::NotConvertible { .. } => "not_convertible",
            Reason::NoTotalsCurrency => "no_totals_currency",
            Reason::NoTotals => "no_totals",
            Reason::Overflow => "overflow",
        }
    }

    /// Short words for people: "stale", "no HKD rate".
    pub fn text(&self) -> String {
        match self {
            Reason::Stale { .. } => "stale".into(),
            Reason::Failed => "failed".into(),
            Reason::Loading => "loading".into(),
            Reason::ConfigError => "config error".into(),
            Reason::NotConvertible { currency } => format!("no {currency} rate"),
            Reason::NoTotalsCurrency => "no totals currency".into(),
            Reason::NoTotals => "no totals".into(),
            Reason::Overflow => "overflow".into(),
        }
    }
}

/// An account left out of the totals, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Excluded {
    pub account: String,
    pub venue: VenueKind,
    pub reason: Reason,
}

impl Serialize for Excluded {
    /// `{account, venue, reason: "stale", detail: "stale", as_of?, currency?}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Excluded", 6)?;
        st.serialize_field("account", &self.account)?;
        st.serialize_field("venue", &self.venue)?;
        st.serialize_field("reason", self.reason.code())?;
        st.serialize_field("detail", &self.reason.text())?;
        match &self.reason {
            Reason::Stale { as_of } => st.serialize_field("as_of", as_of)?,
            Reason::NotConvertible { currency } => st.serialize_field("currency", currency)?,
            _ => {}
        }
        st.end()
    }
}

/// One currency summed across the accounts that hold it, in that currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrencySum {
    pub currency: String,
    /// Sums over the accounts that report the figure; None when none does.
    pub cash: Option<Decimal>,
    pub available: Option<Decimal>,
    pub frozen: Option<Decimal>,
    /// Figures ("cash", "available", "frozen") some holder does not report:
    /// that sum leaves those accounts out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partial: Vec<&'static str>,
    /// The accounts holding it, in input order.
    pub accounts: Vec<String>,
    /// Those of them whose data is stale (their figures are in the sums).
    pub stale: Vec<String>,
}

/// The totals across accounts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Portfolio {
    /// The report currency.
    pub currency: String,
    /// Sums of the included accounts, in the report currency; None when no
    /// included account reports the figure (or the sum overflows).
    pub net_assets: Option<Decimal>,
    pub cash: Option<Decimal>,
    /// Some included figure was converted at a rate (≈).
    pub approximate: bool,
    /// Included accounts that report no net assets / no total cash: the sums
    /// leave them out.
    pub net_assets_missing: Vec<String>,
    pub cash_missing: Vec<String>,
    pub included: Vec<Included>,
    pub excluded: Vec<Excluded>,
    /// Every rate the venues' figures give, freshest per pair.
    pub rates: Vec<Rate>,
    pub by_currency: Vec<CurrencySum>,
    /// Sums that overflowed, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl CurrencySum {
    /// The accounts holding it, a stale one marked: "lp-hk, wb-old (stale)".
    pub fn holders(&self) -> String {
        self.accounts
            .iter()
            .map(|a| {
                if self.stale.contains(a) {
                    format!("{a} (stale)")
                } else {
                    a.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Portfolio {
    /// The totals of `holdings` in `currency` (upper case, as the venues send
    /// codes).
    pub fn build(holdings: &[Holding<'_>], currency: &str) -> Portfolio {
        let rates = rates(holdings);
        let mut p = Portfolio {
            currency: currency.to_string(),
            net_assets: None,
            cash: None,
            approximate: false,
            net_assets_missing: Vec::new(),
            cash_missing: Vec::new(),
            included: Vec::new(),
            excluded: Vec::new(),
            rates: Vec::new(),
            by_currency: Vec::new(),
            problems: Vec::new(),
        };
        let (sums, sum_problems) = by_currency(holdings);
        p.by_currency = sums;
        for h in holdings {
            match include(h, currency, &rates) {
                Ok(i) => p.included.push(i),
                Err(reason) => p.excluded.push(Excluded {
                    account: h.name.to_string(),
                    venue: h.venue,
                    reason,
                }),
            }
        }
        p.rates = rates;
        p.approximate = p.included.iter().any(Included::converted);
        let (net, net_missing, net_over) =
            sum(p.included.iter().map(|i| (&i.account, i.net_assets)));
        let (cash, cash_missing, cash_over) = sum(p.included.iter().map(|i| (&i.account, i.cash)));
        (p.net_assets, p.net_assets_missing) = (net, net_missing);
        (p.cash, p.cash_missing) = (cash, cash_missing);
        if net_over {
            p.problems.push("net assets: the sum overflows".into());
        }
        if cash_over {
            p.problems.push("cash: the sum overflows".into());
        }
        p.problems.extend(sum_problems);
        p
    }

    /// The totals of a monitor's accounts at `now`.
    pub fn of_accounts(
        accounts: &[Account],
        currency: &str,
        now: DateTime<Utc>,
        t: &Thresholds,
    ) -> Portfolio {
        let holdings: Vec<Holding> = accounts
            .iter()
            .map(|a| Holding::of_account(a, now, t))
            .collect();
        Portfolio::build(&holdings, currency)
    }

    /// How many accounts there are in all.
    pub fn account_count(&self) -> usize {
        self.included.len() + self.excluded.len()
    }

    /// The rate from `from` to `to` the totals would use, if any.
    pub fn rate(&self, from: &str, to: &str) -> Option<Rate> {
        find_rate(&self.rates, from, to)
    }
}

/// Sum of the present values (None if none, or on overflow), the names of
/// the absent ones, and whether it overflowed.
fn sum<'a>(
    values: impl Iterator<Item = (&'a String, Option<Decimal>)>,
) -> (Option<Decimal>, Vec<String>, bool) {
    let mut total: Option<Decimal> = None;
    let mut missing = Vec::new();
    let mut overflow = false;
    for (name, v) in values {
        match v {
            None => missing.push(name.clone()),
            Some(v) => match total {
                None => total = Some(v),
                Some(t) => match t.checked_add(v) {
                    Some(s) => total = Some(s),
                    None => overflow = true,
                },
            },
        }
    }
    (if overflow { None } else { total }, missing, overflow)
}

/// `net / by`, only when positive (a rate between two signs or over zero is
/// no rate).
fn ratio(net: Decimal, by: Decimal) -> Option<Decimal> {
    net.checked_div(by).filter(|r| *r > Decimal::ZERO)
}

/// Every rate in the fresh accounts' figures, both ways, the freshest per
/// (from, to) (the first on a tie), in the order found.
fn rates(holdings: &[Holding<'_>]) -> Vec<Rate> {
    let mut found: Vec<Rate> = Vec::new();
    for h in holdings {
        let (DataState::Fresh, Some(f)) = (h.state, h.figures) else {
            continue;
        };
        // The same account in two currencies: its net assets in each.
        let views: Vec<(&str, Decimal)> = std::iter::once(f.totals)
            .chain(f.other_views.iter().map(|v| &v.totals))
            .filter_map(|t| Some((t.currency.as_deref()?, t.net_assets?)))
            .filter(|(_, n)| !n.is_zero())
            .collect();
        // Both directions from the figures themselves: an inverse computed
        // from a rounded quotient would not come back exact (7.8000…03).
        for (a, na) in &views {
            for (b, nb) in &views {
                if a == b {
                    continue;
                }
                if let Some(r) = ratio(*nb, *na) {
                    found.push(Rate {
                        from: a.to_string(),
                        to: b.to_string(),
                        rate: r,
                        source: format!("{} net_assets {b}/{a}", h.name),
                        as_of: f.fetched_at,
                    });
                }
            }
        }
        // A currency's value in the totals currency against its amount.
        if let Some(base) = f.totals.currency.as_deref() {
            for c in f.currencies.iter().filter(|c| c.view.is_none()) {
                let (Some(v), Some(e)) = (c.value_in_base, c.equity) else {
                    continue;
                };
                if c.currency == base || e.is_zero() {
                    continue;
                }
                let pair = [
                    (&c.currency[..], base, ratio(v, e), "value_in_base/equity"),
                    (base, &c.currency[..], ratio(e, v), "equity/value_in_base"),
                ];
                for (from, to, r, fields) in pair {
                    if let Some(r) = r {
                        found.push(Rate {
                            from: from.to_string(),
                            to: to.to_string(),
                            rate: r,
                            source: format!("{} {} {fields}", h.name, c.currency),
                            as_of: f.fetched_at,
                        });
                    }
                }
            }
        }
    }
    let mut out: Vec<Rate> = Vec::new();
    for r in found {
        match out.iter_mut().find(|o| o.from == r.from && o.to == r.to) {
            Some(o) if r.as_of > o.as_of => *o = r,
            Some(_) => {}
            None => out.push(r),
        }
    }
    out
}

/// A direct rate, else the inverse of one (both directions are listed from
/// the figures, so this is a fallback).
fn direct(rates: &[Rate], from: &str, to: &str) -> Option<Rate> {
    match rates.iter().find(|r| r.from == from && r.to == to) {
        Some(r) => Some(r.clone()),
        None => rates
            .iter()
            .find(|r| r.from == to && r.to == from)
            .and_then(Rate::inverse),
    }
}

/// `from` -> `to`: direct (or inverse), else through one other currency (the
/// freshest such pair; the first on a tie).
fn find_rate(rates: &[Rate], from: &str, to: &str) -> Option<Rate> {
    if let Some(r) = direct(rates, from, to) {
        return Some(r);
    }
    let mut via: Vec<&str> = rates
        .iter()
        .flat_map(|r| [r.from.as_str(), r.to.as_str()])
        .filter(|c| *c != from && *c != to)
        .collect();
    via.sort_unstable();
    via.dedup();
    let mut best: Option<Rate> = None;
    for x in via {
        let Some(r) = direct(rates, from, x).and_then(|a| a.then(&direct(rates, x, to)?)) else {
            continue;
        };
        if best.as_ref().is_none_or(|b| r.as_of > b.as_of) {
            best = Some(r);
        }
    }
    best
}

/// `v` at `rate`, rounded to the places `v` has (at least 2): the rate's
/// 28 digits are not precision. None on overflow.
fn convert(v: Decimal, rate: Decimal) -> Option<Decimal> {
    let places = v.scale().max(2);
    Some(v.checked_mul(rate)?.round_dp(places))
}

/// The account's line in the totals, or why it has none.
fn include(h: &Holding<'_>, currency: &str, rates: &[Rate]) -> Result<Included, Reason> {
    let f = match (h.state, h.figures) {
        (DataState::Fresh, Some(f)) => f,
        (DataState::Stale, Some(f)) => {
            return Err(Reason::Stale {
                as_of: f.fetched_at,
            });
        }
        (DataState::Loading, _) => return Err(Reason::Loading),
        (DataState::ConfigError, _) => return Err(Reason::ConfigError),
        _ => return Err(Reason::Failed),
    };
    let views: Vec<&Totals> = std::iter::once(f.totals)
        .chain(f.other_views.iter().map(|v| &v.totals))
        .filter(|t| t.net_assets.is_some() || t.total_cash.is_some())
        .collect();
    if views.is_empty() {
        return match f.wallets.is_empty() {
            true => Err(Reason::NoTotals),
            false => by_wallets(h, f, currency, rates),
        };
    }
    let line = |ccy: &str, net, cash, rate| Included {
        account: h.name.to_string(),
        venue: h.venue,
        currency: ccy.to_string(),
        net_assets: net,
        cash,
        rate,
        wallet_parts: Vec::new(),
        as_of: f.fetched_at,
    };
    // The venue's own figures in the report currency.
    if let Some(t) = views
        .iter()
        .find(|t| t.currency.as_deref() == Some(currency))
    {
        return Ok(line(currency, t.net_assets, t.total_cash, None));
    }
    // Else the first view with a rate to it, the primary first.
    let mut first_ccy = None;
    for t in &views {
        let Some(ccy) = t.currency.as_deref() else {
            continue;
        };
        first_ccy.get_or_insert(ccy);
        let Some(rate) = find_rate(rates, ccy, currency) else {
            continue;
        };
        let at = |v: Option<Decimal>| match v {
            None => Ok(None),
            Some(v) => convert(v, rate.rate).map(Some).ok_or(Reason::Overflow),
        };
        let (net, cash) = (at(t.net_assets)?, at(t.total_cash)?);
        return Ok(line(ccy, net, cash, Some(rate)));
    }
    Err(match first_ccy {
        Some(c) => Reason::NotConvertible {
            currency: c.to_string(),
        },
        None => Reason::NoTotalsCurrency,
    })
}

/// An account with totals per wallet only (Binance: margin in BTC, futures in
/// USDT, spot none): its net assets are each wallet's net assets, plus each
/// coin of a wallet without totals (spot, COIN-M) at its equity or cash, all
/// converted into `currency`. Every part needs a rate: one without excludes
/// the account, naming the currency (a partial sum would read as the whole).
/// Total cash is not summed: wallets report different kinds of it.
fn by_wallets(
    h: &Holding<'_>,
    f: Figures<'_>,
    currency: &str,
    rates: &[Rate],
) -> Result<Included, Reason> {
    let mut parts: Vec<WalletPart> = Vec::new();
    let mut add = |wallet: &str, ccy: &str, amount: Decimal| -> Result<(), Reason> {
        let rate = match ccy == currency {
            true => None,
            false => {
                Some(
                    find_rate(rates, ccy, currency).ok_or_else(|| Reason::NotConvertible {
                        currency: ccy.to_string(),
                    })?,
                )
            }
        };
        let value = match &rate {
            None => amount,
            Some(r) => convert(amount, r.rate).ok_or(Reason::Overflow)?,
        };
        parts.push(WalletPart {
            wallet: wallet.to_string(),
            currency: ccy.to_string(),
            amount,
            value,
            rate,
        });
        Ok(())
    };
    let mut totalled: Vec<&str> = Vec::new();
    for w in f.wallets {
        let Some(net) = w.totals.net_assets else {
            continue;
        };
        let ccy = w
            .totals
            .currency
            .as_deref()
            .ok_or(Reason::NoTotalsCurrency)?;
        add(&w.name, ccy, net)?;
        totalled.push(&w.name);
    }
    for c in f.currencies {
        let wallet = c.wallet.as_deref().unwrap_or("");
        if totalled.contains(&wallet) {
            continue;
        }
        match c.equity.or(c.cash) {
            Some(v) if !v.is_zero() => add(wallet, &c.currency, v)?,
            _ => {}
        }
    }
    let mut net = Decimal::ZERO;
    for p in &parts {
        net = net.checked_add(p.value).ok_or(Reason::Overflow)?;
    }
    Ok(Included {
        account: h.name.to_string(),
        venue: h.venue,
        currency: "wallets".into(),
        net_assets: Some(net),
        cash: None,
        rate: None,
        wallet_parts: parts,
        as_of: f.fetched_at,
    })
}

/// Per currency, cash / available / frozen over every account with data
/// (fresh or stale), primary-view rows only (another view's rows repeat the
/// same money). Sorted by currency.
fn by_currency(holdings: &[Holding<'_>]) -> (Vec<CurrencySum>, Vec<String>) {
    use std::collections::BTreeMap;
    type Get = fn(&CurrencyBalance) -> Option<Decimal>;
    const FIELDS: [(&str, Get); 3] = [
        ("cash", |c| c.cash),
        ("available", |c| c.available),
        ("frozen", |c| c.frozen),
    ];
    // currency -> (rows with their account and staleness)
    let mut rows: BTreeMap<&str, Vec<(&str, bool, &CurrencyBalance)>> = BTreeMap::new();
    for h in holdings {
        let stale = match h.state {
            DataState::Fresh => false,
            DataState::Stale => true,
            _ => continue,
        };
        let Some(f) = h.figures else { continue };
        for c in f.currencies.iter().filter(|c| c.view.is_none()) {
            rows.entry(&c.currency)
                .or_default()
                .push((h.name, stale, c));
        }
    }
    let mut problems = Vec::new();
    let sums = rows
        .into_iter()
        .map(|(ccy, rows)| {
            let mut accounts: Vec<String> = Vec::new();
            let mut stale: Vec<String> = Vec::new();
            // Each account once, in the order found (a set: hundreds of
            // accounts hold one currency on a service).
            let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
            for (name, is_stale, _) in &rows {
                if seen.insert(name) {
                    accounts.push(name.to_string());
                    if *is_stale {
                        stale.push(name.to_string());
                    }
                }
            }
            let names: Vec<String> = rows.iter().map(|r| r.0.to_string()).collect();
            let mut sums = [None; 3];
            let mut partial = Vec::new();
            for (i, (field, get)) in FIELDS.iter().enumerate() {
                let (total, missing, overflow) =
                    sum(names.iter().zip(rows.iter().map(|r| get(r.2))));
                if overflow {
                    problems.push(format!("{ccy} {field}: the sum overflows"));
                } else if !missing.is_empty() && total.is_some() {
                    partial.push(*field);
                }
                sums[i] = total;
            }
            CurrencySum {
                currency: ccy.to_string(),
                cash: sums[0],
                available: sums[1],
                frozen: sums[2],
                partial,
                accounts,
                stale,
            }
        })
        .collect();
    (sums, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venues::{longport, okx, webull};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }
    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }
    const T0: &str = "2026-01-02T03:04:05Z";

    fn totals(ccy: Option<&str>, net: Option<&str>, cash: Option<&str>) -> Totals {
        Totals {
            currency: ccy.map(String::from),
            net_assets: net.map(d),
            total_cash: cash.map(d),
            ..Totals::default()
        }
    }
    fn row(
        ccy: &str,
        cash: Option<&str>,
        avail: Option<&str>,
        frozen: Option<&str>,
    ) -> CurrencyBalance {
        CurrencyBalance {
            currency: ccy.into(),
            cash: cash.map(d),
            available: avail.map(d),
            frozen: frozen.map(d),
            ..CurrencyBalance::default()
        }
    }
    fn snap(t: Totals, views: Vec<Totals>, rows: Vec<CurrencyBalance>, when: &str) -> Snapshot {
        Snapshot {
            fetched_at: at(when),
            venue_time: None,
            account_mode: None,
            totals: t,
            risk: Default::default(),
            currencies: rows,
            wallets: Vec::new(),
            other_views: views
                .into_iter()
                .map(|totals| View {
                    totals,
                    risk: Default::default(),
                })
                .collect(),
        }
    }
    fn holding<'a>(
        name: &'a str,
        venue: VenueKind,
        state: DataState,
        s: Option<&'a Snapshot>,
    ) -> Holding<'a> {
        Holding {
            name,
            venue,
            state,
            figures: s.map(Figures::from),
        }
    }

    /// LongPort in HKD and USD views; OKX in USD with a BTC row; Webull in HKD.
    fn lp() -> Snapshot {
        snap(
            totals(Some("HKD"), Some("780000.00"), Some("78000.00")),
            vec![totals(Some("USD"), Some("100000.00"), Some("10000.00"))],
            vec![row("HKD", None, Some("50000"), Some("100"))],
            T0,
        )
    }
    fn okx_snap() -> Snapshot {
        let mut btc = row("BTC", Some("2"), Some("1.5"), Some("0.5"));
        btc.equity = Some(d("2"));
        btc.value_in_base = Some(d("180000.5"));
        snap(
            totals(Some("USD"), Some("200000.25"), None),
            vec![],
            vec![btc, row("USD", Some("1000"), Some("900"), None)],
            T0,
        )
    }
    fn wb_snap() -> Snapshot {
        snap(
            totals(Some("HKD"), Some("1000.50"), Some("500.25")),
            vec![],
            vec![
                row("HKD", Some("500.25"), Some("400"), Some("0")),
                row("USD", Some("10"), None, None),
            ],
            T0,
        )
    }

    #[test]
    fn a_two_view_account_and_a_currency_row_give_rates() {
        let (l, o) = (lp(), okx_snap());
        let hs = [
            holding("lp-hk", longport::KIND, DataState::Fresh, Some(&l)),
            holding("okx-a", okx::KIND, DataState::Fresh, Some(&o)),
        ];
        let p = Portfolio::build(&hs, "USD");
        let got: Vec<(&str, &str, Decimal, &str)> = p
            .rates
            .iter()
            .map(|r| (r.from.as_str(), r.to.as_str(), r.rate, r.source.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "HKD",
                    "USD",
                    d("100000.00") / d("780000.00"),
                    "lp-hk net_assets USD/HKD"
                ),
                ("USD", "HKD", d("7.8"), "lp-hk net_assets HKD/USD"),
                (
                    "BTC",
                    "USD",
                    d("90000.25"),
                    "okx-a BTC value_in_base/equity"
                ),
                (
                    "USD",
                    "BTC",
                    d("2") / d("180000.5"),
                    "okx-a BTC equity/value_in_base"
                ),
            ]
        );
        assert!(p.rates.iter().all(|r| r.as_of == at(T0)));
        // A cross through USD.
        let cross = p.rate("BTC", "HKD").unwrap();
        assert_eq!(cross.rate, d("90000.25") * d("7.8"));
        assert_eq!(
            cross.source,
            "okx-a BTC value_in_base/equity × lp-hk net_assets HKD/USD"
        );
        assert!(p.rate("BTC", "EUR").is_none());
        // Only one direction known: its inverse, said so.
        let one_way = [p.rates[2].clone()];
        let inv = find_rate(&one_way, "USD", "BTC").unwrap();
        assert_eq!(inv.rate, Decimal::ONE / d("90000.25"));
        assert_eq!(inv.source, "1 / (okx-a BTC value_in_base/equity)");
    }

    /// Shaped like Binance classic: margin totals in BTC, futures in USDT,
    /// spot rows without totals.
    fn binance_snap(spot_coin: &str) -> Snapshot {
        use crate::model::Wallet;
        let wallet = |name: &str, ccy: &str, net: &str| Wallet {
            name: name.into(),
            totals: totals(Some(ccy), Some(net), None),
        };
        let mut spot = row(spot_coin, Some("3"), Some("3"), Some("0"));
        spot.wallet = Some("spot".into());
        let mut margin_row = row("BTC", Some("0.5"), None, None);
        margin_row.wallet = Some("margin".into());
        let mut s = snap(Totals::default(), vec![], vec![margin_row, spot], T0);
        s.wallets = vec![
            wallet("margin", "BTC", "0.1"),
            wallet("futures", "USD", "1000.50"),
        ];
        s
    }

    #[test]
    fn an_account_with_wallet_totals_only_is_valued_wallet_by_wallet() {
        let o = okx_snap();
        // OKX beside a Binance account whose spot wallet holds `coin`.
        let with_okx = |bn: &Snapshot| {
            let hs = [
                holding("okx-a", okx::KIND, DataState::Fresh, Some(&o)),
                holding(
                    "bn",
                    crate::venues::binance::KIND,
                    DataState::Fresh,
                    Some(bn),
                ),
            ];
            Portfolio::build(&hs, "USD")
        };
        let p = with_okx(&binance_snap("BTC"));
        let i = &p.included[1];
        assert_eq!(i.account, "bn");
        let parts: Vec<(&str, &str, Decimal, Decimal)> = i
            .wallet_parts
            .iter()
            .map(|w| (w.wallet.as_str(), w.currency.as_str(), w.amount, w.value))
            .collect();
        // OKX's BTC rate is 90000.25: margin 0.1 BTC, futures already USD,
        // spot 3 BTC; the margin wallet's own row is in its total, not again.
        assert_eq!(
            parts,
            [
                ("margin", "BTC", d("0.1"), d("9000.02")),
                ("futures", "USD", d("1000.50"), d("1000.50")),
                ("spot", "BTC", d("3"), d("270000.75")),
            ]
        );
        assert_eq!(i.net_assets, Some(d("280001.27")));
        assert_eq!(i.cash, None, "wallets' cash is not one kind");
        // Each part names its own rate; the account has no single one.
        assert!(i.rate.is_none() && i.converted() && p.approximate);
        assert_eq!(p.net_assets, Some(d("200000.25") + d("280001.27")));

        // A coin without a rate excludes the account, naming it: a partial
        // sum would read as the whole.
        let p = with_okx(&binance_snap("BNB"));
        assert_eq!(p.excluded[0].reason.text(), "no BNB rate");
    }

    #[test]
    fn exact_converted_and_excluded_accounts_each_appear_once() {
        let (l, o, w) = (lp(), okx_snap(), wb_snap());
        let stale = okx_snap();
        let cnh = snap(totals(Some("CNH"), Some("5"), None), vec![], vec![], T0);
        let hs = [
            holding("lp-hk", longport::KIND, DataState::Fresh, Some(&l)),
            holding("okx-a", okx::KIND, DataState::Fresh, Some(&o)),
            holding("wb-1", webull::KIND, DataState::Fresh, Some(&w)),
            holding("okx-old", okx::KIND, DataState::Stale, Some(&stale)),
            holding("wb-cnh", webull::KIND, DataState::Fresh, Some(&cnh)),
            holding("wb-down", webull::KIND, DataState::Failed, None),
            holding("okx-new", okx::KIND, DataState::Loading, None),
        ];
        let p = Portfolio::build(&hs, "USD");
        let names: Vec<&str> = p.included.iter().map(|i| i.account.as_str()).collect();
        assert_eq!(names, ["lp-hk", "okx-a", "wb-1"]);
        // LongPort's own USD view: exact.
        assert_eq!(p.included[0].rate, None);
        assert_eq!(p.included[0].currency, "USD");
        assert_eq!(p.included[0].net_assets, Some(d("100000.00")));
        // Webull HKD at LongPort's rate, rounded to the places given: ≈.
        let wb = &p.included[2];
        assert_eq!(wb.currency, "HKD");
        assert_eq!(wb.rate.as_ref().unwrap().source, "lp-hk net_assets USD/HKD");
        assert_eq!(wb.net_assets, Some(d("128.27")));
        assert_eq!(wb.cash, Some(d("64.13")));
        assert!(p.approximate);
        assert_eq!(
            p.net_assets,
            Some(d("100000.00") + d("200000.25") + d("128.27"))
        );
        // OKX reports no total cash: the cash sum says it leaves it out.
        assert_eq!(p.cash, Some(d("10000.00") + d("64.13")));
        assert_eq!(p.cash_missing, ["okx-a"]);
        assert!(p.net_assets_missing.is_empty());
        let why: Vec<(&str, String)> = p
            .excluded
            .iter()
            .map(|e| (e.account.as_str(), e.reason.text()))
            .collect();
        assert_eq!(
            why,
            [
                ("okx-old", "stale".to_string()),
                ("wb-cnh", "no CNH rate".to_string()),
                ("wb-down", "failed".to_string()),
                ("okx-new", "loading".to_string()),
            ]
        );
        assert_eq!(p.excluded[0].reason, Reason::Stale { as_of: at(T0) });
        assert_eq!(p.account_count(), hs.len());
        let json = serde_json::to_value(&p.excluded[1]).unwrap();
        assert_eq!(json["reason"], "not_convertible");
        assert_eq!(json["currency"], "CNH");
    }

    #[test]
    fn all_in_the_report_currency_is_exact() {
        let o = okx_snap();
        let p = Portfolio::build(
            &[holding("okx-a", okx::KIND, DataState::Fresh, Some(&o))],
            "USD",
        );
        assert!(!p.approximate);
        assert_eq!(p.net_assets, Some(d("200000.25")));
        assert_eq!(p.cash, None, "no account reports cash: absent, not 0");
        assert_eq!(p.cash_missing, ["okx-a"]);
    }

    #[test]
    fn no_totals_and_no_currency_are_reasons() {
        let none = snap(totals(Some("USD"), None, None), vec![], vec![], T0);
        let nameless = snap(totals(None, Some("1"), None), vec![], vec![], T0);
        let p = Portfolio::build(
            &[
                holding("a", okx::KIND, DataState::Fresh, Some(&none)),
                holding("b", okx::KIND, DataState::Fresh, Some(&nameless)),
                holding("c", okx::KIND, DataState::ConfigError, None),
            ],
            "USD",
        );
        let reasons: Vec<&Reason> = p.excluded.iter().map(|e| &e.reason).collect();
        assert_eq!(
            reasons,
            [
                &Reason::NoTotals,
                &Reason::NoTotalsCurrency,
                &Reason::ConfigError
            ]
        );
        assert_eq!((p.net_assets, p.cash), (None, None));
        assert!(p.included.is_empty());
    }

    #[test]
    fn the_freshest_rate_of_a_pair_wins_and_stale_data_gives_none() {
        let old = snap(
            totals(Some("HKD"), Some("800"), None),
            vec![totals(Some("USD"), Some("100"), None)],
            vec![],
            "2026-01-02T03:00:00Z",
        );
        // The other direction, newer.
        let new = snap(
            totals(Some("USD"), Some("100"), None),
            vec![totals(Some("HKD"), Some("780"), None)],
            vec![],
            T0,
        );
        let stale = snap(
            totals(Some("HKD"), Some("1"), None),
            vec![totals(Some("USD"), Some("1"), None)],
            vec![],
            "2026-01-02T03:05:00Z",
        );
        let p = Portfolio::build(
            &[
                holding("old", longport::KIND, DataState::Fresh, Some(&old)),
                holding("new", longport::KIND, DataState::Fresh, Some(&new)),
                holding("stale", longport::KIND, DataState::Stale, Some(&stale)),
            ],
            "USD",
        );
        let sources: Vec<&str> = p.rates.iter().map(|r| r.source.as_str()).collect();
        assert_eq!(
            sources,
            ["new net_assets USD/HKD", "new net_assets HKD/USD"]
        );
        assert_eq!(p.rate("HKD", "USD").unwrap().rate, d("100") / d("780"));
    }

    #[test]
    fn zero_negative_and_overflowing_figures_never_panic() {
        // A zero view gives no rate; opposite signs give none either.
        let zero = snap(
            totals(Some("HKD"), Some("0"), None),
            vec![totals(Some("USD"), Some("5"), None)],
            vec![],
            T0,
        );
        let signs = snap(
            totals(Some("SGD"), Some("-5"), None),
            vec![totals(Some("USD"), Some("5"), None)],
            vec![],
            T0,
        );
        let p = Portfolio::build(
            &[
                holding("z", longport::KIND, DataState::Fresh, Some(&zero)),
                holding("s", longport::KIND, DataState::Fresh, Some(&signs)),
            ],
            "EUR",
        );
        assert!(p.rates.is_empty());
        assert_eq!(p.excluded.len(), 2);
        // Sums beyond Decimal::MAX: absent, with the problem named.
        let big = snap(
            totals(Some("USD"), Some(&Decimal::MAX.to_string()), None),
            vec![],
            vec![row("USD", Some(&Decimal::MAX.to_string()), None, None)],
            T0,
        );
        let p = Portfolio::build(
            &[
                holding("a", okx::KIND, DataState::Fresh, Some(&big)),
                holding("b", okx::KIND, DataState::Fresh, Some(&big)),
            ],
            "USD",
        );
        assert_eq!(p.net_assets, None);
        assert_eq!(p.by_currency[0].cash, None);
        assert_eq!(
            p.problems,
            [
                "net assets: the sum overflows",
                "USD cash: the sum overflows"
            ]
        );
        // Converting beyond Decimal::MAX excludes the account.
        let rate = snap(
            totals(Some("HKD"), Some("1"), None),
            vec![totals(Some("USD"), Some("1000"), None)],
            vec![],
            T0,
        );
        let huge = snap(
            totals(Some("HKD"), Some(&Decimal::MAX.to_string()), None),
            vec![],
            vec![],
            T0,
        );
        let p = Portfolio::build(
            &[
                holding("r", longport::KIND, DataState::Fresh, Some(&rate)),
                holding("h", webull::KIND, DataState::Fresh, Some(&huge)),
            ],
            "USD",
        );
        assert_eq!(p.excluded[0].account, "h");
        assert_eq!(p.excluded[0].reason, Reason::Overflow);
    }

    #[test]
    fn currencies_sum_across_accounts_absent_stays_absent() {
        let (l, o, w) = (lp(), okx_snap(), wb_snap());
        let mut old = wb_snap();
        old.currencies.push(CurrencyBalance {
            view: Some("USD".into()),
            ..row("HKD", Some("999"), None, None)
        });
        let hs = [
            holding("lp-hk", longport::KIND, DataState::Fresh, Some(&l)),
            holding("okx-a", okx::KIND, DataState::Fresh, Some(&o)),
            holding("wb-1", webull::KIND, DataState::Fresh, Some(&w)),
            holding("wb-old", webull::KIND, DataState::Stale, Some(&old)),
            holding("wb-down", webull::KIND, DataState::Failed, None),
        ];
        let p = Portfolio::build(&hs, "USD");
        let ccys: Vec<&str> = p.by_currency.iter().map(|c| c.currency.as_str()).collect();
        assert_eq!(ccys, ["BTC", "HKD", "USD"]);
        let hkd = &p.by_currency[1];
        // LongPort reports no per-currency cash: the cash sum is the two Webull rows.
        assert_eq!(hkd.cash, Some(d("1000.50")));
        assert_eq!(hkd.available, Some(d("50800")));
        assert_eq!(hkd.frozen, Some(d("100")));
        assert_eq!(hkd.partial, ["cash"]);
        assert_eq!(hkd.accounts, ["lp-hk", "wb-1", "wb-old"]);
        assert_eq!(hkd.stale, ["wb-old"]);
        let usd = &p.by_currency[2];
        assert_eq!(usd.cash, Some(d("1020")));
        assert_eq!(usd.available, Some(d("900")));
        assert_eq!(usd.frozen, None, "nobody reports it");
        assert_eq!(usd.partial, ["available"]);
        assert_eq!(usd.accounts, ["okx-a", "wb-1", "wb-old"]);
    }

    #[test]
    fn a_monitored_account_is_fresh_or_stale_by_its_data_age() {
        use crate::monitor::AccountSpec;
        use std::time::Duration;
        let spec = AccountSpec::new("a", okx::KIND, false, Duration::from_secs(5));
        let m = crate::monitor::Monitor::new(vec![spec], Thresholds::default());
        let now = at(T0);
        let h = Holding::of_account(&m.accounts()[0], now, &Thresholds::default());
        assert_eq!((h.state, h.figures.is_none()), (DataState::Loading, true));
    }
}
