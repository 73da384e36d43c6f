//! A monitor attached to a running `baltui serve` (`--connect URL`): reads
//! the service's state and event stream, and asks it to refresh. It polls no
//! venue itself.
//!
//! The stream is `GET /api/v1/events` (server-sent events): `state` (the
//! whole state, as `GET /api/v1/state` answers), `account` (one account
//! changed), `transition` (a finding moved) and `event` (an events-log line).

use crate::health::Finding;
use crate::model::Snapshot;
use crate::monitor::{Account, AccountSpec, EventLine, Mark, Mirror, PollState};
use crate::secrets::Secret;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::mpsc;

/// What the connection reports to the screen.
#[derive(Debug, Clone)]
pub enum Update {
    /// Connected (again) to the service at `host`.
    Connected { host: String },
    /// The service's accounts as of `generated_at` (its clock).
    State {
        accounts: Vec<Mirror>,
        generated_at: DateTime<Utc>,
    },
    /// A line of the service's events log.
    Event(EventLine),
    /// The connection is gone; the next try is in `retry_in`.
    Lost { error: String, retry_in: Duration },
}

/// First and longest wait before reconnecting.
pub const RETRY_FIRST: Duration = Duration::from_secs(1);
pub const RETRY_CAP: Duration = Duration::from_secs(30);
/// Largest event (or state document) read from the stream.
const MAX_EVENT: usize = 64 << 20;

/// One account as the service sends it to attached monitors (the `monitor`
/// object of each account in `/api/v1/state`). Holds no secret: the spec's
/// names, ids and where it is configured, the poll state, the last good
/// snapshot, findings and marks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Wire {
    pub name: String,
    pub venue: String,
    pub demo: bool,
    pub poll_interval_ms: u64,
    pub account_id: Option<String>,
    pub group: Option<String>,
    pub discovered_from: Option<usize>,
    pub interval_note: Option<String>,
    pub source: Option<String>,
    pub poll: PollState,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub marks: Vec<Mark>,
    pub findings: Vec<Finding>,
    pub snapshot: Option<Snapshot>,
}

impl Wire {
    pub fn from_account(a: &Account) -> Wire {
        Wire {
            name: a.spec.name.clone(),
            venue: a.spec.venue.as_str().to_string(),
            demo: a.spec.demo,
            poll_interval_ms: u64::try_from(a.spec.poll_interval.as_millis()).unwrap_or(u64::MAX),
            account_id: a.spec.account_id.clone(),
            group: a.spec.group.clone(),
            discovered_from: a.spec.discovered_from,
            interval_note: a.spec.interval_note.clone(),
            source: a.spec.source.clone(),
            poll: a.poll,
            last_error: a.last_error.clone(),
            last_attempt_at: a.last_attempt_at,
            next_poll_at: a.next_poll_at,
            marks: a.marks.clone(),
            findings: a.findings.clone(),
            snapshot: a.snapshot.clone(),
        }
    }

    /// The account as a monitor mirrors it; the venue is looked up in the
    /// registry by id (an unknown id is an error naming it).
    pub fn into_mirror(self) -> Result<Mirror, String> {
        let venue = crate::venues::registry::by_id(&self.venue)
            .map(|v| v.venue())
            .ok_or_else(|| {
                format!(
                    "account {:?}: the service sent venue {:?}, which this baltui does not know (a newer service?)",
                    self.name, self.venue
                )
            })?;
        let mut spec = AccountSpec::new(
            self.name,
            venue,
            self.demo,
            Duration::from_millis(self.poll_interval_ms),
        );
        spec.account_id = self.account_id;
        spec.group = self.group;
        spec.discovered_from = self.discovered_from;
        spec.interval_note = self.interval_note;
        spec.source = self.source;
        Ok(Mirror {
            spec,
            poll: self.poll,
            last_error: self.last_error,
            snapshot: self.snapshot,
            findings: self.findings,
            last_attempt_at: self.last_attempt_at,
            next_poll_at: self.next_poll_at,
            marks: self.marks,
        })
    }
}

/// The parts of the state document an attached monitor reads.
#[derive(Deserialize)]
struct StateDoc {
    generated_at: DateTime<Utc>,
    accounts: Vec<AccountDoc>,
    #[serde(default)]
    events: Vec<EventLine>,
}

#[derive(Deserialize)]
struct AccountDoc {
    monitor: Wire,
}

/// The `account` event's data.
#[derive(Deserialize)]
struct AccountEvent {
    generated_at: DateTime<Utc>,
    account: AccountDoc,
}

/// The connection's handle: asks the service for a refresh (through the
/// service's budget; coalesced there).
#[derive(Debug, Clone)]
pub struct Handle {
    pub base_url: String,
    http: reqwest::Client,
    token: Option<Secret>,
    tx: mpsc::Sender<Update>,
}

