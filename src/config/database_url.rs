//! The database URL as a secret: it may hold a password, so it never prints.

/// A PostgreSQL connection URL (or libpq connection string). It has no `Display`, and its
/// `Debug` shows only that a URL is there; the text is reached through [`DatabaseUrl::expose`],
/// whose name marks every place that hands the secret on.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL itself, password included: pass it to the database driver, never to a log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        DatabaseUrl(url)
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseUrl(<redacted>)")
    }
}
