//! The files `halo validate` writes: `validation.csv`, `validation.json`, `report.md` and
//! `parity.svg`, each replaced atomically.

use super::metrics::{Metrics, POOR_S_PER_CM, SUPERIONIC_S_PER_CM};
use super::{NoiseSummary, ValidationReport};
use crate::error::CampaignError;
use crate::folder::write_atomic;
use std::fmt::Write as _;
use std::path::Path;

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_default()
}

fn sci(x: f64) -> String {
    format!("{x:.3e}")
}

fn fixed3(x: f64) -> String {
    format!("{x:.3}")
}

/// The file's warnings for a row's status in the report (`halo kmc` prints them on stderr),
/// `|` escaped for the Markdown table.
fn file_warnings(row: &super::RowResult) -> String {
    let mut s: String = row
        .warnings
        .iter()
        .map(|w| format!("; warning: {}", w.replace('|', "\\|")))
        .collect();
    if let Some(e) = &row.external_energies {
        s += &format!("; {e}");
    }
    s
}

/// The CSV, one line per row of the set.
pub fn csv_text(r: &ValidationReport) -> String {
    let mut s = String::from(
        "id,formula,file,measured_sigma_s_per_cm,measured_ea_ev,predicted_sigma_300k_s_per_cm,\
         predicted_sigma_300k_se_s_per_cm,predicted_ea_ev,predicted_ea_se_ev,log10_error,\
         loco_attempt_frequency_hz,loco_predicted_sigma_300k_s_per_cm,loco_log10_error,\
         li_sites_full,status,reason,diagnosis,warnings,external_energies\n",
    );
    let q = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    for row in &r.rows {
        let _ = writeln!(
            s,
            "{},{},{},{:e},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            row.row.id,
            q(&row.row.formula),
            q(&row.row.file),
            row.row.sigma_rt_s_per_cm,
            opt(row.row.ea_ev, |x| x.to_string()),
            opt(row.predicted_sigma_300k_s_per_cm, |x| format!("{x:e}")),
            opt(row.predicted_sigma_300k_se_s_per_cm, |x| format!("{x:e}")),
            opt(row.predicted_ea_ev, |x| x.to_string()),
            opt(row.predicted_ea_se_ev, |x| x.to_string()),
            opt(row.log10_error, |x| x.to_string()),
            opt(row.loco_attempt_frequency_hz, |x| format!("{x:e}")),
            opt(row.loco_predicted_sigma_300k_s_per_cm, |x| format!("{x:e}")),
            opt(row.loco_log10_error, |x| x.to_string()),
            row.li_sites_full.map(|b| b.to_string()).unwrap_or_default(),
            row.status,
            q(row.reason.as_deref().unwrap_or("")),
            q(row.diagnosis.as_deref().unwrap_or("")),
            q(&row.warnings.join(" | ")),
            q(row.external_energies.as_deref().unwrap_or("")),
        );
    }
    s
}

fn metrics_row(name: &str, m: &Metrics) -> String {
    let f = |v: Option<f64>| v.map(|x| format!("{x:.3}")).unwrap_or_else(|| "–".into());
    format!(
        "| {name} | {} | {} | {} | {} | {} ({}) | {} ({} pairs) | {} | {} |",
        f(m.spearman_rho),
        f(m.kendall_tau),
        f(m.log10_mae),
        f(m.log10_bias),
        f(m.ea_mae_ev),
        m.n_ea,
        f(m.superionic_above_poor_fraction),
        m.n_superionic_poor_pairs,
        m.n_rows,
        m.n_failed
    )
}

