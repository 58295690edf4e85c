//! `halo perturb`: a copy of a structure with OBELiX-style Gaussian noise on the fractional
//! coordinates (`halo_io::perturb`), written as P1 CIF (or POSCAR / pymatgen JSON by the name).

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `halo perturb`.
#[derive(clap::Args)]
pub struct Args {
    /// CIF, POSCAR or pymatgen JSON structure.
    pub file: PathBuf,
    /// Noise σ per fractional coordinate (OBELiX: 0.01).
    #[arg(long, default_value_t = halo_io::perturb::OBELIX_SIGMA_FRAC)]
    pub sigma_frac: f64,
    /// Seed of the noise (ChaCha8).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output file: *.cif, *.json (pymatgen), or POSCAR*/*.vasp. A POSCAR input's selective
    /// dynamics flags are kept in a POSCAR output (the noise moves every atom, flagged or not).
    #[arg(long)]
    pub out: PathBuf,
}

/// Run `halo perturb`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // halo_io's errors name the file (and the line)
    // the format follows the name: an unknown one is refused before any work (it was written
    // as a CIF under whatever name was given)
    if halo_io::Format::from_path(&args.out).is_none() {
        anyhow::bail!(
            "--out {}: the name must end in .cif, .json or .vasp, or start with POSCAR",
            args.out.display()
        );
    }
    let loaded = halo_io::read_structure(&args.file)?;
    // every finding of the reader (the block read, `?` occupancies, short contacts, charge)
    let file = args.file.display().to_string();
    for w in &loaded.warnings {
        super::warn(&file, w);
    }
    let s = halo_io::perturb::perturb(&loaded, args.sigma_frac, args.seed)?;
    // a POSCAR's selective dynamics flags: a POSCAR is P1, so the copy has its sites in the
    // same order (`perturb` keeps the row order and refuses a copy that lost a site) and the
    // flags go with them. The noise moves every atom, flagged F or not (OBELiX's noise has no
    // fixed atoms); the flags say what a later relaxation may move.
    let flags = loaded
        .selective_dynamics
        .as_deref()
        .filter(|f| f.len() == s.sites.len());
    match halo_io::Format::from_path(&args.out) {
        Some(halo_io::Format::Poscar) => halo_io::poscar::write_poscar(&s, &args.out, flags)?,
        Some(halo_io::Format::PymatgenJson) => {
            halo_io::pmg_json::write_pymatgen_json(&s, &args.out)?
        }
        Some(halo_io::Format::Cif) | None => halo_io::cif::write_cif(&s, &args.out)?,
    }
    if flags.is_some() && halo_io::Format::from_path(&args.out) != Some(halo_io::Format::Poscar) {
        super::warn(
            &file,
            &format!(
                "its selective dynamics flags are not written to {}: only a POSCAR output \
                 carries them",
                args.out.display()
            ),
        );
    }
    eprintln!(
        "halo perturb: {} sites of {} with σ = {} (fractional), seed {} → {}",
        s.sites.len(),
        args.file.display(),
        args.sigma_frac,
        args.seed,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
