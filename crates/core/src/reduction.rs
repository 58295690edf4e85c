//! Shear reduction of a cell's basis: the same lattice (same translations, same atoms per cell)
//! written with vectors no pair of which is strongly sheared.
//!
//! Why: the BVSE landscape is sampled on a grid of `n_i = ⌈|a_i|/h⌉` points along each cell
//! vector, so its voxels have the cell's shape. An equivalent but sheared basis of the same
//! crystal (Li3InCl6 given with c′ = c + a, β = 54.7° instead of 109.9°) samples the crystal at
//! other points, with skewed voxels, and at the default h = 0.2 Å its minima, thresholds and kMC
//! σ(300 K) came out 5–7× apart from the standard cell's (they agree at h = 0.1 Å). Reducing the
//! basis first makes the numbers a property of the crystal, not of how its cell was written.
//!
//! The rule (pairwise Lagrange–Gauss size reduction, the two-vector step of the Niggli and
//! Minkowski reductions): while some pair has |v_i·v_j| > s·|v_j|² with s =
//! [`SHEAR_LIMIT`], replace v_i by v_i − round(v_i·v_j/|v_j|²)·v_j. Each step shortens v_i, so it
//! ends; the determinant (volume and handedness) is unchanged. A reduced basis has
//! |v_i·v_j| ≤ |v_j|²/2 for every pair; s = 0.55 rather than 0.5 leaves the cells on the
//! boundary as they are — the 60°/120° cells of fcc primitive and hexagonal lattices, which are
//! reduced (Niggli's conditions hold with equality) — so no file already written in a reduced
//! cell changes by a rounding of its numbers.

use crate::lattice::Lattice;
use crate::structure::{Site, Structure};
use nalgebra::{Matrix3, Vector3};

/// A pair is reduced when |v_i·v_j| ≤ `SHEAR_LIMIT`·|v_j|² (0.5 is the exact bound; the margin
/// keeps the boundary cells, see the module doc).
pub const SHEAR_LIMIT: f64 = 0.55;

/// Most reduction steps taken (a cell needing more is degenerate to round-off; the basis is then
/// left as it came).
const MAX_STEPS: usize = 1000;

/// The integer unimodular matrix T (rows: the new vectors in terms of the old ones, new rows =
/// T·old rows) that shear-reduces `lattice`, or `None` when no pair exceeds [`SHEAR_LIMIT`].
pub fn shear_reduction(lattice: &Lattice) -> Option<Matrix3<i64>> {
    let mut m = *lattice.matrix();
    let mut t = Matrix3::<i64>::identity();
    let mut steps = 0;
    loop {
        let mut changed = false;
        for i in 0..3 {
            for j in 0..3 {
                if i == j {
                    continue;
                }
                let vj = m.row(j).into_owned();
                let vj2 = vj.norm_squared();
                let dot = m.row(i).dot(&vj);
                if dot.abs() <= SHEAR_LIMIT * vj2 {
                    continue;
                }
                let k = (dot / vj2).round();
                let new_row = m.row(i) - vj * k;
                m.set_row(i, &new_row);
                let tj = t.row(j).into_owned();
                let new_t = t.row(i) - tj * (k as i64);
                t.set_row(i, &new_t);
                changed = true;
                steps += 1;
            }
        }
        if !changed {
            break;
        }
        if steps > MAX_STEPS {
            return None;
        }
    }
    (t != Matrix3::identity()).then_some(t)
}

/// `structure` in its shear-reduced basis ([`shear_reduction`]) and the matrix T, or `None`
/// when its basis is already reduced. Cartesian positions, species, occupancies and labels are
/// kept; fractional coordinates become f·T⁻¹ (row vectors), wrapped to [0, 1).
pub fn shear_reduced(structure: &Structure) -> Option<(Structure, Matrix3<i64>)> {
    let t = shear_reduction(&structure.lattice)?;
    Some((rebased(structure, &t)?, t))
}

/// `structure` written in the basis T·(a, b, c) of the same lattice, T an integer matrix of
/// determinant ±1 (`None` otherwise): the same atoms, fractional coordinates f·T⁻¹ wrapped to
/// [0, 1).
pub fn rebased(structure: &Structure, t: &Matrix3<i64>) -> Option<Structure> {
    let tf = t.map(|x| x as f64);
    if (tf.determinant().abs() - 1.0).abs() > 1e-9 {
        return None;
    }
    let lattice = Lattice::new(tf * structure.lattice.matrix()).ok()?;
    // T is unimodular: its inverse is integer; rounding removes the inversion's round-off
    let t_inv = tf.try_inverse()?.map(f64::round);
    let sites: Vec<Site> = structure
        .sites
        .iter()
        .map(|s| {
            let f: Vector3<f64> = (s.frac_coords.transpose() * t_inv).transpose();
            Site {
                frac_coords: f,
                ..s.clone()
            }
        })
        .collect();
    Structure::new(lattice, sites).ok()
}

