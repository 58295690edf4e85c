//! Periodic lattices.

use crate::error::CoreError;
use nalgebra::{Matrix3, Vector3};
use serde::{Deserialize, Serialize};

/// A crystal lattice, stored as pymatgen stores it: the **rows** of `matrix` are the lattice
/// vectors **a**, **b**, **c** in Å, so Cartesian = fractional · matrix (row vector convention).
///
/// [`Lattice::from_parameters`] orients the cell exactly as pymatgen's
/// `Lattice.from_parameters` does (c along z, a in the xz plane), so cells agree with pymatgen to
/// floating-point precision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "[[f64; 3]; 3]", into = "[[f64; 3]; 3]")]
pub struct Lattice {
    matrix: Matrix3<f64>,
    inv: Matrix3<f64>,
}

impl TryFrom<[[f64; 3]; 3]> for Lattice {
    type Error = CoreError;
    fn try_from(rows: [[f64; 3]; 3]) -> Result<Self, CoreError> {
        Lattice::from_rows(rows)
    }
}

impl From<Lattice> for [[f64; 3]; 3] {
    fn from(l: Lattice) -> Self {
        l.rows()
    }
}

impl Lattice {
    /// Smallest volume accepted, Å³.
    pub const MIN_VOLUME_ANG3: f64 = 1e-6;

    /// Smallest accepted ratio V/(|a||b||c|) (1 for a cube): flatter cells are degenerate.
    pub const MIN_RELATIVE_VOLUME: f64 = 1e-6;

    /// A lattice from a matrix whose rows are the lattice vectors in Å. Rejects volumes below
    /// [`Self::MIN_VOLUME_ANG3`] and cells flatter than [`Self::MIN_RELATIVE_VOLUME`].
    pub fn new(matrix: Matrix3<f64>) -> Result<Self, CoreError> {
        let volume = matrix.determinant();
        let edges: f64 = (0..3).map(|i| matrix.row(i).norm()).product();
        if !volume.is_finite()
            || volume.abs() < Self::MIN_VOLUME_ANG3
            || volume.abs() < Self::MIN_RELATIVE_VOLUME * edges
        {
            return Err(CoreError::DegenerateLattice {
                volume_ang3: volume,
            });
        }
        let inv = matrix.try_inverse().ok_or(CoreError::DegenerateLattice {
            volume_ang3: volume,
        })?;
        Ok(Lattice { matrix, inv })
    }

    /// A lattice from three row vectors in Å.
    pub fn from_rows(rows: [[f64; 3]; 3]) -> Result<Self, CoreError> {
        Self::new(Matrix3::from_fn(|i, j| rows[i][j]))
    }

    /// A cubic lattice with edge `a_ang`.
    pub fn cubic(a_ang: f64) -> Self {
        Self::new(Matrix3::identity() * a_ang).expect("a positive cubic edge")
    }

