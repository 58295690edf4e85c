//! The explicit model (docs/physics.md §5b, §9.8): for each realisation k = 0, 1, …
//!
//! 1. configuration: `halo_enumerate::disorder::realise_disorder` with seed
//!    `realisation_seed(kmc.seed, k)` — a supercell in which every partial or mixed framework
//!    site holds an integer occupant (stochastic rounding of the refined fractions, so the
//!    ensemble mean is the refined composition); the mobile count is the one that makes the
//!    realisation neutral. The supercell of a disordered structure is the kMC cell itself
//!    ([`realisation_options`]): every width at least 2 × interaction range + the longest hop
//!    the stations may create and at least `min_width_ang`, grown until it holds the kMC's
//!    `min_ions`, so the kMC runs on one realisation (supercell 1×1×1) instead of periodic
//!    copies of a small one — no artificial superperiod in the disorder, and a realisation
//!    self-averages over the whole cell (smaller realisation-to-realisation spread, fewer
//!    realisations to reach the stopping rule);
//! 2. landscape: BVSE with every Li removed (a Li on a mixed site is a Li: its site is a
//!    landscape minimum once the realisation left it to Li), integer charges throughout;
//! 3. graph: percolation site graph, then the shallow stations between deeper sites contracted
//!    into their hops (`halo_kmc::stations`); sites at refined Li positions keep their label and
//!    are never contracted;
//! 4. kMC: the interacting model of `settings.kmc` (pair repulsion, hard core, Metropolis
//!    placement), seeded with the realisation's seed.
//!
//! An ordered structure has one configuration: its landscape and network are computed once and
//! further realisations are independent kMC runs. Realisations are added until the stopping rule
//! of [`super::ensemble`] is met.

use super::cache::NetworkCache;
use super::ensemble::{combine, Ensemble, RealisationSummary};
use super::{
    fail, kmc_error, ConductivityModel, LiSublattice, Transport, TransportError, TransportSettings,
};
use halo_bvse::saturation::{max_bond_length_ang, saturation_terms, SaturationParams};
use halo_bvse::{BvseParams, MixedSiteMobile};
use halo_core::{Element, Structure};
use halo_enumerate::disorder::{
    is_disordered, realisation_seed, realise_disorder, DisorderOptions, DisorderRealisation,
};
use halo_kmc::stations::{contract_stations, StationOptions};
use halo_kmc::{HopNetwork, KmcResult, MobileIonCount, MobileIons, NetCoupling};
use halo_percolation::PercolationResult;
use std::sync::Arc;
use std::time::Instant;

/// What one realisation's chain builds before the site-energy table — its configuration,
/// landscape graph and full kMC network (inert hops dropped, no station contracted) — kept in the
/// call's [`NetworkCache`] under the realisation's seed and supercell rule.
struct Base {
    realisation: DisorderRealisation,
    percolation: PercolationResult,
    full: HopNetwork,
    /// Wall time of the configuration, landscape, graph and network, s.
    build_s: f64,
}

/// One realisation's configuration, landscape graph and kMC network.
#[derive(Clone)]
struct Prepared {
    base: Arc<Base>,
    network: HopNetwork,
    stations: usize,
    site_energies: Option<super::site_energies::SiteEnergyReport>,
    hop_barriers: Option<super::site_energies::HopBarrierReport>,
    /// Wall time of the landscape and network (the base's build time, whether built now or
    /// kept from an earlier evaluation, plus the site energies and stations), s.
    prepare_s: f64,
}

/// The supercell rule of the realisations (see the module documentation). A disordered
/// structure is realised over the kMC cell: widths at least
/// max(`min_width_ang`, 2·max(blocking distance, pair cutoff) + the stations' longest hop) and
/// at least `kmc.min_ions` mobile ions (within `max_sites`); an ordered one keeps the width rule
/// alone (it has one configuration, and the kMC replicates it without changing it).
pub(crate) fn realisation_options(
    settings: &TransportSettings,
    structure: &Structure,
    disordered: bool,
) -> Result<DisorderOptions, TransportError> {
    let ens = &settings.ensemble;
    if !disordered {
        return Ok(DisorderOptions {
            min_width_ang: ens.min_width_ang,
            max_sites: ens.max_sites,
            scale: None,
            min_mobile: 0,
        });
    }
    let kmc = &settings.kmc;
    // the kMC's width rule (2 × range + longest hop) with the longest hop the stations may create;
    // a network with longer hops widens it in [`prepare_realisation`]
    let longest_hop = StationOptions::default().max_hop_length_ang;
    Ok(DisorderOptions {
        min_width_ang: ens.min_width_ang.max(
            2.0 * kmc
                .interaction_range_ang()
                .max(saturation_range_ang(settings, structure)?)
                + longest_hop,
        ),
        max_sites: ens.max_sites,
        scale: None,
        min_mobile: kmc.min_ions,
    })
}

