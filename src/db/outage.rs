//! Telling a database that is out of reach for now (a retry can succeed) from a statement that
//! is wrong: the error policy answers the first with 503 and `Retry-After`, the second with 500.

use diesel::result::{DatabaseErrorKind as Kind, Error};

/// Whether a retry can succeed: the server is out of reach for now or the transaction lost a race.
pub fn is_retryable(e: &Error) -> bool {
    is_conflict(e) || is_outage(e)
}

/// A serialisation failure or deadlock: the transaction was rolled back and may be retried.
pub fn is_conflict(e: &Error) -> bool {
    match e {
        Error::DatabaseError(Kind::SerializationFailure, _) => true,
        Error::DatabaseError(Kind::Unknown, info) => info.message().contains("deadlock detected"),
        _ => false,
    }
}

/// The connection was lost or the server is out of reach for now (shutting down, starting).
pub fn is_outage(e: &Error) -> bool {
    match e {
        Error::DatabaseError(Kind::ClosedConnection, _) => true,
        Error::DatabaseError(_, info) => out_of_reach(info.message()),
        _ => false,
    }
}

/// Whether a database error message means the server is out of reach for now rather than that
/// the request or the code is wrong. The driver reports these without a distinct error kind.
pub fn out_of_reach(message: &str) -> bool {
    const MARKS: [&str; 9] = [
        "terminating connection",
        "connection closed",
        "error communicating with the server",
        "error connecting to server",
        "the database system is",
        "server closed the connection",
        "connection reset",
        "broken pipe",
        "remaining connection slots",
    ];
    let message = message.to_ascii_lowercase();
    MARKS.iter().any(|mark| message.contains(mark))
}

#[cfg(test)]
mod tests {
    use super::out_of_reach;

    #[test]
    fn database_outages_are_told_from_other_errors() {
        for message in [
            "terminating connection due to administrator command",
            "connection closed",
            "error communicating with the server: Connection reset by peer",
            "FATAL: the database system is shutting down",
        ] {
            assert!(out_of_reach(message), "{message}");
        }
        for message in ["duplicate key value violates unique constraint \"events_pkey\"", "syntax error at or near"] {
            assert!(!out_of_reach(message), "{message}");
        }
    }
}
