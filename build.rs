//! Sets BALTUI_VERSION: the package version, plus the short git commit when built
//! from a checkout. Without git, or outside a checkout, just the version; never fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    // Only this package's own checkout: a crate unpacked inside some other
    // repository must not take that repository's commit.
    let own_checkout = git(&dir, &["rev-parse", "--show-toplevel"])
        .and_then(|top| std::fs::canonicalize(top).ok())
        .zip(std::fs::canonicalize(&dir).ok())
        .is_some_and(|(top, here)| top == here);
    let commit = own_checkout
        .then(|| git(&dir, &["rev-parse", "--short", "HEAD"]))
        .flatten();

    // Rebuild when HEAD moves. In a worktree `.git` is a file, so also watch the
    // real HEAD and the branch ref it points to (in the common dir).
    let mut watch: Vec<PathBuf> = vec![dir.join(".git/HEAD")];
    if own_checkout {
        if let Some(git_dir) = git(&dir, &["rev-parse", "--absolute-git-dir"]) {
            watch.push(Path::new(&git_dir).join("HEAD"));
        }
        if let (Some(common), Some(head_ref)) = (
            git(&dir, &["rev-parse", "--git-common-dir"]),
            git(&dir, &["symbolic-ref", "-q", "HEAD"]),
        ) {
            let common = dir.join(common);
            watch.push(common.join(head_ref));
            watch.push(common.join("packed-refs"));
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    for p in watch.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    let full = match commit {
        Some(c) => format!("{version} ({c})"),
        None => version,
    };
    println!("cargo:rustc-env=BALTUI_VERSION={full}");
}
