//! Candidates: charge balance, Li bookkeeping, size rule, lattice estimate and content ids.

use crate::error::EnumerateError;
use crate::framework::{radius_pm, FrameworkModel, FrameworkOptions, SNAP_MAX_DEN, SNAP_TOLERANCE};
use crate::rational::Rational;
use halo_core::{Composition, Element, Lattice, Species, Structure};
use halo_data::elements::{formal_oxidation_state, Coordination};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Default tolerance of the size rule: |r_dopant − r_host| / r_host ≤ 15 %.
pub const DEFAULT_RADIUS_TOLERANCE: f64 = 0.15;

/// Default most dopants per candidate (`halo enumerate` and workflows).
pub const DEFAULT_MAX_DOPANTS: usize = 1;
/// Most dopants per candidate (`max_dopants`; the CLI and workflows share the limit).
pub const MAX_DOPANTS_LIMIT: usize = 4;
/// `radius_tolerance` must lie in [0, this): a mismatch of 100 % of the host radius or more
/// admits any ion, which is no rule (the CLI and workflows share the limit).
pub const RADIUS_TOLERANCE_LIMIT: f64 = 1.0;

/// Version tag hashed into every candidate id; bump it only when the canonical form changes.
pub const CANDIDATE_ID_VERSION: &str = "halo-enumerate/candidate/v1";

/// What to enumerate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnumerationConfig {
    /// Name of the framework in reports (e.g. the CIF file stem).
    pub framework_name: String,
    /// The substituted orbit: a CIF label (`Li3`), a Wyckoff symbol (`16d`) or letter (`d`).
    pub site: String,
    /// Dopants: element symbols (`In`, `Zr`), optionally with a charge (`Ce4+`); the formal
    /// oxidation state of `elements.csv` is used otherwise.
    pub dopants: Vec<String>,
    /// Dopant amounts per formula unit to try (a 0 is ignored: the undoped framework is always
    /// the first candidate, the reference of the others). Values within 1e-3 of a fraction with
    /// denominator ≤ 12 are taken as that fraction (0.666 = 2/3).
    pub fractions: Vec<f64>,
    /// Most dopants in one candidate (1 or 2 typical).
    pub max_dopants: usize,
    /// Size rule tolerance (relative radius mismatch).
    pub radius_tolerance: f64,
    /// Coordination of the Shannon radii.
    #[serde(skip)]
    pub coordination: Coordination,
    /// Symmetry tolerance for the framework analysis, Å.
    pub symprec_ang: f64,
    /// Anions per formula unit; `None`: 4 for spinels (Fd-3m), else anions per M rounded.
    pub anions_per_fu: Option<f64>,
    /// Nominal host M per formula unit; `None`: the refined value rounded to 1/6.
    pub host_m_per_fu: Option<f64>,
}

impl Default for EnumerationConfig {
    fn default() -> Self {
        EnumerationConfig {
            framework_name: "framework".into(),
            site: String::new(),
            dopants: Vec::new(),
            fractions: Vec::new(),
            max_dopants: DEFAULT_MAX_DOPANTS,
            radius_tolerance: DEFAULT_RADIUS_TOLERANCE,
            coordination: Coordination::VI,
            symprec_ang: halo_symmetry::DEFAULT_SYMPREC_ANG,
            anions_per_fu: None,
            host_m_per_fu: None,
        }
    }
}

/// Parse a fraction list: `0:0.666:0.111` (start:stop:step, stop included within 1e-9) or
/// `0,0.333,0.5`. Values must lie in [0, 1].
pub fn parse_fraction_grid(text: &str) -> Result<Vec<f64>, EnumerateError> {
    let bad = |reason: &str| EnumerateError::BadFractionGrid {
        text: text.to_string(),
        reason: reason.to_string(),
    };
    let num = |t: &str| -> Result<f64, EnumerateError> {
        t.trim()
            .parse::<f64>()
            .map_err(|_| bad(&format!("'{}' is not a number", t.trim())))
    };
    let values = if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        if parts.len() != 3 {
            return Err(bad("expected start:stop:step"));
        }
        let (a, b, st) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
        if !(st.is_finite() && st > 0.0) {
            return Err(bad("step must be > 0"));
        }
        if b < a {
            return Err(bad("stop < start"));
        }
        let n = ((b - a) / st + 1e-9).floor() as usize;
        if n > 10_000 {
            return Err(bad("more than 10000 values"));
        }
        (0..=n).map(|k| a + k as f64 * st).collect()
    } else {
        text.split(',').map(num).collect::<Result<Vec<_>, _>>()?
    };
    for &v in &values {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            return Err(EnumerateError::FractionOutOfRange { value: v });
        }
    }
    Ok(values)
}

