//! A server whose /public/time is absurd must give an error, never a panic or a
//! wild clock offset.

use axum::{Json, Router, routing::get};
use baltui::secrets::Secret;
use baltui::venues::okx::{OkxClient, OkxSettings};
use baltui::venues::{ErrorKind, http_client};
use std::time::Duration;

async fn serve(ts: &'static str) -> String {
    let app = Router::new()
        .route(
            "/api/v5/account/balance",
            get(|| async {
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    Json(serde_json::json!({"code":"50102","msg":"Timestamp request expired","data":[]})),
                )
            }),
        )
        .route(
            "/api/v5/public/time",
            get(move || async move { Json(serde_json::json!({"code":"0","msg":"","data":[{"ts": ts}]})) }),
        );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    format!("http://{addr}")
}

fn client(base_url: String) -> OkxClient {
    OkxClient::new(
        http_client(Duration::from_secs(2)),
        OkxSettings {
            base_url,
            api_key: Secret::new("k"),
            secret_key: Secret::new("s"),
            passphrase: Secret::new("p"),
            demo_trading: false,
            currencies: vec![],
            rate_group: None,
        },
    )
}

#[tokio::test]
async fn absurd_server_times_are_refused() {
    for ts in [
        "9223372036854775807",
        "-9223372036854775808",
        "0",
        "not-a-number",
    ] {
        let c = client(serve(ts).await);
        let e = c.fetch().await.unwrap_err();
        match &e.kind {
            ErrorKind::Decode { path, .. } => assert_eq!(path, "data[0].ts", "{ts}: {e}"),
            k => panic!("{ts}: {k:?}"),
        }
        assert_eq!(c.clock_offset_ms(), 0, "{ts}: offset left alone");
    }
}

#[tokio::test]
async fn a_plausible_skew_is_applied_and_the_retry_still_refused_is_a_clock_error() {
    let now = chrono::Utc::now().timestamp_millis() + 60_000;
    let ts: &'static str = Box::leak(now.to_string().into_boxed_str());
    let c = client(serve(ts).await);
    let e = c.fetch().await.unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Clock { ref code, .. } if code == "50102"),
        "{e}"
    );
    let off = c.clock_offset_ms();
    assert!((59_000..=61_000).contains(&off), "offset {off}");
}

#[tokio::test]
async fn a_date_header_well_off_triggers_a_measurement_before_okx_refuses() {
    // The server is 20 s ahead: inside OKX's 30 s tolerance, so the call
    // succeeds, but the Date header shows it, and the offset is measured.
    let ahead = chrono::Duration::seconds(20);
    let app = Router::new()
        .route(
            "/api/v5/account/balance",
            get(move || async move {
                let date = (chrono::Utc::now() + ahead)
                    .to_rfc2822()
                    .replace("+0000", "GMT");
                (
                    [(axum::http::header::DATE, date)],
                    include_str!("../../assets/fixtures/okx/balance-doc.json"),
                )
            }),
        )
        .route(
            "/api/v5/public/time",
            get(move || async move {
                let ts = (chrono::Utc::now() + ahead).timestamp_millis().to_string();
                Json(serde_json::json!({"code":"0","msg":"","data":[{"ts": ts}]}))
            }),
        );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    let c = client(format!("http://{addr}"));
    let s = c.fetch().await.unwrap();
    assert_eq!(s.currencies[0].currency, "USDT");
    let off = c.clock_offset_ms();
    assert!((19_000..=21_000).contains(&off), "offset {off}");
}