    /// A lattice from lengths (Å) and angles (degrees), in pymatgen's orientation:
    /// with γ* = arccos((cos α cos β − cos γ)/(sin α sin β)),
    /// **a** = (a sin β, 0, a cos β), **b** = (−b sin α cos γ*, b sin α sin γ*, b cos α), **c** = (0, 0, c).
    pub fn from_parameters(
        a: f64,
        b: f64,
        c: f64,
        alpha_deg: f64,
        beta_deg: f64,
        gamma_deg: f64,
    ) -> Result<Self, CoreError> {
        for (name, v) in [("a", a), ("b", b), ("c", c)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(CoreError::BadLatticeParameter { name, value: v });
            }
        }
        for (name, v) in [
            ("alpha", alpha_deg),
            ("beta", beta_deg),
            ("gamma", gamma_deg),
        ] {
            if !(v.is_finite() && v > 0.0 && v < 180.0) {
                return Err(CoreError::BadLatticeParameter { name, value: v });
            }
        }
        let (al, be, ga) = (
            alpha_deg.to_radians(),
            beta_deg.to_radians(),
            gamma_deg.to_radians(),
        );
        let val = (al.cos() * be.cos() - ga.cos()) / (al.sin() * be.sin());
        // pymatgen clamps against round-off
        let val = val.clamp(-1.0, 1.0);
        let gamma_star = val.acos();
        let va = [a * be.sin(), 0.0, a * be.cos()];
        let vb = [
            -b * al.sin() * gamma_star.cos(),
            b * al.sin() * gamma_star.sin(),
            b * al.cos(),
        ];
        let vc = [0.0, 0.0, c];
        Self::from_rows([va, vb, vc])
    }

    /// The matrix whose rows are the lattice vectors (Å).
    pub fn matrix(&self) -> &Matrix3<f64> {
        &self.matrix
    }

    /// Inverse of [`Lattice::matrix`] (fractional = Cartesian · inverse).
    pub fn inv_matrix(&self) -> &Matrix3<f64> {
        &self.inv
    }

    /// Rows as plain arrays (Å).
    pub fn rows(&self) -> [[f64; 3]; 3] {
        let m = &self.matrix;
        [
            [m[(0, 0)], m[(0, 1)], m[(0, 2)]],
            [m[(1, 0)], m[(1, 1)], m[(1, 2)]],
            [m[(2, 0)], m[(2, 1)], m[(2, 2)]],
        ]
    }

    /// Lattice vector `i` (0 = a, 1 = b, 2 = c) in Å.
    pub fn vector(&self, i: usize) -> Vector3<f64> {
        self.matrix.row(i).transpose()
    }

    /// Lengths a, b, c in Å.
    pub fn abc(&self) -> [f64; 3] {
        [0, 1, 2].map(|i| self.vector(i).norm())
    }

    /// Angles α (b,c), β (a,c), γ (a,b) in degrees.
    pub fn angles_deg(&self) -> [f64; 3] {
        let ang = |i: usize, j: usize| {
            let (u, v) = (self.vector(i), self.vector(j));
            (u.dot(&v) / (u.norm() * v.norm()))
                .clamp(-1.0, 1.0)
                .acos()
                .to_degrees()
        };
        [ang(1, 2), ang(0, 2), ang(0, 1)]
    }

    /// Cell volume |det M| in Å³.
    pub fn volume_ang3(&self) -> f64 {
        self.matrix.determinant().abs()
    }

    /// Fractional → Cartesian (Å).
    pub fn cart(&self, frac: &Vector3<f64>) -> Vector3<f64> {
        self.matrix.transpose() * frac
    }

    /// Cartesian (Å) → fractional.
    pub fn frac(&self, cart: &Vector3<f64>) -> Vector3<f64> {
        self.inv.transpose() * cart
    }

    /// Reciprocal lattice with the 2π factor (rows b_i with a_i · b_j = 2π δ_ij), Å⁻¹.
    pub fn reciprocal_matrix(&self) -> Matrix3<f64> {
        self.inv.transpose() * (2.0 * std::f64::consts::PI)
    }

    /// Distances between opposite faces of the cell, d_i = V / |a_j × a_k| (Å). A sphere of radius
    /// r around any point is covered by images n_i ∈ [−⌈r/d_i⌉, ⌈r/d_i⌉] for any cell shape.
    pub fn perpendicular_widths_ang(&self) -> [f64; 3] {
        let v = self.volume_ang3();
        let (a, b, c) = (self.vector(0), self.vector(1), self.vector(2));
        [
            v / b.cross(&c).norm(),
            v / c.cross(&a).norm(),
            v / a.cross(&b).norm(),
        ]
    }

    /// Every lattice image n of the fractional position `to` closer than `r_max` (Å) to `from`,
    /// as (n, |to + n − from|), in lexicographic order of n (the origin image included when it
    /// qualifies). With the fractional difference reduced by m = round(to − from), image n lies
    /// at least (|n_i − m_i| − ½)·w_i away along each reciprocal direction (w = the perpendicular
    /// widths), so only |n_i − m_i| ≤ r_max/w_i + ½ are visited; each distance is computed from
    /// the unreduced image vector (the same numbers as a plain scan over all images).
    pub fn images_within(
        &self,
        from: &Vector3<f64>,
        to: &Vector3<f64>,
        r_max: f64,
    ) -> Vec<([i32; 3], f64)> {
        let mut out = Vec::new();
        if r_max.is_nan() || r_max <= 0.0 {
            return out;
        }
        let w = self.perpendicular_widths_ang();
        let reach = w.map(|wi| (r_max / wi + 0.5 + 1e-9).floor() as i32);
        let raw = to - from;
        let m = [
            -(raw[0].round() as i32),
            -(raw[1].round() as i32),
            -(raw[2].round() as i32),
        ];
        for a in m[0] - reach[0]..=m[0] + reach[0] {
            for b in m[1] - reach[1]..=m[1] + reach[1] {
                for c in m[2] - reach[2]..=m[2] + reach[2] {
                    let d = to + Vector3::new(a as f64, b as f64, c as f64) - from;
                    let r = self.cart(&d).norm();
                    if r < r_max {
                        out.push(([a, b, c], r));
                    }
                }
            }
        }
        out
    }

    /// Shortest distance (Å) between two fractional positions under periodic boundary
    /// conditions, and the image (integer shift of `b`) that realises it.
    pub fn distance_and_image(&self, a: &Vector3<f64>, b: &Vector3<f64>) -> (f64, [i32; 3]) {
        let d = b - a;
        let base = d.map(|x| x.round());
        let widths = self.perpendicular_widths_ang();
        let dr = d - base;
        let c0 = self.cart(&dr);
        // search neighbouring images: the minimum image in fractional space is not always the
        // shortest in skewed cells
        let mut best = (c0.norm(), [0i32; 3]);
        let reach = |w: f64| ((c0.norm() / w).ceil() as i32).max(1);
        let (ra, rb, rc) = (reach(widths[0]), reach(widths[1]), reach(widths[2]));
        for i in -ra..=ra {
            for j in -rb..=rb {
                for k in -rc..=rc {
                    let v = Vector3::new(dr.x + i as f64, dr.y + j as f64, dr.z + k as f64);
                    let n = self.cart(&v).norm();
                    if n < best.0 - 1e-12 {
                        best = (n, [i, j, k]);
                    }
                }
            }
        }
        let img = [
            best.1[0] - base.x as i32,
            best.1[1] - base.y as i32,
            best.1[2] - base.z as i32,
        ];
        (best.0, img)
    }

    /// A supercell lattice with rows scaled by `scale` = (na, nb, nc).
    pub fn scaled(&self, scale: [usize; 3]) -> Lattice {
        let mut m = self.matrix;
        for (i, &s) in scale.iter().enumerate() {
            for j in 0..3 {
                m[(i, j)] *= s as f64;
            }
        }
        Lattice::new(m).expect("scaling a valid lattice")
    }

    /// The same cell shape with its volume scaled by `factor` (isotropic).
    pub fn scale_volume(&self, factor: f64) -> Result<Lattice, CoreError> {
        if !(factor.is_finite() && factor > 0.0) {
            return Err(CoreError::InvalidParameter {
                name: "volume factor",
                reason: format!("{factor} is not positive"),
            });
        }
        Lattice::new(self.matrix * factor.cbrt())
    }
}

