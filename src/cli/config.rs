//! The one place where a command line becomes the [`Config`].

use super::{Cli, Command};
use crate::config::{Config, DatabaseConfig};

impl Cli {
    /// The configuration a command line describes: the global options, and for `serve` its own.
    /// `migrate` runs pending migrations itself (and reports them), so connecting does not.
    pub fn config(&self) -> Config {
        let (global, cli) = (&self.global, self);
        let database = match &global.database_url {
            Some(url) if !url.expose().trim().is_empty() => DatabaseConfig::Url(url.clone()),
            _ => DatabaseConfig::Embedded { data_dir: global.data_dir.clone(), bin_dir: global.pg_bin_dir.clone() },
        };
        let mut config = Config::with_defaults(database);
        config.db_pool_size = usize::from(global.db_pool_size);
        config.log.clone_from(&global.log);
        config.log_format = global.log_format;
        match &cli.command {
            Command::Serve(serve) => {
                config.bind = serve.bind;
                config.workers = serve.workers.map(usize::from);
                config.migrate = !serve.no_migrate;
                config.tunables = serve.tunables;
            }
            Command::Migrate => config.migrate = false,
            _ => {}
        }
        config
    }
}

#[cfg(test)]
mod tests;
