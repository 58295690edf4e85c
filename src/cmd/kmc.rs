//! `halo kmc`: kinetic Monte Carlo of Li hopping on the BVSE site graph of a structure.
//!
//! Pipeline: structure → BVSE landscape (default mode, Li on sites shared with a framework
//! cation kept as framework) → percolation site graph → minima on framework-cation sites
//! dropped → `halo_kmc::simulate` with the mobile-ion count from the composition.
use anyhow::{bail, Context};
use halo_bvse::{BvseParams, GridMode, MixedSiteMobile};
use halo_core::Species;
use halo_kmc::{HopNetwork, KmcParams, KmcResult, MobileIons, SupercellChoice};
use halo_percolation::{analyze, PercolationParams};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `halo kmc`.
#[derive(clap::Args)]
pub struct Args {
    /// CIF, POSCAR or pymatgen JSON structure.
    pub file: PathBuf,
    /// Temperatures, K, comma separated.
    #[arg(long, default_value = "300,350,400,450,500")]
    pub temperatures: String,
    /// Master seed of the RNG streams.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// `auto` or repetitions `a,b,c` of the structure cell.
    #[arg(long, default_value = "auto")]
    pub supercell: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write an Arrhenius plot (SVG).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Mobile ion.
    #[arg(long, default_value = "Li+")]
    pub mobile_ion: String,
    /// BVSE grid spacing, Å.
    #[arg(long, default_value_t = 0.2)]
    pub resolution: f64,
    /// Sites closer than this may not be occupied together, Å.
    #[arg(long, default_value_t = 2.5)]
    pub blocking_distance: f64,
    /// Attempt frequency ν0, s⁻¹.
    #[arg(long, default_value_t = 1e13)]
    pub attempt_frequency: f64,
    /// Mobile ions per structure cell (default: from the composition).
    #[arg(long)]
    pub mobile_per_cell: Option<f64>,
    /// Independent replicas per temperature.
    #[arg(long, default_value_t = 4)]
    pub replicas: usize,
    /// Measured blocks per replica.
    #[arg(long, default_value_t = 16)]
    pub blocks: usize,
    /// Block length, hops per ion.
    #[arg(long, default_value_t = 50.0)]
    pub hops_per_block: f64,
    /// Equilibration, hops per ion.
    #[arg(long, default_value_t = 100.0)]
    pub equilibration: f64,
    /// Minimum mobile ions in an automatic supercell.
    #[arg(long, default_value_t = 128)]
    pub min_ions: usize,
}