/// The Markdown report.
pub fn report_md(r: &ValidationReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Validation of the conductivity model against measured halides\n"
    );
    let _ = writeln!(
        s,
        "Set: `{}` ({} rows, {} compositions, {} structure files). Model: `{}` (`halo kmc`'s \
         transport chain, `halo_campaign::transport`), settings in `validation.json`. Attempt \
         frequency ν0 = {:.3e} s⁻¹ ({}). Wall time {:.0} s.\n",
        r.set,
        r.rows.len(),
        r.compositions.len(),
        r.structures.len(),
        r.settings["model"].as_str().unwrap_or("?"),
        r.attempt_frequency.used_hz,
        r.calibration["source"].as_str().unwrap_or("?"),
        r.wall_s
    );
    let external: Vec<String> = r
        .structures
        .iter()
        .filter_map(|x| {
            x.external_energies
                .as_ref()
                .map(|e| format!("`{}` ({e})", x.file))
        })
        .collect();
    if !external.is_empty() {
        let _ = writeln!(
            s,
            "Energies from another model (`--energies`, docs/physics.md §9.14) on {} of the \
             structures: {}. Every other structure runs on the BVSE landscape alone.\n",
            external.len(),
            external.join(", ")
        );
    }
    for n in &r.notes {
        let _ = writeln!(s, "Note: {n}.\n");
    }
    let _ = writeln!(s, "## Metrics\n");
    let _ = writeln!(
        s,
        "log10 σ(300 K) predicted (Arrhenius fit) vs measured σ(RT). Superionic: measured > \
         {SUPERIONIC_S_PER_CM:e} S/cm, poor: < {POOR_S_PER_CM:e} S/cm. Failed rows are not \
         scored (counted in the last column).\n"
    );
    let _ = writeln!(
        s,
        "| scoring | Spearman ρ | Kendall τ_b | log10 MAE | log10 bias | Ea MAE eV (n) | superionic above poor | scored | failed |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    let _ = writeln!(s, "{}", metrics_row("per row, ν0 as shipped", &r.metrics));
    let _ = writeln!(
        s,
        "{}",
        metrics_row("per composition, ν0 as shipped", &r.metrics_per_composition)
    );
    let af = &r.attempt_frequency;
    if af.n_pairs == 0 {
        // without calibration pairs there is no refit: every row would read as a LOCO failure
        let _ = writeln!(
            s,
            "\nLeave-one-composition-out was not computed: no calibration pairs were given \
             (`--calibration-pairs FILE`), so ν0 cannot be refitted without a composition; the \
             LOCO columns below are blank.\n"
        );
    } else {
        let _ = writeln!(s, "{}", metrics_row("per row, LOCO ν0", &r.metrics_loco));
        let _ = writeln!(
            s,
            "{}",
            metrics_row("per composition, LOCO ν0", &r.metrics_loco_per_composition)
        );
        if let Some(b) = &r.sampling_loco_per_composition {
            let range = |x: Option<(f64, f64)>| {
                x.map(|(a, b)| format!("{a:.2}–{b:.2}"))
                    .unwrap_or_else(|| "–".into())
            };
            let _ = writeln!(
                s,
                "\nSampling uncertainty of the per-composition LOCO metrics (percentile bootstrap \
                 over the {} scored compositions, {} draws, 95 %): Spearman ρ {}, log10 MAE {}. \
                 This is how much the choice of the set alone moves them; the seed spread below \
                 is the kMC's noise only.",
                r.metrics_loco_per_composition.n_rows,
                b.draws,
                range(b.spearman_rho_95),
                range(b.log10_mae_95)
            );
        }
    }
    if af.n_pairs > 0 {
        let _ = writeln!(
            s,
        "\nLeave-one-composition-out: ν0 is the model's one fitted constant. It is refitted by the \
         rule of `scripts/calibrate_kmc.py` (ln ν0 = ln ν0_run + mean ln(σ_measured/σ_kMC(300 K))) \
         on the calibration pairs of `{}` (rows of `crates/data/tables/conductivity_calibration.csv` \
         and the structure each was measured on), with the pairs of the left-out composition \
         removed; σ ∝ ν0, so the refit rescales the prediction. Refit on all {} pairs with this run: \
         {}; per left-out composition: {}.\n",
        r.calibration_pairs_file.as_deref().unwrap_or("(none given)"),
        af.n_pairs,
        af.refit_all_hz
            .map(|v| format!("{v:.3e} s⁻¹"))
            .unwrap_or_else(|| "–".into()),
        if af.loco_hz.is_empty() {
            "–".to_string()
        } else {
            af.loco_hz
                .iter()
                .filter(|(_, v)| af.refit_all_hz.is_none_or(|a| (*v / a - 1.0).abs() > 1e-12))
                .map(|(c, v)| format!("{c} {v:.3e}"))
                .collect::<Vec<_>>()
                .join(", ")
                + " (every other composition: the all-pairs refit)"
            }
        );
    }
    seed_section(&mut s, r);
    sublattice_section(&mut s, r);
    baseline_section(&mut s, r);
    rows_section(&mut s, r);
    occupancy_section(&mut s, r);
    noise_section(&mut s, r);
    s
}

