//! `halo inspect FILE [--json]`: formula, composition, space group, cell, density, oxidation
//! states and charge balance, and every crystallographic site (orbit) with its Wyckoff position,
//! species, occupancies and nearest-anion distance.
//!
//! Exit codes: 0 = done; 3 = done, but the structure is not charge neutral within
//! 0.05 e per formula unit (the warning on stderr gives the net charge); 2 = error (unreadable
//! file, bad input: the message names the file and the line or field).

use anyhow::Context;
use halo_core::Structure;
use halo_io::{LoadedStructure, OxidationSource};
use serde::Serialize;
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

#[derive(Serialize)]
struct SpeciesOcc {
    species: String,
    element: String,
    oxidation_state: Option<i8>,
    occupancy: f64,
}

#[derive(Serialize)]
struct SiteReport {
    labels: Vec<String>,
    /// moyo's standard setting (spglib's letters).
    wyckoff: String,
    /// The letter of the literature on these frameworks (spinel M on 16d, Li on 8a/16c;
    /// Li3MCl6 M on 2a), the one `halo enumerate` uses.
    wyckoff_published: String,
    multiplicity: usize,
    species: Vec<SpeciesOcc>,
    vacancy: f64,
    frac_coords: [f64; 3],
    /// Shortest distance from the representative site to a site holding an anion (q < 0), Å.
    nearest_anion_distance_ang: Option<f64>,
    site_indices: Vec<usize>,
}

#[derive(Serialize)]
struct LatticeReport {
    a_ang: f64,
    b_ang: f64,
    c_ang: f64,
    alpha_deg: f64,
    beta_deg: f64,
    gamma_deg: f64,
    matrix_ang: [[f64; 3]; 3],
}

#[derive(Serialize)]
struct Report {
    file: String,
    format: halo_io::Format,
    data_block: Option<String>,
    num_sites: usize,
    formula: String,
    reduced_formula: String,
    formula_units_z: f64,
    composition_per_formula_unit: Vec<(String, f64)>,
    space_group_symbol: String,
    space_group_number: u8,
    hall_number: i32,
    symprec_ang: f64,
    merge_tolerance_ang: Option<f64>,
    lattice: LatticeReport,
    volume_ang3: f64,
    density_g_per_cm3: f64,
    oxidation_states: Vec<halo_io::OxidationAssignment>,
    net_charge_cell_e: Option<f64>,
    net_charge_per_formula_unit: Option<f64>,
    charge_neutral: Option<bool>,
    charge_tolerance_e: f64,
    sites: Vec<SiteReport>,
    warnings: Vec<String>,
}

/// Shortest distance from site `i` to any other site image holding an anion, Å.
fn nearest_anion_distance_ang(s: &Structure, i: usize) -> Option<f64> {
    let is_anion = |k: usize| s.sites[k].species.iter().any(|(sp, _)| sp.oxi() < 0.0);
    if !(0..s.num_sites()).any(is_anion) {
        return None;
    }
    let mut r = 4.0;
    while r <= 32.0 {
        if let Some(n) = s
            .site_neighbors(i, r)
            .into_iter()
            .find(|n| n.distance_ang > 1e-6 && is_anion(n.index))
        {
            return Some(n.distance_ang);
        }
        r *= 2.0;
    }
    None
}

