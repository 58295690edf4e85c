//! Cation–anion contacts much shorter than the sum of the ionic radii: a sign of a noisy or
//! broken structure (coordinates with noise, a wrong setting, a misread label).
//!
//! A contact between a cation site and an anion site at distance d is short when
//! d < factor · (r_cation + r_anion), with r the Shannon ionic radius for six-fold coordination
//! (`elements.csv`; Shannon, Acta Cryst. A32 (1976) 751). Species without a tabulated radius are
//! skipped. Li–Cl in LiCl: r = 0.76 + 1.81 = 2.57 Å against a measured 2.57 Å; the default factor
//! 0.85 flags contacts below 2.18 Å.

use halo_core::{Species, Structure};
use serde::Serialize;

/// The default factor of [`short_contacts`].
pub const SHORT_CONTACT_FACTOR: f64 = 0.85;

/// One short cation–anion contact.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShortContact {
    pub cation_site: usize,
    pub anion_site: usize,
    pub cation: String,
    pub anion: String,
    pub cation_label: Option<String>,
    pub anion_label: Option<String>,
    pub distance_ang: f64,
    /// r_cation + r_anion, Å.
    pub radii_sum_ang: f64,
}

/// A species with its Shannon radius, Å.
type Ion = (Species, f64);

fn radius_ang(sp: &Species) -> Option<f64> {
    let q = sp.oxidation_state?;
    halo_data::elements::ion(sp.element, q)
        .ok()?
        .shannon_vi_ionic_pm
        .map(|pm| pm / 100.0)
}

/// Every cation–anion pair of sites closer than `factor` × the sum of their radii (the
/// shortest image of each pair, once per pair), sorted by distance / radii sum.
pub fn short_contacts(structure: &Structure, factor: f64) -> Vec<ShortContact> {
    // per site: the largest cation and the largest anion with a tabulated radius
    let ions: Vec<(Option<Ion>, Option<Ion>)> = structure
        .sites
        .iter()
        .map(|s| {
            let largest = |want_cation: bool| {
                s.species
                    .iter()
                    .filter(|(sp, o)| {
                        *o > 0.0
                            && sp
                                .oxidation_state
                                .is_some_and(|q| (q > 0) == want_cation && q != 0)
                    })
                    .filter_map(|(sp, _)| Some((*sp, radius_ang(sp)?)))
                    .max_by(|a, b| a.1.total_cmp(&b.1))
            };
            (largest(true), largest(false))
        })
        .collect();
    let r_max = ions
        .iter()
        .flat_map(|(c, a)| c.iter().chain(a.iter()).map(|x| x.1))
        .fold(0.0, f64::max);
    let mut out = Vec::new();
    for (i, (cat, _)) in ions.iter().enumerate() {
        let Some((c, rc)) = cat else { continue };
        for n in structure.site_neighbors(i, factor * 2.0 * r_max) {
            let Some((a, ra)) = ions[n.index].1 else {
                continue;
            };
            let sum = rc + ra;
            if n.distance_ang < factor * sum
                && !out
                    .iter()
                    .any(|x: &ShortContact| x.cation_site == i && x.anion_site == n.index)
            {
                out.push(ShortContact {
                    cation_site: i,
                    anion_site: n.index,
                    cation: c.to_string(),
                    anion: a.to_string(),
                    cation_label: structure.sites[i].label.clone(),
                    anion_label: structure.sites[n.index].label.clone(),
                    distance_ang: n.distance_ang,
                    radii_sum_ang: sum,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.distance_ang / a.radii_sum_ang).total_cmp(&(b.distance_ang / b.radii_sum_ang))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo_core::{Lattice, Site};

    fn licl(a: f64, shift: f64) -> Structure {
        let li = Species::parse("Li+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        Structure::new(
            Lattice::cubic(a),
            vec![
                Site::ordered(li, [0.0, 0.0, 0.0]),
                Site::ordered(cl, [0.5 - shift, 0.0, 0.0]),
            ],
        )
        .unwrap()
    }

    #[test]
    fn licl_at_its_measured_distance_is_fine_and_a_squeezed_one_is_flagged() {
        // a primitive-cubic toy with the rock-salt Li–Cl distance 2.57 Å
        assert!(short_contacts(&licl(5.14, 0.0), SHORT_CONTACT_FACTOR).is_empty());
        let c = short_contacts(&licl(5.14, 0.15), SHORT_CONTACT_FACTOR);
        assert_eq!(c.len(), 1);
        assert!((c[0].distance_ang - 5.14 * 0.35).abs() < 1e-9);
        assert!((c[0].radii_sum_ang - 2.57).abs() < 1e-9);
        assert_eq!((c[0].cation.as_str(), c[0].anion.as_str()), ("Li+", "Cl-"));
    }
}
