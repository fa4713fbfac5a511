//! Queue lengths, cache sizes and rates of the running service (`serve` flags).

use clap::builder::RangedU64ValueParser;

/// The service's tunables. Each is a `serve` flag and an environment variable (see the table in
/// [`crate::config`]); a value outside its range is a usage error (exit code 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct Tunables {
    /// Assignment requests waiting for their group commit, per node; when the queue is full,
    /// assignment answers 503.
    #[arg(
        long,
        env = "STAGELAB_ASSIGN_QUEUE",
        value_name = "N",
        default_value_t = Tunables::DEFAULT.assign_queue,
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000),
    )]
    pub assign_queue: usize,
    /// Returning customers whose facts are cached in memory.
    #[arg(
        long,
        env = "STAGELAB_KNOWN_CUSTOMERS",
        value_name = "N",
        default_value_t = Tunables::DEFAULT.known_customers,
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000_000),
    )]
    pub known_customers: usize,
    /// Database connections of the batched customer lookup.
    #[arg(
        long,
        env = "STAGELAB_LOOKUP_CONNECTIONS",
        value_name = "N",
        default_value_t = Tunables::DEFAULT.lookup_connections,
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=64),
    )]
    pub lookup_connections: usize,
    /// Database lookups of unknown API tokens per second (more are refused without a lookup).
    #[arg(
        long,
        env = "STAGELAB_KEY_MISSES_PER_SECOND",
        value_name = "N",
        default_value_t = Tunables::DEFAULT.key_misses_per_second,
        value_parser = clap::value_parser!(u32).range(1..=100_000),
    )]
    pub key_misses_per_second: u32,
    /// Reports computed at once (each is one heavy query); more wait their turn.
    #[arg(
        long,
        env = "STAGELAB_REPORT_SLOTS",
        value_name = "N",
        default_value_t = Tunables::DEFAULT.report_slots,
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=64),
    )]
    pub report_slots: usize,
    /// Milliseconds between two passes of the background watch (schedules, guardrail actions,
    /// decision and SRM notifications); each pass follows an outcome refresh.
    #[arg(
        long,
        env = "STAGELAB_WATCH_MS",
        value_name = "MS",
        default_value_t = Tunables::DEFAULT.watch_ms,
        value_parser = clap::value_parser!(u64).range(100..=60_000),
    )]
    pub watch_ms: u64,
    /// Milliseconds before a failed webhook delivery's first retry; each further retry waits
    /// twice as long (at most an hour), until 24 hours have passed.
    #[arg(
        long,
        env = "STAGELAB_WEBHOOK_RETRY_MS",
        value_name = "MS",
        default_value_t = Tunables::DEFAULT.webhook_retry_ms,
        value_parser = clap::value_parser!(u64).range(10..=10_000),
    )]
    pub webhook_retry_ms: u64,
}

impl Tunables {
    /// The defaults: the flags' defaults and [`Tunables::default`].
    pub const DEFAULT: Tunables = Tunables {
        assign_queue: 10_000,
        known_customers: 200_000,
        lookup_connections: 2,
        key_misses_per_second: 50,
        report_slots: 2,
        watch_ms: 10_000,
        webhook_retry_ms: 5_000,
    };
}

impl Default for Tunables {
    fn default() -> Self {
        Tunables::DEFAULT
    }
}
