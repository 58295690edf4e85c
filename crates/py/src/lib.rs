//! `halo._halo`: the Rust half of the `halo` Python package. Each function converts its
//! Python arguments, calls the library crates (the one implementation) and converts the result;
//! dicts carry the numbers of the CLI's `--json` output with the same keys and units, so a
//! Python result and a CLI result for the same input and seed are equal bit for bit.
//!
//! Long calls release the GIL and stop on Ctrl-C ([`run`]); every error is a `halo.HaloError`
//! with the CLI's message ([`errors`]); a panic becomes `halo.InternalError`.

mod args;
mod bvse;
mod campaign;
mod enumerate;
mod errors;
mod eval;
mod inspect;
mod kmc;
mod model;
mod run;
mod stability;
mod structure;

use crate::args::{whole, whole_opt};
use crate::errors::{guard, Failure, Kind};
use crate::structure::{coerce, loads, PyStructure};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// A dict (or list, number, …) from a JSON value, through `json.loads`: floats round-trip
/// exactly (serde_json writes the shortest representation that parses back to the same f64).
fn to_py<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    loads(py, &v.to_string())
}

/// The first of two alias keywords that is given; both given is an error.
fn alias<T>(
    name: &str,
    value: Option<T>,
    alias: &str,
    alias_value: Option<T>,
) -> PyResult<Option<T>> {
    match (value, alias_value) {
        (Some(_), Some(_)) => Err(Failure::msg(
            Kind::Parameter,
            format!("give {name} or its alias {alias}, not both"),
        )
        .into()),
        (a, b) => Ok(a.or(b)),
    }
}

/// Inspect a structure: the dict of `halo inspect FILE --json` (formula, space group, cell in
/// Å and degrees, volume Å³, density g/cm³, oxidation states, net charge e, sites with Wyckoff
/// positions and nearest-anion distance Å, warnings). `symprec`: symmetry tolerance, Å.
#[pyfunction]
#[pyo3(name = "inspect")]
#[pyo3(signature = (structure, symprec = 0.01))]
fn py_inspect<'py>(structure: &Bound<'py, PyAny>, symprec: f64) -> PyResult<Bound<'py, PyAny>> {
    let py = structure.py();
    let s = coerce(structure)?;
    let v = inspect::inspect(s.get(), symprec)?;
    to_py(py, &v)
}

/// BVSE landscape, exact 1D/2D/3D percolation barriers and the Li-site graph of a structure
/// (`halo bvse FILE --json`). `resolution_ang` (alias `resolution`): grid spacing, Å, default
/// 0.2; `mode`: `default` or `bvlain`; `mobile_ion`: e.g. `Li+`; `cluster_radius`: minima whose
/// basins meet within this distance form one site, Å; `screening_factor`: f of the Coulomb term
/// (`--screening-factor`, 0.74). Returns a `halo.BvseResult`; the energy
/// grid (absolute eV) is handed to numpy without a copy.
#[pyfunction]
#[pyo3(name = "bvse")]
#[pyo3(signature = (structure, resolution_ang = None, mode = "default", mobile_ion = "Li+",
                    cluster_radius = 0.5, *, resolution = None,
                    screening_factor = 0.74))]
fn py_bvse<'py>(
    structure: &Bound<'py, PyAny>,
    resolution_ang: Option<f64>,
    mode: &str,
    mobile_ion: &str,
    cluster_radius: f64,
    resolution: Option<f64>,
    screening_factor: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let py = structure.py();
    let s = coerce(structure)?;
    let res = alias("resolution_ang", resolution_ang, "resolution", resolution)?
        .unwrap_or(halo_bvse::DEFAULT_RESOLUTION_ANG);
    let params = guard(|| bvse::params(res, mode, mobile_ion, screening_factor))?;
    let st = s.get();
    let out = run::detached(py, || {
        guard(|| {
            bvse::run(
                st.structure(),
                &st.loaded.source_path,
                &st.loaded
                    .warnings_besides_charge()
                    .cloned()
                    .collect::<Vec<_>>(),
                &params,
                cluster_radius,
            )
        })
    })?;
    let grid = PyArray1::from_vec(py, out.energies_ev).reshape(out.shape)?;
    let cls = py.import("halo._results")?.getattr("BvseResult")?;
    cls.call1((to_py(py, &out.json)?, grid))
}

