//! `halo inspect` (being written).
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `halo inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// CIF or POSCAR file.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("inspect of {} is not built yet", args.file.display())
}
