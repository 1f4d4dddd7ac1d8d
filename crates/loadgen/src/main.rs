//! `ws-load`: parses the arguments, runs one bounded measurement and prints the report
//! (a table, or JSON with `--json`). See the library docs and `docs/benchmarks.md`.

use anyhow::Context;
use clap::Parser;
use kato_dashboard_loadgen::{cli::Args, run};

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = args.validate().map_err(anyhow::Error::msg)?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let report = runtime.block_on(run::run(settings, command))?;
    // Clients are done; do not wait for stray tasks on exit.
    runtime.shutdown_background();
    if args.json {
        eprint!("{}", report.render());
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(())
}