/// `"auto"` or three repetitions as the CLI's `--supercell` text.
fn supercell_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = obj.extract::<String>() {
        return Ok(s);
    }
    let v: Vec<i64> = obj.extract().map_err(|_| {
        PyErr::from(Failure::msg(
            Kind::Parameter,
            "--supercell must be `auto` or three integers a,b,c",
        ))
    })?;
    Ok(v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(","))
}

/// Kinetic Monte Carlo of Li hopping on the BVSE site graph, through the transport chain of
/// `halo kmc` with its defaults: D* and D_σ (cm²/s), Haven ratio, σ(T) ± SE (S/cm), Arrhenius
/// Ea ± SE (eV) and σ(300 K). Keywords as the CLI's flags: `temperatures_k` (alias
/// `temperatures`, K; default 300,350,400,450,500), `seed`, `supercell` (`"auto"` or `[a,b,c]`),
/// `mobile_ion`, `resolution_ang` (alias `resolution`, Å, default 0.2),
/// `model` (`"averaged"`, the default; or `"explicit"`: explicit configurations and interacting
/// Li), `pair_potential` (explicit model: `"bvse"`, the default, or `"yukawa"`),
/// `dielectric_constant` (explicit model with `pair_potential="yukawa"`, default calibrated),
/// `anion_saturation_ev` (explicit model: stiffness of the anions' bond-valence saturation,
/// eV/v.u.², default 0), `relax_anions` (averaged model: anions moved to the bond-valence GII
/// minimum before the landscape, default False), `relax_energy` (with `relax_anions`:
/// `"valence_sums"`, the GII, the default, or `"force_field"`),
/// `blocking_distance_ang` (alias `blocking_distance`, Å, default 1.6 explicit / 2.5 averaged),
/// `attempt_frequency_hz` (alias `attempt_frequency`, s⁻¹, default: the model's calibrated ν0),
/// `screening_factor` (the landscape's Coulomb screening f, default 0.74),
/// `replicas` (4), `max_replicas` (averaged model: cap of the stopping rule, default 4 ×
/// `replicas`), `target_rel_se` (the stopping rule's relative SE of σ(300 K), 0.2), `blocks`
/// (16), `hops_per_block` (hops per ion, 50), `equilibration` (hops per
/// ion, 100), `min_ions` (128), `mobile_per_cell` (default: from the composition),
/// `site_energies` (a CSV of site energies from another model, as `--site-energies`: rows
/// `site,energy_ev` or `site,shift_ev` by label or position; every hop keeps its E_KRA),
/// `hop_barriers` (a CSV `from,to,e_kra_ev` of migration barriers, as `--hop-barriers`),
/// `ground_occupancies` (fit the partly occupied Li sites' energies to the file's occupancies
/// before the run, as `--ground-occupancies`; docs/physics.md §9.15), `grounding_temperature_k`
/// (the temperature of those occupancies, K; default: the CIF's measurement temperature, else
/// 300 K), `metropolis_sweeps_per_ion` (Metropolis moves per ion before the kMC
/// equilibration; default 200 explicit, 0 averaged), `min_realisations` and `max_realisations`
/// (explicit model: fewest and most realisations of a disordered structure, 2 and 4),
/// `station_max_depth_ev` (landscape minima shallower than this between deeper sites are
/// stations of a hop, eV, 0.1). Integer keywords must be non-negative (`ParameterError`).
/// Returns a `halo.KmcResult` whose `to_dict()` equals `halo kmc FILE --json` for the same
/// seed (timings aside). Ctrl-C stops it (KeyboardInterrupt).
#[pyfunction]
#[pyo3(name = "kmc")]
#[pyo3(signature = (structure, temperatures_k = None, *, model = "averaged",
                    pair_potential = None, dielectric_constant = None, anion_saturation_ev = None,
                    relax_anions = false, relax_energy = None,
                    seed = 0, supercell = None,
                    mobile_ion = "Li+", resolution_ang = None, screening_factor = None,
                    blocking_distance_ang = None, attempt_frequency_hz = None,
                    replicas = 4, max_replicas = None, target_rel_se = None, blocks = 16,
                    hops_per_block = 50.0, equilibration = 100.0, min_ions = 128,
                    mobile_per_cell = None, site_energies = None, hop_barriers = None,
                    ground_occupancies = false, grounding_temperature_k = None,
                    metropolis_sweeps_per_ion = None, min_realisations = 2,
                    max_realisations = 4, station_max_depth_ev = 0.1,
                    temperatures = None, resolution = None, blocking_distance = None,
                    attempt_frequency = None))]
