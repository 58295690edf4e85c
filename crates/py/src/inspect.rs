//! `halo.inspect(s)`: the report of `halo inspect FILE --json` as a dict: formula,
//! composition per formula unit, space group (moyo), cell, density, oxidation states, charge
//! balance, every site orbit with its Wyckoff position and nearest-anion distance, warnings.
//!
//! The report is `halo_campaign::inspect`'s, the builder `halo inspect` uses.

use crate::errors::{guard, Classify, HResult, Kind};
use crate::structure::PyStructure;
use anyhow::Context;
use halo_io::LoadedStructure;
use serde_json::Value;

/// The `halo inspect --json` report of `loaded` at `symprec` (Å).
pub fn report(loaded: &LoadedStructure, symprec: f64) -> HResult<Value> {
    if !(symprec.is_finite() && symprec > 0.0) {
        return Err(crate::errors::Failure::msg(
            Kind::Parameter,
            format!("--symprec must be a positive length in Å, got {symprec}"),
        ));
    }
    let report = halo_campaign::inspect::inspect(loaded, symprec)
        .with_context(|| format!("{}: symmetry analysis failed", loaded.source_path))
        .kind(Kind::Structure)?;
    serde_json::to_value(&report).kind(Kind::Internal)
}

/// Guarded [`report`] for the Python function.
pub fn inspect(s: &PyStructure, symprec: f64) -> HResult<Value> {
    guard(|| report(&s.loaded, symprec))
}
