//! The anions' bond-valence saturation as a lattice-gas energy of the mobile ions
//! (docs/physics.md §5b).
//!
//! BVSE scores a mobile ion by its own bonds (Morse terms summed over the anions around it); it
//! does not see that the anions it bonds to may already be saturated by the framework and by the
//! other mobile ions. That is why an ordered, fully occupied Li sublattice (LiAlCl4, Li2MgBr4,
//! Li6MCl8) leaks Li into interstitials that cost almost nothing: the interstitial's own bonds are
//! fine, but its anions are over-bonded and the vacancy it left behind under-bonds others. The
//! bond-valence model's second rule — every ion's bond-valence sum equals its valence (Brown, *The
//! Chemical Bond in Inorganic Chemistry*, 2nd ed., OUP 2016, ch. 3; the global-instability index
//! of Salinas-Sanchez et al., J. Solid State Chem. 100 (1992) 201) — applied to the anions gives
//!
//!   E_sat = c · Σ_X (S_X − V_X)²,   S_X = S_X^fw + Σ_i n_i·s_iX,
//!
//! with V_X the anion's formal valence, S_X^fw the sum of the bond valences s = exp((R0 − R)/b)
//! of the framework cations (occupancy-weighted), n_i ∈ {0, 1} the occupation of mobile-ion site
//! i and s_iX its bond valence to anion X (softBV R0 and b of `halo_data::softbv`, the landscape's
//! own parameters). Expanded in the occupations (n_i² = n_i), E_sat is a lattice gas with
//!
//! - a site energy   ε_i  = c · Σ_X s_iX·(2(S_X^fw − V_X) + s_iX),
//! - a pair energy   J_ij = 2c · Σ_X s_iX·s_jX  (i ≠ j, any periodic images),
//!
//! plus a constant. J is a repulsion between ions that share an anion; ε favours sites whose
//! anions the framework leaves under-bonded. The one constant c (eV per valence unit squared) is
//! global; its natural scale is the Morse curvature spread over an anion's bonds,
//! (D0/2)/(N·s_min²) ≈ 1 eV/v.u.² for Li–Cl with N = 6 (s_min the bond valence at R_min).
//! Bonds weaker than [`SaturationParams::min_bond_valence`] are dropped so the pair terms stay
//! short-ranged (≤ 2 R_cut).

use crate::error::BvseError;
use crate::framework::softbv_pair;
use halo_core::{Species, Structure};
use nalgebra::Vector3;
use std::collections::BTreeMap;

/// Parameters of the saturation term.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SaturationParams {
    /// c, eV per valence unit squared (0: no term).
    pub stiffness_ev: f64,
    /// Bonds with a smaller bond valence are ignored, v.u.
    pub min_bond_valence: f64,
}

impl SaturationParams {
    /// Default bond cutoff, v.u.: 0.05 keeps the first coordination shell of the halides
    /// (Li–Cl: R ≤ 3.30 Å with softBV's R0 = 1.399 Å, b = 0.634 Å).
    pub const DEFAULT_MIN_BOND_VALENCE: f64 = 0.05;

    /// The term with stiffness `c` eV/v.u.² and the default bond cutoff.
    pub fn new(stiffness_ev: f64) -> SaturationParams {
        SaturationParams {
            stiffness_ev,
            min_bond_valence: Self::DEFAULT_MIN_BOND_VALENCE,
        }
    }

    fn validate(&self) -> Result<(), BvseError> {
        if !(self.stiffness_ev.is_finite() && self.stiffness_ev >= 0.0) {
            return Err(BvseError::InvalidParameter {
                name: "anion_saturation_ev",
                reason: format!("{} is not a finite stiffness ≥ 0", self.stiffness_ev),
            });
        }
        if !(self.min_bond_valence.is_finite()
            && self.min_bond_valence > 0.0
            && self.min_bond_valence < 1.0)
        {
            return Err(BvseError::InvalidParameter {
                name: "min_bond_valence",
                reason: format!("{} is not in (0, 1)", self.min_bond_valence),
            });
        }
        Ok(())
    }
}

/// A pair energy between mobile-ion sites `a` (home cell) and the image of `b` shifted by
/// `image`.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteCoupling {
    pub a: usize,
    pub b: usize,
    pub image: [i32; 3],
    pub energy_ev: f64,
}

/// The lattice-gas form of E_sat on a set of mobile-ion sites.
#[derive(Clone, Debug, PartialEq)]
pub struct SaturationTerms {
    /// ε_i per site, eV.
    pub site_energy_ev: Vec<f64>,
    /// J_ij, each unordered pair once.
    pub couplings: Vec<SiteCoupling>,
    /// S_X^fw − V_X per anion site of the structure (in structure order), v.u.: the framework's
    /// under-bonding the mobile ions fill.
    pub anion_deficit: Vec<f64>,
}