impl Handle {
    /// Ask the service to refresh `account` (by name), or every account.
    /// Returns at once; a failure comes back as an `Update::Event`.
    pub fn refresh(&self, account: Option<String>) {
        let mut url = format!("{}/api/v1/refresh", self.base_url);
        if let Some(a) = &account {
            url.push_str("?account=");
            url.push_str(
                &percent_encoding::utf8_percent_encode(a, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
        }
        let req = authorized(self.http.post(url), self.token.as_ref());
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let error = match req.send().await {
                Ok(r) if r.status() == reqwest::StatusCode::ACCEPTED => return,
                Ok(r) => format!("the service answered the refresh with HTTP {}", r.status()),
                Err(e) => format!("cannot ask the service to refresh: {}", without_url(&e)),
            };
            let _ = tx
                .send(Update::Event(EventLine {
                    at: Utc::now(),
                    account: account.unwrap_or_else(|| "all".into()),
                    severity: crate::health::Severity::Warn,
                    text: error,
                }))
                .await;
        });
    }
}

fn authorized(rb: reqwest::RequestBuilder, token: Option<&Secret>) -> reqwest::RequestBuilder {
    match token {
        Some(t) => rb.header(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", t.expose()),
        ),
        None => rb,
    }
}

/// A reqwest error without its URL (which could carry a query).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "");
    }
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// Connect to the service at `base_url` (e.g. "http://127.0.0.1:9477") with
/// an optional bearer token, and keep reconnecting until the receiver is
/// dropped. A URL that is not http(s) to loopback (https elsewhere) answers
/// with one `Update::Lost` and nothing else.
pub fn connect(base_url: &str, token: Option<Secret>) -> (mpsc::Receiver<Update>, Handle) {
    let (tx, rx) = mpsc::channel(256);
    let base = base_url.trim_end_matches('/').to_string();
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    let handle = Handle {
        base_url: base.clone(),
        http: http.clone(),
        token: token.clone(),
        tx: tx.clone(),
    };
    if let Err(e) = crate::config::check_url(&base) {
        let _ = tx.try_send(Update::Lost {
            error: format!("cannot attach to {base}: {e}"),
            retry_in: RETRY_CAP,
        });
        return (rx, handle);
    }
    tokio::spawn(follow(base, http, token, tx));
    (rx, handle)
}

/// Read the state and follow the stream; reconnect with capped backoff.
async fn follow(
    base: String,
    http: reqwest::Client,
    token: Option<Secret>,
    tx: mpsc::Sender<Update>,
) {
    let host = url::Url::parse(&base)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| base.clone());
    let mut retry = RETRY_FIRST;
    let mut first = true;
    loop {
        let error = match session(
            &base,
            &host,
            &http,
            token.as_ref(),
            &tx,
            &mut first,
            &mut retry,
        )
        .await
        {
            Ok(()) => "the service closed the event stream".to_string(),
            Err(e) => e,
        };
        if tx.is_closed() {
            return;
        }
        if tx
            .send(Update::Lost {
                error,
                retry_in: retry,
            })
            .await
            .is_err()
        {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = tx.closed() => return,
        }
        retry = (retry * 2).min(RETRY_CAP);
    }
}