#[allow(clippy::too_many_arguments)]
fn py_kmc<'py>(
    structure: &Bound<'py, PyAny>,
    temperatures_k: Option<Vec<f64>>,
    model: &str,
    pair_potential: Option<String>,
    dielectric_constant: Option<f64>,
    anion_saturation_ev: Option<f64>,
    relax_anions: bool,
    relax_energy: Option<String>,
    seed: i128,
    supercell: Option<Bound<'py, PyAny>>,
    mobile_ion: &str,
    resolution_ang: Option<f64>,
    screening_factor: Option<f64>,
    blocking_distance_ang: Option<f64>,
    attempt_frequency_hz: Option<f64>,
    replicas: i128,
    max_replicas: Option<i128>,
    target_rel_se: Option<f64>,
    blocks: i128,
    hops_per_block: f64,
    equilibration: f64,
    min_ions: i128,
    mobile_per_cell: Option<f64>,
    site_energies: Option<PathBuf>,
    hop_barriers: Option<PathBuf>,
    ground_occupancies: bool,
    grounding_temperature_k: Option<f64>,
    metropolis_sweeps_per_ion: Option<f64>,
    min_realisations: i128,
    max_realisations: i128,
    station_max_depth_ev: f64,
    temperatures: Option<Vec<f64>>,
    resolution: Option<f64>,
    blocking_distance: Option<f64>,
    attempt_frequency: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = structure.py();
    let s = coerce(structure)?;
    let d = model::ModelOptions::default();
    let model = halo_campaign::transport::ConductivityModel::parse(model).ok_or_else(|| {
        PyErr::from(Failure::msg(
            Kind::Parameter,
            format!("model '{model}': expected \"explicit\" or \"averaged\""),
        ))
    })?;
    let pair_potential = pair_potential
        .as_deref()
        .map(halo_campaign::transport::PairPotential::parse)
        .transpose()
        .map_err(|e| PyErr::from(Failure::msg(Kind::Parameter, e.to_string())))?;
    let relax_energy = relax_energy
        .as_deref()
        .map(halo_campaign::transport::parse_relax_energy)
        .transpose()
        .map_err(|e| PyErr::from(Failure::msg(Kind::Parameter, e.to_string())))?;
    let options = model::ModelOptions {
        screening_factor,
        model,
        pair_potential,
        relax_energy,
        dielectric_constant,
        anion_saturation_ev,
        relax_anions,
        temperatures_k: alias(
            "temperatures_k",
            temperatures_k,
            "temperatures",
            temperatures,
        )?,
        seed: whole("seed", seed)?,
        supercell: match &supercell {
            Some(x) => supercell_text(x)?,
            None => d.supercell.clone(),
        },
        mobile_ion: mobile_ion.to_string(),
        resolution_ang: alias("resolution_ang", resolution_ang, "resolution", resolution)?
            .unwrap_or(d.resolution_ang),
        blocking_distance_ang: alias(
            "blocking_distance_ang",
            blocking_distance_ang,
            "blocking_distance",
            blocking_distance,
        )?,
        attempt_frequency_hz: alias(
            "attempt_frequency_hz",
            attempt_frequency_hz,
            "attempt_frequency",
            attempt_frequency,
        )?,
        replicas: whole("replicas", replicas)?,
        max_replicas: whole_opt("max_replicas", max_replicas)?,
        metropolis_sweeps_per_ion,
        ensemble: halo_campaign::transport::EnsembleSettings {
            target_rel_se: target_rel_se.unwrap_or(d.ensemble.target_rel_se),
            min_realisations: whole("min_realisations", min_realisations)?,
            max_realisations: whole("max_realisations", max_realisations)?,
            station_max_depth_ev,
            ..d.ensemble.clone()
        },
        blocks: whole("blocks", blocks)?,
        hops_per_block,
        equilibration,
        min_ions: whole("min_ions", min_ions)?,
    };
    // the file's errors name it and the line, as `halo kmc --site-energies` does
    let site_energies = site_energies
        .map(|p| halo_io::site_energies::read_site_energies(&p).map(Arc::new))
        .transpose()
        .map_err(|e| PyErr::from(Failure::msg(Kind::Parameter, e.to_string())))?;
    let hop_barriers = hop_barriers
        .map(|p| halo_io::site_energies::read_hop_barriers(&p).map(Arc::new))
        .transpose()
        .map_err(|e| PyErr::from(Failure::msg(Kind::Parameter, e.to_string())))?;
    let stop = Arc::new(AtomicBool::new(false));
    let st = s.get();
    let flag = stop.clone();
    let v = run::interruptible(py, &stop, || {
        guard(|| {
            kmc::run(
                &st.loaded,
                &st.loaded.source_path,
                &options,
                mobile_per_cell,
                kmc::SiteInputs {
                    site_energies: site_energies.clone(),
                    hop_barriers: hop_barriers.clone(),
                    ground_occupancies,
                    grounding_temperature_k,
                },
                flag,
            )
        })
    })?;
    let cls = py.import("halo._results")?.getattr("KmcResult")?;
    cls.call1((to_py(py, &v)?,))
}

