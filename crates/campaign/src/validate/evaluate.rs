//! Running the model on every distinct structure of a validation (and its noisy copies).

use super::{NoisyCopy, Prediction, RefinedLi, StructureOutcome, ValidateOptions};
use crate::transport::{LiSublattice, Transport};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub(super) fn prediction(tr: &Transport) -> Result<Prediction, String> {
    let fit = tr.kmc.arrhenius.as_ref().ok_or(
        "kmc: no Arrhenius fit (fewer than two temperatures with σ above the run's resolution)",
    )?;
    let lowest = tr
        .kmc
        .temperatures
        .iter()
        .min_by(|a, b| a.temperature_k.total_cmp(&b.temperature_k))
        .ok_or("kmc: no temperature")?;
    Ok(Prediction {
        sigma_300k_s_per_cm: fit.sigma_300k_s_per_cm,
        sigma_300k_se_s_per_cm: fit.sigma_300k_se_s_per_cm,
        ea_ev: fit.ea_ev,
        ea_se_ev: fit.ea_se_ev,
        li_total_per_cell: tr.mobile.total_per_cell,
        li_mobile_per_cell: tr.mobile_per_cell_used,
        e_3d_ev: tr.percolation.thresholds.e_3d_ev,
        n_ions: tr.kmc.n_ions,
        supercell: tr.kmc.supercell,
        // the transport chain's own count (`transport::sublattice`), not a second one here
        interstitial_fraction: tr.li_sublattice.interstitial_share,
        occupancies: lowest.occupancies.clone(),
        lowest_temperature_k: lowest.temperature_k,
        unresolved_temperatures_k: tr
            .kmc
            .temperatures
            .iter()
            .filter(|t| !t.is_resolved())
            .map(|t| t.temperature_k)
            .collect(),
        stopping: tr.kmc.stopping.clone(),
        // one rule, two ways to meet it: more replicas, or more realisations
        rel_se_above_target: match (&tr.kmc.stopping, &tr.ensemble) {
            (Some(s), _) if s.target_missed => Some(s.rel_se_reached),
            (_, Some(e)) if e.hit_cap => Some(e.rel_se_reached),
            _ => None,
        },
    })
}

pub(super) fn refined_li(loaded: &halo_io::LoadedStructure) -> Vec<RefinedLi> {
    let li = halo_core::Element::LI;
    let mut out: Vec<RefinedLi> = Vec::new();
    for (site, origins) in loaded.structure.sites.iter().zip(&loaded.site_origins) {
        let shared = site
            .species
            .iter()
            .any(|(sp, o)| sp.element != li && *o > 0.0 && !sp.element.is_halogen());
        for &a in origins {
            let row = &loaded.asymmetric_sites[a];
            if row.species.element != li {
                continue;
            }
            match out.iter_mut().find(|r| r.label == row.label) {
                Some(r) => r.sites_per_cell += 1,
                None => out.push(RefinedLi {
                    label: row.label.clone(),
                    occupancy: row.occupancy,
                    occupancy_esd: row.occupancy_esd,
                    shared_with_framework_cation: shared,
                    sites_per_cell: 1,
                    wyckoff: Vec::new(),
                }),
            }
        }
    }
    out
}

/// Fill each refined Li site's Wyckoff symbols from the file's symmetry (as `halo inspect`
/// prints them); left empty when the analysis fails, so a `--sites` row is then not checked.
fn add_wyckoff(loaded: &halo_io::LoadedStructure, refined: &mut [RefinedLi]) {
    let Ok(report) = crate::inspect::inspect(loaded, halo_symmetry::DEFAULT_SYMPREC_ANG) else {
        return;
    };
    for r in refined.iter_mut() {
        for site in report.sites.iter().filter(|x| x.labels.contains(&r.label)) {
            for w in [&site.wyckoff_published, &site.wyckoff] {
                if !r.wyckoff.contains(w) {
                    r.wyckoff.push(w.clone());
                }
            }
        }
    }
}

/// What one run of one file (or of one noisy copy) gave.
struct FileRun {
    formula: Option<String>,
    refined: Vec<RefinedLi>,
    result: Result<Prediction, String>,
    noise_seed: u64,
    sublattice: Option<LiSublattice>,
    warnings: Vec<String>,
    external_energies: Option<String>,
    grounding: Option<crate::transport::grounding::GroundingReport>,
}

