//! The framework: a refined host structure, its substitutable site orbit, its Li-only orbits
//! and its nominal formula unit.

use crate::error::EnumerateError;
use crate::rational::Rational;
use halo_core::{Element, Species, Structure};
use halo_data::elements::{formal_oxidation_state, shannon_ionic_radius_pm, Coordination};
use halo_symmetry::{SymmetryInfo, SymmetryOptions};
use serde::Serialize;

/// Step of the nominal M content per formula unit: the refined content is rounded to the
/// nearest 1/6 (Li2Sc2/3Cl4 refines to Sc0.622, nominal 2/3; Li3In0.664Sc0.336Cl6 to 1).
pub const NOMINAL_M_STEP_DEN: i128 = 6;
/// Largest denominator of a nominal host share: a mixed host's refined proportions (In 0.664 /
/// Sc 0.336 of Li3In2/3Sc1/3Cl6) are the nominal ones (2/3, 1/3) within the refinement's
/// error, as its total is the nominal M content; read as refined decimals they fit no
/// supercell, so no ordering could be realised at any fraction.
pub const HOST_SHARE_MAX_DEN: i128 = 6;
/// Tolerance of the nominal host share: 0.01, the precision a refined mixed occupancy is
/// given to (the bundled refinements: In 0.664 / Sc 0.336 on the C2/m 2a, shares 0.495 / 0.505
/// of the spinel's 16d, whose nominal compositions are In2/3Sc1/3 and In1/3Sc1/3).
pub const HOST_SHARE_TOLERANCE: f64 = 0.01;
/// Amounts typed by users (0.666, 0.111) are snapped to fractions with denominators up to this.
pub const SNAP_MAX_DEN: i128 = 12;
/// Tolerance of that snapping.
pub const SNAP_TOLERANCE: f64 = 1e-3;

/// A host cation on the substituted orbit.
#[derive(Clone, Debug, Serialize)]
pub struct HostCation {
    pub species: Species,
    /// Share of this species in the host M content (sums to 1).
    pub share: Rational,
    /// Refined amount per formula unit.
    pub refined_per_fu: f64,
    pub radius_pm: f64,
}

/// An orbit holding only Li (interstitial or framework Li sites).
#[derive(Clone, Debug, Serialize)]
pub struct LiOrbit {
    pub sites: Vec<usize>,
    /// Wyckoff symbol in the literature convention and the CIF label: `8a (Li2)`.
    pub name: String,
    pub wyckoff: String,
    pub occupancy: f64,
    /// Sites of this orbit per formula unit.
    pub sites_per_fu: Rational,
}

/// A framework prepared for substitution (see the crate docs for the rules).
#[derive(Clone, Debug, Serialize)]
pub struct FrameworkModel {
    pub name: String,
    #[serde(skip)]
    pub structure: Structure,
    #[serde(skip)]
    pub symmetry: SymmetryInfo,
    pub space_group_symbol: String,
    pub space_group_number: u8,
    /// Wyckoff symbol per site in the literature convention (see [`literature_wyckoff_letters`]).
    pub wyckoff_symbols: Vec<String>,
    /// Sites of the substituted orbit.
    pub orbit: Vec<usize>,
    /// `16d (Li3)`.
    pub orbit_name: String,
    pub orbit_wyckoff: String,
    pub anions_per_fu: Rational,
    pub formula_units_per_cell: Rational,
    pub orbit_sites_per_fu: Rational,
    /// Nominal total occupancy of the orbit (Li + M), kept for every candidate.
    pub orbit_total_occupancy: Rational,
    pub host: Vec<HostCation>,
    /// Nominal host M per formula unit (refined value rounded to 1/6, or given).
    pub host_m_per_fu: Rational,
    pub host_m_per_fu_refined: f64,
    /// Occupancy-weighted mean radius of the host M, pm (CN of the config).
    pub host_radius_pm: f64,
    /// Li on the substituted orbit per formula unit (nominal): orbit total − M.
    pub orbit_li_per_fu: Rational,
    pub li_orbits: Vec<LiOrbit>,
    /// Li on the Li-only orbits per formula unit, as refined.
    pub li_only_per_fu_refined: f64,
    /// Charge per formula unit of everything outside the orbit and the Li-only orbits (e).
    pub fixed_charge_per_fu: Rational,
    /// Amounts per formula unit of species outside the orbit and the Li-only orbits.
    pub fixed_species_per_fu: Vec<(Species, f64)>,
    /// Occupancy-weighted mean Shannon radius of the cations / anions of the refined framework,
    /// pm: the reference of the lattice estimate.
    pub mean_cation_radius_pm: f64,
    pub mean_anion_radius_pm: f64,
    pub coordination: String,
}

