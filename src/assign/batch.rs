//! The shared step of group commit and group lookup: wait for one job, then take every job that
//! is already queued (up to a limit). Under load a batch grows while the previous one runs.

use tokio::sync::{mpsc, Mutex};

/// The next batch, or `None` when every sender is gone.
pub async fn next<T>(rx: &Mutex<mpsc::Receiver<T>>, max: usize) -> Option<Vec<T>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut jobs = vec![first];
    while jobs.len() < max {
        match rx.try_recv() {
            Ok(job) => jobs.push(job),
            Err(_) => break,
        }
    }
    Some(jobs)
}