/// A dopant and its amount in one candidate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DopantAmount {
    pub species: Species,
    /// Amount per formula unit (exact fraction as a string, e.g. `1/9`).
    pub amount: Rational,
    pub amount_per_fu: f64,
    /// Shannon ionic radius at the configured coordination, pm.
    pub radius_pm: f64,
    /// (r_dopant − r_host)/r_host.
    pub radius_mismatch: f64,
}

/// Li occupancy of one Li-only orbit before and after.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LiSiteChange {
    pub orbit: String,
    pub occupancy_framework: f64,
    pub occupancy_candidate: f64,
    /// Change in Li per formula unit on this orbit.
    pub delta_li_per_fu: f64,
}

/// The estimated cell of a candidate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatticeEstimate {
    pub a_ang: f64,
    pub b_ang: f64,
    pub c_ang: f64,
    pub alpha_deg: f64,
    pub beta_deg: f64,
    pub gamma_deg: f64,
    pub volume_ang3: f64,
    /// Isotropic length scale relative to the framework as refined.
    pub scale: f64,
    pub rule: &'static str,
    #[serde(skip)]
    pub lattice: Lattice,
}

/// An accepted candidate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// 16 hex digits of SHA-256 of the canonical candidate ([`Candidate::canonical_string`]).
    pub id: String,
    pub framework: String,
    /// The substituted orbit, `16d (Li3)`.
    pub site: String,
    /// Empty for the undoped framework.
    pub dopants: Vec<DopantAmount>,
    /// Species on the substituted orbit and their occupancies (exact).
    pub orbit_occupancies: Vec<(Species, Rational)>,
    /// Composition per formula unit.
    pub composition: Composition,
    /// `Li2In0.3333Sc0.3333Cl4`-style formula per formula unit (4 decimals).
    pub formula: String,
    /// Li per formula unit relative to the undoped nominal framework (exact and as f64).
    pub li_change: Rational,
    pub li_change_per_fu: f64,
    /// Where the Li goes to or comes from.
    pub li_sites: Vec<LiSiteChange>,
    pub li_note: String,
    pub lattice: LatticeEstimate,
    /// Li-only orbit occupancies of the candidate, in framework order.
    #[serde(skip)]
    pub li_orbit_occupancies: Vec<f64>,
}

/// Why a candidate was rejected.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RejectReason {
    /// A dopant outside the size tolerance.
    SizeMismatch {
        dopant: String,
        radius_pm: f64,
        host_radius_pm: f64,
        mismatch: f64,
        tolerance: f64,
    },
    /// The dopant total exceeds the M content of the site.
    ExceedsHost { total: f64, host_m_per_fu: f64 },
    /// More Li would have to be removed than the Li-only orbits hold.
    LiDepleted { needed_li_per_fu: f64 },
    /// The Li-only orbits have no room for the added Li.
    NoRoomForLi {
        needed_li_per_fu: f64,
        capacity_li_per_fu: f64,
    },
    /// Same orbit composition as an earlier candidate.
    Duplicate { of: String },
}

/// A rejected candidate and its reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejected {
    pub dopants: Vec<(Species, f64)>,
    pub reason: RejectReason,
    pub message: String,
}

/// Everything an enumeration produced, with the framework model needed to realise candidates.
#[derive(Clone, Debug, Serialize)]
pub struct EnumerationResult {
    pub framework: FrameworkModel,
    pub config: EnumerationConfig,
    pub accepted: Vec<Candidate>,
    pub rejected: Vec<Rejected>,
}

struct Dopant {
    species: Species,
    radius_pm: f64,
}

