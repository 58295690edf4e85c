//! The error type of halo-symmetry.

/// Everything that can go wrong in symmetry analysis, site mapping and supercell handling.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SymmetryError {
    /// A tolerance that is not a finite positive number.
    #[error("invalid tolerance {name} = {value} (must be finite and > 0)")]
    BadTolerance { name: &'static str, value: f64 },
    /// A distance tolerance so large it would merge distinct sites.
    #[error(
        "tolerance {name} = {value} Å is more than {max} Å: it would merge distinct sites \
         (spglib and pymatgen use 0.01–0.1 Å)"
    )]
    ToleranceTooLarge {
        name: &'static str,
        value: f64,
        max: f64,
    },
    /// A structure without sites.
    #[error("structure has no sites")]
    EmptyStructure,
    /// moyo could not find or identify the space group.
    #[error("moyo symmetry search failed at symprec = {symprec_ang} Å: {message}")]
    Moyo { symprec_ang: f64, message: String },
    /// moyo returned a Hall number outside its own table (should not happen).
    #[error("moyo returned unknown Hall number {0}")]
    UnknownHallNumber(i32),
    /// A symmetry operation maps a site onto no site of the structure.
    #[error(
        "operation {op_index} maps site {site} to a position with no matching site within {tolerance_ang} Å"
    )]
    NoImage {
        op_index: usize,
        site: usize,
        tolerance_ang: f64,
    },
    /// A site set that is not closed under the operations.
    #[error("site set is not closed under operation {op_index}: site {site} maps outside it")]
    NotClosed { op_index: usize, site: usize },
    /// A supercell matrix that is singular or otherwise unusable.
    #[error("invalid supercell: {0}")]
    BadSupercell(String),
    /// A site index out of range.
    #[error("site index {index} out of range (structure has {num_sites} sites)")]
    SiteIndex { index: usize, num_sites: usize },
    /// Colourings whose length does not match the permutation degree.
    #[error("colouring has {got} entries, the group acts on {want} sites")]
    ColouringLength { got: usize, want: usize },
}
