//! Site energies grounded in the refinement's occupancies (`halo kmc --ground-occupancies`;
//! docs/physics.md §9.15).
//!
//! A refinement that finds Li on several partly occupied sites (the spinels' 8a, 16c and 48f, the
//! monoclinic 4g and 4h) measured how the Li distribute over them at the temperature of the
//! diffraction. In equilibrium that distribution is set by the sites' relative energies: for
//! non-interacting Li, n_l / n_m = (N_l / N_m)·exp(−(E_l − E_m)/k_BT) at the dilute end and, in
//! general, by the lattice gas's statistics. BVSE gets those relative energies wrong by 0.1–0.2 eV
//! exactly there (§9.4: the seed spinels' 8a empty), while the occupancies need them to about
//! k_BT. Grounding inverts the model's own statistics: one energy shift per Li label of the file,
//! fitted so that the kMC's equilibrium occupancies at the refinement temperature
//! distribute the ions over those labels as the file does. It uses the structure file only (no
//! conductivity), the shifts are reported, and every hop keeps its E_KRA (the shifts go on the
//! network as a `shift_ev` site-energy table, [`super::site_energies::apply`]).
//!
//! **What is fitted.** The Li labels of the file with an occupancy of at least
//! [`MIN_TARGET_OCCUPANCY`] and minima in the network — a label shared with a framework cation
//! too where the model makes its Li mobile (the explicit model: each realisation gives the site
//! to Li or to the cation, and the Li sites are its minima; the averaged model keeps such Li in
//! the framework) — when at least one Li-only label is partly occupied (below
//! [`super::sublattice::FULL_SITE_OCCUPANCY`]); a file whose every Li label is full gives no
//! distribution to fit (docs/physics.md §9.12) and runs unchanged. The file's ion count on the
//! labels need not be the model's (a split position without a minimum, Li on minima the file
//! does not list), so the fit matches their *shares*: f_l = N_l·o_l / Σ_m N_m·o_m (N_l the
//! file's sites per cell, o_l the refined occupancy), with share-matched targets t_l = f_l·n_g / M_l (n_g: the model's ions on the
//! fitted labels, M_l the label's minima per cell; a label whose share asks more than full is
//! full and the others share the rest, [`targets`]). The label with the largest share keeps its
//! landscape energy (the gauge; a partly occupied one: a full label's occupancy barely answers its
//! energy); each other label outside the tolerance has its shift updated by
//! Δδ_l = λ_l·k_BT·{[logit(o_l) − logit(t_l)] − [logit(o_ref) − logit(t_ref)]}, o the model's
//! occupancy — the lattice gas's Fermi–Dirac statistics at a common chemical potential, which
//! cancels, so the step is exact for non-interacting Li (tested); λ_l halves whenever the error
//! of label l changes sign, for the steeper, cooperative response of interacting Li; |Δδ_l| ≤
//! [`MAX_STEP_EV`]. The fit stops when every label's occupancy is within the tolerance of its
//! target, or at the iteration cap, and says which. Labels below the range or without minima are
//! listed with the reason and keep their landscape energies; so do minima the file does not list
//! (the shares say nothing about them).
//!
//! Each evaluation of the occupancies is the model's own chain at the one temperature (its seeds:
//! common random numbers from iteration to iteration), so the shifts belong to the model that
//! runs (the averaged and the explicit model need different ones). The landscapes and networks
//! are built once, at the first evaluation, and kept for the others and for the run that follows
//! ([`super::cache`]): only the site-energy table and the kMC change between them.

use super::cache::NetworkCache;
use super::{TransportError, TransportSettings};
use halo_core::{Element, Structure, K_B_EV_PER_K};
use halo_io::site_energies::{SiteEnergies, SiteEnergyKind, SiteEnergyRow, SiteRef};
use serde::{Deserialize, Serialize};

