//! Deterministic account drift, venue-neutral: a `Book` is a pure function of
//! (seed, account name, scenario, step). Venue renderers (okx.rs,
//! longport.rs, webull.rs) turn a `Book` into their wire shape.
//!
//! `step` counts replies served, not wall time, so tests are reproducible.

use super::Scenario;
use rust_decimal::Decimal;

/// One currency held (or owed) in the account. Amounts in the currency's units;
/// `price` in USD. `cash` is negative for a borrowed currency (as OKX shows it).
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    pub ccy: &'static str,
    pub cash: Decimal,
    pub frozen: Decimal,
    pub liab: Decimal,
    pub interest: Decimal,
    pub upl: Decimal,
    pub price: Decimal,
    /// Collateral discount rate (1 = full value counts as margin).
    pub discount: Decimal,
    pub max_loan: Decimal,
    /// Forced-repayment risk 0-5 (OKX twap); frp_type 0 none, 1 user, 2 platform.
    pub twap: u8,
    pub frp_type: u8,
    pub col_res: u8,
    pub auto_conversion: u8,
    /// Cash awaiting settlement (a broker's `settling_cash`; may be negative;
    /// Webull's `pending_incoming`).
    pub settling: Decimal,
    /// Broker: market value of the securities held in this currency.
    pub positions: Decimal,
    /// Display scale for amounts of this currency.
    pub scale: u32,
}

impl Holding {
    pub fn equity(&self) -> Decimal {
        (self.cash + self.upl).round_dp(self.scale)
    }
    pub fn avail(&self) -> Decimal {
        (self.cash - self.frozen)
            .max(Decimal::ZERO)
            .round_dp(self.scale)
    }
    pub fn eq_usd(&self) -> Decimal {
        (self.equity() * self.price).round_dp(4)
    }
    /// Discounted equity: only positive holdings are discounted.
    pub fn dis_eq(&self) -> Decimal {
        let usd = self.eq_usd();
        if usd > Decimal::ZERO {
            (usd * self.discount).round_dp(4)
        } else {
            usd
        }
    }
}

/// Account-level margin figures (USD). Absent for a spot-like account.
#[derive(Debug, Clone, PartialEq)]
pub struct Margin {
    pub adj_eq: Decimal,
    pub imr: Decimal,
    pub mmr: Decimal,
    /// adj_eq / mmr, rounded; 1 = liquidation line.
    pub ratio: Decimal,
    pub notional_usd: Decimal,
    pub upl: Decimal,
    pub delta_neutral_status: u8,
}

