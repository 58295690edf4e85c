//! `halo rank FILE.jsonl|FILE.json|CAMPAIGN_DIR`: hard filters, Pareto front and the sorted
//! table of evaluated candidates (halo-filters `CandidateMetrics` records, or the records of a
//! campaign folder ranked with its workflow's filters, which the flags override).
use anyhow::Context;
use halo_filters::rank::LimitBasis;
use halo_filters::RankConfig;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `halo rank`.
#[derive(clap::Args)]
pub struct Args {
    /// Candidate records: JSON Lines (one object per line) or a JSON array; or a campaign
    /// folder, whose recorded candidates are ranked with its workflow's filters (the flags
    /// below override them one by one).
    pub file: PathBuf,
    /// Hard filter: minimum anodic (oxidation) limit, V vs Li+/Li.
    #[arg(long, allow_hyphen_values = true)]
    pub min_anodic_v: Option<f64>,
    /// Hard filter: maximum cathodic (reduction) limit, V vs Li+/Li.
    #[arg(long, allow_hyphen_values = true)]
    pub max_cathodic_v: Option<f64>,
    /// Hard filter: maximum raw-material cost, USD/kg.
    #[arg(
        long = "max-cost-usd-per-kg",
        alias = "max-cost",
        allow_hyphen_values = true
    )]
    pub max_cost: Option<f64>,
    /// Hard filter: minimum σ(300 K), S/cm.
    #[arg(long, allow_hyphen_values = true)]
    pub min_sigma_s_per_cm: Option<f64>,
    /// Hard filter: maximum activation energy, eV.
    #[arg(long, allow_hyphen_values = true)]
    pub max_ea_ev: Option<f64>,
    /// Hard filter: minimum band gap, eV.
    #[arg(long, allow_hyphen_values = true)]
    pub min_gap_ev: Option<f64>,
    /// Hard filter: insulation verdict must be `insulating` (`--require-insulating=false`
    /// lifts a campaign workflow's).
    #[arg(
        long,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub require_insulating: Option<bool>,
    /// Anodic limit used by the filter and the front: dg (298 K; the default for a file) or dh
    /// (0 K-like).
    #[arg(long, value_parser = ["dg", "dh"])]
    pub basis: Option<String>,
    /// k of the P(top k) column (probability of being among the k best by σ(300 K)); default 3
    /// for a file, the workflow's synthesis.top for a campaign folder.
    #[arg(long)]
    pub top_k: Option<usize>,
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (records, base) = if args.file.is_dir() {
        let inputs = halo_campaign::driver::folder_ranking_inputs(&args.file)?;
        if inputs.records.len() < inputs.planned {
            eprintln!(
                "note: {}: {} of the {} planned candidates are recorded so far; the others are \
                 not ranked (`halo status {}`)",
                args.file.display(),
                inputs.records.len(),
                inputs.planned,
                args.file.display()
            );
        }
        (inputs.records, inputs.config)
    } else {
        let text = std::fs::read_to_string(&args.file)
            .with_context(|| format!("reading {}", args.file.display()))?;
        let records = halo_filters::parse_metrics(&text, &args.file.display().to_string())?;
        let base = RankConfig {
            top_k: Some(halo_filters::rank::DEFAULT_TOP_K),
            ..RankConfig::default()
        };
        (records, base)
    };
    let config = RankConfig {
        min_sigma_300k_s_per_cm: args.min_sigma_s_per_cm.or(base.min_sigma_300k_s_per_cm),
        max_ea_ev: args.max_ea_ev.or(base.max_ea_ev),
        min_anodic_limit_v: args.min_anodic_v.or(base.min_anodic_limit_v),
        max_cathodic_limit_v: args.max_cathodic_v.or(base.max_cathodic_limit_v),
        max_cost_usd_per_kg: args.max_cost.or(base.max_cost_usd_per_kg),
        min_band_gap_ev: args.min_gap_ev.or(base.min_band_gap_ev),
        require_insulating: args.require_insulating.unwrap_or(base.require_insulating),
        anodic_basis: match args.basis.as_deref() {
            Some("dh") => LimitBasis::Dh,
            Some(_) => LimitBasis::Dg,
            None => base.anodic_basis,
        },
        top_k: args.top_k.or(base.top_k),
    };
    let ranking = halo_filters::rank(&records, &config).map_err(|e| match e {
        // a folder's workflow filters were checked when it was read: a bad value is a flag's
        halo_filters::FilterError::InvalidConfig { key, reason } => {
            let flag = match key.as_str() {
                "min_sigma_300k_s_per_cm" => "--min-sigma-s-per-cm",
                "max_ea_ev" => "--max-ea-ev",
                "min_anodic_limit_v" => "--min-anodic-v",
                "max_cathodic_limit_v" => "--max-cathodic-v",
                "max_cost_usd_per_kg" => "--max-cost-usd-per-kg",
                "min_band_gap_ev" => "--min-gap-ev",
                "top_k" => "--top-k",
                _ => key.as_str(),
            };
            anyhow::anyhow!("{flag}: {reason}")
        }
        e => e.into(),
    })?;
    let text = if args.json {
        serde_json::to_string_pretty(&ranking)? + "\n"
    } else {
        halo_filters::table(&ranking)
    };
    print!("{text}");
    if ranking.n_candidates == 0 {
        // nothing recorded yet (a campaign killed in its first second) or an empty file: the
        // README's "nothing to rank"
        eprintln!(
            "nothing to rank: {} holds no evaluated candidate",
            args.file.display()
        );
        return Ok(ExitCode::from(4));
    }
    if ranking.n_passed == 0 {
        // the campaign commands' code for "nothing to rank" (README, exit codes)
        eprintln!(
            "no candidate passed the hard filters ({} ranked; the table says which filter each \
             failed)",
            ranking.n_candidates
        );
        return Ok(ExitCode::from(4));
    }
    Ok(ExitCode::SUCCESS)
}