/// The kMC network's Li sites as the rows of a site-energy file to fill in (`halo sites FILE
/// --json`): one per label of the structure file, one per symmetry orbit of the other minima
/// (`site`: `{"label": ...}` or `{"frac_coords": [...]}`), with the minima per cell and the
/// landscape's energy (eV; `relative_energy_ev` to the first row), and `csv`: the file as
/// `halo sites FILE` writes it. Compute the sites with another model, write their energies in the
/// file and pass it to `halo.kmc(..., site_energies=path)`. `resolution_ang` (Å, default 0.2),
/// `mobile_ion`, `screening_factor`: the landscape's settings, which the file belongs to.
#[pyfunction]
#[pyo3(name = "sites")]
#[pyo3(signature = (structure, *, resolution_ang = None, mobile_ion = "Li+",
                    screening_factor = None))]
fn py_sites<'py>(
    structure: &Bound<'py, PyAny>,
    resolution_ang: Option<f64>,
    mobile_ion: &str,
    screening_factor: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = structure.py();
    let s = coerce(structure)?;
    let d = model::ModelOptions::default();
    let options = model::ModelOptions {
        resolution_ang: resolution_ang.unwrap_or(d.resolution_ang),
        mobile_ion: mobile_ion.to_string(),
        screening_factor,
        ..d
    };
    let (settings, _) = options
        .settings(None)
        .map_err(|e| PyErr::from(Failure::msg(Kind::Parameter, e.to_string())))?;
    let st = s.get();
    let v = run::detached(py, || {
        guard(|| {
            let t = halo_campaign::transport::site_energies::SiteTemplate::of(
                st.structure(),
                &st.loaded.source_path,
                &settings,
            )
            .map_err(|e| {
                Failure::msg(Kind::Evaluation, format!("{}: {e}", st.loaded.source_path))
            })?;
            let mut v = serde_json::to_value(&t)
                .map_err(|e| Failure::msg(Kind::Internal, e.to_string()))?;
            v["csv"] = serde_json::Value::String(t.csv());
            Ok(v)
        })
    })?;
    to_py(py, &v)
}