/// A bond of `from` to a partner site at a lattice image, with its bond valence.
#[derive(Clone, Copy, Debug)]
struct Bond {
    partner: usize,
    image: [i32; 3],
    valence: f64,
}

/// The softBV (R0, b) of cation–anion pair, or the error naming it and the structure's site
/// `site_index` that needs it.
fn bv_params(
    cation: Species,
    anion: Species,
    site_index: usize,
    structure: &Structure,
) -> Result<(f64, f64), BvseError> {
    let row = softbv_pair(
        cation,
        anion,
        site_index,
        &format!(
            "{}, bond-valence saturation",
            site_label(structure, site_index)
        ),
    )?;
    Ok((row.r0_ang, row.b_ang))
}

fn site_label(structure: &Structure, site_index: usize) -> &str {
    structure.sites[site_index]
        .label
        .as_deref()
        .unwrap_or("unlabelled")
}

/// [`bv_params`] looked up once per (cation, anion) species pair: the table scan is a string
/// search, and the anion sums visit every cation image around every anion.
#[derive(Default)]
pub(crate) struct BvCache(Vec<((Species, Species), (f64, f64))>);

impl BvCache {
    pub(crate) fn get(
        &mut self,
        cation: Species,
        anion: Species,
        site_index: usize,
        structure: &Structure,
    ) -> Result<(f64, f64), BvseError> {
        if let Some((_, p)) = self.0.iter().find(|(k, _)| *k == (cation, anion)) {
            return Ok(*p);
        }
        let p = bv_params(cation, anion, site_index, structure)?;
        self.0.push(((cation, anion), p));
        Ok(p)
    }
}

/// The longest bond the term counts between `mobile` and the anions of `structure`, Å
/// (R0 − b·ln s_min over the anion species present): two sites coupled through one anion are at
/// most twice this apart.
pub fn max_bond_length_ang(
    structure: &Structure,
    mobile: Species,
    params: &SaturationParams,
) -> Result<f64, BvseError> {
    params.validate()?;
    let mut cache = BvCache::default();
    let mut longest: f64 = 0.0;
    for (k, anion, _) in anions(structure, "anion_saturation_ev")? {
        let (r0, b) = cache.get(mobile, anion, k, structure)?;
        longest = longest.max(r0 - b * params.min_bond_valence.ln());
    }
    Ok(longest)
}

/// The anions of `structure` (sites whose species are all negative), with occupancy and
/// valence, and the anion species (one per site; a mixed-anion site is refused).
pub(crate) fn anions(
    structure: &Structure,
    option: &'static str,
) -> Result<Vec<(usize, Species, f64)>, BvseError> {
    let mut out = Vec::new();
    for (k, site) in structure.sites.iter().enumerate() {
        let neg: Vec<&(Species, f64)> = site
            .species
            .iter()
            .filter(|(s, _)| s.oxidation_state.unwrap_or(0) < 0)
            .collect();
        match neg.as_slice() {
            [] => {}
            [(sp, occ)] => out.push((k, *sp, *occ)),
            _ => {
                return Err(BvseError::InvalidParameter {
                    name: option,
                    reason: format!(
                        "site {k} ({}) mixes anions; bond-valence sums per anion need one anion per site",
                        site_label(structure, k)
                    ),
                })
            }
        }
    }
    Ok(out)
}

