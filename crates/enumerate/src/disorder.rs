//! Explicit configurations of a partially occupied structure: seeded supercell realisations
//! with integer occupancies of every framework site, for a mobile-ion (normally Li) conductor
//! model.
//!
//! ## Sites
//!
//! With `mobile` the mobile element, a *framework* site holds at least one species of another
//! element (cations such as Sc³⁺, In³⁺, Mg²⁺, and the anions); a *mobile-only* site holds only
//! the mobile element (Σ occ ≤ 1) and vacancies. A framework site is *disordered* when it is not
//! fully occupied by one species ([`Site::is_ordered`]).
//!
//! ## Realisation ([`realise_disorder`])
//!
//! The input is scaled to the supercell `scale` = (a, b, c) ([`Structure::make_supercell`]: site
//! k of the supercell is an image of input site k mod N). The images of a disordered framework
//! input site form one *group*; input sites with the same label and the same species/occupancy
//! list (the symmetry images a CIF reader produced) share a group. On a group of n sites each
//! non-mobile species s with occupancy f_s gets
//!
//! c_s = ⌊n f_s⌋ + B_s,  B_s ~ Bernoulli(n f_s − ⌊n f_s⌋)
//!
//! (stochastic rounding: E\[c_s\] = n f_s exactly). Should Σ c_s exceed n, the surplus is removed
//! one at a time from the rounded-up species (B_s = 1) with the smallest remainder
//! n f_s − ⌊n f_s⌋ first (ties: the species listed first), then — only possible when the
//! occupancies exceed 1 within the 1e-3 tolerance — from any species with c_s > 0, smallest
//! remainder first. The group's sites are shuffled (uniform random permutation) and the first
//! c₁ get species 1, the next c₂ species 2, and so on: each species lands on a uniformly random
//! subset. A site that receives a framework species becomes a fully ordered site of it
//! (occupancy 1). A site left over becomes a mobile-only site holding the mobile element with
//! occupancy o_m / (o_m + v), o_m the input site's mobile occupancy and v = 1 − Σ occ its vacancy
//! fraction, or is dropped when o_m = 0. Labels are kept throughout. Ordered input sites and
//! mobile-only input sites (placeholders whose labels name the refined Li sites) pass through
//! unchanged.
//!
//! Randomness: one [`ChaCha8Rng`] seeded with `seed_from_u64(seed)`, consumed group by group in
//! order of first appearance (Bernoulli draws in species order as `u < r`, u uniform in [0, 1),
//! then one shuffle), so a seed gives the same structure on every platform.
//!
//! ## Charge bookkeeping
//!
//! Q_fw = Σ q_s over the realised framework atoms (integer occupancies, oxidation states;
//! every species must carry one) and the neutral mobile count N = −Q_fw / q_mobile, which must be
//! a non-negative integer within 1e-6. q_mobile is the oxidation state of the mobile element in
//! the structure, or halo's formal state of the element when the structure holds none. The refined
//! count N_comp = a·b·c · Σ_sites o_m is reported alongside, so a caller can report N − N_comp.
//!
//! ## Supercell ([`choose_scale`])
//!
//! Perpendicular widths scale with the diagonal factors, d_i(s) = s_i d_i, so the smallest scale
//! meeting the width W is s_i = max(1, ⌈W / d_i⌉), which also has the fewest sites. If N·Π s_i
//! exceeds `max_sites`, the scale s' ≤ s (componentwise) with N·Π s'_i ≤ `max_sites` that
//! maximises the smallest width min_i s'_i d_i is taken (ties: more sites, then the
//! lexicographically smallest), and (1, 1, 1) when even that is too large.
//!
//! With `min_mobile` > 0 the scale that meets the width is then grown one repetition at a time
//! along its currently thinnest direction (ties: the first) until the refined mobile content
//! a·b·c · Σ_sites o_m reaches `min_mobile`, as long as N·Π s_i stays within `max_sites`. This
//! is how the explicit conductivity model draws one realisation over the whole kMC cell (the
//! same growth rule as the kMC's automatic supercell) instead of repeating a small one
//! periodically inside it.

use crate::error::EnumerateError;
use halo_core::structure::OCCUPANCY_TOLERANCE;
use halo_core::{Element, Site, Species, Structure};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Default smallest perpendicular width of the supercell, Å.
pub const DEFAULT_MIN_WIDTH_ANG: f64 = 10.0;
/// Default largest number of supercell sites.
pub const DEFAULT_MAX_SITES: usize = 2000;
/// Tolerance on the neutral mobile count being a whole number.
pub const MOBILE_COUNT_TOLERANCE: f64 = 1e-6;
/// Occupancies of two sites closer than this count as equal when merging groups.
const SAME_OCCUPANCY: f64 = 1e-9;

