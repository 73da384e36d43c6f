//! `baltui serve`: the engine (`service`) behind HTTP. Routes:
//!
//! - `GET /metrics`: Prometheus text 0.0.4 (see `metrics`).
//! - `GET /healthz`: 200 "ok" while the engine runs (never needs the token).
//! - `GET /api/v1/state`: the snapshot JSON schema with the current values,
//!   plus `service` (generation, started_at), `events` (newest first) and a
//!   `monitor` object per account (what an attached monitor mirrors).
//! - `GET /api/v1/events`: server-sent events. `state` (the whole state
//!   document, on connect and whenever the account list changes or the reader
//!   fell behind), `account` (`{generated_at, generation, account}`: one
//!   account's entry, after each poll), `transition` (a finding or status
//!   moved) and `event` (an events-log line); a comment every 15 s keeps the
//!   connection alive.
//! - `POST /api/v1/refresh[?account=NAME]`: 202; polled through the budget,
//!   coalesced with a refresh already pending; an unknown account is 404.
//!
//! With `[serve] token`, every route but `/healthz` needs
//! `Authorization: Bearer <token>`. Listening on anything but loopback needs
//! a token. Nothing served contains a secret: the state holds names, venue
//! ids, numbers and messages (venue errors never carry credentials).

pub mod metrics;

use crate::attach::Wire;
use crate::config::Config;
use crate::health::Severity;
use crate::secrets::Secret;
use crate::service::{Change, State};
use axum::extract::{Query, Request, State as Ax};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use futures::{Stream, StreamExt};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};

/// Exit status: a config or usage problem (as every baltui command).
pub const EXIT_CONFIG: u8 = 4;

/// Why `serve` could not run, and the exit status to leave with.
#[derive(Debug)]
pub struct Failed {
    pub code: u8,
    pub message: String,
}

fn failed(code: u8, message: String) -> Failed {
    Failed { code, message }
}

#[derive(Clone)]
struct Shared {
    state: watch::Receiver<Arc<State>>,
    changes: broadcast::Sender<Change>,
    handle: crate::service::Handle,
    token: Option<Arc<Secret>>,
    /// Set when the service stops: event streams end.
    stopping: watch::Receiver<bool>,
}

