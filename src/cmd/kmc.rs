//! `halo kmc`: kinetic Monte Carlo of Li hopping on the BVSE site graph of a structure.
//!
//! Pipeline (`halo_campaign::transport::evaluate`, shared with campaigns and `halo validate`):
//! structure → BVSE landscape (default mode, Li on sites shared with a framework
//! cation kept as framework) → percolation site graph → minima on framework-cation sites
//! dropped → `halo_kmc::simulate` with the mobile-ion count from the composition.
use anyhow::Context;
use halo_campaign::transport::{
    ConductivityModel, EnsembleSettings, ModelOptions, PairPotential, Transport, TransportSettings,
};
use halo_kmc::defaults;
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
    /// Site energies of the mobile ion from another model (DFT, an ML potential), CSV
    /// `site,energy_ev` (relative to the first row) or `site,shift_ev` (added to the
    /// landscape's); a site is a label of the structure file or a position `x y z`
    /// (fractional), matched with its symmetry images. Every hop keeps its E_KRA
    /// (docs/physics.md §9.14).
    #[arg(long, value_name = "FILE")]
    pub site_energies: Option<PathBuf>,
    /// Migration barriers E_KRA from another model (climbing-image NEBs), CSV
    /// `from,to,e_kra_ev`: every hop between a minimum of `from` and one of `to` (sites as in
    /// --site-energies) gets that E_KRA on the final site energies (docs/physics.md §9.14).
    #[arg(long, value_name = "FILE")]
    pub hop_barriers: Option<PathBuf>,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// The transport model's settings, shared by `halo kmc` and `halo validate` (one set of