/// Smallest refined occupancy a label is fitted to. Below it a refined Li occupancy is of the
/// size of its esd, and such labels are mostly split positions on a path (the spinels' 48f, 0.008–
/// 0.028, between 8a and 16c), whose minima the network contracts or merges: their share cannot
/// be matched minimum by minimum.
pub const MIN_TARGET_OCCUPANCY: f64 = 0.05;

/// Occupancies are kept this far from 0 and 1 in the update's logit.
const OCCUPANCY_CLIP: f64 = 1e-3;

/// Largest change of one shift in one iteration, eV.
pub const MAX_STEP_EV: f64 = 0.1;

/// The grounding temperature when neither the caller nor the structure file gives one, K: the
/// bundled refinements are room-temperature neutron data.
pub const DEFAULT_TEMPERATURE_K: f64 = 300.0;

/// Where the grounding temperature came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum TemperatureSource {
    /// Given by the caller (`--grounding-temperature-k`, the Python keyword).
    Given,
    /// The structure file's measurement temperature (CIF `_diffrn_ambient_temperature` or
    /// `_cell_measurement_temperature`).
    File {
        /// The file.
        path: String,
        /// The tag.
        tag: String,
        /// Its line.
        line: usize,
    },
    /// Neither: [`DEFAULT_TEMPERATURE_K`].
    #[default]
    Default,
}

impl TemperatureSource {
    /// A few words for text outputs.
    pub fn describe(&self) -> String {
        match self {
            TemperatureSource::Given => "given".into(),
            TemperatureSource::File { tag, line, .. } => {
                format!("the file's {tag}, line {line}")
            }
            TemperatureSource::Default => {
                "the default: no measurement temperature read from the file".into()
            }
        }
    }
}

/// How the occupancies are grounded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroundingSettings {
    /// Temperature the occupancies were measured at, K: the fit puts the model's equilibrium
    /// occupancies at it onto the file's.
    pub temperature_k: f64,
    /// Where `temperature_k` came from.
    #[serde(default)]
    pub temperature_source: TemperatureSource,
    /// Largest |occupancy − target| accepted on every fitted label.
    pub tolerance: f64,
    /// Iteration cap.
    pub max_iterations: usize,
}

impl Default for GroundingSettings {
    fn default() -> Self {
        GroundingSettings {
            temperature_k: DEFAULT_TEMPERATURE_K,
            temperature_source: TemperatureSource::Default,
            tolerance: 0.02,
            max_iterations: 15,
        }
    }
}

/// Turn the grounding on in `settings` and record it in the run's `calibration` record (`halo
/// kmc --ground-occupancies`, `halo.kmc(..., ground_occupancies=True)`). `temperature_k` is the
/// caller's (`--grounding-temperature-k`); without it the run uses the structure file's
/// measurement temperature ([`use_file_temperature`], once the file is read), else
/// [`DEFAULT_TEMPERATURE_K`]. The error names the flag.
pub fn enable(
    settings: &mut TransportSettings,
    calibration: &mut serde_json::Value,
    temperature_k: Option<f64>,
) -> Result<(), String> {
    if let Some(t) = temperature_k {
        // the grounding temperature is a temperature of the kMC
        let max = halo_kmc::MAX_TEMPERATURE_K;
        if !(t.is_finite() && t > 0.0 && t < max) {
            return Err(format!(
                "--grounding-temperature-k: {t} K is not in (0, {max:e})"
            ));
        }
    }
    let g = GroundingSettings {
        temperature_k: temperature_k.unwrap_or(DEFAULT_TEMPERATURE_K),
        temperature_source: match temperature_k {
            Some(_) => TemperatureSource::Given,
            None => TemperatureSource::Default,
        },
        ..GroundingSettings::default()
    };
    record(calibration, &g);
    settings.grounding = Some(g);
    Ok(())
}