/// Options of [`realise_disorder`] and [`choose_scale`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DisorderOptions {
    /// Every perpendicular width of the supercell should be at least this, Å.
    pub min_width_ang: f64,
    /// Largest number of supercell sites (input sites × a·b·c).
    pub max_sites: usize,
    /// An explicit diagonal scale; `None`: [`choose_scale`].
    pub scale: Option<[usize; 3]>,
    /// Grow the supercell until it holds at least this refined mobile content (0: width only).
    pub min_mobile: usize,
}

impl Default for DisorderOptions {
    fn default() -> Self {
        DisorderOptions {
            min_width_ang: DEFAULT_MIN_WIDTH_ANG,
            max_sites: DEFAULT_MAX_SITES,
            scale: None,
            min_mobile: 0,
        }
    }
}

/// One explicit configuration of a partially occupied structure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DisorderRealisation {
    /// The supercell with integer framework occupancies; mobile-only sites keep (or get) partial
    /// mobile occupancies.
    pub structure: Structure,
    /// Diagonal supercell scale (a, b, c).
    pub scale: [usize; 3],
    /// Q_fw = Σ q over the realised framework atoms, e.
    pub framework_charge: f64,
    /// Mobile ions needed for neutrality, −Q_fw / q_mobile.
    pub mobile_count: usize,
    /// Refined mobile content of the supercell, a·b·c · Σ_sites o_m.
    pub mobile_count_composition: f64,
    /// The seed of this realisation.
    pub seed: u64,
    /// Number of disordered framework groups that were rounded and placed.
    pub disordered_groups: usize,
}

fn label_of(site: &Site) -> String {
    site.label.clone().unwrap_or_else(|| "unlabelled".into())
}

fn is_framework(site: &Site, mobile: Element) -> bool {
    site.species.iter().any(|(s, _)| s.element != mobile)
}

fn is_disordered_framework(site: &Site, mobile: Element) -> bool {
    is_framework(site, mobile) && !site.is_ordered()
}

/// True when some framework site (one holding a species other than `mobile`) has a partial or
/// mixed occupancy.
pub fn is_disordered(structure: &Structure, mobile: Element) -> bool {
    structure
        .sites
        .iter()
        .any(|s| is_disordered_framework(s, mobile))
}