fn parse_dopant(text: &str, cn: Coordination) -> Result<Dopant, EnumerateError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(EnumerateError::BadDopant {
            text: text.into(),
            reason: "empty".into(),
        });
    }
    let sym_end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() && (i == 0 || c.is_ascii_lowercase())))
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    if sym_end == 0 {
        return Err(EnumerateError::BadDopant {
            text: text.into(),
            reason: "no element symbol".into(),
        });
    }
    Element::from_symbol(&t[..sym_end])
        .map_err(|_| EnumerateError::UnknownElement(t[..sym_end].to_string()))?;
    let mut sp = Species::parse(t).map_err(|e| EnumerateError::BadDopant {
        text: text.into(),
        reason: e.to_string(),
    })?;
    if sp.oxidation_state.is_none() {
        sp.oxidation_state = Some(
            formal_oxidation_state(sp.element)
                .ok_or_else(|| EnumerateError::NoOxidationState(sp.to_string()))?,
        );
    }
    if sp.oxi() <= 0.0 {
        return Err(EnumerateError::BadDopant {
            text: text.into(),
            reason: "a substituting cation needs a positive oxidation state".into(),
        });
    }
    if sp.element == Element::LI {
        return Err(EnumerateError::BadDopant {
            text: text.into(),
            reason: "Li is the mobile ion: a candidate's Li content follows from charge \
                     balance (the compensation of aliovalent dopants), it is not a dopant on \
                     the substituted site"
                .into(),
        });
    }
    let radius_pm = radius_pm(sp, cn)?;
    Ok(Dopant {
        species: sp,
        radius_pm,
    })
}

/// Enumerate every candidate (framework, {dopant: amount}) of `config` on `structure`.
///
/// Rules (docs/physics.md §2.1–2.4):
/// * amounts are per formula unit of `anions_per_fu` anions; the dopants replace the host M of
///   the orbit (its species in their refined proportions), the orbit's Li and total occupancy
///   stay nominal;
/// * charge balance Σ q·n = 0 fixes the Li on the Li-only orbits: aliovalent dopants change it
///   by Σ x_d (q̄_host − q_d) per formula unit (M4+ for M3+ removes one Li per dopant);
///   the Li-only orbits keep their refined distribution, scaled (and filled up to occupancy 1,
///   overflow spread over the orbits with room);
/// * size rule: |r_d − r̄_host|/r̄_host ≤ `radius_tolerance` with Shannon (1976) ionic radii;
/// * lattice estimate: see [`estimate_lattice`].
pub fn enumerate_candidates(
    structure: &Structure,
    config: &EnumerationConfig,
) -> Result<EnumerationResult, EnumerateError> {
    if !(config.radius_tolerance.is_finite()
        && (0.0..RADIUS_TOLERANCE_LIMIT).contains(&config.radius_tolerance))
    {
        return Err(EnumerateError::InvalidParameter {
            name: "radius_tolerance",
            reason: format!(
                "{} is not in [0, {RADIUS_TOLERANCE_LIMIT}) (a relative mismatch: 0.15 = 15 %)",
                config.radius_tolerance
            ),
        });
    }
    if config.max_dopants == 0 || config.max_dopants > MAX_DOPANTS_LIMIT {
        return Err(EnumerateError::InvalidParameter {
            name: "max_dopants",
            reason: format!("{} is not in 1..={MAX_DOPANTS_LIMIT}", config.max_dopants),
        });
    }
    if config.site.trim().is_empty() {
        return Err(EnumerateError::InvalidParameter {
            name: "site",
            reason: "no site given".into(),
        });
    }
    let dopants: Vec<Dopant> = config
        .dopants
        .iter()
        .map(|d| parse_dopant(d, config.coordination))
        .collect::<Result<_, _>>()?;
    // a dopant listed twice would be combined with itself: a "two-dopant" candidate of one
    // species, beyond the fraction grid, recorded with one of its two amounts
    for (i, d) in dopants.iter().enumerate() {
        if let Some(j) = dopants[..i].iter().position(|e| e.species == d.species) {
            return Err(EnumerateError::InvalidParameter {
                name: "dopants",
                reason: format!(
                    "{} is listed twice ('{}' and '{}')",
                    d.species,
                    config.dopants[j].trim(),
                    config.dopants[i].trim()
                ),
            });
        }
    }
    for &v in &config.fractions {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            return Err(EnumerateError::FractionOutOfRange { value: v });
        }
    }
    let fw = FrameworkModel::build(
        structure,
        &FrameworkOptions {
            name: &config.framework_name,
            site: &config.site,
            symprec_ang: config.symprec_ang,
            anions_per_fu: config.anions_per_fu,
            host_m_per_fu: config.host_m_per_fu,
            coordination: config.coordination,
        },
    )?;
    let mut amounts: Vec<Rational> = Vec::new();
    let mut too_large: Option<f64> = None;
    for &v in &config.fractions {
        let r = Rational::snap(v, SNAP_MAX_DEN, SNAP_TOLERANCE)
            .ok_or(EnumerateError::FractionOutOfRange { value: v })?;
        if r.is_zero() && v > 0.0 {
            return Err(EnumerateError::FractionRoundsToZero {
                value: v,
                tolerance: SNAP_TOLERANCE,
            });
        }
        if r > fw.host_m_per_fu {
            too_large.get_or_insert(v);
        }
        if !r.is_zero() && !amounts.contains(&r) {
            amounts.push(r);
        }
    }
    // A grid that crosses the host content (0.5:0.75:0.0833 on Sc2/3) keeps its valid values:
    // the candidates above it are rejected one by one with that reason (`check_host_content`),
    // as a combination of dopants totalling too much is. Only a grid with no value the site
    // can take is an input error.
    if let Some(value) = too_large {
        if amounts.iter().all(|a| *a > fw.host_m_per_fu) {
            return Err(EnumerateError::FractionTooLarge {
                value,
                host: fw.host_string(),
                site: fw.orbit_name.clone(),
                m_per_fu: fw.host_m_per_fu.to_f64(),
            });
        }
    }
    amounts.sort();
    let mut result = EnumerationResult {
        framework: fw,
        config: config.clone(),
        accepted: Vec::new(),
        rejected: Vec::new(),
    };
    let combos = dopant_combinations(dopants.len(), &amounts, config.max_dopants);
    let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for combo in combos {
        if combo.iter().any(|(_, a)| a.is_zero()) {
            continue;
        }
        let ds: Vec<(&Dopant, Rational)> = combo.iter().map(|&(d, a)| (&dopants[d], a)).collect();
        match evaluate(&result.framework, &ds, config)? {
            Ok(c) => {
                let key = c.canonical_string(&result.framework);
                if let Some(first) = seen.get(&key) {
                    result.rejected.push(Rejected {
                        dopants: ds.iter().map(|(d, a)| (d.species, a.to_f64())).collect(),
                        message: format!("same composition as candidate {first} ({})", c.formula),
                        reason: RejectReason::Duplicate { of: first.clone() },
                    });
                } else {
                    seen.insert(key, c.id.clone());
                    result.accepted.push(c);
                }
            }
            Err(r) => result.rejected.push(r),
        }
    }
    Ok(result)
}

