//! `halo sites`: the kMC network's Li sites as a site-energy file to fill in — one row per label
//! of the structure file and per symmetry orbit of unlabelled landscape minima, with the
//! landscape's energies relative to the first row (docs/physics.md §9.14;
//! `halo_campaign::transport::site_energies::SiteTemplate`). Replace the energies with another
//! model's (DFT, an ML potential) and pass the file to `halo kmc --site-energies`; unchanged, it
//! leaves the network as it is.
use super::kmc::ModelArgs;
use anyhow::Context;
use halo_campaign::transport::site_energies::SiteTemplate;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `halo sites`.
#[derive(clap::Args)]
pub struct Args {
    /// CIF, POSCAR or pymatgen JSON structure.
    pub file: PathBuf,
    /// Write the file here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the rows as JSON (label or frac_coords, minima per cell, energies) instead of the
    /// file.
    #[arg(long)]
    pub json: bool,
    /// The landscape's settings, as `halo kmc` takes them (the averaged model's network).
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (settings, _) = args.model.settings(None)?;
    let loaded = halo_io::read_structure(&args.file)?;
    let file = args.file.display().to_string();
    // every finding of the reader, the charge balance included (no later stage restates it)
    for w in &loaded.warnings {
        super::warn(&file, w);
    }
    let t = SiteTemplate::of(&loaded.structure, &file, &settings)
        .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    let text = if args.json {
        serde_json::to_string_pretty(&t)? + "\n"
    } else {
        t.csv()
    };
    match &args.out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
