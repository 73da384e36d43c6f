//! What every venue in the registry must do, checked by iterating the
//! registry: a new venue gets these tests by adding its registry line, its
//! fixtures (assets/fixtures/<id>/) and its simulator.

use baltui::config::Config;
use baltui::sim::{Sim, SimOptions};
use baltui::venues::registry;
use baltui::venues::{ErrorClass, ErrorKind, VenueClient};
use std::path::PathBuf;
use std::time::Duration;

fn fixtures(id: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/fixtures")
        .join(id);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_registry_names_each_venue_once_with_its_own_keys() {
    let mut ids = Vec::new();
    for v in registry::venues() {
        let kind = v.venue();
        assert!(!kind.as_str().is_empty() && !kind.label().is_empty());
        assert!(!ids.contains(&kind.as_str()), "{} twice", kind.as_str());
        ids.push(kind.as_str());
        assert!(!v.keys().is_empty(), "{kind:?} reads no keys");
        for common in ["name", "venue", "base_url", "poll_interval"] {
            assert!(!v.keys().contains(&common), "{kind:?} claims `{common}`");
        }
        assert_eq!(
            registry::by_id(kind.as_str()).map(|v| v.venue()),
            Some(kind)
        );
    }
    assert!(ids.len() >= 3, "{ids:?}");
    // The config refuses an id no venue registered, naming the ones it knows.
    let e = Config::parse(
        "[[account]]\nname = \"x\"\nvenue = \"nowhere\"\n",
        "cfg.toml",
    )
    .unwrap_err();
    for id in &ids {
        assert!(e.contains(&format!("`{id}`")), "{e}");
    }
}

/// Every fixture of every venue: a documented balance reply parses into
/// currencies; an error body (error-*.json) is an error with a class; a
/// verbatim vendor page that is not valid JSON is a decode error. Never a panic.
#[test]
fn every_fixture_of_every_venue_parses_or_is_a_named_error() {
    for v in registry::venues() {
        let id = v.venue().as_str();
        let files = fixtures(id);
        assert!(!files.is_empty(), "{id}: no fixtures");
        let mut parsed = 0;
        for (name, body) in &files {
            let r = v.parse_balance(body);
            if name.starts_with("error-") {
                let e = r.expect_err(name);
                assert_ne!(e.class(), ErrorClass::Config, "{id}/{name}: {e}");
                assert!(v.error_code(body).is_some(), "{id}/{name}");
            } else if name.contains("verbatim") {
                if let Err(e) = r {
                    assert!(
                        matches!(e.kind, ErrorKind::Decode { .. }),
                        "{id}/{name}: {e}"
                    );
                }
            } else {
                let s = r.unwrap_or_else(|e| panic!("{id}/{name}: {e}"));
                assert!(!s.currencies.is_empty(), "{id}/{name}: no currencies");
                assert!(v.error_code(body).is_none(), "{id}/{name}");
                parsed += 1;
            }
        }
        assert!(parsed >= 1, "{id}: no balance fixture");
    }
}

/// Truncated and byte-flipped fixtures through every venue's parse step:
/// errors allowed, panics never (the proptest fuzz goes deeper per venue).
#[test]
fn mutated_bodies_never_panic_in_any_venue() {
    for v in registry::venues() {
        for (_, body) in fixtures(v.venue().as_str()) {
            let step = (body.len() / 64).max(1);
            for cut in (0..body.len()).step_by(step) {
                let _ = v.parse_balance(&body[..cut]);
                let mut flipped = body.clone();
                flipped[cut] ^= 0x20;
                let _ = v.parse_balance(&flipped);
                let _ = v.error_code(&flipped);
            }
        }
    }
}

/// The shared error rule holds for every venue: a failing status without an
/// error body is an HTTP error; 429 is a rate limit, 401/403 an auth failure.
#[test]
fn the_one_error_rule_applies_to_every_venue() {
    use baltui::venues::http::check_reply;
    use reqwest::StatusCode as S;
    for v in registry::venues() {
        let e = check_reply(v, S::BAD_GATEWAY, b"<html>bad gateway</html>").unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Http { status: 502, .. }), "{e}");
        assert_eq!(e.venue, v.venue());
        assert_eq!(
            check_reply(v, S::TOO_MANY_REQUESTS, b"")
                .unwrap_err()
                .class(),
            ErrorClass::RateLimited
        );
        for st in [S::UNAUTHORIZED, S::FORBIDDEN] {
            assert_eq!(
                check_reply(v, st, b"").unwrap_err().class(),
                ErrorClass::Auth
            );
        }
        assert!(check_reply(v, S::OK, b"{}").is_ok() || v.error_code(b"{}").is_some());
        assert!(!v.auth_hint("x").is_empty());
    }
}