/// [`prepare`], and for a disordered structure whose network has hops longer than the width rule
/// of [`realisation_options`] assumed (so that the kMC would have to repeat the realisation),
/// the same realisation seed again in a supercell as wide as the kMC requires
/// ([`halo_kmc::supercell::required_width_ang`]). `opts` keeps the wider rule for the
/// realisations that follow, so the landscape is computed twice at most once per structure.
fn prepare_realisation(
    structure: &Structure,
    settings: &TransportSettings,
    keep_labels: &[String],
    seed: u64,
    opts: &mut DisorderOptions,
    disordered: bool,
    cache: &NetworkCache,
) -> Result<Prepared, TransportError> {
    let p = prepare(structure, settings, keep_labels, seed, opts, cache)?;
    if !disordered {
        return Ok(p);
    }
    let need =
        halo_kmc::supercell::required_width_ang(&p.network, settings.kmc.interaction_range_ang());
    let narrowest = p
        .base
        .realisation
        .structure
        .lattice
        .perpendicular_widths_ang()
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    if narrowest >= need || opts.min_width_ang >= need {
        // wide enough, or already widened and held back by `max_sites`
        return Ok(p);
    }
    opts.min_width_ang = need;
    let mut wide = prepare(structure, settings, keep_labels, seed, opts, cache)?;
    wide.prepare_s += p.prepare_s;
    Ok(wide)
}

fn prepare(
    structure: &Structure,
    settings: &TransportSettings,
    keep_labels: &[String],
    seed: u64,
    opts: &DisorderOptions,
    cache: &NetworkCache,
) -> Result<Prepared, TransportError> {
    let ens = &settings.ensemble;
    let element = settings.bvse.mobile_ion.element;
    let t0 = Instant::now();
    let key = format!("explicit: seed {seed}, {opts:?}");
    let base = cache.get_or_build(&key, || -> Result<Base, TransportError> {
        let realisation = realise_disorder(structure, element, opts, seed)
            .map_err(|e| fail("bvse")(e.to_string()))?;
        let bp = BvseParams {
            mixed_site_mobile: MixedSiteMobile::Remove,
            ..settings.bvse.clone()
        };
        let land = halo_bvse::landscape(&realisation.structure, &bp)
            .map_err(|e| fail("bvse")(e.to_string()))?;
        let percolation = halo_percolation::analyze(&land, &settings.percolation)
            .map_err(|e| fail("graph")(e.to_string()))?;
        drop(land);
        let mut full = HopNetwork::from_site_graph(&percolation.site_graph, &[])
            .map_err(|e| fail("graph")(e.to_string()))?;
        drop_inert_hops(&mut full);
        Ok(Base {
            realisation,
            percolation,
            full,
            build_s: t0.elapsed().as_secs_f64(),
        })
    })?;
    let t1 = Instant::now();
    let Finished {
        mut network,
        stations,
        site_energies,
        hop_barriers,
    } = finish_network(
        base.full.clone(),
        structure,
        settings,
        keep_labels,
        ens.station_max_depth_ev,
    )?;
    if settings.anion_saturation_ev > 0.0 {
        add_anion_saturation(&mut network, &base.realisation.structure, settings)?;
    }
    let prepare_s = base.build_s + t1.elapsed().as_secs_f64();
    Ok(Prepared {
        base,
        stations,
        network,
        site_energies,
        hop_barriers,
        prepare_s,
    })
}

