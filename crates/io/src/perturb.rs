//! Gaussian noise on fractional coordinates, the way the OBELiX dataset perturbs the
//! ICSD-derived structures it ships (NRC-Mila/OBELiX, `data/scripts/randomize_cifs.py`):
//!
//! 1. noise δ ~ N(0, σ²) per fractional axis (σ = 0.01 in OBELiX) is drawn for each row of the
//!    asymmetric unit, and rows that share a position (equal modulo 1 within 1e-5) share the
//!    same δ, so a mixed site stays one site;
//! 2. the symmetry operations of the CIF are applied to the perturbed rows;
//! 3. images that were one site before the noise (a row on a special position) are averaged
//!    back into one site, as OBELiX's `symmetrize` does, so the composition and multiplicities
//!    are kept.
//!
//! A P1 structure (POSCAR, pymatgen JSON, or a CIF without operations) gets independent noise
//! on every site. σ = 0.01 is about 0.1 Å on a 10 Å cell.

use crate::cif::SymOp;
use crate::error::{IoError, Location};
use crate::LoadedStructure;
use halo_core::lattice::wrap_frac;
use halo_core::{Lattice, Site, Species, Structure};
use nalgebra::Vector3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// OBELiX's noise level, fractional units.
pub const OBELIX_SIGMA_FRAC: f64 = 0.01;

/// Largest noise accepted, fractional units (beyond it atoms swap places and the structure is
/// no longer the one named).
pub const MAX_SIGMA_FRAC: f64 = 0.1;

/// Rows closer than this modulo 1 (each fractional axis) share a position, as in OBELiX.
const SAME_POSITION_FRAC: f64 = 1e-5;

/// One row to perturb: its species with occupancies, position and label.
struct Row {
    species: Vec<(Species, f64)>,
    frac: Vector3<f64>,
    label: Option<String>,
}

fn same_position(a: &Vector3<f64>, b: &Vector3<f64>) -> bool {
    (a - b)
        .iter()
        .all(|d| (d - d.round()).abs() < SAME_POSITION_FRAC)
}

fn periodic_distance(lattice: &Lattice, a: &Vector3<f64>, b: &Vector3<f64>) -> f64 {
    let d = (b - a).map(|x| x - x.round());
    lattice.cart(&d).norm()
}