/// How a site orbit is named on the command line.
pub(crate) fn orbit_matches(spec: &str, label: Option<&str>, wyckoff: &str) -> bool {
    let s = spec.trim();
    if label.is_some_and(|l| l.eq_ignore_ascii_case(s)) {
        return true;
    }
    if wyckoff.eq_ignore_ascii_case(s) {
        return true;
    }
    // a bare letter "d"
    s.len() == 1 && wyckoff.ends_with(s)
}

/// The literature Wyckoff letters of `s` ([`literature_wyckoff_letters`]), placed by its M
/// orbit: the first orbit holding Li and a framework cation together (the spinel's 16d), else
/// the first holding a framework cation. The letters `halo enumerate` names sites by, and
/// `halo inspect` prints.
pub fn framework_wyckoff_letters(s: &Structure, info: &SymmetryInfo) -> Vec<char> {
    let orbits = info.orbits();
    let holds_m = |i: usize| site_holds_m(s, i);
    let m_site = orbits
        .iter()
        .map(|o| o[0])
        .find(|&i| {
            holds_m(i)
                && s.sites[i]
                    .species
                    .iter()
                    .any(|(sp, _)| sp.element == Element::LI)
        })
        .or_else(|| orbits.iter().map(|o| o[0]).find(|&i| holds_m(i)));
    literature_wyckoff_letters(info, m_site)
}

/// Wyckoff letters in the convention of the literature on these frameworks, which moyo's
/// choice of origin does not always follow: letters are defined only up to the Euclidean
/// normalizer of the space group. For Fd-3m (227) the normalizer shift (½,½,½) swaps a↔b and
/// c↔d; spinel papers put the octahedral M on 16d and the interstitial Li on 8a/16c, so the
/// letters are swapped when moyo puts the M orbit on c. For C2/m (12) Li3MCl6 papers put M on
/// 2a and Li on 4g/4h; the shifts (0,½,0), (0,0,½), (0,½,½) map b, c, d onto a.
/// `m_site` is a site of the M-bearing orbit (if any).
pub fn literature_wyckoff_letters(info: &SymmetryInfo, m_site: Option<usize>) -> Vec<char> {
    let mut letters = info.wyckoff_letters.clone();
    let Some(m) = m_site else { return letters };
    let swap = |ls: &mut Vec<char>, pairs: &[(char, char)]| {
        for l in ls.iter_mut() {
            for &(a, b) in pairs {
                if *l == a {
                    *l = b;
                    break;
                } else if *l == b {
                    *l = a;
                    break;
                }
            }
        }
    };
    match info.space_group_number {
        227 if letters[m] == 'c' => swap(&mut letters, &[('a', 'b'), ('c', 'd')]),
        12 if info.wyckoff_multiplicities[m] == 2 => match letters[m] {
            'b' => swap(&mut letters, &[('a', 'b'), ('c', 'd')]),
            'c' => swap(&mut letters, &[('a', 'c'), ('b', 'd'), ('g', 'h')]),
            'd' => swap(&mut letters, &[('a', 'd'), ('b', 'c'), ('g', 'h')]),
            _ => {}
        },
        _ => {}
    }
    letters
}

pub(crate) fn coordination_name(c: Coordination) -> &'static str {
    match c {
        Coordination::IV => "IV",
        Coordination::VI => "VI",
        Coordination::VIII => "VIII",
    }
}

/// Shannon radius (pm) or a clear error.
pub(crate) fn radius_pm(sp: Species, cn: Coordination) -> Result<f64, EnumerateError> {
    let q = sp
        .oxidation_state
        .ok_or_else(|| EnumerateError::NoOxidationState(sp.to_string()))?;
    shannon_ionic_radius_pm(sp.element, q, cn).map_err(|_| EnumerateError::NoShannonRadius {
        ion: sp.to_string(),
        coordination: coordination_name(cn).to_string(),
    })
}

