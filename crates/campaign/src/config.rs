//! Workflow files (TOML). Every table denies unknown keys, so a typo is rejected with the key's
//! name and its line before any work starts; values are then validated into a [`Workflow`].
//!
//! ```toml
//! [campaign]
//! name = "chlorospinel-in-sc"
//! seed = 2022
//!
//! [[framework]]
//! name = "spinel"
//! cif = "../structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"   # relative to this file
//! site = "16d"
//!
//! [enumerate]
//! dopants = ["In", "Sc"]
//! fractions = "0:0.666:0.111"
//! ```

use crate::error::CampaignError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole workflow file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    pub campaign: CampaignSection,
    #[serde(rename = "framework")]
    pub frameworks: Vec<FrameworkSection>,
    pub enumerate: EnumerateSection,
    #[serde(default)]
    pub bvse: BvseSection,
    #[serde(default)]
    pub kmc: KmcSection,
    /// `[filters]`: hard thresholds before ranking (the filters crate's `RankConfig`).
    #[serde(default)]
    pub filters: halo_filters::RankConfig,
    #[serde(default)]
    pub synthesis: SynthesisSection,
}

/// `[campaign]`: name, seed, description.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSection {
    /// Name; also the default output folder `results/<name>`.
    pub name: String,
    /// Campaign seed; each candidate's seed derives from (seed, candidate id).
    pub seed: u64,
    #[serde(default)]
    pub description: String,
}

/// `[[framework]]`: a parent structure and the site orbit to substitute.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkSection {
    pub name: String,
    /// CIF path, relative to the workflow file.
    pub cif: PathBuf,
    /// Site label (`Sc3`) or Wyckoff orbit (`16d`, `2a`) to substitute.
    pub site: String,
}

/// Fractions: a list, or `"start:stop:step"` (inclusive of stop within 1e-9).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Fractions {
    List(Vec<f64>),
    Range(String),
}

impl Fractions {
    /// The fraction values, validated to lie in [0, 1].
    pub fn values(&self) -> Result<Vec<f64>, String> {
        let v = match self {
            Fractions::List(v) => v.clone(),
            // the CLI's grammar: `start:stop:step` or one value (a TOML list for several)
            Fractions::Range(s) => {
                halo_enumerate::parse_fraction_grid(s).map_err(|e| e.to_string())?
            }
        };
        if v.is_empty() {
            return Err("no fractions".into());
        }
        for x in &v {
            if !(x.is_finite() && (0.0..=1.0).contains(x)) {
                return Err(format!("fraction {x} is outside [0, 1]"));
            }
        }
        Ok(v)
    }
}

/// `[enumerate]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumerateSection {
    pub dopants: Vec<String>,
    pub fractions: Fractions,
    #[serde(default = "default_max_dopants")]
    pub max_dopants: usize,
    /// Relative Shannon-radius tolerance (0.15 = 15 %).
    #[serde(default = "default_radius_tolerance")]
    pub radius_tolerance: f64,
}

fn default_max_dopants() -> usize {
    halo_enumerate::DEFAULT_MAX_DOPANTS
}
fn default_radius_tolerance() -> f64 {
    halo_enumerate::DEFAULT_RADIUS_TOLERANCE
}

/// `[bvse]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BvseSection {
    #[serde(default = "default_resolution")]
    pub resolution_ang: f64,
    /// Screening factor of the landscape's Coulomb term (default bvlain's 0.74; docs/physics.md
    /// §9.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screening_factor: Option<f64>,
}

fn default_resolution() -> f64 {
    halo_bvse::DEFAULT_RESOLUTION_ANG
}

impl Default for BvseSection {
    fn default() -> Self {
        BvseSection {
            resolution_ang: default_resolution(),
            screening_factor: None,
        }
    }
}

