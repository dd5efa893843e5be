//! `loadgen run --scenario s1|s2|s3|s5|s6|s7 ...`: runs one scenario, prints its table and
//! optionally writes its JSON. See the library's docs for what each scenario measures.

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use loadgen::scenarios::{self, Opts, Outcome};

#[derive(Parser)]
#[command(about = "Load generator for Parley and the peer hubs (issue 10)")]
// A later option overrides an earlier one, so a script can pass defaults first.
#[command(args_override_self = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs one scenario.
    #[command(args_override_self = true)]
    Run {
        /// Which scenario.
        #[arg(long, value_enum)]
        scenario: Scenario,
        #[command(flatten)]
        opts: Opts,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Scenario {
    S1,
    S2,
    S3,
    S5,
    S6,
    S7,
}

#[tokio::main]
async fn main() -> Result<()> {
    let Command::Run { scenario, mut opts } = Cli::parse().cmd;
    if opts.state.is_none() {
        let target = loadgen::Target::new(opts.system, &opts.url)?;
        opts.state = Some(loadgen::setup::default_state_path(&target));
    }
    let outcome = match scenario {
        Scenario::S1 => Outcome::S1(scenarios::s1(&opts).await?),
        Scenario::S2 => Outcome::S2(scenarios::s2(&opts).await?),
        Scenario::S3 => Outcome::S3(scenarios::s3(&opts).await?),
        Scenario::S5 => Outcome::S5(scenarios::s5(&opts).await?),
        Scenario::S6 => Outcome::S6(scenarios::s6(&opts).await?),
        Scenario::S7 => Outcome::S7(scenarios::s7(&opts).await?),
    };
    print!("{}", outcome.table());
    if let Some(path) = &opts.json {
        outcome.write_json(path)?;
    }
    Ok(())
}
