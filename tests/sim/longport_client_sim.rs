//! The LongPort client and poller against the simulator over loopback.

use baltui::clients::client_for;
use baltui::config::Config;
use baltui::model::RiskLevel;
use baltui::poll::Event;
use baltui::sim::{Fault, Sim, SimOptions, demo_accounts};
use baltui::venues::{ErrorKind, VenueClient, http_client};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;

async fn sim() -> Sim {
    Sim::start(
        ([127, 0, 0, 1], 0).into(),
        SimOptions {
            seed: 9,
            ..SimOptions::default()
        },
        demo_accounts(),
    )
    .await
    .unwrap()
}

/// The sim's LongPort accounts only ("lp-hk" current path, "lp-legacy").
fn longport(text: &str) -> Config {
    let mut c = Config::parse(text, "sim.toml").unwrap();
    c.accounts
        .retain(|a| a.venue == baltui::venues::longport::KIND);
    c
}

fn app_key(name: &str) -> String {
    demo_accounts()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap()
        .api_key
}

fn clients(c: &Config) -> Vec<VenueClient> {
    c.accounts
        .iter()
        .map(|a| client_for(a, http_client(Duration::from_secs(5))).unwrap())
        .collect()
}

fn spawn(c: &Config) -> (baltui::poll::PollerSet, mpsc::Receiver<Event>) {
    let (tx, rx) = mpsc::channel(64);
    let intervals = vec![Duration::from_secs(2); c.accounts.len()];
    (baltui::poll::spawn(clients(c), &intervals, 0, tx), rx)
}

type Polled = (
    chrono::DateTime<chrono::Utc>,
    Option<chrono::DateTime<chrono::Utc>>,
    Result<baltui::model::Snapshot, baltui::venues::VenueError>,
);

async fn next_for(rx: &mut mpsc::Receiver<Event>, account: usize) -> Polled {
    loop {
        let m = timeout(Duration::from_secs(15), rx.recv())
            .await
            .expect("a poll within 15 s")
            .unwrap();
        if let Event::Polled {
            account: a,
            at,
            next_poll_at,
            result,
            ..
        } = m
            && a == account
        {
            return (at, next_poll_at, result);
        }
    }
}

#[tokio::test]
async fn both_paths_normalize() {
    let sim = sim().await;
    let c = longport(&sim.config_toml());
    assert_eq!(c.accounts.len(), 2);
    let (set, mut rx) = spawn(&c);
    let (_, next, r) = next_for(&mut rx, 0).await;
    let s = r.unwrap();
    assert!(next.is_some());
    // Current path, no currency: one list item per account currency.
    assert_eq!(s.totals.currency.as_deref(), Some("HKD"));
    assert_eq!(s.other_views.len(), 1);
    assert_eq!(s.other_views[0].totals.currency.as_deref(), Some("USD"));
    assert_eq!(s.risk.level, Some(RiskLevel::Safe));
    assert!(
        s.risk.margin_ratio.is_some(),
        "net assets / maintenance margin"
    );
    let usd = s.currencies.iter().find(|c| c.currency == "USD").unwrap();
    assert!(
        usd.settling.unwrap() < rust_decimal::Decimal::ZERO,
        "negative settling cash kept"
    );
    assert!(
        s.currencies.iter().all(|c| c.cash.is_none()),
        "LongPort has no per-currency cash"
    );
    // Legacy path: cashInfos, msg, integer amounts.
    let (_, _, r) = next_for(&mut rx, 1).await;
    let s = r.unwrap();
    assert!(s.totals.total_cash.is_some());
    assert!(!s.currencies.is_empty());
    set.shutdown();
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn configured_currency_asks_for_one_view() {
    let sim = sim().await;
    let text = sim.config_toml().replacen(
        "venue = \"longport\"",
        "venue = \"longport\"\ncurrency = \"USD\"",
        1,
    );
    let c = longport(&text);
    assert!(
        c.accounts[0]
            .settings_as::<baltui::venues::longport::config::LongportConfig>()
            .and_then(|l| l.currency.as_deref())
            == Some("USD")
    );
    let (set, mut rx) = spawn(&c);
    let s = next_for(&mut rx, 0).await.2.unwrap();
    assert_eq!(s.totals.currency.as_deref(), Some("USD"));
    assert!(s.other_views.is_empty());
    set.shutdown();
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_secret_and_expired_token_stop_only_that_account() {
    let sim = sim().await;
    let text = sim
        .config_toml()
        .replacen("app_secret = \"", "app_secret = \"WRONG", 1);
    let c = longport(&text);
    let (set, mut rx) = spawn(&c);
    let (_, next, r) = next_for(&mut rx, 0).await;
    let e = r.unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::Auth { code, .. } if code == "403201"),
        "{e}"
    );
    assert!(e.trace_id.is_some(), "x-trace-id kept for the log: {e}");
    assert_eq!(next, None, "stopped until asked");
    // The other account keeps going; then its token expires.
    assert!(next_for(&mut rx, 1).await.2.is_ok());
    sim.state
        .inject(&app_key("lp-legacy"), Fault::TokenExpired, 1);
    let (_, next, r) = next_for(&mut rx, 1).await;
    let e = r.unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::Auth { code, .. } if code == "401003"),
        "{e}"
    );
    assert!(e.to_string().contains("access token expired"), "{e}");
    assert_eq!(next, None);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        sim.state.requests_for(&app_key("lp-legacy")),
        2,
        "no retries on its own"
    );
    // A manual refresh after renewing the token polls again, and recovers.
    set.refresh(Some(1));
    assert!(next_for(&mut rx, 1).await.2.is_ok());
    set.shutdown();
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_limit_backs_off_at_least_thirty_seconds() {
    let sim = sim().await;
    let c = longport(&sim.config_toml());
    sim.state.inject(&app_key("lp-hk"), Fault::RateLimited, 1);
    let (set, mut rx) = spawn(&c);
    let (at, next, r) = next_for(&mut rx, 0).await;
    let e = r.unwrap_err();
    assert!(
        matches!(&e.kind, ErrorKind::RateLimited { code, .. } if code == "429002"),
        "{e}"
    );
    assert!(next.unwrap() - at >= chrono::Duration::seconds(30));
    // Key mashing during the pause adds no request.
    for _ in 0..20 {
        set.refresh(Some(0));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sim.state.requests_for(&app_key("lp-hk")), 1);
    set.shutdown();
    sim.shutdown().await;
}

