//! The input's mobile-ion sublattice, and whether the conductivity models price what carries its
//! current (docs/physics.md §9.12).
//!
//! Both models hop Li between minima of a single-particle BVSE landscape. Where the input leaves
//! vacancies on its own Li sites (the spinels' 8a/16c/48f, the monoclinic 4g/4h), the current is
//! carried by those vacancies between sites the refinement found Li on, and the landscape prices
//! the hops. Where every Li site of the input is full (LiAlCl4, Li3AlF6, LiF, LiI, the ordered
//! cells of computed Li3MX6, Suzuki phases, the 8a of an inverse spinel), a Li can move only
//! through sites the file does not list: empty polyhedra of the framework (the vacant octahedra
//! of a Li3MCl6 layer, equivalent in kind to the Li sites) or defects (a vacancy and an
//! interstitial, a Schottky pair). What they cost sets σ and E_a, and the models price them by
//! the single-particle landscape alone: no defect formation energy, no relaxation around the
//! defect, in the averaged model no Li–Li repulsion either. Whether an empty polyhedron is a
//! normal site or a costly interstitial is what the landscape gets wrong in both directions
//! (LiAlCl4 four decades too high, Li3ScCl6 two too low: docs/physics.md §9.12), so
//! [`LiSublattice::warning`] says so for such an input.
//!
//! The criterion reads the structure only: a site holds the mobile element and vacancies only
//! (no other cation: a Li sharing a site with a framework cation is the averaged model's framework
//! Li, §5.3), and it is full when its occupancy is at least [`FULL_SITE_OCCUPANCY`]. An ordered
//! realisation written without its empty Li sites reads as full, as a file it is.

use halo_core::{Element, Structure};
use halo_kmc::{ClassOccupancy, KmcResult};
use serde::{Deserialize, Serialize};

/// A site whose mobile-element occupancy is at least this is full (refinements of ordered
/// compounds quote 1.0 or an esd-level 0.99x).
pub const FULL_SITE_OCCUPANCY: f64 = 0.99;

/// The mobile-ion sites of the input and what the kMC put elsewhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiSublattice {
    /// The mobile element's symbol (Li unless `--mobile-ion` says otherwise).
    pub element: String,
    /// Sites per structure cell holding the mobile element and vacancies only.
    pub sites_per_cell: usize,
    /// Mobile ions per cell on them (Σ occupancy).
    pub ions_per_cell: f64,
    /// ions/sites: their mean occupancy (`None` without sites). Split positions (a 48f beside a
    /// 16c) count as sites, so this is the file's bookkeeping, not a vacancy concentration.
    pub mean_occupancy: Option<f64>,
    /// Every such site is full: the current must use sites the file does not list, or defects,
    /// which the models price by the single-particle landscape alone.
    pub full: bool,
    /// At the lowest temperature of the kMC: the share of the placed ions on landscape minima
    /// that match no mobile-ion site of the input (by label, within the percolation stage's
    /// label tolerance). `None` when the input's sites carry no labels (POSCAR) or before a kMC.
    pub interstitial_share: Option<f64>,
    /// That lowest temperature, K.
    pub interstitial_share_temperature_k: Option<f64>,
}

/// Share of the mobile ions on unlisted minima above which a full sublattice's kMC contradicts
/// its file ([`LiSublattice::warning`]): a quarter. LiAlCl4's 7 % stays below it; Li2MgBr4's
/// 30 % and the inverse spinel's 100 % are above.
pub const CONTRADICTION_SHARE: f64 = 0.25;

impl LiSublattice {
    /// Count the mobile-element-only sites of `structure` (see the module documentation).
    pub fn of(structure: &Structure, element: Element) -> LiSublattice {
        let mut sites = 0usize;
        let mut ions = 0.0;
        let mut full = true;
        for site in &structure.sites {
            let occ = site.occupancy_of(element);
            if occ <= 0.0 || shares_with_cation(site, element) {
                continue;
            }
            sites += 1;
            ions += occ;
            full &= occ >= FULL_SITE_OCCUPANCY;
        }
        LiSublattice {
            element: element.symbol().to_string(),
            sites_per_cell: sites,
            ions_per_cell: ions,
            mean_occupancy: (sites > 0).then(|| ions / sites as f64),
            full: sites > 0 && full,
            interstitial_share: None,
            interstitial_share_temperature_k: None,
        }
    }