/// With the grounding on and no temperature given, take the structure file's measurement
/// temperature (`halo_io::LoadedStructure::measurement_temperature`) and record it in the run's
/// `calibration` record when there is one (`halo validate` runs many files under one record:
/// each row's grounding report says which temperature it used); otherwise nothing changes.
/// Called by `halo kmc`, `halo validate` (per file) and `halo.kmc` after reading the structure.
pub fn use_file_temperature(
    settings: &mut TransportSettings,
    calibration: Option<&mut serde_json::Value>,
    loaded: &halo_io::LoadedStructure,
) {
    let (Some(g), Some(t)) = (settings.grounding.as_mut(), &loaded.measurement_temperature) else {
        return;
    };
    if g.temperature_source == TemperatureSource::Given {
        return;
    }
    g.temperature_k = t.temperature_k;
    g.temperature_source = TemperatureSource::File {
        path: loaded.source_path.clone(),
        tag: t.tag.clone(),
        line: t.line,
    };
    if let Some(c) = calibration {
        record(c, g);
    }
}

/// The run's `calibration.grounding` record.
fn record(calibration: &mut serde_json::Value, g: &GroundingSettings) {
    calibration["grounding"] = serde_json::json!({
        "settings": g,
        "source": "--ground-occupancies: Li-site energies fitted to the structure file's \
                   occupancies (no conductivity; docs/physics.md §9.15)",
    });
}

/// A label the fit moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroundedLabel {
    /// The structure file's label.
    pub label: String,
    /// Its minima per structure cell in the model's network (a mixed site's: those the
    /// realisations give to Li).
    pub sites_per_cell: f64,
    /// The refined occupancy of the sites Li can hold (Li / (1 − other cations) on a mixed
    /// site).
    pub refined_occupancy: f64,
    /// The Li occupancy as the file gives it (differs from `refined_occupancy` on a site shared
    /// with a framework cation).
    pub file_occupancy: f64,
    /// Its share of the file's ions on the fitted labels.
    pub refined_share: f64,
    /// The occupancy that share asks of the model's ions (t_l, see the module documentation).
    pub target_occupancy: f64,
    /// The model's occupancy at the last evaluation.
    pub occupancy: f64,
    /// The shift put on its minima, eV (0 for the gauge label).
    pub shift_ev: f64,
}

/// A Li label the fit left alone, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UngroundedLabel {
    /// The structure file's label.
    pub label: String,
    /// The refined occupancy of the mobile element.
    pub refined_occupancy: f64,
    /// Why it was not fitted.
    pub reason: String,
}

/// What the grounding did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroundingReport {
    /// The settings.
    pub settings: GroundingSettings,
    /// The fitted labels (the gauge first).
    pub labels: Vec<GroundedLabel>,
    /// The labels left alone.
    pub ungrounded: Vec<UngroundedLabel>,
    /// Evaluations of the occupancies.
    pub iterations: usize,
    /// Every fitted label within the tolerance.
    pub converged: bool,
    /// Why nothing was fitted, when the file gives no label to fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl GroundingReport {
    /// One line per fitted label and a status line, for text outputs.
    pub fn summary(&self) -> String {
        if self.labels.is_empty() {
            let mut s = format!(
                "occupancies not grounded: {}",
                self.note.as_deref().unwrap_or("no Li label to fit")
            );
            for u in &self.ungrounded {
                s += &format!(
                    "\n  {} (refined {:.3}): {}",
                    u.label, u.refined_occupancy, u.reason
                );
            }
            return s;
        }
        let mut s = format!(
            "occupancies grounded at {} K ({}; {} iterations, {}):",
            self.settings.temperature_k,
            self.settings.temperature_source.describe(),
            self.iterations,
            if self.converged {
                format!("within {} of the targets", self.settings.tolerance)
            } else {
                format!("NOT within {} of the targets", self.settings.tolerance)
            }
        );
        for l in &self.labels {
            let refined = if (l.file_occupancy - l.refined_occupancy).abs() > 1e-9 {
                format!(
                    "refined {:.3} of the sites left to Li, {:.3} in the file",
                    l.refined_occupancy, l.file_occupancy
                )
            } else {
                format!("refined {:.3}", l.refined_occupancy)
            };
            s += &format!(
                "\n  {}: shift {:+.3} eV, occupancy {:.3} (target {:.3}, {refined})",
                l.label, l.shift_ev, l.occupancy, l.target_occupancy
            );
        }
        for u in &self.ungrounded {
            s += &format!(
                "\n  {}: not fitted (refined {:.3}): {}",
                u.label, u.refined_occupancy, u.reason
            );
        }
        s
    }

    /// The shifts as a site-energy table (label rows, `shift_ev`).
    pub fn table(&self) -> SiteEnergies {
        let names: Vec<String> = self.labels.iter().map(|l| l.label.clone()).collect();
        let shifts: Vec<f64> = self.labels.iter().map(|l| l.shift_ev).collect();
        shift_table(&names, &shifts)
    }
}