/// Every dopant combination as (dopant index, amount) lists: the undoped framework first, then
/// 1, 2, … up to `max_dopants` of the `n_dopants` dopants (subsets in input order, every tuple
/// of `amounts`).
fn dopant_combinations(
    n_dopants: usize,
    amounts: &[Rational],
    max_dopants: usize,
) -> Vec<Vec<(usize, Rational)>> {
    // the undoped framework first, then 1, 2, … dopants in input order
    let mut combos: Vec<Vec<(usize, Rational)>> = vec![vec![]];
    let k_max = if amounts.is_empty() {
        0
    } else {
        max_dopants.min(n_dopants)
    };
    for k in 1..=k_max {
        let mut idx: Vec<usize> = (0..k).collect();
        loop {
            // all amount tuples for this dopant subset
            let mut tuple = vec![0usize; k];
            'amounts: loop {
                combos.push(
                    idx.iter()
                        .zip(&tuple)
                        .map(|(&d, &a)| (d, amounts[a]))
                        .collect(),
                );
                let mut p = k;
                loop {
                    if p == 0 {
                        break 'amounts;
                    }
                    p -= 1;
                    tuple[p] += 1;
                    if tuple[p] < amounts.len() {
                        break;
                    }
                    tuple[p] = 0;
                }
            }
            // next k-subset
            let mut p = k;
            let mut advanced = false;
            while p > 0 {
                p -= 1;
                if idx[p] < n_dopants - (k - p) {
                    idx[p] += 1;
                    for q in p + 1..k {
                        idx[q] = idx[q - 1] + 1;
                    }
                    advanced = true;
                    break;
                }
            }
            if !advanced || amounts.is_empty() {
                break;
            }
        }
    }
    combos
}

fn fmt_amount(x: f64) -> String {
    halo_core::composition::format_amount(x, 4, true)
}

/// A rejection found while evaluating a candidate: the reason and its message.
type Rejection = (RejectReason, String);