/// Give every species without an oxidation state its formal one (docs/physics.md §1.2).
pub(crate) fn with_formal_states(structure: &Structure) -> Result<Structure, EnumerateError> {
    let mut s = structure.clone();
    for site in &mut s.sites {
        for (sp, _) in &mut site.species {
            if sp.oxidation_state.is_none() {
                let q = formal_oxidation_state(sp.element)
                    .ok_or_else(|| EnumerateError::NoOxidationState(sp.to_string()))?;
                sp.oxidation_state = Some(q);
            }
        }
    }
    Ok(s)
}

pub(crate) struct FrameworkOptions<'a> {
    pub name: &'a str,
    pub site: &'a str,
    pub symprec_ang: f64,
    pub anions_per_fu: Option<f64>,
    pub host_m_per_fu: Option<f64>,
    pub coordination: Coordination,
}

fn is_anion(sp: &Species) -> bool {
    sp.oxidation_state.is_some_and(|q| q < 0)
}

impl FrameworkModel {
    /// Prepare `structure` for substitution on the orbit named by `opt.site`: symmetry, the
    /// orbit, the formula unit, the host M, the Li-only orbits and the fixed rest.
    pub(crate) fn build(
        structure: &Structure,
        opt: &FrameworkOptions,
    ) -> Result<FrameworkModel, EnumerateError> {
        let s = with_formal_states(structure)?;
        let info = halo_symmetry::analyze_with(
            &s,
            &SymmetryOptions {
                symprec_ang: opt.symprec_ang,
                ..SymmetryOptions::default()
            },
        )?;
        let table = OrbitTable::new(&s, &info);
        let orbit = table.substituted_orbit(opt)?;
        let rep = orbit[0];
        let fu = FormulaUnit::of(&s, &info, &orbit, opt)?;
        let zf = fu.z.to_f64();
        let host = HostContent::of(&s, &orbit, zf, opt.coordination)?;
        let host_m_per_fu = nominal_host_m(opt.host_m_per_fu, host.host_m_refined)?;
        let total_refined = host.orbit_li_refined + fu.host_cell / orbit.len() as f64;
        let orbit_total_occupancy = Rational::snap(total_refined, SNAP_MAX_DEN, 5e-3)
            .unwrap_or(Rational::ONE)
            .min(Rational::ONE);
        let orbit_li_per_fu = orbit_total_occupancy * fu.orbit_sites_per_fu - host_m_per_fu;
        if orbit_li_per_fu.is_negative() {
            return Err(opt.bad(format!(
                "nominal M content {host_m_per_fu} per formula unit does not fit on {} \
                 ({} sites per formula unit)",
                table.name_of(&orbit),
                fu.orbit_sites_per_fu
            )));
        }
        let rest = RestOfCell::of(&table, rep, fu.z);
        let fixed_charge_per_fu = Rational::snap(rest.fixed_charge, SNAP_MAX_DEN, 1e-6)
            .ok_or_else(|| opt.bad("non-finite charge".into()))?;
        let (mean_cation_radius_pm, mean_anion_radius_pm) = mean_radii(&s, opt)?;
        let orbit_name = table.name_of(&orbit);
        let wyckoff_symbols = table.wyckoff_symbols.clone();
        let orbit_wyckoff = info_symbol(&orbit, &s, &info, &table.letters);
        Ok(FrameworkModel {
            name: opt.name.to_string(),
            space_group_symbol: info.space_group_symbol.clone(),
            space_group_number: info.space_group_number,
            wyckoff_symbols,
            orbit_name,
            orbit_wyckoff,
            orbit,
            anions_per_fu: fu.anions_per_fu,
            formula_units_per_cell: fu.z,
            orbit_sites_per_fu: fu.orbit_sites_per_fu,
            orbit_total_occupancy,
            host: host.host,
            host_m_per_fu,
            host_m_per_fu_refined: host.host_m_refined,
            host_radius_pm: host.host_radius_pm,
            orbit_li_per_fu,
            li_orbits: rest.li_orbits,
            li_only_per_fu_refined: rest.li_only_refined,
            fixed_charge_per_fu,
            fixed_species_per_fu: rest.fixed,
            mean_cation_radius_pm,
            mean_anion_radius_pm,
            coordination: coordination_name(opt.coordination).to_string(),
            structure: s,
            symmetry: info,
        })
    }

    /// Mean charge of the host M (e).
    pub fn host_charge(&self) -> Rational {
        self.host
            .iter()
            .map(|h| h.share * Rational::int(h.species.oxi() as i64))
            .sum()
    }

