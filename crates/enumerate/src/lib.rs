//! # halo-enumerate
//!
//! Charge-balanced cation substitutions on a framework's site orbit (docs/physics.md §2):
//! dopants × amounts, charge balance through the Li content, the Shannon size rule, a lattice
//! estimate, content-hash candidate ids, and three realisations of each candidate: the
//! occupancy-weighted average model, the symmetry-distinct orderings of the substituted orbit
//! in a supercell (moyo operations, canonical forms, Burnside-checked counts) ranked by Ewald
//! energy, and seeded random orderings for large cells. [`disorder`] turns a refined structure
//! with partial / mixed occupancies into seeded supercell configurations with integer framework
//! occupancies and their charge bookkeeping.
//!
//! Takes a `&Structure` (never a path); reading and writing files is the caller's business.
//!
//! ```no_run
//! # fn framework() -> halo_core::Structure { unimplemented!() }
//! use halo_enumerate::{enumerate_candidates, parse_fraction_grid, EnumerationConfig, Realiser};
//! let spinel: halo_core::Structure = framework(); // e.g. read with halo-io
//! let config = EnumerationConfig {
//!     framework_name: "Li2Sc2/3Cl4".into(),
//!     site: "16d".into(),
//!     dopants: vec!["In".into(), "Zr".into()],
//!     fractions: parse_fraction_grid("0:0.666:0.111").unwrap(),
//!     ..EnumerationConfig::default()
//! };
//! let result = enumerate_candidates(&spinel, &config).unwrap();
//! for c in &result.accepted {
//!     println!("{} {} a = {:.4} Å", c.id, c.formula, c.lattice.a_ang);
//! }
//! let realiser = Realiser::new(&result);
//! let average = realiser.average_structure(&result.accepted[0]).unwrap();
//! # let _ = average;
//! ```

pub mod candidate;
pub mod disorder;
pub mod error;
pub mod framework;
pub mod rational;
pub mod realise;

pub use candidate::{
    enumerate_candidates, estimate_lattice, framework_fingerprint, parse_fraction_grid, Candidate,
    DopantAmount, EnumerationConfig, EnumerationResult, LatticeEstimate, LiSiteChange,
    RejectReason, Rejected, CANDIDATE_ID_VERSION, DEFAULT_MAX_DOPANTS, DEFAULT_RADIUS_TOLERANCE,
    MAX_DOPANTS_LIMIT, RADIUS_TOLERANCE_LIMIT,
};
pub use disorder::{
    choose_scale, is_disordered, realisation_seed, realise_disorder, DisorderOptions,
    DisorderRealisation,
};
pub use error::EnumerateError;
pub use framework::{
    framework_wyckoff_letters, literature_wyckoff_letters, FrameworkModel, HostCation, LiOrbit,
};
pub use halo_data::elements::Coordination;
pub use rational::Rational;
pub use realise::{candidate_seed, OrderedRealisation, OrderingOptions, OrderingResult, Realiser};

#[cfg(test)]
mod tests;
