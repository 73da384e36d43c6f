//! The layers import downward only: model -> venues -> engine -> front ends.
//! Reads `src/` as text: every `crate::<module>` a file names is checked
//! against the layer of the file's own top-level module.
//!
//! `DEBTS` lists the upward imports still to be removed (issue 13). A new
//! upward import fails this test; so does a debt that has been paid (take
//! it off the list, so the list only shrinks).

use std::collections::BTreeSet;
use std::path::Path;

/// Top-level modules by layer, lowest first.
const LAYERS: [(&str, &[&str]); 4] = [
    // Venue-neutral data, exact decimals, secrets and the warning rules.
    ("model", &["model", "decimal", "secrets", "health"]),
    // Each venue's protocol, the shared HTTP plumbing and rate budgets, the
    // machine-wide ledger, and the simulated venues.
    ("venues", &["venues", "ledger", "sim"]),
    // Config, clients for configured accounts, account discovery, the poller,
    // the monitor (accounts, findings, alert state), the totals across
    // accounts (portfolio), alerts, logging.
    (
        "engine",
        &[
            "config",
            "clients",
            "discovery",
            "poll",
            "monitor",
            "portfolio",
            "alerts",
            "logging",
            "record",
            "history",
            "service",
            "attach",
        ],
    ),
    // What a user runs: the TUI and its state, snapshot, check, the CLI.
    (
        "front ends",
        &[
            "app", "ui", "tui", "keymap", "theme", "snapshot", "check", "cli", "demo", "serve",
        ],
    ),
];

/// (importing module, imported module): upward imports not yet removed.
const DEBTS: [(&str, &str); 0] = [];

/// Crates only the front ends may use.
const FRONT_END_CRATES: [&str; 2] = ["ratatui", "crossterm"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::name` (and each name in `use crate::{a, b::c}`) in `text`.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        // `baltui::`-free library code; skip `$crate::` in macros.
        if text[..i].ends_with('$') {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn layers_import_downward_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found: BTreeSet<(String, String)> = BTreeSet::new();
    let mut unknown = Vec::new();
    let mut front_crates = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        // The crate root and the binary wire everything together.
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(mine) = layer_of(&top) else {
            unknown.push(rel.display().to_string());
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for r in crate_refs(&text) {
            let Some(theirs) = layer_of(&r) else {
                unknown.push(format!("{} names crate::{r}", rel.display()));
                continue;
            };
            if theirs > mine {
                found.insert((top.clone(), r));
            }
        }
        if mine < LAYERS.len() - 1 {
            for c in FRONT_END_CRATES {
                if text.contains(&format!("{c}::")) {
                    front_crates.push(format!("{} uses {c}", rel.display()));
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "modules with no layer (add them to LAYERS): {unknown:?}"
    );
    assert!(
        front_crates.is_empty(),
        "only the front ends may use the terminal crates: {front_crates:?}"
    );
    let debts: BTreeSet<(String, String)> = DEBTS
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let new: Vec<_> = found.difference(&debts).collect();
    assert!(
        new.is_empty(),
        "a module imports a layer above it (model -> venues -> engine -> front ends): {new:?}"
    );
    let paid: Vec<_> = debts.difference(&found).collect();
    assert!(
        paid.is_empty(),
        "these upward imports are gone: take them off DEBTS: {paid:?}"
    );
}

/// The checker itself: it sees grouped and plain imports, and an upward one.
#[test]
fn the_checker_sees_imports() {
    let refs = crate_refs("use crate::{app::Msg, venues};\nlet x = crate::poll::plan();");
    assert_eq!(
        refs.into_iter().collect::<Vec<_>>(),
        ["app", "poll", "venues"]
    );
    assert!(layer_of("app") > layer_of("poll"));
    assert!(layer_of("venues") > layer_of("model"));
}
