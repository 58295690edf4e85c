//! # halo-filters
//!
//! The filters of docs/physics.md §6–7 applied to a candidate composition: oxidation (anodic)
//! and reduction (cathodic) limits vs Li⁺/Li from the Li grand-potential hull of tabulated
//! thermochemistry ([`stability()`]), an electronic-insulation verdict from band gaps and
//! open-shell cations ([`insulation()`]), the raw-material cost by mass fraction
//! ([`cost_usd_per_kg`]), and the ranking of evaluated candidates with hard filters and a
//! Pareto front ([`rank()`]).
//!
//! ```
//! use halo_core::Composition;
//! let licl = Composition::parse("LiCl").unwrap();
//! let r = halo_filters::stability(&licl).unwrap();
//! // E_ox = −ΔG°f(LiCl)/F = 384.019 kJ/mol / 96.485 kJ/(mol·V) = 3.980 V
//! assert!((r.anodic_limit_v_dg.unwrap() - 3.980).abs() < 1e-3);
//! assert!((r.anodic_limit_v_dh.unwrap() - 4.231).abs() < 1e-3);
//! let ins = halo_filters::insulation(&licl).unwrap();
//! assert_eq!(ins.verdict, halo_filters::InsulationVerdict::Insulating);
//! assert!(halo_filters::cost_usd_per_kg(&licl).unwrap() > 0.0);
//! ```

pub mod cost;
pub mod error;
pub mod hull;
pub mod insulation;
pub mod phases;
pub mod rank;
pub mod stability;
pub mod uncertainty;

pub use cost::{cost, cost_usd_per_kg, CostReport};
pub use error::FilterError;
pub use insulation::{insulation, insulation_with, InsulationReport, InsulationVerdict};
pub use phases::EnergyBasis;
pub use rank::{parse_metrics, rank, table, CandidateMetrics, RankConfig, Ranking};
pub use stability::{
    binary_reference, stability, stability_with, StabilityOptions, StabilityReport,
};