/// A label of the structure file with its mobile-element occupancy, counted as the network
/// counts it.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelOccupancy {
    /// The label.
    pub label: String,
    /// The file's sites per cell carrying it.
    pub file_sites_per_cell: usize,
    /// The mobile element's occupancy in the file (a label's sites share it).
    pub refined_occupancy: f64,
    /// Occupancy of the other cations on the site (0 for a Li-only site).
    pub cation_occupancy: f64,
    /// The mobile element's occupancy of the room the other cations leave:
    /// refined / (1 − cation occupancy).
    pub occupancy: f64,
}

/// The mobile element's labels of `structure`, in file order.
pub fn label_occupancies(structure: &Structure, element: Element) -> Vec<LabelOccupancy> {
    let mut out: Vec<LabelOccupancy> = Vec::new();
    for site in &structure.sites {
        let occ = site.occupancy_of(element);
        let Some(label) = site.label.as_ref() else {
            continue;
        };
        if occ <= 0.0 {
            continue;
        }
        let cations: f64 = site
            .species
            .iter()
            .filter(|(sp, _)| sp.element != element && !sp.element.is_halogen())
            .map(|(_, o)| o)
            .sum();
        let room = (1.0 - cations).max(occ);
        match out.iter_mut().find(|l| &l.label == label) {
            Some(l) => l.file_sites_per_cell += 1,
            None => out.push(LabelOccupancy {
                label: label.clone(),
                file_sites_per_cell: 1,
                refined_occupancy: occ,
                cation_occupancy: cations,
                occupancy: (occ / room).min(1.0),
            }),
        }
    }
    out
}

/// What the model did with one fitted label at one evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelState {
    /// Ions per cell on the label's minima.
    pub ions_per_cell: f64,
    /// The label's minima per cell.
    pub sites_per_cell: f64,
}

/// Fit the shifts of the labels whose refined ions per cell are `refined_ions` (the first is the
/// gauge and keeps 0) so that `evaluate(shifts)` — the model's ions and sites on those labels,
/// in the same order — distributes its ions as the refinement does (module documentation).
/// Returns the shifts, the last evaluation, the evaluations made and whether it converged.
pub fn fit_shifts<E>(
    refined_ions: &[f64],
    settings: &GroundingSettings,
    mut evaluate: impl FnMut(&[f64]) -> Result<Vec<LabelState>, E>,
) -> Result<(Vec<f64>, Vec<LabelState>, usize, bool), E> {
    let n = refined_ions.len();
    let kt = K_B_EV_PER_K * settings.temperature_k;
    let total: f64 = refined_ions.iter().sum();
    let share: Vec<f64> = refined_ions.iter().map(|x| x / total).collect();
    let mut shifts = vec![0.0; n];
    let mut damping = vec![1.0; n];
    let mut last_error = vec![0.0; n];
    let mut iterations = 0;
    loop {
        let state = evaluate(&shifts)?;
        iterations += 1;
        let model_total: f64 = state.iter().map(|x| x.ions_per_cell).sum();
        let error = occupancy_errors(&share, &state);
        let converged = error.iter().all(|e| e.abs() <= settings.tolerance);
        if converged || iterations >= settings.max_iterations || model_total <= 0.0 {
            return Ok((shifts, state, iterations, converged));
        }
        // the lattice gas's own statistics: o = 1/(1 + exp((E − μ)/k_BT)), so
        // logit(o) − logit(t) is the energy error over k_BT of a label at the common μ, and its
        // difference to the gauge's is free of μ (clipped away from 0 and 1: a full or empty label
        // moves by at most the step cap)
        let logit = |o: f64| {
            let o = o.clamp(OCCUPANCY_CLIP, 1.0 - OCCUPANCY_CLIP);
            (o / (1.0 - o)).ln()
        };
        let target = targets(&share, &state);
        let gap = |l: usize| {
            logit(state[l].ions_per_cell / state[l].sites_per_cell.max(1e-12)) - logit(target[l])
        };
        let gauge = gap(0);
        for l in 1..n {
            if error[l].abs() <= settings.tolerance {
                // within the tolerance: left where it is (a full label's target cannot be
                // overshot, and stepping it would only drift its energy)
                last_error[l] = error[l];
                continue;
            }
            if error[l] * last_error[l] < 0.0 {
                damping[l] *= 0.5;
            }
            last_error[l] = error[l];
            let step = damping[l] * kt * (gap(l) - gauge);
            shifts[l] += step.clamp(-MAX_STEP_EV, MAX_STEP_EV);
        }
    }
}

