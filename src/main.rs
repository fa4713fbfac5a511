//! The `stagelab` binary: parses the command line and hands over to [`stagelab::cli`].

fn main() -> std::process::ExitCode {
    stagelab::cli::main()
}