/// One connection: the state, then the stream until it ends or fails.
async fn session(
    base: &str,
    host: &str,
    http: &reqwest::Client,
    token: Option<&Secret>,
    tx: &mpsc::Sender<Update>,
    first: &mut bool,
    retry: &mut Duration,
) -> Result<(), String> {
    let resp = authorized(http.get(format!("{base}/api/v1/events")), token)
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .send()
        .await
        .map_err(|e| format!("cannot reach the service at {host}: {}", without_url(&e)))?;
    if !resp.status().is_success() {
        let hint = if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
            " (the service needs a token: set [serve] token in the config)"
        } else {
            ""
        };
        return Err(format!(
            "the service at {host} answered the event stream with HTTP {}{hint}",
            resp.status()
        ));
    }
    let mut accounts: Vec<Mirror> = Vec::new();
    let mut parser = SseParser::default();
    let mut body = resp.bytes_stream();
    let mut connected = false;
    while let Some(chunk) = tokio::select! {
        c = body.next() => c,
        _ = tx.closed() => return Ok(()),
    } {
        let chunk = chunk
            .map_err(|e| format!("the event stream from {host} broke: {}", without_url(&e)))?;
        for ev in parser.push(&chunk)? {
            let mut out = Vec::new();
            match ev.event.as_str() {
                "state" => {
                    let doc: StateDoc = serde_json::from_str(&ev.data).map_err(|e| {
                        format!("the service at {host} sent a state that does not read: {e}")
                    })?;
                    accounts = doc
                        .accounts
                        .into_iter()
                        .map(|a| a.monitor.into_mirror())
                        .collect::<Result<_, _>>()?;
                    if !connected {
                        connected = true;
                        *retry = RETRY_FIRST;
                        out.push(Update::Connected {
                            host: host.to_string(),
                        });
                    }
                    if std::mem::take(first) {
                        out.extend(doc.events.into_iter().rev().map(Update::Event));
                    }
                    out.push(Update::State {
                        accounts: accounts.clone(),
                        generated_at: doc.generated_at,
                    });
                }
                "account" => {
                    let a: AccountEvent = serde_json::from_str(&ev.data).map_err(|e| {
                        format!("the service at {host} sent an account that does not read: {e}")
                    })?;
                    let m = a.account.monitor.into_mirror()?;
                    match accounts.iter_mut().find(|x| x.spec.name == m.spec.name) {
                        Some(x) => *x = m,
                        None => accounts.push(m),
                    }
                    out.push(Update::State {
                        accounts: accounts.clone(),
                        generated_at: a.generated_at,
                    });
                }
                "event" => {
                    let e: EventLine = serde_json::from_str(&ev.data).map_err(|e| {
                        format!("the service at {host} sent an event line that does not read: {e}")
                    })?;
                    out.push(Update::Event(e));
                }
                // Transitions reach the screen through the account's findings.
                _ => {}
            }
            for u in out {
                if tx.send(u).await.is_err() {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// One server-sent event: its name ("message" when none is given) and data
/// (multi-line data joined with "\n").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Server-sent events, parsed as the WHATWG spec says: lines end in LF, CR
/// or CRLF; `event:` and `data:` fields (one optional space after the
/// colon), `data` lines joined by LF; lines starting with `:` are comments;
/// a blank line dispatches (an event with no data is not dispatched).
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    event: String,
    data: String,
    has_data: bool,
    /// The last chunk ended in CR: an LF starting the next is its pair.
    after_cr: bool,
}

impl SseParser {
    /// Feed bytes; the events completed by them.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, String> {
        let mut out = Vec::new();
        let mut bytes = bytes;
        if self.after_cr && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' || b == b'\r' {
                self.buf.extend_from_slice(&bytes[start..i]);
                let line = std::mem::take(&mut self.buf);
                self.line(&line, &mut out);
                if b == b'\r' {
                    if i + 1 == bytes.len() {
                        self.after_cr = true;
                    } else if bytes[i + 1] == b'\n' {
                        i += 1;
                    }
                }
                start = i + 1;
            }
            i += 1;
        }
        self.buf.extend_from_slice(&bytes[start..]);
        if self.buf.len() + self.data.len() > MAX_EVENT {
            return Err(format!(
                "an event from the service is larger than {} MiB",
                MAX_EVENT >> 20
            ));
        }
        Ok(out)
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                let event = std::mem::take(&mut self.event);
                out.push(SseEvent {
                    event: if event.is_empty() {
                        "message".into()
                    } else {
                        event
                    },
                    data: std::mem::take(&mut self.data),
                });
            } else {
                self.event.clear();
            }
            self.has_data = false;
            return;
        }
        if line[0] == b':' {
            return; // a comment (keep-alive)
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.find(':') {
            Some(k) => {
                let v = &line[k + 1..];
                (&line[..k], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (&line[..], ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            // id and retry are not used: a reconnect re-reads the whole state.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(p: &mut SseParser, chunks: &[&[u8]]) -> Vec<SseEvent> {
        chunks.iter().flat_map(|c| p.push(c).unwrap()).collect()
    }

    #[test]
    fn parses_events_split_anywhere_with_comments_and_multiline_data() {
        let text = b": keep-alive\n\nevent: state\ndata: {\"a\":\ndata:1}\n\r\nevent:event\r\ndata: x\r\r\ndata: plain\n\n";
        let want = vec![
            SseEvent {
                event: "state".into(),
                data: "{\"a\":\n1}".into(),
            },
            SseEvent {
                event: "event".into(),
                data: "x".into(),
            },
            SseEvent {
                event: "message".into(),
                data: "plain".into(),
            },
        ];
        // Whole, and split at every byte (a CR LF split across chunks too).
        assert_eq!(all(&mut SseParser::default(), &[text]), want);
        for k in 0..text.len() {
            let got = all(&mut SseParser::default(), &[&text[..k], &text[k..]]);
            assert_eq!(got, want, "split at {k}");
        }
    }

    #[test]
    fn an_event_without_data_is_not_dispatched() {
        let got = all(&mut SseParser::default(), &[b"event: state\n\ndata: y\n\n"]);
        assert_eq!(
            got,
            vec![SseEvent {
                event: "message".into(),
                data: "y".into()
            }]
        );
    }
}