#[tokio::test]
async fn refresh_mashing_never_duplicates_or_breaks_the_limit() {
    let sim = sim().await;
    let c = longport(&sim.config_toml());
    let (set, mut rx) = spawn(&c);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    let mut ok = 0;
    while tokio::time::Instant::now() < deadline {
        set.refresh(None);
        if let Ok(Some(Event::Polled { result, .. })) =
            timeout(Duration::from_millis(50), rx.recv()).await
        {
            assert!(result.is_ok(), "{:?}", result.err());
            ok += 1;
        }
    }
    set.shutdown();
    // One request per second at most per account (duplicate rule), 2 accounts, 6 s.
    assert!((4..=14).contains(&ok), "{ok} polls");
    assert_eq!(
        sim.state.violations(),
        0,
        "no 403202 duplicate and no 429002"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn undocumented_risk_level_still_shows_the_account() {
    use baltui::health::{Severity, evaluate};
    let sim = sim().await;
    let c = longport(&sim.config_toml());
    let client = clients(&c).remove(0);
    sim.state
        .inject(&app_key("lp-hk"), Fault::UnknownRiskLevel, 1);
    let s = client
        .fetch()
        .await
        .expect("risk_level \"7\" never hides the account");
    assert!(!s.currencies.is_empty(), "balances still show");
    assert!(s.currencies.iter().all(|c| c.available.is_some()));
    assert!(s.totals.net_assets.is_some());
    assert_eq!(s.risk.level, None);
    assert!(s.other_views.iter().all(|v| v.risk.level.is_none()));
    let f = evaluate(&s, &Default::default());
    let level = f
        .iter()
        .find(|f| f.subject == "risk_level")
        .unwrap_or_else(|| panic!("a risk_level finding in {f:?}"));
    assert_eq!(level.severity, Severity::Warn);
    assert_eq!(level.message, "unknown risk level 7");
    // The next reply is documented again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let s = client.fetch().await.unwrap();
    assert_eq!(s.risk.level, Some(RiskLevel::Safe));
    assert!(s.risk.indicators.is_empty());
    assert_eq!(sim.state.violations(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn calm_account_fee_in_a_currency_without_cash_is_shown() {
    let sim = sim().await;
    // lp-legacy (BrokerCalm) on the current path, whose items carry
    // `frozen_transaction_fees` (the legacy shape has none).
    let text = sim
        .config_toml()
        .replace("path = \"/v1/trade/asset/GetAccountCashInfo\"\n", "");
    assert_ne!(text, sim.config_toml());
    let c = longport(&text);
    let client = clients(&c).remove(1);
    let s = client.fetch().await.unwrap();
    let cnh: Vec<_> = s
        .currencies
        .iter()
        .filter(|c| c.currency == "CNH")
        .collect();
    assert_eq!(cnh.len(), 1, "one CNH row: {:?}", s.currencies);
    let cnh = cnh[0];
    assert!(
        cnh.frozen_fees
            .is_some_and(|f| f > rust_decimal::Decimal::ZERO),
        "{cnh:?}"
    );
    assert_eq!(
        (cnh.available, cnh.frozen, cnh.settling, cnh.withdrawable),
        (None, None, None, None),
        "only the fee is known in CNH"
    );
    // The cash rows are there as before.
    for ccy in ["HKD", "USD"] {
        assert!(
            s.currencies
                .iter()
                .any(|c| c.currency == ccy && c.available.is_some()),
            "{ccy}"
        );
    }
    sim.shutdown().await;
}