/// Evaluate one dopant combination on `fw`: host content, size rule, charge balance through the
/// Li-only orbits, composition and lattice estimate; the candidate or why it is rejected.
fn evaluate(
    fw: &FrameworkModel,
    dopants: &[(&Dopant, Rational)],
    config: &EnumerationConfig,
) -> Result<Result<Candidate, Rejected>, EnumerateError> {
    let reject = |(reason, message): Rejection| Rejected {
        dopants: dopants
            .iter()
            .map(|(d, a)| (d.species, a.to_f64()))
            .collect(),
        reason,
        message,
    };
    let total: Rational = dopants.iter().map(|(_, a)| *a).sum();
    let checked = check_host_content(fw, total)
        .and_then(|()| size_rule(fw, dopants, config.radius_tolerance));
    let dopant_amounts = match checked {
        Ok(d) => d,
        Err(r) => return Ok(Err(reject(r))),
    };
    let orbit_amounts = orbit_content(fw, dopants, total);
    let balanced = li_balance(fw, &orbit_amounts)
        .and_then(|b| distribute_li(fw, b.needed).map(|occ| (b, occ)));
    let (balance, occ) = match balanced {
        Ok(x) => x,
        Err(r) => return Ok(Err(reject(r))),
    };
    let li_sites = li_site_changes(fw, &occ);
    let mut li_note = li_note(fw, balance.li_change);
    if balance.needed <= 0.0 {
        li_note.push_str(if fw.li_orbits.is_empty() {
            "; no Li is left on the Li-only sites (the framework has none): the compound's only \
             Li share the substituted site (the averaged model keeps them in the framework: no \
             mobile Li)"
        } else {
            "; no Li is left on the Li-only sites: the compound's only Li share the substituted \
             site (the averaged model keeps them in the framework: no mobile Li)"
        });
    }
    let (comp, formula) = composition_per_fu(fw, &orbit_amounts, balance.needed);
    let lattice = estimate_lattice(fw, &comp, config.coordination)?;
    let orbit_sites = fw.orbit_sites_per_fu;
    let orbit_occupancies: Vec<(Species, Rational)> = orbit_amounts
        .iter()
        .map(|(sp, a)| (*sp, *a / orbit_sites))
        .collect();
    let mut c = Candidate {
        id: String::new(),
        framework: fw.name.clone(),
        site: fw.orbit_name.clone(),
        dopants: dopant_amounts,
        orbit_occupancies,
        composition: comp,
        formula,
        li_change: balance.li_change,
        li_change_per_fu: balance.li_change.to_f64(),
        li_sites,
        li_note,
        lattice,
        li_orbit_occupancies: occ,
    };
    c.id = c.compute_id(fw);
    Ok(Ok(c))
}

/// Refuse dopants totalling more than the host M content of the orbit.
fn check_host_content(fw: &FrameworkModel, total: Rational) -> Result<(), Rejection> {
    if total > fw.host_m_per_fu {
        return Err((
            RejectReason::ExceedsHost {
                total: total.to_f64(),
                host_m_per_fu: fw.host_m_per_fu.to_f64(),
            },
            format!(
                "dopants total {:.4} per formula unit > host M content {:.4}",
                total.to_f64(),
                fw.host_m_per_fu.to_f64()
            ),
        ));
    }
    Ok(())
}

/// The size rule |r_d − r̄_host|/r̄_host ≤ `tolerance` for every dopant; the dopant amounts
/// with their radii and mismatches.
fn size_rule(
    fw: &FrameworkModel,
    dopants: &[(&Dopant, Rational)],
    tolerance: f64,
) -> Result<Vec<DopantAmount>, Rejection> {
    let mut dopant_amounts = Vec::new();
    for (d, a) in dopants {
        let mismatch = (d.radius_pm - fw.host_radius_pm) / fw.host_radius_pm;
        if mismatch.abs() > tolerance + 1e-12 {
            return Err((
                RejectReason::SizeMismatch {
                    dopant: d.species.to_string(),
                    radius_pm: d.radius_pm,
                    host_radius_pm: fw.host_radius_pm,
                    mismatch,
                    tolerance,
                },
                {
                    // as many decimals as it takes for the two to print differently (a
                    // mismatch of 15.57 % against a tolerance of 15.57 % would read as a pass)
                    let (m, t) = (100.0 * mismatch, 100.0 * tolerance);
                    let p = (1..=6)
                        .find(|&p| format!("{:.p$}", m.abs()) != format!("{t:.p$}"))
                        .unwrap_or(6);
                    format!(
                        "size rule: {} r({}) = {:.1} pm vs host {} {:.1} pm: {m:+.p$} % outside \
                         ±{t:.p$} %",
                        d.species,
                        fw.coordination,
                        d.radius_pm,
                        fw.host_string(),
                        fw.host_radius_pm,
                    )
                },
            ));
        }
        dopant_amounts.push(DopantAmount {
            species: d.species,
            amount: *a,
            amount_per_fu: a.to_f64(),
            radius_pm: d.radius_pm,
            radius_mismatch: mismatch,
        });
    }
    Ok(dopant_amounts)
}

