//! `halo.stability(comp)`: anodic and cathodic limits vs Li⁺/Li (V) from the Li grand-potential
//! hull of tabulated thermochemistry (ΔG at 298 K and ΔH), as `halo stability --json` reports
//! them (halo_filters::stability_with).

use crate::errors::{Classify, Failure, HResult, Kind};
use halo_core::Composition;
use halo_filters::{FilterError, StabilityOptions};
use halo_io::LoadedStructure;
use serde_json::{json, Value};

/// What to assess: a formula, or a structure whose composition per formula unit is used.
pub enum Input<'a> {
    Formula(String),
    Structure(&'a LoadedStructure),
}

/// The `halo stability --json` dict; a composition that cannot be assessed gives the CLI's
/// `{"verdict": "not_assessable", ...}` dict (the CLI's exit 1), not an exception.
pub fn run(
    input: Input<'_>,
    mix_mev_per_atom: Option<f64>,
    hull_tolerance_ev_per_atom: f64,
) -> HResult<Value> {
    let (label, (composition, mut notes)) = match input {
        Input::Formula(f) => {
            let c = Composition::parse(&f).kind(Kind::Parameter)?;
            (f, (c, Vec::new()))
        }
        Input::Structure(l) => (
            l.source_path.clone(),
            l.neutral_formula_unit().kind(Kind::Structure)?,
        ),
    };
    // as `halo stability`: a cation outside its formal state is named
    notes.extend(halo_filters::stability::input_notes(&composition));
    let opts = StabilityOptions::from_flags(mix_mev_per_atom, hull_tolerance_ev_per_atom)
        .kind(Kind::Parameter)?;
    match halo_filters::stability_with(&composition, &opts) {
        Ok(report) => {
            let mut v = serde_json::to_value(&report).kind(Kind::Internal)?;
            v["input"] = json!(label);
            v["notes"] = json!(notes);
            Ok(v)
        }
        Err(FilterError::NotAssessable { filter, reason }) => Ok(json!({
            "input": label,
            "verdict": "not_assessable",
            "filter": filter,
            "reason": reason,
        })),
        Err(e) => Err(Failure::new(Kind::Parameter, e)),
    }
}
