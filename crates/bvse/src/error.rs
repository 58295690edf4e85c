//! The error type of halo-bvse.

/// Everything that can go wrong when building a BVSE landscape.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BvseError {
    /// A parameter outside its allowed range (resolution, cutoff, screening factor, ...).
    #[error("invalid BVSE parameter {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    /// The structure holds no site with the mobile element.
    #[error(
        "no mobile ion: the structure has no {mobile} site (elements present: {present}); \
         another mobile ion is chosen with --mobile-ion (e.g. Na+)"
    )]
    NoMobileIon { mobile: String, present: String },
    /// The framework left after removing the mobile element is empty.
    #[error("the framework is empty once every {mobile} atom is removed")]
    EmptyFramework { mobile: String },
    /// A framework species without an oxidation state.
    #[error("site {site_index} ({label}): species {species} has no oxidation state; BVSE needs formal charges")]
    MissingOxidationState {
        site_index: usize,
        label: String,
        species: String,
    },
    /// No softBV Morse parameters for (mobile ion, counter-ion).
    #[error(
        "no softBV pair for {mobile}–{counter_ion} in bvse_params.csv (site {site_index}, {label})"
    )]
    MissingPair {
        mobile: String,
        counter_ion: String,
        site_index: usize,
        label: String,
    },
    /// A softBV pair whose softness b is negative (20 halide pairs of the table are flagged).
    #[error("softBV pair {mobile}–{counter_ion} has a negative b = {b_ang} Å (flagged in bvse_params.csv: {note}); refusing to use it")]
    NegativeSoftness {
        mobile: String,
        counter_ion: String,
        b_ang: f64,
        note: String,
    },
    /// No principal quantum number or covalent radius for an ion of the Coulomb term.
    #[error("no ion properties for {element} in bvse_ion_props.csv ({what})")]
    MissingIonProperty { element: String, what: &'static str },
    /// The grid would need more memory than allowed.
    #[error("resolution {resolution_ang} Å gives {voxels} voxels needing about {needed_bytes} bytes, more than the {limit_bytes} bytes available; use a coarser resolution")]
    OutOfMemory {
        resolution_ang: f64,
        voxels: u64,
        needed_bytes: u64,
        limit_bytes: u64,
    },
    /// The anion relaxation failed (no minimum near the structure, a solver error).
    #[error("anion relaxation: {0}")]
    Relaxation(String),
    /// Writing a grid file failed.
    #[error("cannot write grid: {0}")]
    Write(String),
}