/// One structure through every stage (landscape, site graph, kMC, filters) as `halo eval
/// FILE --json`: metrics (thresholds eV, σ S/cm, Ea eV, limits V vs Li⁺/Li, band gap eV, cost
/// USD/kg), filter verdicts, details and timings (s). `workflow`: take the [bvse], [kmc] and
/// [filters] settings from this workflow file; `seed`: kMC seed (default: from the input's id).
#[pyfunction]
#[pyo3(name = "eval")]
#[pyo3(signature = (structure, workflow = None, seed = None))]
fn py_eval<'py>(
    structure: &Bound<'py, PyAny>,
    workflow: Option<PathBuf>,
    seed: Option<i128>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = structure.py();
    let seed: Option<u64> = whole_opt("seed", seed)?;
    let s = coerce(structure)?;
    let stop = Arc::new(AtomicBool::new(false));
    let st = s.get();
    let flag = stop.clone();
    let v = run::interruptible(py, &stop, || {
        guard(|| eval::run(st, workflow.as_deref(), seed, flag))
    })?;
    to_py(py, &v)
}

/// `"0:0.666:0.111"`, or a list of amounts joined as the CLI's comma list.
fn fractions_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = obj.extract::<String>() {
        return Ok(s);
    }
    let v: Vec<f64> = obj.extract()?;
    Ok(v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(","))
}

/// Charge-balanced cation substitutions on a framework orbit (`halo enumerate --json`):
/// accepted candidates (id, formula, dopants per formula unit, Li change, radius mismatch,
/// estimated lattice in Å) and rejected ones with their reasons. `site`: CIF label, Wyckoff
/// symbol or letter; `dopants`: e.g. `["In", "Ce4+"]`; `fractions`: `"start:stop:step"` or a
/// list of amounts per formula unit; `radius_tolerance`: relative Shannon radius mismatch;
/// `symprec`: Å; `orderings`: lowest-Ewald orderings per candidate; `structures=True` adds
/// `"structures"`: the average model of each accepted candidate as `halo.Structure`, by id.
#[pyfunction]
#[pyo3(name = "enumerate")]
#[pyo3(signature = (framework, site, dopants, fractions, *,
                    max_dopants = 1, radius_tolerance = 0.15, symprec = 0.01, anions_per_fu = None,
                    host_m_per_fu = None, orderings = 0, seed = 0, structures = false))]
#[allow(clippy::too_many_arguments)]
fn py_enumerate<'py>(
    framework: &Bound<'py, PyAny>,
    site: String,
    dopants: Vec<String>,
    fractions: &Bound<'py, PyAny>,
    max_dopants: i128,
    radius_tolerance: f64,
    symprec: f64,
    anions_per_fu: Option<f64>,
    host_m_per_fu: Option<f64>,
    orderings: i128,
    seed: i128,
    structures: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let py = framework.py();
    if dopants.is_empty() {
        // as `halo enumerate --dopants ""`: an empty list would enumerate the host alone
        return Err(crate::errors::ParameterError::new_err(
            "dopants: empty list; give at least one dopant, e.g. [\"In\"] or [\"Zr4+\"]",
        ));
    }
    if orderings > halo_enumerate::realise::MAX_ORDERINGS as i128 {
        return Err(crate::errors::ParameterError::new_err(format!(
            "orderings {orderings}: at most {} orderings per candidate (each is a structure \
             kept; ask for the lowest few)",
            halo_enumerate::realise::MAX_ORDERINGS
        )));
    }
    let fw = coerce(framework)?;
    let o = enumerate::EnumerateOptions {
        site,
        dopants,
        fractions: fractions_text(fractions)?,
        max_dopants: whole("max_dopants", max_dopants)?,
        radius_tolerance,
        symprec_ang: symprec,
        anions_per_fu,
        host_m_per_fu,
        orderings: whole("orderings", orderings)?,
        seed: whole("seed", seed)?,
        structures,
    };
    let f = fw.get();
    let (v, made) = run::detached(py, || guard(|| enumerate::run(f, &o)))?;
    let out = to_py(py, &v)?;
    if structures {
        let d = pyo3::types::PyDict::new(py);
        for s in made {
            let id = s.name.split('_').next().unwrap_or_default().to_string();
            d.set_item(id, Py::new(py, s)?)?;
        }
        out.set_item("structures", d)?;
    }
    Ok(out)
}

