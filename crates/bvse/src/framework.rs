//! From a [`Structure`] to the framework seen by the mobile ion: site kinds with their softBV
//! parameters, and the mobile-ion sites that were removed.

use crate::error::BvseError;
use crate::params::{BvseParams, MixedSiteMobile};
use crate::potential::{PairTerm, SiteKind};
use halo_core::{Species, Structure};
use halo_data::softbv;
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

/// A site of the input structure that holds the mobile element (removed from the framework).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MobileSite {
    /// Fractional coordinates in [0, 1).
    pub frac_coords: [f64; 3],
    /// CIF label, when known.
    pub label: Option<String>,
    /// Occupancy of the mobile element on this site.
    pub occupancy: f64,
}

/// A framework site: position and the index of its [`SiteKind`].
#[derive(Clone, Debug, PartialEq)]
pub struct FrameworkSite {
    pub frac_coords: Vector3<f64>,
    pub kind: usize,
}

/// The framework of a structure for one mobile ion.
#[derive(Clone, Debug)]
pub struct Framework {
    pub sites: Vec<FrameworkSite>,
    pub kinds: Vec<SiteKind>,
    pub mobile_sites: Vec<MobileSite>,
}

fn site_label(structure: &Structure, i: usize) -> String {
    structure.sites[i]
        .label
        .clone()
        .unwrap_or_else(|| format!("#{i}"))
}

/// The pair term of the mobile ion with `species` (None for a neutral species, which bvlain
/// ignores as well).
fn pair_term(
    mobile: Species,
    species: Species,
    params: &BvseParams,
    site_index: usize,
    label: &str,
) -> Result<Option<PairTerm>, BvseError> {
    let q_m = mobile.oxidation_state.unwrap_or(0) as i32;
    let q_j = species
        .oxidation_state
        .ok_or_else(|| BvseError::MissingOxidationState {
            site_index,
            label: label.to_string(),
            species: species.to_string(),
        })? as i32;
    if q_j == 0 {
        return Ok(None);
    }
    if q_m * q_j < 0 {
        let row = softbv_pair(mobile, species, site_index, label)?;
        Ok(Some(PairTerm::Morse {
            d0_ev: row.d0_ev,
            alpha_per_ang: row.alpha_per_ang,
            rmin_ang: row.rmin_ang,
        }))
    } else {
        let props = |sp: Species| -> Result<(f64, f64), BvseError> {
            let el = sp.element.symbol();
            let row = softbv::ion_props(el).map_err(|_| BvseError::MissingIonProperty {
                element: el.to_string(),
                what: "principal quantum number",
            })?;
            let rc = row
                .r_cov_ase_ang
                .ok_or_else(|| BvseError::MissingIonProperty {
                    element: el.to_string(),
                    what: "ASE covalent radius",
                })?;
            Ok((row.n_principal as f64, rc))
        };
        let (n_m, rc_m) = props(mobile)?;
        let (n_j, rc_j) = props(species)?;
        Ok(Some(PairTerm::Coulomb {
            prefactor_ev_ang: params.coulomb_constant_ev_ang * (q_m * q_j) as f64
                / (n_m * n_j).sqrt(),
            screening_length_ang: params.screening_factor * (rc_m + rc_j),
        }))
    }
}

/// The softBV row of the (cation, anion) pair with a positive softness b, or the error naming
/// the pair and the structure's site (`site_index`, `label`) that needs it.
pub(crate) fn softbv_pair(
    cation: Species,
    anion: Species,
    site_index: usize,
    label: &str,
) -> Result<&'static softbv::PairRow, BvseError> {
    let (qc, qa) = (
        cation.oxidation_state.unwrap_or(0),
        anion.oxidation_state.unwrap_or(0),
    );
    let row =
        softbv::pair(cation.element.symbol(), qc, anion.element.symbol(), qa).map_err(|_| {
            BvseError::MissingPair {
                mobile: cation.to_string(),
                counter_ion: anion.to_string(),
                site_index,
                label: label.to_string(),
            }
        })?;
    if row.b_ang.is_nan() || row.b_ang <= 0.0 {
        return Err(BvseError::NegativeSoftness {
            mobile: cation.to_string(),
            counter_ion: anion.to_string(),
            b_ang: row.b_ang,
            note: row.note.clone(),
        });
    }
    Ok(row)
}

/// The BVSE repulsion between two mobile ions: the like-charge term the landscape applies to
/// every framework ion of the mobile ion's sign, `K·q_M²/n_M · erfc(r/(f·2·rc_M))/r`, as
/// (prefactor K·q_M²/n_M, eV·Å; screening length f·2·rc_M, Å). Li+: (7.20 eV·Å, 1.894 Å).
pub fn mobile_pair_coulomb(params: &BvseParams) -> Result<(f64, f64), BvseError> {
    let m = params.mobile_ion;
    match pair_term(m, m, params, 0, "mobile ion")? {
        Some(PairTerm::Coulomb {
            prefactor_ev_ang,
            screening_length_ang,
        }) => Ok((prefactor_ev_ang, screening_length_ang)),
        _ => Err(BvseError::MissingOxidationState {
            site_index: 0,
            label: "mobile ion".into(),
            species: m.to_string(),
        }),
    }
}

impl Framework {
    /// Split `structure` into the framework and the mobile-ion sites (see [`MixedSiteMobile`]).
    /// Occupancies weight every term; identical site potentials share one kind.
    pub fn new(structure: &Structure, params: &BvseParams) -> Result<Framework, BvseError> {
        let mobile = params.mobile_ion;
        let el = mobile.element;
        let mut mobile_sites = Vec::new();
        let mut sites = Vec::new();
        let mut kinds: Vec<SiteKind> = Vec::new();
        for (i, site) in structure.sites.iter().enumerate() {
            let occ_mobile = site.occupancy_of(el);
            if occ_mobile > 0.0 {
                mobile_sites.push(MobileSite {
                    frac_coords: [site.frac_coords.x, site.frac_coords.y, site.frac_coords.z],
                    label: site.label.clone(),
                    occupancy: occ_mobile,
                });
            }
            let has_framework_species = site.species.iter().any(|(s, _)| s.element != el);
            let label = site_label(structure, i);
            let mut terms = Vec::new();
            for &(sp, occ) in &site.species {
                let keep = sp.element != el
                    || (params.mixed_site_mobile == MixedSiteMobile::KeepAsFramework
                        && has_framework_species);
                if !keep {
                    continue;
                }
                if let Some(t) = pair_term(mobile, sp, params, i, &label)? {
                    terms.push((occ, t));
                }
            }
            if terms.is_empty() {
                continue;
            }
            let kind = SiteKind { terms };
            let idx = match kinds.iter().position(|k| *k == kind) {
                Some(p) => p,
                None => {
                    kinds.push(kind);
                    kinds.len() - 1
                }
            };
            sites.push(FrameworkSite {
                frac_coords: site.frac_coords,
                kind: idx,
            });
        }
        if mobile_sites.is_empty() {
            let present: Vec<String> = structure
                .composition()
                .elements()
                .iter()
                .map(|e| e.to_string())
                .collect();
            return Err(BvseError::NoMobileIon {
                mobile: el.to_string(),
                present: present.join(" "),
            });
        }
        if sites.is_empty() {
            return Err(BvseError::EmptyFramework {
                mobile: el.to_string(),
            });
        }
        Ok(Framework {
            sites,
            kinds,
            mobile_sites,
        })
    }
}
