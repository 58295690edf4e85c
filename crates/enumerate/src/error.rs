//! The error type of halo-enumerate.

use halo_core::CoreError;
use halo_symmetry::SymmetryError;

/// Everything that makes an enumeration impossible. Problems of single candidates (size
/// mismatch, no room for Li) are not errors: they are recorded as rejected candidates.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EnumerateError {
    /// A dopant symbol that is not an element halo knows.
    #[error("dopant list: {}", halo_core::element::unknown_element_reason(.0))]
    UnknownElement(String),
    /// A dopant given in a form that cannot be read.
    #[error("cannot read dopant '{text}': {reason}")]
    BadDopant { text: String, reason: String },
    /// A dopant (or host cation) without a formal oxidation state.
    #[error("{0} has no formal oxidation state; give it explicitly, e.g. 'Ce4+'")]
    NoOxidationState(String),
    /// A dopant or host ion without a Shannon radius at the coordination used.
    #[error("no Shannon ionic radius for {ion} at coordination {coordination} (elements.csv)")]
    NoShannonRadius { ion: String, coordination: String },
    /// A fraction outside [0, 1] or not a number.
    #[error("fraction {value} is outside [0, 1]")]
    FractionOutOfRange { value: f64 },
    /// A positive fraction so small that it reads as 0 (within the snapping tolerance of 0):
    /// it would silently enumerate no dopant.
    #[error(
        "fraction {value} is within {tolerance} of 0 and would be read as 0 (no dopant): give 0 \
         for the undoped framework or an amount above {tolerance}"
    )]
    FractionRoundsToZero { value: f64, tolerance: f64 },
    /// A fraction larger than the M content of the site: it cannot be charge balanced by
    /// substitution on that site.
    #[error(
        "fraction {value} exceeds the {host} content of site {site} ({m_per_fu} per formula unit): \
         not charge-balanceable by substitution on that site"
    )]
    FractionTooLarge {
        value: f64,
        host: String,
        site: String,
        m_per_fu: f64,
    },
    /// A fraction grid such as `0:0.666:0.111` that cannot be read.
    #[error("cannot read fraction grid '{text}': {reason}")]
    BadFractionGrid { text: String, reason: String },
    /// The named site does not exist in the framework.
    #[error("framework {framework} has no site '{site}'; its orbits are: {available}")]
    UnknownSite {
        framework: String,
        site: String,
        available: String,
    },
    /// The named site holds no cation other than Li that could be substituted.
    #[error("site '{site}' of {framework} holds no substitutable cation (only {species})")]
    NoHostCation {
        framework: String,
        site: String,
        species: String,
    },
    /// A framework that cannot serve (no anions, not charge balanced, ...).
    #[error("framework {framework}: {reason}")]
    BadFramework { framework: String, reason: String },
    /// A configuration value out of range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    /// An ordering request that cannot be met (cell too large, composition impossible).
    #[error("ordering: {0}")]
    Ordering(String),
    /// No supercell within the limit holds whole numbers of the candidate's species on the
    /// substituted orbit: an ordered cell would have another composition (and net charge).
    #[error(
        "no ordered cell of {candidate}: no supercell of up to {max_det} primitive cells holds \
         whole numbers of its species on the substituted orbit (the closest, {orbit_sites} \
         sites, needs {needs}), so an ordering would have another composition and charge; use \
         fractions whose site counts are whole numbers in a small cell"
    )]
    Incommensurate {
        candidate: String,
        max_det: usize,
        orbit_sites: usize,
        /// Each species' site count, e.g. `In 0.19, Sc 42.58`.
        needs: String,
    },
    /// A structure without sites given to the disorder realiser.
    #[error("disorder realisation: the structure has no sites")]
    EmptyStructure,
    /// A site whose occupancies sum above 1 + 1e-3 (disorder realisation).
    #[error("site {index} ('{label}'): occupancies sum to {total:.4} > 1 + 1e-3")]
    OverfullSite {
        index: usize,
        label: String,
        total: f64,
    },
    /// A species without an oxidation state where charges are counted (disorder realisation).
    #[error(
        "site {index} ('{label}'): species {species} has no oxidation state; charge bookkeeping \
         needs one (give it explicitly, e.g. 'In3+')"
    )]
    SiteWithoutOxidationState {
        index: usize,
        label: String,
        species: String,
    },
    /// A site that cannot be realised (no species, occupancy not in (0, 1]).
    #[error("site {index} ('{label}'): {reason}")]
    BadSite {
        index: usize,
        label: String,
        reason: String,
    },
    /// The framework charge of a realisation is not compensated by a non-negative whole number
    /// of mobile ions.
    #[error(
        "framework charge {framework_charge} e needs {count} mobile ions of charge \
         {mobile_charge:+} e for neutrality: not a non-negative integer"
    )]
    NonIntegerMobileCount {
        framework_charge: f64,
        mobile_charge: f64,
        count: f64,
    },
    #[error(transparent)]
    Symmetry(#[from] SymmetryError),
    #[error(transparent)]
    Core(#[from] CoreError),
}