/// Anodic and cathodic limits (V vs Li⁺/Li) at 298 K (ΔG) and 0 K-like (ΔH), the products at
/// each limit and the data rows used (`halo stability --json`). `composition`: a formula
/// (`"Li3InCl6"`, `"Li2Sc2/3Cl4"`), a pymatgen `Composition`, a `halo.Structure`, a pymatgen
/// `Structure` or a structure file path (its composition per formula unit);
/// `mix_mev_per_atom`: ternary term, meV/atom; `hull_tolerance_ev_per_atom`: an allowance above
/// the hull, eV/atom (0: the exact limits; at most 0.5).
#[pyfunction]
#[pyo3(name = "stability")]
#[pyo3(signature = (composition, mix_mev_per_atom = None,
                    hull_tolerance_ev_per_atom = 0.0))]
fn py_stability<'py>(
    composition: &Bound<'py, PyAny>,
    mix_mev_per_atom: Option<f64>,
    hull_tolerance_ev_per_atom: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let py = composition.py();
    let is_formula = |s: &str| {
        let p = std::path::Path::new(s);
        !(p.exists() || halo_io::Format::from_path(p).is_some())
    };
    let formula: Option<String> = if composition.cast::<PyStructure>().is_ok() {
        None
    } else if let Ok(s) = composition.extract::<String>() {
        is_formula(&s).then_some(s)
    } else if composition.hasattr("formula")? && !composition.hasattr("lattice")? {
        // a pymatgen Composition: "Li3 In1 Cl6"
        let f: String = composition.getattr("formula")?.extract()?;
        Some(f.replace(' ', ""))
    } else {
        None
    };
    let v = match formula {
        Some(f) => guard(|| {
            stability::run(
                stability::Input::Formula(f),
                mix_mev_per_atom,
                hull_tolerance_ev_per_atom,
            )
        })?,
        None => {
            let s = coerce(composition)?;
            let st = s.get();
            guard(|| {
                stability::run(
                    stability::Input::Structure(&st.loaded),
                    mix_mev_per_atom,
                    hull_tolerance_ev_per_atom,
                )
            })?
        }
    };
    to_py(py, &v)
}

/// Run (or continue) a campaign (`halo run WORKFLOW --out DIR`): every candidate through every
/// stage with durable checkpoints; writes ranked.csv/json, report and plots to `out` (default
/// `results/<campaign name>`). Returns the pass summary (counts, `wall_s` in s). Ctrl-C stops
/// starting candidates, keeps the finished ones recorded (continue with `halo.resume(out)`)
/// and raises KeyboardInterrupt.
#[pyfunction]
#[pyo3(name = "run")]
#[pyo3(signature = (workflow, out = None, *, threads = None, shard = None, progress = false,
                    recompute_stale = false))]
fn py_run<'py>(
    py: Python<'py>,
    workflow: PathBuf,
    out: Option<PathBuf>,
    threads: Option<i128>,
    shard: Option<String>,
    progress: bool,
    recompute_stale: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let e = campaign::ExecOptions {
        threads: whole_opt("threads", threads)?,
        shard,
        progress,
        recompute_stale,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let v = run::interruptible(py, &stop, || {
        guard(|| campaign::run(&workflow, out, &e, flag))
    })?;
    to_py(py, &v)
}