/// "cell vectors rewritten as [a, b, c−a] (shear reduction): …" for notes and JSON.
pub fn describe(t: &Matrix3<i64>) -> String {
    let names = ["a", "b", "c"];
    let rows: Vec<String> = (0..3)
        .map(|i| {
            let mut s = String::new();
            for (j, name) in names.iter().enumerate() {
                let k = t[(i, j)];
                if k == 0 {
                    continue;
                }
                let sign = if k < 0 {
                    "−"
                } else if s.is_empty() {
                    ""
                } else {
                    "+"
                };
                let mag = if k.abs() == 1 {
                    String::new()
                } else {
                    k.abs().to_string()
                };
                s.push_str(&format!("{sign}{mag}{name}"));
            }
            s
        })
        .collect();
    format!(
        "the input's cell is strongly sheared: the landscape and kMC use the same lattice in the \
         reduced basis [{}] (positions below are fractional in that cell; docs/physics.md §3.4)",
        rows.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Element, Species};

    fn monoclinic() -> Structure {
        // the C2/m Li3InCl6 cell shape (a, b, c, β) with a few atoms
        let l = Lattice::from_parameters(6.44, 11.12, 6.40, 90.0, 109.9, 90.0).unwrap();
        let li = Species::new(Element::from_symbol("Li").unwrap(), 1);
        let cl = Species::new(Element::from_symbol("Cl").unwrap(), -1);
        Structure::new(
            l,
            vec![
                Site::ordered(li, [0.0, 0.33, 0.5]),
                Site::ordered(cl, [0.25, 0.17, 0.77]),
                Site::ordered(cl, [0.73, 0.0, 0.23]),
            ],
        )
        .unwrap()
    }

    /// Reduced cells are left as they are, the boundary ones included: a cube, the monoclinic
    /// cell, a hexagonal cell (γ = 120°) and the fcc primitive cell (60°).
    #[test]
    fn reduced_cells_are_kept() {
        for l in [
            Lattice::cubic(10.4),
            monoclinic().lattice,
            Lattice::from_parameters(6.4, 6.4, 6.0, 90.0, 90.0, 120.0).unwrap(),
            Lattice::from_parameters(4.2, 4.2, 4.2, 60.0, 60.0, 60.0).unwrap(),
        ] {
            assert_eq!(shear_reduction(&l), None, "{:?}", l.angles_deg());
        }
    }

    /// A sheared basis of the monoclinic lattice (c′ = c + a, c′ = c + 3a) is reduced back to a
    /// basis with the standard cell's lengths and volume, and the atoms keep their Cartesian
    /// positions modulo the lattice.
    #[test]
    fn a_sheared_cell_is_reduced_to_the_standard_one() {
        let s = monoclinic();
        for n in [1i64, 3, -2] {
            let shear = Matrix3::new(1, 0, 0, 0, 1, 0, n, 0, 1);
            let sheared = rebased(&s, &shear).unwrap();
            let (r, t) = shear_reduced(&sheared).expect("reduced");
            assert!((t.map(|x| x as f64).determinant() - 1.0).abs() < 1e-12);
            let mut got = r.lattice.abc();
            let mut want = s.lattice.abc();
            got.sort_by(f64::total_cmp);
            want.sort_by(f64::total_cmp);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}");
            }
            assert!((r.volume_ang3() - s.volume_ang3()).abs() < 1e-9);
            assert_eq!(shear_reduction(&r.lattice), None);
            for (a, b) in r.sites.iter().zip(&s.sites) {
                // the same point of the crystal: the Cartesian difference is a lattice vector
                let d = r.lattice.cart(&a.frac_coords) - s.lattice.cart(&b.frac_coords);
                let f = s.lattice.frac(&d);
                assert!(f.iter().all(|x| (x - x.round()).abs() < 1e-9), "{f:?}");
                assert_eq!(a.species, b.species);
            }
        }
    }

    #[test]
    fn the_description_names_the_new_vectors() {
        let t = Matrix3::new(1, 0, 0, 0, 1, 0, -3, 0, 1);
        assert!(describe(&t).contains("[a, b, −3a+c]"), "{}", describe(&t));
    }
}
