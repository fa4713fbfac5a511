//! The command line's one error type. A command returns it; `cli::main` prints it (`error: …` on
//! stderr) and turns it into the exit code: 2 for bad input, 1 for a failure. Usage errors that
//! clap reports itself (an unknown flag, `--help`) keep clap's text and codes.

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// Why a command did not succeed.
#[derive(Debug)]
pub enum CliError {
    /// The input is wrong (a flag's value, a file, a name): exit code 2.
    Input(String),
    /// Something failed that is not the caller's input (database unreachable, I/O): exit code 1.
    Failure(anyhow::Error),
    /// A usage error or `--help`/`--version`, printed by clap with its own exit code.
    Usage(clap::Error),
}

impl CliError {
    /// A bad input, in the form of the message printed after `error: `.
    pub fn input(message: impl Into<String>) -> CliError {
        CliError::Input(message.into())
    }

    /// A clap error. A value that a flag's parser rejected becomes one line in the same form as
    /// the checks that commands make themselves, `invalid --flag 'value': why`, still exit code 2.
    pub fn usage(error: clap::Error) -> CliError {
        if error.kind() != ErrorKind::ValueValidation {
            return CliError::Usage(error);
        }
        let (Some(ContextValue::String(arg)), Some(ContextValue::String(value)), Some(why)) = (
            error.get(ContextKind::InvalidArg),
            error.get(ContextKind::InvalidValue),
            std::error::Error::source(&error),
        ) else {
            return CliError::Usage(error);
        };
        // `arg` is the flag with its value name (`--alpha <ALPHA>`): name the flag alone.
        let flag = if arg.starts_with('-') { arg.split(' ').next().unwrap_or(arg) } else { arg };
        CliError::Input(format!("invalid {flag} '{value}': {why}"))
    }

    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Failure(_) => 1,
            CliError::Usage(e) => u8::try_from(e.exit_code()).unwrap_or(2),
        }
    }
}

impl std::fmt::Display for CliError {
    /// The message without the `error: ` prefix; a failure with the causes its message does not
    /// already include.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Input(message) => f.write_str(message),
            CliError::Failure(error) => {
                let mut text = error.to_string();
                for cause in error.chain().skip(1).map(ToString::to_string) {
                    if !text.contains(&cause) {
                        text = format!("{text}: {cause}");
                    }
                }
                f.write_str(&text)
            }
            CliError::Usage(error) => write!(f, "{error}"),
        }
    }
}

/// Any error that is not a [`CliError`] is a failure.
impl<E: Into<anyhow::Error>> From<E> for CliError {
    fn from(error: E) -> Self {
        CliError::Failure(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Args {
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=10))]
        count: u16,
    }

    #[test]
    fn a_rejected_value_is_one_line_naming_the_flag() {
        let e = CliError::usage(Args::try_parse_from(["x", "--count", "0"]).unwrap_err());
        assert_eq!((e.code(), e.to_string().as_str()), (2, "invalid --count '0': 0 is not in 1..=10"));
        let unknown = CliError::usage(Args::try_parse_from(["x", "--cont", "1"]).unwrap_err());
        assert!(matches!(unknown, CliError::Usage(_)) && unknown.code() == 2);
        let help = CliError::usage(Args::try_parse_from(["x", "--help"]).unwrap_err());
        assert_eq!(help.code(), 0);
    }

    #[test]
    fn a_failure_names_its_causes_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer: {0}")]
        struct Outer(#[source] std::io::Error);
        let io = || std::io::Error::other("disk full");
        let e = CliError::from(Outer(io()));
        assert_eq!((e.code(), e.to_string().as_str()), (1, "outer: disk full"));
        let e = CliError::from(Err::<(), _>(io()).context("writing the report").unwrap_err());
        assert_eq!(e.to_string(), "writing the report: disk full");
    }
}