/// Continue a campaign after a crash or a stop (`halo resume DIR`), without losing or
/// repeating work. Same keywords and result as `run`.
#[pyfunction]
#[pyo3(name = "resume")]
#[pyo3(signature = (dir, *, threads = None, shard = None, progress = false,
                    recompute_stale = false))]
fn py_resume<'py>(
    py: Python<'py>,
    dir: PathBuf,
    threads: Option<i128>,
    shard: Option<String>,
    progress: bool,
    recompute_stale: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let e = campaign::ExecOptions {
        threads: whole_opt("threads", threads)?,
        shard,
        progress,
        recompute_stale,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let v = run::interruptible(py, &stop, || guard(|| campaign::resume(&dir, &e, flag)))?;
    to_py(py, &v)
}

/// How far a campaign got (`halo status DIR --json`): planned, rejected, evaluated, pending,
/// failed `[id, formula, stage, reason]` and incomplete shards.
#[pyfunction]
#[pyo3(name = "status")]
fn py_status<'py>(py: Python<'py>, dir: PathBuf) -> PyResult<Bound<'py, PyAny>> {
    let v = guard(|| campaign::status(&dir))?;
    to_py(py, &v)
}

/// Join the shard checkpoints of a campaign run as `shards` shards (`halo merge DIR --shards N
/// --json`): checks that every shard is complete, removes duplicate records, and writes the
/// ranked outputs when none is missing. Returns the report: `missing_shards` (resubmit those),
/// `candidates`, `recorded`, `failed`, `duplicates_removed`, `passed`. `recompute_stale`: leave
/// out records of other settings (their shards are then reported missing).
#[pyfunction]
#[pyo3(name = "merge")]
#[pyo3(signature = (dir, shards, *, recompute_stale = false))]
fn py_merge<'py>(
    py: Python<'py>,
    dir: PathBuf,
    shards: i128,
    recompute_stale: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let shards: u32 = whole("shards", shards)?;
    let v = run::detached(py, || {
        guard(|| campaign::merge(&dir, shards, recompute_stale))
    })?;
    to_py(py, &v)
}

/// Panics inside the guard, on a worker thread when `worker` is true; for the test that no
/// panic reaches Python (it raises `halo.InternalError`).
#[pyfunction]
#[pyo3(signature = (worker = false))]
fn _panic_for_test(py: Python<'_>, worker: bool) -> PyResult<()> {
    let boom = || -> errors::HResult<()> { panic!("deliberate panic for the test") };
    if worker {
        run::detached(py, || guard(boom))
    } else {
        Ok(guard(boom)?)
    }
}

/// The Rust half of the `halo` package (import `halo`, not this).
#[pymodule]
fn _halo(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<PyStructure>()?;
    m.add_function(wrap_pyfunction!(structure::_restore_structure, m)?)?;
    m.add_function(wrap_pyfunction!(py_inspect, m)?)?;
    m.add_function(wrap_pyfunction!(py_bvse, m)?)?;
    m.add_function(wrap_pyfunction!(py_kmc, m)?)?;
    m.add_function(wrap_pyfunction!(py_sites, m)?)?;
    m.add_function(wrap_pyfunction!(py_eval, m)?)?;
    m.add_function(wrap_pyfunction!(py_enumerate, m)?)?;
    m.add_function(wrap_pyfunction!(py_stability, m)?)?;
    m.add_function(wrap_pyfunction!(py_run, m)?)?;
    m.add_function(wrap_pyfunction!(py_resume, m)?)?;
    m.add_function(wrap_pyfunction!(py_status, m)?)?;
    m.add_function(wrap_pyfunction!(py_merge, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_RESOLUTION_ANG", halo_bvse::DEFAULT_RESOLUTION_ANG)?;
    Ok(())
}
