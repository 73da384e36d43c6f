//! Budgets are shared by limit key, and an interval the budget cannot carry is
//! raised with a note instead of silently not being met.

use baltui::config::Config;
use baltui::poll::plan;
use baltui::venues::{VenueClient, http_client};
use std::time::Duration;

fn clients(toml: &str) -> Vec<VenueClient> {
    let c = Config::parse(toml, "t.toml").unwrap();
    c.accounts
        .iter()
        .map(|a| baltui::clients::client_for(a, http_client(Duration::from_secs(1))).unwrap())
        .collect()
}

fn okx(name: &str, key: &str, extra: &str) -> String {
    format!(
        "[[account]]\nname = \"{name}\"\nvenue = \"okx\"\napi_key = \"{key}\"\nsecret_key = \"s\"\npassphrase = \"p\"\n{extra}\n"
    )
}

#[test]
fn twelve_accounts_on_one_key_are_slowed_with_a_note() {
    let text: String = (0..12)
        .map(|i| okx(&format!("a{i}"), "same-key", ""))
        .collect();
    let mut c = clients(&text);
    let plans = plan(&mut c, &[Duration::from_secs(1); 12]);
    // 80% of 10 per 2 s = one per 250 ms; 12 accounts -> 3 s each.
    for p in &plans {
        assert_eq!(p.interval, Duration::from_secs(3));
        assert_eq!(p.window, Duration::from_secs(2));
        assert_eq!(
            p.note.as_deref(),
            Some("interval raised to 3s: the rate budget is shared by 12 accounts")
        );
    }
}

#[test]
fn separate_keys_do_not_share_and_rate_group_joins_them() {
    let text = okx("a", "k1", "") + &okx("b", "k2", "");
    let plans = plan(&mut clients(&text), &[Duration::from_secs(1); 2]);
    assert!(
        plans
            .iter()
            .all(|p| p.interval == Duration::from_secs(1) && p.note.is_none())
    );
    // Different keys on one OKX user ID: one budget when they name one group.
    let many: String = (0..8)
        .map(|i| {
            okx(
                &format!("g{i}"),
                &format!("key{i}"),
                "rate_group = \"uid-1\"",
            )
        })
        .collect();
    let plans = plan(&mut clients(&many), &[Duration::from_secs(1); 8]);
    assert!(
        plans.iter().all(|p| p.interval == Duration::from_secs(2)),
        "{plans:?}"
    );
}

#[test]
fn longport_one_request_per_second_at_most() {
    let text = "[[account]]\nname = \"lp\"\nvenue = \"longport\"\napp_key = \"k\"\napp_secret = \"s\"\naccess_token = \"t\"\n";
    let plans = plan(&mut clients(text), &[Duration::from_secs(1)]);
    // 80% of 30 per 30 s = one per 1.25 s, rounded up to whole seconds.
    assert_eq!(plans[0].interval, Duration::from_secs(2));
    assert_eq!(plans[0].window, Duration::from_secs(30));
    assert_eq!(
        plans[0].note.as_deref(),
        Some("interval raised to 2s: the venue's rate limit allows no faster")
    );
    let plans = plan(&mut clients(text), &[Duration::from_secs(5)]);
    assert_eq!(plans[0].interval, Duration::from_secs(5));
    assert_eq!(plans[0].note, None);
}

#[tokio::test(start_paused = true)]
async fn min_gap_holds_even_with_a_stored_token() {
    use baltui::venues::{Limit, RateBudget};
    let b = RateBudget::for_limit(
        &Limit {
            key: "k".into(),
            requests: 30,
            window: Duration::from_secs(30),
            min_gap: Duration::from_secs(1),
        },
        0.8,
        None,
    );
    // Idle long enough that a token is stored, then a burst.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let start = tokio::time::Instant::now();
    let mut at = Vec::new();
    for _ in 0..5 {
        b.acquire().await;
        at.push(start.elapsed());
    }
    for w in at.windows(2) {
        assert!(w[1] - w[0] >= Duration::from_secs(1), "{at:?}");
    }
}

#[test]
fn a_smaller_margin_spaces_requests_further() {
    // 50% of 10 per 2 s = 5 per 2 s: 12 accounts on one key -> 5 s each (4.8 rounded up).
    let text: String = (0..12)
        .map(|i| okx(&format!("a{i}"), "same-key", ""))
        .collect();
    let plans = baltui::poll::plan_with(&mut clients(&text), &[Duration::from_secs(1); 12], 0.5);
    assert!(
        plans.iter().all(|p| p.interval == Duration::from_secs(5)),
        "{plans:?}"
    );
}

/// `rate_margin = 1.0` must not let a window hold more than the published
/// limit: evenly spaced grants put n + 1 in a window, so n stays at limit - 1.
#[tokio::test(start_paused = true)]
async fn no_window_ever_holds_more_than_the_limit_even_at_margin_one() {
    use baltui::venues::{Limit, RateBudget, grants_per_window};
    assert_eq!(grants_per_window(10, 1.0), 9);
    assert_eq!(grants_per_window(10, 0.8), 8);
    assert_eq!(grants_per_window(2, 1.0), 1);
    assert_eq!(
        grants_per_window(30, 5.0),
        29,
        "a margin above 1 is clamped"
    );
    for (limit, window) in [(10u32, 2u64), (2, 2), (30, 30)] {
        let b = RateBudget::for_limit(
            &Limit {
                key: "k".into(),
                requests: limit,
                window: Duration::from_secs(window),
                min_gap: Duration::ZERO,
            },
            1.0,
            None,
        );
        let start = tokio::time::Instant::now();
        let mut at = Vec::new();
        while start.elapsed() < Duration::from_secs(window * 10) {
            b.acquire().await;
            at.push(start.elapsed());
        }
        let w = Duration::from_secs(window);
        for (i, t) in at.iter().enumerate() {
            // Grants in the closed window [t, t + w]: the venue's window is at most that.
            let n = at[i..].iter().take_while(|u| **u <= *t + w).count();
            assert!(
                n <= limit as usize,
                "{n} grants in {w:?} from {t:?} (limit {limit})"
            );
        }
    }
}
