//! `halo validate`: the conductivity model against measured halides (metrics, LOCO refit of
//! the attempt frequency, refined-occupancy check, noise robustness). The work is
//! `halo_campaign::validate`; this module parses arguments, shows progress and prints.

use super::kmc::ModelArgs;
use anyhow::Context;
use halo_campaign::validate::{self, ValidateOptions};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `halo validate`.
#[derive(clap::Args)]
pub struct Args {
    /// Validation set (CSV: id, file, formula, sigma_rt_s_per_cm, ea_ev, …), e.g.
    /// tests/validation/validation_set.csv.
    pub set: PathBuf,
    /// Output folder for validation.csv, validation.json, report.md and parity.svg.
    #[arg(long, default_value = "results/validation")]
    pub out: PathBuf,
    /// Worker threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Refined Li sites to compare predicted occupancies with (CSV: file, label, wyckoff,
    /// source), e.g. tests/validation/refined_li_sites.csv.
    #[arg(long)]
    pub sites: Option<PathBuf>,
    /// Structures of the calibration rows, for the leave-one-composition-out refit of ν0
    /// (CSV: composition, file, source). Default: calibration_structures.csv beside the set,
    /// when it exists.
    #[arg(long)]
    pub calibration_pairs: Option<PathBuf>,
    /// Further passes over the set at seeds seed+1 … seed+K (no noise study), reported as the
    /// seed spread of the metrics; 0 = none.
    #[arg(long, default_value_t = 0)]
    pub seed_repeats: usize,
    /// Noisy copies of every structure (OBELiX-style coordinate noise); 0 = none.
    #[arg(long, default_value_t = 0)]
    pub noise_copies: usize,
    /// Noise level of the copies, fractional coordinates.
    #[arg(long, default_value_t = halo_io::perturb::OBELIX_SIGMA_FRAC)]
    pub noise_sigma_frac: f64,
    /// A previous `validation.json` of the same set (e.g. results/validation/validation.json):
    /// both runs are also scored on the rows both evaluated, so a change that makes a row fail
    /// (or rescues one) is compared on equal terms; the rows only one run evaluated are listed.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Site energies and hop barriers from another model (DFT, an ML potential) per structure
    /// file (CSV: file, site_energies, hop_barriers; paths relative to the table): every run of
    /// such a structure puts them on its network, as `halo kmc --site-energies/--hop-barriers`
    /// (docs/physics.md §9.14).
    #[arg(long)]
    pub energies: Option<PathBuf>,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Run `halo validate`. Exit 0 when every row was evaluated, 1 when some failed (recorded with
/// their reasons in the outputs).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (settings, calibration) = args.model.settings(None)?;
    if !(args.noise_sigma_frac.is_finite()
        && args.noise_sigma_frac > 0.0
        && args.noise_sigma_frac <= halo_io::perturb::MAX_SIGMA_FRAC)
    {
        anyhow::bail!(
            "--noise-sigma-frac must be in (0, {}], got {}",
            halo_io::perturb::MAX_SIGMA_FRAC,
            args.noise_sigma_frac
        );
    }
    if args.seed_repeats > 20 {
        anyhow::bail!("--seed-repeats {} is more than 20", args.seed_repeats);
    }
    if args.noise_copies > 100 {
        anyhow::bail!("--noise-copies {} is more than 100", args.noise_copies);
    }
    if settings.kmc.temperatures_k.len() < 2 {
        anyhow::bail!(
            "--temperatures-k: halo validate compares σ(300 K) and Ea from an Arrhenius fit, which \
             needs at least two temperatures (got {:?})",
            settings.kmc.temperatures_k
        );
    }
    let threads = super::campaign::threads(args.threads)?;
    let rows = validate::input::read_set(&args.set)?;
    let sites = match &args.sites {
        Some(p) => validate::input::read_sites(p)?,
        None => Vec::new(),
    };
    let pairs_path = args.calibration_pairs.clone().or_else(|| {
        let p = args
            .set
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("calibration_structures.csv");
        p.is_file().then_some(p)
    });
    let calibration_pairs = match &pairs_path {
        Some(p) => validate::input::read_calibration(p)?,
        None => Vec::new(),
    };
    let baseline = match &args.baseline {
        Some(p) => Some(validate::baseline::Baseline::load(p, &rows)?),
        None => None,
    };
    let energies = match &args.energies {
        Some(p) => validate::input::read_energy_table(p)?,
        None => Vec::new(),
    };
    let opts = ValidateOptions {
        energies,
        baseline,
        settings,
        calibration,
        sites,
        calibration_pairs,
        calibration_pairs_path: pairs_path,
        noise_copies: args.noise_copies,
        noise_sigma_frac: args.noise_sigma_frac,
        seed_repeats: args.seed_repeats,
    };
    // one writer per output folder: a second validate there is refused before it runs
    let _lock = halo_campaign::folder::lock_output_dir(&args.out, "halo validate")?;
    let tty = std::io::stderr().is_terminal();
    let bar = if tty {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("validate [{bar:36}] {pos:>4}/{len:4} {elapsed} {msg}")
                .expect("static template")
                .progress_chars("=> "),
        );
        Some(b)
    } else {
        None
    };
    let progress = |done: usize, total: usize, what: &str| match &bar {
        Some(b) => {
            b.set_length(total as u64);
            b.set_position(done as u64);
            b.set_message(what.to_string());
        }
        None => eprintln!("halo validate: {done}/{total} {what}"),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting the worker threads")?;
    let report = pool.install(|| validate::run(&args.set, rows, &opts, &progress))?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    for n in &report.notes {
        eprintln!("note: {n}");
    }
    validate::write_outputs(&report, &args.out)?;
    let m = &report.metrics;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} rows ({} failed), {} compositions; ν0 = {:.3e} s⁻¹",
            m.n_rows + m.n_failed,
            m.n_failed,
            report.compositions.len(),
            report.attempt_frequency.used_hz
        );
        if report.attempt_frequency.n_pairs == 0 {
            println!(
                "no calibration pairs (--calibration-pairs, or calibration_structures.csv beside the \
                 set): ν0 cannot be refitted, so every LOCO metric is –"
            );
        }
        let seeds: Vec<(String, &validate::metrics::Metrics)> = report
            .seed_runs
            .iter()
            .map(|x| {
                (
                    format!("seed {}, LOCO", x.seed),
                    &x.metrics_loco_per_composition,
                )
            })
            .collect();
        let lines = [
            ("per row".to_string(), &report.metrics),
            (
                "per composition".to_string(),
                &report.metrics_per_composition,
            ),
            ("per row, LOCO".to_string(), &report.metrics_loco),
            (
                "per composition, LOCO".to_string(),
                &report.metrics_loco_per_composition,
            ),
        ];
        for (name, m) in lines.into_iter().chain(seeds) {
            print_metrics(&name, m);
        }
        let split = &report.by_li_sublattice;
        let rows = |n: usize| format!("{n} row{}", if n == 1 { "" } else { "s" });
        println!(
            "per row, by the input's Li sites ({} list vacant Li sites, {} have every Li site full: docs/physics.md §9.12):",
            rows(split.vacant_sites.n_rows + split.vacant_sites.n_failed),
            rows(split.full_sites.n_rows + split.full_sites.n_failed)
        );
        print_metrics("vacant sites listed", &split.vacant_sites);
        print_metrics("every site full", &split.full_sites);
        if let Some(b) = &report.baseline {
            println!(
                "against the baseline {} on the {} rows both evaluated (failed here only: {}; failed in the baseline only: {}):",
                b.file,
                b.common_rows.len(),
                list(&b.failed_here_only),
                list(&b.failed_in_baseline_only)
            );
            if !b.other_files.is_empty() {
                println!(
                    "  rows computed on another structure file than in the baseline (a change of \
                     input, not of the model): {}",
                    b.other_files.join("; ")
                );
            }
            for (name, m) in [
                ("this run, per row", &b.here.per_row),
                ("baseline, per row", &b.baseline.per_row),
                ("this run, comp., LOCO", &b.here.per_composition_loco),
                ("baseline, comp., LOCO", &b.baseline.per_composition_loco),
            ] {
                print_metrics(name, m);
            }
        }
        println!(
            "wrote {}/{{validation.csv,validation.json,report.md,parity.svg}}",
            args.out.display()
        );
    }
    Ok(if m.n_failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Row ids joined with commas, or "none".
fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".into()
    } else {
        ids.join(", ")
    }
}

/// One line of metrics, named.
fn print_metrics(name: &str, m: &validate::metrics::Metrics) {
    let f = |v: Option<f64>| v.map(|x| format!("{x:.3}")).unwrap_or_else(|| "–".into());
    // with fewer than 5 scored values a rank correlation can take only a few values (±1 at 2)
    let few = if (1..5).contains(&m.n_rows) {
        " (few rows: rank statistics are coarse)"
    } else {
        ""
    };
    println!(
        "{name:>22}: n {}  Spearman ρ {}  Kendall τ {}  log10 MAE {}  bias {}  Ea MAE {} eV  superionic above poor {}{few}",
        m.n_rows,
        f(m.spearman_rho),
        f(m.kendall_tau),
        f(m.log10_mae),
        f(m.log10_bias),
        f(m.ea_mae_ev),
        f(m.superionic_above_poor_fraction)
    );
}
