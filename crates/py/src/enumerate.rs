//! `halo.enumerate(framework, site=..., dopants=[...], fractions=...)`: charge-balanced
//! substitutions on a framework orbit (halo_enumerate), as `halo enumerate --json` reports
//! them, optionally with the average-model structure of every accepted candidate.

use crate::errors::{Classify, HResult, Kind};
use crate::structure::PyStructure;
use anyhow::Context;
use halo_enumerate::{
    enumerate_candidates, parse_fraction_grid, EnumerationConfig, OrderingOptions, Realiser,
};
use serde_json::{json, Value};

/// `halo enumerate`'s options (the CLI's names and defaults).
pub struct EnumerateOptions {
    pub site: String,
    pub dopants: Vec<String>,
    /// `start:stop:step` or a comma list, dopant amounts per formula unit.
    pub fractions: String,
    pub max_dopants: usize,
    /// Relative Shannon radius mismatch allowed.
    pub radius_tolerance: f64,
    /// Symmetry tolerance, Å.
    pub symprec_ang: f64,
    pub anions_per_fu: Option<f64>,
    pub host_m_per_fu: Option<f64>,
    /// Lowest-Ewald orderings to realise per candidate (0 = none).
    pub orderings: usize,
    pub seed: u64,
    /// Also return the average model of every accepted candidate.
    pub structures: bool,
}

/// The JSON of `halo enumerate --json` (with `framework_file` = the framework's source and no
/// `written`), and the (id, average structure) pairs when asked for.
pub fn run(fw: &PyStructure, o: &EnumerateOptions) -> HResult<(Value, Vec<PyStructure>)> {
    let loaded = &fw.loaded;
    let site = loaded
        .resolve_site_label(&o.site)
        .unwrap_or_else(|| o.site.clone());
    let config = EnumerationConfig {
        framework_name: fw.name.clone(),
        site,
        dopants: o.dopants.clone(),
        fractions: parse_fraction_grid(&o.fractions)
            .context("--fractions")
            .kind(Kind::Parameter)?,
        max_dopants: o.max_dopants,
        radius_tolerance: o.radius_tolerance,
        symprec_ang: o.symprec_ang,
        anions_per_fu: o.anions_per_fu,
        host_m_per_fu: o.host_m_per_fu,
        ..EnumerationConfig::default()
    };
    let result = enumerate_candidates(&loaded.structure, &config)
        .with_context(|| format!("enumerating on {}", loaded.source_path))
        .kind(Kind::Parameter)?;
    let mut realiser = Realiser::new(&result);
    let mut orderings = Vec::new();
    let mut skipped = Vec::new();
    let mut structures = Vec::new();
    for c in &result.accepted {
        if o.structures {
            let avg = realiser.average_structure(c).kind(Kind::Evaluation)?;
            let text = halo_io::pmg_json::to_pymatgen_json(&avg);
            structures.push(PyStructure::parse_json(
                &text,
                Some(format!("{}_{}", c.id, c.formula)),
            )?);
        }
        if o.orderings > 0 {
            let opts = OrderingOptions {
                max_orderings: o.orderings,
                n_random: o.orderings,
                seed: o.seed,
                ..OrderingOptions::default()
            };
            match realiser.orderings(c, &opts) {
                Ok(r) => orderings.push(r),
                // as the CLI: the candidate is listed without orderings, with the reason
                Err(e @ halo_enumerate::EnumerateError::Incommensurate { .. }) => {
                    skipped.push(json!({"id": c.id, "formula": c.formula, "reason": e.to_string()}))
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("orderings of {} ({})", c.id, c.formula))
                        .kind(Kind::Evaluation)
                }
            }
        }
    }
    let mut v = serde_json::to_value(&result).kind(Kind::Internal)?;
    v["framework_file"] = json!(loaded.source_path);
    v["orderings"] = serde_json::to_value(&orderings).kind(Kind::Internal)?;
    if !skipped.is_empty() {
        v["orderings_skipped"] = json!(skipped);
    }
    Ok((v, structures))
}
