//! The `stagelab` binary: parses the command line and hands over to [`stagelab::cli`].

/// mimalloc: the request paths allocate and free many small objects (JSON values, rows, strings)
/// across threads, which the system allocator serves markedly slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    stagelab::cli::main()
}
