//! The anions' bond-valence saturation lattice gas (`halo_bvse::saturation`) on a refined
//! structure: with every mobile-ion site of the refinement occupied (and so every periodic image),
//! Σ_i ε_i + Σ_pairs J_ij per cell must equal c·Σ_X [(S_X − V_X)² − (S_X^fw − V_X)²] with the
//! anion sums S_X computed directly from the structure's own bonds.

use halo_bvse::saturation::{saturation_terms, SaturationParams};
use halo_core::{Species, Structure};
use nalgebra::Vector3;

fn read(name: &str) -> Structure {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../structures")
        .join(name);
    halo_io::read_structure(&path).unwrap().structure
}

/// Σ over every cation image within the bond cutoff of anion site `x`: occupancy × s, split into
/// (framework cations, mobile element).
fn anion_sums(s: &Structure, x: usize, mobile: Species, s_min: f64) -> (f64, f64) {
    let anion = s.sites[x].species[0].0;
    let xf = s.sites[x].frac_coords;
    let (mut fw, mut mob) = (0.0, 0.0);
    for site in &s.sites {
        for &(sp, occ) in &site.species {
            if sp.oxidation_state.unwrap_or(0) <= 0 {
                continue;
            }
            let row = halo_data::softbv::pair(
                sp.element.symbol(),
                sp.oxidation_state.unwrap(),
                anion.element.symbol(),
                anion.oxidation_state.unwrap(),
            )
            .unwrap();
            let rcut = row.r0_ang - row.b_ang * s_min.ln();
            for a in -2..=2 {
                for b in -2..=2 {
                    for c in -2..=2 {
                        let d = site.frac_coords + Vector3::new(a as f64, b as f64, c as f64) - xf;
                        let r = s.lattice.cart(&d).norm();
                        if r < rcut {
                            let v = occ * ((row.r0_ang - r) / row.b_ang).exp();
                            if sp.element == mobile.element {
                                mob += v;
                            } else {
                                fw += v;
                            }
                        }
                    }
                }
            }
        }
    }
    (fw, mob)
}

#[test]
fn the_refined_configuration_costs_the_anions_squared_mismatch() {
    let s = read("LiAlCl4_P21c_COD1004036.cif");
    let li = Species::parse("Li+").unwrap();
    let p = SaturationParams::new(1.7);
    let li_sites: Vec<[f64; 3]> = s
        .sites
        .iter()
        .filter(|site| site.occupancy_of(li.element) > 0.0)
        .map(|site| site.frac_coords.into())
        .collect();
    assert_eq!(li_sites.len(), 4, "LiAlCl4 P21/c: 4 Li per cell");
    let t = saturation_terms(&s, li, &li_sites, &p).unwrap();
    // the lattice gas with every site (every image) occupied, per cell
    let lattice_gas: f64 =
        t.site_energy_ev.iter().sum::<f64>() + t.couplings.iter().map(|c| c.energy_ev).sum::<f64>();
    // directly: the anions' sums from the structure's bonds
    let mut direct = 0.0;
    let mut anion_count = 0;
    for (x, site) in s.sites.iter().enumerate() {
        if site.species[0].0.oxidation_state.unwrap_or(0) >= 0 {
            continue;
        }
        let (fw, mob) = anion_sums(&s, x, li, p.min_bond_valence);
        assert!(
            (fw - 1.0 - t.anion_deficit[anion_count]).abs() < 1e-12,
            "framework sum of anion {x}"
        );
        direct += p.stiffness_ev * ((fw + mob - 1.0).powi(2) - (fw - 1.0).powi(2));
        // Al3+ gives each Cl about 0.7 v.u., the Li about 0.3: a bond-valence-balanced anion
        assert!((fw + mob - 1.0).abs() < 0.25, "anion {x}: S = {}", fw + mob);
        anion_count += 1;
    }
    assert_eq!(anion_count, 16);
    assert!(
        (lattice_gas - direct).abs() < 1e-9,
        "lattice gas {lattice_gas} vs direct {direct}"
    );
    // the refined sites are where the anions want their Li: filling them lowers E_sat a lot
    assert!(direct < -1.0, "{direct}");
}
