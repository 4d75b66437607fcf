//! `DATABASE_URL`: which backend it names, and a form of it safe to print.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};

/// A parsed `DATABASE_URL`. Its `Display` never shows a password.
#[derive(Clone)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`.
    Postgres {
        /// The URL as given, password included (for connecting only).
        url: SecretString,
        /// The URL with the password replaced by `***`.
        redacted: String,
    },
    /// `sqlite://PATH` or a bare path.
    Sqlite(PathBuf),
}

/// Why a `DATABASE_URL` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseUrlError {
    /// The URL names a scheme genworker does not speak.
    #[error(
        "unsupported scheme `{0}`: use postgres://, postgresql://, sqlite://PATH or a file path"
    )]
    UnsupportedScheme(String),
    /// `sqlite://` with nothing after it.
    #[error("sqlite:// needs a file path, e.g. sqlite://genworker.sqlite3")]
    EmptySqlitePath,
    /// A PostgreSQL URL that does not parse.
    #[error("not a valid PostgreSQL URL: {0}")]
    InvalidPostgres(url::ParseError),
}

impl FromStr for DatabaseUrl {
    type Err = DatabaseUrlError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            let mut parsed = url::Url::parse(value).map_err(DatabaseUrlError::InvalidPostgres)?;
            if parsed.password().is_some() {
                // Cannot fail: the URL has a host, since it has a password.
                let _ = parsed.set_password(Some("***"));
            }
            return Ok(Self::Postgres {
                url: SecretString::from(value.to_owned()),
                redacted: parsed.to_string(),
            });
        }
        if let Some(path) = value.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DatabaseUrlError::EmptySqlitePath);
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = value.split_once("://") {
            return Err(DatabaseUrlError::UnsupportedScheme(scheme.to_owned()));
        }
        Ok(Self::Sqlite(PathBuf::from(value)))
    }
}

impl DatabaseUrl {
    /// The URL to hand to libpq, password included.
    pub(crate) fn postgres_connection_string(&self) -> Option<&str> {
        match self {
            Self::Postgres { url, .. } => Some(url.expose_secret()),
            Self::Sqlite(_) => None,
        }
    }
}

impl DatabaseUrl {
    /// `text` (a driver's message) with this URL's password, as written or
    /// percent-decoded, replaced by `***`.
    pub(crate) fn hide_password(&self, text: &str) -> String {
        let Self::Postgres { url, .. } = self else {
            return text.to_owned();
        };
        let Some(written) = url::Url::parse(url.expose_secret())
            .ok()
            .and_then(|parsed| parsed.password().map(str::to_owned))
            .filter(|password| !password.is_empty())
        else {
            return text.to_owned();
        };
        let decoded = percent_decoded(&written);
        let mut hidden = text.replace(&written, "***");
        if !decoded.is_empty() {
            hidden = hidden.replace(&decoded, "***");
        }
        hidden
    }
}

/// `%XX` escapes decoded (lossily, for matching only).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres { redacted, .. } => f.write_str(redacted),
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// The SQLite URI for `path` (`file:…?mode=…`), so that the open mode can be chosen.
pub(crate) fn sqlite_uri(path: &std::path::Path, create: bool) -> String {
    let mut encoded = String::new();
    for ch in path.to_string_lossy().chars() {
        match ch {
            '%' | '?' | '#' => encoded.push_str(&format!("%{:02X}", ch as u32)),
            _ => encoded.push(ch),
        }
    }
    let mode = if create { "rwc" } else { "rw" };
    format!("file:{encoded}?mode={mode}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_postgres_pick_postgres_and_hide_the_password() {
        for scheme in ["postgres", "postgresql"] {
            let url: DatabaseUrl = format!("{scheme}://bot:hunter2@db.internal:5432/app")
                .parse()
                .unwrap();
            let shown = url.to_string();
            assert!(!shown.contains("hunter2"), "{shown}");
            assert_eq!(shown, format!("{scheme}://bot:***@db.internal:5432/app"));
            assert!(!format!("{url:?}").contains("hunter2"));
            assert!(
                url.postgres_connection_string()
                    .unwrap()
                    .contains("hunter2")
            );
        }
    }

    #[test]
    fn passwords_are_hidden_in_driver_messages() {
        let url: DatabaseUrl = "postgres://bot:p%40ss-w0rd@db/app".parse().unwrap();
        assert_eq!(
            url.hide_password("auth for p%40ss-w0rd / p@ss-w0rd failed"),
            "auth for *** / *** failed"
        );
        let bare: DatabaseUrl = "postgres://bot@db/app".parse().unwrap();
        assert_eq!(bare.hide_password("as is"), "as is");
    }

    #[test]
    fn sqlite_urls_and_bare_paths_pick_sqlite() {
        let cases = [
            ("sqlite://genworker.sqlite3", "genworker.sqlite3"),
            ("sqlite:///var/lib/db.sqlite3", "/var/lib/db.sqlite3"),
            ("data/db.sqlite3", "data/db.sqlite3"),
        ];
        for (given, path) in cases {
            match given.parse::<DatabaseUrl>().unwrap() {
                DatabaseUrl::Sqlite(parsed) => assert_eq!(parsed, PathBuf::from(path)),
                other => panic!("{given} parsed as {other:?}"),
            }
        }
    }

    #[test]
    fn other_schemes_and_empty_paths_are_refused() {
        let error = "mysql://root@localhost/db"
            .parse::<DatabaseUrl>()
            .unwrap_err();
        assert!(error.to_string().contains("unsupported scheme `mysql`"));
        let error = "sqlite://".parse::<DatabaseUrl>().unwrap_err();
        assert!(error.to_string().contains("needs a file path"));
    }

    #[test]
    fn sqlite_uris_escape_what_sqlite_would_read_as_syntax() {
        let uri = sqlite_uri(std::path::Path::new("/tmp/a?b#c%d.db"), false);
        assert_eq!(uri, "file:/tmp/a%3Fb%23c%25d.db?mode=rw");
    }
}
