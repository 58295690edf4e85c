//! The ordered models of the bvlain reference cases (`tests/data/bvse_golden/*.json`, computed with
//! bvlain 0.25.1): the `model` object holds the cell rows (Å), species, oxidation states and
//! fractional coordinates bvlain evaluated. Shared by the golden tests, the percolation tests and
//! the benchmarks, so the five cases are read one way everywhere.

use halo_core::{CoreError, Lattice, Species, Structure};
use serde::Deserialize;

/// The five golden cases shipped in `crates/bvse/tests/data/bvse_golden/` (file stems).
pub const BVLAIN_GOLDEN_CASES: [&str; 5] = [
    "Li2CrCl4_C2c_OBELiX-4kt_perturbed",
    "Li3In2-3Sc1-3Cl6_C2m_Zhou2022_neutron__ase_dominant_model",
    "LiAlCl4_P21c_COD1004036",
    "LiCl_rocksalt_a5.13",
    "LiGaBr4_P21c_OBELiX-be9_perturbed",
];

/// The `model` object of a golden case.
#[derive(Clone, Debug, Deserialize)]
pub struct BvlainModel {
    /// Lattice vectors as rows, Å.
    #[serde(rename = "cell_rows_A")]
    pub cell_rows_ang: [[f64; 3]; 3],
    /// Element symbols (a charge suffix, if any, is ignored: `oxi` holds the states).
    pub species: Vec<String>,
    /// Oxidation states, one per atom.
    pub oxi: Vec<i8>,
    /// Fractional coordinates, one per atom.
    pub frac: Vec<[f64; 3]>,
}

impl BvlainModel {
    /// The ordered structure bvlain evaluated.
    pub fn to_structure(&self) -> Result<Structure, CoreError> {
        let n = self.species.len();
        if self.oxi.len() != n || self.frac.len() != n {
            return Err(CoreError::InvalidParameter {
                name: "bvlain model",
                reason: format!(
                    "{n} species, {} oxidation states, {} coordinates",
                    self.oxi.len(),
                    self.frac.len()
                ),
            });
        }
        let atoms = self
            .species
            .iter()
            .zip(&self.oxi)
            .zip(&self.frac)
            .map(|((s, &q), &f)| Ok((Species::new(Species::parse(s)?.element, q), f)))
            .collect::<Result<Vec<_>, CoreError>>()?;
        Structure::from_spacegroup_free(Lattice::from_rows(self.cell_rows_ang)?, atoms)
    }
}