/// A realisation's kMC network from its full network: the site-energy table on the full network
/// (`settings.site_energies`), the shallow stations contracted into their hops, then the hop
/// barriers (`settings.hop_barriers`) on the contracted network. A row's barrier is the migration's
/// between its two ends, whichever stations the landscape's path between them runs through: set
/// before the contraction, it would be bypassed, because a path through a station merged into a
/// hop between the same ends keeps the lower saddle. A row that addresses a station itself finds
/// no minimum there and is refused with its line.
fn finish_network(
    mut full: HopNetwork,
    structure: &Structure,
    settings: &TransportSettings,
    keep_labels: &[String],
    station_max_depth_ev: f64,
) -> Result<Finished, TransportError> {
    let site_energies = match &settings.site_energies {
        Some(t) => Some(super::site_energies::apply(&mut full, structure, t)?),
        None => None,
    };
    let sc = contract_stations(
        &full,
        &StationOptions {
            max_depth_ev: station_max_depth_ev,
            keep_labels: keep_labels.to_vec(),
            ..StationOptions::default()
        },
    )
    .map_err(|e| fail("graph")(e.to_string()))?;
    let mut network = sc.network;
    let hop_barriers = match &settings.hop_barriers {
        Some(t) => Some(super::site_energies::apply_hop_barriers(
            &mut network,
            structure,
            t,
        )?),
        None => None,
    };
    Ok(Finished {
        network,
        stations: sc.contracted.len(),
        site_energies,
        hop_barriers,
    })
}

/// What [`finish_network`] made of a realisation's full network.
struct Finished {
    /// The network the kMC runs on.
    network: HopNetwork,
    /// Stations contracted.
    stations: usize,
    site_energies: Option<super::site_energies::SiteEnergyReport>,
    hop_barriers: Option<super::site_energies::HopBarrierReport>,
}

/// The anions' bond-valence saturation (`halo_bvse::saturation`) of the realisation's framework
/// on the network's sites, as site energies and couplings of the lattice gas.
fn add_anion_saturation(
    network: &mut HopNetwork,
    structure: &Structure,
    settings: &TransportSettings,
) -> Result<(), TransportError> {
    // the network's fractional coordinates are in the realisation's cell (its landscape's)
    let (a, b) = (network.lattice.matrix(), structure.lattice.matrix());
    if (a - b).abs().max() > 1e-9 * b.abs().max() {
        return Err(fail("graph")(
            "the network's cell is not the realisation's: cannot place the saturation term".into(),
        ));
    }
    let positions: Vec<[f64; 3]> = network.sites.iter().map(|s| s.frac_coords).collect();
    let terms = saturation_terms(
        structure,
        settings.bvse.mobile_ion,
        &positions,
        &SaturationParams::new(settings.anion_saturation_ev),
    )
    .map_err(|e| fail("bvse")(e.to_string()))?;
    let couplings = terms
        .couplings
        .into_iter()
        .map(|c| NetCoupling {
            a: c.a,
            b: c.b,
            image: c.image,
            energy_ev: c.energy_ev,
        })
        .collect();
    network
        .add_lattice_gas(&terms.site_energy_ev, couplings)
        .map_err(|e| fail("graph")(e.to_string()))
}

/// The longest coupling the saturation term can create in `structure`, Å: two sites bonded to
/// one anion, each at most the bond cutoff R0 − b·ln(s_min) away (Li–Cl 3.30 Å, so 6.60 Å for a
/// chloride); 0 without the term.
fn saturation_range_ang(
    settings: &TransportSettings,
    structure: &Structure,
) -> Result<f64, TransportError> {
    if settings.anion_saturation_ev <= 0.0 {
        return Ok(0.0);
    }
    let p = SaturationParams::new(settings.anion_saturation_ev);
    max_bond_length_ang(structure, settings.bvse.mobile_ion, &p)
        .map(|r| 2.0 * r)
        .map_err(|e| fail("bvse")(e.to_string()))
}

/// Hops whose saddle lies more than this above the deepest site never fire in a kMC run, eV:
/// ν0·exp(−2.0 eV/k_BT) is below 1e-6 s⁻¹ at 500 K for ν0 ≤ 1e15 s⁻¹, against simulated times
/// of microseconds. They are dropped before the stations are contracted (each would only add
/// hops that never fire).
pub const INERT_SADDLE_ABOVE_MIN_EV: f64 = 2.0;