/// `[kmc]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KmcSection {
    #[serde(default = "default_temperatures")]
    pub temperatures_k: Vec<f64>,
    /// Independent replicas per temperature.
    #[serde(default = "default_replicas")]
    pub replicas: usize,
    /// Hops per mobile ion in the production run of each replica (split into `blocks` blocks).
    #[serde(default = "default_hops_per_ion")]
    pub hops_per_ion: f64,
    /// Measured blocks per replica (the standard errors come from block averages).
    #[serde(default = "default_blocks")]
    pub blocks: usize,
    /// Hops per mobile ion discarded for equilibration.
    #[serde(default = "default_equilibration_hops_per_ion")]
    pub equilibration_hops_per_ion: f64,
    /// Attempt frequency ν0, s⁻¹ (default: the model's calibrated value,
    /// `crates/data/tables/kmc_calibration.csv`).
    #[serde(default)]
    pub attempt_frequency_hz: Option<f64>,
    /// Hard core: sites closer than this may not be occupied together, Å (default 1.6 for the
    /// explicit model, 2.5 for the averaged one).
    #[serde(default)]
    pub blocking_distance_ang: Option<f64>,
    /// Automatic supercells hold at least this many mobile ions.
    #[serde(default = "default_min_ions")]
    pub min_ions: usize,
    /// `averaged` (the default) or `explicit` (docs/physics.md §9.8).
    #[serde(default)]
    pub model: crate::transport::ConductivityModel,
    /// Li–Li repulsion of the explicit model: `bvse` (default) or `yukawa`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair_potential: Option<crate::transport::PairPotential>,
    /// Dielectric constant of the Yukawa Li–Li repulsion (explicit model with
    /// `pair_potential = "yukawa"`; default calibrated).
    #[serde(default)]
    pub dielectric_constant: Option<f64>,
    /// Metropolis moves per ion before the kMC equilibration (default: the model's).
    #[serde(default)]
    pub metropolis_sweeps_per_ion: Option<f64>,
    /// Stiffness of the anions' bond-valence saturation, eV/v.u.² (explicit model; default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anion_saturation_ev: Option<f64>,
    /// Relax the anions to the bond-valence (GII) minimum before the landscape (averaged model;
    /// default false; docs/physics.md §9.9).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub relax_anions: bool,
    /// The energy of that relaxation: `valence_sums` (the GII; default) or `force_field` (the
    /// bond-valence force field; docs/physics.md §9.10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relax_energy: Option<halo_bvse::relax::RelaxEnergy>,
    /// Most replicas per temperature: the cap of the averaged model's stopping rule (default
    /// 4 × `replicas`; equal to `replicas`: fixed runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<usize>,
    /// Fewest realisations of a disordered structure (explicit model).
    #[serde(default = "default_min_realisations")]
    pub min_realisations: usize,
    /// Most realisations per candidate: the cap of the stopping rule (explicit model).
    #[serde(default = "default_max_realisations")]
    pub max_realisations: usize,
    /// Per-candidate stopping rule: stop when the relative SE of σ(300 K) is at most this
    /// (explicit model: realisations; averaged model: replicas at the temperatures that need them).
    #[serde(default = "default_target_rel_se")]
    pub target_rel_se: f64,
    /// Minima shallower than this between deeper sites are stations of a hop, eV.
    #[serde(default = "default_station_depth")]
    pub station_max_depth_ev: f64,
}

// the defaults are `halo kmc`'s: halo_kmc::defaults and the calibrated ν0
fn default_temperatures() -> Vec<f64> {
    halo_kmc::defaults::TEMPERATURES_K.to_vec()
}
fn default_replicas() -> usize {
    halo_kmc::defaults::REPLICAS
}
fn default_blocks() -> usize {
    halo_kmc::defaults::BLOCKS
}
fn default_hops_per_ion() -> f64 {
    halo_kmc::defaults::BLOCKS as f64 * halo_kmc::defaults::HOPS_PER_ION_PER_BLOCK
}
fn default_equilibration_hops_per_ion() -> f64 {
    halo_kmc::defaults::EQUILIBRATION_HOPS_PER_ION
}
fn default_min_realisations() -> usize {
    crate::transport::ensemble::MIN_REALISATIONS_DISORDERED
}
fn default_max_realisations() -> usize {
    crate::transport::ensemble::MAX_REALISATIONS
}
fn default_target_rel_se() -> f64 {
    crate::transport::ensemble::TARGET_REL_SE
}
fn default_station_depth() -> f64 {
    halo_kmc::stations::DEFAULT_MAX_DEPTH_EV
}
fn default_min_ions() -> usize {
    halo_kmc::defaults::MIN_IONS
}