fn evaluate_file(file: &str, path: &Path, copy: usize, opts: &ValidateOptions) -> FileRun {
    let noise_seed =
        halo_core::seed::candidate_seed(opts.settings.kmc.seed, &format!("{file}#noise{copy}"));
    let mut run = FileRun {
        formula: None,
        refined: Vec::new(),
        result: Err("not run".into()),
        noise_seed,
        sublattice: None,
        warnings: Vec::new(),
        external_energies: None,
        grounding: None,
    };
    let loaded = match halo_io::read_structure(path) {
        Ok(l) => l,
        Err(e) => {
            run.result = Err(format!("read: {e}"));
            return run;
        }
    };
    run.refined = refined_li(&loaded);
    if copy == 0 {
        add_wyckoff(&loaded, &mut run.refined);
    }
    run.warnings = loaded.warnings_besides_charge().cloned().collect();
    run.warnings.extend(
        loaded
            .charge
            .as_ref()
            .and_then(halo_io::charge::charge_note),
    );
    run.sublattice = Some(LiSublattice::of(
        &loaded.structure,
        opts.settings.bvse.mobile_ion.element,
    ));
    run.formula = Some(loaded.structure.composition().reduced_formula());
    let structure = if copy == 0 {
        loaded.structure.clone()
    } else {
        match halo_io::perturb::perturb(&loaded, opts.noise_sigma_frac, noise_seed) {
            Ok(s) => s,
            Err(e) => {
                run.result = Err(format!("perturb: {e}"));
                return run;
            }
        }
    };
    let canon = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let external = opts
        .energies
        .iter()
        .find(|e| e.path.canonicalize().unwrap_or_else(|_| e.path.clone()) == canon);
    let mut settings = opts.settings.clone();
    // the file's measurement temperature for the grounding (the run's record keeps the flag's;
    // the row's grounding report says which it used)
    crate::transport::grounding::use_file_temperature(&mut settings, None, &loaded);
    if let Some(e) = external {
        settings.site_energies = e.site_energies.clone();
        settings.hop_barriers = e.hop_barriers.clone();
    }
    let tr = crate::transport::evaluate(&structure, &settings, |_| {}).map_err(|e| e.to_string());
    if let Some(e) = external {
        run.external_energies = Some(e.describe(tr.as_ref().ok()));
    }
    if let Ok(t) = &tr {
        run.grounding = t.grounding.clone();
    }
    run.result = tr.and_then(|tr| prediction(&tr));
    run
}

/// The distinct structure files of the rows, the site table and the calibration pairs, in
/// first-appearance order (two spellings of one file are one).
pub(super) struct Files {
    pub list: Vec<(String, PathBuf)>,
    canonical: Vec<PathBuf>,
}

impl Files {
    pub fn new<'a>(files: impl Iterator<Item = (&'a str, &'a PathBuf)>) -> Files {
        let mut f = Files {
            list: Vec::new(),
            canonical: Vec::new(),
        };
        for (file, path) in files {
            let canon = path.canonicalize().unwrap_or_else(|_| path.clone());
            if !f.canonical.contains(&canon) {
                f.list.push((file.to_string(), path.clone()));
                f.canonical.push(canon);
            }
        }
        f
    }

    /// The index of `path` in the list.
    pub fn index(&self, path: &Path) -> usize {
        let canon = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.canonical
            .iter()
            .position(|p| *p == canon)
            .expect("every file of the inputs is listed")
    }
}

/// Run every file (and `opts.noise_copies` noisy copies of each) in parallel.
pub(super) fn evaluate_all(
    files: &Files,
    opts: &ValidateOptions,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> Vec<StructureOutcome> {
    let jobs: Vec<(usize, usize)> = (0..files.list.len())
        .flat_map(|f| (0..=opts.noise_copies).map(move |k| (f, k)))
        .collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<_> = jobs
        .par_iter()
        .map(|&(f, k)| {
            let (file, path) = &files.list[f];
            let r = evaluate_file(file, path, k, opts);
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let what = if k == 0 {
                file.clone()
            } else {
                format!("{file} (noisy copy {k})")
            };
            progress(n, jobs.len(), &what);
            r
        })
        .collect();
    let mut structures: Vec<StructureOutcome> = files
        .list
        .iter()
        .map(|(file, path)| StructureOutcome {
            file: file.clone(),
            file_sha256: std::fs::read(path).ok().map(|b| {
                use sha2::Digest;
                sha2::Sha256::digest(&b)[..8]
                    .iter()
                    .map(|x| format!("{x:02x}"))
                    .collect()
            }),
            formula: None,
            result: Err("not run".into()),
            refined_li: Vec::new(),
            noise: Vec::new(),
            li_sublattice: None,
            warnings: Vec::new(),
            external_energies: None,
            grounding: None,
        })
        .collect();
    for (&(f, k), run) in jobs.iter().zip(results) {
        let s = &mut structures[f];
        if k == 0 {
            s.li_sublattice = run.sublattice;
            s.formula = run.formula;
            s.refined_li = run.refined;
            s.result = run.result;
            s.warnings = run.warnings;
            s.external_energies = run.external_energies;
            s.grounding = run.grounding;
        } else {
            let (sigma, ea, error) = match run.result {
                Ok(p) => (Some(p.sigma_300k_s_per_cm), Some(p.ea_ev), None),
                Err(e) => (None, None, Some(e)),
            };
            s.noise.push(NoisyCopy {
                seed: run.noise_seed,
                sigma_300k_s_per_cm: sigma,
                ea_ev: ea,
                error,
                external_energies: run.external_energies,
            });
        }
    }
    structures
}