/// Check the listen rule, resolve the token, bind, start the engine and
/// serve until SIGTERM or SIGINT; SIGUSR1 reloads the config.
pub async fn run(cfg: Config, listen: Option<SocketAddr>) -> Result<(), Failed> {
    let addr = listen.unwrap_or(cfg.serve.listen);
    let token = match &cfg.serve.token {
        None if !addr.ip().is_loopback() => {
            return Err(failed(
                EXIT_CONFIG,
                format!(
                    "refusing to listen on {addr} without a token: anything but loopback (127.0.0.1, ::1) needs \
                     [serve] token = {{ env = \"BALTUI_TOKEN\" }} (or another secret source) in the config"
                ),
            ));
        }
        None => None,
        Some(src) => {
            let src = src.clone();
            let resolved = tokio::task::spawn_blocking(move || src.resolve())
                .await
                .map_err(|e| failed(1, format!("reading [serve] token stopped: {e}")))?;
            let t = resolved.map_err(|e| failed(EXIT_CONFIG, format!("[serve] token: {e}")))?;
            if t.expose().is_empty() {
                return Err(failed(
                    EXIT_CONFIG,
                    "[serve] token: the token is empty".into(),
                ));
            }
            Some(Arc::new(t))
        }
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            " (the address is in use: another `baltui serve`? pick another with --listen or [serve] listen)"
        } else {
            ""
        };
        failed(1, format!("cannot listen on {addr}: {e}{hint}"))
    })?;
    let bound = listener.local_addr().unwrap_or(addr);
    // The store: one recording service per store (a second one refuses
    // here); its last values are shown, with their age, until each
    // account's first poll answers. Its faults become events.
    let (note_tx, mut note_rx) = mpsc::channel::<(Severity, String)>(64);
    let opened = crate::history::open_for(
        &cfg.history,
        true,
        Box::new(move |severity, text| {
            let _ = note_tx.try_send((severity, text));
        }),
    )
    .map_err(|e| failed(1, e))?;
    let mut notes: Vec<(Severity, String)> = opened
        .notes
        .into_iter()
        .map(|n| (Severity::Notice, n))
        .collect();
    let restored = match opened.reader.clone() {
        Some(reader) => {
            use crate::record::HistoryReader as _;
            match tokio::task::spawn_blocking(move || reader.last_known()).await {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => {
                    notes.push((
                        Severity::Notice,
                        format!("history: no last known values ({e})"),
                    ));
                    Vec::new()
                }
                Err(e) => {
                    notes.push((Severity::Warn, format!("history: the read stopped: {e}")));
                    Vec::new()
                }
            }
        }
        None => Vec::new(),
    };
    let recorder = opened
        .writer
        .map(|w| Box::new(w) as Box<dyn crate::record::Recorder>);
    let service = crate::service::start(cfg, recorder, restored)
        .await
        .map_err(|e| failed(EXIT_CONFIG, e))?;
    let logger = service.handle();
    tokio::spawn(async move {
        for (severity, text) in notes {
            logger.log("history".into(), severity, text).await;
        }
        while let Some((severity, text)) = note_rx.recv().await {
            if !logger.log("history".into(), severity, text).await {
                break;
            }
        }
    });
    let (stop_tx, stopping) = watch::channel(false);
    let shared = Shared {
        state: service.state.clone(),
        changes: service.changes(),
        handle: service.handle(),
        token,
        stopping,
    };
    let app = router(shared);
    tracing::info!(%bound, "serving");
    eprintln!("baltui serve: listening on http://{bound}");
    let server = axum::serve(listener, app).with_graceful_shutdown({
        let mut stop = stop_tx.subscribe();
        async move {
            let _ = stop.wait_for(|s| *s).await;
        }
    });
    let mut server = std::pin::pin!(server.into_future());
    let handle = service.handle();
    let signals = async {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int), Ok(mut usr1)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::user_defined1()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        loop {
            tokio::select! {
                _ = term.recv() => return,
                _ = int.recv() => return,
                _ = usr1.recv() => {
                    tracing::info!("SIGUSR1: reloading the config");
                    handle.reload();
                }
            }
        }
    };
    let served = tokio::select! {
        r = &mut server => r,
        _ = signals => Ok(()),
    };
    // Streams end, the server finishes what is in flight (briefly), the
    // engine stops its pollers and closes the recorder.
    tracing::info!("stopping");
    let _ = stop_tx.send(true);
    if tokio::time::timeout(Duration::from_millis(300), &mut server)
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 300 ms; closing them");
    }
    tracing::info!("server stopped");
    let _ = tokio::time::timeout(Duration::from_millis(300), service.stop()).await;
    tracing::info!("stopped");
    served.map_err(|e| failed(1, format!("serving on {bound} failed: {e}")))
}

fn router(shared: Shared) -> Router {
    let guarded = Router::new()
        .route("/metrics", get(metrics_route))
        .route("/api/v1/state", get(state_route))
        .route("/api/v1/events", get(events_route))
        .route("/api/v1/refresh", post(refresh_route))
        .route_layer(axum::middleware::from_fn_with_state(shared.clone(), auth));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(guarded)
        .with_state(shared)
}

/// With a token: `Authorization: Bearer <token>`, compared in constant time.
async fn auth(Ax(s): Ax<Shared>, req: Request, next: Next) -> Response {
    let Some(token) = &s.token else {
        return next.run(req).await;
    };
    if bearer_matches(req.headers(), token) {
        return next.run(req).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer realm=\"baltui\"")],
        "a bearer token is needed: Authorization: Bearer <[serve] token>\n",
    )
        .into_response()
}

fn bearer_matches(headers: &HeaderMap, token: &Secret) -> bool {
    use subtle::ConstantTimeEq;
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    given.as_bytes().ct_eq(token.expose().as_bytes()).into()
}