/// Wrap a fractional coordinate into [0, 1), mapping values within `1e-10` below 1 to 0.
pub fn wrap_frac(x: f64) -> f64 {
    let mut y = x - x.floor();
    if y >= 1.0 - 1e-10 {
        y = 0.0;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// The pruned image search returns exactly the images of a plain scan over a wide box, in the
    /// same order and with the same distances, on a skewed cell and a radius several cells wide.
    #[test]
    fn images_within_equals_a_plain_scan() {
        let l = Lattice::from_parameters(4.1, 5.3, 6.2, 71.0, 104.0, 118.0).unwrap();
        let from = Vector3::new(0.93, 0.07, 0.51);
        let to = Vector3::new(0.12, 0.88, 0.49);
        for r_max in [0.0, 1.0, 3.7, 9.5] {
            let mut plain = Vec::new();
            for a in -8..=8 {
                for b in -8..=8 {
                    for c in -8..=8 {
                        let d = to + Vector3::new(a as f64, b as f64, c as f64) - from;
                        let r = l.cart(&d).norm();
                        if r < r_max {
                            plain.push(([a, b, c], r));
                        }
                    }
                }
            }
            assert_eq!(l.images_within(&from, &to, r_max), plain, "r_max {r_max}");
        }
        assert!(l.images_within(&from, &to, 9.5).len() > 20);
    }

    #[test]
    fn parameters_round_trip_monoclinic() {
        let l = Lattice::from_parameters(6.4017, 11.0596, 6.3756, 90.0, 109.781, 90.0).unwrap();
        let abc = l.abc();
        let ang = l.angles_deg();
        assert_relative_eq!(abc[0], 6.4017, epsilon = 1e-10);
        assert_relative_eq!(abc[1], 11.0596, epsilon = 1e-10);
        assert_relative_eq!(abc[2], 6.3756, epsilon = 1e-10);
        assert_relative_eq!(ang[1], 109.781, epsilon = 1e-9);
        assert_relative_eq!(ang[0], 90.0, epsilon = 1e-9);
        // V = abc sinβ for monoclinic
        let v = 6.4017 * 11.0596 * 6.3756 * 109.781f64.to_radians().sin();
        assert_relative_eq!(l.volume_ang3(), v, epsilon = 1e-8);
    }

    #[test]
    fn frac_cart_round_trip_triclinic() {
        let l = Lattice::from_parameters(5.0, 6.0, 7.0, 75.0, 85.0, 100.0).unwrap();
        let f = Vector3::new(0.1, -0.7, 1.3);
        let back = l.frac(&l.cart(&f));
        assert_relative_eq!((back - f).norm(), 0.0, epsilon = 1e-12);
    }

    #[test]
    fn degenerate_and_bad_parameters() {
        assert!(matches!(
            Lattice::from_rows([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
            Err(CoreError::DegenerateLattice { .. })
        ));
        assert!(Lattice::from_parameters(0.0, 1.0, 1.0, 90.0, 90.0, 90.0).is_err());
        // flat: three vectors at 120° in a plane (round-off leaves a tiny volume)
        assert!(Lattice::from_parameters(5.0, 5.0, 5.0, 120.0, 120.0, 120.0).is_err());
        assert!(Lattice::from_parameters(1.0, 1.0, 1.0, 90.0, 180.0, 90.0).is_err());
    }

    #[test]
    fn minimum_image_in_skewed_cell() {
        let l = Lattice::from_parameters(4.0, 4.0, 4.0, 60.0, 60.0, 60.0).unwrap();
        let (d, img) =
            l.distance_and_image(&Vector3::new(0.0, 0.0, 0.0), &Vector3::new(0.9, 0.0, 0.0));
        assert_relative_eq!(d, 0.4, epsilon = 1e-12);
        assert_eq!(img, [-1, 0, 0]);
    }
}