/// Species on the substituted orbit per formula unit: the nominal Li, the host M left after the
/// dopants (`total` of them) in its proportions, and the dopants.
fn orbit_content(
    fw: &FrameworkModel,
    dopants: &[(&Dopant, Rational)],
    total: Rational,
) -> Vec<(Species, Rational)> {
    let remaining = fw.host_m_per_fu - total;
    let li_sp = Species::new(Element::LI, 1);
    let mut orbit_amounts: Vec<(Species, Rational)> = Vec::new();
    let add = |v: &mut Vec<(Species, Rational)>, sp: Species, a: Rational| {
        if a.is_zero() {
            return;
        }
        match v.iter_mut().find(|(s, _)| *s == sp) {
            Some(e) => e.1 = e.1 + a,
            None => v.push((sp, a)),
        }
    };
    add(&mut orbit_amounts, li_sp, fw.orbit_li_per_fu);
    for h in &fw.host {
        add(&mut orbit_amounts, h.species, remaining * h.share);
    }
    for (d, a) in dopants {
        add(&mut orbit_amounts, d.species, *a);
    }
    orbit_amounts
}

/// The Li on the Li-only orbits that charge balance requires.
struct LiBalance {
    /// Change relative to the undoped nominal framework, per formula unit.
    li_change: Rational,
    /// Li needed on the Li-only orbits per formula unit.
    needed: f64,
}

/// Charge balance Σ q·n = 0 fixes the Li on the Li-only orbits; refuse a negative amount.
fn li_balance(
    fw: &FrameworkModel,
    orbit_amounts: &[(Species, Rational)],
) -> Result<LiBalance, Rejection> {
    let q = |sp: &Species| Rational::int(sp.oxi() as i64);
    let orbit_charge: Rational = orbit_amounts.iter().map(|(sp, a)| q(sp) * *a).sum();
    // charge balance fixes the Li on the Li-only orbits
    let li_only = -(fw.fixed_charge_per_fu + orbit_charge);
    let li_only_nominal =
        -(fw.fixed_charge_per_fu + fw.orbit_li_per_fu + fw.host_m_per_fu * fw.host_charge());
    let li_change = li_only - li_only_nominal;
    let needed = li_only.to_f64();
    if li_only.is_negative() {
        return Err((
            RejectReason::LiDepleted {
                needed_li_per_fu: needed,
            },
            format!(
                "not charge-balanceable: Li change {:+.4} per formula unit would leave {:.4} Li \
                 on the Li-only sites",
                li_change.to_f64(),
                needed
            ),
        ));
    }
    let orbit_li: Rational = orbit_amounts
        .iter()
        .filter(|(sp, _)| sp.element == Element::LI)
        .map(|(_, a)| *a)
        .sum();
    if li_only.is_zero() && orbit_li.is_zero() {
        return Err((
            RejectReason::LiDepleted {
                needed_li_per_fu: 0.0,
            },
            format!(
                "no Li left: Li change {:+.4} per formula unit removes every Li of the compound",
                li_change.to_f64()
            ),
        ));
    }
    Ok(LiBalance { li_change, needed })
}