/// The share-matched target occupancy of each label: its refined share of the model's ions on
/// the fitted labels, over its minima, with no label above full — a label whose share asks more
/// than its minima hold is full, and the rest of the ions are shared out among the others in the
/// same proportions (water-filling).
pub fn targets(share: &[f64], state: &[LabelState]) -> Vec<f64> {
    let total: f64 = state.iter().map(|x| x.ions_per_cell).sum();
    let sites = |l: usize| state[l].sites_per_cell.max(1e-12);
    let mut full = vec![false; share.len()];
    loop {
        let held: f64 = (0..share.len()).filter(|&l| full[l]).map(sites).sum();
        let free_share: f64 = (0..share.len())
            .filter(|&l| !full[l])
            .map(|l| share[l])
            .sum();
        let t: Vec<f64> = (0..share.len())
            .map(|l| {
                if full[l] {
                    1.0
                } else if free_share > 0.0 {
                    share[l] / free_share * (total - held).max(0.0) / sites(l)
                } else {
                    0.0
                }
            })
            .collect();
        let over: Vec<usize> = (0..share.len())
            .filter(|&l| !full[l] && t[l] > 1.0)
            .collect();
        if over.is_empty() {
            return t;
        }
        for l in over {
            full[l] = true;
        }
    }
}

/// Occupancy minus target per label ([`targets`]).
fn occupancy_errors(share: &[f64], state: &[LabelState]) -> Vec<f64> {
    state
        .iter()
        .zip(targets(share, state))
        .map(|(x, t)| x.ions_per_cell / x.sites_per_cell.max(1e-12) - t)
        .collect()
}

