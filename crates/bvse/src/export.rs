//! Grid export in formats VESTA opens: Gaussian cube and VESTA's text `.grd`.
//!
//! Both write the periodic grid (the repeated plane of bvlain mode is dropped) and the energy
//! relative to the grid minimum, E − E_min in eV, so VESTA isosurface levels read directly as
//! migration energies.

use crate::error::BvseError;
use crate::landscape::Landscape;
use std::io::Write;

/// Bohr radius in Å (CODATA 2018), the length unit of the cube format.
pub const BOHR_ANG: f64 = 0.529177210903;

fn werr(e: std::io::Error) -> BvseError {
    BvseError::Write(e.to_string())
}

impl Landscape {
    /// Gaussian cube: two comment lines; atom count and origin (Bohr); for each axis the voxel
    /// count and the voxel step vector (Bohr); one line per atom (Z, charge, x, y, z in Bohr;
    /// the majority species of mixed sites); then the values with the third index fastest,
    /// six per line.
    pub fn write_cube<W: Write>(&self, mut w: W) -> Result<(), BvseError> {
        let n = self.periodic_shape();
        let e_min = self.min_ev();
        let s = &self.structure;
        writeln!(
            w,
            "halo BVSE landscape of {} (mode {}, resolution {} A)",
            self.params.mobile_ion, self.params.mode, self.params.resolution_ang
        )
        .map_err(werr)?;
        writeln!(w, "values: E - E_min in eV; E_min = {e_min:.10} eV").map_err(werr)?;
        writeln!(
            w,
            "{:5} {:12.6} {:12.6} {:12.6}",
            s.num_sites(),
            0.0,
            0.0,
            0.0
        )
        .map_err(werr)?;
        for (axis, &count) in n.iter().enumerate() {
            let v = self.lattice.vector(axis) / (count as f64 * BOHR_ANG);
            writeln!(w, "{:5} {:12.6} {:12.6} {:12.6}", count, v.x, v.y, v.z).map_err(werr)?;
        }
        for i in 0..s.num_sites() {
            let z = s.sites[i].majority_species().element.z();
            let p = s.cart_coords(i) / BOHR_ANG;
            writeln!(
                w,
                "{:5} {:12.6} {:12.6} {:12.6} {:12.6}",
                z, 0.0, p.x, p.y, p.z
            )
            .map_err(werr)?;
        }
        for i in 0..n[0] {
            for j in 0..n[1] {
                let mut line = String::with_capacity(6 * 14);
                for k in 0..n[2] {
                    let v = self.energy_ev(i, j, k) - e_min;
                    line.push_str(&format!(" {v:12.5E}"));
                    if (k + 1) % 6 == 0 || k + 1 == n[2] {
                        writeln!(w, "{line}").map_err(werr)?;
                        line.clear();
                    }
                }
            }
        }
        Ok(())
    }

    /// VESTA `.grd`: a title line, `a b c α β γ`, `n0 n1 n2`, then one value per line with the
    /// first index fastest (VESTA's periodic-grid order, as in CHGCAR).
    pub fn write_grd<W: Write>(&self, mut w: W) -> Result<(), BvseError> {
        let n = self.periodic_shape();
        let e_min = self.min_ev();
        let abc = self.lattice.abc();
        let ang = self.lattice.angles_deg();
        writeln!(
            w,
            "# halo BVSE landscape of {}: E - E_min (eV), E_min = {e_min:.10} eV",
            self.params.mobile_ion
        )
        .map_err(werr)?;
        writeln!(
            w,
            "{} {} {} {} {} {}",
            abc[0], abc[1], abc[2], ang[0], ang[1], ang[2]
        )
        .map_err(werr)?;
        writeln!(w, "{} {} {}", n[0], n[1], n[2]).map_err(werr)?;
        for k in 0..n[2] {
            for j in 0..n[1] {
                for i in 0..n[0] {
                    writeln!(w, "{:.8e}", self.energy_ev(i, j, k) - e_min).map_err(werr)?;
                }
            }
        }
        Ok(())
    }
}