impl Default for KmcSection {
    fn default() -> Self {
        KmcSection {
            temperatures_k: default_temperatures(),
            replicas: default_replicas(),
            hops_per_ion: default_hops_per_ion(),
            blocks: default_blocks(),
            equilibration_hops_per_ion: default_equilibration_hops_per_ion(),
            attempt_frequency_hz: None,
            blocking_distance_ang: None,
            min_ions: default_min_ions(),
            model: Default::default(),
            pair_potential: None,
            dielectric_constant: None,
            metropolis_sweeps_per_ion: None,
            anion_saturation_ev: None,
            max_replicas: None,
            relax_anions: false,
            relax_energy: None,
            min_realisations: default_min_realisations(),
            max_realisations: default_max_realisations(),
            target_rel_se: default_target_rel_se(),
            station_max_depth_ev: default_station_depth(),
        }
    }
}

/// `[synthesis]`: the hand-off batch.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthesisSection {
    #[serde(default = "default_batch")]
    pub batch_mass_g: f64,
    /// How many of the top-ranked candidates to hand off; also the k of the ranking's
    /// P(top k). 0: no hand-off (`halo export` says so), and P(top 1) in the ranking.
    #[serde(default = "default_top")]
    pub top: usize,
}

fn default_batch() -> f64 {
    1.0
}
fn default_top() -> usize {
    10
}

impl Default for SynthesisSection {
    fn default() -> Self {
        SynthesisSection {
            batch_mass_g: default_batch(),
            top: default_top(),
        }
    }
}

/// A workflow file read and validated, with its location for resolving relative paths.
#[derive(Clone, Debug)]
pub struct LoadedWorkflow {
    pub path: PathBuf,
    pub text: String,
    pub workflow: Workflow,
}

impl LoadedWorkflow {
    /// Resolve a path given in the workflow relative to the workflow file's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.path.parent().unwrap_or_else(|| Path::new(".")).join(p)
        }
    }
}

/// Read, parse and validate a workflow file (without checking that its files exist).
pub fn load_unchecked(path: &Path) -> Result<LoadedWorkflow, CampaignError> {
    let text = std::fs::read_to_string(path).map_err(|e| CampaignError::io(path, e))?;
    let workflow = parse(&text).map_err(|reason| CampaignError::Config {
        path: path.to_path_buf(),
        reason,
    })?;
    Ok(LoadedWorkflow {
        path: path.to_path_buf(),
        text,
        workflow,
    })
}

/// Read, parse and validate a workflow file, and check that the files it names exist.
pub fn load(path: &Path) -> Result<LoadedWorkflow, CampaignError> {
    let lw = load_unchecked(path)?;
    for f in &lw.workflow.frameworks {
        let p = lw.resolve(&f.cif);
        if !p.is_file() {
            return Err(CampaignError::Config {
                path: path.to_path_buf(),
                reason: format!(
                    "framework.cif: '{}' (framework '{}') does not exist{}",
                    p.display(),
                    f.name,
                    if f.cif.is_relative() {
                        format!(
                            " (the relative path '{}' is read from the workflow file's folder, \
                             not the current one)",
                            f.cif.display()
                        )
                    } else {
                        String::new()
                    }
                ),
            });
        }
    }
    Ok(lw)
}

/// Parse and validate workflow text; the error names the key (and line, for TOML errors).
pub fn parse(text: &str) -> Result<Workflow, String> {
    let w: Workflow = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    validate(&w)?;
    Ok(w)
}