/// The saturation term of the mobile ion `mobile` on `sites` (fractional coordinates in the
/// structure's lattice) for the framework of `structure`: every species but the mobile element
/// contributes to S_X^fw (a Li on a mixed site is a mobile ion, so it does not).
pub fn saturation_terms(
    structure: &Structure,
    mobile: Species,
    sites: &[[f64; 3]],
    params: &SaturationParams,
) -> Result<SaturationTerms, BvseError> {
    params.validate()?;
    let lattice = &structure.lattice;
    let anions = anions(structure, "anion_saturation_ev")?;
    let c = params.stiffness_ev;
    let cut = |(r0, b): (f64, f64)| r0 - b * params.min_bond_valence.ln();
    let bv = |(r0, b): (f64, f64), r: f64| ((r0 - r) / b).exp();
    let mut cache = BvCache::default();

    // S_X^fw − V_X per anion
    let mut deficit = Vec::with_capacity(anions.len());
    for &(k, anion, _) in &anions {
        let xk = structure.sites[k].frac_coords;
        let mut s_fw = 0.0;
        for (j, site) in structure.sites.iter().enumerate() {
            for &(sp, occ) in &site.species {
                if sp.element == mobile.element || sp.oxidation_state.unwrap_or(0) <= 0 {
                    continue;
                }
                let p = cache.get(sp, anion, j, structure)?;
                for (_, r) in lattice.images_within(&xk, &site.frac_coords, cut(p)) {
                    s_fw += occ * bv(p, r);
                }
            }
        }
        let v = -(anion.oxidation_state.unwrap_or(0) as f64);
        deficit.push(s_fw - v);
    }

    // bonds of each mobile-ion site, and of each anion to the sites
    let mut site_bonds: Vec<Vec<Bond>> = vec![Vec::new(); sites.len()];
    let mut anion_bonds: Vec<Vec<Bond>> = vec![Vec::new(); anions.len()];
    for (x, &(k, anion, occ)) in anions.iter().enumerate() {
        let p = cache.get(mobile, anion, k, structure)?;
        let xk = structure.sites[k].frac_coords;
        for (i, f) in sites.iter().enumerate() {
            // images of site i around anion x (home)
            for (img, r) in lattice.images_within(&xk, &Vector3::from(*f), cut(p)) {
                let s = occ * bv(p, r);
                anion_bonds[x].push(Bond {
                    partner: i,
                    image: img,
                    valence: s,
                });
                site_bonds[i].push(Bond {
                    partner: x,
                    image: img.map(|v| -v),
                    valence: s,
                });
            }
        }
    }

    let site_energy_ev = site_bonds
        .iter()
        .map(|bonds| {
            bonds
                .iter()
                .map(|b| c * b.valence * (2.0 * deficit[b.partner] + b.valence))
                .sum()
        })
        .collect();

    // J_ij = 2c Σ_X s_iX s_jX: every unordered pair of bonds of one (home) anion, translated so
    // that the first site is in the home cell; one key per unordered pair of site images
    let mut pairs: BTreeMap<(usize, usize, [i32; 3]), f64> = BTreeMap::new();
    for bonds in &anion_bonds {
        for (p, bp) in bonds.iter().enumerate() {
            for bq in &bonds[p + 1..] {
                let img = [0, 1, 2].map(|d| bq.image[d] - bp.image[d]);
                let key = canonical(bp.partner, bq.partner, img);
                *pairs.entry(key).or_insert(0.0) += 2.0 * c * bp.valence * bq.valence;
            }
        }
    }
    let couplings = pairs
        .into_iter()
        .filter(|(_, e)| *e != 0.0)
        .map(|((a, b, image), energy_ev)| SiteCoupling {
            a,
            b,
            image,
            energy_ev,
        })
        .collect();
    Ok(SaturationTerms {
        site_energy_ev,
        couplings,
        anion_deficit: deficit,
    })
}