/// Each venue's demo accounts on its simulator, through the config the
/// simulator writes and the real clients (discovery where the venue has it):
/// every account answers with currencies, within the venue's limits.
#[tokio::test]
async fn every_venue_round_trips_through_its_simulator_with_the_real_client() {
    for e in registry::entries() {
        let id = e.venue.venue().as_str();
        let accounts = e.sim.demo_accounts();
        assert!(!accounts.is_empty(), "{id}: no demo accounts");
        assert!(accounts.iter().all(|a| a.venue == e.venue.venue()));
        let sim = Sim::start(
            "127.0.0.1:0".parse().unwrap(),
            SimOptions::default(),
            accounts.clone(),
        )
        .await
        .unwrap();
        let cfg = Config::parse(&sim.config_toml(), "sim.toml")
            .and_then(Config::strict)
            .unwrap_or_else(|err| panic!("{id}: {err}"));
        assert_eq!(cfg.accounts.len(), accounts.len(), "{id}");
        let clients = baltui::clients::clients_for(&cfg.accounts, Duration::from_secs(5))
            .await
            .unwrap();
        for (acc, c) in cfg.accounts.iter().zip(clients) {
            assert_eq!(c.venue(), e.venue.venue());
            let c: VenueClient = if c.needs_discovery() {
                let found = baltui::discovery::discover(&c)
                    .await
                    .unwrap_or_else(|err| panic!("{id}/{}: {err}", acc.name));
                c.for_account(&found[0].id)
            } else {
                c
            };
            let s = c
                .fetch()
                .await
                .unwrap_or_else(|err| panic!("{id}/{}: {err}", acc.name));
            assert!(!s.currencies.is_empty(), "{id}/{}", acc.name);
        }
        assert_eq!(sim.state.violations(), 0, "{id}");
        sim.shutdown().await;
    }
}

/// The vendor documents, where this machine has them (they are not in the
/// repository): `<dir>/<id>-*.md`, and LongPort's legacy Longbridge page.
fn vendor_docs(id: &str) -> Option<String> {
    let dir = std::env::var_os("BALTUI_VENUE_DOCS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/venues/docs"));
    let entries = std::fs::read_dir(&dir).ok()?;
    let mut text = String::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with(&format!("{id}-"))
            || (id == "longport" && name.starts_with("longbridge-"));
        if ours && name.ends_with(".md") {
            text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    Some(text)
}

/// Each venue's `field_names`: every name is a `CurrencyBalance` Decimal
/// field, named once, and each part of its wire path is a field the venue's
/// document names: a key in its verbatim example fixtures, else in the
/// document itself (checked where the documents are on this machine).
#[test]
fn venue_field_names_are_model_fields_and_documented() {
    let model: Vec<&str> = baltui::model::CurrencyBalance::default()
        .decimal_fields()
        .iter()
        .map(|(n, _)| *n)
        .collect();
    for v in registry::venues() {
        let id = v.venue().as_str();
        let names = v.field_names();
        assert!(!names.is_empty(), "{id} names no fields");
        let fixtures: String = fixtures(id)
            .into_iter()
            .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
            .collect();
        let docs = vendor_docs(id);
        let mut seen = Vec::new();
        for (field, wire) in names {
            assert!(
                model.contains(field),
                "{id}: `{field}` is not a CurrencyBalance field"
            );
            assert!(!seen.contains(field), "{id}: `{field}` twice");
            seen.push(*field);
            for part in wire.split("[].") {
                let in_fixture = fixtures.contains(&format!("\"{part}\""));
                let in_doc = docs.as_deref().map(|d| {
                    d.contains(&format!("\"{part}\""))
                        || d.contains(&format!(" {part} "))
                        || d.contains(&format!("{part}String"))
                });
                match (in_fixture, in_doc) {
                    (true, _) | (false, Some(true)) => {}
                    (false, Some(false)) => {
                        panic!("{id}: `{part}` of `{wire}` is not in its document")
                    }
                    (false, None) => {
                        eprintln!("{id}: `{part}` not in a fixture; no document here to check")
                    }
                }
            }
        }
    }
}