    /// Add the share of ions on minima that match none of the input's mobile-ion sites, from the
    /// time-averaged class occupancies of `kmc`'s lowest temperature
    /// ([`LiSublattice::with_occupancies`]).
    pub fn with_interstitial_share(
        self,
        structure: &Structure,
        element: Element,
        kmc: &KmcResult,
    ) -> LiSublattice {
        match kmc
            .temperatures
            .iter()
            .min_by(|a, b| a.temperature_k.total_cmp(&b.temperature_k))
        {
            Some(t) => self.with_occupancies(structure, element, t.temperature_k, &t.occupancies),
            None => self,
        }
    }

    /// Add the share of ions on classes (site labels) that are none of `structure`'s
    /// mobile-element sites, from `occupancies` at `temperature_k`. Without a label on every such
    /// site of the input the share cannot be told and stays `None`.
    pub fn with_occupancies(
        mut self,
        structure: &Structure,
        element: Element,
        temperature_k: f64,
        occupancies: &[ClassOccupancy],
    ) -> LiSublattice {
        let mut labels: Vec<&str> = Vec::new();
        for site in &structure.sites {
            if site.occupancy_of(element) <= 0.0 {
                continue;
            }
            match &site.label {
                Some(l) => labels.push(l),
                None => return self,
            }
        }
        let total: f64 = occupancies.iter().map(|o| o.ions_per_cell).sum();
        if total > 0.0 {
            let elsewhere: f64 = occupancies
                .iter()
                .filter(|o| !labels.contains(&o.label.as_str()))
                .map(|o| o.ions_per_cell)
                .sum();
            // a sum of time averages: clamp its round-off at zero (no "-0.0 %")
            self.interstitial_share = Some((elsewhere / total).max(0.0));
            self.interstitial_share_temperature_k = Some(temperature_k);
        }
        self
    }

    /// One line on the sublattice, for text outputs.
    pub fn summary(&self) -> String {
        let mut s = match self.mean_occupancy {
            Some(v) => format!(
                "{} sites per cell holding only {el}, {:.3} {el} on them (mean occupancy {:.3}{})",
                self.sites_per_cell,
                self.ions_per_cell,
                v,
                if self.full { ": full" } else { "" },
                el = self.element
            ),
            None => format!("no site holding only {}", self.element),
        };
        if let (Some(x), Some(t)) = (
            self.interstitial_share,
            self.interstitial_share_temperature_k,
        ) {
            s.push_str(&format!(
                "; at {t:.0} K {:.1} % of the placed {} on minima that are none of these sites",
                100.0 * x,
                self.element
            ));
        }
        s
    }

    /// The warning for an input whose every mobile-ion site is full, `None` otherwise. When the
    /// kMC put at least [`CONTRADICTION_SHARE`] of the ions on minima the file does not list, it
    /// adds that the landscape contradicts the file (the file has them all on its sites): the
    /// run measured another arrangement (the hand-built inverse spinel Li2MgCl4: 100 %, BVSE's
    /// 16c below the refined 8a, which CHGNet puts 0.14 eV above; docs/physics.md §9.14).
    pub fn warning(&self) -> Option<String> {
        self.full.then(|| {
            let mut w = format!(
                "every {el} site of the input is full: {el} can move only through sites the file \
                 does not list (empty polyhedra of the framework) or by forming defects, and the \
                 model prices both by the single-particle landscape alone (no defect formation \
                 energy, no relaxation around them); on such inputs its σ is off by decades in \
                 either direction on the validation set (docs/physics.md §9.12)",
                el = self.element
            );
            if let (Some(x), Some(t)) = (
                self.interstitial_share,
                self.interstitial_share_temperature_k,
            ) {
                if x >= CONTRADICTION_SHARE {
                    w += &format!(
                        "; here the kMC put {:.0} % of the {el} on minima the file does not list at \
                         {t:.0} K, where the file has every {el} on its sites: the landscape's site \
                         energies contradict the structure, and σ is that of another arrangement \
                         (docs/physics.md §9.14: site energies from another model can be given \
                         with --site-energies)",
                        100.0 * x,
                        el = self.element
                    );
                }
            }
            w
        })
    }
}

