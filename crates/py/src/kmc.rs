//! `halo.kmc(s, ...)`: kinetic Monte Carlo of Li hopping on the BVSE site graph through
//! `halo_campaign::transport::evaluate` (the chain `halo kmc`, `halo validate` and campaigns
//! use), returning the dict of `halo kmc FILE --json`.

use crate::errors::{Failure, HResult, Kind};
use crate::model::ModelOptions;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What the run takes besides the model's options: another model's site energies and barriers,
/// or the grounding of the occupancies (`halo kmc --site-energies`, `--hop-barriers`,
/// `--ground-occupancies`).
pub struct SiteInputs {
    /// Site energies from another model.
    pub site_energies: Option<Arc<halo_io::site_energies::SiteEnergies>>,
    /// Migration barriers from another model.
    pub hop_barriers: Option<Arc<halo_io::site_energies::HopBarriers>>,
    /// Fit the partly occupied Li labels' energies to the file's occupancies first.
    pub ground_occupancies: bool,
    /// The temperature of those occupancies, K (`None`: the file's, else 300 K).
    pub grounding_temperature_k: Option<f64>,
}

/// Run the chain on `s` (`source`: the file name the CLI would print) and build the CLI's
/// JSON. A stop request abandons the kMC (the error is then [`Kind::Evaluation`] with the
/// `interrupted` message, and the caller raises the signal's exception instead).
pub fn run(
    loaded: &halo_io::LoadedStructure,
    source: &str,
    options: &ModelOptions,
    mobile_per_cell: Option<f64>,
    inputs: SiteInputs,
    stop: Arc<AtomicBool>,
) -> HResult<serde_json::Value> {
    let s = &loaded.structure;
    let (mut settings, mut calibration) = options
        .settings(mobile_per_cell)
        .map_err(|e| Failure::msg(Kind::Parameter, e.to_string()))?;
    settings.stop = Some(stop);
    settings.site_energies = inputs.site_energies;
    settings.hop_barriers = inputs.hop_barriers;
    if inputs.ground_occupancies {
        if settings.site_energies.is_some() {
            return Err(Failure::msg(
                Kind::Parameter,
                "ground_occupancies and site_energies both set the Li sites' energies: give one"
                    .to_string(),
            ));
        }
        halo_campaign::transport::grounding::enable(
            &mut settings,
            &mut calibration,
            inputs.grounding_temperature_k,
        )
        .map_err(|e| {
            Failure::msg(
                Kind::Parameter,
                e.replace("--grounding-temperature-k", "grounding_temperature_k"),
            )
        })?;
        halo_campaign::transport::grounding::use_file_temperature(
            &mut settings,
            Some(&mut calibration),
            loaded,
        );
    } else if inputs.grounding_temperature_k.is_some() {
        return Err(Failure::msg(
            Kind::Parameter,
            "grounding_temperature_k is the temperature of the grounding: give \
             ground_occupancies=True with it"
                .to_string(),
        ));
    }
    let tr = halo_campaign::transport::evaluate(s, &settings, |_| {})
        .map_err(|e| Failure::msg(Kind::Evaluation, format!("{source}: {e}")))?;
    let reader: Vec<String> = loaded.warnings_besides_charge().cloned().collect();
    Ok(halo_campaign::transport::kmc_json(
        &tr,
        &reader,
        source,
        &s.composition().reduced_formula(),
        &settings,
        &calibration,
    ))
}
