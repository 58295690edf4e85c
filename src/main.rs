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
    /// Run one structure through every stage: landscape, site graph, kMC, filters.
    Eval(cmd::campaign::EvalArgs),
    /// Run a campaign (workflow TOML) through every stage, with checkpoints.
    Run(cmd::campaign::RunArgs),
    /// Continue a campaign after a crash or a stop, without losing or repeating work.
    Resume(cmd::campaign::ResumeArgs),
    /// Show how far a campaign got and which candidates failed.
    Status(cmd::campaign::StatusArgs),
    /// Rewrite the ranked outputs, plots and report of a campaign folder.
    Report(cmd::campaign::ReportArgs),
    /// Export the synthesis hand-off of the top candidates.
    Export(cmd::campaign::ExportArgs),
    /// Join the shards of a campaign, check coverage, write the outputs.
    Merge(cmd::campaign::MergeArgs),
    /// Write job scripts for a cluster (Slurm job array, HyperQueue).
    Emit(cmd::campaign::EmitArgs),
    /// Anodic and cathodic limits vs Li+/Li (grand-potential hull), products and data rows.
    Stability(cmd::stability::Args),
    /// Rank evaluated candidates: hard filters, Pareto front, table with units and errors.
    Rank(cmd::rank::Args),
    /// BVSE landscape, exact percolation thresholds, Li sites and migration edges.
    Bvse(cmd::bvse::Args),
    /// Charge-balanced cation substitutions on a framework site, orderings and realisations.
    Enumerate(cmd::enumerate::Args),
    /// Kinetic Monte Carlo on the BVSE site graph: D*, D_σ, Haven ratio, σ(T), Arrhenius fit.
    Kmc(cmd::kmc::Args),
    /// Measure the conductivity model against measured halides: metrics, LOCO, occupancies, noise.
    Validate(cmd::validate::Args),
    /// Write a copy of a structure with OBELiX-style Gaussian noise on its coordinates.
    Perturb(cmd::perturb::Args),
    /// The kMC network's Li sites (labels, symmetry orbits of the other minima) as a site-energy
    /// file to fill with another model's energies for `halo kmc --site-energies`.
    Sites(cmd::sites::Args),
    // further subcommands: one variant per line, each module in src/cmd/
}

fn main() -> ExitCode {
    // A closed pipe (`halo inspect FILE | head`) ends halo quietly, as it ends any Unix filter:
    // Rust ignores SIGPIPE by default, so every print would otherwise panic on EPIPE. This is
    // the one place broken pipes are handled.
    sigpipe::reset();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(a) => cmd::inspect::run(a),
        Command::Kmc(a) => cmd::kmc::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Perturb(a) => cmd::perturb::run(a),
        Command::Sites(a) => cmd::sites::run(a),
        Command::Enumerate(a) => cmd::enumerate::run(a),
        Command::Bvse(a) => cmd::bvse::run(a),
        Command::Stability(a) => cmd::stability::run(a),
        Command::Rank(a) => cmd::rank::run(a),
        Command::Eval(a) => cmd::campaign::eval(a),
        Command::Run(a) => cmd::campaign::run(a),
        Command::Resume(a) => cmd::campaign::resume(a),
        Command::Status(a) => cmd::campaign::status(a),
        Command::Report(a) => cmd::campaign::report(a),
        Command::Export(a) => cmd::campaign::export(a),
        Command::Merge(a) => cmd::campaign::merge(a),
        Command::Emit(a) => cmd::campaign::emit(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes joined by ": ", leaving out a cause whose text the message before
/// it already ends with (a library error that prints its source, e.g. "file: No such file or
/// directory", would otherwise name the reason twice).
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.is_empty() {
            out = text;
        } else if !out.ends_with(&text) {
            out = format!("{out}: {text}");
        }
    }
    out
}
