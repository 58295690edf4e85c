//! `halo enumerate --framework FILE --site SITE --dopants A,B --fractions 0:0.666:0.111
//! [--max-dopants 2] [--write DIR] [--orderings N] [--json]`: every charge-balanced
//! substitution with its composition, Li change and where the Li goes, the ionic-radius
//! mismatch and the estimated lattice; every rejected one with its reason. `--write` writes the
//! average model of every accepted candidate as CIF (and, with `--orderings N`, the N
//! lowest-Ewald orderings of the substituted orbit).
//!
//! Exit codes: 0 = done; 2 = error (unreadable file, unknown element or site, bad fraction).

use anyhow::Context;
use halo_enumerate::{
    enumerate_candidates, parse_fraction_grid, Candidate, EnumerationConfig, EnumerationResult,
    OrderingOptions, OrderingResult, Realiser,
};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `halo enumerate`.
#[derive(clap::Args)]
pub struct Args {
    /// Framework structure (CIF, POSCAR or pymatgen JSON), e.g. structures/Li2Sc2-3Cl4_….cif.
    #[arg(long)]
    pub framework: PathBuf,
    /// Substituted site orbit: CIF label (Sc4), Wyckoff symbol (16d, 2a) or letter (d).
    #[arg(long)]
    pub site: String,
    /// Comma-separated dopants, optionally with charge: In,Sc,Zr or Ce4+.
    #[arg(long, value_delimiter = ',', required = true)]
    pub dopants: Vec<String>,
    /// Dopant amounts per formula unit: start:stop:step (0:0.666:0.111) or a list (0,0.333).
    #[arg(long, allow_hyphen_values = true)]
    pub fractions: String,
    /// Most dopants per candidate.
    #[arg(long, default_value_t = halo_enumerate::DEFAULT_MAX_DOPANTS)]
    pub max_dopants: usize,
    /// Size rule tolerance (relative Shannon radius mismatch; the workflow key
    /// `enumerate.radius_tolerance`).
    #[arg(long, alias = "size-tolerance", allow_hyphen_values = true, default_value_t = halo_enumerate::DEFAULT_RADIUS_TOLERANCE)]
    pub radius_tolerance: f64,
    /// Symmetry tolerance, Å.
    #[arg(long = "symprec-ang", alias = "symprec", default_value_t = halo_symmetry::DEFAULT_SYMPREC_ANG)]
    pub symprec: f64,
    /// Anions per formula unit (default: 4 for spinels, else anions per M).
    #[arg(long)]
    pub anions_per_fu: Option<f64>,
    /// Nominal host M per formula unit (default: refined value rounded to 1/6).
    #[arg(long)]
    pub host_m_per_fu: Option<f64>,
    /// Write the realised structures of every accepted candidate as CIF into this folder.
    #[arg(long)]
    pub write: Option<PathBuf>,
    /// Also realise orderings of the substituted orbit per candidate (at most 1000), in one
    /// supercell: the smallest that holds whole site counts, in its most isotropic shape (other
    /// shapes of the same size can hold lower orderings; docs/physics.md §2.5). There, the N
    /// lowest-Ewald symmetry-distinct ones when the cell has at most 200 000 colourings, else N
    /// seeded random ones sorted by Ewald energy (not the lowest; repeated draws are dropped).
    /// 0 = average model only. A candidate whose fractions fit no supercell of up to 12
    /// primitive cells is skipped with a note.
    #[arg(long, default_value_t = 0)]
    pub orderings: usize,
    /// Seed of the random orderings (per candidate: derived from seed and id).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Output<'a> {
    framework_file: String,
    #[serde(flatten)]
    result: &'a EnumerationResult,
    orderings: Vec<OrderingResult>,
    /// Candidates without orderings: their fractions fit no small supercell.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    orderings_skipped: Vec<serde_json::Value>,
    written: Vec<String>,
}

fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    if a.orderings > halo_enumerate::realise::MAX_ORDERINGS {
        anyhow::bail!(
            "--orderings {}: at most {} orderings per candidate (each is a structure kept; ask \
             for the lowest few)",
            a.orderings,
            halo_enumerate::realise::MAX_ORDERINGS
        );
    }
    let loaded = halo_io::read_structure(&a.framework)
        .with_context(|| format!("reading framework {}", a.framework.display()))?;
    // every finding of the reader (the block read, `?` occupancies, short contacts, charge)
    for w in &loaded.warnings {
        super::warn(&a.framework.display().to_string(), w);
    }
    // a CIF label of a row merged into a mixed site (e.g. In5 on the Li/Sc/In 16d site) names
    // that site; a Wyckoff symbol or letter is passed on as it is
    let site = loaded
        .resolve_site_label(&a.site)
        .unwrap_or_else(|| a.site.clone());
    let name = a
        .framework
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "framework".into());
    let config = EnumerationConfig {
        framework_name: name,
        site,
        dopants: a.dopants.clone(),
        fractions: parse_fraction_grid(&a.fractions).context("--fractions")?,
        max_dopants: a.max_dopants,
        radius_tolerance: a.radius_tolerance,
        symprec_ang: a.symprec,
        anions_per_fu: a.anions_per_fu,
        host_m_per_fu: a.host_m_per_fu,
        ..EnumerationConfig::default()
    };
    let result = enumerate_candidates(&loaded.structure, &config)
        .with_context(|| format!("enumerating on {}", a.framework.display()))?;
    let mut realiser = Realiser::new(&result);
    let mut orderings = Vec::new();
    let mut skipped = Vec::new();
    let mut written = Vec::new();
    if let Some(dir) = &a.write {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating output folder {}", dir.display()))?;
    }
    for c in &result.accepted {
        let stem = format!("{}_{}", c.id, safe(&c.formula));
        if let Some(dir) = &a.write {
            let avg = realiser.average_structure(c)?;
            let p = dir.join(format!("{stem}_average.cif"));
            halo_io::cif::write_cif(&avg, &p)
                .with_context(|| format!("writing {}", p.display()))?;
            written.push(p.display().to_string());
        }
        if a.orderings > 0 {
            let o = match realiser.orderings(
                c,
                &OrderingOptions {
                    max_orderings: a.orderings,
                    n_random: a.orderings,
                    seed: a.seed,
                    ..OrderingOptions::default()
                },
            ) {
                Ok(o) => o,
                Err(e @ halo_enumerate::EnumerateError::Incommensurate { .. }) => {
                    eprintln!("note: {e}");
                    skipped.push(serde_json::json!({
                        "id": c.id, "formula": c.formula, "reason": e.to_string()
                    }));
                    continue;
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("orderings of {} ({})", c.id, c.formula))
                }
            };
            if let Some(dir) = &a.write {
                for r in &o.realisations {
                    let p = dir.join(format!("{stem}_{}{}.cif", o.method, r.rank));
                    halo_io::cif::write_cif(&r.structure, &p)
                        .with_context(|| format!("writing {}", p.display()))?;
                    written.push(p.display().to_string());
                }
            }
            orderings.push(o);
        }
    }
    if a.json {
        let out = Output {
            framework_file: a.framework.display().to_string(),
            result: &result,
            orderings,
            orderings_skipped: skipped,
            written,
        };
        write_stdout(&(serde_json::to_string_pretty(&out)? + "\n"))?;
        return Ok(ExitCode::SUCCESS);
    }
    write_stdout(&print_text(&a, &result, &orderings, &written))?;
    Ok(ExitCode::SUCCESS)
}

