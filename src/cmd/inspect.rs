//! `halo inspect FILE [--json]`: formula, composition, space group, cell, density, oxidation
//! states and charge balance, and every crystallographic site (orbit) with its Wyckoff position,
//! species, occupancies and nearest-anion distance.
//!
//! Exit codes: 0 = done; 3 = done, but the structure is not charge neutral within
//! 0.05 e per formula unit (the warning on stderr gives the net charge); 2 = error (unreadable
//! file, bad input: the message names the file and the line or field).

use anyhow::Context;
use halo_campaign::inspect::Report;
use halo_io::OxidationSource;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code when the structure is read but is not charge neutral.
pub const EXIT_NOT_NEUTRAL: u8 = 3;

/// Arguments of `halo inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// CIF, POSCAR (POSCAR*, CONTCAR*, *.vasp) or pymatgen JSON file.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Symmetry tolerance for the space group search, Å.
    #[arg(long = "symprec-ang", alias = "symprec", default_value_t = halo_symmetry::DEFAULT_SYMPREC_ANG)]
    pub symprec: f64,
    /// CIF data block to read (default: the first block with atom sites).
    #[arg(long)]
    pub block: Option<String>,
}

fn fmt_amount(x: f64) -> String {
    halo_core::composition::format_amount(x, 4, true)
}

fn source_name(s: OxidationSource) -> &'static str {
    match s {
        OxidationSource::AtomTypeOxidationNumber => "CIF _atom_type_oxidation_number",
        OxidationSource::TypeSymbol => "type symbol",
        OxidationSource::FormalTable => "formal table",
        OxidationSource::Unknown => "unknown",
    }
}

fn print_text(r: &Report) {
    println!("file:                {}", r.file);
    let fmt = match r.format {
        halo_io::Format::Cif => format!(
            "CIF, data block '{}'",
            r.data_block.as_deref().unwrap_or("")
        ),
        halo_io::Format::Poscar => "POSCAR".to_string(),
        halo_io::Format::PymatgenJson => "pymatgen JSON".to_string(),
    };
    println!("format:              {fmt}");
    println!(
        "formula:             {}  ({} sites, occupancy weighted)",
        r.formula, r.num_sites
    );
    println!("reduced composition: {}", r.reduced_formula);
    println!(
        "per formula unit:    {}  (Z = {})",
        r.composition_per_formula_unit
            .iter()
            .map(|(e, a)| format!("{e}{}", fmt_amount(*a)))
            .collect::<String>(),
        r.formula_units_z
    );
    println!(
        "space group:         {} ({}), symprec {} Å",
        r.space_group_symbol, r.space_group_number, r.symprec_ang
    );
    let l = &r.lattice;
    println!(
        "cell:                a = {:.5} Å, b = {:.5} Å, c = {:.5} Å, α = {:.3}°, β = {:.3}°, γ = {:.3}°",
        l.a_ang, l.b_ang, l.c_ang, l.alpha_deg, l.beta_deg, l.gamma_deg
    );
    println!("volume:              {:.4} Å^3", r.volume_ang3);
    println!("density:             {:.4} g/cm^3", r.density_g_per_cm3);
    println!(
        "oxidation states:    {}",
        r.oxidation_states
            .iter()
            .map(|a| match a.oxidation_state {
                Some(q) => format!("{}{q:+} ({})", a.element, source_name(a.source)),
                None => format!("{} ? ({})", a.element, source_name(a.source)),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    match (
        r.net_charge_cell_e,
        r.net_charge_per_formula_unit,
        r.charge_neutral,
    ) {
        (Some(c), Some(f), Some(n)) => println!(
            "net charge:          {f:+.4} e per formula unit ({c:+.4} e per cell): {}",
            if n {
                format!("neutral within {} e", r.charge_tolerance_e)
            } else {
                format!("NOT neutral (tolerance {} e)", r.charge_tolerance_e)
            }
        ),
        _ => println!("net charge:          unknown (an element has no oxidation state)"),
    }
    println!("sites ({} orbits):", r.sites.len());
    println!(
        "  {:<14} {:>5}  {:<34} {:>6}  {:<26} {:>9}  labels",
        "wyckoff (moyo)",
        "mult",
        "species:occupancy",
        "vacancy",
        "representative (frac)",
        "d_anion/Å"
    );
    for s in &r.sites {
        let sp = s
            .species
            .iter()
            .map(|x| format!("{}:{}", x.species, fmt_occ(x.occupancy)))
            .collect::<Vec<_>>()
            .join(" ");
        let f = s.frac_coords;
        println!(
            "  {:<14} {:>5}  {:<34} {:>6.3}  {:<26} {:>9}  {}",
            if s.wyckoff_published == s.wyckoff {
                s.wyckoff.clone()
            } else {
                format!("{} ({})", s.wyckoff_published, s.wyckoff)
            },
            s.multiplicity,
            sp,
            s.vacancy,
            format!("{:.5} {:.5} {:.5}", f[0], f[1], f[2]),
            s.nearest_anion_distance_ang
                .map(|d| format!("{d:.4}"))
                .unwrap_or_else(|| "-".into()),
            s.labels.join("+")
        );
    }
}

fn fmt_occ(x: f64) -> String {
    halo_core::composition::format_amount(x, 4, false)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !(args.symprec.is_finite() && args.symprec > 0.0) {
        anyhow::bail!(
            "--symprec-ang must be a positive length in Å, got {}",
            args.symprec
        );
    }
    let options = halo_io::CifOptions {
        block: args.block.clone(),
        ..halo_io::CifOptions::default()
    };
    let loaded = halo_io::read_structure_with(&args.file, &options)?;
    let report = halo_campaign::inspect::inspect(&loaded, args.symprec)
        .with_context(|| format!("{}: symmetry analysis failed", loaded.source_path))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    for w in &report.warnings {
        super::warn(&report.file, w);
    }
    if report.symprec_ang != args.symprec {
        // moyo lowers a tolerance too large for the cell until its search succeeds
        super::warn(
            &report.file,
            &format!(
                "--symprec-ang {} Å was lowered to {} Å by the symmetry search (moyo) to find a \
                 consistent group",
                args.symprec, report.symprec_ang
            ),
        );
    }
    Ok(if report.charge_neutral == Some(false) {
        ExitCode::from(EXIT_NOT_NEUTRAL)
    } else {
        ExitCode::SUCCESS
    })
}
