//! `halo stability COMPOSITION|FILE [--json]`: anodic and cathodic limits vs Li⁺/Li from the
//! Li grand-potential hull of tabulated thermochemistry (ΔG at 298 K and ΔH), the decomposition
//! products at each limit and the data rows used (halo-filters).
use halo_core::Composition;
use halo_filters::stability::{Limit, LimitKind};
use halo_filters::{FilterError, StabilityOptions};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// Arguments of `halo stability`.
#[derive(clap::Args)]
pub struct Args {
    /// A formula (`Li3InCl6`, `Li2Sc2/3Cl4`, `Li2In1/3Sc1/3Cl4`) or a structure file (CIF,
    /// POSCAR, pymatgen JSON) whose composition is used.
    pub input: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Ternary term added to the sum of binaries, meV per atom (default 0 when no measured
    /// ternary exists; negative = more stable than the binaries).
    #[arg(long, allow_hyphen_values = true)]
    pub mix_mev_per_atom: Option<f64>,
    /// Hull tolerance, eV per atom: a candidate up to this far above the hull counts as stable
    /// (a metastability allowance, as pymatgen's e_above_hull; 0.025–0.1 is usual), so the
    /// limits are those of the candidate lowered by this much per atom. 0 (default): the exact
    /// limits. At most 0.5.
    #[arg(long, default_value_t = halo_filters::stability::HULL_TOLERANCE_EV_PER_ATOM)]
    pub hull_tolerance_ev_per_atom: f64,
}

fn looks_like_file(s: &str) -> bool {
    let p = Path::new(s);
    p.exists()
        || halo_io::Format::from_path(p).is_some()
        || s.contains('/') && p.extension().is_some()
}

fn limit_text(l: &Option<Limit>) -> String {
    match l {
        None => "—".into(),
        Some(l) => match l.kind {
            LimitKind::Reaction => format!("{:.3} ± {:.3}", l.potential_v, l.unc_v),
            LimitKind::StableAgainstLiMetal => "0 (stable vs Li)".into(),
            LimitKind::BeyondScan => format!("> {:.0} (no Li-releasing reaction)", l.potential_v),
        },
    }
}

/// Write `text` to stdout (a closed pipe ends halo quietly, see `main`).
fn emit(text: &str) -> anyhow::Result<()> {
    print!("{text}");
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (composition, mut notes) = if looks_like_file(&args.input) {
        // halo_io's errors name the file (and the line)
        halo_io::read_structure(Path::new(&args.input))?.neutral_formula_unit()?
    } else {
        (Composition::parse(&args.input)?, Vec::new())
    };
    // a formula balanced only by a cation outside its formal state is computed as written,
    // with the state it took named
    notes.extend(halo_filters::stability::input_notes(&composition));
    let opts =
        StabilityOptions::from_flags(args.mix_mev_per_atom, args.hull_tolerance_ev_per_atom)?;
    let mut out = String::new();
    let report = match halo_filters::stability_with(&composition, &opts) {
        Ok(r) => r,
        Err(FilterError::NotAssessable { filter, reason }) => {
            if args.json {
                let v = serde_json::json!({
                    "input": args.input,
                    "verdict": "not_assessable",
                    "filter": filter,
                    "reason": reason,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(out, "{}: {filter} not assessable: {reason}", args.input)?;
            }
            emit(&out)?;
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    if args.json {
        let mut v = serde_json::to_value(&report)?;
        v["input"] = serde_json::json!(args.input);
        v["notes"] = serde_json::json!(notes);
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        emit(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "{}  (input: {})", report.formula, args.input)?;
    writeln!(
        out,
        "formation energy model: {} — {}",
        report.formation_model.kind, report.formation_model.description
    )?;
    for n in notes.iter().chain(report.composition_adjustment.iter()) {
        writeln!(out, "note: {n}")?;
    }
    writeln!(out)?;
    writeln!(out, "{:<28}{:<34}dH(298 K), 0 K-like", "", "dG(298 K)")?;
    let (g, h) = (&report.windows[0], &report.windows[1]);
    writeln!(
        out,
        "{:<28}{:<34}{}",
        "anodic limit [V vs Li]",
        limit_text(&g.anodic),
        limit_text(&h.anodic)
    )?;
    writeln!(
        out,
        "{:<28}{:<34}{}",
        "cathodic limit [V vs Li]",
        limit_text(&g.cathodic),
        limit_text(&h.cathodic)
    )?;
    writeln!(out)?;
    for w in &report.windows {
        if !w.stable {
            writeln!(
                out,
                "{}: not stable at any potential in 0–{:.0} V (above the hull of its competing \
                 phases)",
                w.basis.label(),
                report.scan_max_v
            )?;
            continue;
        }
        for (name, l) in [("oxidation", &w.anodic), ("reduction", &w.cathodic)] {
            if let Some(r) = l.as_ref().and_then(|l| l.reaction.as_ref()) {
                writeln!(
                    out,
                    "{} at the {name} limit: {}",
                    w.basis.label(),
                    r.equation
                )?;
            }
        }
        if !w.rows_skipped.is_empty() {
            writeln!(
                out,
                "{}: rows skipped: {}",
                w.basis.label(),
                w.rows_skipped.join("; ")
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "data rows used (kJ/mol per formula unit):")?;
    for r in &report.rows_used {
        let f = |v: Option<f64>| v.map(|x| format!("{x:.3}")).unwrap_or_else(|| "—".into());
        writeln!(
            out,
            "  {:<10} dHf {:>10}  dGf {:>10}  {:<10} {:<10} {}{}",
            r.formula,
            f(r.dhf_kj_per_mol),
            f(r.dgf_kj_per_mol),
            r.value_type,
            r.source_id,
            r.source,
            if r.note.is_empty() {
                String::new()
            } else {
                format!(" [{}]", r.note)
            }
        )?;
    }
    writeln!(
        out,
        "{}; potentials scanned 0–{:.0} V; ± from stated row uncertainties only",
        if report.hull_tolerance_ev_per_atom > 0.0 {
            format!(
                "limits of the candidate allowed {} eV/atom above the hull (--hull-tolerance-ev-per-atom)",
                report.hull_tolerance_ev_per_atom
            )
        } else {
            "exact limits (no allowance above the hull)".to_string()
        },
        report.scan_max_v
    )?;
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
