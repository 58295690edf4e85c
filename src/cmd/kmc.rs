//! `halo kmc`: kinetic Monte Carlo of Li hopping on the BVSE site graph of a structure.
//!
//! Pipeline (`halo_campaign::transport::evaluate`, shared with campaigns and `halo validate`):
//! structure → BVSE landscape (default mode, Li on sites shared with a framework
//! cation kept as framework) → percolation site graph → minima on framework-cation sites
//! dropped → `halo_kmc::simulate` with the mobile-ion count from the composition.
use anyhow::{bail, Context};
use halo_bvse::{BvseParams, GridMode, MixedSiteMobile};
use halo_campaign::transport::{Transport, TransportSettings};
use halo_core::Species;
use halo_kmc::{defaults, KmcParams, MobileIons, SupercellChoice};
use halo_percolation::PercolationParams;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `halo kmc`.
#[derive(clap::Args)]
pub struct Args {
    /// CIF, POSCAR or pymatgen JSON structure.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write an Arrhenius plot (SVG).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Mobile ions per structure cell (default: from the composition).
    #[arg(long)]
    pub mobile_per_cell: Option<f64>,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// The transport model's settings, shared by `halo kmc` and `halo validate` (one set of
/// defaults for both).
#[derive(clap::Args, Clone, Debug)]
pub struct ModelArgs {
    /// Temperatures, K, comma separated (default 300,350,400,450,500).
    #[arg(long = "temperatures-k", alias = "temperatures")]
    pub temperatures: Option<String>,
    /// Master seed of the RNG streams.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// `auto` or repetitions `a,b,c` of the structure cell.
    #[arg(long, default_value = "auto")]
    pub supercell: String,
    /// Mobile ion.
    #[arg(long, default_value = "Li+")]
    pub mobile_ion: String,
    /// BVSE grid spacing, Å.
    #[arg(long = "resolution-ang", alias = "resolution", default_value_t = halo_bvse::DEFAULT_RESOLUTION_ANG)]
    pub resolution: f64,
    /// Sites closer than this may not be occupied together, Å.
    #[arg(long = "blocking-distance-ang", alias = "blocking-distance", default_value_t = defaults::BLOCKING_DISTANCE_ANG)]
    pub blocking_distance: f64,
    /// Attempt frequency ν0, s⁻¹ (default: the calibrated value of
    /// crates/data/tables/kmc_calibration.csv, fitted by scripts/calibrate_kmc.py).
    #[arg(long = "attempt-frequency-hz", alias = "attempt-frequency")]
    pub attempt_frequency: Option<f64>,
    /// Independent replicas per temperature.
    #[arg(long, default_value_t = defaults::REPLICAS)]
    pub replicas: usize,
    /// Measured blocks per replica.
    #[arg(long, default_value_t = defaults::BLOCKS)]
    pub blocks: usize,
    /// Block length, hops per ion.
    #[arg(long, default_value_t = defaults::HOPS_PER_ION_PER_BLOCK)]
    pub hops_per_block: f64,
    /// Equilibration, hops per ion.
    #[arg(long = "equilibration-hops-per-ion", alias = "equilibration", default_value_t = defaults::EQUILIBRATION_HOPS_PER_ION)]
    pub equilibration: f64,
    /// Minimum mobile ions in an automatic supercell.
    #[arg(long, default_value_t = defaults::MIN_IONS)]
    pub min_ions: usize,
}

impl ModelArgs {
    /// Validate the arguments into the transport settings (before any file is read) and say
    /// where the attempt frequency comes from.
    pub fn settings(
        &self,
        mobile_per_cell: Option<f64>,
    ) -> anyhow::Result<(TransportSettings, serde_json::Value)> {
        let temps = match &self.temperatures {
            Some(t) => parse_temperatures(t)?,
            None => defaults::TEMPERATURES_K.to_vec(),
        };
        let supercell = parse_supercell(&self.supercell)?;
        let mobile_ion = Species::parse(&self.mobile_ion)
            .with_context(|| format!("--mobile-ion '{}'", self.mobile_ion))?;
        let cal = halo_data::calibration::kmc_attempt_frequency();
        let (nu0, calibration) = match self.attempt_frequency {
            Some(v) => (
                v,
                json!({"attempt_frequency_hz": v, "source": "--attempt-frequency (not the calibrated value)",
                       "calibrated_attempt_frequency_hz": cal.value}),
            ),
            None => (
                cal.value,
                json!({"attempt_frequency_hz": cal.value,
                       "source": "calibrated default, crates/data/tables/kmc_calibration.csv",
                       "fit": cal.fit, "input": cal.input, "script": cal.script,
                       "output": cal.output}),
            ),
        };
        let mut params = KmcParams::new(temps);
        params.seed = self.seed;
        params.supercell = supercell;
        params.blocking_distance_ang = self.blocking_distance;
        params.attempt_frequency_hz = nu0;
        params.replicas = self.replicas;
        params.blocks_per_replica = self.blocks;
        params.hops_per_ion_per_block = self.hops_per_block;
        params.equilibration_hops_per_ion = self.equilibration;
        params.min_ions = self.min_ions;
        // every other parameter is validated before the file is read; the ion count from the
        // structure replaces this value
        params.mobile_ions = MobileIons::PerCell(mobile_per_cell.unwrap_or(1.0));
        params.validate()?;
        if let Some(m) = mobile_per_cell {
            if !(m.is_finite() && m > 0.0) {
                bail!("--mobile-per-cell must be a positive number, got {m}");
            }
        }
        let bvse = BvseParams {
            mobile_ion,
            resolution_ang: self.resolution,
            mode: GridMode::Default,
            mixed_site_mobile: MixedSiteMobile::KeepAsFramework,
            ..Default::default()
        };
        bvse.validate()?;
        Ok((
            TransportSettings {
                bvse,
                percolation: PercolationParams::default(),
                kmc: params,
                mobile_per_cell,
                stop: None,
            },
            calibration,
        ))
    }
}

fn parse_temperatures(s: &str) -> anyhow::Result<Vec<f64>> {
    s.split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .with_context(|| format!("--temperatures-k: '{x}' is not a number"))
        })
        .collect()
}

