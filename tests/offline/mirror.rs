//! The engine's state crosses processes: a snapshot survives JSON (history
//! store, a service's wire), a monitor mirrors a service's accounts, and a
//! restored snapshot shows until the first poll.

use baltui::health::{Finding, Severity, Thresholds};
use baltui::model::Snapshot;
use baltui::monitor::{AccountSpec, Mirror, Monitor, Outcome, PollState, Status};
use chrono::{DateTime, TimeZone, Utc};
use std::time::Duration;

fn at(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_760_000_000 + s, 0).unwrap()
}

/// The OKX vendor example, parsed and normalized by the OKX code.
fn okx(fetched: DateTime<Utc>, mgn_ratio: &str) -> Snapshot {
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("../../assets/fixtures/okx/balance-doc.json")).unwrap();
    v["data"][0]["mgnRatio"] = mgn_ratio.into();
    let body = serde_json::to_vec(&v).unwrap();
    let env: baltui::venues::okx::wire::Envelope<baltui::venues::okx::wire::Balance> =
        baltui::venues::decode(baltui::venues::okx::KIND, &body).unwrap();
    baltui::venues::okx::normalize::normalize(&env.data[0], fetched)
}

fn spec(name: &str) -> AccountSpec {
    AccountSpec::new(
        name,
        baltui::venues::okx::KIND,
        false,
        Duration::from_secs(5),
    )
}

#[test]
fn a_snapshot_survives_json_exactly() {
    let s = okx(at(0), "2.3456789012345678");
    let json = serde_json::to_string(&s).unwrap();
    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    assert_eq!(
        back.risk.margin_ratio.unwrap().to_string(),
        "2.3456789012345678"
    );
    assert!(!back.currencies.is_empty());
}

#[test]
fn a_restored_snapshot_shows_with_its_age_until_the_first_poll() {
    let mut m = Monitor::new(vec![spec("a"), spec("b")], Thresholds::default());
    assert!(m.restore("a", okx(at(-3600), "5")));
    assert!(!m.restore("nobody", okx(at(-3600), "5")));
    let a = &m.accounts()[0];
    assert_eq!(a.poll, PollState::Loading);
    assert_eq!(a.last_ok_at(), Some(at(-3600)));
    assert_eq!(a.status(at(0), m.thresholds()), Status::Loading);
    // Restored once: a second restore does not replace it.
    assert!(!m.restore("a", okx(at(-60), "9")));
    assert_eq!(m.accounts()[0].last_ok_at(), Some(at(-3600)));
    assert!(m.accounts()[1].snapshot.is_none());
}

fn mirror(name: &str, poll: PollState, snap: Option<Snapshot>, findings: Vec<Finding>) -> Mirror {
    Mirror {
        spec: spec(name),
        poll,
        last_error: (poll != PollState::Ok).then(|| "HTTP 503".to_string()),
        snapshot: snap,
        findings,
        last_attempt_at: Some(at(0)),
        next_poll_at: Some(at(5)),
        marks: Vec::new(),
    }
}

#[test]
fn a_mirror_takes_the_service_state_and_announces_a_rise() {
    let mut m = Monitor::new(Vec::new(), Thresholds::default());
    let out = m.mirror(
        vec![mirror("a", PollState::Ok, Some(okx(at(0), "5")), vec![])],
        at(0),
    );
    assert!(!out.contains(&Outcome::Rose));
    assert_eq!(m.accounts().len(), 1);
    assert_eq!(m.accounts()[0].margin_history.len(), 1);
    let crit = Finding {
        severity: Severity::Critical,
        subject: "margin_ratio".into(),
        message: "margin ratio 110% below 150%".into(),
    };
    let out = m.mirror(
        vec![
            mirror(
                "a",
                PollState::Ok,
                Some(okx(at(5), "1.1")),
                vec![crit.clone()],
            ),
            mirror("b", PollState::Error, None, vec![]),
        ],
        at(5),
    );
    assert!(out.contains(&Outcome::Rose), "{out:?}");
    let a = &m.accounts()[0];
    assert_eq!(a.findings, vec![crit]);
    assert_eq!(
        a.margin_history
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>(),
        ["5", "1.1"]
    );
    assert_eq!(m.accounts()[1].status(at(5), m.thresholds()), Status::Error);
    assert_eq!(m.counts(at(5)), (1, 1));
    // The same snapshot again adds no history point.
    m.mirror(
        vec![mirror("a", PollState::Ok, Some(okx(at(5), "1.1")), vec![])],
        at(6),
    );
    assert_eq!(m.accounts()[0].margin_history.len(), 2);
    assert_eq!(m.accounts().len(), 1);
}
