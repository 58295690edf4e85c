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

// every subcommand takes a negative number as a value (`--resolution-ang -0.2`), so that the
// value's own check names the flag and the range, rather than clap reading `-0` as a flag
#[derive(Subcommand)]
enum Command {
    /// Read a CIF, POSCAR or pymatgen JSON and report its formula, symmetry, cell, charges and
    /// sites.
    #[command(allow_negative_numbers = true)]
    Inspect(cmd::inspect::Args),
    /// Run one structure through every stage: landscape, site graph, kMC, filters.
    #[command(allow_negative_numbers = true)]
    Eval(cmd::campaign::EvalArgs),
    /// Run a campaign (workflow TOML) through every stage, with checkpoints.
    #[command(allow_negative_numbers = true)]
    Run(cmd::campaign::RunArgs),
    /// Continue a campaign after a crash or a stop, without losing or repeating work.
    #[command(allow_negative_numbers = true)]
    Resume(cmd::campaign::ResumeArgs),
    /// Show how far a campaign got and which candidates failed.
    #[command(allow_negative_numbers = true)]
    Status(cmd::campaign::StatusArgs),
    /// Rewrite the ranked outputs, plots and report of a campaign folder.
    #[command(allow_negative_numbers = true)]
    Report(cmd::campaign::ReportArgs),
    /// Export the synthesis hand-off of the top candidates.
    #[command(allow_negative_numbers = true)]
    Export(cmd::campaign::ExportArgs),
    /// Join the shards of a campaign, check coverage, write the outputs.
    #[command(allow_negative_numbers = true)]
    Merge(cmd::campaign::MergeArgs),
    /// Write job scripts for a cluster (Slurm job array, HyperQueue).
    #[command(allow_negative_numbers = true)]
    Emit(cmd::campaign::EmitArgs),
    /// Anodic and cathodic limits vs Li+/Li (grand-potential hull), products and data rows.
    #[command(allow_negative_numbers = true)]
    Stability(cmd::stability::Args),
    /// Rank evaluated candidates: hard filters, Pareto front, table with units and errors.
    #[command(allow_negative_numbers = true)]
    Rank(cmd::rank::Args),
    /// BVSE landscape, exact percolation thresholds, Li sites and migration edges.
    #[command(allow_negative_numbers = true)]
    Bvse(cmd::bvse::Args),
    /// Charge-balanced cation substitutions on a framework site, orderings and realisations.
    #[command(allow_negative_numbers = true)]
    Enumerate(cmd::enumerate::Args),
    /// Kinetic Monte Carlo on the BVSE site graph: D*, D_σ, Haven ratio, σ(T), Arrhenius fit.
    #[command(allow_negative_numbers = true)]
    Kmc(cmd::kmc::Args),
    /// Measure the conductivity model against measured halides: metrics, LOCO, occupancies, noise.
    #[command(allow_negative_numbers = true)]
    Validate(cmd::validate::Args),
    /// Write a copy of a structure with OBELiX-style Gaussian noise on its coordinates.
    #[command(allow_negative_numbers = true)]
    Perturb(cmd::perturb::Args),
    /// The kMC network's Li sites (labels, symmetry orbits of the other minima) as a site-energy
    /// file to fill with another model's energies for `halo kmc --site-energies`.
    #[command(allow_negative_numbers = true)]
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
