//! `halo sites`: the kMC network's Li sites as a site-energy file to fill in — one row per label
//! of the structure file and per symmetry orbit of unlabelled landscape minima, with the
//! landscape's energies relative to the first row (docs/physics.md §9.14;
//! `halo_campaign::transport::site_energies::SiteTemplate`). Replace the energies with another
//! model's (DFT, an ML potential) and pass the file to `halo kmc --site-energies`; unchanged, it
//! leaves the network as it is.
use anyhow::Context;
use halo_campaign::transport::site_energies::SiteTemplate;
use halo_campaign::transport::ModelOptions;
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
    /// BVSE grid spacing, Å (the file belongs to it: give `halo kmc` the same).
    #[arg(long = "resolution-ang", alias = "resolution", default_value_t = halo_bvse::DEFAULT_RESOLUTION_ANG)]
    pub resolution: f64,
    /// Mobile ion.
    #[arg(long, default_value = "Li+")]
    pub mobile_ion: String,
    /// Screening factor f of the landscape's Coulomb term (default bvlain's 0.74), as `halo kmc
    /// --screening-factor`.
    #[arg(long)]
    pub screening_factor: Option<f64>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // the landscape's settings as `halo kmc` checks them (the averaged model's network)
    let (settings, _) = ModelOptions {
        resolution_ang: args.resolution,
        mobile_ion: args.mobile_ion.clone(),
        screening_factor: args.screening_factor,
        ..ModelOptions::default()
    }
    .settings(None)
    .map_err(anyhow::Error::msg)?;
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
