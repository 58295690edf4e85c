//! `halo.eval(s, workflow=None, seed=None)`: one structure through every stage (landscape,
//! site graph, kMC, filters) with `halo_campaign::pipeline::evaluate_structure`, returning the
//! dict of `halo eval FILE --json`.

use crate::errors::{Classify, Failure, HResult, Kind};
use crate::structure::PyStructure;
use halo_campaign::config::{self, BvseSection, KmcSection};
use halo_campaign::pipeline::{evaluate_structure, Sink, StageSettings, Target};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Evaluate `s` with the stage settings of `workflow` (default: the workflow defaults) and the
/// kMC `seed` (default: derived from the structure's id as `halo eval` derives it).
pub fn run(
    s: &PyStructure,
    workflow: Option<&Path>,
    seed: Option<u64>,
    stop: Arc<AtomicBool>,
) -> HResult<serde_json::Value> {
    let id = &s.digest_id;
    let seed = seed.unwrap_or_else(|| halo_campaign::shard::candidate_seed(0, id));
    let (bvse, kmc, filters) = match workflow {
        Some(p) => {
            let lw = config::load_unchecked(p).kind(Kind::Campaign)?;
            (lw.workflow.bvse, lw.workflow.kmc, lw.workflow.filters)
        }
        None => (
            BvseSection::default(),
            KmcSection::default(),
            halo_filters::RankConfig::default(),
        ),
    };
    let st = s.structure();
    let z = halo_io::charge::formula_units(st);
    let formula = st.composition().scaled(1.0 / z).reduced_formula();
    let mut timings = BTreeMap::new();
    let mut details = BTreeMap::new();
    let result = evaluate_structure(
        st,
        Target {
            id,
            formula: &formula,
            framework: &s.name,
        },
        StageSettings {
            bvse: &bvse,
            kmc: &kmc,
            stop: Some(&stop),
        },
        seed,
        Sink {
            progress: None,
            timings: &mut timings,
            details: &mut details,
        },
    );
    let m = result.map_err(|(stage, reason)| {
        Failure::msg(
            Kind::Evaluation,
            format!("{}: stage {stage} failed: {reason}", s.loaded.source_path),
        )
    })?;
    let ranking =
        halo_filters::rank(std::slice::from_ref(&m.ranking), &filters).kind(Kind::Parameter)?;
    // as `halo eval --json`: the reader's findings, then the chain's
    let chain_warnings: Vec<String> = details
        .get("warnings")
        .and_then(|w| serde_json::from_value::<Vec<String>>(w.clone()).ok())
        .unwrap_or_default();
    let warnings: Vec<String> = s
        .loaded
        .warnings_besides_charge()
        .cloned()
        .chain(chain_warnings)
        .collect();
    Ok(json!({
        "file": s.loaded.source_path,
        "id": id,
        "seed": seed,
        "formula": formula,
        "warnings": warnings,
        "filters_applied": filters.has_filters(),
        "metrics": m,
        "passed_filters": ranking.rows[0].passed,
        "failed_filters": ranking.rows[0].failed_filters,
        "details": details,
        "timings_s": timings,
    }))
}
