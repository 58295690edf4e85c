//! How many ions are mobile, from the structure's composition.
//!
//! Rule (docs/physics.md §5.3): Li that shares a crystallographic site with a framework cation
//! (spinel 16d: Li 0.675 with Sc 0.164 / In 0.161) belongs to the framework of the
//! occupancy-weighted model; it stays fixed and is not placed on the kMC network. Every other Li
//! (sites occupied by Li and vacancies only: spinel 8a, 16c, 48f; monoclinic 4g/4h/2d…) is
//! mobile. Mobile ions per cell = Σ over Li-only sites of the Li occupancy. For the refined Li2In1/3Sc1/3Cl4 this is
//! 0.28·8 + 0.19·16 + 0.008·48 = 5.66 Li per 32 Cl.

use crate::error::KmcError;
use crate::network::HopNetwork;
use halo_core::{Element, Structure};
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

/// Mobile and framework amounts of the mobile element per structure cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MobileIonCount {
    /// The mobile element's symbol.
    pub element: String,
    /// Mobile ions per cell (Li on sites without another cation).
    pub mobile_per_cell: f64,
    /// Ions per cell counted as framework (sharing a site with another cation).
    pub framework_per_cell: f64,
    /// Total per cell.
    pub total_per_cell: f64,
    /// Labels of the shared sites (framework), de-duplicated.
    pub framework_site_labels: Vec<String>,
}

/// Count mobile ions of `element` in `structure` by the rule of the module docs.
pub fn mobile_ion_count(structure: &Structure, element: Element) -> MobileIonCount {
    let mut mobile = 0.0;
    let mut framework = 0.0;
    let mut labels: Vec<String> = Vec::new();
    for site in &structure.sites {
        let occ = site.occupancy_of(element);
        if occ <= 0.0 {
            continue;
        }
        let shared = site
            .species
            .iter()
            .any(|(sp, o)| sp.element != element && *o > 0.0 && !sp.element.is_halogen());
        if shared {
            framework += occ;
            if let Some(l) = &site.label {
                if !labels.contains(l) {
                    labels.push(l.clone());
                }
            }
        } else {
            mobile += occ;
        }
    }
    MobileIonCount {
        element: element.symbol().to_string(),
        mobile_per_cell: mobile,
        framework_per_cell: framework,
        total_per_cell: mobile + framework,
        framework_site_labels: labels,
    }
}

/// Minima closer than this to a framework cation site are framework positions, Å (the default
/// of [`network_without_framework_minima`] in `halo kmc` and the campaign pipeline).
pub const FRAMEWORK_MINIMUM_TOLERANCE_ANG: f64 = 0.5;

/// The kMC network of `structure`'s site graph: [`HopNetwork::from_site_graph`] without the
/// minima within `tolerance_ang` of a framework cation site ([`minima_on_framework_sites`]).
/// Returns the network and the number of minima dropped.
pub fn network_without_framework_minima(
    structure: &Structure,
    element: Element,
    graph: &halo_percolation::SiteGraph,
    tolerance_ang: f64,
) -> Result<(HopNetwork, usize), KmcError> {
    let coords: Vec<[f64; 3]> = graph
        .graph
        .node_indices()
        .map(|i| graph.graph[i].frac_coords)
        .collect();
    let exclude = minima_on_framework_sites(structure, element, &coords, tolerance_ang);
    let net = HopNetwork::from_site_graph(graph, &exclude)?;
    Ok((net, exclude.len()))
}

/// Indices (in `frac_coords`) of landscape minima lying within `tolerance_ang` of a site that
/// holds any cation other than `element` (e.g. spinel 16d, M 2a in Li3MCl6). In the
/// occupancy-weighted landscape a partly occupied framework site can look like a shallow Li
/// minimum; such minima are framework positions, not part of the mobile network.
pub fn minima_on_framework_sites(
    structure: &Structure,
    element: Element,
    frac_coords: &[[f64; 3]],
    tolerance_ang: f64,
) -> Vec<usize> {
    let fw: Vec<Vector3<f64>> = structure
        .sites
        .iter()
        .filter(|s| {
            s.species
                .iter()
                .any(|(sp, _)| sp.element != element && !sp.element.is_halogen())
        })
        .map(|s| s.frac_coords)
        .collect();
    let mut out = Vec::new();
    for (i, f) in frac_coords.iter().enumerate() {
        let p = Vector3::from(*f);
        if fw
            .iter()
            .any(|q| structure.lattice.distance_and_image(&p, q).0 < tolerance_ang)
        {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo_core::{Lattice, Site, Species};

    #[test]
    fn li_sharing_a_cation_site_is_framework() {
        let li = Species::parse("Li+").unwrap();
        let sc = Species::parse("Sc3+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        let mut shared = Site::ordered(li, [0.5, 0.5, 0.5]);
        shared.species = vec![(li, 0.675), (sc, 0.325)];
        shared.label = Some("16d".into());
        let mut tet = Site::ordered(li, [0.125, 0.125, 0.125]);
        tet.species = vec![(li, 0.28)];
        let s = Structure::new(
            Lattice::cubic(10.0),
            vec![shared, tet, Site::ordered(cl, [0.25, 0.25, 0.25])],
        )
        .unwrap();
        let li_el = Element::from_symbol("Li").unwrap();
        let c = mobile_ion_count(&s, li_el);
        assert!((c.mobile_per_cell - 0.28).abs() < 1e-12);
        assert!((c.framework_per_cell - 0.675).abs() < 1e-12);
        assert_eq!(c.framework_site_labels, vec!["16d".to_string()]);
        let ex =
            minima_on_framework_sites(&s, li_el, &[[0.51, 0.5, 0.5], [0.125, 0.125, 0.125]], 0.5);
        assert_eq!(ex, vec![0]);
    }
}
