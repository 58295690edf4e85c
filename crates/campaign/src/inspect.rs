//! The structure report of `halo inspect` and `halo.inspect`: formula, composition per formula
//! unit, space group (moyo), cell, density, oxidation states and charge balance, and every
//! crystallographic site (orbit) with its Wyckoff position (moyo's letter and the literature's,
//! `halo_enumerate::literature_wyckoff_letters`), species, occupancies and nearest-anion
//! distance, with the reader's warnings and a short cation–anion contact warning. One builder
//! for the command and the Python binding, so their reports agree key for key.

use halo_core::Structure;
use halo_io::LoadedStructure;
use halo_symmetry::SymmetryError;
use serde::Serialize;

/// One species on a site and its occupancy.
#[derive(Clone, Debug, Serialize)]
pub struct SpeciesOcc {
    pub species: String,
    pub element: String,
    pub oxidation_state: Option<i8>,
    pub occupancy: f64,
}

/// One crystallographic site (a symmetry orbit of the structure's sites).
#[derive(Clone, Debug, Serialize)]
pub struct SiteReport {
    pub labels: Vec<String>,
    /// moyo's standard setting (spglib's letters).
    pub wyckoff: String,
    /// The letter of the literature on these frameworks (spinel M on 16d, Li on 8a/16c;
    /// Li3MCl6 M on 2a), the one `halo enumerate` uses.
    pub wyckoff_published: String,
    pub multiplicity: usize,
    pub species: Vec<SpeciesOcc>,
    pub vacancy: f64,
    pub frac_coords: [f64; 3],
    /// Shortest distance from the representative site to a site holding an anion (q < 0), Å.
    pub nearest_anion_distance_ang: Option<f64>,
    pub site_indices: Vec<usize>,
}

/// Cell lengths (Å), angles (degrees) and the lattice matrix (rows a, b, c; Å).
#[derive(Clone, Debug, Serialize)]
pub struct LatticeReport {
    pub a_ang: f64,
    pub b_ang: f64,
    pub c_ang: f64,
    pub alpha_deg: f64,
    pub beta_deg: f64,
    pub gamma_deg: f64,
    pub matrix_ang: [[f64; 3]; 3],
}

/// The report (`halo inspect --json`).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub file: String,
    pub format: halo_io::Format,
    pub data_block: Option<String>,
    pub num_sites: usize,
    pub formula: String,
    pub reduced_formula: String,
    pub formula_units_z: f64,
    pub composition_per_formula_unit: Vec<(String, f64)>,
    pub space_group_symbol: String,
    pub space_group_number: u8,
    pub hall_number: i32,
    pub symprec_ang: f64,
    pub merge_tolerance_ang: Option<f64>,
    pub lattice: LatticeReport,
    pub volume_ang3: f64,
    pub density_g_per_cm3: f64,
    pub oxidation_states: Vec<halo_io::OxidationAssignment>,
    pub net_charge_cell_e: Option<f64>,
    pub net_charge_per_formula_unit: Option<f64>,
    pub charge_neutral: Option<bool>,
    pub charge_tolerance_e: f64,
    pub sites: Vec<SiteReport>,
    pub warnings: Vec<String>,
}

/// Shortest distance from site `i` to any other site image holding an anion (q < 0), Å; `None`
/// when the structure has no anion.
pub fn nearest_anion_distance_ang(s: &Structure, i: usize) -> Option<f64> {
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

/// The report of `loaded`, its space group found at `symprec_ang`; fails only when the
/// symmetry analysis does.
pub fn inspect(loaded: &LoadedStructure, symprec_ang: f64) -> Result<Report, SymmetryError> {
    let s = &loaded.structure;
    let info = halo_symmetry::analyze(s, symprec_ang)?;
    let comp = s.composition();
    let z = loaded
        .charge
        .as_ref()
        .map(|c| c.formula_units_z)
        .unwrap_or_else(|| halo_io::charge::formula_units(s));
    let per_fu: Vec<(String, f64)> = comp
        .element_amounts()
        .into_iter()
        .map(|(e, a)| (e.symbol().to_string(), a / z))
        .collect();
    // the framework-cation orbit fixes the literature origin: halo_enumerate's rule, so the
    // letters printed are those `halo enumerate --site` takes
    let published = halo_enumerate::framework_wyckoff_letters(s, &info);
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
        // the reader's findings, short contacts included (`halo_io::read_structure_with`)
        warnings: loaded.warnings.clone(),
    })
}
