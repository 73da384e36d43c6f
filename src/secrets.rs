//! Secret values (API keys, secrets, passphrases, tokens). A `Secret` never prints
//! its value: Debug and Display show `[redacted]`. Config names where it comes from.

use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;

/// The value itself. Only `expose()` gives it out, at the one place that signs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// As an HTTP header value marked sensitive (kept out of HTTP-layer logs).
    /// Checked when the client is built (`is_header_safe`), so the empty
    /// fallback only means "the venue will refuse it", never a panic.
    pub fn header_value(&self) -> reqwest::header::HeaderValue {
        let mut v = reqwest::header::HeaderValue::from_str(&self.0)
            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static(""));
        v.set_sensitive(true);
        v
    }

    pub fn is_header_safe(&self) -> bool {
        reqwest::header::HeaderValue::from_str(&self.0).is_ok()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where a secret comes from, as written in config:
/// `"literal"`, `{ env = "VAR" }`, `{ file = "path" }`, `{ command = ["pass", "show", "x"] }`.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(
    untagged,
    expecting = "expected a string, { env = \"VAR\" }, { file = \"path\" } or { command = [\"prog\", \"arg\"] }"
)]
pub enum SecretSource {
    Inline(String),
    Env {
        env: String,
    },
    File {
        file: PathBuf,
    },
    Command {
        command: Vec<String>,
    },
    /// The first of these environment variables that is set (never written in
    /// config: the default when a LongPort credential is left out, as the SDKs do).
    #[serde(skip)]
    EnvChain(Vec<String>),
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Inline(_) => f.write_str("Inline([redacted])"),
            SecretSource::Env { env } => write!(f, "Env({env})"),
            SecretSource::File { file } => write!(f, "File({})", file.display()),
            SecretSource::Command { command } => {
                write!(
                    f,
                    "Command({})",
                    command.first().map(String::as_str).unwrap_or("")
                )
            }
            SecretSource::EnvChain(vars) => write!(f, "EnvChain({})", vars.join(", ")),
        }
    }
}

impl SecretSource {
    /// Where the value comes from, for messages (never the value).
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Inline(_) => "inline in the config file".into(),
            SecretSource::Env { env } => format!("environment variable {env}"),
            SecretSource::File { file } => format!("file {}", file.display()),
            SecretSource::Command { command } => {
                format!(
                    "command `{}`",
                    command.first().map(String::as_str).unwrap_or("")
                )
            }
            SecretSource::EnvChain(vars) => {
                format!("environment variable {}", vars.join(" or "))
            }
        }
    }

    pub fn is_inline(&self) -> bool {
        matches!(self, SecretSource::Inline(_))
    }

    /// Read the value. Errors say where it was looked for, never what was found.
    pub fn resolve(&self) -> Result<Secret, String> {
        self.resolve_from().map(|(s, _)| s)
    }

    /// The value and where it actually came from (for an EnvChain: which variable).
    pub fn resolve_from(&self) -> Result<(Secret, String), String> {
        self.resolve_in(&|v| std::env::var(v).ok())
    }

    /// As `resolve_from`, reading environment variables through `env` (the
    /// process environment in the program; a table in tests, which must not
    /// change the environment of threads running in parallel).
    pub fn resolve_in(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(Secret, String), String> {
        if let SecretSource::EnvChain(vars) = self {
            for v in vars {
                if let Some(val) = env(v)
                    && !val.trim().is_empty()
                {
                    return Ok((
                        Secret(val.trim().to_string()),
                        format!("environment variable {v}"),
                    ));
                }
            }
            return Err(format!(
                "none of the environment variables {} is set",
                vars.join(", ")
            ));
        }
        self.resolve_direct(env).map(|s| (s, self.describe()))
    }

    fn resolve_direct(&self, vars: &dyn Fn(&str) -> Option<String>) -> Result<Secret, String> {
        let raw = match self {
            SecretSource::Inline(s) => s.clone(),
            SecretSource::Env { env } => {
                vars(env).ok_or_else(|| format!("environment variable {env} is not set"))?
            }
            SecretSource::File { file } => std::fs::read_to_string(expand_home(file))
                .map_err(|e| format!("cannot read secret file {}: {e}", file.display()))?,
            SecretSource::Command { command } => {
                let (prog, args) = command
                    .split_first()
                    .ok_or_else(|| "secret command is empty".to_string())?;
                let out = std::process::Command::new(prog)
                    .args(args)
                    .stdin(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .output()
                    .map_err(|e| format!("cannot run secret command `{prog}`: {e}"))?;
                if !out.status.success() {
                    return Err(format!(
                        "secret command `{prog}` exited with {}",
                        out.status
                    ));
                }
                String::from_utf8(out.stdout)
                    .map_err(|_| format!("secret command `{prog}` printed non-UTF-8 output"))?
            }
            SecretSource::EnvChain(_) => return self.resolve_in(vars).map(|(s, _)| s),
        };
        // Files and commands end in a newline that is not part of the secret.
        let value = raw.trim_end_matches(['\n', '\r']).to_string();
        if value.is_empty() {
            return Err(format!("secret from {} is empty", self.describe()));
        }
        Ok(Secret(value))
    }
}

fn expand_home(p: &std::path::Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~")
        && let Some(home) = directories::BaseDirs::new()
    {
        return home.home_dir().join(rest);
    }
    p.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        let src = SecretSource::Inline("hunter2-very-secret".into());
        assert!(!format!("{src:?}").contains("hunter2"));
        assert!(!src.describe().contains("hunter2"));
    }

    #[test]
    fn resolves_each_source() {
        assert_eq!(
            SecretSource::Inline("a".into()).resolve().unwrap().expose(),
            "a"
        );
        let dir = std::env::temp_dir().join(format!("baltui-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("s");
        std::fs::write(&f, "from-file\n").unwrap();
        assert_eq!(
            SecretSource::File { file: f }.resolve().unwrap().expose(),
            "from-file"
        );
        let c = SecretSource::Command {
            command: vec!["echo".into(), "from-cmd".into()],
        };
        assert_eq!(c.resolve().unwrap().expose(), "from-cmd");
        let e = SecretSource::Env {
            env: "BALTUI_TEST_SURELY_UNSET_VAR".into(),
        }
        .resolve();
        assert_eq!(
            e.unwrap_err(),
            "environment variable BALTUI_TEST_SURELY_UNSET_VAR is not set"
        );
        let c = SecretSource::Command {
            command: vec!["false".into()],
        };
        assert!(c.resolve().unwrap_err().contains("exited"));
    }
}
