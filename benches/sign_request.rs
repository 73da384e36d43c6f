//! Sign one balance request per venue (the work done per poll before sending).

use baltui::venues::{longport, okx, webull};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sign");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("okx", |b| {
        b.iter(|| {
            okx::sign::sign(
                black_box("22582BD0CFF14C41EDBF1AB98506286D"),
                black_box("2020-12-08T09:08:57.715Z"),
                "GET",
                black_box("/api/v5/account/balance?ccy=BTC,ETH"),
                "",
            )
        })
    });
    g.bench_function("longport", |b| {
        b.iter(|| {
            let canonical = longport::sign::canonical(
                "GET",
                black_box("/v1/asset/account"),
                black_box("currency=HKD"),
                black_box("test-access-token"),
                black_box("test-app-key"),
                black_box("1700000000"),
                None,
            );
            longport::sign::header(&longport::sign::signature(
                black_box("test-app-secret"),
                &canonical,
            ))
        })
    });
    g.bench_function("webull", |b| {
        let query = [
            ("account_id", "QJHO3P1PR9425Q6UAT7QLJTEKB"),
            ("total_asset_currency", "HKD"),
        ];
        b.iter(|| {
            let r = webull::sign::Request {
                path: black_box("/account/balance"),
                query: black_box(&query),
                body: None,
                app_key: black_box("test-app-key"),
                host: black_box("api.webull.hk"),
                timestamp: black_box("2026-11-22T16:00:00Z"),
                nonce: black_box("0f8c2d1e-8f39-4a2b-9d6e-7b1c5a3e4f21"),
                algorithm: webull::sign::Algorithm::HmacSha256,
            };
            webull::sign::sign(black_box("test-app-secret"), &r)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