impl LiSublattice {
    /// What a kMC failure means on an input whose every mobile-ion site is full (`None` for any
    /// other input or error): a jammed network, or a placement the blocking distance refuses
    /// because the file's own sites are closer than it, is the model's missing defect physics
    /// (docs/physics.md §9.12), not a broken file. Appended to the error the user sees.
    pub fn explain_kmc_failure(
        &self,
        structure: &Structure,
        element: Element,
        error: &halo_kmc::KmcError,
    ) -> Option<String> {
        if !self.full {
            return None;
        }
        let el = &self.element;
        match error {
            halo_kmc::KmcError::Jammed => Some(format!(
                "every {el} site of the input is full and every other minimum of the landscape \
                 lies within the blocking distance of an occupied one: here {el} moves only by \
                 vacancies or interstitials formed as defects (Schottky or Frenkel pairs, or \
                 impurities), whose formation energy the model does not have (docs/physics.md \
                 §9.12)"
            )),
            halo_kmc::KmcError::Placement {
                blocking_distance_ang,
                ..
            } => {
                let d = shortest_distance_ang(structure, element)?;
                (d < *blocking_distance_ang).then(|| {
                    format!(
                        "the input's own {el} sites are full and {d:.2} Å apart at the closest, \
                         below the blocking distance: the file's arrangement cannot be placed; \
                         --blocking-distance-ang below {d:.2} runs it, but on inputs whose every \
                         {el} site is full the model's σ is off by decades (docs/physics.md \
                         §9.12)"
                    )
                })
            }
            _ => None,
        }
    }
}

/// The shortest distance between two sites holding only `element` (and vacancies), Å; `None`
/// with fewer than two such sites.
fn shortest_distance_ang(structure: &Structure, element: Element) -> Option<f64> {
    let sites: Vec<_> = structure
        .sites
        .iter()
        .filter(|s| s.occupancy_of(element) > 0.0 && !shares_with_cation(s, element))
        .collect();
    let mut best: Option<f64> = None;
    for (i, a) in sites.iter().enumerate() {
        for b in &sites[i + 1..] {
            let (d, _) = structure
                .lattice
                .distance_and_image(&a.frac_coords, &b.frac_coords);
            best = Some(best.map_or(d, |x: f64| x.min(d)));
        }
    }
    best
}