fn validate(w: &Workflow) -> Result<(), String> {
    let name = &w.campaign.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!(
            "campaign.name: '{name}' must be non-empty and use only letters, digits, '-', '_', '.'"
        ));
    }
    if w.frameworks.is_empty() {
        return Err("framework: at least one [[framework]] is required".into());
    }
    let mut names = std::collections::BTreeSet::new();
    for f in &w.frameworks {
        if !names.insert(&f.name) {
            return Err(format!("framework.name: '{}' appears twice", f.name));
        }
    }
    if w.enumerate.dopants.is_empty() {
        return Err("enumerate.dopants: empty list".into());
    }
    for (i, d) in w.enumerate.dopants.iter().enumerate() {
        // an element (its formal state) or a species with its state, as `halo enumerate
        // --dopants` takes them: "Sn", "Sn4+"
        halo_core::Species::parse(d.trim())
            .map_err(|e| format!("enumerate.dopants: '{d}': {e}"))?;
        if w.enumerate.dopants[..i].contains(d) {
            return Err(format!("enumerate.dopants: '{d}' is listed twice"));
        }
    }
    w.enumerate
        .fractions
        .values()
        .map_err(|e| format!("enumerate.fractions: {e}"))?;
    // the library's limits, which `halo enumerate` checks too
    let m = w.enumerate.max_dopants;
    if m == 0 || m > halo_enumerate::MAX_DOPANTS_LIMIT {
        return Err(format!(
            "enumerate.max_dopants: {m} is not in 1..={}",
            halo_enumerate::MAX_DOPANTS_LIMIT
        ));
    }
    let t = w.enumerate.radius_tolerance;
    if !(t.is_finite() && (0.0..halo_enumerate::RADIUS_TOLERANCE_LIMIT).contains(&t)) {
        return Err(format!(
            "enumerate.radius_tolerance: {t} is not in [0, {}) (a relative mismatch: 0.15 = 15 %)",
            halo_enumerate::RADIUS_TOLERANCE_LIMIT
        ));
    }
    let r = w.bvse.resolution_ang;
    if !(r.is_finite() && (0.05..=1.0).contains(&r)) {
        return Err(format!("bvse.resolution_ang: {r} must be in [0.05, 1.0] Å"));
    }
    let k = &w.kmc;
    if k.temperatures_k.len() < 2 {
        return Err("kmc.temperatures_k: at least two temperatures for an Arrhenius fit".into());
    }
    for t in &k.temperatures_k {
        if !(t.is_finite() && *t > 0.0 && *t < 5000.0) {
            return Err(format!(
                "kmc.temperatures_k: {t} K is not a valid temperature"
            ));
        }
    }
    if k.replicas < 2 {
        return Err("kmc.replicas: at least 2 for a standard error".into());
    }
    if w.kmc.blocks < 2 {
        return Err("kmc.blocks: at least 2 for a block standard error".into());
    }
    // the production run is split into `blocks` blocks, each of which must hold at least one
    // hop per ion to measure diffusion rather than single hops (halo_kmc::KmcParams)
    let per_block = k.hops_per_ion / w.kmc.blocks as f64;
    if !(per_block.is_finite() && per_block >= 1.0) {
        return Err(format!(
            "kmc.hops_per_ion: {} over kmc.blocks = {} is {per_block} hops per ion per block, \
             below 1: a block must hold at least one hop per ion to measure diffusion rather \
             than single hops (raise hops_per_ion or lower blocks)",
            k.hops_per_ion, w.kmc.blocks
        ));
    }
    if let Some(b) = w.kmc.blocking_distance_ang {
        if !(b.is_finite() && b >= 0.0) {
            return Err("kmc.blocking_distance_ang: must be ≥ 0".into());
        }
    }
    if w.kmc.min_ions == 0 {
        return Err("kmc.min_ions: must be at least 1".into());
    }
    if !(k.equilibration_hops_per_ion.is_finite() && k.equilibration_hops_per_ion >= 0.0) {
        return Err("kmc.equilibration_hops_per_ion: must be ≥ 0".into());
    }
    if let Some(nu0) = k.attempt_frequency_hz {
        if !(nu0.is_finite() && nu0 > 0.0) {
            return Err("kmc.attempt_frequency_hz: must be positive".into());
        }
    }
    // the model options (dielectric constant, realisations, stopping rule, stations) are
    // checked by the one checker `halo kmc` uses; its error names the option, said here as
    // the workflow's key
    if let Err(e) = crate::pipeline::model_options(k, &w.bvse, 0).settings(None) {
        return Err(e.in_workflow());
    }
    w.filters.validate().map_err(|e| format!("filters: {e}"))?;
    check_batch_mass(w.synthesis.batch_mass_g)
        .map_err(|e| format!("synthesis.batch_mass_g: {e}"))?;
    Ok(())
}