/// The seed of realisation `index` of a series: the (index + 1)-th output of SplitMix64 started
/// at `base_seed`,
///
/// ```text
/// z = base_seed + (index + 1)·0x9E3779B97F4A7C15      (mod 2⁶⁴)
/// z = (z ⊕ (z ≫ 30))·0xBF58476D1CE4E5B9               (mod 2⁶⁴)
/// z = (z ⊕ (z ≫ 27))·0x94D049BB133111EB               (mod 2⁶⁴)
/// seed = z ⊕ (z ≫ 31)
/// ```
pub fn realisation_seed(base_seed: u64, index: u64) -> u64 {
    let mut z = base_seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The smallest diagonal scale (a, b, c), each ≥ 1, whose perpendicular widths are all at least
/// `opts.min_width_ang`, within `opts.max_sites` supercell sites (see the module doc for the
/// fallback when the width cannot be met; it is not an error). `opts.scale` is ignored here: it
/// is [`realise_disorder`] that honours an explicit scale. The rule is the same for ordered and
/// disordered structures; `mobile` names the element whose refined content `opts.min_mobile`
/// counts.
pub fn choose_scale(structure: &Structure, mobile: Element, opts: &DisorderOptions) -> [usize; 3] {
    let base = choose_width_scale(structure, opts);
    let per_cell: f64 = structure.sites.iter().map(|s| s.occupancy_of(mobile)).sum();
    let n = structure.num_sites().max(1);
    let widths = structure.lattice.perpendicular_widths_ang();
    let mut s = base;
    let cells = |s: &[usize; 3]| s[0] * s[1] * s[2];
    while opts.min_mobile > 0
        && per_cell > 0.0
        && (cells(&s) as f64) * per_cell < opts.min_mobile as f64 - 1e-9
    {
        let k = (0..3)
            .min_by(|&a, &b| (s[a] as f64 * widths[a]).total_cmp(&(s[b] as f64 * widths[b])))
            .expect("three directions");
        let mut next = s;
        next[k] += 1;
        if n * cells(&next) > opts.max_sites {
            break;
        }
        s = next;
    }
    s
}

/// The width rule of [`choose_scale`] alone.
fn choose_width_scale(structure: &Structure, opts: &DisorderOptions) -> [usize; 3] {
    let widths = structure.lattice.perpendicular_widths_ang();
    let n = structure.num_sites().max(1);
    let cap = (opts.max_sites / n).max(1);
    let w = opts.min_width_ang;
    let need = |d: f64| -> usize {
        if !(w.is_finite() && w > 0.0 && d.is_finite() && d > 0.0) {
            return 1;
        }
        let r = (w / d - 1e-9).ceil();
        if r <= 1.0 {
            1
        } else if r >= cap as f64 {
            cap
        } else {
            r as usize
        }
    };
    let wanted = [need(widths[0]), need(widths[1]), need(widths[2])];
    if n * wanted.iter().product::<usize>() <= opts.max_sites {
        return wanted;
    }
    // the width cannot be met: the largest smallest width that fits
    let mut best = [1, 1, 1];
    let mut best_key = (f64::NEG_INFINITY, 0usize);
    for a in 1..=wanted[0] {
        for b in 1..=wanted[1] {
            if a * b > cap {
                break;
            }
            for c in 1..=wanted[2] {
                let cells = a * b * c;
                if cells > cap || n * cells > opts.max_sites {
                    break;
                }
                let min_width = (a as f64 * widths[0])
                    .min(b as f64 * widths[1])
                    .min(c as f64 * widths[2]);
                let better = min_width > best_key.0 + 1e-9
                    || ((min_width - best_key.0).abs() <= 1e-9 && cells > best_key.1);
                if better {
                    best = [a, b, c];
                    best_key = (min_width, cells);
                }
            }
        }
    }
    best
}

/// Check every site; returns q_mobile, the mobile element's charge.
fn validate(structure: &Structure, mobile: Element) -> Result<f64, EnumerateError> {
    if structure.sites.is_empty() {
        return Err(EnumerateError::EmptyStructure);
    }
    let mut q_mobile = None;
    for (index, site) in structure.sites.iter().enumerate() {
        let bad = |reason: String| EnumerateError::BadSite {
            index,
            label: label_of(site),
            reason,
        };
        if site.species.is_empty() {
            return Err(bad("no species".into()));
        }
        if !site.frac_coords.iter().all(|x| x.is_finite()) {
            return Err(bad("non-finite coordinates".into()));
        }
        for (sp, o) in &site.species {
            if !(o.is_finite() && *o > 0.0) {
                return Err(bad(format!("occupancy of {sp} is {o}, not in (0, 1]")));
            }
        }
        let total = site.total_occupancy();
        if total > 1.0 + OCCUPANCY_TOLERANCE {
            return Err(EnumerateError::OverfullSite {
                index,
                label: label_of(site),
                total,
            });
        }
        for (sp, _) in &site.species {
            match sp.oxidation_state {
                None => {
                    return Err(EnumerateError::SiteWithoutOxidationState {
                        index,
                        label: label_of(site),
                        species: sp.to_string(),
                    })
                }
                Some(q) if sp.element == mobile && q_mobile.is_none() => q_mobile = Some(q as f64),
                Some(_) => {}
            }
        }
    }
    match q_mobile.or_else(|| halo_data::elements::formal_oxidation_state(mobile).map(f64::from)) {
        Some(q) => Ok(q),
        None => Err(EnumerateError::NoOxidationState(
            mobile.symbol().to_string(),
        )),
    }
}

fn same_species(a: &Site, b: &Site) -> bool {
    a.species.len() == b.species.len()
        && a.species
            .iter()
            .zip(&b.species)
            .all(|((sa, oa), (sb, ob))| sa == sb && (oa - ob).abs() <= SAME_OCCUPANCY)
}

/// Groups of disordered framework input sites: each group lists input indices; images of one
/// input site and input sites with equal label and species/occupancy list share a group.
fn input_groups(structure: &Structure, mobile: Element) -> (Vec<Vec<usize>>, Vec<Option<usize>>) {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of = vec![None; structure.sites.len()];
    for (i, site) in structure.sites.iter().enumerate() {
        if !is_disordered_framework(site, mobile) {
            continue;
        }
        let joined = site.label.as_ref().and_then(|label| {
            groups.iter().position(|g| {
                let rep = &structure.sites[g[0]];
                rep.label.as_ref() == Some(label) && same_species(rep, site)
            })
        });
        let g = match joined {
            Some(g) => {
                groups[g].push(i);
                g
            }
            None => {
                groups.push(vec![i]);
                groups.len() - 1
            }
        };
        group_of[i] = Some(g);
    }
    (groups, group_of)
}

/// Integer counts of the framework species of a group of `n` sites with occupancies `fractions`
/// by stochastic rounding, without overfilling (see the module doc).
fn rounded_counts(n: usize, fractions: &[f64], rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut counts = Vec::with_capacity(fractions.len());
    let mut remainders = Vec::with_capacity(fractions.len());
    let mut rounded_up = Vec::with_capacity(fractions.len());
    for &f in fractions {
        let mut x = n as f64 * f;
        if (x - x.round()).abs() <= 1e-9 {
            x = x.round();
        }
        let fl = x.floor();
        let r = x - fl;
        let up = r > 0.0 && rng.random::<f64>() < r;
        counts.push(fl as usize + usize::from(up));
        remainders.push(r);
        rounded_up.push(up);
    }
    let mut total: usize = counts.iter().sum();
    while total > n {
        let pick = |eligible: &dyn Fn(usize) -> bool| {
            (0..counts.len())
                .filter(|&s| eligible(s))
                .min_by(|&a, &b| remainders[a].total_cmp(&remainders[b]).then(a.cmp(&b)))
        };
        let Some(s) = pick(&|s| rounded_up[s]).or_else(|| pick(&|s| counts[s] > 0)) else {
            break; // unreachable: a total above n ≥ 0 has a positive count
        };
        counts[s] -= 1;
        rounded_up[s] = false;
        total -= 1;
    }
    counts
}

/// One explicit configuration of `structure`: integer occupancies on every disordered
/// framework site of the supercell `opts.scale` (or [`choose_scale`]), seeded by `seed`, with
/// its charge bookkeeping. See the module doc for the rules.
///
/// Errors: an empty structure, a site with no species, an occupancy not in (0, 1], occupancies
/// summing above 1 + 1e-3, a species without oxidation state (named by site index and label),
/// a zero scale factor, or a framework charge not compensated by a whole, non-negative number
/// of mobile ions.
pub fn realise_disorder(
    structure: &Structure,
    mobile: Element,
    opts: &DisorderOptions,
    seed: u64,
) -> Result<DisorderRealisation, EnumerateError> {
    let q_mobile = validate(structure, mobile)?;
    let scale = opts
        .scale
        .unwrap_or_else(|| choose_scale(structure, mobile, opts));
    if scale.contains(&0) {
        return Err(EnumerateError::InvalidParameter {
            name: "disorder scale",
            reason: format!("{scale:?}: every factor must be ≥ 1"),
        });
    }
    let n_input = structure.num_sites();
    let cells: usize = scale.iter().product();
    let supercell = structure.make_supercell(scale)?;
    let (groups, group_of) = input_groups(structure, mobile);

    // supercell sites of each group, in supercell order
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for k in 0..supercell.num_sites() {
        if let Some(g) = group_of[k % n_input] {
            members[g].push(k);
        }
    }

    // assigned[k] = Some(species) for a framework species placed on supercell site k
    let mut assigned: Vec<Option<Species>> = vec![None; supercell.num_sites()];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (g, sites) in members.iter_mut().enumerate() {
        let rep = &structure.sites[groups[g][0]];
        let framework: Vec<(Species, f64)> = rep
            .species
            .iter()
            .copied()
            .filter(|(s, _)| s.element != mobile)
            .collect();
        let fractions: Vec<f64> = framework.iter().map(|&(_, f)| f).collect();
        let counts = rounded_counts(sites.len(), &fractions, &mut rng);
        sites.shuffle(&mut rng);
        let mut next = sites.iter();
        for (&(species, _), &c) in framework.iter().zip(&counts) {
            for &k in next.by_ref().take(c) {
                assigned[k] = Some(species);
            }
        }
    }

    let mut out = Vec::with_capacity(supercell.num_sites());
    for (k, site) in supercell.sites.iter().enumerate() {
        if group_of[k % n_input].is_none() {
            out.push(site.clone());
            continue;
        }
        if let Some(species) = assigned[k] {
            out.push(Site {
                species: vec![(species, 1.0)],
                ..site.clone()
            });
            continue;
        }
        // a leftover site: mobile-only with o_m / (o_m + v), or dropped when o_m = 0
        let o_m = site.occupancy_of(mobile);
        let Some(species) = site
            .species
            .iter()
            .find(|(s, _)| s.element == mobile)
            .map(|&(s, _)| s)
        else {
            continue;
        };
        if o_m <= 0.0 {
            continue;
        }
        let vacancy = (1.0 - site.total_occupancy()).max(0.0);
        out.push(Site {
            species: vec![(species, (o_m / (o_m + vacancy)).min(1.0))],
            ..site.clone()
        });
    }
    let realised = Structure::new(supercell.lattice.clone(), out)?;

    let mut framework_charge = 0.0;
    for site in &realised.sites {
        if !is_framework(site, mobile) {
            continue;
        }
        // framework sites are ordered here (or were ordered on input): one whole atom
        for (sp, _) in &site.species {
            framework_charge += sp.oxi();
        }
    }
    let count = -framework_charge / q_mobile;
    let nearest = count.round();
    if !(count.is_finite() && nearest >= 0.0 && (count - nearest).abs() <= MOBILE_COUNT_TOLERANCE) {
        return Err(EnumerateError::NonIntegerMobileCount {
            framework_charge,
            mobile_charge: q_mobile,
            count,
        });
    }
    let mobile_count_composition = cells as f64
        * structure
            .sites
            .iter()
            .map(|s| s.occupancy_of(mobile))
            .sum::<f64>();

    Ok(DisorderRealisation {
        structure: realised,
        scale,
        framework_charge,
        mobile_count: nearest as usize,
        mobile_count_composition,
        seed,
        disordered_groups: groups.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo_core::{CoreError, Lattice};
    use nalgebra::Vector3;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn sp(text: &str) -> Species {
        Species::parse(text).unwrap()
    }

    fn spinel() -> Structure {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif");
        halo_io::read_structure(&path).unwrap().structure
    }

    fn labels(s: &Structure) -> BTreeSet<String> {
        s.sites.iter().map(label_of).collect()
    }

    fn count_of(s: &Structure, el: &str) -> f64 {
        let el = Element::from_symbol(el).unwrap();
        s.sites.iter().map(|site| site.occupancy_of(el)).sum()
    }

    fn site(species: &[(&str, f64)], frac: [f64; 3], label: &str) -> Site {
        Site {
            species: species.iter().map(|&(s, o)| (sp(s), o)).collect(),
            frac_coords: Vector3::from(frac),
            label: Some(label.into()),
        }
    }

    #[test]
    fn spinel_realisations_are_ordered_neutral_and_unbiased() {
        let s = spinel();
        let li = Element::LI;
        assert!(is_disordered(&s, li));
        let opts = DisorderOptions::default();
        // a = 10.42 Å ≥ 10 Å: the conventional cell itself
        assert_eq!(choose_scale(&s, li, &opts), [1, 1, 1]);
        let (n16d, f_sc, f_in): (f64, f64, f64) = (16.0, 0.164, 0.161);
        let mixed: Vec<&Site> = s
            .sites
            .iter()
            .filter(|x| is_disordered_framework(x, li))
            .collect();
        assert_eq!(mixed.len(), 16);
        let label_16d = mixed[0].label.clone();
        assert!(label_16d.is_some());
        // Δ = N − N_comp = −(Q_fw − ⟨Q_fw⟩)/q − Q_refined/q: each rounded species is off by less
        // than one ion of its charge, and the refinement itself is not exactly neutral
        let refined_charge = s.charge().unwrap();
        let bound = 3.0 + 3.0 + refined_charge.abs() + 1e-9;
        let (mut sum_sc, mut sum_in) = (0.0, 0.0);
        let runs = 200;
        for i in 0..runs {
            let seed = realisation_seed(2022, i);
            let r = realise_disorder(&s, li, &opts, seed).unwrap();
            assert_eq!(r.seed, seed);
            assert_eq!(r.scale, [1, 1, 1]);
            assert_eq!(
                r.disordered_groups, 1,
                "the 16 images of 16d form one group"
            );
            assert!(!is_disordered(&r.structure, li));
            for site in &r.structure.sites {
                if is_framework(site, li) {
                    assert!(site.is_ordered(), "{}", site.species_string());
                    assert_eq!(site.species[0].1, 1.0);
                }
            }
            assert_eq!(r.framework_charge, r.framework_charge.round());
            assert_eq!(
                r.framework_charge,
                r.structure.without_element(li).charge().unwrap()
            );
            assert_eq!(r.mobile_count as f64, -r.framework_charge);
            assert!((r.mobile_count_composition - 16.464).abs() < 1e-9);
            let delta = r.mobile_count as f64 - r.mobile_count_composition;
            assert!(delta.abs() <= bound, "Δ = {delta}");
            assert_eq!(labels(&r.structure), labels(&s));
            // 16d keeps all 16 sites (no vacancy there): the rest become Li, occupancy 1
            let d16: Vec<&Site> = r
                .structure
                .sites
                .iter()
                .filter(|x| x.label == label_16d)
                .collect();
            assert_eq!(d16.len(), 16);
            assert!(d16.iter().all(|x| x.is_ordered()));
            let (n_sc, n_in) = (count_of(&r.structure, "Sc"), count_of(&r.structure, "In"));
            assert!(n_sc == (n16d * f_sc).floor() || n_sc == (n16d * f_sc).ceil());
            assert!(n_in == (n16d * f_in).floor() || n_in == (n16d * f_in).ceil());
            assert_eq!(r.structure.num_sites(), s.num_sites());
            sum_sc += n_sc;
            sum_in += n_in;
        }
        for (sum, f) in [(sum_sc, f_sc), (sum_in, f_in)] {
            let x: f64 = n16d * f;
            let p = x - x.floor();
            let se = (p * (1.0 - p) / runs as f64).sqrt();
            let mean = sum / runs as f64;
            assert!((mean - x).abs() <= 3.0 * se, "mean {mean} vs {x} ± {se}");
        }
    }

    #[test]
    fn same_seed_same_structure_other_seed_other_arrangement() {
        let s = spinel();
        let opts = DisorderOptions::default();
        let a = realise_disorder(&s, Element::LI, &opts, 7).unwrap();
        let b = realise_disorder(&s, Element::LI, &opts, 7).unwrap();
        assert_eq!(a, b);
        for (x, y) in a.structure.sites.iter().zip(&b.structure.sites) {
            for k in 0..3 {
                assert_eq!(x.frac_coords[k].to_bits(), y.frac_coords[k].to_bits());
            }
            assert_eq!(x.species.len(), y.species.len());
            for ((sx, ox), (sy, oy)) in x.species.iter().zip(&y.species) {
                assert_eq!(sx, sy);
                assert_eq!(ox.to_bits(), oy.to_bits());
            }
        }
        let others: Vec<Structure> = (0..5)
            .map(|i| {
                realise_disorder(&s, Element::LI, &opts, realisation_seed(7, i))
                    .unwrap()
                    .structure
            })
            .collect();
        for (i, x) in others.iter().enumerate() {
            assert_ne!(x, &a.structure);
            for y in &others[i + 1..] {
                assert_ne!(x, y);
            }
        }
    }

    #[test]
    fn ordered_structure_passes_through() {
        let licl = Structure::rock_salt(sp("Li+"), sp("Cl-"), 5.13).unwrap();
        assert!(!is_disordered(&licl, Element::LI));
        let r = realise_disorder(&licl, Element::LI, &DisorderOptions::default(), 1).unwrap();
        assert_eq!(r.scale, [2, 2, 2]);
        assert_eq!(r.disordered_groups, 0);
        assert_eq!(r.structure, licl.make_supercell([2, 2, 2]).unwrap());
        assert_eq!(r.structure.num_sites(), 64);
        assert_eq!(r.structure.composition().reduced_formula(), "LiCl");
        assert_eq!(count_of(&r.structure, "Li"), 32.0);
        assert_eq!(r.framework_charge, -32.0);
        assert_eq!(r.mobile_count, 32);
        assert_eq!(r.mobile_count_composition, 32.0);
        // an explicit scale is honoured
        let opts = DisorderOptions {
            scale: Some([1, 2, 3]),
            ..DisorderOptions::default()
        };
        let r = realise_disorder(&licl, Element::LI, &opts, 1).unwrap();
        assert_eq!(
            (r.scale, r.structure.num_sites(), r.mobile_count),
            ([1, 2, 3], 48, 24)
        );
    }

    #[test]
    fn leftover_sites_get_conditional_mobile_occupancy() {
        // M1: Li 0.3 / Sc 0.4 / vacancy 0.3 → Sc sites, Li sites at 0.3/0.6 = 0.5;
        // M2: Mg 0.5 / vacancy 0.5 → leftover dropped; anions O²⁻ and Cl⁻ ordered
        let fcc = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.0],
            [0.5, 0.0, 0.5],
            [0.0, 0.5, 0.5],
        ];
        let mut sites = Vec::new();
        for f in fcc {
            sites.push(site(&[("Li+", 0.3), ("Sc3+", 0.4)], f, "M1"));
            sites.push(site(
                &[("Mg2+", 0.5)],
                [f[0] + 0.25, f[1] + 0.25, f[2] + 0.25],
                "M2",
            ));
            sites.push(site(&[("O2-", 1.0)], [f[0] + 0.5, f[1], f[2]], "X"));
            sites.push(site(
                &[("Cl-", 1.0)],
                [f[0] + 0.75, f[1] + 0.75, f[2] + 0.75],
                "Y",
            ));
        }
        let s = Structure::new(Lattice::cubic(5.0), sites).unwrap();
        let opts = DisorderOptions {
            scale: Some([5, 1, 1]),
            ..DisorderOptions::default()
        };
        for seed in 0..20 {
            let r = realise_disorder(&s, Element::LI, &opts, seed).unwrap();
            assert_eq!(r.disordered_groups, 2);
            // n = 20 sites per group: 8 Sc and 10 Mg exactly (no remainder)
            assert_eq!(count_of(&r.structure, "Sc"), 8.0);
            assert_eq!(count_of(&r.structure, "Mg"), 10.0);
            let m2 = r
                .structure
                .sites
                .iter()
                .filter(|x| x.label.as_deref() == Some("M2"));
            assert_eq!(m2.count(), 10);
            let li: Vec<&Site> = r
                .structure
                .sites
                .iter()
                .filter(|x| x.occupancy_of(Element::LI) > 0.0)
                .collect();
            assert_eq!(li.len(), 12);
            assert!(li.iter().all(|x| x.label.as_deref() == Some("M1")));
            assert!(li.iter().all(|x| (x.species[0].1 - 0.5).abs() < 1e-12));
            // Q_fw = 8·3 + 10·2 − 20·2 − 20 = −16; refined Li: 20·0.3 = 6
            assert_eq!(r.framework_charge, -16.0);
            assert_eq!(r.mobile_count, 16);
            assert!((r.mobile_count_composition - 6.0).abs() < 1e-12);
        }
    }

    #[test]
    fn stochastic_rounding_never_overfills() {
        // 0.5/0.5 on 3 sites: 1.5 + 1.5, both may round up; surplus dropped
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut seen_sums = BTreeSet::new();
        for _ in 0..200 {
            let c = rounded_counts(3, &[0.5, 0.5], &mut rng);
            assert!(c.iter().sum::<usize>() <= 3);
            assert!(c.iter().all(|&x| x == 1 || x == 2));
            seen_sums.insert(c.iter().sum::<usize>());
        }
        assert_eq!(seen_sums, BTreeSet::from([2, 3]));
        // smallest remainder first: 0.7·3 = 2.1 and 0.3·3 = 0.9 both rounded up → 3 + 1 > 3;
        // the 0.1-remainder species gives way
        for seed in 0..50 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let c = rounded_counts(3, &[0.7, 0.3], &mut rng);
            assert!(c.iter().sum::<usize>() <= 3, "{c:?}");
            assert_ne!(c, vec![3, 0]);
        }
        // exact products are not perturbed by round-off (3·0.1 = 0.30000000000000004)
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert_eq!(rounded_counts(10, &[0.1, 0.3], &mut rng), vec![1, 3]);
    }

    #[test]
    fn errors_name_the_site() {
        let lattice = Lattice::cubic(10.0);
        // overfull (built without Structure::new's check)
        let s = Structure {
            lattice: lattice.clone(),
            sites: vec![
                site(&[("Cl-", 1.0)], [0.5, 0.5, 0.5], "Cl1"),
                site(&[("Li+", 0.7), ("Sc3+", 0.5)], [0.0, 0.0, 0.0], "M16d"),
            ],
        };
        let e = realise_disorder(&s, Element::LI, &DisorderOptions::default(), 0).unwrap_err();
        assert!(
            matches!(e, EnumerateError::OverfullSite { index: 1, .. }),
            "{e}"
        );
        let msg = e.to_string();
        assert!(msg.contains("site 1") && msg.contains("M16d"), "{msg}");

        // missing oxidation state
        let mut s = s;
        s.sites[1] = Site {
            species: vec![
                (sp("Li+"), 0.5),
                (
                    Species::neutral_unknown(Element::from_symbol("Sc").unwrap()),
                    0.5,
                ),
            ],
            frac_coords: Vector3::zeros(),
            label: Some("M16d".into()),
        };
        let e = realise_disorder(&s, Element::LI, &DisorderOptions::default(), 0).unwrap_err();
        assert!(
            matches!(
                e,
                EnumerateError::SiteWithoutOxidationState { index: 1, .. }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("M16d") && e.to_string().contains("Sc"));

        // empty
        let empty = Structure {
            lattice: lattice.clone(),
            sites: vec![],
        };
        assert_eq!(
            realise_disorder(&empty, Element::LI, &DisorderOptions::default(), 0),
            Err(EnumerateError::EmptyStructure)
        );

        // negative occupancy
        let s = Structure {
            lattice: lattice.clone(),
            sites: vec![site(&[("Cl-", -0.5)], [0.0; 3], "Cl1")],
        };
        assert!(matches!(
            realise_disorder(&s, Element::LI, &DisorderOptions::default(), 0),
            Err(EnumerateError::BadSite { index: 0, .. })
        ));

        // a framework charge the mobile ion cannot compensate: Mg²⁺ mobile, one Cl⁻ ⇒ ½ Mg
        let s = Structure {
            lattice: lattice.clone(),
            sites: vec![
                site(&[("Mg2+", 1.0)], [0.0; 3], "Mg1"),
                site(&[("Cl-", 1.0)], [0.5; 3], "Cl1"),
            ],
        };
        let mg = Element::from_symbol("Mg").unwrap();
        let e = realise_disorder(&s, mg, &DisorderOptions::default(), 0).unwrap_err();
        assert!(
            matches!(e, EnumerateError::NonIntegerMobileCount { .. }),
            "{e}"
        );
        // a positive framework (no anions) needs a negative count
        let s = Structure {
            lattice: lattice.clone(),
            sites: vec![site(&[("Sc3+", 1.0)], [0.0; 3], "Sc1")],
        };
        assert!(matches!(
            realise_disorder(&s, Element::LI, &DisorderOptions::default(), 0),
            Err(EnumerateError::NonIntegerMobileCount { .. })
        ));
        // zero scale factor
        let licl = Structure::rock_salt(sp("Li+"), sp("Cl-"), 5.13).unwrap();
        let opts = DisorderOptions {
            scale: Some([1, 0, 1]),
            ..DisorderOptions::default()
        };
        assert!(matches!(
            realise_disorder(&licl, Element::LI, &opts, 0),
            Err(EnumerateError::InvalidParameter { .. })
        ));
        // Structure::new still rejects overfull sites itself
        assert!(matches!(
            Structure::new(
                lattice,
                vec![site(&[("Li+", 0.7), ("Sc3+", 0.5)], [0.0; 3], "M")]
            ),
            Err(CoreError::BadSite { .. })
        ));
    }

    fn widths_after(s: &Structure, scale: [usize; 3]) -> [f64; 3] {
        s.lattice.scaled(scale).perpendicular_widths_ang()
    }

    #[test]
    fn choose_scale_meets_the_width_rule() {
        let li = Element::LI;
        let opts = DisorderOptions::default();
        let cubic = |a: f64| Structure::rock_salt(sp("Li+"), sp("Cl-"), a).unwrap();
        assert_eq!(choose_scale(&cubic(10.4), li, &opts), [1, 1, 1]);
        assert_eq!(choose_scale(&cubic(5.2), li, &opts), [2, 2, 2]);
        assert_eq!(choose_scale(&cubic(4.9), li, &opts), [3, 3, 3]);
        // exactly 10 Å is enough
        assert_eq!(choose_scale(&cubic(5.0), li, &opts), [2, 2, 2]);

        // monoclinic: a = 6.4, b = 11.1, c = 6.0 Å, β = 109.5°; the perpendicular widths of
        // a and c are a·sin β and c·sin β, smaller than the edges
        let mono_lattice = Lattice::from_parameters(6.4, 11.1, 6.0, 90.0, 109.5, 90.0).unwrap();
        let mono = Structure::from_spacegroup_free(
            mono_lattice,
            vec![(sp("Li+"), [0.0, 0.0, 0.0]), (sp("Cl-"), [0.25, 0.3, 0.2])],
        )
        .unwrap();
        let scale = choose_scale(&mono, li, &opts);
        // 6.4·sin β = 6.03 → 2; 11.1 → 1; 6.0·sin β = 5.66 → 2
        assert_eq!(scale, [2, 1, 2]);
        let w = widths_after(&mono, scale);
        assert!(w.iter().all(|&x| x >= 10.0), "{w:?}");
        for axis in 0..3 {
            if scale[axis] > 1 {
                let mut smaller = scale;
                smaller[axis] -= 1;
                assert!(widths_after(&mono, smaller)[axis] < 10.0);
            }
        }
        // too many sites for the width: the largest smallest width that fits, no error
        let tight = DisorderOptions {
            min_width_ang: 30.0,
            max_sites: 2 * 12,
            ..DisorderOptions::default()
        };
        let scale = choose_scale(&mono, li, &tight);
        assert!(2 * scale.iter().product::<usize>() <= 24);
        // widths 12.07, 22.2, 16.97 Å: no scale of ≤ 12 cells has a smallest width above 12.07
        assert_eq!(scale, [2, 2, 3]);
        // a structure already larger than max_sites stays at (1, 1, 1)
        let tiny = DisorderOptions {
            max_sites: 1,
            ..DisorderOptions::default()
        };
        assert_eq!(choose_scale(&mono, li, &tiny), [1, 1, 1]);
    }

    #[test]
    fn choose_scale_grows_to_the_mobile_target_along_the_thinnest_direction() {
        let li = Element::LI;
        // rock salt LiCl, a = 5.14 Å: 4 Li per cell; the width rule gives (2, 2, 2) = 32 Li
        let licl = Structure::rock_salt(sp("Li+"), sp("Cl-"), 5.14).unwrap();
        let opts = DisorderOptions {
            min_mobile: 128,
            ..DisorderOptions::default()
        };
        let s = choose_scale(&licl, li, &opts);
        let cells: usize = s.iter().product();
        // 32 cells hold 128 Li; growth one step at a time along the thinnest (first on ties):
        // (2,2,2) → (3,2,2) → (3,3,2) → (3,3,3) = 27 cells, 108 Li → (4,3,3) = 36 cells
        assert_eq!(s, [4, 3, 3]);
        assert!(cells * 4 >= 128 && (cells - 9) * 4 < 128);
        // the site cap stops the growth (8 sites per cell; (3,3,3) = 216 sites ≤ 250 < 288)
        let capped = DisorderOptions {
            min_mobile: 128,
            max_sites: 250,
            ..DisorderOptions::default()
        };
        assert_eq!(choose_scale(&licl, li, &capped), [3, 3, 3]);
        // no mobile content: the width rule alone
        let nacl = Structure::rock_salt(sp("Na+"), sp("Cl-"), 5.64).unwrap();
        assert_eq!(choose_scale(&nacl, li, &opts), [2, 2, 2]);
    }

    #[test]
    fn realisation_seed_golden_values() {
        // SplitMix64 from seed 0, first output (the published reference value), and one more
        // computed with Python from the formula in the doc
        assert_eq!(realisation_seed(0, 0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(realisation_seed(42, 7), 0xccf6_35ee_9e9e_2fa4);
        assert_ne!(realisation_seed(42, 8), realisation_seed(42, 7));
    }
}
