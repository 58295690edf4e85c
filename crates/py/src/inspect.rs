//! `halo.inspect(s)`: the report of `halo inspect FILE --json` as a dict: formula,
//! composition per formula unit, space group (moyo), cell, density, oxidation states, charge
//! balance, every site orbit with its Wyckoff position and nearest-anion distance, warnings.
//!
//! The report is assembled here from the same library calls as `src/cmd/inspect.rs` (whose
//! builder is private to the binary), key for key.

use crate::errors::{guard, Classify, HResult, Kind};
use crate::structure::PyStructure;
use anyhow::Context;
use halo_core::Structure;
use halo_io::LoadedStructure;
use serde_json::{json, Value};

/// Shortest distance from site `i` to another site image holding an anion (q < 0), Å.
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

fn sites(loaded: &LoadedStructure, info: &halo_symmetry::SymmetryInfo) -> Vec<Value> {
    let s = &loaded.structure;
    // the framework-cation orbit fixes the literature origin (as in `halo inspect`)
    let m_site = s.sites.iter().position(|site| {
        site.species.iter().any(|(sp, o)| {
            *o > 0.0 && !sp.element.is_halogen() && !matches!(sp.element.symbol(), "Li" | "Na")
        })
    });
    let published = halo_enumerate::literature_wyckoff_letters(info, m_site);
    let s = &loaded.structure;
    info.orbits()
        .iter()
        .map(|orbit| {
            let rep = orbit[0];
            let site = &s.sites[rep];
            let labels: Vec<String> = match loaded.site_origins.get(rep) {
                Some(rows) => rows
                    .iter()
                    .map(|&r| loaded.asymmetric_sites[r].label.clone())
                    .collect(),
                None => site.label.iter().cloned().collect(),
            };
            let species: Vec<Value> = site
                .species
                .iter()
                .map(|(sp, o)| {
                    json!({"species": sp.to_string(), "element": sp.element.symbol(),
                           "oxidation_state": sp.oxidation_state, "occupancy": o})
                })
                .collect();
            json!({
                "labels": labels,
                "wyckoff": info.wyckoff_symbol(rep),
                "wyckoff_published": format!("{}{}", info.wyckoff_multiplicities[rep], published[rep]),
                "multiplicity": orbit.len(),
                "species": species,
                "vacancy": (1.0 - site.total_occupancy()).max(0.0),
                "frac_coords": [site.frac_coords.x, site.frac_coords.y, site.frac_coords.z],
                "nearest_anion_distance_ang": nearest_anion_distance_ang(s, rep),
                "site_indices": orbit,
            })
        })
        .collect()
}

fn warnings(loaded: &LoadedStructure) -> Vec<String> {
    let mut w = loaded.warnings.clone();
    let short = halo_io::contacts::short_contacts(
        &loaded.structure,
        halo_io::contacts::SHORT_CONTACT_FACTOR,
    );
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
}

/// The `halo inspect --json` report of `loaded` at `symprec` (Å).
pub fn report(loaded: &LoadedStructure, symprec: f64) -> HResult<Value> {
    if !(symprec.is_finite() && symprec > 0.0) {
        return Err(crate::errors::Failure::msg(
            Kind::Parameter,
            format!("--symprec must be a positive length in Å, got {symprec}"),
        ));
    }
    let s = &loaded.structure;
    let info = halo_symmetry::analyze(s, symprec)
        .with_context(|| format!("{}: symmetry analysis failed", loaded.source_path))
        .kind(Kind::Structure)?;
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
    let (abc, ang) = (s.lattice.abc(), s.lattice.angles_deg());
    let charge = loaded.charge.as_ref();
    Ok(json!({
        "file": loaded.source_path,
        "format": loaded.format,
        "data_block": loaded.block_name,
        "num_sites": s.num_sites(),
        "formula": comp.formula(),
        "reduced_formula": comp.reduced_formula(),
        "formula_units_z": z,
        "composition_per_formula_unit": per_fu,
        "space_group_symbol": info.space_group_symbol,
        "space_group_number": info.space_group_number,
        "hall_number": info.hall_number,
        "symprec_ang": info.symprec_ang,
        "merge_tolerance_ang": loaded.merge_tolerance_ang,
        "lattice": {"a_ang": abc[0], "b_ang": abc[1], "c_ang": abc[2],
                    "alpha_deg": ang[0], "beta_deg": ang[1], "gamma_deg": ang[2],
                    "matrix_ang": s.lattice.rows()},
        "volume_ang3": s.volume_ang3(),
        "density_g_per_cm3": s.density_g_per_cm3(),
        "oxidation_states": loaded.oxidation_states,
        "net_charge_cell_e": charge.map(|c| c.net_charge_cell_e),
        "net_charge_per_formula_unit": charge.map(|c| c.net_charge_per_formula_unit_e),
        "charge_neutral": charge.map(|c| c.neutral),
        "charge_tolerance_e": halo_io::CHARGE_NEUTRALITY_TOLERANCE_E,
        "sites": sites(loaded, &info),
        "warnings": warnings(loaded),
    }))
}

/// Guarded [`report`] for the Python function.
pub fn inspect(s: &PyStructure, symprec: f64) -> HResult<Value> {
    guard(|| report(&s.loaded, symprec))
}