    /// A short description of the host M: `Sc3+` or `In3+0.664/Sc3+0.336`.
    pub fn host_string(&self) -> String {
        if self.host.len() == 1 {
            return self.host[0].species.to_string();
        }
        self.host
            .iter()
            .map(|h| format!("{}{:.3}", h.species, h.share.to_f64()))
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn info_symbol(orbit: &[usize], _s: &Structure, info: &SymmetryInfo, letters: &[char]) -> String {
    format!(
        "{}{}",
        info.wyckoff_multiplicities[orbit[0]], letters[orbit[0]]
    )
}

impl FrameworkOptions<'_> {
    /// A [`EnumerateError::BadFramework`] for this framework.
    fn bad(&self, reason: String) -> EnumerateError {
        EnumerateError::BadFramework {
            framework: self.name.to_string(),
            reason,
        }
    }
}

/// The orbits of a framework with their Wyckoff symbols in the literature convention.
struct OrbitTable<'s> {
    s: &'s Structure,
    orbits: Vec<Vec<usize>>,
    letters: Vec<char>,
    wyckoff_symbols: Vec<String>,
}

impl<'s> OrbitTable<'s> {
    /// Orbits of `s` and their literature Wyckoff letters (placed by the orbit holding M, one
    /// with Li and M preferred).
    fn new(s: &'s Structure, info: &SymmetryInfo) -> OrbitTable<'s> {
        let orbits = info.orbits();
        let letters = framework_wyckoff_letters(s, info);
        let wyckoff_symbols: Vec<String> = (0..s.num_sites())
            .map(|i| format!("{}{}", info.wyckoff_multiplicities[i], letters[i]))
            .collect();
        OrbitTable {
            s,
            orbits,
            letters,
            wyckoff_symbols,
        }
    }

    /// Whether site `i` holds a cation other than Li (a host M).
    fn holds_m(&self, i: usize) -> bool {
        site_holds_m(self.s, i)
    }

    /// `16d (Li3)`: the Wyckoff symbol of the orbit and the label of its first site.
    fn name_of(&self, o: &[usize]) -> String {
        let i = o[0];
        match &self.s.sites[i].label {
            Some(l) => format!("{} ({l})", self.wyckoff_symbols[i]),
            None => self.wyckoff_symbols[i].clone(),
        }
    }

    /// Every orbit with its species, for messages.
    fn available(&self) -> String {
        self.orbits
            .iter()
            .map(|o| {
                format!(
                    "{} [{}]",
                    self.name_of(o),
                    self.s.sites[o[0]].species_string()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The orbit named by `opt.site` (among several matches the one holding M), which must hold
    /// a host M.
    fn substituted_orbit(&self, opt: &FrameworkOptions) -> Result<Vec<usize>, EnumerateError> {
        let s = self.s;
        let matching: Vec<&Vec<usize>> = self
            .orbits
            .iter()
            .filter(|o| {
                o.iter().any(|&i| {
                    orbit_matches(
                        opt.site,
                        s.sites[i].label.as_deref(),
                        &self.wyckoff_symbols[i],
                    )
                })
            })
            .collect();
        let orbit = match matching.len() {
            0 => {
                return Err(EnumerateError::UnknownSite {
                    framework: opt.name.to_string(),
                    site: opt.site.to_string(),
                    available: self.available(),
                })
            }
            1 => matching[0].clone(),
            _ => {
                // several orbits share a letter: prefer the one holding M
                let with_m: Vec<_> = matching.iter().filter(|o| self.holds_m(o[0])).collect();
                if with_m.len() == 1 {
                    (*with_m[0]).clone()
                } else {
                    return Err(EnumerateError::UnknownSite {
                        framework: opt.name.to_string(),
                        site: format!("{} (ambiguous: matches several orbits)", opt.site),
                        available: self.available(),
                    });
                }
            }
        };
        let rep = orbit[0];
        if !self.holds_m(rep) {
            return Err(EnumerateError::NoHostCation {
                framework: opt.name.to_string(),
                site: opt.site.to_string(),
                species: s.sites[rep].species_string(),
            });
        }
        Ok(orbit)
    }
}

/// Whether site `i` of `s` holds a cation other than Li.
fn site_holds_m(s: &Structure, i: usize) -> bool {
    s.sites[i]
        .species
        .iter()
        .any(|(sp, _)| sp.element != Element::LI && !is_anion(sp))
}

/// The formula unit: anions per formula unit, formula units per cell and orbit sites per
/// formula unit.
struct FormulaUnit {
    anions_per_fu: Rational,
    z: Rational,
    orbit_sites_per_fu: Rational,
    /// Host M on the orbit per cell, as refined.
    host_cell: f64,
}

impl FormulaUnit {
    /// The formula unit of `s` substituted on `orbit`: `opt.anions_per_fu` anions, else 4 for
    /// spinels (Fd-3m), else the anions per host M rounded.
    fn of(
        s: &Structure,
        info: &SymmetryInfo,
        orbit: &[usize],
        opt: &FrameworkOptions,
    ) -> Result<FormulaUnit, EnumerateError> {
        let anions_cell: f64 = s
            .sites
            .iter()
            .flat_map(|x| x.species.iter())
            .filter(|(sp, _)| is_anion(sp))
            .map(|(_, o)| o)
            .sum();
        if anions_cell <= 0.0 {
            return Err(opt.bad("no anions (species with negative oxidation state)".into()));
        }
        let anions_cell_r = Rational::snap(anions_cell, 1, 1e-3)
            .filter(|r| r.is_integer() && !r.is_zero())
            .ok_or_else(|| {
                opt.bad(format!(
                    "anion content {anions_cell:.4} per cell is not integral"
                ))
            })?;
        let host_cell: f64 = orbit
            .iter()
            .flat_map(|&i| s.sites[i].species.iter())
            .filter(|(sp, _)| sp.element != Element::LI && !is_anion(sp))
            .map(|(_, o)| o)
            .sum();
        let anions_per_fu = match opt.anions_per_fu {
            Some(f) => Rational::snap(f, SNAP_MAX_DEN, SNAP_TOLERANCE)
                .filter(|r| !r.is_negative() && !r.is_zero())
                .ok_or(EnumerateError::InvalidParameter {
                    name: "anions_per_fu",
                    reason: format!("{f} is not a positive number"),
                })?,
            None if info.space_group_number == 227 => Rational::int(4),
            None => Rational::int((anions_cell / host_cell).round().max(1.0) as i64),
        };
        let z = anions_cell_r / anions_per_fu;
        Ok(FormulaUnit {
            anions_per_fu,
            z,
            orbit_sites_per_fu: Rational::int(orbit.len() as i64) / z,
            host_cell,
        })
    }
}

/// The host cations of the orbit and the Li beside them, as refined.
struct HostContent {
    host: Vec<HostCation>,
    orbit_li_refined: f64,
    host_m_refined: f64,
    host_radius_pm: f64,
}

impl HostContent {
    /// Host cations on `orbit` (all orbit sites carry the same species; `zf` formula units per
    /// cell), their shares snapped and made to add up to exactly 1, and their mean radius.
    fn of(
        s: &Structure,
        orbit: &[usize],
        zf: f64,
        cn: Coordination,
    ) -> Result<HostContent, EnumerateError> {
        let mut host = Vec::new();
        let mut orbit_li_refined = 0.0;
        for &(sp, occ) in &s.sites[orbit[0]].species {
            if sp.element == Element::LI {
                orbit_li_refined += occ;
                continue;
            }
            host.push(HostCation {
                species: sp,
                share: Rational::ZERO,
                refined_per_fu: occ * orbit.len() as f64 / zf,
                radius_pm: radius_pm(sp, cn)?,
            });
        }
        let host_m_refined: f64 = host.iter().map(|h| h.refined_per_fu).sum();
        for h in &mut host {
            h.share = nominal_share(h.refined_per_fu / host_m_refined);
        }
        // make the shares add up to exactly 1
        let sum_but_last: Rational = host[..host.len() - 1].iter().map(|h| h.share).sum();
        let last = host.len() - 1;
        host[last].share = Rational::ONE - sum_but_last;
        let host_radius_pm = host
            .iter()
            .map(|h| h.share.to_f64() * h.radius_pm)
            .sum::<f64>();
        Ok(HostContent {
            host,
            orbit_li_refined,
            host_m_refined,
            host_radius_pm,
        })
    }
}

/// The nominal share of one host species in a mixed host: the simplest fraction with
/// denominator ≤ [`HOST_SHARE_MAX_DEN`] within [`HOST_SHARE_TOLERANCE`] of the refined share,
/// else one with denominator ≤ [`SNAP_MAX_DEN`] within 1e-4, else the refined value itself.
fn nominal_share(refined: f64) -> Rational {
    let coarse = (1..=HOST_SHARE_MAX_DEN).find_map(|q| {
        let p = (refined * q as f64).round();
        ((p / q as f64 - refined).abs() <= HOST_SHARE_TOLERANCE)
            .then(|| Rational::new(p as i128, q))
    });
    coarse
        .or_else(|| Rational::snap(refined, SNAP_MAX_DEN, 1e-4))
        .unwrap_or(Rational::ONE)
}

/// Nominal host M per formula unit: the given value snapped, else the refined value rounded to
/// 1/[`NOMINAL_M_STEP_DEN`] (snapped finer when that rounds to 0).
fn nominal_host_m(given: Option<f64>, host_m_refined: f64) -> Result<Rational, EnumerateError> {
    Ok(match given {
        Some(v) => Rational::snap(v, SNAP_MAX_DEN, SNAP_TOLERANCE)
            .filter(|r| !r.is_negative() && !r.is_zero())
            .ok_or(EnumerateError::InvalidParameter {
                name: "host_m_per_fu",
                reason: format!("{v} is not a positive number"),
            })?,
        None => {
            let r = Rational::round_to(host_m_refined, NOMINAL_M_STEP_DEN);
            if r.is_zero() {
                Rational::snap(host_m_refined, 1000, 1e-4).unwrap_or(Rational::ONE)
            } else {
                r
            }
        }
    })
}

/// Everything outside the substituted orbit: the Li-only orbits and the fixed rest.
struct RestOfCell {
    li_orbits: Vec<LiOrbit>,
    /// Li on the Li-only orbits per formula unit, as refined.
    li_only_refined: f64,
    /// Charge per formula unit of the fixed rest (e).
    fixed_charge: f64,
    fixed: Vec<(Species, f64)>,
}

impl RestOfCell {
    /// Split the orbits other than the one of site `rep` into Li-only orbits and fixed species
    /// (amounts per formula unit with `z` formula units per cell).
    fn of(table: &OrbitTable, rep: usize, z: Rational) -> RestOfCell {
        let zf = z.to_f64();
        let mut li_orbits = Vec::new();
        let mut fixed_charge = 0.0;
        let mut fixed: Vec<(Species, f64)> = Vec::new();
        let mut li_only_refined = 0.0;
        for o in &table.orbits {
            if o.contains(&rep) {
                continue;
            }
            let site = &table.s.sites[o[0]];
            if site.species.iter().all(|(sp, _)| sp.element == Element::LI) {
                let occ = site.total_occupancy();
                li_only_refined += occ * o.len() as f64 / zf;
                li_orbits.push(LiOrbit {
                    sites: o.clone(),
                    name: table.name_of(o),
                    wyckoff: table.wyckoff_symbols[o[0]].clone(),
                    occupancy: occ,
                    sites_per_fu: Rational::int(o.len() as i64) / z,
                });
            } else {
                for &(sp, occ) in &site.species {
                    let amt = occ * o.len() as f64 / zf;
                    fixed_charge += sp.oxi() * amt;
                    match fixed.iter_mut().find(|(x, _)| *x == sp) {
                        Some(e) => e.1 += amt,
                        None => fixed.push((sp, amt)),
                    }
                }
            }
        }
        RestOfCell {
            li_orbits,
            li_only_refined,
            fixed_charge,
            fixed,
        }
    }
}

/// Occupancy-weighted mean Shannon radii (pm) of the cations and of the anions of the refined
/// framework, the reference of the lattice estimate.
fn mean_radii(s: &Structure, opt: &FrameworkOptions) -> Result<(f64, f64), EnumerateError> {
    let (mut rc, mut nc, mut ra, mut na) = (0.0, 0.0, 0.0, 0.0);
    for site in &s.sites {
        for &(sp, occ) in &site.species {
            let r = radius_pm(sp, opt.coordination)?;
            if is_anion(&sp) {
                ra += r * occ;
                na += occ;
            } else {
                rc += r * occ;
                nc += occ;
            }
        }
    }
    if nc <= 0.0 {
        return Err(opt.bad("no cations".into()));
    }
    Ok((rc / nc, ra / na))
}
