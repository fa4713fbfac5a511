//! A problem in an experiment file, with its place.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem: `path:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (0 when the problem concerns the whole file).
    pub line: usize,
    /// What is wrong and, where it helps, what would be right.
    pub message: String,
}

impl FileError {
    /// A problem at a line.
    pub fn new(path: &Path, line: usize, message: impl Into<String>) -> FileError {
        FileError { path: path.to_owned(), line, message: message.into() }
    }

    /// A problem with the whole file.
    pub fn whole(path: &Path, message: impl Into<String>) -> FileError {
        FileError::new(path, 0, message)
    }

    /// A problem at a byte offset of `text`.
    pub fn at(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> FileError {
        FileError::new(path, line_of(text, offset), message)
    }

    /// A TOML syntax or shape error (unknown key, wrong type, missing key).
    pub fn from_toml(path: &Path, text: &str, error: &toml::de::Error) -> FileError {
        let line = error.span().map(|s| line_of(text, s.start)).unwrap_or(0);
        FileError::new(path, line, error.message().trim_end().to_string())
    }
}

/// The 1-based line of the first non-blank character at or after a byte offset (a table's span
/// starts with the blank lines before its header).
pub fn line_of(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = offset.min(bytes.len());
    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    bytes[..at].iter().filter(|b| **b == b'\n').count() + 1
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
        }
    }
}
