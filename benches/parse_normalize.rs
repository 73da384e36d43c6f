//! Parse + normalize one balance response per venue, at 1, 20 and 500
//! currencies. Large bodies are the vendor fixtures with their first currency
//! entry repeated under distinct codes (C000, C001, ...). Throughput is in
//! currencies, so criterion reports time per response and per currency.

use baltui::venues::{decode, longport, okx, webull};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use std::hint::black_box;
use std::time::Duration;

const OKX: &str = include_str!("../assets/fixtures/okx/balance-doc.json");
const LONGPORT: &str = include_str!("../assets/fixtures/longport/account-doc.json");
const WEBULL: &str = include_str!("../assets/fixtures/webull/balance-doc.json");
const SIZES: [usize; 3] = [1, 20, 500];

/// `body` with the array at `path` replaced by `n` copies of its first entry,
/// each with `code_key` set to a distinct currency code.
fn body(fixture: &str, path: &[&str], code_key: &str, n: usize) -> Vec<u8> {
    let mut v: Value = serde_json::from_str(fixture).expect("fixture is JSON");
    let mut arr = &mut v;
    for p in path {
        arr = match p.parse::<usize>() {
            Ok(i) => &mut arr[i],
            Err(_) => &mut arr[*p],
        };
    }
    let first = arr[0].clone();
    *arr = Value::Array(
        (0..n)
            .map(|i| {
                let mut e = first.clone();
                e[code_key] = Value::String(format!("C{i:03}"));
                e
            })
            .collect(),
    );
    serde_json::to_vec(&v).expect("serialize")
}

fn okx(b: &[u8]) -> baltui::model::Snapshot {
    let env: okx::wire::Envelope<okx::wire::Balance> =
        decode(baltui::venues::okx::KIND, b).unwrap();
    okx::normalize::normalize(&env.data[0], chrono::Utc::now())
}

fn longport(b: &[u8]) -> baltui::model::Snapshot {
    let env: longport::wire::Envelope = decode(baltui::venues::longport::KIND, b).unwrap();
    let items = env.data.map(|d| d.list).or(env.list).unwrap_or_default();
    longport::normalize::normalize(&items, None, chrono::Utc::now()).unwrap()
}

fn webull(b: &[u8]) -> baltui::model::Snapshot {
    let bal: webull::wire::Balance = decode(baltui::venues::webull::KIND, b).unwrap();
    webull::normalize::normalize(&bal, chrono::Utc::now())
}

type Venue = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    fn(&[u8]) -> baltui::model::Snapshot,
);

fn bench(c: &mut Criterion) {
    let venues: [Venue; 3] = [
        ("okx", OKX, &["data", "0", "details"], "ccy", okx),
        (
            "longport",
            LONGPORT,
            &["data", "list", "0", "cash_infos"],
            "currency",
            longport,
        ),
        (
            "webull",
            WEBULL,
            &["account_currency_assets"],
            "currency",
            webull,
        ),
    ];
    for (name, fixture, path, key, f) in venues {
        let mut g = c.benchmark_group(format!("parse_normalize/{name}"));
        g.warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for n in SIZES {
            let b = body(fixture, path, key, n);
            assert_eq!(
                f(&b).currencies.len(),
                n,
                "{name} body holds {n} currencies"
            );
            g.throughput(Throughput::Elements(n as u64));
            g.bench_with_input(BenchmarkId::from_parameter(n), &b, |bn, b| {
                bn.iter(|| f(black_box(b)))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
