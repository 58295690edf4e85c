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

/// Two sites closer than this, Å, cannot both be occupied: the shortest bond of any ion pair
/// halo prices (Li–F, 1.56 Å in the LiF molecule) is half again as long.
pub const OVERLAP_DISTANCE_ANG: f64 = 1.0;

/// How far the occupancies of two sites closer than [`OVERLAP_DISTANCE_ANG`] may sum above 1:
/// the rounding of split positions refined independently.
pub const OVERLAP_OCCUPANCY_TOLERANCE: f64 = 0.05;

/// Occupancy sum above which two overlapping sites are refused rather than read with a warning:
/// two nearly full atoms (a duplicated row, coordinates in another setting). Below it the pair
/// is a split position whose independently refined occupancies add up to a little more than one
/// ion, which a refinement can report and which is read as given.
pub const OVERLAP_REFUSE_SUM: f64 = 1.5;

/// Two sites closer than [`OVERLAP_DISTANCE_ANG`] whose occupancies sum to more than
/// 1 + [`OVERLAP_OCCUPANCY_TOLERANCE`]: no configuration occupies both fully, so the file
/// over-counts the ions there (refused above [`OVERLAP_REFUSE_SUM`], warned below).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Overlap {
    pub site_a: usize,
    pub site_b: usize,
    pub label_a: Option<String>,
    pub label_b: Option<String>,
    pub distance_ang: f64,
    pub occupancy_sum: f64,
}

impl Overlap {
    /// Two nearly full atoms in one place ([`OVERLAP_REFUSE_SUM`]): the file is not the
    /// structure it means.
    pub fn is_impossible(&self) -> bool {
        self.occupancy_sum > OVERLAP_REFUSE_SUM
    }

    /// One line naming the two sites (by label, else by their 1-based place in the cell).
    pub fn describe(&self) -> String {
        let name = |label: &Option<String>, i: usize| match label {
            Some(l) => l.clone(),
            None => format!("#{}", i + 1),
        };
        let what = if self.site_a == self.site_b {
            format!(
                "site {} is {:.3} Å from its own periodic image",
                name(&self.label_a, self.site_a),
                self.distance_ang
            )
        } else {
            format!(
                "sites {} and {} are {:.3} Å apart",
                name(&self.label_a, self.site_a),
                name(&self.label_b, self.site_b),
                self.distance_ang
            )
        };
        if self.is_impossible() {
            format!(
                "{what} and their occupancies sum to {:.3} > 1: both cannot be occupied (a \
                 duplicated row, or coordinates in another setting)",
                self.occupancy_sum
            )
        } else {
            format!(
                "{what} and their occupancies sum to {:.3} > 1: a split position refined with more \
                 than one ion in it; read as given",
                self.occupancy_sum
            )
        }
    }
}

/// Every pair of sites that overlap (see [`Overlap`]), closest first.
pub fn overlapping_sites(structure: &Structure) -> Vec<Overlap> {
    let mut out = Vec::new();
    for i in 0..structure.sites.len() {
        let occ_i = structure.sites[i].total_occupancy();
        for n in structure.site_neighbors(i, OVERLAP_DISTANCE_ANG) {
            if n.index < i {
                continue;
            }
            let sum = occ_i + structure.sites[n.index].total_occupancy();
            if sum > 1.0 + OVERLAP_OCCUPANCY_TOLERANCE
                && !out
                    .iter()
                    .any(|o: &Overlap| o.site_a == i && o.site_b == n.index)
            {
                out.push(Overlap {
                    site_a: i,
                    site_b: n.index,
                    label_a: structure.sites[i].label.clone(),
                    label_b: structure.sites[n.index].label.clone(),
                    distance_ang: n.distance_ang,
                    occupancy_sum: sum,
                });
            }
        }
    }
    out.sort_by(|a, b| a.distance_ang.total_cmp(&b.distance_ang));
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

    #[test]
    fn overlapping_full_sites_are_found_and_shared_split_positions_are_not() {
        let li = Species::parse("Li+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        let with = |extra: Site| {
            let mut s = licl(5.14, 0.0);
            s.sites.push(extra);
            s
        };
        assert!(overlapping_sites(&licl(5.14, 0.0)).is_empty());
        // a second full Cl 0.07 Å from the first
        let dup = with(Site::ordered(cl, [0.5 + 0.07 / 5.14, 0.0, 0.0]));
        let o = overlapping_sites(&dup);
        assert_eq!(o.len(), 1);
        assert_eq!((o[0].site_a, o[0].site_b), (1, 2));
        assert!((o[0].distance_ang - 0.07).abs() < 1e-9);
        assert!(
            o[0].describe().contains("#2 and #3 are 0.070 Å apart"),
            "{}",
            o[0].describe()
        );
        // across the periodic boundary
        let wrapped = with(Site::ordered(li, [0.99, 0.0, 0.0]));
        assert_eq!(overlapping_sites(&wrapped).len(), 1);
        // a split Li position whose halves share one ion, and one off by a refinement's rounding
        let split = |occ: f64| {
            let mut s = licl(5.14, 0.0);
            s.sites[0].species[0].1 = 0.5;
            s.sites.push(Site {
                species: vec![(li, occ)],
                frac_coords: nalgebra::Vector3::new(0.1, 0.0, 0.0),
                label: None,
            });
            s
        };
        assert!(overlapping_sites(&split(0.5)).is_empty());
        assert!(overlapping_sites(&split(0.53)).is_empty());
        let sloppy = overlapping_sites(&split(0.6));
        assert_eq!(sloppy.len(), 1);
        assert!(!sloppy[0].is_impossible() && sloppy[0].describe().contains("read as given"));
        assert!(o[0].is_impossible());
    }
}