/// Ground `structure`'s Li labels in the settings' model (module documentation).
pub fn ground(
    structure: &Structure,
    settings: &TransportSettings,
    grounding: &GroundingSettings,
    cache: &NetworkCache,
) -> Result<GroundingReport, TransportError> {
    let element = settings.bvse.mobile_ion.element;
    let labels = label_occupancies(structure, element);
    let mut ungrounded: Vec<UngroundedLabel> = Vec::new();
    let not_fitted = |l: &LabelOccupancy, reason: &str| UngroundedLabel {
        label: l.label.clone(),
        refined_occupancy: l.refined_occupancy,
        reason: reason.into(),
    };
    // a partly occupied Li-only label: the file's distribution to fit (a mixed site is full
    // with its cation, however its Li share reads)
    let partial = |l: &LabelOccupancy| {
        l.cation_occupancy == 0.0
            && l.occupancy >= MIN_TARGET_OCCUPANCY
            && l.occupancy < super::sublattice::FULL_SITE_OCCUPANCY
    };
    if labels.is_empty() {
        return Ok(GroundingReport {
            settings: grounding.clone(),
            labels: Vec::new(),
            ungrounded: Vec::new(),
            iterations: 0,
            converged: true,
            note: Some(
                "the file's Li sites carry no labels (a POSCAR has none): there are no refined \
                 occupancies to match"
                    .into(),
            ),
        });
    }
    if !labels.iter().any(partial) {
        return Ok(GroundingReport {
            settings: grounding.clone(),
            labels: Vec::new(),
            ungrounded: labels
                .iter()
                .map(|l| {
                    not_fitted(
                        l,
                        "every Li site of the file is full: it gives no distribution to fit",
                    )
                })
                .collect(),
            iterations: 0,
            converged: true,
            note: None,
        });
    }
    let mut candidates: Vec<&LabelOccupancy> = Vec::new();
    for l in &labels {
        if l.occupancy < MIN_TARGET_OCCUPANCY {
            ungrounded.push(not_fitted(l, "occupancy below the fitted range"));
        } else {
            candidates.push(l);
        }
    }
    // the model's ions and sites on `names` at the grounding temperature, with `shifts` on
    // them (all zero: the landscape's energies); `None` for a label no minimum carries
    let mut probe = settings.clone();
    probe.kmc.temperatures_k = vec![grounding.temperature_k];
    probe.site_energies = None;
    let run =
        |shifts: &[f64], names: &[String]| -> Result<Vec<Option<LabelState>>, TransportError> {
            let mut s = probe.clone();
            if shifts.iter().any(|&v| v != 0.0) {
                s.site_energies = Some(std::sync::Arc::new(shift_table(names, shifts)));
            }
            let tr = super::evaluate_model(structure, &s, cache, |_| {}).map_err(|mut e| {
                if !e.interrupted {
                    // the evaluation runs at the grounding temperature, not the run's: say so
                    e.message = format!(
                        "grounding the occupancies at {} K ({}): {} (--grounding-temperature-k \
                         sets the temperature of the refined occupancies)",
                        grounding.temperature_k,
                        grounding.temperature_source.describe(),
                        e.message
                    );
                }
                e
            })?;
            let t = tr.kmc.temperatures.first().ok_or_else(|| TransportError {
                stage: "kmc",
                interrupted: false,
                message: "grounding: the kMC returned no temperature".into(),
            })?;
            Ok(names
                .iter()
                .map(|name| {
                    t.occupancies
                        .iter()
                        .find(|o| &o.label == name && o.sites_per_cell > 0)
                        .map(|o| LabelState {
                            ions_per_cell: o.ions_per_cell,
                            sites_per_cell: o.sites_per_cell as f64,
                        })
                })
                .collect())
        };
    let names: Vec<String> = candidates.iter().map(|l| l.label.clone()).collect();
    let first = run(&vec![0.0; names.len()], &names)?;
    let mut fitted: Vec<(&LabelOccupancy, LabelState)> = Vec::new();
    for (l, state) in candidates.iter().zip(&first) {
        match state {
            Some(x) => fitted.push((l, *x)),
            None if l.cation_occupancy > 0.0 => ungrounded.push(not_fitted(
                l,
                "shares its site with a framework cation, whose Li this model keeps in the \
                 framework (no minimum carries it)",
            )),
            None => ungrounded.push(not_fitted(l, "no minimum of the network carries it")),
        }
    }
    // the gauge: the partly occupied label with the most of the file's ions (a full label's
    // occupancy barely answers its energy, so it cannot anchor the others), then by ions
    let ions = |l: &LabelOccupancy| l.file_sites_per_cell as f64 * l.refined_occupancy;
    fitted.sort_by(|a, b| {
        partial(b.0)
            .cmp(&partial(a.0))
            .then(ions(b.0).total_cmp(&ions(a.0)))
    });
    if fitted.len() < 2 || !fitted.iter().any(|(l, _)| partial(l)) {
        for (l, _) in fitted {
            ungrounded.push(not_fitted(
                l,
                "no partly occupied Li label besides it carries minima: nothing to distribute",
            ));
        }
        return Ok(GroundingReport {
            settings: grounding.clone(),
            labels: Vec::new(),
            ungrounded,
            iterations: 0,
            converged: true,
            note: None,
        });
    }
    let names: Vec<String> = fitted.iter().map(|(l, _)| l.label.clone()).collect();
    let refined: Vec<f64> = fitted.iter().map(|(l, _)| ions(l)).collect();
    let mut at_zero = Some(fitted.iter().map(|(_, x)| *x).collect::<Vec<_>>());
    let (shifts, state, iterations, converged) = fit_shifts(&refined, grounding, |sh| {
        if sh.iter().all(|&v| v == 0.0) {
            if let Some(x) = at_zero.take() {
                return Ok(x);
            }
        }
        Ok::<_, TransportError>(
            run(sh, &names)?
                .into_iter()
                .map(|x| {
                    x.unwrap_or(LabelState {
                        ions_per_cell: 0.0,
                        sites_per_cell: 0.0,
                    })
                })
                .collect(),
        )
    })?;
    let total: f64 = refined.iter().sum();
    let shares: Vec<f64> = refined.iter().map(|x| x / total).collect();
    let target = targets(&shares, &state);
    let labels = fitted
        .iter()
        .zip(shifts.iter().zip(&state).zip(&target))
        .map(|((l, _), ((&shift, x), &t))| {
            let share = ions(l) / total;
            GroundedLabel {
                label: l.label.clone(),
                sites_per_cell: x.sites_per_cell,
                refined_occupancy: l.occupancy,
                file_occupancy: l.refined_occupancy,
                refined_share: share,
                target_occupancy: t,
                occupancy: x.ions_per_cell / x.sites_per_cell.max(1e-12),
                shift_ev: shift,
            }
        })
        .collect();
    Ok(GroundingReport {
        settings: grounding.clone(),
        labels,
        ungrounded,
        iterations,
        converged,
        note: None,
    })
}