/// A broker's account-level risk view (LongPort style), amounts in USD.
/// Net assets, initial and maintenance margin are in `Book::margin`
/// (`adj_eq`, `imr`, `mmr`, `ratio` = net assets / maintenance margin).
#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    /// 0 safe, 1 medium, 2 early warning, 3 danger (from `ratio`).
    pub level: u8,
    /// Margin called; > 0 exactly when `level` is 3.
    pub margin_call: Decimal,
    /// Market value of the securities held (part of net assets).
    pub positions_usd: Decimal,
    pub buy_power: Decimal,
    pub max_finance: Decimal,
    pub remaining_finance: Decimal,
    /// Fees frozen for open orders, per currency (in that currency); may
    /// name a currency with no holding (BrokerCalm: CNH).
    pub frozen_fees: Vec<(&'static str, Decimal)>,
    /// The venue sent "" for the level and the margin figures this time.
    pub blank: bool,
    /// Share of the credit line in use, percent (borrowed / max_finance
    /// * 100, 2 decimals; 0 without a line): Webull's `margin_utilization_rate`.
    pub utilization: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Book {
    pub step: u64,
    pub holdings: Vec<Holding>,
    pub margin: Option<Margin>,
    /// Broker risk view; None for an exchange account.
    pub risk: Option<Risk>,
}

impl Book {
    pub fn total_eq(&self) -> Decimal {
        self.holdings
            .iter()
            .map(Holding::eq_usd)
            .sum::<Decimal>()
            .round_dp(4)
    }
    pub fn adj_eq(&self) -> Decimal {
        self.holdings
            .iter()
            .map(Holding::dis_eq)
            .sum::<Decimal>()
            .round_dp(4)
    }
}

/// Length of one MarginSwing cycle, in steps.
pub const SWING_PERIOD: u64 = 40;

pub fn book(seed: u64, account: &str, scenario: Scenario, step: u64) -> Book {
    let n = Noise {
        seed,
        account: fnv1a(account.as_bytes()),
    };
    match scenario {
        // Futures mode holds what a calm account holds; okx.rs adds the
        // per-currency margin figures.
        // Binance renders its own bodies (venues/binance/sim.rs); a calm
        // book where a generic one is asked for.
        Scenario::Calm
        | Scenario::FuturesSwing
        | Scenario::MarginLevelWalk
        | Scenario::PortfolioMargin => calm(&n, step),
        Scenario::MarginSwing => margin_swing(&n, step),
        Scenario::RiskWalk => risk_walk(&n, step),
        Scenario::BrokerCalm => broker_calm(&n, step, false),
        Scenario::BrokerBlanks => broker_calm(&n, step, step % 3 == 2),
        Scenario::BrokerMargin => sub_book(seed, account, scenario, 0, step),
    }
}

/// The book of one brokerage account under a multi-account credential
/// (Webull: an app key). `account` names the sub-account (its account_id),
/// `index` is its place under the credential. For BrokerMargin, index 0
/// carries the margin loan, the others are calm; other scenarios ignore
/// `index`.
pub fn sub_book(seed: u64, account: &str, scenario: Scenario, index: usize, step: u64) -> Book {
    let n = Noise {
        seed,
        account: fnv1a(account.as_bytes()),
    };
    match (scenario, index) {
        (Scenario::BrokerMargin, 0) => broker_loan(&n, step),
        (Scenario::BrokerMargin, _) => broker_cash_only(&n, step),
        _ => book(seed, account, scenario, step),
    }
}

fn dec(s: &str) -> Decimal {
    // Only called on the literals in this file.
    s.parse().unwrap_or(Decimal::ZERO)
}

fn holding(ccy: &'static str, cash: Decimal, price: Decimal, scale: u32) -> Holding {
    Holding {
        ccy,
        cash: cash.round_dp(scale),
        frozen: Decimal::ZERO,
        liab: Decimal::ZERO,
        interest: Decimal::ZERO,
        upl: Decimal::ZERO,
        price: price.round_dp(4),
        discount: Decimal::ONE,
        max_loan: Decimal::ZERO,
        twap: 0,
        frp_type: 0,
        col_res: 0,
        auto_conversion: 0,
        settling: Decimal::ZERO,
        positions: Decimal::ZERO,
        scale,
    }
}

/// Spot-like account: a few coins, small drift, no margin risk.
fn calm(n: &Noise, step: u64) -> Book {
    // Drift factor around 1: +-0.2% for balances, +-2% for prices.
    let bal = |k: u64| Decimal::ONE + n.smooth(k, step) * dec("0.002");
    let px = |k: u64| Decimal::ONE + n.smooth(k, step) * dec("0.02");
    let mut usdt = holding("USDT", dec("4850.4357") * bal(1), dec("0.9997"), 4);
    usdt.frozen = dec("158.573");
    let mut btc = holding("BTC", dec("0.5213") * bal(2), dec("43250.5") * px(3), 8);
    btc.discount = dec("0.98");
    let mut eth = holding("ETH", dec("3.1042") * bal(4), dec("2285.12") * px(5), 8);
    eth.discount = dec("0.97");
    eth.frozen = dec("0.25");
    let mut okb = holding("OKB", dec("42.5") * bal(6), dec("54.31") * px(7), 6);
    okb.discount = dec("0.9");
    Book {
        step,
        holdings: vec![usdt, btc, eth, okb],
        margin: None,
        risk: None,
    }
}

/// Multi-currency margin account: long BTC/ETH against borrowed USDT. The
/// margin ratio follows 1.2 + 6.8 * s^2, s = |phase - 20| / 20, so it spends
/// about half of each 40-step cycle below 3 and about 9 steps below 1.5.
fn margin_swing(n: &Noise, step: u64) -> Book {
    let phase = step % SWING_PERIOD;
    let half = SWING_PERIOD / 2;
    let dist = phase.abs_diff(half);
    let s = Decimal::from(dist) / Decimal::from(half);
    let target = dec("1.2") + dec("6.8") * s * s + n.at(10, step) * dec("0.03");
    let bottom = dist <= 1;

    // The market falls as the ratio falls: prices at 85% at the bottom.
    let fall = dec("0.85") + dec("0.15") * s * s;
    let mut btc = holding(
        "BTC",
        dec("1.8"),
        dec("43250.5") * fall * (Decimal::ONE + n.at(11, step) * dec("0.002")),
        8,
    );
    btc.discount = dec("0.98");
    btc.max_loan = dec("0.75") * s;
    btc.auto_conversion = match dist {
        0 => 4,
        1..=2 => 2,
        3..=4 => 1,
        _ => 0,
    };
    let mut eth = holding(
        "ETH",
        dec("12.5"),
        dec("2285.12") * fall * (Decimal::ONE + n.at(12, step) * dec("0.002")),
        8,
    );
    eth.discount = dec("0.97");
    eth.frozen = dec("0.5");
    eth.col_res = if bottom {
        2
    } else if target < dec("2.5") {
        1
    } else {
        0
    };
    let borrowed = dec("25000");
    let mut usdt = holding("USDT", -borrowed, Decimal::ONE, 4);
    usdt.liab = borrowed;
    // Interest accrues with each reply and resets every cycle (as if repaid).
    usdt.interest = (borrowed * dec("0.000004") * Decimal::from(phase)).round_dp(4);
    usdt.max_loan = (dec("12000") * s).round_dp(4);
    usdt.upl = ((fall - Decimal::ONE) * dec("9000")).round_dp(4);
    usdt.twap = if target < dec("1.3") {
        4
    } else if target < dec("1.5") {
        3
    } else if target < dec("1.75") {
        2
    } else if target < dec("2") {
        1
    } else {
        0
    };
    usdt.frp_type = u8::from(usdt.twap > 0);

    let mut book = Book {
        step,
        holdings: vec![usdt, btc, eth],
        margin: None,
        risk: None,
    };
    let adj_eq = book.adj_eq();
    // Choose mmr so that adj_eq / mmr is the target, then report the ratio
    // actually implied by the rounded figures: the three stay consistent.
    let mmr = (adj_eq / target).round_dp(2);
    let ratio = if mmr.is_zero() {
        Decimal::ZERO
    } else {
        (adj_eq / mmr).round_dp(4)
    };
    book.margin = Some(Margin {
        adj_eq,
        imr: (mmr * dec("1.5")).round_dp(2),
        mmr,
        ratio,
        notional_usd: (mmr * dec("40")).round_dp(2),
        upl: book
            .holdings
            .iter()
            .map(|h| h.upl * h.price)
            .sum::<Decimal>()
            .round_dp(4),
        delta_neutral_status: u8::from(bottom && phase >= half),
    });
    book
}

/// USD per unit of the broker currencies (fixed: the drift is in the amounts).
pub const FX_USD: [(&str, &str); 3] = [("HKD", "0.1282"), ("USD", "1"), ("CNH", "0.1376")];

/// USD per unit of `ccy` (HKD, USD, CNH); None for others.
pub fn fx_usd(ccy: &str) -> Option<Decimal> {
    FX_USD.iter().find(|(c, _)| *c == ccy).map(|(_, r)| dec(r))
}

/// Risk level from net assets / maintenance margin.
pub fn level_of(ratio: Decimal) -> u8 {
    if ratio >= dec("4") {
        0
    } else if ratio >= dec("3") {
        1
    } else if ratio >= dec("1.5") {
        2
    } else {
        3
    }
}

/// A securities margin account's cash: HKD financed (negative), USD positive
/// with a negative `settling` (as in the vendor's example).
fn broker_cash(n: &Noise, step: u64, hkd: Decimal) -> Vec<Holding> {
    let bal = |k: u64| Decimal::ONE + n.smooth(k, step) * dec("0.002");
    let mut h = holding("HKD", hkd, dec("0.1282"), 2);
    h.frozen = dec("11579.13");
    h.settling = (dec("20728.81") * bal(21)).round_dp(2);
    let mut u = holding("USD", dec("19893.41") * bal(22), Decimal::ONE, 2);
    u.frozen = dec("287.23");
    u.settling = (dec("-2768.06") * bal(23)).round_dp(2);
    vec![h, u]
}

/// Net assets, margins and risk for `target` = net assets / maintenance margin.
fn broker_book(
    step: u64,
    holdings: Vec<Holding>,
    positions_usd: Decimal,
    target: Decimal,
    blank: bool,
) -> Book {
    let cash_usd: Decimal = holdings.iter().map(|h| h.cash * h.price).sum();
    let net = (cash_usd + positions_usd).round_dp(2);
    // As in margin_swing: mmr from the target, then the ratio the rounded
    // figures imply, so level, ratio and margin call stay consistent.
    let mmr = (net / target).round_dp(2);
    let ratio = if mmr.is_zero() {
        Decimal::ZERO
    } else {
        (net / mmr).round_dp(4)
    };
    let level = level_of(ratio);
    let imr = (mmr * dec("1.25")).round_dp(2);
    let margin_call = if level == 3 {
        (mmr * dec("1.5") - net).max(dec("0.01")).round_dp(2)
    } else {
        Decimal::ZERO
    };
    let borrowed: Decimal = holdings
        .iter()
        .filter(|h| h.cash < Decimal::ZERO)
        .map(|h| -h.cash * h.price)
        .sum();
    let max_finance = dec("256410");
    let fees = holdings
        .iter()
        .map(|h| (h.ccy, (h.frozen * dec("0.0013")).round_dp(2)))
        .collect();
    Book {
        step,
        holdings,
        margin: Some(Margin {
            adj_eq: net,
            imr,
            mmr,
            ratio,
            notional_usd: positions_usd,
            upl: Decimal::ZERO,
            delta_neutral_status: 0,
        }),
        risk: Some(Risk {
            level,
            margin_call,
            positions_usd,
            buy_power: ((net - imr).max(Decimal::ZERO) * dec("2")).round_dp(2),
            max_finance,
            remaining_finance: (max_finance - borrowed).max(Decimal::ZERO).round_dp(2),
            frozen_fees: fees,
            blank,
            utilization: utilization(borrowed, max_finance),
        }),
    }
}

/// Length of one RiskWalk cycle, in steps.
pub const WALK_PERIOD: u64 = 40;

/// Broker margin account whose net assets / maintenance margin follows
/// 1.2 + 6.8 * s^2 (s = |phase - 20| / 20, as MarginSwing), so its risk level
/// walks 0 -> 1 -> 2 -> 3 -> 2 -> 1 -> 0 every 40 replies; the market falls
/// with it (positions at 80% at the bottom).
fn risk_walk(n: &Noise, step: u64) -> Book {
    let phase = step % WALK_PERIOD;
    let half = WALK_PERIOD / 2;
    let s = Decimal::from(phase.abs_diff(half)) / Decimal::from(half);
    let target = dec("1.2") + dec("6.8") * s * s + n.at(20, step) * dec("0.03");
    let fall = dec("0.8") + dec("0.2") * s * s;
    let positions =
        (dec("61500") * fall * (Decimal::ONE + n.at(24, step) * dec("0.002"))).round_dp(2);
    broker_book(
        step,
        broker_cash(n, step, dec("-97592.30")),
        positions,
        target,
        false,
    )
}

/// Broker account at risk level 0 with small drift; `blank` = this reply has
/// "" for the level and the margin figures (as LongPort sometimes sends).
fn broker_calm(n: &Noise, step: u64, blank: bool) -> Book {
    let px = |k: u64| Decimal::ONE + n.smooth(k, step) * dec("0.01");
    let positions = (dec("42000") * px(25)).round_dp(2);
    let target = dec("12") + n.smooth(26, step) * dec("0.5");
    let mut b = broker_book(
        step,
        broker_cash(n, step, dec("45210.55")),
        positions,
        target,
        blank,
    );
    // An open order's fee frozen in CNH, a currency the account holds no
    // cash in: a fee row of its own (LongPort `frozen_transaction_fees`).
    if let Some(r) = b.risk.as_mut() {
        r.frozen_fees
            .push(("CNH", (dec("18.45") * px(27)).round_dp(2)));
    }
    b
}

/// Percent of `line` in use, 2 decimals; 0 without a line.
fn utilization(borrowed: Decimal, line: Decimal) -> Decimal {
    if line.is_zero() {
        Decimal::ZERO
    } else {
        (borrowed / line * Decimal::ONE_HUNDRED).round_dp(2)
    }
}

/// Length of one BrokerMargin loan cycle, in steps.
pub const LOAN_PERIOD: u64 = 40;
/// BrokerMargin's credit line, USD.
const CREDIT_LINE_USD: &str = "60000";

/// Net assets, margins and risk of a broker account whose securities are in
/// `Holding::positions` (net = positions + cash + pending, all converted).
fn positions_book(step: u64, holdings: Vec<Holding>, line_usd: Decimal) -> Book {
    let usd = |f: fn(&Holding) -> Decimal| -> Decimal {
        holdings.iter().map(|h| f(h) * h.price).sum::<Decimal>()
    };
    let positions_usd = usd(|h| h.positions).round_dp(2);
    let net = usd(|h| h.positions + h.cash + h.settling).round_dp(2);
    let borrowed = holdings
        .iter()
        .filter(|h| h.cash < Decimal::ZERO)
        .map(|h| -h.cash * h.price)
        .sum::<Decimal>()
        .round_dp(2);
    // Maintenance margin: 25% of the positions (a floor of 1 USD keeps the
    // ratio defined for a cash account).
    let mmr = (positions_usd * dec("0.25")).max(Decimal::ONE).round_dp(2);
    let ratio = (net / mmr).round_dp(4);
    let imr = (positions_usd * dec("0.35")).round_dp(2);
    let level = level_of(ratio);
    let margin_call = if level == 3 {
        (mmr * dec("1.5") - net).max(dec("0.01")).round_dp(2)
    } else {
        Decimal::ZERO
    };
    Book {
        step,
        holdings,
        margin: Some(Margin {
            adj_eq: net,
            imr,
            mmr,
            ratio,
            notional_usd: positions_usd,
            upl: Decimal::ZERO,
            delta_neutral_status: 0,
        }),
        risk: Some(Risk {
            level,
            margin_call,
            positions_usd,
            buy_power: ((net - imr).max(Decimal::ZERO) * dec("2")).round_dp(2),
            max_finance: line_usd,
            remaining_finance: (line_usd - borrowed).max(Decimal::ZERO).round_dp(2),
            frozen_fees: Vec::new(),
            blank: false,
            utilization: utilization(borrowed, line_usd),
        }),
    }
}

/// BrokerMargin, first sub-account: HKD, USD and CNH; USD borrowed against
/// HK and US stocks. The loan follows 20% + 65% * (1 - s^2) of the credit
/// line (s = |phase - 20| / 20), so `utilization` swings about 20 -> 85 -> 20
/// every 40 replies; unpaid interest accrues and resets each cycle; every
/// fifth reply has HKD pending incoming from a sale.
fn broker_loan(n: &Noise, step: u64) -> Book {
    let phase = step % LOAN_PERIOD;
    let half = LOAN_PERIOD / 2;
    let s = Decimal::from(phase.abs_diff(half)) / Decimal::from(half);
    let share = dec("0.2") + dec("0.65") * (Decimal::ONE - s * s) + n.at(30, step) * dec("0.005");
    let line = dec(CREDIT_LINE_USD);
    let bal = |k: u64| Decimal::ONE + n.smooth(k, step) * dec("0.002");
    let px = |k: u64| Decimal::ONE + n.smooth(k, step) * dec("0.01");

    let mut hkd = holding("HKD", dec("152300.45") * bal(31), dec("0.1282"), 2);
    hkd.frozen = dec("13457.36");
    hkd.positions = (dec("820000") * px(32)).round_dp(2);
    if phase % 5 == 4 {
        hkd.settling = (dec("8250") * bal(33)).round_dp(2);
    }
    let borrowed = (share * line).round_dp(2);
    let mut usd = holding("USD", -borrowed, Decimal::ONE, 2);
    usd.liab = borrowed;
    usd.interest = (borrowed * dec("0.00002") * Decimal::from(phase)).round_dp(2);
    usd.positions = (dec("42000") * px(34)).round_dp(2);
    let cnh = holding("CNH", dec("50210.88") * bal(35), dec("0.1376"), 2);
    positions_book(step, vec![hkd, usd, cnh], line)
}

/// BrokerMargin, other sub-accounts: a cash account (no credit line) with HK
/// stocks, small drift, nothing borrowed.
fn broker_cash_only(n: &Noise, step: u64) -> Book {
    let bal = |k: u64| Decimal::ONE + n.smooth(k, step) * dec("0.002");
    let px = |k: u64| Decimal::ONE + n.smooth(k, step) * dec("0.01");
    let mut hkd = holding("HKD", dec("305600.89") * bal(36), dec("0.1282"), 2);
    hkd.frozen = dec("13457.36");
    hkd.positions = (dec("153208.54") * px(37)).round_dp(2);
    let mut usd = holding("USD", dec("934.71"), Decimal::ONE, 2);
    usd.frozen = dec("929.66");
    let cnh = holding("CNH", dec("10000") * bal(38), dec("0.1376"), 2);
    positions_book(step, vec![hkd, usd, cnh], Decimal::ZERO)
}

/// Stable hash noise (std's hasher is not stable across Rust versions).
struct Noise {
    seed: u64,
    account: u64,
}

impl Noise {
    /// A value in [-1, 1] with 4 decimals, for field `k` at `step`.
    fn at(&self, k: u64, step: u64) -> Decimal {
        let h = mix(self.seed ^ mix(self.account ^ mix(k ^ mix(step))));
        Decimal::new((h % 20_001) as i64 - 10_000, 4)
    }

    /// Value noise: knots every 8 steps, linear in between, so it wanders.
    fn smooth(&self, k: u64, step: u64) -> Decimal {
        let (knot, frac) = (
            step / 8,
            Decimal::new((step % 8) as i64, 0) / Decimal::from(8),
        );
        let (a, b) = (self.at(k, knot), self.at(k, knot.saturating_add(1)));
        (a + (b - a) * frac).round_dp(6)
    }
}

fn mix(mut z: u64) -> u64 {
    // splitmix64 finalizer.
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_function_of_seed_account_step() {
        assert_eq!(
            book(7, "a", Scenario::Calm, 3),
            book(7, "a", Scenario::Calm, 3)
        );
        assert_ne!(
            book(7, "a", Scenario::Calm, 3),
            book(8, "a", Scenario::Calm, 3)
        );
        assert_ne!(
            book(7, "a", Scenario::Calm, 3),
            book(7, "b", Scenario::Calm, 3)
        );
    }

    #[test]
    fn swing_covers_ok_warn_critical_and_stays_consistent() {
        let ratios: Vec<Decimal> = (0..SWING_PERIOD)
            .map(|st| {
                let b = book(1, "m", Scenario::MarginSwing, st);
                let m = b.margin.clone().unwrap_or_else(|| panic!("margin at {st}"));
                assert_eq!(m.adj_eq, b.adj_eq());
                assert!((m.adj_eq / m.mmr - m.ratio).abs() < dec("0.001"));
                assert!(m.ratio > Decimal::ONE, "step {st}: {}", m.ratio);
                m.ratio
            })
            .collect();
        assert!(ratios[0] > dec("7.5"));
        assert!(ratios.iter().filter(|r| **r < dec("1.5")).count() >= 5);
        assert!(ratios.iter().filter(|r| **r > dec("3")).count() >= 15);
    }

    #[test]
    fn risk_walk_goes_0_to_3_and_back_consistently() {
        let levels: Vec<u8> = (0..WALK_PERIOD)
            .map(|st| {
                let b = book(1, "lp", Scenario::RiskWalk, st);
                let m = b.margin.clone().unwrap_or_else(|| panic!("margin at {st}"));
                let r = b.risk.clone().unwrap_or_else(|| panic!("risk at {st}"));
                assert!(!r.blank);
                assert_eq!(r.level, level_of(m.ratio), "step {st}");
                assert!((m.adj_eq / m.mmr - m.ratio).abs() < dec("0.001"));
                match r.level {
                    3 => {
                        assert!(m.ratio < dec("1.5"), "step {st}: {}", m.ratio);
                        assert!(r.margin_call > Decimal::ZERO, "step {st}");
                    }
                    2 => assert!(m.ratio < dec("3"), "step {st}: {}", m.ratio),
                    _ => {}
                }
                if r.level < 3 {
                    assert_eq!(r.margin_call, Decimal::ZERO, "step {st}");
                }
                assert!(m.imr > m.mmr);
                // The vendor example's negative settling cash on USD.
                let usd = b.holdings.iter().find(|h| h.ccy == "USD");
                assert!(usd.is_some_and(|h| h.settling < Decimal::ZERO));
                r.level
            })
            .collect();
        assert_eq!(levels[0], 0);
        assert_eq!(levels[(WALK_PERIOD / 2) as usize], 3);
        assert_eq!(levels[WALK_PERIOD as usize - 1], 0);
        // A walk: one level at a time, up to 3 then back down.
        assert!(
            levels.windows(2).all(|w| w[0].abs_diff(w[1]) <= 1),
            "{levels:?}"
        );
        for l in 0..=3u8 {
            assert!(levels.contains(&l), "level {l} in {levels:?}");
        }
        let top = levels.iter().position(|l| *l == 3).unwrap_or(0);
        assert!(levels[..top].windows(2).all(|w| w[0] <= w[1]), "{levels:?}");
        let again: Vec<u8> = (WALK_PERIOD..2 * WALK_PERIOD)
            .filter_map(|st| book(1, "lp", Scenario::RiskWalk, st).risk.map(|r| r.level))
            .collect();
        assert_eq!(levels, again, "the next cycle walks the same way");
    }

    #[test]
    fn broker_calm_stays_safe_and_blanks_only_when_asked() {
        for st in 0..30 {
            let calm = book(3, "c", Scenario::BrokerCalm, st);
            let r = calm.risk.clone().unwrap_or_else(|| panic!("risk at {st}"));
            assert_eq!((r.level, r.blank), (0, false), "step {st}");
            assert_eq!(r.margin_call, Decimal::ZERO);
            let blanks = book(3, "c", Scenario::BrokerBlanks, st);
            assert_eq!(blanks.risk.map(|r| r.blank), Some(st % 3 == 2));
            // A fee in CNH, which the account holds no cash in.
            assert!(calm.holdings.iter().all(|h| h.ccy != "CNH"));
            let cnh = r.frozen_fees.iter().find(|(c, _)| *c == "CNH");
            let fee = cnh.unwrap_or_else(|| panic!("CNH fee at {st}")).1;
            assert!(fee > dec("18") && fee < dec("19"), "{fee}");
            assert_eq!(fee, fee.round_dp(2));
            // The walking account has fees only where it holds cash.
            let walk = book(3, "c", Scenario::RiskWalk, st).risk;
            assert!(walk.is_some_and(|r| r.frozen_fees.iter().all(|(c, _)| *c != "CNH")));
        }
        assert_eq!(
            book(3, "c", Scenario::BrokerCalm, 5),
            book(3, "c", Scenario::BrokerCalm, 5)
        );
        let fees: Vec<Vec<(&str, Decimal)>> = (0..30)
            .filter_map(|st| book(3, "c", Scenario::BrokerCalm, st).risk)
            .map(|r| r.frozen_fees)
            .collect();
        assert!(fees.windows(2).any(|w| w[0] != w[1]), "the CNH fee drifts");
    }

    #[test]
    fn broker_margin_loan_swings_and_calm_stays_put() {
        let rates: Vec<Decimal> = (0..LOAN_PERIOD)
            .map(|st| {
                let b = sub_book(5, "A1", Scenario::BrokerMargin, 0, st);
                assert_eq!(b, book(5, "A1", Scenario::BrokerMargin, st));
                let r = b.risk.clone().unwrap_or_else(|| panic!("risk at {st}"));
                let usd = b.holdings.iter().find(|h| h.ccy == "USD");
                let usd = usd.unwrap_or_else(|| panic!("USD at {st}"));
                assert!(usd.cash < Decimal::ZERO, "the USD loan at {st}");
                let ccys: Vec<&str> = b.holdings.iter().map(|h| h.ccy).collect();
                assert_eq!(ccys, ["HKD", "USD", "CNH"]);
                assert_eq!(r.utilization, utilization(-usd.cash, r.max_finance));
                r.utilization
            })
            .collect();
        assert!(rates[0] < dec("21") && rates[0] > dec("19"), "{}", rates[0]);
        assert!(rates[20] > dec("84"), "{}", rates[20]);
        assert!(rates.windows(2).any(|w| w[0] != w[1]));
        for st in 0..LOAN_PERIOD {
            let calm = sub_book(5, "A2", Scenario::BrokerMargin, 1, st);
            let r = calm.risk.clone().unwrap_or_else(|| panic!("risk at {st}"));
            assert_eq!(r.utilization, Decimal::ZERO);
            assert_eq!(r.level, 0, "step {st}");
            assert!(calm.holdings.iter().all(|h| h.cash >= Decimal::ZERO));
        }
        assert_eq!(
            sub_book(5, "A2", Scenario::BrokerMargin, 1, 3),
            sub_book(5, "A2", Scenario::BrokerMargin, 1, 3)
        );
        assert_ne!(
            sub_book(5, "A2", Scenario::BrokerMargin, 1, 3),
            sub_book(6, "A2", Scenario::BrokerMargin, 1, 3)
        );
    }
}