/// Occupancies of the Li-only orbits holding `needed` Li per formula unit (refined
/// distribution scaled, filled up to 1, overflow spread); refuse when it does not fit.
fn distribute_li(fw: &FrameworkModel, needed: f64) -> Result<Vec<f64>, Rejection> {
    // distribute: scale the refined occupancies, fill to 1, spread the overflow
    let capacity: f64 = fw.li_orbits.iter().map(|o| o.sites_per_fu.to_f64()).sum();
    if needed > capacity + 1e-9 || (needed > 1e-12 && fw.li_only_per_fu_refined <= 0.0) {
        return Err((
            RejectReason::NoRoomForLi {
                needed_li_per_fu: needed,
                capacity_li_per_fu: if fw.li_only_per_fu_refined <= 0.0 {
                    0.0
                } else {
                    capacity
                },
            },
            format!(
                "not charge-balanceable: {needed:.4} Li per formula unit needed on the Li-only \
                 sites, room for {capacity:.4}"
            ),
        ));
    }
    if fw.li_only_per_fu_refined <= 0.0 {
        return Ok(fw.li_orbits.iter().map(|o| o.occupancy).collect());
    }
    let occ = scale_li_occupancies(fw, needed);
    let placed: f64 = occ
        .iter()
        .zip(&fw.li_orbits)
        .map(|(x, o)| x * o.sites_per_fu.to_f64())
        .sum();
    if (placed - needed).abs() > 1e-6 {
        return Err((
            RejectReason::NoRoomForLi {
                needed_li_per_fu: needed,
                capacity_li_per_fu: placed,
            },
            format!(
                "not charge-balanceable: only {placed:.4} of {needed:.4} Li per formula unit \
                 fit on the occupied Li-only sites"
            ),
        ));
    }
    Ok(occ)
}

/// Scale the refined Li-only occupancies to hold `needed` Li per formula unit, capping orbits at
/// occupancy 1 and spreading the overflow over the others.
fn scale_li_occupancies(fw: &FrameworkModel, needed: f64) -> Vec<f64> {
    let mut occ: Vec<f64> = fw.li_orbits.iter().map(|o| o.occupancy).collect();
    let mut free: Vec<bool> = vec![true; occ.len()];
    let mut target = needed;
    for _ in 0..=occ.len() {
        let base: f64 = fw
            .li_orbits
            .iter()
            .zip(&free)
            .filter(|(_, &f)| f)
            .map(|(o, _)| o.occupancy * o.sites_per_fu.to_f64())
            .sum();
        let fixed: f64 = fw
            .li_orbits
            .iter()
            .zip(&free)
            .filter(|(_, &f)| !f)
            .map(|(o, _)| o.sites_per_fu.to_f64())
            .sum();
        let s = if base > 0.0 {
            (target - fixed).max(0.0) / base
        } else {
            0.0
        };
        let mut capped = false;
        for (k, o) in fw.li_orbits.iter().enumerate() {
            if free[k] {
                occ[k] = o.occupancy * s;
                if occ[k] > 1.0 {
                    occ[k] = 1.0;
                    free[k] = false;
                    capped = true;
                }
            } else {
                occ[k] = 1.0;
            }
        }
        if !capped {
            break;
        }
        target = needed;
    }
    occ
}

/// Li occupancy of each Li-only orbit before and after.
fn li_site_changes(fw: &FrameworkModel, occ: &[f64]) -> Vec<LiSiteChange> {
    fw.li_orbits
        .iter()
        .zip(occ)
        .map(|(o, &x)| LiSiteChange {
            orbit: o.name.clone(),
            occupancy_framework: o.occupancy,
            occupancy_candidate: x,
            delta_li_per_fu: (x - o.occupancy) * o.sites_per_fu.to_f64(),
        })
        .collect()
}

/// Where the Li goes to or comes from, in words.
fn li_note(fw: &FrameworkModel, li_change: Rational) -> String {
    let names: Vec<String> = fw.li_orbits.iter().map(|o| o.wyckoff.clone()).collect();
    let lc = li_change.to_f64();
    if li_change.is_zero() {
        "isovalent: Li content unchanged".to_string()
    } else if lc > 0.0 {
        format!(
            "{:+.4} Li per formula unit added to the Li-only sites {} (refined distribution kept)",
            lc,
            names.join(", ")
        )
    } else {
        format!(
            "{:+.4} Li per formula unit removed from the Li-only sites {} (refined distribution kept)",
            lc,
            names.join(", ")
        )
    }
}