/// Largest batch mass the hand-off accepts, g.
pub const MAX_BATCH_MASS_G: f64 = 1000.0;

/// Smallest batch mass the hand-off accepts, g: its masses are written to 0.1 mg, so a
/// precursor of a smaller batch would read 0.0000 g.
pub const MIN_BATCH_MASS_G: f64 = 0.01;

/// A batch mass the hand-off can write, or why not (the workflow's `synthesis.batch_mass_g`,
/// checked when the workflow is read, and `halo export --batch-mass-g`).
pub fn check_batch_mass(batch_g: f64) -> Result<(), String> {
    if batch_g.is_finite() && (MIN_BATCH_MASS_G..=MAX_BATCH_MASS_G).contains(&batch_g) {
        Ok(())
    } else {
        Err(format!(
            "batch mass {batch_g} g is not between {MIN_BATCH_MASS_G} and {MAX_BATCH_MASS_G} g"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[campaign]
name = "t"
seed = 7
[[framework]]
name = "spinel"
cif = "x.cif"
site = "16d"
[enumerate]
dopants = ["In", "Sc"]
fractions = "0:0.666:0.111"
"#;

    #[test]
    fn good_file_and_defaults() {
        // a species with its state is a dopant as `halo enumerate --dopants` takes it
        parse(&GOOD.replace("\"In\", \"Sc\"", "\"In\", \"Sn4+\"")).unwrap();
        let w = parse(GOOD).unwrap();
        assert_eq!(w.enumerate.fractions.values().unwrap().len(), 7);
        assert_eq!(w.kmc.temperatures_k.len(), 5);
        assert_eq!(w.synthesis.batch_mass_g, 1.0);
    }

    #[test]
    fn unknown_key_is_named_with_line() {
        let bad = GOOD.replace("seed = 7", "seed = 7\nsede = 8");
        let e = parse(&bad).unwrap_err();
        assert!(e.contains("sede"), "{e}");
        assert!(e.contains("line 5"), "{e}");
        let bad = GOOD.to_string() + "[kmc]\ntemperature_k = [300, 400]\n";
        let e = parse(&bad).unwrap_err();
        assert!(e.contains("temperature_k"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let cases = [
            (
                GOOD.replace("\"In\", \"Sc\"", "\"In\", \"Xx\""),
                "enumerate.dopants",
            ),
            (
                GOOD.replace("\"In\", \"Sc\"", "\"In\", \"Sc\", \"In\""),
                "enumerate.dopants: 'In' is listed twice",
            ),
            (
                GOOD.replace("\"In\", \"Sc\"", "\"In\", \"Sn9+\""),
                "enumerate.dopants: 'Sn9+'",
            ),
            (
                GOOD.replace("0:0.666:0.111", "0:1.5:0.5"),
                "enumerate.fractions",
            ),
            (
                GOOD.replace("0:0.666:0.111", "0:0.5:0"),
                "enumerate.fractions",
            ),
            (
                GOOD.to_string() + "[bvse]\nresolution_ang = -1\n",
                "bvse.resolution_ang",
            ),
            (
                GOOD.to_string() + "[kmc]\ntemperatures_k = [300]\n",
                "kmc.temperatures_k",
            ),
            (
                GOOD.replace("name = \"t\"", "name = \"a b\""),
                "campaign.name",
            ),
            (GOOD.replace("seed = 7", "seed = -7"), "seed"),
            (
                GOOD.to_string() + "[synthesis]\nbatch_mass_g = 5000.0\n",
                "synthesis.batch_mass_g: batch mass 5000 g is not between",
            ),
            (
                GOOD.to_string() + "[kmc]\nmodel = \"explicit\"\ndielectric_constant = 0.2\n",
                "kmc.dielectric_constant",
            ),
            (
                GOOD.to_string() + "[kmc]\ndielectric_constant = 5\n",
                "kmc.dielectric_constant",
            ),
            (
                GOOD.to_string() + "[kmc]\nmodel = \"explicit\"\ntarget_rel_se = 0\n",
                "target_rel_se",
            ),
            (GOOD.to_string() + "[kmc]\nmodel = \"fancy\"\n", "fancy"),
            (
                GOOD.to_string() + "[kmc]\nmodel = \"explicit\"\nmin_realisations = 9\n",
                "kmc.min_realisations: 9 must be between 1 and the most realisations (4)",
            ),
            (
                GOOD.to_string() + "[kmc]\nmetropolis_sweeps_per_ion = -1\n",
                "kmc.metropolis_sweeps_per_ion: ",
            ),
            (
                GOOD.to_string() + "[kmc]\nanion_saturation_ev = 1\n",
                "kmc.anion_saturation_ev: applies to the explicit model only",
            ),
            (
                GOOD.to_string() + "[kmc]\nmodel = \"explicit\"\nanion_saturation_ev = -1\n",
                "kmc.anion_saturation_ev: -1 is not a finite stiffness",
            ),
            (
                GOOD.to_string() + "[bvse]\nscreening_factor = 0\n",
                "bvse.screening_factor: 0 is not positive",
            ),
            (
                GOOD.to_string() + "[kmc]\nrelax_energy = \"force_field\"\n",
                "kmc.relax_energy: applies only when the anions are relaxed",
            ),
            (
                GOOD.to_string() + "[kmc]\nrelax_anions = true\nrelax_energy = \"ff\"\n",
                "relax_energy",
            ),
            (
                GOOD.to_string() + "[kmc]\npair_potential = \"yukawa\"\n",
                "kmc.pair_potential: applies to the explicit model only",
            ),
            (
                GOOD.to_string() + "[kmc]\nmodel = \"explicit\"\npair_potential = \"coulomb\"\n",
                "pair_potential",
            ),
        ];
        for (text, key) in cases {
            let e = parse(&text).unwrap_err();
            assert!(e.contains(key), "expected {key} in: {e}");
        }
    }

    /// The workflow's string form is the CLI's `--fractions` grammar: a range, or one value.
    #[test]
    fn ranges() {
        let v = |s: &str| Fractions::Range(s.into()).values();
        assert_eq!(v("0:1:0.5").unwrap(), vec![0.0, 0.5, 1.0]);
        assert_eq!(v("0.333").unwrap(), vec![0.333]);
        assert!(v("0:1").is_err());
        assert!(v("1:0:0.1").is_err());
        assert!(v("0:1:0").is_err());
    }

    /// The bundled workflows carry no fitted constant: they run the default model with its
    /// calibrated constants (`crates/data/tables/kmc_calibration.csv`), so a refit cannot leave
    /// them behind.
    #[test]
    fn bundled_workflows_use_the_calibrated_constants() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for name in ["chlorospinel-in-sc.toml", "halide-discovery.toml"] {
            let text = std::fs::read_to_string(root.join("workflows").join(name)).unwrap();
            let w = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(w.kmc.attempt_frequency_hz, None, "{name}");
            assert_eq!(w.kmc.dielectric_constant, None, "{name}");
            assert_eq!(w.kmc.model, crate::transport::ConductivityModel::Averaged);
        }
    }

    #[test]
    fn the_embedded_calibration_is_the_fit_of_kmc_family_json() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let cal: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("results/kmc_family.json")).unwrap(),
        )
        .unwrap();
        let fit = cal["nu0_fit"].as_f64().expect("nu0_fit in kmc_family.json");
        let embedded = halo_data::calibration::kmc_attempt_frequency().value;
        assert!(
            ((embedded - fit) / fit).abs() < 5e-3,
            "kmc_calibration.csv says {embedded:e}, results/kmc_family.json fitted {fit:e}"
        );
    }
}
