//! Periodic neighbour search for any cell shape.

use crate::structure::Structure;
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

/// A periodic neighbour of a point: site `index` translated by the lattice vector `image`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Neighbor {
    /// Index of the site in the structure.
    pub index: usize,
    /// Integer lattice translation of the site's home position.
    pub image: [i32; 3],
    /// Distance from the query point, Å.
    pub distance_ang: f64,
    /// Cartesian position of the image, Å.
    pub cart_coords: Vector3<f64>,
}

/// The image ranges n_i = ⌈r / d_i⌉ that cover a sphere of radius `r` for any cell, with d_i
/// the perpendicular widths of the cell (plus one for points anywhere in the home cell).
pub fn image_ranges(structure: &Structure, r_ang: f64) -> [i32; 3] {
    let w = structure.lattice.perpendicular_widths_ang();
    [0, 1, 2].map(|i| (r_ang / w[i]).ceil() as i32 + 1)
}

impl Structure {
    /// Every site image within `r_ang` of the Cartesian point `center` (Å), sorted by distance.
    /// Works for triclinic cells: all images within the perpendicular-width bound are checked.
    pub fn neighbors_of_point(&self, center: &Vector3<f64>, r_ang: f64) -> Vec<Neighbor> {
        let ranges = image_ranges(self, r_ang);
        let carts: Vec<Vector3<f64>> = (0..self.num_sites()).map(|i| self.cart_coords(i)).collect();
        let m = self.lattice.matrix();
        let mut out = Vec::new();
        for a in -ranges[0]..=ranges[0] {
            for b in -ranges[1]..=ranges[1] {
                for c in -ranges[2]..=ranges[2] {
                    let shift = (m.row(0) * a as f64 + m.row(1) * b as f64 + m.row(2) * c as f64)
                        .transpose();
                    for (index, p) in carts.iter().enumerate() {
                        let q = p + shift;
                        let d = (q - center).norm();
                        if d <= r_ang {
                            out.push(Neighbor {
                                index,
                                image: [a, b, c],
                                distance_ang: d,
                                cart_coords: q,
                            });
                        }
                    }
                }
            }
        }
        out.sort_by(|x, y| {
            x.distance_ang
                .total_cmp(&y.distance_ang)
                .then(x.index.cmp(&y.index))
                .then(x.image.cmp(&y.image))
        });
        out
    }

    /// Neighbours of site `i` within `r_ang`, excluding the site itself (zero distance image).
    pub fn site_neighbors(&self, i: usize, r_ang: f64) -> Vec<Neighbor> {
        let c = self.cart_coords(i);
        self.neighbors_of_point(&c, r_ang)
            .into_iter()
            .filter(|n| !(n.index == i && n.image == [0, 0, 0]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Lattice, Species, Structure};

    #[test]
    fn rocksalt_shells() {
        let li = Species::parse("Li+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        let s = Structure::rock_salt(li, cl, 5.13).unwrap();
        let n = s.site_neighbors(0, 2.6);
        assert_eq!(n.len(), 6);
        assert!(n.iter().all(|x| (x.distance_ang - 2.565).abs() < 1e-9));
        // second shell: 12 Li at a/√2
        let n2 = s.site_neighbors(0, 3.7);
        assert_eq!(n2.len(), 18);
    }

    #[test]
    fn triclinic_counts_match_brute_force() {
        let l = Lattice::from_parameters(3.1, 4.7, 5.3, 63.0, 101.0, 117.0).unwrap();
        let s = Structure::from_spacegroup_free(
            l.clone(),
            vec![
                (Species::parse("Li+").unwrap(), [0.1, 0.2, 0.3]),
                (Species::parse("Cl-").unwrap(), [0.6, 0.7, 0.1]),
            ],
        )
        .unwrap();
        let r = 7.5;
        let got = s.site_neighbors(0, r).len();
        // brute force over a generous box
        let mut want = 0;
        let p0 = s.cart_coords(0);
        for a in -8..=8 {
            for b in -8..=8 {
                for c in -8..=8 {
                    for j in 0..2 {
                        let f = s.sites[j].frac_coords
                            + nalgebra::Vector3::new(a as f64, b as f64, c as f64);
                        let d = (l.cart(&f) - p0).norm();
                        if d <= r && d > 1e-9 {
                            want += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(got, want);
    }
}
