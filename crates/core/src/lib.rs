//! # halo-core
//!
//! The shared vocabulary of halo, in pymatgen's words: [`Lattice`], [`Element`], [`Species`],
//! [`Site`], [`Structure`], [`Composition`], periodic neighbour search and the Ewald sum.
//! This crate depends on no other workspace crate; every compute crate takes a `&Structure`.
//!
//! Units: lengths in Å, energies in eV, charges in elementary charges, masses in g/mol.
//!
//! ```
//! use halo_core::{Species, Structure};
//! let li = Species::parse("Li+").unwrap();
//! let cl = Species::parse("Cl-").unwrap();
//! let s = Structure::rock_salt(li, cl, 5.13).unwrap();
//! assert_eq!(s.composition().reduced_formula(), "LiCl");
//! assert!((s.volume_ang3() - 5.13f64.powi(3)).abs() < 1e-9);
//! let e = halo_core::ewald::ewald(&s, Default::default()).unwrap();
//! // Madelung: E per ion pair = −1.747565 k_e / (a/2)
//! assert!((e.total_energy_ev / 4.0 + 1.747565 * halo_core::COULOMB_EV_ANG / 2.565).abs() < 1e-4);
//! ```

pub mod composition;
pub mod element;
pub mod error;
pub mod ewald;
pub mod format;
pub mod hint;
pub mod lattice;
pub mod memory;
pub mod neighbors;
mod periodic_table;
pub mod reduction;
pub mod seed;
pub mod structure;

pub use composition::Composition;
pub use element::{Element, Species};
pub use error::CoreError;
pub use lattice::Lattice;
pub use neighbors::Neighbor;
pub use structure::{Site, Structure};

/// Boltzmann constant in eV/K (CODATA 2018, exact SI definition).
pub const K_B_EV_PER_K: f64 = 8.617333262e-5;
/// Elementary charge in C (exact SI definition).
pub const ELEMENTARY_CHARGE_C: f64 = 1.602176634e-19;
/// Faraday constant in C/mol.
pub const FARADAY_C_PER_MOL: f64 = 96485.33212;
/// Avogadro constant in 1/mol (exact SI definition).
pub const AVOGADRO_PER_MOL: f64 = 6.02214076e23;
/// e²/(4πε₀) in eV·Å, the Coulomb constant in the units halo uses (CODATA 2018: 14.3996454784).
pub const COULOMB_EV_ANG: f64 = 14.399645478425668;