/// Composition per formula unit (orbit content, `li_only` Li on the Li-only orbits, the fixed
/// rest) and its formula with 4 decimals.
fn composition_per_fu(
    fw: &FrameworkModel,
    orbit_amounts: &[(Species, Rational)],
    li_only: f64,
) -> (Composition, String) {
    let mut comp = Composition::default();
    for (sp, a) in orbit_amounts {
        comp.add(*sp, a.to_f64());
    }
    comp.add(Species::new(Element::LI, 1), li_only);
    for (sp, a) in &fw.fixed_species_per_fu {
        comp.add(*sp, *a);
    }
    let formula: String = comp
        .element_amounts()
        .iter()
        .map(|(e, a)| format!("{e}{}", fmt_amount(*a)))
        .collect();
    (comp, formula)
}

/// Lattice estimate by a Vegard-type rule on the mean cation–anion distance: every cell length
/// is scaled by (r̄_cat' + r̄_X')/(r̄_cat + r̄_X), where r̄ are the occupancy-weighted mean Shannon
/// ionic radii (Shannon, Acta Cryst. A32, 751 (1976); CN of the configuration) of all cations and
/// anions, primed for the candidate and unprimed for the framework as refined. Angles are kept.
/// Checked against the measured Li2InxSc2/3−xCl4 spinels (a = 10.4037, 10.42138, 10.42562 Å
/// for x = 0, 1/3, 0.444) to better than 0.3 %.
pub fn estimate_lattice(
    fw: &FrameworkModel,
    composition_per_fu: &Composition,
    cn: Coordination,
) -> Result<LatticeEstimate, EnumerateError> {
    let (mut rc, mut nc, mut ra, mut na) = (0.0, 0.0, 0.0, 0.0);
    for (sp, &a) in composition_per_fu.iter() {
        if a <= 0.0 {
            continue;
        }
        let r = radius_pm(*sp, cn)?;
        if sp.oxi() < 0.0 {
            ra += r * a;
            na += a;
        } else {
            rc += r * a;
            nc += a;
        }
    }
    let scale = (rc / nc + ra / na) / (fw.mean_cation_radius_pm + fw.mean_anion_radius_pm);
    let lattice = Lattice::new(fw.structure.lattice.matrix() * scale)?;
    let abc = lattice.abc();
    let ang = lattice.angles_deg();
    Ok(LatticeEstimate {
        a_ang: abc[0],
        b_ang: abc[1],
        c_ang: abc[2],
        alpha_deg: ang[0],
        beta_deg: ang[1],
        gamma_deg: ang[2],
        volume_ang3: lattice.volume_ang3(),
        scale,
        rule: "Vegard on mean cation-anion distance (Shannon radii)",
        lattice,
    })
}

/// A stable fingerprint of the framework: space group, orbit, formula unit, cell contents
/// (species amounts to 1e-4) and cell parameters (1e-3 Å, 1e-2 degrees).
pub fn framework_fingerprint(fw: &FrameworkModel) -> String {
    let s = &fw.structure;
    let abc = s.lattice.abc();
    let ang = s.lattice.angles_deg();
    let mut comp: Vec<(String, String)> = s
        .composition()
        .iter()
        .map(|(sp, a)| (sp.to_string(), format!("{a:.4}")))
        .collect();
    comp.sort();
    format!(
        "sg={};cell={:.3},{:.3},{:.3},{:.2},{:.2},{:.2};contents={};fu_anions={};orbit={}",
        fw.space_group_number,
        abc[0],
        abc[1],
        abc[2],
        ang[0],
        ang[1],
        ang[2],
        comp.iter()
            .map(|(a, b)| format!("{a}:{b}"))
            .collect::<Vec<_>>()
            .join(","),
        fw.anions_per_fu,
        fw.orbit_wyckoff
    )
}

impl Candidate {
    /// The canonical candidate: framework fingerprint and the exact orbit occupancies sorted by
    /// species. Two dopant lists that give the same orbit content are the same candidate.
    pub fn canonical_string(&self, fw: &FrameworkModel) -> String {
        let mut occ: Vec<(String, String)> = self
            .orbit_occupancies
            .iter()
            .map(|(sp, r)| (sp.to_string(), r.to_string()))
            .collect();
        occ.sort();
        format!(
            "{CANDIDATE_ID_VERSION}\n{}\n{}",
            framework_fingerprint(fw),
            occ.iter()
                .map(|(a, b)| format!("{a}={b}"))
                .collect::<Vec<_>>()
                .join(";")
        )
    }

    fn compute_id(&self, fw: &FrameworkModel) -> String {
        let digest = Sha256::digest(self.canonical_string(fw).as_bytes());
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}