/// One key per unordered pair: (a, b at image) and (b, a at −image) are the same pair; a site
/// and its own image keep the lexicographically positive image.
fn canonical(a: usize, b: usize, img: [i32; 3]) -> (usize, usize, [i32; 3]) {
    let neg = img.map(|v| -v);
    if a < b || (a == b && img > neg) {
        (a, b, img)
    } else {
        (b, a, neg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo_core::{Lattice, Site};

    /// E_sat evaluated directly, c·Σ_X (S_X − V_X)², for ions on `occupied` (site, image) of
    /// `sites`; the anion sums are taken over the home anions with every image of the ions.
    fn direct_energy(
        structure: &Structure,
        mobile: Species,
        sites: &[[f64; 3]],
        occupied: &[(usize, [i32; 3])],
        p: &SaturationParams,
    ) -> f64 {
        let terms = saturation_terms(structure, mobile, sites, p).unwrap();
        let anions = anions(structure, "anion_saturation_ev").unwrap();
        let mut e = 0.0;
        for (x, &(k, anion, occ)) in anions.iter().enumerate() {
            let bvp = bv_params(mobile, anion, k, structure).unwrap();
            let rcut = bvp.0 - bvp.1 * p.min_bond_valence.ln();
            let xk = structure.sites[k].frac_coords;
            let mut s = terms.anion_deficit[x];
            for &(i, img) in occupied {
                let f = Vector3::from(sites[i])
                    + Vector3::new(img[0] as f64, img[1] as f64, img[2] as f64);
                let r = structure.lattice.cart(&(f - xk)).norm();
                if r < rcut {
                    s += occ * ((bvp.0 - r) / bvp.1).exp();
                }
            }
            e += p.stiffness_ev * (s * s - terms.anion_deficit[x].powi(2));
        }
        e
    }

    #[test]
    fn the_lattice_gas_equals_the_anion_sums_it_expands() {
        // a rock-salt-like LiCl cell with Al on one cation site and two candidate Li sites;
        // in a 2×1×1 cell of isolated clusters the direct sum over the home anions is exact
        let li = Species::parse("Li+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        let al = Species::parse("Al3+").unwrap();
        let lattice = Lattice::from_parameters(14.0, 9.0, 9.0, 90.0, 90.0, 90.0).unwrap();
        let s = Structure::new(
            lattice,
            vec![
                Site::ordered(al, [0.10, 0.5, 0.5]),
                Site::ordered(cl, [0.10 + 2.13 / 14.0, 0.5, 0.5]),
                Site::ordered(cl, [0.10, 0.5 + 2.13 / 9.0, 0.5]),
                Site::ordered(cl, [0.10, 0.5, 0.5 + 2.13 / 9.0]),
            ],
        )
        .unwrap();
        let sites = [
            [0.10 + 2.13 / 14.0, 0.5 + 2.6 / 9.0, 0.5],
            [0.10 + 2.13 / 14.0, 0.5, 0.5 + 2.6 / 9.0],
            [0.10, 0.5 + 2.13 / 9.0, 0.5 + 2.6 / 9.0],
        ];
        let p = SaturationParams::new(1.3);
        let t = saturation_terms(&s, li, &sites, &p).unwrap();
        assert!(!t.couplings.is_empty(), "the three sites share anions");
        // every occupation pattern of the three sites: Σ ε + Σ J = c Σ_X [(S^fw+S^Li−V)² − (S^fw−V)²]
        for mask in 0u32..8 {
            let occ: Vec<(usize, [i32; 3])> = (0..3)
                .filter(|i| mask >> i & 1 == 1)
                .map(|i| (i, [0, 0, 0]))
                .collect();
            let mut lg: f64 = occ.iter().map(|&(i, _)| t.site_energy_ev[i]).sum();
            for c in &t.couplings {
                if c.image == [0, 0, 0] && mask >> c.a & 1 == 1 && mask >> c.b & 1 == 1 {
                    lg += c.energy_ev;
                }
            }
            let direct = direct_energy(&s, li, &sites, &occ, &p);
            assert!((lg - direct).abs() < 1e-12, "mask {mask}: {lg} vs {direct}");
        }
        // the framework's Al over-bonds nothing here: each Cl has one Al bond at 2.13 Å
        let s_al = ((1.89795f64 - 2.13) / 0.646).exp();
        for d in &t.anion_deficit {
            assert!((d - (s_al - 1.0)).abs() < 1e-9, "{d}");
        }
    }

    #[test]
    fn an_ion_and_its_own_image_are_coupled_through_a_shared_anion() {
        // a 1D chain: Cl at x = 0, Li site at x = ½ of a 4.6 Å cell, both images of Li bond to Cl
        let li = Species::parse("Li+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        let lattice = Lattice::from_parameters(4.6, 12.0, 12.0, 90.0, 90.0, 90.0).unwrap();
        let s = Structure::new(lattice, vec![Site::ordered(cl, [0.0, 0.5, 0.5])]).unwrap();
        let p = SaturationParams::new(1.0);
        let t = saturation_terms(&s, li, &[[0.5, 0.5, 0.5]], &p).unwrap();
        let sv = ((1.39892f64 - 2.3) / 0.634).exp();
        // one key (site 0 with its image +a), J = 2c s²; ε = c·2 bonds·s(2·(0 − 1) + s)
        assert_eq!(t.couplings.len(), 1);
        assert_eq!(t.couplings[0].image, [1, 0, 0]);
        assert!((t.couplings[0].energy_ev - 2.0 * sv * sv).abs() < 1e-12);
        assert!((t.site_energy_ev[0] - 2.0 * sv * (-2.0 + sv)).abs() < 1e-12);
    }

    #[test]
    fn bad_stiffness_and_unknown_pairs_are_refused() {
        let li = Species::parse("Li+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        let s = Structure::rock_salt(li, cl, 5.13).unwrap();
        let e = saturation_terms(&s, li, &[[0.0; 3]], &SaturationParams::new(-1.0)).unwrap_err();
        assert!(e.to_string().contains("anion_saturation_ev"), "{e}");
        let e = saturation_terms(&s, li, &[[0.0; 3]], &SaturationParams::new(f64::NAN));
        assert!(e.is_err());
    }
}