fn parse_temperatures(s: &str) -> anyhow::Result<Vec<f64>> {
    s.split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .with_context(|| format!("--temperatures: '{x}' is not a number"))
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
    let temps = parse_temperatures(&args.temperatures)?;
    let supercell = parse_supercell(&args.supercell)?;
    let mobile_ion = Species::parse(&args.mobile_ion)
        .with_context(|| format!("--mobile-ion '{}'", args.mobile_ion))?;
    let mut params = KmcParams::new(temps);
    params.seed = args.seed;
    params.supercell = supercell;
    params.blocking_distance_ang = args.blocking_distance;
    params.attempt_frequency_hz = args.attempt_frequency;
    params.replicas = args.replicas;
    params.blocks_per_replica = args.blocks;
    params.hops_per_ion_per_block = args.hops_per_block;
    params.equilibration_hops_per_ion = args.equilibration;
    params.min_ions = args.min_ions;
    // every other parameter is validated before the file is read; the ion count from the
    // structure replaces this value below
    params.mobile_ions = MobileIons::PerCell(1.0);
    params.validate()?;

    let loaded = halo_io::read_structure(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let structure = &loaded.structure;
    let count = halo_kmc::mobile_ion_count(structure, mobile_ion.element);
    let per_cell = args.mobile_per_cell.unwrap_or(count.mobile_per_cell);
    if !(per_cell.is_finite() && per_cell > 0.0) {
        bail!(
            "{}: no mobile {} (mobile {:.3}, framework {:.3} per cell); give --mobile-per-cell",
            args.file.display(),
            count.element,
            count.mobile_per_cell,
            count.framework_per_cell
        );
    }
    params.mobile_ions = MobileIons::PerCell(per_cell);

    let t0 = Instant::now();
    let bparams = BvseParams {
        mobile_ion,
        resolution_ang: args.resolution,
        mode: GridMode::Default,
        mixed_site_mobile: MixedSiteMobile::KeepAsFramework,
        ..Default::default()
    };
    let valid = bparams.validate()?;
    let land = halo_bvse::landscape_valid(structure, &valid)
        .with_context(|| format!("BVSE landscape of {}", args.file.display()))?;
    let perc = analyze(&land, &PercolationParams::default())
        .with_context(|| format!("site graph of {}", args.file.display()))?;
    let (net, excluded) = halo_kmc::mobile::network_without_framework_minima(
        structure,
        mobile_ion.element,
        &perc.site_graph,
        halo_kmc::mobile::FRAMEWORK_MINIMUM_TOLERANCE_ANG,
    )
    .with_context(|| format!("hop network of {}", args.file.display()))?;
    let t_graph = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let result = halo_kmc::simulate(&net, &params)
        .with_context(|| format!("kMC of {}", args.file.display()))?;
    let t_kmc = t1.elapsed().as_secs_f64();
    eprintln!(
        "halo kmc: {} sites, {} hops in the cell ({} framework minima dropped); landscape+graph {t_graph:.2} s, kMC {t_kmc:.2} s",
        net.sites.len(),
        net.hops.len(),
        excluded
    );
    if let Some(p) = &args.plot {
        let title = format!("{} (kMC)", structure.composition().reduced_formula());
        let svg = halo_kmc::plot::arrhenius_svg(&result, &title)?;
        std::fs::write(p, svg).with_context(|| format!("writing {}", p.display()))?;
    }
    if args.json {
        let out = json!({
            "file": args.file.display().to_string(),
            "formula": structure.composition().reduced_formula(),
            "mobile_ions": count,
            "mobile_per_cell_used": per_cell,
            "network": {"sites": net.sites.len(), "hops": net.hops.len(),
                        "framework_minima_dropped": excluded,
                        "bvse_resolution_ang": args.resolution,
                        "e_3d_ev": perc.thresholds.e_3d_ev},
            "kmc": result,
            "temperatures": result.temperatures,
            "arrhenius": result.arrhenius,
            "timing_s": {"landscape_graph": t_graph, "kmc": t_kmc},
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_text(&args, &count, per_cell, &net, &result);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(
    args: &Args,
    count: &halo_kmc::MobileIonCount,
    per_cell: f64,
    net: &HopNetwork,
    r: &KmcResult,
) {
    println!("{}", args.file.display());
    println!(
        "mobile {}: {per_cell:.3} per cell (composition: mobile {:.3}, framework {:.3} on shared sites {:?})",
        count.element, count.mobile_per_cell, count.framework_per_cell, count.framework_site_labels
    );
    println!(
        "network: {} sites, {} hops per cell; supercell {:?}: {} sites, {} ions, N/V = {:.5} Å⁻³; blocking {} Å; seed {}",
        net.sites.len(),
        net.hops.len(),
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
    match &r.arrhenius {
        Some(a) => println!(
            "Arrhenius ln(σT): Ea = {:.3} ± {:.3} eV, A = {:.3e} S·K/cm, σ(300 K) = {:.3e} ± {:.1e} S/cm (χ²_red {:.2})",
            a.ea_ev, a.ea_se_ev, a.prefactor_s_k_per_cm, a.sigma_300k_s_per_cm, a.sigma_300k_se_s_per_cm, a.chi2_reduced
        ),
        None => println!("Arrhenius fit: needs two temperatures with σ > 0"),
    }
}
