//! `halo`: the command-line interface. Thin: it validates arguments into configs, calls the
//! library crates and prints; `anyhow` lives only here.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;

/// Screening lithium halide solid electrolytes: structures, BVSE landscapes, percolation,
/// kinetic Monte Carlo, stability filters and campaigns.
#[derive(Parser)]
#[command(name = "halo", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read a CIF or POSCAR and report its formula, symmetry, cell, charges and sites.
    Inspect(cmd::inspect::Args),
    // further subcommands: one variant per line, each module in src/cmd/
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(a) => cmd::inspect::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