async fn metrics_route(Ax(s): Ax<Shared>) -> Response {
    let state = s.state.borrow().clone();
    let text = metrics::text(&state, Utc::now());
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// The state document: the snapshot report, with each account's `monitor`
/// object, the service's generation and the recent events.
pub fn state_document(state: &State, now: chrono::DateTime<Utc>) -> serde_json::Value {
    let report = metrics::report(state, now);
    let mut doc = serde_json::to_value(&report).unwrap_or_else(
        |e| serde_json::json!({ "error": format!("the state does not serialize: {e}") }),
    );
    if let Some(list) = doc.get_mut("accounts").and_then(|a| a.as_array_mut()) {
        for (entry, a) in list.iter_mut().zip(&state.accounts) {
            if let Some(obj) = entry.as_object_mut() {
                obj.insert("monitor".into(), json(&Wire::from_account(a)));
            }
        }
    }
    if let Some(obj) = doc.as_object_mut() {
        obj.insert(
            "service".into(),
            serde_json::json!({
                "generation": state.generation,
                "started_at": state.started_at,
                "state_at": state.generated_at,
            }),
        );
        obj.insert("events".into(), json(&state.events));
    }
    doc
}

/// One account's entry of the state document.
fn account_entry(state: &State, i: usize, now: chrono::DateTime<Utc>) -> serde_json::Value {
    let Some(a) = state.accounts.get(i) else {
        return serde_json::Value::Null;
    };
    let mut entry = json(&crate::snapshot::AccountReport::from_account(
        a,
        now,
        &state.thresholds,
    ));
    if let Some(obj) = entry.as_object_mut() {
        obj.insert("monitor".into(), json(&Wire::from_account(a)));
    }
    entry
}

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

async fn state_route(Ax(s): Ax<Shared>) -> Json<serde_json::Value> {
    let state = s.state.borrow().clone();
    Json(state_document(&state, Utc::now()))
}

#[derive(serde::Deserialize)]
struct RefreshQuery {
    account: Option<String>,
}

async fn refresh_route(Ax(s): Ax<Shared>, Query(q): Query<RefreshQuery>) -> Response {
    let index = match &q.account {
        None => None,
        Some(name) => {
            let state = s.state.borrow().clone();
            match state.accounts.iter().position(|a| &a.spec.name == name) {
                Some(i) => Some(i),
                None => {
                    return (
                        StatusCode::NOT_FOUND,
                        format!("no account named {name:?}\n"),
                    )
                        .into_response();
                }
            }
        }
    };
    // A refresh already queued covers this one.
    s.handle.refresh(index);
    (StatusCode::ACCEPTED, "refresh queued\n").into_response()
}

fn sse_event(name: &str, data: &serde_json::Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

async fn events_route(
    Ax(s): Ax<Shared>,
) -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
    // Subscribed before the state is read, so no change falls in between.
    let rx = s.changes.subscribe();
    let first = {
        let state = s.state.borrow().clone();
        sse_event("state", &state_document(&state, Utc::now()))
    };
    let state = s.state.clone();
    let changes = futures::stream::unfold((rx, state), |(mut rx, state)| async move {
        let ev = loop {
            match rx.recv().await {
                Ok(Change::Account(name)) => {
                    let st = state.borrow().clone();
                    let Some(i) = st.accounts.iter().position(|a| a.spec.name == name) else {
                        continue;
                    };
                    let entry = account_entry(&st, i, Utc::now());
                    break sse_event(
                        "account",
                        &serde_json::json!({
                            "generated_at": st.generated_at,
                            "generation": st.generation,
                            "account": entry,
                        }),
                    );
                }
                Ok(Change::Transition(t)) => break sse_event("transition", &json(&t)),
                Ok(Change::Event(e)) => break sse_event("event", &json(&e)),
                // Fell behind or the list changed: the whole state again.
                Ok(Change::Accounts) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    let st = state.borrow().clone();
                    break sse_event("state", &state_document(&st, Utc::now()));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        };
        Some((Ok(ev), (rx, state)))
    });
    let mut stopping = s.stopping.clone();
    let stream = futures::stream::once(async move { Ok(first) })
        .chain(changes)
        .take_until(async move {
            let _ = stopping.wait_for(|s| *s).await;
        });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