fn build(loaded: &LoadedStructure, symprec: f64) -> anyhow::Result<Report> {
    let s = &loaded.structure;
    let info = halo_symmetry::analyze(s, symprec)
        .with_context(|| format!("{}: symmetry analysis failed", loaded.source_path))?;
    let comp = s.composition();
    let z = loaded
        .charge
        .as_ref()
        .map(|c| c.formula_units_z)
        .unwrap_or_else(|| {
            let m: Vec<usize> = info.orbits().iter().map(Vec::len).collect();
            halo_io::charge::formula_units(s, &m)
        });
    let per_fu: Vec<(String, f64)> = comp
        .element_amounts()
        .into_iter()
        .map(|(e, a)| (e.symbol().to_string(), a / z))
        .collect();
    // the framework-cation orbit fixes the literature origin (halo_enumerate's rule)
    let m_site = s.sites.iter().position(|site| {
        site.species.iter().any(|(sp, o)| {
            *o > 0.0 && !sp.element.is_halogen() && !matches!(sp.element.symbol(), "Li" | "Na")
        })
    });
    let published = halo_enumerate::literature_wyckoff_letters(&info, m_site);
    let mut sites = Vec::new();
    for orbit in info.orbits() {
        let rep = orbit[0];
        let site = &s.sites[rep];
        let labels = match loaded.site_origins.get(rep) {
            Some(rows) => rows
                .iter()
                .map(|&r| loaded.asymmetric_sites[r].label.clone())
                .collect(),
            None => site.label.iter().cloned().collect(),
        };
        sites.push(SiteReport {
            labels,
            wyckoff: info.wyckoff_symbol(rep),
            wyckoff_published: format!("{}{}", info.wyckoff_multiplicities[rep], published[rep]),
            multiplicity: orbit.len(),
            species: site
                .species
                .iter()
                .map(|(sp, o)| SpeciesOcc {
                    species: sp.to_string(),
                    element: sp.element.symbol().to_string(),
                    oxidation_state: sp.oxidation_state,
                    occupancy: *o,
                })
                .collect(),
            vacancy: (1.0 - site.total_occupancy()).max(0.0),
            frac_coords: [site.frac_coords.x, site.frac_coords.y, site.frac_coords.z],
            nearest_anion_distance_ang: nearest_anion_distance_ang(s, rep),
            site_indices: orbit.clone(),
        });
    }
    let (abc, ang) = (s.lattice.abc(), s.lattice.angles_deg());
    Ok(Report {
        file: loaded.source_path.clone(),
        format: loaded.format,
        data_block: loaded.block_name.clone(),
        num_sites: s.num_sites(),
        formula: comp.formula(),
        reduced_formula: comp.reduced_formula(),
        formula_units_z: z,
        composition_per_formula_unit: per_fu,
        space_group_symbol: info.space_group_symbol.clone(),
        space_group_number: info.space_group_number,
        hall_number: info.hall_number,
        symprec_ang: info.symprec_ang,
        merge_tolerance_ang: loaded.merge_tolerance_ang,
        lattice: LatticeReport {
            a_ang: abc[0],
            b_ang: abc[1],
            c_ang: abc[2],
            alpha_deg: ang[0],
            beta_deg: ang[1],
            gamma_deg: ang[2],
            matrix_ang: s.lattice.rows(),
        },
        volume_ang3: s.volume_ang3(),
        density_g_per_cm3: s.density_g_per_cm3(),
        oxidation_states: loaded.oxidation_states.clone(),
        net_charge_cell_e: loaded.charge.as_ref().map(|c| c.net_charge_cell_e),
        net_charge_per_formula_unit: loaded
            .charge
            .as_ref()
            .map(|c| c.net_charge_per_formula_unit_e),
        charge_neutral: loaded.charge.as_ref().map(|c| c.neutral),
        charge_tolerance_e: halo_io::CHARGE_NEUTRALITY_TOLERANCE_E,
        sites,
        warnings: {
            let mut w = loaded.warnings.clone();
            let short =
                halo_io::contacts::short_contacts(s, halo_io::contacts::SHORT_CONTACT_FACTOR);
            if let Some(c) = short.first() {
                w.push(format!(
                    "{} cation–anion contacts shorter than {} × the sum of Shannon radii (noisy or \
                     broken coordinates?); shortest: {} ({}) – {} ({}) {:.3} Å vs {:.3} Å",
                    short.len(),
                    halo_io::contacts::SHORT_CONTACT_FACTOR,
                    c.cation,
                    c.cation_label.as_deref().unwrap_or("?"),
                    c.anion,
                    c.anion_label.as_deref().unwrap_or("?"),
                    c.distance_ang,
                    c.radii_sum_ang
                ));
            }
            w
        },
    })
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
            "--symprec must be a positive length in Å, got {}",
            args.symprec
        );
    }
    let options = halo_io::CifOptions {
        block: args.block.clone(),
        ..halo_io::CifOptions::default()
    };
    let loaded = halo_io::read_structure_with(&args.file, &options)?;
    let report = build(&loaded, args.symprec)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    for w in &report.warnings {
        super::warn(&report.file, w);
    }
    Ok(if report.charge_neutral == Some(false) {
        ExitCode::from(EXIT_NOT_NEUTRAL)
    } else {
        ExitCode::SUCCESS
    })
}
