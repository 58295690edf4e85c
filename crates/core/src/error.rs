//! The error type of halo-core.

/// Everything that can go wrong when building or querying core types.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoreError {
    /// A symbol that is not an element halo has data for.
    #[error("{}", crate::element::unknown_element_reason(.0))]
    UnknownElement(String),
    /// A species string such as `Li+`, `Cl1-` or `In3+` that could not be read.
    #[error("cannot parse species '{0}': {1}")]
    BadSpecies(String, String),
    /// Lattice vectors that are linearly dependent or give a volume below 1e-6 Å³.
    #[error("degenerate lattice: volume {volume_ang3:.3e} Å^3 (vectors are coplanar or zero)")]
    DegenerateLattice { volume_ang3: f64 },
    /// A lattice parameter that is not a finite positive length, or an angle outside (0, 180).
    #[error("invalid lattice parameter {name} = {value}")]
    BadLatticeParameter { name: &'static str, value: f64 },
    /// A site whose occupancies do not make sense.
    #[error("site {index}: {reason}")]
    BadSite { index: usize, reason: String },
    /// A chemical formula that could not be read.
    #[error("cannot parse composition '{0}': {1}")]
    BadComposition(String, String),
    /// An operation that needs oxidation states on every species.
    #[error("species {0} has no oxidation state")]
    MissingOxidationState(String),
    /// A parameter outside its allowed range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
}