/// defaults for both: `halo_campaign::transport::ModelOptions`).
#[derive(clap::Args, Clone, Debug)]
pub struct ModelArgs {
    /// Where the structure file has partly occupied Li sites: fit the Li sites' energies (one
    /// shift per label) so that the model's equilibrium occupancies at the refinement temperature
    /// distribute the Li over them as the file does; uses the file only, no conductivity (docs/physics.md §9.15).
    /// Not with --site-energies.
    #[arg(long)]
    pub ground_occupancies: bool,
    /// Temperature the file's occupancies were measured at, for --ground-occupancies, K.
    /// Default: the CIF's _diffrn_ambient_temperature (or _cell_measurement_temperature), else
    /// 300 K. Give it for a refinement measured below the temperature at which its Li stop
    /// exchanging between sites (the distribution is then frozen in from that temperature).
    #[arg(long, value_name = "K", requires = "ground_occupancies")]
    pub grounding_temperature_k: Option<f64>,
    /// Conductivity model: `averaged` (the occupancy-averaged single-particle model, the
    /// default) or `explicit` (explicit configurations, interacting Li; docs/physics.md §9.8).
    #[arg(long, default_value = "averaged")]
    pub model: String,
    /// Temperatures, K, comma separated (default 300,350,400,450,500).
    #[arg(long = "temperatures-k", alias = "temperatures")]
    pub temperatures: Option<String>,
    /// Master seed of the RNG streams and of the realisations.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// `auto` or repetitions `a,b,c` of the kMC network cell (explicit model: of the realisation
    /// supercell, which for a disordered structure is already the automatic kMC cell).
    #[arg(long, default_value = "auto", allow_hyphen_values = true)]
    pub supercell: String,
    /// Mobile ion.
    #[arg(long, default_value = "Li+")]
    pub mobile_ion: String,
    /// BVSE grid spacing, Å.
    #[arg(long = "resolution-ang", alias = "resolution", default_value_t = halo_bvse::DEFAULT_RESOLUTION_ANG)]
    pub resolution: f64,
    /// Screening factor f of the landscape's Coulomb term between the mobile ion and the
    /// framework cations, erfc(r/(f·(rc_M + rc_j)))/r (default bvlain's 0.74; the calibrated ν0
    /// belongs to 0.74; docs/physics.md §9.11).
    #[arg(long)]
    pub screening_factor: Option<f64>,
    /// Hard core: sites closer than this may not be occupied together, Å (default 1.6 for the
    /// explicit model, 2.5 for the averaged one).
    #[arg(long = "blocking-distance-ang", alias = "blocking-distance")]
    pub blocking_distance: Option<f64>,
    /// Attempt frequency ν0, s⁻¹ (default: the model's calibrated value in
    /// crates/data/tables/kmc_calibration.csv).
    #[arg(long = "attempt-frequency-hz", alias = "attempt-frequency")]
    pub attempt_frequency: Option<f64>,
    /// Li–Li repulsion of the explicit model: `bvse` (the landscape's own cation–cation term,
    /// no fitted constant; the default) or `yukawa` (screened Coulomb with a fitted dielectric
    /// constant; docs/physics.md §9.8).
    #[arg(long)]
    pub pair_potential: Option<String>,
    /// Dielectric constant ε of the Yukawa Li–Li repulsion (explicit model with
    /// `--pair-potential yukawa`; default: the calibrated value).
    #[arg(long)]
    pub dielectric_constant: Option<f64>,
    /// Metropolis moves per ion before the kMC equilibration (default 200 explicit, 0 averaged).
    #[arg(long)]
    pub metropolis_sweeps_per_ion: Option<f64>,
    /// Stiffness c of the anions' bond-valence saturation, eV per valence unit squared
    /// (explicit model): c·Σ_X (S_X − V_X)² over the anions' bond-valence sums, a lattice gas of
    /// site and pair energies (docs/physics.md §5b). Default 0 (no term).
    #[arg(long)]
    pub anion_saturation_ev: Option<f64>,
    /// Relax the anions before the landscape (averaged model; docs/physics.md §9.9). Off by
    /// default.
    #[arg(long)]
    pub relax_anions: bool,
    /// The energy of `--relax-anions`: `valence_sums` (the bond-valence global instability
    /// index; the default) or `force_field` (a bond-valence force field: Morse bonds to the
    /// cations, screened Coulomb repulsion between the anions; docs/physics.md §9.10).
    #[arg(long)]
    pub relax_energy: Option<String>,
    /// Fewest realisations of a disordered structure (explicit model).
    #[arg(long, default_value_t = halo_campaign::transport::ensemble::MIN_REALISATIONS_DISORDERED)]
    pub min_realisations: usize,
    /// Most realisations: the cap of the stopping rule (explicit model).
    #[arg(long, default_value_t = halo_campaign::transport::ensemble::MAX_REALISATIONS)]
    pub max_realisations: usize,
    /// Per-candidate stopping rule: stop when the relative SE of σ(300 K) is at most this
    /// (explicit model: stop adding realisations; averaged model: stop adding replicas at the
    /// temperatures whose σ is not yet measured to it).
    #[arg(long, default_value_t = halo_campaign::transport::ensemble::TARGET_REL_SE)]
    pub target_rel_se: f64,
    /// Landscape minima shallower than this between deeper sites are stations of a hop, eV.
    #[arg(long, default_value_t = halo_kmc::stations::DEFAULT_MAX_DEPTH_EV)]
    pub station_max_depth_ev: f64,
    /// Independent replicas per temperature (averaged model: the replicas each temperature
    /// starts with).
    #[arg(long, default_value_t = defaults::REPLICAS)]
    pub replicas: usize,
    /// Most replicas per temperature: the cap of the averaged model's stopping rule (default
    /// 4 × --replicas; equal to --replicas: a fixed run).
    #[arg(long)]
    pub max_replicas: Option<usize>,
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
    /// The library's options for these flags.
    pub fn options(&self) -> anyhow::Result<ModelOptions> {
        let model = ConductivityModel::parse(&self.model).with_context(|| {
            format!(
                "--model '{}': expected `explicit` or `averaged`",
                self.model
            )
        })?;
        let pair_potential = self
            .pair_potential
            .as_deref()
            .map(PairPotential::parse)
            .transpose()?;
        let relax_energy = self
            .relax_energy
            .as_deref()
            .map(halo_campaign::transport::parse_relax_energy)
            .transpose()?;
        let temperatures_k = match &self.temperatures {
            Some(t) => Some(parse_temperatures(t)?),
            None => None,
        };
        Ok(ModelOptions {
            model,
            temperatures_k,
            seed: self.seed,
            supercell: self.supercell.clone(),
            mobile_ion: self.mobile_ion.clone(),
            resolution_ang: self.resolution,
            screening_factor: self.screening_factor,
            blocking_distance_ang: self.blocking_distance,
            attempt_frequency_hz: self.attempt_frequency,
            pair_potential,
            dielectric_constant: self.dielectric_constant,
            metropolis_sweeps_per_ion: self.metropolis_sweeps_per_ion,
            anion_saturation_ev: self.anion_saturation_ev,
            relax_anions: self.relax_anions,
            relax_energy,
            ensemble: EnsembleSettings {
                min_realisations: self.min_realisations,
                max_realisations: self.max_realisations,
                target_rel_se: self.target_rel_se,
                station_max_depth_ev: self.station_max_depth_ev,
                ..EnsembleSettings::default()
            },
            replicas: self.replicas,
            max_replicas: self.max_replicas,
            blocks: self.blocks,
            hops_per_block: self.hops_per_block,
            equilibration: self.equilibration,
            min_ions: self.min_ions,
        })
    }

