//! `halo bvse`: BVSE landscape, exact percolation thresholds, Li sites and migration edges.
use anyhow::{bail, Context};
use halo_bvse::{BvseParams, GridMode, MixedSiteMobile};
use halo_core::Species;
use halo_percolation::{analyze, PercolationParams, PercolationResult};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `halo bvse`.
#[derive(clap::Args)]
pub struct Args {
    /// CIF, POSCAR or pymatgen JSON structure.
    pub file: PathBuf,
    /// Grid spacing, Å.
    #[arg(long = "resolution-ang", alias = "resolution", default_value_t = halo_bvse::DEFAULT_RESOLUTION_ANG)]
    pub resolution: f64,
    /// Screening factor f of the Coulomb term between the mobile ion and the framework cations
    /// (default bvlain's 0.74; docs/physics.md §9.11).
    #[arg(long, default_value_t = halo_bvse::params::BVLAIN_SCREENING_FACTOR)]
    pub screening_factor: f64,
    /// `default` (periodic grid, every atom within 10 Å, occupancy weights) or `bvlain`
    /// (bvlain 0.25.1's grid and 100-nearest-neighbour rule).
    #[arg(long, default_value = "default", value_parser = ["default", "bvlain"])]
    pub mode: String,
    /// Mobile ion; its atoms on sites of their own are removed to form the framework.
    #[arg(long, default_value = "Li+")]
    pub mobile_ion: String,
    /// Mobile-ion atoms on sites shared with a framework cation (spinel 16d Li/Sc):
    /// `framework` keeps them in the framework with their occupancy (the rule of `halo kmc` and
    /// campaigns; the default in `default` mode), `remove` removes them (bvlain's convention;
    /// the default in `bvlain` mode).
    #[arg(long, value_parser = ["framework", "remove"])]
    pub mixed_site_li: Option<String>,
    /// Write the grid (E − E_min, eV) for VESTA: `*.grd` or `*.cube`.
    #[arg(long)]
    pub grid_out: Option<PathBuf>,
    /// Minima whose basins first meet within this distance (Å) form one site.
    #[arg(
        long = "cluster-radius-ang",
        alias = "cluster-radius",
        default_value_t = 0.5
    )]
    pub cluster_radius: f64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn fmt_opt(x: Option<f64>, digits: usize) -> String {
    x.map_or("none".to_string(), |v| format!("{v:.digits$}"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mobile_ion = Species::parse(&args.mobile_ion)
        .with_context(|| format!("--mobile-ion '{}'", args.mobile_ion))?;
    let params = BvseParams {
        mobile_ion,
        resolution_ang: args.resolution,
        screening_factor: args.screening_factor,
        mode: if args.mode == "bvlain" {
            GridMode::Bvlain
        } else {
            GridMode::Default
        },
        mixed_site_mobile: match args.mixed_site_li.as_deref() {
            Some("remove") => MixedSiteMobile::Remove,
            Some(_) => MixedSiteMobile::KeepAsFramework,
            None if args.mode == "bvlain" => MixedSiteMobile::Remove,
            None => MixedSiteMobile::KeepAsFramework,
        },
        memory_limit_bytes: Some(halo_core::memory::usable_bytes()),
        ..Default::default()
    };
    let valid = params.validate()?;
    if let Some(p) = &args.grid_out {
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "grd" | "cube") {
            bail!(
                "--grid-out {}: the name must end in .grd or .cube",
                p.display()
            );
        }
    }
    // halo_io's errors name the file (and the line)
    let loaded = halo_io::read_structure(&args.file)?;
    // the reader's findings other than the charge, then the charge as the calculations see it
    let charge_note = halo_io::charge::structure_charge_note(&loaded.structure);
    for w in loaded.warnings_besides_charge().chain(&charge_note) {
        super::warn(&args.file.display().to_string(), w);
    }
    // the kMC chain's cell: a strongly sheared input is computed in its reduced basis
    let reduced = halo_campaign::transport::chain_cell(&loaded.structure, valid.get());
    let cell_note = reduced
        .as_ref()
        .map(|(_, t)| halo_core::reduction::describe(t));
    if let Some(n) = &cell_note {
        super::warn(&args.file.display().to_string(), n);
    }
    let structure = reduced
        .as_ref()
        .map(|(s, _)| s)
        .unwrap_or(&loaded.structure);
    let t0 = Instant::now();
    let land = halo_bvse::landscape_valid(structure, &valid)
        .with_context(|| format!("BVSE landscape of {}", args.file.display()))?;
    let t_land = t0.elapsed().as_secs_f64();
    let pparams = PercolationParams {
        cluster_radius_ang: args.cluster_radius,
        ..Default::default()
    };
    let t1 = Instant::now();
    let perc = analyze(&land, &pparams)
        .with_context(|| format!("percolation analysis of {}", args.file.display()))?;
    let t_perc = t1.elapsed().as_secs_f64();
    if let Some(p) = &args.grid_out {
        let f = std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?;
        let w = std::io::BufWriter::new(f);
        if p.extension().and_then(|e| e.to_str()) == Some("grd") {
            land.write_grd(w)
        } else {
            land.write_cube(w)
        }
        .with_context(|| format!("writing {}", p.display()))?;
    }
    eprintln!(
        "halo bvse: {} voxels; landscape {t_land:.3} s, percolation {t_perc:.3} s",
        land.num_voxels()
    );
    if args.json {
        // every warning stderr carries: the reader's, the charge, the cell
        let notes: Vec<String> = loaded
            .warnings_besides_charge()
            .cloned()
            .chain(charge_note)
            .chain(cell_note)
            .collect();
        print_json(&args, &land, &perc, &notes)?;
    } else {
        print_text(&args, &land, &perc)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json(
    args: &Args,
    land: &halo_bvse::Landscape,
    perc: &PercolationResult,
    notes: &[String],
) -> anyhow::Result<()> {
    let mut out = serde_json::to_value(halo_percolation::report::landscape_report(land, perc))?;
    out["file"] = json!(args.file.display().to_string());
    out["warnings"] = json!(notes);
    out["grid_out"] = json!(args.grid_out.as_ref().map(|p| p.display().to_string()));
    // buffered: stdout is line-buffered, and the site graph runs to thousands of lines
    let mut so = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut so, &out)?;
    writeln!(so)?;
    so.flush()?;
    Ok(())
}

fn print_text(
    args: &Args,
    land: &halo_bvse::Landscape,
    perc: &PercolationResult,
) -> anyhow::Result<()> {
    let mut o = std::io::BufWriter::new(std::io::stdout().lock());
    let t = &perc.thresholds;
    let b = &perc.bvlain_rounded;
    writeln!(o, "{}", args.file.display())?;
    writeln!(
        o,
        "mobile ion {}  mode {}  resolution {} Å  grid {:?} ({} voxels)  E_min {:.6} eV",
        land.params.mobile_ion,
        land.params.mode,
        land.params.resolution_ang,
        land.shape,
        land.num_voxels(),
        perc.grid_min_ev
    )?;
    writeln!(
        o,
        "mobile ions on sites shared with framework cations: {}",
        halo_percolation::report::mixed_site_rule(land.params.mixed_site_mobile)
    )?;
    writeln!(o, "percolation thresholds (eV above the grid minimum):")?;
    writeln!(o, "        exact          bvlain-rounded")?;
    for (d, x, y) in [
        (1, t.e_1d_ev, b.e_1d_ev),
        (2, t.e_2d_ev, b.e_2d_ev),
        (3, t.e_3d_ev, b.e_3d_ev),
    ] {
        writeln!(o, "  E_{d}D  {:<14} {}", fmt_opt(x, 6), fmt_opt(y, 4))?;
    }
    let g = &perc.site_graph.graph;
    writeln!(
        o,
        "sites: {} (from {} grid minima)",
        g.node_count(),
        perc.n_grid_minima
    )?;
    writeln!(
        o,
        "  {:>4}  {:>8} {:>8} {:>8}  {:>9}  label",
        "#", "x", "y", "z", "E (eV)"
    )?;
    for i in g.node_indices() {
        let s = &g[i];
        writeln!(
            o,
            "  {:>4}  {:8.5} {:8.5} {:8.5}  {:9.4}  {}",
            i.index(),
            s.frac_coords[0],
            s.frac_coords[1],
            s.frac_coords[2],
            s.energy_ev,
            s.label.as_deref().unwrap_or("-")
        )?;
    }
    writeln!(o, "migration edges: {}", g.edge_count())?;
    writeln!(
        o,
        "  {:>4} {:>4}  {:>10}  {:>8}  image",
        "a", "b", "saddle(eV)", "hop (Å)"
    )?;
    for e in g.edge_indices() {
        let (a, bb) = g.edge_endpoints(e).expect("edge");
        let m = &g[e];
        writeln!(
            o,
            "  {:>4} {:>4}  {:10.4}  {:8.4}  {:?}",
            a.index(),
            bb.index(),
            m.saddle_energy_ev,
            m.hop_length_ang(),
            m.image
        )?;
    }
    if let Some(p) = &args.grid_out {
        writeln!(o, "grid written to {}", p.display())?;
    }
    o.flush()?;
    Ok(())
}