/// The per-composition metrics of the passes at further seeds, beside this run's.
fn seed_section(s: &mut String, r: &ValidationReport) {
    if r.seed_runs.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "## Seed spread\n\nThe same set and settings at further master seeds (the kMC's and \
         the realisations' random streams); per composition, ν0 as shipped and LOCO. A \
         difference between two models smaller than this spread is within the kMC's noise; the \
         set's own sampling uncertainty (above) is wider still.\n"
    );
    let _ = writeln!(
        s,
        "| scoring | Spearman ρ | Kendall τ_b | log10 MAE | log10 bias | Ea MAE eV (n) | superionic above poor | scored | failed |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    let seed0 = r.settings["kmc"]["seed"].as_u64().unwrap_or(0);
    let runs = std::iter::once((
        seed0,
        &r.metrics_per_composition,
        &r.metrics_loco_per_composition,
    ))
    .chain(r.seed_runs.iter().map(|x| {
        (
            x.seed,
            &x.metrics_per_composition,
            &x.metrics_loco_per_composition,
        )
    }));
    for (seed, m, l) in runs {
        let _ = writeln!(
            s,
            "{}",
            metrics_row(&format!("seed {seed}, per composition"), m)
        );
        let _ = writeln!(s, "{}", metrics_row(&format!("seed {seed}, LOCO"), l));
    }
    let _ = writeln!(s);
}

