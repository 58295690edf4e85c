//! Cation–anion contacts much shorter than the sum of the ionic radii: a sign of a noisy or
//! broken structure (coordinates with noise, a wrong setting, a misread label).
//!
//! A contact between a cation site and an anion site at distance d is short when
//! d < factor · (r_cation + r_anion), with r the Shannon ionic radius for six-fold coordination
//! (`elements.csv`; Shannon, Acta Cryst. A32 (1976) 751). Species without a tabulated radius are
//! skipped. Li–Cl in LiCl: r = 0.76 + 1.81 = 2.57 Å against a measured 2.57 Å; the default factor
//! 0.85 flags contacts below 2.18 Å.

use halo_core::{Species, Structure};
use nalgebra::Vector3;
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

/// The reader's warning for a structure with short cation–anion contacts ([`short_contacts`]
/// at [`SHORT_CONTACT_FACTOR`]): how many, and the shortest; `None` without any. Every command
/// that reads a file prints it (a squashed cell gave `halo bvse` a 7.9 eV barrier unflagged).
pub fn short_contact_warning(structure: &Structure) -> Option<String> {
    let short = short_contacts(structure, SHORT_CONTACT_FACTOR);
    let c = short.first()?;
    Some(format!(
        "{} cation–anion contacts shorter than {} × the sum of Shannon radii (noisy or broken \
         coordinates?); shortest: {} ({}) – {} ({}) {:.3} Å vs {:.3} Å",
        short.len(),
        SHORT_CONTACT_FACTOR,
        c.cation,
        c.cation_label.as_deref().unwrap_or("?"),
        c.anion,
        c.anion_label.as_deref().unwrap_or("?"),
        c.distance_ang,
        c.radii_sum_ang
    ))
}