/// A copy of `loaded` with OBELiX-style noise of `sigma_frac` (fractional units) on the
/// coordinates, seeded by `seed` (ChaCha8, portable). The result is in P1 with the original
/// labels.
pub fn perturb(loaded: &LoadedStructure, sigma_frac: f64, seed: u64) -> Result<Structure, IoError> {
    let path = loaded.source_path.as_str();
    if !(sigma_frac.is_finite() && (0.0..=MAX_SIGMA_FRAC).contains(&sigma_frac)) {
        return Err(IoError::Unsupported {
            at: Location::file(path),
            message: format!(
                "noise σ = {sigma_frac:e} (fractional) must be in [0, {MAX_SIGMA_FRAC}]"
            ),
        });
    }
    let lattice = &loaded.structure.lattice;
    let (rows, ops): (Vec<Row>, Vec<SymOp>) = if loaded.asymmetric_sites.is_empty() {
        let rows = loaded
            .structure
            .sites
            .iter()
            .map(|s| Row {
                species: s.species.clone(),
                frac: s.frac_coords,
                label: s.label.clone(),
            })
            .collect();
        (rows, vec![SymOp::identity()])
    } else {
        let rows = loaded
            .asymmetric_sites
            .iter()
            .map(|a| Row {
                species: vec![(a.species, a.occupancy)],
                frac: Vector3::from(a.frac_coords),
                label: Some(a.label.clone()),
            })
            .collect();
        (rows, loaded.symmetry_operations.clone())
    };
    let merge_ang = loaded
        .merge_tolerance_ang
        .unwrap_or(crate::cif::DEFAULT_MERGE_TOLERANCE_ANG);

    // one noise vector per distinct position, drawn in row order
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut group_of: Vec<usize> = Vec::with_capacity(rows.len());
    let mut noise: Vec<Vector3<f64>> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match (0..i).find(|&j| same_position(&rows[j].frac, &r.frac)) {
            Some(j) => group_of.push(group_of[j]),
            None => {
                let mut d = Vector3::zeros();
                for k in 0..3 {
                    let z: f64 = rng.sample(StandardNormal);
                    d[k] = sigma_frac * z;
                }
                group_of.push(noise.len());
                noise.push(d);
            }
        }
    }

    let mut sites: Vec<Site> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let moved = r.frac + noise[group_of[i]];
        // which operations give one image of the unperturbed row: those images stay one site
        let mut images: Vec<(Vector3<f64>, Vec<Vector3<f64>>)> = Vec::new();
        for op in &ops {
            let p0 = op.apply(&r.frac).map(wrap_frac);
            let p1 = op.apply(&moved);
            match images
                .iter_mut()
                .find(|(q, _)| periodic_distance(lattice, q, &p0) < merge_ang)
            {
                Some((_, members)) => members.push(p1),
                None => images.push((p0, vec![p1])),
            }
        }
        for (_, members) in images {
            let first = members[0];
            let mean_offset = members
                .iter()
                .map(|p| (p - first).map(|x| x - x.round()))
                .sum::<Vector3<f64>>()
                / members.len() as f64;
            let p = (first + mean_offset).map(wrap_frac);
            match sites
                .iter_mut()
                .find(|s| periodic_distance(lattice, &s.frac_coords, &p) < merge_ang)
            {
                Some(s) => {
                    for &(sp, occ) in &r.species {
                        match s.species.iter_mut().find(|(x, _)| *x == sp) {
                            Some(e) => e.1 += occ,
                            None => s.species.push((sp, occ)),
                        }
                    }
                }
                None => sites.push(Site {
                    species: r.species.clone(),
                    frac_coords: p,
                    label: r.label.clone(),
                }),
            }
        }
    }
    if sites.len() != loaded.structure.sites.len() {
        return Err(IoError::Unsupported {
            at: Location::file(path),
            message: format!(
                "noise σ = {sigma_frac} with seed {seed} changed the number of sites ({} → {}): \
                 two atoms came closer than {merge_ang} Å; choose another seed",
                loaded.structure.sites.len(),
                sites.len()
            ),
        });
    }
    Structure::new(lattice.clone(), sites).map_err(|e| IoError::Structure {
        at: Location::file(path),
        error: e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cif::{parse_cif, CifOptions};

    const SPINEL: &str =
        include_str!("../../../structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif");

    fn rms_displacement_ang(a: &Structure, b: &Structure) -> f64 {
        let mut sum = 0.0;
        for s in &b.sites {
            let d = a
                .sites
                .iter()
                .map(|t| periodic_distance(&a.lattice, &t.frac_coords, &s.frac_coords))
                .fold(f64::INFINITY, f64::min);
            sum += d * d;
        }
        (sum / b.sites.len() as f64).sqrt()
    }

    #[test]
    fn noise_keeps_composition_sites_and_mixed_sites() {
        let loaded = parse_cif(SPINEL, "spinel.cif", &CifOptions::default()).unwrap();
        let p = perturb(&loaded, OBELIX_SIGMA_FRAC, 7).unwrap();
        assert_eq!(p.sites.len(), loaded.structure.sites.len());
        let (c0, c1) = (
            loaded.structure.composition().element_amounts(),
            p.composition().element_amounts(),
        );
        assert_eq!(c0.len(), c1.len());
        for ((e0, a0), (e1, a1)) in c0.iter().zip(&c1) {
            assert!(e0 == e1 && (a0 - a1).abs() < 1e-9, "{c0:?} vs {c1:?}");
        }
        // the 16d Li/Sc/In site stays one mixed site
        let mixed = p.sites.iter().filter(|s| s.species.len() == 3).count();
        assert_eq!(mixed, 16);
        // the displacement is of the size asked for: special positions keep only part of the
        // noise, so the rms is below σ·a·√3 but far from zero
        let rms = rms_displacement_ang(&loaded.structure, &p);
        let a = loaded.structure.lattice.abc()[0];
        assert!(
            rms > 0.02 && rms < OBELIX_SIGMA_FRAC * a * 3f64.sqrt(),
            "rms {rms} Å"
        );
    }

    #[test]
    fn same_seed_same_structure_and_zero_noise_is_identity() {
        let loaded = parse_cif(SPINEL, "spinel.cif", &CifOptions::default()).unwrap();
        let a = perturb(&loaded, 0.01, 3).unwrap();
        let b = perturb(&loaded, 0.01, 3).unwrap();
        let c = perturb(&loaded, 0.01, 4).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let z = perturb(&loaded, 0.0, 3).unwrap();
        assert!(rms_displacement_ang(&loaded.structure, &z) < 1e-9);
    }

    #[test]
    fn bad_sigma_is_refused_with_the_file() {
        let loaded = parse_cif(SPINEL, "spinel.cif", &CifOptions::default()).unwrap();
        for s in [-0.01, f64::NAN, 0.5] {
            let e = perturb(&loaded, s, 1).unwrap_err().to_string();
            assert!(e.contains("spinel.cif") && e.contains("σ"), "{e}");
        }
    }
}