fn dopant_string(c: &Candidate) -> String {
    if c.dopants.is_empty() {
        return "(undoped)".into();
    }
    c.dopants
        .iter()
        .map(|d| format!("{} {}", d.species, d.amount))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Write to stdout (a closed pipe ends halo quietly, see `main`).
fn write_stdout(s: &str) -> anyhow::Result<()> {
    print!("{s}");
    Ok(())
}

fn print_text(
    a: &Args,
    r: &EnumerationResult,
    ords: &[OrderingResult],
    written: &[String],
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let fw = &r.framework;
    let asked = a.orderings;
    let _ = writeln!(
        out,
        "framework  {} ({})",
        a.framework.display(),
        fw.space_group_symbol
    );
    let _ = writeln!(
        out,
        "site       {}: host {} {} per formula unit (refined {:.4}), Li {} per f.u. on the site",
        fw.orbit_name,
        fw.host_string(),
        fw.host_m_per_fu,
        fw.host_m_per_fu_refined,
        fw.orbit_li_per_fu
    );
    let _ = writeln!(
        out,
        "formula    per {} anions; Li-only sites: {}",
        fw.anions_per_fu,
        fw.li_orbits
            .iter()
            .map(|o| format!("{} occ {:.4}", o.name, o.occupancy))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
            out,
        "rules      size |Δr|/r ≤ {:.0} % (Shannon CN {}, host r = {:.1} pm); lattice: Vegard on mean cation-anion distance",
        100.0 * r.config.radius_tolerance,
        fw.coordination,
        fw.host_radius_pm
    );
    writeln!(out).ok();
    let _ = writeln!(
        out,
        "{:<16}  {:<28} {:<26} {:>8}  {:>9} {:>9}  li_sites",
        "id", "formula", "dopants", "dLi/fu", "mismatch", "a_ang"
    );
    for c in &r.accepted {
        let mm = c
            .dopants
            .iter()
            .map(|d| format!("{:+.1}%", 100.0 * d.radius_mismatch))
            .collect::<Vec<_>>()
            .join(",");
        let li = c
            .li_sites
            .iter()
            .map(|l| {
                format!(
                    "{} {:.3}",
                    l.orbit.split(' ').next().unwrap_or(""),
                    l.occupancy_candidate
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(
            out,
            "{:<16}  {:<28} {:<26} {:>+8.4}  {:>9} {:>9.4}  {}",
            c.id,
            c.formula,
            dopant_string(c),
            c.li_change_per_fu,
            if mm.is_empty() { "-".into() } else { mm },
            c.lattice.a_ang,
            li
        );
    }
    // a candidate whose only Li share the substituted site: the table's zeros say it, the
    // note says what it means for the model
    for c in r
        .accepted
        .iter()
        .filter(|c| c.li_note.contains("no Li is left"))
    {
        let _ = writeln!(
            out,
            "  note {}: no Li is left on the Li-only sites; its only Li share the substituted \
             site (the averaged model has no mobile Li in it)",
            c.id
        );
    }
    writeln!(out).ok();
    let _ = writeln!(
        out,
        "accepted {}, rejected {}",
        r.accepted.len(),
        r.rejected.len()
    );
    for x in &r.rejected {
        let d = x
            .dopants
            .iter()
            .map(|(s, v)| format!("{s} {v:.4}"))
            .collect::<Vec<_>>()
            .join(" + ");
        let _ = writeln!(out, "  rejected {d}: {}", x.message);
    }
    for o in ords {
        let _ = writeln!(
            out,
            "orderings {}: supercell {:?}, {} sites ({}), {} {} of {} colourings (Burnside {}), lowest E of these = {:.4} eV/f.u.",
            o.candidate_id,
            o.supercell_matrix,
            o.orbit_sites,
            o.species
                .iter()
                .zip(&o.counts)
                .map(|(s, n)| format!("{s} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            o.method,
            o.distinct_orderings
                .map(|d| format!("{d} distinct"))
                .unwrap_or_else(|| format!("{} samples", o.realisations.len())),
            o.total_colourings,
            o.burnside_count,
            o.realisations
                .first()
                .map_or(f64::NAN, |x| x.ewald_energy_ev_per_fu)
        );
        // what the list does not say by itself: orderings Ewald cannot tell apart (isovalent
        // dopants), and random draws that repeated an ordering
        let lowest = o.realisations.first().map(|x| x.ewald_energy_ev_per_fu);
        let ties = lowest.map_or(0, |e0| {
            o.realisations
                .iter()
                .filter(|x| (x.ewald_energy_ev_per_fu - e0).abs() <= 1e-6)
                .count()
        });
        if ties > 1 {
            let _ = writeln!(
                out,
                "  {ties} of the {} orderings listed tie at the lowest Ewald energy (to 1e-6 \
                 eV/f.u.): the point-charge energy does not order them (they are listed by \
                 colouring, which says nothing of which is lower)",
                o.realisations.len()
            );
        }
        if o.method == "random" && o.realisations.len() < asked {
            let _ = writeln!(
                out,
                "  {} random orderings asked, {} distinct: {} draw(s) repeated an ordering already drawn",
                asked,
                o.realisations.len(),
                asked - o.realisations.len()
            );
        }
    }
    if !written.is_empty() {
        let _ = writeln!(out, "wrote {} CIF files", written.len());
    }
    out
}