/// The per-row metrics split by whether the input's Li sites are all full.
fn sublattice_section(s: &mut String, r: &ValidationReport) {
    let b = &r.by_li_sublattice;
    let _ = writeln!(
        s,
        "## By the input's Li sites\n\nRows whose structure file lists vacant Li sites (some \
         site holding only Li is less than {:.0} % occupied), and rows whose every Li site is \
         full: there the current must use sites the file does not list (empty polyhedra of the \
         framework) or defects, whose occupation the model prices by the single-particle \
         landscape alone, without a defect formation energy (docs/physics.md §9.12; `halo kmc` \
         warns on such a file). Per row; a split with few rows, or made only of calibration \
         rows, measures little.\n",
        100.0 * crate::transport::sublattice::FULL_SITE_OCCUPANCY
    );
    let _ = writeln!(
        s,
        "| scoring | Spearman ρ | Kendall τ_b | log10 MAE | log10 bias | Ea MAE eV (n) | superionic above poor | scored | failed |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    let loco = r.attempt_frequency.n_pairs > 0;
    for (name, m, is_loco) in [
        (
            "vacant Li sites listed, ν0 as shipped",
            &b.vacant_sites,
            false,
        ),
        (
            "vacant Li sites listed, LOCO ν0",
            &b.vacant_sites_loco,
            true,
        ),
        ("every Li site full, ν0 as shipped", &b.full_sites, false),
        ("every Li site full, LOCO ν0", &b.full_sites_loco, true),
    ] {
        // no LOCO rows without calibration pairs (see the metrics section)
        if loco || !is_loco {
            let _ = writeln!(s, "{}", metrics_row(name, m));
        }
    }
    let _ = writeln!(s);
}

/// This run and the baseline on the rows both evaluated.
fn baseline_section(s: &mut String, r: &ValidationReport) {
    let Some(b) = &r.baseline else {
        return;
    };
    let ids = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(
        s,
        "## Against the baseline, on the rows both evaluated\n\nBaseline: `{}` (model `{}`). \
         Both runs scored on the {} rows both evaluated, each with ν0 as it shipped and with its \
         own LOCO refit; a row only one run evaluated is left out of both. Failed here only: {}. \
         Failed in the baseline only: {}.\n",
        b.file,
        b.baseline_settings["model"].as_str().unwrap_or("?"),
        b.common_rows.len(),
        ids(&b.failed_here_only),
        ids(&b.failed_in_baseline_only)
    );
    if !b.other_files.is_empty() {
        let _ = writeln!(
            s,
            "**Rows computed on another structure file than in the baseline** (their difference \
             is of the input, not of the model): {}.\n",
            b.other_files
                .iter()
                .map(|x| format!("`{x}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        s,
        "| scoring | Spearman ρ | Kendall τ_b | log10 MAE | log10 bias | Ea MAE eV (n) | superionic above poor | scored | failed |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for (who, m) in [("this run", &b.here), ("baseline", &b.baseline)] {
        for (how, x) in [
            ("per row", &m.per_row),
            ("per composition", &m.per_composition),
            ("per row, LOCO", &m.per_row_loco),
            ("per composition, LOCO", &m.per_composition_loco),
        ] {
            let _ = writeln!(s, "{}", metrics_row(&format!("{who}, {how}"), x));
        }
    }
    let _ = writeln!(s);
}

/// The rows, the diagnoses of rows off by more than a decade, and the compositions.
fn rows_section(s: &mut String, r: &ValidationReport) {
    let _ = writeln!(s, "## Rows\n");
    let _ = writeln!(
        s,
        "| id | formula | measured σ (S/cm) | measured Ea (eV) | predicted σ300 (S/cm) | predicted Ea (eV) | log10 error | LOCO log10 error | Li sites | status |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
    for row in &r.rows {
        let pm = |v: Option<f64>, e: Option<f64>, f: &dyn Fn(f64) -> String| match (v, e) {
            (Some(v), Some(e)) => format!("{} ± {}", f(v), f(e)),
            (Some(v), None) => f(v),
            _ => "–".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {:.3e} | {} | {} | {} | {} | {} | {} | {} |",
            row.row.id,
            row.row.formula,
            row.row.sigma_rt_s_per_cm,
            row.row.ea_ev.map(fixed3).unwrap_or_else(|| "–".into()),
            pm(
                row.predicted_sigma_300k_s_per_cm,
                row.predicted_sigma_300k_se_s_per_cm,
                &|x| format!("{x:.2e}")
            ),
            pm(row.predicted_ea_ev, row.predicted_ea_se_ev, &fixed3),
            opt(row.log10_error, |x| format!("{x:+.2}")),
            opt(row.loco_log10_error, |x| format!("{x:+.2}")),
            match row.li_sites_full {
                Some(true) => "all full",
                Some(false) => "vacant listed",
                None => "–",
            },
            match &row.reason {
                Some(reason) => format!("failed: {reason}{}", file_warnings(row)),
                None => {
                    let mut status = row.status.clone();
                    if !row.unresolved_temperatures_k.is_empty() {
                        status += &format!(
                            "; σ below the run's resolution at {} K (not fitted)",
                            row.unresolved_temperatures_k
                                .iter()
                                .map(|t| format!("{t:.0}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                    }
                    if let Some(rel) = row.rel_se_above_target {
                        status += &format!(
                            "; σ(300 K) relative SE {rel:.2}, above the stopping rule's target"
                        );
                    }
                    status + &file_warnings(row)
                }
            }
        );
    }
    let off: Vec<_> = r.rows.iter().filter(|x| x.diagnosis.is_some()).collect();
    if !off.is_empty() {
        let _ = writeln!(
            s,
            "\n## Rows off by more than one decade, or failed: where the model falls short\n"
        );
        let _ = writeln!(
            s,
            "Each line names the stage, from the numbers of the run (share of Li on interstitial \
             minima at 300 K, Li counted as framework, BVSE E_3D, failure reason).\n"
        );
        for row in off {
            let _ = writeln!(
                s,
                "- **{}** ({}): {}",
                row.row.id,
                opt(row.log10_error, |x| format!("{x:+.1} decades")),
                row.diagnosis.as_deref().unwrap_or("")
            );
        }
    }
    let _ = writeln!(s, "\n## Compositions (each scored once)\n");
    let _ = writeln!(
        s,
        "| formula | rows | measured σ (geometric mean) | predicted σ300 | log10 error | LOCO log10 error |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for c in &r.compositions {
        let _ = writeln!(
            s,
            "| {} | {} | {:.3e} | {} | {} | {} |",
            c.formula,
            c.rows.join(", "),
            c.measured_sigma_s_per_cm,
            opt(c.predicted_sigma_300k_s_per_cm, sci),
            opt(c.log10_error, |x| format!("{x:+.2}")),
            opt(c.loco_log10_error, |x| format!("{x:+.2}")),
        );
    }
}

/// Predicted vs refined Li occupancies.
fn occupancy_section(s: &mut String, r: &ValidationReport) {
    if !r.occupancies.is_empty() {
        let _ = writeln!(s, "\n## Li occupancies: predicted (300 K) vs refined\n");
        let _ = writeln!(
            s,
            "A measurement of the site energies that needs no conductivity. Refined values carry \
             the file's standard uncertainty where it states one.\n"
        );
        let _ = writeln!(
            s,
            "| structure | CIF label | Wyckoff | refined | predicted 300 K | predicted − refined | note |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        for o in &r.occupancies {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                o.file.rsplit('/').next().unwrap_or(&o.file),
                o.label,
                o.wyckoff,
                match (o.refined_occupancy, o.refined_occupancy_esd) {
                    (Some(x), Some(e)) => format!("{x:.3} ± {e:.3}"),
                    (x, _) => opt(x, fixed3),
                },
                opt(o.predicted_occupancy_300k, fixed3),
                opt(o.difference, |x| format!("{x:+.3}")),
                o.note
            );
        }
    }
    grounding_section(s, r);
}

/// The shifts `--ground-occupancies` fitted: those labels' occupancies are an input of the run.
fn grounding_section(s: &mut String, r: &ValidationReport) {
    use crate::transport::grounding::TemperatureSource;
    let grounded: Vec<_> = r
        .structures
        .iter()
        .filter_map(|x| x.grounding.as_ref().map(|g| (x, g)))
        .filter(|(_, g)| !g.labels.is_empty())
        .collect();
    if grounded.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\nOccupancies grounded (`--ground-occupancies`, docs/physics.md §9.15): the labels below \
         had their energies fitted to the refined occupancies, so their rows above are an input \
         of the run, not a test of it.\n"
    );
    let _ = writeln!(
        s,
        "| structure | at K | label | shift (eV) | occupancy | share-matched target | refined | converged |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for (x, g) in grounded {
        let at = format!(
            "{} ({})",
            g.settings.temperature_k,
            match g.settings.temperature_source {
                TemperatureSource::Given => "given",
                TemperatureSource::File { .. } => "the file's",
                TemperatureSource::Default => "default",
            }
        );
        for l in &g.labels {
            let _ = writeln!(
                s,
                "| {} | {at} | {} | {:+.3} | {:.3} | {:.3} | {} | {} |",
                x.file.rsplit('/').next().unwrap_or(&x.file),
                l.label,
                l.shift_ev,
                l.occupancy,
                l.target_occupancy,
                if (l.file_occupancy - l.refined_occupancy).abs() > 1e-9 {
                    // a site shared with a framework cation: of the sites left to Li
                    format!(
                        "{:.3} ({:.3} in the file)",
                        l.refined_occupancy, l.file_occupancy
                    )
                } else {
                    format!("{:.3}", l.refined_occupancy)
                },
                if g.converged { "yes" } else { "no" }
            );
        }
    }
}

/// How far coordinate noise moves the predictions.
fn noise_section(s: &mut String, r: &ValidationReport) {
    if !r.noise.is_empty() {
        let _ = writeln!(
            s,
            "\n## Coordinate noise (OBELiX-style, σ = {} fractional)\n",
            r.noise_sigma_frac
        );
        let _ = writeln!(
            s,
            "How far σ(300 K) and Ea move from the unperturbed structure's prediction over the \
             noisy copies (`halo_io::perturb`; same kMC settings and seed).\n"
        );
        let _ = writeln!(
            s,
            "| structure | copies (failed) | median abs Δlog10 σ | worst abs Δlog10 σ | median abs ΔEa (eV) | worst abs ΔEa (eV) |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|");
        for n in &r.noise {
            let _ = writeln!(
                s,
                "| {} | {} ({}) | {} | {} | {} | {} |",
                n.file.rsplit('/').next().unwrap_or(&n.file),
                n.copies,
                n.failed,
                opt(n.median_abs_dlog10_sigma, |x| format!("{x:.2}")),
                opt(n.worst_abs_dlog10_sigma, |x| format!("{x:.2}")),
                opt(n.median_abs_dea_ev, fixed3),
                opt(n.worst_abs_dea_ev, fixed3),
            );
        }
        // why copies failed, once per structure (every copy's reason is in validation.json)
        let failed: Vec<&NoiseSummary> = r.noise.iter().filter(|n| n.failed > 0).collect();
        if !failed.is_empty() {
            let _ = writeln!(
                s,
                "
Failed copies, the first reason of each structure:
"
            );
            for n in failed {
                let _ = writeln!(
                    s,
                    "- {} ({} of {}): {}",
                    n.file.rsplit('/').next().unwrap_or(&n.file),
                    n.failed,
                    n.copies,
                    n.first_failure.as_deref().unwrap_or("?")
                );
            }
        }
    }
}

/// Write every output into `dir` (created if missing).
pub fn write_outputs(r: &ValidationReport, dir: &Path) -> Result<(), CampaignError> {
    std::fs::create_dir_all(dir).map_err(|e| CampaignError::io(dir, e))?;
    write_atomic(&dir.join("validation.csv"), csv_text(r).as_bytes())?;
    let json = serde_json::to_string_pretty(r).map_err(|e| CampaignError::Serialize {
        what: "validation report".into(),
        reason: e.to_string(),
    })?;
    write_atomic(&dir.join("validation.json"), json.as_bytes())?;
    write_atomic(&dir.join("report.md"), report_md(r).as_bytes())?;
    let svg = super::plot::parity_svg(r)?;
    write_atomic(&dir.join("parity.svg"), svg.as_bytes())?;
    Ok(())
}