    /// Validate the arguments into the transport settings (before any file is read) and say
    /// where the fitted constants come from.
    pub fn settings(
        &self,
        mobile_per_cell: Option<f64>,
    ) -> anyhow::Result<(TransportSettings, serde_json::Value)> {
        let (mut settings, mut calibration) = self
            .options()?
            .settings(mobile_per_cell)
            .map_err(anyhow::Error::msg)?;
        if self.ground_occupancies {
            halo_campaign::transport::grounding::enable(
                &mut settings,
                &mut calibration,
                self.grounding_temperature_k,
            )
            .map_err(anyhow::Error::msg)?;
        }
        Ok((settings, calibration))
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

/// Parse a CLI value into params and a network: everything the run needs, checked first.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (mut settings, mut calibration) = args.model.settings(args.mobile_per_cell)?;
    if let Some(p) = &args.site_energies {
        // errors name the file and line
        settings.site_energies = Some(std::sync::Arc::new(
            halo_io::site_energies::read_site_energies(p)?,
        ));
    }
    if let Some(p) = &args.hop_barriers {
        settings.hop_barriers = Some(std::sync::Arc::new(
            halo_io::site_energies::read_hop_barriers(p)?,
        ));
    }
    if settings.grounding.is_some() && settings.site_energies.is_some() {
        anyhow::bail!(
            "--ground-occupancies and --site-energies both set the Li sites' energies: give one"
        );
    }
    // halo_io's errors name the file (and the line)
    let loaded = halo_io::read_structure(&args.file)?;
    // the reader's findings; the charge balance comes with the run's warnings (`tr.warnings()`)
    for w in loaded.warnings_besides_charge() {
        super::warn(&args.file.display().to_string(), w);
    }
    // the occupancies' measurement temperature, unless --grounding-temperature-k gave one
    halo_campaign::transport::grounding::use_file_temperature(
        &mut settings,
        Some(&mut calibration),
        &loaded,
    );
    let structure = &loaded.structure;
    let tr = halo_campaign::transport::evaluate(structure, &settings, |_| {})
        .map_err(|e| anyhow::anyhow!("{}: {}", args.file.display(), e))?;
    let result = &tr.kmc;
    eprintln!(
        "halo kmc ({} model): {} sites, {} hops in the network cell ({} framework minima dropped, {} stations contracted); landscape+graph {:.2} s, kMC {:.2} s",
        tr.model.name(),
        tr.network_sites,
        tr.network_hops,
        tr.framework_minima_dropped,
        tr.stations_contracted,
        tr.landscape_graph_s,
        tr.kmc_s
    );
    if let Some(p) = &args.plot {
        let title = format!("{} (kMC)", structure.composition().reduced_formula());
        let svg = halo_kmc::plot::arrhenius_svg(result, &title)?;
        std::fs::write(p, svg).with_context(|| format!("writing {}", p.display()))?;
    }
    if args.json {
        let reader: Vec<String> = loaded.warnings_besides_charge().cloned().collect();
        let out = halo_campaign::transport::kmc_json(
            &tr,
            &reader,
            &args.file.display().to_string(),
            &structure.composition().reduced_formula(),
            &settings,
            &calibration,
        );
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_text(&args, &tr, &calibration);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(args: &Args, tr: &Transport, calibration: &serde_json::Value) {
    let (count, per_cell, r) = (&tr.mobile, tr.mobile_per_cell_used, &tr.kmc);
    println!("{}", args.file.display());
    println!("model: {} — {}", tr.model.name(), tr.model.description());
    if let Some(e) = &tr.ensemble {
        let sig: Vec<String> = e
            .realisations
            .iter()
            .map(|x| format!("{:.2e}", x.sigma_ref_s_per_cm))
            .collect();
        println!(
            "ensemble: {} realisation(s) ({}), σ({} K) per realisation [{}] S/cm; relative SE {:.2} (target {}{})",
            e.realisations.len(),
            if e.disordered { "disordered framework: one configuration each" } else { "ordered framework: independent kMC runs" },
            e.reference_temperature_k,
            sig.join(", "),
            e.rel_se_reached,
            e.settings.target_rel_se,
            if e.hit_cap { ", cap reached" } else { "" }
        );
    }
    if let Some(x) = &tr.relaxation {
        println!(
            "anions relaxed ({}): largest displacement {:.3} Å, RMS {:.3} Å; GII {:.3} → {:.3} v.u.{}; {} L-BFGS iterations",
            x.energy.name(),
            x.max_displacement_ang,
            x.rms_displacement_ang,
            x.gii_before,
            x.gii_after,
            x.force_field_ev
                .map(|(a, b)| format!("; force field {a:.3} → {b:.3} eV per cell"))
                .unwrap_or_default(),
            x.iterations
        );
    }
    // the explicit model puts the files on every realisation and reports the first one's
    let which = if tr.ensemble.is_some() {
        " (first realisation's network)"
    } else {
        ""
    };
    if let Some(x) = &tr.grounding {
        println!("{}", x.summary());
    }
    if let Some(x) = &tr.site_energies {
        println!("{}{which}", x.summary());
    }
    if let Some(x) = &tr.hop_barriers {
        println!("{}{which}", x.summary());
    }
    if let Some(s) = &r.stopping {
        println!(
            "stopping rule: {}; started with {} per temperature",
            s.summary(),
            r.params.replicas
        );
    }
    println!(
        "mobile {}: {per_cell:.3} per cell (composition: mobile {:.3}, framework {:.3} on shared sites {:?})",
        count.element, count.mobile_per_cell, count.framework_per_cell, count.framework_site_labels
    );
    println!("{} sites: {}", count.element, tr.li_sublattice.summary());
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
        // H = D*/D_σ means nothing when D_σ is below the resolution (or zero): a dash
        let haven = if t.is_resolved() && t.haven_ratio.is_finite() {
            format!("{:>6.3} ± {:<5.3}", t.haven_ratio, t.haven_ratio_se)
        } else {
            format!("{:>6} ± {:<5}", "—", "—")
        };
        println!(
            "{:>7.1} {:>11.3e} ± {:<8.1e} {:>11.3e} ± {:<8.1e} {haven} {:>11.3e} ± {:<8.1e} {:>10} {:>12.3e}",
            t.temperature_k,
            t.d_tracer_cm2_per_s,
            t.d_tracer_se_cm2_per_s,
            t.d_sigma_cm2_per_s,
            t.d_sigma_se_cm2_per_s,
            t.sigma_s_per_cm,
            t.sigma_se_s_per_cm,
            t.hops,
            t.simulated_time_s
        );
        if !t.is_resolved() {
            println!(
                "        σ below the run's resolution ({:.2e} S/cm, one net hop of one ion): not a measurement, left out of the Arrhenius fit",
                t.sigma_resolution_s_per_cm
            );
        }
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
    for c in &r.too_cold {
        println!(
            "{:>7.1} not simulated, left out of the Arrhenius fit: {}",
            c.temperature_k, c.reason
        );
    }
    println!(
        "attempt frequency ν0 = {:.3e} s⁻¹ ({})",
        r.params.attempt_frequency_hz,
        calibration["source"].as_str().unwrap_or("")
    );
    let pair = &calibration["pair_potential"];
    if let Some(a) = pair["prefactor_ev_ang"].as_f64() {
        println!(
            "Li–Li repulsion: BVSE form {a:.3} eV·Å · erfc(r/{:.3} Å)/r to {:.2} Å (not fitted)",
            pair["screening_length_ang"].as_f64().unwrap_or(f64::NAN),
            pair["cutoff_ang"].as_f64().unwrap_or(f64::NAN)
        );
    }
    let eps = &calibration["dielectric_constant"];
    if let Some(v) = eps["dielectric_constant"].as_f64() {
        println!(
            "Li–Li repulsion: ε = {v} ({}), λ = {} Å, cutoff {} Å",
            eps["source"].as_str().unwrap_or(""),
            defaults::SCREENING_LENGTH_ANG,
            defaults::PAIR_CUTOFF_ANG
        );
    }
    let screening = &calibration["screening_factor"];
    if let Some(f) = screening["screening_factor"].as_f64() {
        println!(
            "BVSE Coulomb screening factor f = {f} ({})",
            screening["source"].as_str().unwrap_or("")
        );
    }
    let sat = &calibration["anion_saturation_ev"];
    if let Some(c) = sat["anion_saturation_ev"].as_f64().filter(|c| *c > 0.0) {
        println!(
            "anions' bond-valence saturation: c = {c} eV/v.u.², set by {}",
            sat["source"].as_str().unwrap_or("")
        );
    }
    match &r.arrhenius {
        Some(a) => println!(
            "Arrhenius ln(σT): Ea = {:.3} ± {:.3} eV, A = {:.3e} S·K/cm, σ(300 K) = {:.3e} ± {:.1e} S/cm ({})",
            a.ea_ev, a.ea_se_ev, a.prefactor_s_k_per_cm, a.sigma_300k_s_per_cm, a.sigma_300k_se_s_per_cm,
            // two temperatures leave no degree of freedom: no χ²
            if a.chi2_reduced.is_finite() { format!("χ²_red {:.2}", a.chi2_reduced) } else { "two temperatures: no χ²_red".to_string() }
        ),
        None => println!(
            "Arrhenius fit: needs two temperatures with σ above the run's resolution"
        ),
    }
    for w in tr.warnings() {
        super::warn(&args.file.display().to_string(), &w);
    }
}
