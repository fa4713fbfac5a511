//! The statistics engine: pure functions on summary statistics (no HTTP, no SQL).