/// Label rows with shifts (`shift_ev`), the form the chain puts on its network.
fn shift_table(names: &[String], shifts: &[f64]) -> SiteEnergies {
    SiteEnergies {
        path: "(occupancies grounded in the structure file)".into(),
        kind: SiteEnergyKind::Shift,
        rows: names
            .iter()
            .zip(shifts)
            .enumerate()
            .map(|(i, (name, &v))| SiteEnergyRow {
                line: i + 1,
                site: SiteRef::Label(name.clone()),
                value_ev: v,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(ions: f64, sites: f64) -> LabelState {
        LabelState {
            ions_per_cell: ions,
            sites_per_cell: sites,
        }
    }

    /// A non-interacting lattice gas on two kinds of site at a fixed count: Fermi–Dirac
    /// occupancies o_l = 1/(1 + exp((E_l − μ)/k_BT)), μ set by the count. The fit must recover
    /// the energy difference that reproduces the refined distribution.
    #[test]
    fn the_fit_recovers_a_two_level_systems_energy() {
        // a tolerance far below any occupancy: the fit must find the root
        let settings = GroundingSettings {
            tolerance: 1e-10,
            ..GroundingSettings::default()
        };
        let kt = K_B_EV_PER_K * settings.temperature_k;
        // label 1 lies 0.1 eV above label 0 in the "landscape", the refinement's distribution
        // says 0.02 eV below: the fit must shift it by −0.12 eV
        let (n0, n1, ions) = (16.0, 8.0, 6.0);
        let landscape = [0.0, 0.1];
        let truth = [0.0, -0.02];
        let fermi = |e: [f64; 2]| {
            let count = |mu: f64| {
                let o = e.map(|x| 1.0 / (1.0 + ((x - mu) / kt).exp()));
                (n0 * o[0] + n1 * o[1], o)
            };
            let (mut lo, mut hi) = (-2.0, 2.0);
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if count(mid).0 < ions {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let o = count(0.5 * (lo + hi)).1;
            [n0 * o[0], n1 * o[1]]
        };
        let refined = fermi(truth);
        let (shifts, last, iterations, converged) = fit_shifts::<()>(&refined, &settings, |sh| {
            let n = fermi([landscape[0] + sh[0], landscape[1] + sh[1]]);
            Ok(vec![state(n[0], n0), state(n[1], n1)])
        })
        .unwrap();
        assert!(converged);
        // one step capped at MAX_STEP_EV, one exact step, the check
        assert_eq!(iterations, 3, "{iterations} iterations");
        assert_eq!(shifts[0], 0.0);
        assert!((shifts[1] - (-0.12)).abs() < 1e-9, "{shifts:?}");
        assert!((last[1].ions_per_cell - refined[1]).abs() < 1e-9);
    }

    /// Interacting Li respond more steeply than the dilute gas (a cooperative switch): the halved
    /// steps still converge, to the root.
    #[test]
    fn a_steep_response_converges_by_halving_the_step() {
        let settings = GroundingSettings::default();
        let kt = K_B_EV_PER_K * settings.temperature_k;
        // occupancy of label 1 a logistic in its shift 20× steeper than the dilute gas's, label 0
        // takes the rest of a fixed count
        let (n0, n1, total) = (16.0, 8.0, 6.0);
        let model = |sh: &[f64]| {
            let x = -(sh[1] + 0.15) * 20.0 / kt;
            let o1 = 0.6 / (1.0 + (-x).exp());
            Ok::<_, ()>(vec![state(total - n1 * o1, n0), state(n1 * o1, n1)])
        };
        // refined: label 1 at 0.3 (2.4 ions), label 0 the rest
        let (shifts, last, _, converged) =
            fit_shifts(&[total - 2.4, 2.4], &settings, model).unwrap();
        assert!(converged, "{shifts:?} {last:?}");
        assert!((last[1].ions_per_cell / n1 - 0.3).abs() <= settings.tolerance);
        assert!((shifts[1] + 0.15).abs() < 0.01, "{shifts:?}");
    }

    /// The fit runs the chain once per iteration and the run after it once more: the landscape
    /// and network are built at the first evaluation and kept (`super::super::cache`), the run
    /// takes the last evaluation's kMC replicas at the grounding temperature, and it equals a
    /// run that builds and runs everything afresh, to the bit.
    #[test]
    fn the_fit_builds_the_landscape_once_and_the_kept_one_gives_the_same_run() {
        use crate::transport::options::ModelOptions;
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"
        );
        let s = halo_io::read_structure(std::path::Path::new(path))
            .unwrap()
            .structure;
        let opts = ModelOptions {
            temperatures_k: Some(vec![300.0, 400.0]),
            replicas: 1,
            blocks: 4,
            ..ModelOptions::default()
        };
        let (mut settings, _) = opts.settings(None).unwrap();
        let g = GroundingSettings::default();
        settings.grounding = Some(g.clone());
        let cache = NetworkCache::default();
        let report = ground(&s, &settings, &g, &cache).unwrap();
        assert!(report.iterations >= 2, "{}", report.summary());
        assert_eq!(cache.builds(), 1, "one landscape for every iteration");
        let reused = cache.replicas().reused();
        let mut shifted = settings.clone();
        shifted.site_energies = Some(std::sync::Arc::new(report.table()));
        let kept = super::super::evaluate_model(&s, &shifted, &cache, |_| {}).unwrap();
        assert_eq!(cache.builds(), 1, "the run after the fit builds nothing");
        let at_300 = kept
            .kmc
            .stopping
            .as_ref()
            .map_or(kept.kmc.params.replicas, |r| r.replicas_per_temperature[0]);
        assert_eq!(
            cache.replicas().reused() - reused,
            at_300,
            "the run takes the last evaluation's replicas at 300 K"
        );
        let fresh =
            super::super::evaluate_model(&s, &shifted, &NetworkCache::default(), |_| {}).unwrap();
        assert_eq!(kept.kmc.temperatures.len(), 2);
        assert_eq!(
            serde_json::to_string(&kept.kmc).unwrap(),
            serde_json::to_string(&fresh.kmc).unwrap()
        );
    }
}