fn parse_supercell(s: &str) -> anyhow::Result<SupercellChoice> {
    if s == "auto" {
        return Ok(SupercellChoice::Auto);
    }
    let v: Vec<usize> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<usize>()
                .with_context(|| format!("--supercell: '{x}' is not a positive integer"))
        })
        .collect::<anyhow::Result<_>>()?;
    if v.len() != 3 {
        bail!("--supercell must be `auto` or three integers a,b,c, got '{s}'");
    }
    Ok(SupercellChoice::Fixed([v[0], v[1], v[2]]))
}

/// Parse a CLI value into params and a network: everything the run needs, checked first.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (settings, calibration) = args.model.settings(args.mobile_per_cell)?;
    let loaded = halo_io::read_structure(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let structure = &loaded.structure;
    let tr = halo_campaign::transport::evaluate(structure, &settings, |_| {}).map_err(|e| {
        let hint = if e.message.starts_with("no mobile") {
            "; give --mobile-per-cell"
        } else {
            ""
        };
        anyhow::anyhow!("{}: {}{hint}", args.file.display(), e)
    })?;
    let result = &tr.kmc;
    eprintln!(
        "halo kmc: {} sites, {} hops in the cell ({} framework minima dropped); landscape+graph {:.2} s, kMC {:.2} s",
        tr.network_sites,
        tr.network_hops,
        tr.framework_minima_dropped,
        tr.landscape_graph_s,
        tr.kmc_s
    );
    if let Some(p) = &args.plot {
        let title = format!("{} (kMC)", structure.composition().reduced_formula());
        let svg = halo_kmc::plot::arrhenius_svg(result, &title)?;
        std::fs::write(p, svg).with_context(|| format!("writing {}", p.display()))?;
    }
    if args.json {
        let out = json!({
            "file": args.file.display().to_string(),
            "formula": structure.composition().reduced_formula(),
            "mobile_ions": tr.mobile,
            "mobile_per_cell_used": tr.mobile_per_cell_used,
            "network": {"sites": tr.network_sites, "hops": tr.network_hops,
                        "framework_minima_dropped": tr.framework_minima_dropped,
                        "bvse_resolution_ang": settings.bvse.resolution_ang,
                        "e_3d_ev": tr.percolation.thresholds.e_3d_ev},
            "calibration": calibration,
            "kmc": result,
            "temperatures": result.temperatures,
            "arrhenius": result.arrhenius,
            "timing_s": {"landscape_graph": tr.landscape_graph_s, "kmc": tr.kmc_s},
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_text(&args, &tr, &calibration);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(args: &Args, tr: &Transport, calibration: &serde_json::Value) {
    let (count, per_cell, r) = (&tr.mobile, tr.mobile_per_cell_used, &tr.kmc);
    println!("{}", args.file.display());
    println!(
        "mobile {}: {per_cell:.3} per cell (composition: mobile {:.3}, framework {:.3} on shared sites {:?})",
        count.element, count.mobile_per_cell, count.framework_per_cell, count.framework_site_labels
    );
    println!(
        "network: {} sites, {} hops per cell; supercell {:?}: {} sites, {} ions, N/V = {:.5} Å⁻³; blocking {} Å; seed {}",
        tr.network_sites,
        tr.network_hops,
        r.supercell,
        r.n_sites,
        r.n_ions,
        r.ions_per_ang3,
        r.params.blocking_distance_ang,
        r.params.seed
    );
    println!(
        "{:>7} {:>22} {:>22} {:>14} {:>22} {:>10} {:>12}",
        "T (K)", "D* (cm²/s)", "D_σ (cm²/s)", "H", "σ (S/cm)", "hops", "time (s)"
    );
    for t in &r.temperatures {
        println!(
            "{:>7.1} {:>11.3e} ± {:<8.1e} {:>11.3e} ± {:<8.1e} {:>6.3} ± {:<5.3} {:>11.3e} ± {:<8.1e} {:>10} {:>12.3e}",
            t.temperature_k,
            t.d_tracer_cm2_per_s,
            t.d_tracer_se_cm2_per_s,
            t.d_sigma_cm2_per_s,
            t.d_sigma_se_cm2_per_s,
            t.haven_ratio,
            t.haven_ratio_se,
            t.sigma_s_per_cm,
            t.sigma_se_s_per_cm,
            t.hops,
            t.simulated_time_s
        );
        let occ: Vec<String> = t
            .occupancies
            .iter()
            .map(|o| {
                format!(
                    "{} {:.3} ({:.2}/cell)",
                    o.label, o.occupancy, o.ions_per_cell
                )
            })
            .collect();
        println!("        occupancy: {}", occ.join(", "));
    }
    println!(
        "attempt frequency ν0 = {:.3e} s⁻¹ ({})",
        r.params.attempt_frequency_hz,
        calibration["source"].as_str().unwrap_or("")
    );
    match &r.arrhenius {
        Some(a) => println!(
            "Arrhenius ln(σT): Ea = {:.3} ± {:.3} eV, A = {:.3e} S·K/cm, σ(300 K) = {:.3e} ± {:.1e} S/cm (χ²_red {:.2})",
            a.ea_ev, a.ea_se_ev, a.prefactor_s_k_per_cm, a.sigma_300k_s_per_cm, a.sigma_300k_se_s_per_cm, a.chi2_reduced
        ),
        None => println!("Arrhenius fit: needs two temperatures with σ > 0"),
    }
}
