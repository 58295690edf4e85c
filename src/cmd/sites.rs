//! `halo sites`: the kMC network's Li sites as a site-energy file to fill in — one row per label
//! of the structure file and per symmetry orbit of unlabelled landscape minima, with the
//! landscape's energies relative to the first row (docs/physics.md §9.14). Replace the energies
//! with another model's (DFT, an ML potential) and pass the file to `halo kmc --site-energies`;
//! unchanged, it leaves the network as it is.
use super::kmc::ModelArgs;
use anyhow::Context;
use halo_io::site_energies::{format_site_energies, SiteEnergyKind};
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
    /// The landscape's settings, as `halo kmc` takes them (the averaged model's network).
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (settings, _) = args.model.settings(None)?;
    let loaded = halo_io::read_structure(&args.file)?;
    let file = args.file.display().to_string();
    for w in loaded.warnings_besides_charge() {
        super::warn(&file, w);
    }
    let structure = &loaded.structure;
    let (_, net, dropped) =
        halo_campaign::transport::averaged::network(structure, &settings, |_| {})
            .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    let rows = halo_campaign::transport::site_energies::template(&net, structure)
        .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    let reference = rows.first().context("the network has no site")?.energy_ev;
    let comment = vec![
        format!(
            "halo sites {file}: the {} minima of the kMC network (averaged model, BVSE grid {} Å; \
             {dropped} minima on framework-cation sites dropped), one row per label and per \
             symmetry orbit",
            net.sites.len(),
            settings.bvse.resolution_ang
        ),
        "energies: the landscape's, eV, relative to the first row; put your model's in their \
         place (same zero: the first row) and run halo kmc FILE --site-energies THIS_FILE"
            .to_string(),
    ];
    let body: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.site.clone(),
                r.energy_ev - reference,
                Some(match r.minima {
                    1 => "1 minimum per cell".to_string(),
                    n => format!("{n} minima per cell"),
                }),
            )
        })
        .collect();
    let text = format_site_energies(SiteEnergyKind::Energy, &comment, &body);
    match &args.out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