/// Drop the hops of `net` whose saddle lies more than [`INERT_SADDLE_ABOVE_MIN_EV`] above its
/// deepest site (sites are kept: an ion there is trapped, which is what such a site does).
fn drop_inert_hops(net: &mut HopNetwork) {
    let e_min = net
        .sites
        .iter()
        .map(|s| s.energy_ev)
        .fold(f64::INFINITY, f64::min);
    net.hops
        .retain(|h| h.saddle_energy_ev - e_min <= INERT_SADDLE_ABOVE_MIN_EV);
}

/// Labels of the structure's sites that hold the mobile element (the refined Li sites).
fn mobile_labels(structure: &Structure, element: Element) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in &structure.sites {
        if s.occupancy_of(element) > 0.0 {
            if let Some(l) = &s.label {
                if !out.contains(l) {
                    out.push(l.clone());
                }
            }
        }
    }
    out
}

/// Run the explicit chain on `structure` (see the module documentation); each realisation's
/// configuration, landscape and network are taken from `cache` when an earlier evaluation of the
/// same call built them (its seeds give the same realisations).
pub fn evaluate(
    structure: &Structure,
    settings: &TransportSettings,
    cache: &NetworkCache,
    mut on_stage: impl FnMut(&'static str),
) -> Result<Transport, TransportError> {
    let ens = &settings.ensemble;
    ens.validate().map_err(|e| fail("kmc")(e.to_string()))?;
    let element: Element = settings.bvse.mobile_ion.element;
    let count = halo_kmc::mobile_ion_count(structure, element);
    let mobile = MobileIonCount {
        mobile_per_cell: count.total_per_cell,
        framework_per_cell: 0.0,
        framework_site_labels: Vec::new(),
        ..count
    };
    let disordered = is_disordered(structure, element);
    let keep = mobile_labels(structure, element);
    let min_k = if disordered { ens.min_realisations } else { 1 };
    let mut opts = realisation_options(settings, structure, disordered)?;
    let mut first: Option<Prepared> = None;
    let mut results: Vec<KmcResult> = Vec::new();
    let mut cells: Vec<usize> = Vec::new();
    let mut summaries: Vec<RealisationSummary> = Vec::new();
    let (mut landscape_graph_s, mut kmc_s) = (0.0, 0.0);
    let mut combined: Option<KmcResult> = None;
    let mut rel = f64::INFINITY;
    for k in 0..ens.max_realisations {
        let seed = realisation_seed(settings.kmc.seed, k as u64);
        // an ordered structure has one configuration: the first realisation's landscape and
        // network are reused
        let fresh = if disordered || first.is_none() {
            Some(prepare_realisation(
                structure, settings, &keep, seed, &mut opts, disordered, cache,
            )?)
        } else {
            None
        };
        let prep: &Prepared = fresh
            .as_ref()
            .or(first.as_ref())
            .expect("a fresh or the first realisation");
        if let Some(p) = &fresh {
            landscape_graph_s += p.prepare_s;
        }
        if k == 0 {
            on_stage("bvse");
            on_stage("graph");
        }
        let n_cells: usize = prep.base.realisation.scale.iter().product();
        let n_mobile = match settings.mobile_per_cell {
            Some(m) => (m * n_cells as f64).round() as usize,
            None => prep.base.realisation.mobile_count,
        };
        if n_mobile == 0 {
            return Err(fail("kmc")(format!(
                "no mobile {}: realisation {k} (supercell {:?}) is neutral without any \
                 (composition: {:.3} per cell)",
                mobile.element, prep.base.realisation.scale, mobile.total_per_cell
            )));
        }
        let t1 = Instant::now();
        let mut kp = settings.kmc.clone();
        kp.seed = seed;
        kp.mobile_ions = MobileIons::PerCell(n_mobile as f64);
        if disordered
            && prep.base.realisation.mobile_count_composition + 1e-9 >= opts.min_mobile as f64
        {
            // the realisation was sized to hold `min_ions` on average; its own count (the
            // rounding of the framework) is accepted instead of doubling the cell for one ion
            kp.min_ions = kp.min_ions.min(n_mobile);
        }
        let r = halo_kmc::simulate_cached(
            &prep.network,
            &kp,
            settings.stop.as_deref(),
            // the grounding's evaluations and the run after it (the only runs of one call that
            // can share replicas): keep and reuse them
            settings.grounding.as_ref().map(|_| cache.replicas()),
        )
        .map_err(kmc_error)?;
        kmc_s += t1.elapsed().as_secs_f64();
        let t_ref = reference_temperature_k(&r);
        let reference = r
            .temperatures
            .iter()
            .find(|t| t.temperature_k == t_ref)
            .expect("validated: at least one temperature");
        summaries.push(RealisationSummary {
            index: k,
            seed,
            scale: prep.base.realisation.scale,
            mobile_count: n_mobile,
            mobile_count_composition: prep.base.realisation.mobile_count_composition,
            network_sites: prep.network.sites.len(),
            network_hops: prep.network.hops.len(),
            stations_contracted: prep.stations,
            e_3d_ev: prep.base.percolation.thresholds.e_3d_ev,
            sigma_ref_s_per_cm: reference.sigma_s_per_cm,
            sigma_ref_se_s_per_cm: reference.sigma_se_s_per_cm,
            ea_ev: r.arrhenius.as_ref().map(|f| f.ea_ev),
        });
        results.push(r);
        cells.push(n_cells);
        if first.is_none() {
            first = fresh;
        }
        let c = combine(&results, &cells);
        if c.temperatures.is_empty() {
            // each temperature too cold in one realisation or another
            let why: Vec<String> = c.too_cold.iter().map(|t| t.reason.clone()).collect();
            return Err(fail("kmc")(format!(
                "no temperature could be simulated in every realisation: {}",
                why.join("; ")
            )));
        }
        rel = c.sigma_300k_rel_se();
        combined = Some(c);
        if k + 1 >= min_k && rel <= ens.target_rel_se {
            break;
        }
    }
    on_stage("kmc");
    let first = first.expect("max_realisations ≥ 1 (validated)");
    let kmc = combined.expect("at least one realisation ran");
    let reference_temperature_k = reference_temperature_k(&kmc);
    let hit_cap = rel > ens.target_rel_se;
    Ok(Transport {
        li_sublattice: LiSublattice::of(structure, element)
            .with_interstitial_share(structure, element, &kmc),
        charge: None,
        cell_reduction: None,
        relaxation: None,
        site_energies: first.site_energies.clone(),
        hop_barriers: first.hop_barriers.clone(),
        model: ConductivityModel::Explicit,
        mobile,
        mobile_per_cell_used: kmc.ions_per_cell,
        network_sites: first.network.sites.len(),
        network_hops: first.network.hops.len(),
        framework_minima_dropped: 0,
        stations_contracted: first.stations,
        percolation: first.base.percolation.clone(),
        kmc,
        ensemble: Some(Ensemble {
            disordered,
            realisations: summaries,
            reference_temperature_k,
            rel_se_reached: rel,
            hit_cap,
            settings: ens.clone(),
        }),
        grounding: None,
        landscape_graph_s,
        kmc_s,
    })
}

/// The temperature of `r` closest to 300 K (the reference of the summaries).
fn reference_temperature_k(r: &KmcResult) -> f64 {
    r.temperatures
        .iter()
        .map(|t| t.temperature_k)
        .min_by(|a, b| (a - 300.0).abs().total_cmp(&(b - 300.0).abs()))
        .unwrap_or(300.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::options::ModelOptions;
    use crate::transport::EnsembleSettings;
    use halo_enumerate::disorder::choose_scale;

    fn spinel() -> Structure {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif"
        );
        halo_io::read_structure(std::path::Path::new(path))
            .unwrap()
            .structure
    }

    /// The anions' bond-valence saturation on LiAlCl4 (ordered, one full Li site; measured
    /// 1e-6 S/cm): without it the landscape's cheap interstitials give ~1e-2 S/cm at the shipped
    /// ν0; with it a Frenkel pair over-bonds the interstitial's Cl and under-bonds the vacancy's,
    /// so σ(300 K) falls by orders of magnitude, the site energies move and the couplings appear
    /// in the network, and the realisation width grows to hold them.
    #[test]
    fn anion_saturation_suppresses_lialcl4_interstitials() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../structures/LiAlCl4_P21c_COD1004036.cif"
        );
        let s = halo_io::read_structure(std::path::Path::new(path))
            .unwrap()
            .structure;
        let run = |c: Option<f64>| {
            let opts = ModelOptions {
                model: ConductivityModel::Explicit,
                anion_saturation_ev: c,
                temperatures_k: Some(vec![300.0, 400.0, 500.0]),
                replicas: 2,
                blocks: 8,
                ensemble: EnsembleSettings {
                    max_realisations: 2,
                    ..EnsembleSettings::default()
                },
                ..ModelOptions::default()
            };
            let (settings, cal) = opts.settings(None).unwrap();
            let elt = settings.bvse.mobile_ion.element;
            let keep = mobile_labels(&s, elt);
            let mut o = realisation_options(&settings, &s, false).unwrap();
            let cache = NetworkCache::default();
            let p = prepare_realisation(&s, &settings, &keep, 1, &mut o, false, &cache).unwrap();
            let t = evaluate(&s, &settings, &NetworkCache::default(), |_| {}).unwrap();
            // no fit (fewer than two temperatures resolved): σ(300 K) is then below the run's
            // resolution, which is the bound taken
            let sigma = t
                .kmc
                .arrhenius
                .map(|a| a.sigma_300k_s_per_cm)
                .unwrap_or_else(|| {
                    let t300 = &t.kmc.temperatures[0];
                    assert_eq!(t300.temperature_k, 300.0);
                    assert!(!t300.is_resolved(), "{t300:?}");
                    t300.sigma_resolution_s_per_cm
                });
            (p.network, sigma, cal)
        };
        let (net0, sigma0, cal0) = run(None);
        let (net2, sigma2, cal2) = run(Some(2.0));
        assert!(net0.couplings.is_empty());
        assert!(!net2.couplings.is_empty());
        assert_eq!(net0.sites.len(), net2.sites.len());
        assert_eq!(cal0["anion_saturation_ev"]["anion_saturation_ev"], 0.0);
        assert_eq!(cal2["anion_saturation_ev"]["anion_saturation_ev"], 2.0);
        // every coupling joins two sites that share a Cl: ≤ 2 × 3.30 Å apart
        assert!(net2.max_coupling_distance_ang() <= 2.0 * 3.30 + 1e-9);
        // measured (seed 0): 8.2e-3 → 2e-6 S/cm with the sites on grid points; with the sites at
        // their sub-voxel minima the saturated run resolves fewer than two temperatures, and its
        // 300 K σ lies below the run's resolution, which bounds it
        assert!(sigma2 < sigma0 * 1e-2, "σ {sigma0:e} → {sigma2:e}");
    }

    /// A set hop barrier holds for the migration between its ends even where the landscape's path
    /// runs through a shallow station: chain A (0) – S (station, E 0.3, saddles 0.35) – B (0)
    /// with a direct A–B hop (saddle 0.6) beside it, and B – A' closing the cell. The row "A,B"
    /// sets E_KRA 0.5: applied before the contraction, the path through S would be merged into
    /// the A–B hop with its lower saddle (0.35) and bypass the barrier; applied after, every A–B
    /// hop has it. A row naming the contracted station is refused with its line.
    #[test]
    fn a_set_barrier_is_not_bypassed_through_a_contracted_station() {
        use halo_core::{Lattice, Site, Species};
        use halo_io::site_energies::{HopBarrierRow, HopBarriers, SiteRef};
        use halo_kmc::{NetHop, NetSite};
        let lattice =
            Lattice::from_rows([[6.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]]).unwrap();
        let site = |x: f64, e: f64, label: Option<&str>| NetSite {
            frac_coords: [x, 0.0, 0.0],
            energy_ev: e,
            label: label.map(str::to_string),
        };
        let hop = |from, to, image, s| NetHop {
            from,
            to,
            image,
            saddle_energy_ev: s,
        };
        let full = HopNetwork {
            lattice: lattice.clone(),
            sites: vec![
                site(0.0, 0.0, Some("A")),
                site(0.25, 0.3, None),
                site(0.5, 0.0, Some("B")),
            ],
            hops: vec![
                hop(0, 1, [0, 0, 0], 0.35),
                hop(1, 2, [0, 0, 0], 0.35),
                hop(0, 2, [0, 0, 0], 0.6),
                hop(2, 0, [1, 0, 0], 0.6),
            ],
            dimension: 1,
            couplings: Vec::new(),
        };
        let li = |x: f64, label: &str| Site {
            species: vec![(Species::new(Element::LI, 1), 1.0)],
            frac_coords: nalgebra::Vector3::new(x, 0.0, 0.0),
            label: Some(label.to_string()),
        };
        let structure = Structure::new(lattice, vec![li(0.0, "A"), li(0.5, "B")]).unwrap();
        let (mut settings, _) = ModelOptions {
            model: ConductivityModel::Explicit,
            ..ModelOptions::default()
        }
        .settings(None)
        .unwrap();
        let row = |from: SiteRef, to: &str, line| HopBarrierRow {
            line,
            from,
            to: SiteRef::Label(to.into()),
            e_kra_ev: 0.5,
        };
        settings.hop_barriers = Some(std::sync::Arc::new(HopBarriers {
            path: "neb.csv".into(),
            rows: vec![row(SiteRef::Label("A".into()), "B", 2)],
        }));
        let keep = vec!["A".to_string(), "B".to_string()];
        let f = finish_network(full.clone(), &structure, &settings, &keep, 0.1).unwrap();
        let (net, report) = (f.network, f.hop_barriers);
        assert_eq!(f.stations, 1);
        assert_eq!(net.sites.len(), 2);
        assert_eq!(net.hops.len(), 2, "{:?}", net.hops);
        for h in &net.hops {
            assert_eq!(h.saddle_energy_ev, 0.5, "{h:?}");
        }
        assert_eq!(report.unwrap().rows[0].hops, 2);
        // the station is gone from the network the kMC runs on: a row on it names its line
        settings.hop_barriers = Some(std::sync::Arc::new(HopBarriers {
            path: "neb.csv".into(),
            rows: vec![row(SiteRef::FracCoords([0.25, 0.0, 0.0]), "B", 3)],
        }));
        let e = finish_network(full, &structure, &settings, &keep, 0.1)
            .err()
            .unwrap();
        assert!(
            e.message.contains("neb.csv") && e.message.contains("line 3"),
            "{e}"
        );
    }

    #[test]
    fn a_disordered_structure_is_realised_over_the_whole_kmc_cell() {
        let opts = ModelOptions {
            model: ConductivityModel::Explicit,
            ..ModelOptions::default()
        };
        let (settings, _) = opts.settings(None).unwrap();
        let s = spinel();
        // disordered: width ≥ 2 × 4.74 Å (the BVSE pair's cutoff, 2.5 × 0.74 × 2 × 1.28 Å) + 5 Å
        // (longest station hop), ≥ min_ions Li
        let d = realisation_options(&settings, &s, true).unwrap();
        let cutoff = 2.5 * 0.74 * 2.0 * 1.28;
        assert!(
            (d.min_width_ang - (2.0 * cutoff + 5.0)).abs() < 1e-12,
            "{d:?}"
        );
        assert_eq!(d.min_mobile, settings.kmc.min_ions);
        let scale = choose_scale(&s, Element::LI, &d);
        // a = 10.43 Å: 2×2×2 cells, 8 × 16.46 = 131.7 Li ≥ 128
        assert_eq!(scale, [2, 2, 2]);
        // the kMC's own automatic supercell of that realisation is the realisation itself
        let r = realise_disorder(&s, Element::LI, &d, 7).unwrap();
        assert!(r.mobile_count >= settings.kmc.min_ions);
        // ordered structures keep the plain width rule (one configuration, replicated by the kMC)
        let o = realisation_options(&settings, &s, false).unwrap();
        assert_eq!(o.min_mobile, 0);
        assert_eq!(o.min_width_ang, settings.ensemble.min_width_ang);
        assert_eq!(choose_scale(&s, Element::LI, &o), [1, 1, 1]);
        // with the anions' saturation the couplings reach two Li–Cl bond cutoffs (the structure's
        // own anion: 2 × (R0 − b·ln 0.05) = 2 × 3.298 Å for softBV Li–Cl), beyond the pair cutoff
        let sat = ModelOptions {
            model: ConductivityModel::Explicit,
            anion_saturation_ev: Some(1.0),
            ..ModelOptions::default()
        };
        let (sat_settings, _) = sat.settings(None).unwrap();
        let w = realisation_options(&sat_settings, &s, true).unwrap();
        let li_cl = 1.39892 - 0.634 * 0.05f64.ln();
        assert!(
            (w.min_width_ang - (2.0 * 2.0 * li_cl + 5.0)).abs() < 1e-9,
            "{w:?}"
        );
    }
}