fn shares_with_cation(site: &halo_core::Site, element: Element) -> bool {
    site.species
        .iter()
        .any(|(sp, o)| sp.element != element && *o > 0.0 && !sp.element.is_halogen())
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo_core::{Lattice, Site, Species};

    fn site(species: &[(&str, f64)], frac: [f64; 3], label: Option<&str>) -> Site {
        Site {
            species: species
                .iter()
                .map(|&(sp, o)| (Species::parse(sp).unwrap(), o))
                .collect(),
            frac_coords: frac.into(),
            label: label.map(str::to_string),
        }
    }

    fn structure(sites: Vec<Site>) -> Structure {
        Structure::new(Lattice::cubic(10.0), sites).unwrap()
    }

    #[test]
    fn a_partly_vacant_sublattice_is_not_full_and_shared_sites_do_not_count() {
        let s = structure(vec![
            site(&[("Li+", 0.28)], [0.0, 0.0, 0.0], Some("Li2")),
            site(&[("Li+", 0.19)], [0.5, 0.0, 0.0], Some("Li1")),
            site(
                &[("Li+", 0.675), ("Sc3+", 0.164)],
                [0.5, 0.5, 0.5],
                Some("Li3"),
            ),
            site(&[("Cl-", 1.0)], [0.25, 0.25, 0.25], Some("Cl")),
        ]);
        let l = LiSublattice::of(&s, Element::LI);
        assert_eq!(l.sites_per_cell, 2);
        assert!((l.ions_per_cell - 0.47).abs() < 1e-12);
        assert!((l.mean_occupancy.unwrap() - 0.235).abs() < 1e-12);
        assert!(!l.full);
        assert!(l.warning().is_none());
    }

    #[test]
    fn an_ordered_full_sublattice_is_full_and_warned() {
        let s = structure(vec![
            site(&[("Li+", 1.0)], [0.0, 0.0, 0.0], Some("Li0")),
            site(&[("Li+", 0.995)], [0.5, 0.5, 0.0], Some("Li1")),
            site(&[("Al3+", 1.0)], [0.5, 0.5, 0.5], Some("Al")),
            site(&[("Cl-", 1.0)], [0.25, 0.25, 0.25], Some("Cl")),
        ]);
        let l = LiSublattice::of(&s, Element::LI);
        assert!(l.full);
        assert!(l.mean_occupancy.unwrap() > 0.99);
        assert!(l.warning().unwrap().contains("defect formation energy"));
        assert!(!l.warning().unwrap().contains("contradict"));
        // the kMC moved most of the Li off the file's sites: the warning says so
        let moved = LiSublattice {
            interstitial_share: Some(1.0),
            interstitial_share_temperature_k: Some(300.0),
            ..l.clone()
        };
        let w = moved.warning().unwrap();
        assert!(
            w.contains("100 % of the Li on minima the file does not list at 300 K"),
            "{w}"
        );
        assert!(w.contains("contradict the structure"), "{w}");
        let few = LiSublattice {
            interstitial_share: Some(0.07),
            interstitial_share_temperature_k: Some(300.0),
            ..l.clone()
        };
        assert!(!few.warning().unwrap().contains("contradict"));
        // one site just below the threshold makes it a vacancy sublattice
        let s2 = structure(vec![
            site(&[("Li+", 1.0)], [0.0, 0.0, 0.0], Some("Li0")),
            site(&[("Li+", 0.98)], [0.5, 0.5, 0.0], Some("Li1")),
        ]);
        assert!(!LiSublattice::of(&s2, Element::LI).full);
        // all Li shared with a framework cation: no mobile-only site, not full
        let s3 = structure(vec![site(
            &[("Li+", 0.5), ("Mg2+", 0.5)],
            [0.0, 0.0, 0.0],
            Some("M"),
        )]);
        let l3 = LiSublattice::of(&s3, Element::LI);
        assert_eq!(
            (l3.sites_per_cell, l3.full, l3.mean_occupancy),
            (0, false, None)
        );
    }

    #[test]
    fn a_kmc_failure_on_a_full_sublattice_is_explained() {
        // two full Li sites 2.0 Å apart (x = 0.2 in a 10 Å cube) and a framework Al
        let full = structure(vec![
            site(&[("Li+", 1.0)], [0.0, 0.0, 0.0], Some("Li0")),
            site(&[("Li+", 1.0)], [0.2, 0.0, 0.0], Some("Li1")),
            site(&[("Al3+", 1.0)], [0.5, 0.5, 0.5], Some("Al")),
        ]);
        let l = LiSublattice::of(&full, Element::LI);
        let jammed = l
            .explain_kmc_failure(&full, Element::LI, &halo_kmc::KmcError::Jammed)
            .unwrap();
        assert!(jammed.contains("formed as defects"), "{jammed}");
        let placement = |b: f64| halo_kmc::KmcError::Placement {
            ions: 2,
            sites: 2,
            blocking_distance_ang: b,
            placed: 1,
        };
        let why = l
            .explain_kmc_failure(&full, Element::LI, &placement(2.5))
            .unwrap();
        assert!(why.contains("2.00 Å apart at the closest"), "{why}");
        // the file's sites are farther apart than the blocking distance: not the reason
        assert!(l
            .explain_kmc_failure(&full, Element::LI, &placement(1.5))
            .is_none());
        // another error, or a sublattice with vacancies: no explanation added
        assert!(l
            .explain_kmc_failure(&full, Element::LI, &halo_kmc::KmcError::Stopped)
            .is_none());
        let partial = structure(vec![
            site(&[("Li+", 0.5)], [0.0, 0.0, 0.0], Some("Li0")),
            site(&[("Li+", 1.0)], [0.2, 0.0, 0.0], Some("Li1")),
        ]);
        let lp = LiSublattice::of(&partial, Element::LI);
        assert!(lp
            .explain_kmc_failure(&partial, Element::LI, &halo_kmc::KmcError::Jammed)
            .is_none());
    }

    fn class(label: &str, ions_per_cell: f64) -> ClassOccupancy {
        ClassOccupancy {
            label: label.into(),
            sites_per_cell: 4,
            occupancy: ions_per_cell / 4.0,
            ions_per_cell,
        }
    }

    #[test]
    fn the_interstitial_share_counts_classes_that_are_no_input_site() {
        let s = structure(vec![
            site(&[("Li+", 1.0)], [0.0, 0.0, 0.0], Some("Li0")),
            site(&[("Cl-", 1.0)], [0.25, 0.25, 0.25], Some("Cl")),
        ]);
        let occ = [class("Li0", 3.0), class("unlabelled", 1.0)];
        let l = LiSublattice::of(&s, Element::LI).with_occupancies(&s, Element::LI, 300.0, &occ);
        assert_eq!(l.interstitial_share, Some(0.25));
        assert_eq!(l.interstitial_share_temperature_k, Some(300.0));
        assert!(l.summary().contains("25.0 %"), "{}", l.summary());
        // an input without labels cannot tell its sites from the interstitials
        let bare = structure(vec![site(&[("Li+", 1.0)], [0.0, 0.0, 0.0], None)]);
        let l =
            LiSublattice::of(&bare, Element::LI).with_occupancies(&bare, Element::LI, 300.0, &occ);
        assert_eq!(l.interstitial_share, None);
    }
}