/// A site's label for a message: a mixed site carries the label of its first CIF row (Cl5 for
/// a Cl/Br site whose Br row is Br5), so it is named as the mixed site it is.
fn site_label(structure: &Structure, i: usize) -> Option<String> {
    let site = &structure.sites[i];
    let label = site.label.clone()?;
    Some(if site.species.len() > 1 {
        format!("mixed site {label}")
    } else {
        label
    })
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
                    cation_label: site_label(structure, i),
                    anion_label: site_label(structure, n.index),
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
///
/// Sites are binned on a grid of cells at least [`OVERLAP_DISTANCE_ANG`] wide (measured
/// perpendicular to the cell faces), so each site is compared with the sites of its own and the
/// 26 adjacent bins only: linear in the number of sites (a 1800-site supercell took 1 s with
/// all pairs). A cell under three bins wide along some axis is compared pair by pair, and each
/// pair's distance is the shortest over the 27 images around the nearest one.
pub fn overlapping_sites(structure: &Structure) -> Vec<Overlap> {
    let sites = &structure.sites;
    let lattice = &structure.lattice;
    let m = lattice.matrix();
    let a: [Vector3<f64>; 3] = [0, 1, 2].map(|k| m.row(k).transpose());
    let volume = lattice.volume_ang3();
    // bins per axis: the cell's width along the axis' face normal over the overlap distance
    let bins = [0, 1, 2].map(|k| {
        let width = volume / a[(k + 1) % 3].cross(&a[(k + 2) % 3]).norm();
        // capped (a fuzzed 1e300 Å cell): fewer bins are only wider, never wrong
        ((width / OVERLAP_DISTANCE_ANG).floor() as usize).clamp(1, 1 << 20)
    });
    let frac: Vec<Vector3<f64>> = sites
        .iter()
        .map(|s| s.frac_coords.map(|x| x - x.floor()))
        .collect();
    let distance = |i: usize, j: usize| -> f64 {
        let d = (frac[j] - frac[i]).map(|x| x - x.round());
        let mut best = f64::INFINITY;
        for s in [-1.0, 0.0, 1.0] {
            for t in [-1.0, 0.0, 1.0] {
                for u in [-1.0, 0.0, 1.0] {
                    if i == j && s == 0.0 && t == 0.0 && u == 0.0 {
                        continue;
                    }
                    best = best.min(lattice.cart(&(d + Vector3::new(s, t, u))).norm());
                }
            }
        }
        best
    };
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    if bins.iter().all(|&b| b >= 3) {
        let bin_of = |f: &Vector3<f64>| {
            [0, 1, 2].map(|k| ((f[k] * bins[k] as f64) as usize).min(bins[k] - 1))
        };
        let mut grid: std::collections::HashMap<[usize; 3], Vec<usize>> =
            std::collections::HashMap::new();
        for (i, f) in frac.iter().enumerate() {
            grid.entry(bin_of(f)).or_default().push(i);
        }
        for (i, f) in frac.iter().enumerate() {
            let b = bin_of(f);
            for dx in [bins[0] - 1, 0, 1] {
                for dy in [bins[1] - 1, 0, 1] {
                    for dz in [bins[2] - 1, 0, 1] {
                        let nb = [
                            (b[0] + dx) % bins[0],
                            (b[1] + dy) % bins[1],
                            (b[2] + dz) % bins[2],
                        ];
                        for &j in grid.get(&nb).into_iter().flatten() {
                            if j > i {
                                pairs.push((i, j));
                            }
                        }
                    }
                }
            }
        }
    } else {
        for i in 0..sites.len() {
            for j in i..sites.len() {
                pairs.push((i, j));
            }
        }
    }
    let mut out: Vec<Overlap> = Vec::new();
    for (i, j) in pairs {
        let sum = sites[i].total_occupancy() + sites[j].total_occupancy();
        if sum <= 1.0 + OVERLAP_OCCUPANCY_TOLERANCE {
            continue;
        }
        let d = distance(i, j);
        if d < OVERLAP_DISTANCE_ANG {
            out.push(Overlap {
                site_a: i,
                site_b: j,
                label_a: sites[i].label.clone(),
                label_b: sites[j].label.clone(),
                distance_ang: d,
                occupancy_sum: sum,
            });
        }
    }
    out.sort_by(|x, y| {
        x.distance_ang
            .total_cmp(&y.distance_ang)
            .then((x.site_a, x.site_b).cmp(&(y.site_a, y.site_b)))
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

    /// A mixed anion site is named as such: its label is its first row's (Cl5), which would
    /// call its Br "Br- (Cl5)".
    #[test]
    fn a_mixed_site_is_named_as_mixed() {
        let mut s = licl(5.14, 0.15);
        s.sites[0].label = Some("Li0".into());
        s.sites[1].label = Some("Cl5".into());
        s.sites[1].species = vec![
            (Species::parse("Cl-").unwrap(), 0.5),
            (Species::parse("Br-").unwrap(), 0.5),
        ];
        let w = short_contact_warning(&s).unwrap();
        assert!(w.contains("Li+ (Li0) – Br- (mixed site Cl5)"), "{w}");
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

    /// The binned search finds exactly the pairs that all pairs' neighbour lists find, in a
    /// skewed cell with many sites (and in a cell too small to bin).
    #[test]
    fn the_binned_search_equals_the_all_pairs_one() {
        use rand::{Rng, SeedableRng};
        let li = Species::parse("Li+").unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for (abc, angles, n) in [
            ([9.0, 7.5, 11.0], [70.0, 95.0, 118.0], 400),
            ([2.2, 6.0, 6.5], [90.0, 90.0, 90.0], 60),
        ] {
            let lattice = halo_core::Lattice::from_parameters(
                abc[0], abc[1], abc[2], angles[0], angles[1], angles[2],
            )
            .unwrap();
            let sites: Vec<Site> = (0..n)
                .map(|_| Site {
                    species: vec![(li, 0.6)],
                    frac_coords: nalgebra::Vector3::new(
                        rng.random::<f64>(),
                        rng.random::<f64>(),
                        rng.random::<f64>(),
                    ),
                    label: None,
                })
                .collect();
            let s = Structure::new(lattice, sites).unwrap();
            let mut brute: Vec<(usize, usize)> = Vec::new();
            for i in 0..s.sites.len() {
                for nb in s.site_neighbors(i, OVERLAP_DISTANCE_ANG) {
                    if nb.index > i && !brute.contains(&(i, nb.index)) {
                        brute.push((i, nb.index));
                    }
                }
            }
            brute.sort();
            let mut found: Vec<(usize, usize)> = overlapping_sites(&s)
                .iter()
                .map(|o| (o.site_a, o.site_b))
                .collect();
            found.sort();
            assert!(!brute.is_empty());
            assert_eq!(found, brute, "{abc:?}");
        }
    }
}
