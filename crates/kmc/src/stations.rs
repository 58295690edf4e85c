//! Contraction of shallow *stations* of a [`HopNetwork`].
//!
//! The sites of a network are local minima of the ion's energy landscape and its hops carry the
//! saddle energy between them. Some minima are only shallow stations on a path between deeper
//! sites (e.g. the tetrahedral site between two octahedral Li sites of Li3YCl6). A station must
//! not be a kMC site (an ion parked there would block its neighbours): it is part of the hop.
//! [`contract_stations`] replaces every path a → s → b through a station s by one hop a → b:
//!
//! - barrier: the highest point of the whole path, S_ab = max(S_as, S_sb) (both saddles lie at or
//!   above E_s, so the path maximum is the larger saddle);
//! - image: image(a→s) + image(s→b), with the network's convention (a hop goes from `from` in the
//!   home cell to `to` shifted by `image`; the reverse hop has −image). The positions of a and b
//!   are unchanged, so the new hop vector is the straight a → b vector.
//!
//! # Which sites are stations
//!
//! With E_s the energy of site s and S_h the saddle of hop h:
//!
//! - depth(s) = min over the hops h touching s of (S_h − E_s) (+∞ for a site without hops);
//! - s is a station when depth(s) < `max_depth_ev` (default [`DEFAULT_MAX_DEPTH_EV`] = 0.10 eV
//!   ≈ 4 k_BT at 300 K), **and** at least [`MIN_DEEPER_NEIGHBOURS`] = 2 of its hops lead to a
//!   site (a distinct (site, image) end; hops of s to its own image do not count) with energy
//!   strictly below E_s — it lies *between* deeper sites, **and** its label is not in
//!   `keep_labels` (labelled refined sites the caller wants are never contracted).
//!
//! Stations are contracted one at a time, always the highest-energy station of the current
//! network first (ties: the lower input index). After each contraction the status of the
//! contracted site's neighbours is re-evaluated on the contracted network, so a chain of stations
//! s1–s2 ends up as a single hop with the largest saddle along the chain, and a pair of shallow
//! minima that together form a deep basin (the exit barrier of the pair exceeds `max_depth_ev`)
//! is kept as a site. Contraction never lowers a depth (a new hop of a neighbour x has saddle
//! max(S_xs, S_sb) ≥ S_xs), and it stops when no station is left, so the output contains no
//! station. The lowest site of the network is never a station (it has no deeper neighbour), so
//! at least one site always remains.
//!
//! # Hops
//!
//! For every pair of distinct hops (s–a, s–b) of the station the hop a → b is created, unless
//! a = b with a zero image sum (a return to the same site image). A hop of s to its own periodic
//! image s + m (saddle S_ss) adds the paths a → s → s + m → b, image image(a→s) + m + image(s→b),
//! barrier max(S_as, S_ss, S_sb), for every ordered pair of the station's other hops (including
//! a hop with itself, giving a → a + m); paths through more than one image of s are left out.
//! A created hop that joins the same (from, to, image) as an existing hop — in either orientation
//! (to, from, −image) — is merged into it and the lower saddle is kept. Created hops are stored
//! in canonical orientation (from ≤ to; for from = to the image's first non-zero component is
//! positive). The output keeps the input's remaining sites and hops in input order (sites
//! re-indexed), followed by the created hops in creation order. Everything is kept in `Vec`s and
//! `BTreeMap`s: the result does not depend on hash order.
//!
//! # The approximation made
//!
//! With single-ion rates Γ_ij = ν0·exp(−(S_ij − E_i)/k_BT), an ion at a crosses a → s → b at the
//! effective rate Γ_as·Γ_sb/(Γ_sa + Γ_sb) (it reaches s at Γ_as and goes on to b with the
//! probability Γ_sb/(Γ_sa + Γ_sb)) = ν0·exp(E_a/k_BT)/(exp(S_as/k_BT) + exp(S_sb/k_BT)). The
//! contracted hop has ν0·exp(−(max(S_as, S_sb) − E_a)/k_BT), larger by the factor
//!
//!   contracted / two-step = 1 + exp(−|S_as − S_sb|/k_BT)  ∈ (1, 2],
//!
//! exactly 2 for a symmetric station (equal saddles: the ion at s goes on or back with
//! probability ½) and → 1 when one saddle dominates. On top of that the contracted network
//! neglects the time spent at s (the factor Z = Σ_sites exp(−E/k_BT) of the full network; ≈ 1
//! when the stations lie many k_BT above the deep sites). The exact single-ion diffusion tensor
//! of a chain of symmetric stations is therefore multiplied by 2·Z (measured in the tests for
//! E_s − E_a = 0.5 eV: 2.000000024 at 300 K, 2.00038 at 600 K, equal to 2·Z within 1e-9).

use crate::error::KmcError;
use crate::network::{HopNetwork, NetHop, NetSite};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Default largest depth of a station, eV (0.10 eV ≈ 4 k_BT at 300 K).
pub const DEFAULT_MAX_DEPTH_EV: f64 = 0.10;

/// Default longest hop a contraction creates, Å: one station between two sites (two legs of up
/// to 2.5 Å, e.g. octahedral → tetrahedral → octahedral in a chloride, 3.5–4.2 Å) and compact
/// two-station paths. Longer created hops (flights through chains of shallow minima across a
/// void) are not created: without this bound the contraction of interstitial-rich voids joins
/// every pair of sites around them (LiAlCl4: 16 337 hops for 80 sites per cell).
pub const DEFAULT_MAX_HOP_LENGTH_ANG: f64 = 5.0;

/// A station has at least this many hops to strictly deeper sites.
pub const MIN_DEEPER_NEIGHBOURS: usize = 2;

/// Options of [`contract_stations`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StationOptions {
    /// A site is a station only when its depth (lowest saddle of its hops minus its energy) is
    /// below this, eV (default [`DEFAULT_MAX_DEPTH_EV`]; 0 contracts nothing).
    pub max_depth_ev: f64,
    /// Sites carrying one of these labels are never contracted (default: none).
    pub keep_labels: Vec<String>,
    /// Created hops longer than this are not created, Å (default
    /// [`DEFAULT_MAX_HOP_LENGTH_ANG`]; infinity: no bound; input hops are kept whatever their
    /// length).
    #[serde(default = "default_max_hop_length")]
    pub max_hop_length_ang: f64,
}

fn default_max_hop_length() -> f64 {
    DEFAULT_MAX_HOP_LENGTH_ANG
}

impl Default for StationOptions {
    fn default() -> Self {
        StationOptions {
            max_depth_ev: DEFAULT_MAX_DEPTH_EV,
            keep_labels: Vec::new(),
            max_hop_length_ang: DEFAULT_MAX_HOP_LENGTH_ANG,
        }
    }
}

/// One contracted station, as it was in the input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContractedStation {
    /// Index of the site in the input network.
    pub index_in_input: usize,
    /// Fractional coordinates.
    pub frac_coords: [f64; 3],
    /// Site energy, eV.
    pub energy_ev: f64,
    /// Depth when it was contracted (after the contraction of the higher stations), eV.
    pub depth_ev: f64,
    /// Label, if any.
    pub label: Option<String>,
}

/// The result of [`contract_stations`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StationContraction {
    /// The network without stations (passes [`HopNetwork::validate`]).
    pub network: HopNetwork,
    /// The contracted stations in the order of contraction (highest energy first).
    pub contracted: Vec<ContractedStation>,
    /// Hops of the output that are not input hops (created hops merged into an input hop are
    /// not counted).
    pub hops_added: usize,
}

/// Canonical key of an undirected hop: (from, to, image) with from ≤ to, and for from = to the
/// image whose first non-zero component is positive.
/// Images are handled as `i64` so that no sum or negation can overflow; a created hop whose image
/// does not fit `i32` is an error.
type HopKey = (usize, usize, [i64; 3]);

fn wide(m: [i32; 3]) -> [i64; 3] {
    m.map(i64::from)
}

fn neg(m: [i64; 3]) -> [i64; 3] {
    [-m[0], -m[1], -m[2]]
}

fn canonical(from: usize, to: usize, image: [i64; 3]) -> HopKey {
    if from < to {
        (from, to, image)
    } else if from > to {
        (to, from, neg(image))
    } else {
        let first = image.iter().copied().find(|&x| x != 0).unwrap_or(0);
        (from, to, if first < 0 { neg(image) } else { image })
    }
}

/// An image back to `i32`, with an error instead of an overflow.
fn narrow(m: [i64; 3]) -> Result<[i32; 3], KmcError> {
    let mut out = [0i32; 3];
    for (o, v) in out.iter_mut().zip(m) {
        *o = i32::try_from(v).map_err(|_| {
            KmcError::InvalidNetwork(format!(
                "image component {v} of a contracted hop does not fit i32"
            ))
        })?;
    }
    Ok(out)
}

fn add(a: [i64; 3], b: [i64; 3]) -> [i64; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// One hop of a station seen from the station: the other end `site` at `image` relative to the
/// station in the home cell.
#[derive(Clone, Copy, Debug)]
struct End {
    site: usize,
    image: [i64; 3],
    saddle_ev: f64,
}

/// The network while it is being contracted.
struct Work<'a> {
    sites: &'a [NetSite],
    lattice: &'a halo_core::Lattice,
    /// Created hops longer than this are dropped, Å.
    max_created_length_ang: f64,
    site_alive: Vec<bool>,
    hops: Vec<NetHop>,
    hop_alive: Vec<bool>,
    hop_added: Vec<bool>,
    /// Canonical key → the live hop of that key (the first one for input duplicates).
    by_key: BTreeMap<HopKey, usize>,
    /// Live hops touching each site.
    incident: Vec<BTreeSet<usize>>,
}

impl<'a> Work<'a> {
    fn new(net: &'a HopNetwork) -> Self {
        let mut incident = vec![BTreeSet::new(); net.sites.len()];
        let mut by_key = BTreeMap::new();
        for (h, hop) in net.hops.iter().enumerate() {
            incident[hop.from].insert(h);
            incident[hop.to].insert(h);
            by_key
                .entry(canonical(hop.from, hop.to, wide(hop.image)))
                .or_insert(h);
        }
        Work {
            sites: &net.sites,
            lattice: &net.lattice,
            max_created_length_ang: f64::INFINITY,
            site_alive: vec![true; net.sites.len()],
            hops: net.hops.clone(),
            hop_alive: vec![true; net.hops.len()],
            hop_added: vec![false; net.hops.len()],
            by_key,
            incident,
        }
    }

    /// depth(s) = min over hops of (S − E_s); +∞ without hops.
    fn depth(&self, s: usize) -> f64 {
        let e = self.sites[s].energy_ev;
        self.incident[s]
            .iter()
            .map(|&h| self.hops[h].saddle_energy_ev - e)
            .fold(f64::INFINITY, f64::min)
    }

    /// Hops of s leading to a strictly deeper site (hops of s to its own image excluded).
    fn deeper_neighbours(&self, s: usize) -> usize {
        let e = self.sites[s].energy_ev;
        self.incident[s]
            .iter()
            .filter(|&&h| {
                let hop = &self.hops[h];
                let other = if hop.from == s { hop.to } else { hop.from };
                other != s && self.sites[other].energy_ev < e
            })
            .count()
    }

    /// Some(depth) when site s is a station of the current network.
    fn station_depth(&self, s: usize, opts: &StationOptions) -> Option<f64> {
        if !self.site_alive[s] {
            return None;
        }
        if let Some(l) = &self.sites[s].label {
            if opts.keep_labels.iter().any(|k| k == l) {
                return None;
            }
        }
        let d = self.depth(s);
        (d < opts.max_depth_ev && self.deeper_neighbours(s) >= MIN_DEEPER_NEIGHBOURS).then_some(d)
    }

    fn remove_hop(&mut self, h: usize) {
        self.hop_alive[h] = false;
        let hop = &self.hops[h];
        self.incident[hop.from].remove(&h);
        self.incident[hop.to].remove(&h);
        let key = canonical(hop.from, hop.to, wide(hop.image));
        if self.by_key.get(&key) == Some(&h) {
            self.by_key.remove(&key);
        }
    }

    /// Add the hop a → b (image) or merge it into the live hop of the same key (lower saddle).
    fn add_hop(
        &mut self,
        a: usize,
        b: usize,
        image: [i64; 3],
        saddle_ev: f64,
    ) -> Result<(), KmcError> {
        if a == b && image == [0, 0, 0] {
            return Ok(());
        }
        let d = nalgebra::Vector3::from(std::array::from_fn::<f64, 3, _>(|k| {
            self.sites[b].frac_coords[k] + image[k] as f64 - self.sites[a].frac_coords[k]
        }));
        if self.lattice.cart(&d).norm() > self.max_created_length_ang {
            return Ok(());
        }
        let key = canonical(a, b, image);
        if let Some(&h) = self.by_key.get(&key) {
            let s = &mut self.hops[h].saddle_energy_ev;
            *s = s.min(saddle_ev);
            return Ok(());
        }
        let h = self.hops.len();
        self.hops.push(NetHop {
            from: key.0,
            to: key.1,
            image: narrow(key.2)?,
            saddle_energy_ev: saddle_ev,
        });
        self.hop_alive.push(true);
        self.hop_added.push(true);
        self.incident[key.0].insert(h);
        self.incident[key.1].insert(h);
        self.by_key.insert(key, h);
        Ok(())
    }

    /// Replace station s by hops between its neighbours; returns the neighbour sites.
    fn contract(&mut self, s: usize) -> Result<BTreeSet<usize>, KmcError> {
        let mut ends: Vec<End> = Vec::new();
        let mut loops: Vec<([i64; 3], f64)> = Vec::new();
        let hops: Vec<usize> = self.incident[s].iter().copied().collect();
        for &h in &hops {
            let hop = &self.hops[h];
            if hop.from == s && hop.to == s {
                loops.push((wide(hop.image), hop.saddle_energy_ev));
            } else if hop.from == s {
                ends.push(End {
                    site: hop.to,
                    image: wide(hop.image),
                    saddle_ev: hop.saddle_energy_ev,
                });
            } else {
                ends.push(End {
                    site: hop.from,
                    image: neg(wide(hop.image)),
                    saddle_ev: hop.saddle_energy_ev,
                });
            }
        }
        for &h in &hops {
            self.remove_hop(h);
        }
        self.site_alive[s] = false;
        // a at s − m_a, b at s + m_b: image(a → b) = m_b − m_a
        for (i, ea) in ends.iter().enumerate() {
            for eb in &ends[i + 1..] {
                let img = add(eb.image, neg(ea.image));
                self.add_hop(ea.site, eb.site, img, ea.saddle_ev.max(eb.saddle_ev))?;
            }
        }
        // a → s → s + m → b: image m_b + m − m_a, every ordered pair (including a hop with itself)
        for &(m, s_loop) in &loops {
            for ea in &ends {
                for eb in &ends {
                    let img = add(add(eb.image, m), neg(ea.image));
                    let saddle = ea.saddle_ev.max(eb.saddle_ev).max(s_loop);
                    self.add_hop(ea.site, eb.site, img, saddle)?;
                }
            }
        }
        Ok(ends.iter().map(|e| e.site).collect())
    }
}

/// Contract the shallow stations of `net` (see the [module documentation](self) for the
/// definition, the formulas and the approximation made).
///
/// Errors: `opts.max_depth_ev` non-finite or negative ([`KmcError::InvalidParameter`]); an
/// input network that fails [`HopNetwork::validate`]; an image overflowing `i32`; a contraction
/// that would leave no site (cannot happen for a valid network, checked all the same).
pub fn contract_stations(
    net: &HopNetwork,
    opts: &StationOptions,
) -> Result<StationContraction, KmcError> {
    if !(opts.max_depth_ev.is_finite() && opts.max_depth_ev >= 0.0) {
        return Err(KmcError::InvalidParameter {
            name: "max_depth_ev",
            reason: format!("{} eV is not a finite depth ≥ 0", opts.max_depth_ev),
        });
    }
    net.validate()?;
    if !net.couplings.is_empty() {
        return Err(KmcError::InvalidNetwork(
            "stations are contracted before couplings are added (a contracted site's couplings \
             would have no meaning)"
                .into(),
        ));
    }
    let n = net.sites.len();
    if opts.max_hop_length_ang.is_nan() || opts.max_hop_length_ang <= 0.0 {
        return Err(KmcError::InvalidParameter {
            name: "max_hop_length_ang",
            reason: format!(
                "{} Å is not a positive length (infinity: no bound)",
                opts.max_hop_length_ang
            ),
        });
    }
    let mut w = Work::new(net);
    w.max_created_length_ang = opts.max_hop_length_ang;
    let mut status: Vec<Option<f64>> = (0..n).map(|s| w.station_depth(s, opts)).collect();
    let mut contracted = Vec::new();
    loop {
        // the highest station; ties go to the lower index
        let mut next: Option<(usize, f64)> = None;
        for (s, st) in status.iter().enumerate() {
            if let Some(d) = *st {
                let better = match next {
                    None => true,
                    Some((t, _)) => net.sites[s].energy_ev > net.sites[t].energy_ev,
                };
                if better {
                    next = Some((s, d));
                }
            }
        }
        let Some((s, depth)) = next else { break };
        if contracted.len() + 1 >= n {
            return Err(KmcError::InvalidNetwork(format!(
                "contracting station {s} would leave no site"
            )));
        }
        let site = &net.sites[s];
        contracted.push(ContractedStation {
            index_in_input: s,
            frac_coords: site.frac_coords,
            energy_ev: site.energy_ev,
            depth_ev: depth,
            label: site.label.clone(),
        });
        let neighbours = w.contract(s)?;
        status[s] = None;
        for x in neighbours {
            status[x] = w.station_depth(x, opts);
        }
    }
    let mut new_index = vec![usize::MAX; n];
    let mut sites = Vec::with_capacity(n - contracted.len());
    for (i, site) in net.sites.iter().enumerate() {
        if w.site_alive[i] {
            new_index[i] = sites.len();
            sites.push(site.clone());
        }
    }
    let mut hops = Vec::new();
    let mut hops_added = 0;
    for (h, hop) in w.hops.iter().enumerate() {
        if !w.hop_alive[h] {
            continue;
        }
        hops_added += usize::from(w.hop_added[h]);
        hops.push(NetHop {
            from: new_index[hop.from],
            to: new_index[hop.to],
            image: hop.image,
            saddle_energy_ev: hop.saddle_energy_ev,
        });
    }
    let network = HopNetwork {
        lattice: net.lattice.clone(),
        sites,
        hops,
        dimension: net.dimension,
        couplings: Vec::new(),
    };
    network.validate()?;
    Ok(StationContraction {
        network,
        contracted,
        hops_added,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo_core::Lattice;

    fn site(f: [f64; 3], e: f64) -> NetSite {
        NetSite {
            frac_coords: f,
            energy_ev: e,
            label: None,
        }
    }

    fn hop(from: usize, to: usize, image: [i32; 3], s: f64) -> NetHop {
        NetHop {
            from,
            to,
            image,
            saddle_energy_ev: s,
        }
    }

    fn chain_lattice(l: f64) -> Lattice {
        Lattice::from_rows([[l, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]]).unwrap()
    }

    /// 1D chain a–s–a' along x: deep site a (E = 0) at 0, site s at ½ (E = `e_s`), saddles
    /// `s1` (a → s) and `s2` (s → a').
    fn chain(l: f64, e_s: f64, s1: f64, s2: f64) -> HopNetwork {
        HopNetwork {
            lattice: chain_lattice(l),
            sites: vec![site([0.0; 3], 0.0), site([0.5, 0.0, 0.0], e_s)],
            hops: vec![hop(0, 1, [0, 0, 0], s1), hop(1, 0, [1, 0, 0], s2)],
            dimension: 1,
            couplings: Vec::new(),
        }
    }

    /// Default options without the hop-length bound (the geometry tests use long cells).
    fn unbounded() -> StationOptions {
        StationOptions {
            max_hop_length_ang: f64::INFINITY,
            ..StationOptions::default()
        }
    }

    fn run(net: &HopNetwork) -> StationContraction {
        contract_stations(net, &unbounded()).unwrap()
    }

    /// Simple cubic deep sites (E = 0, edge `a`) with a station at the middle of each of the three
    /// edges (E = `e_s`), both saddles of every edge `saddle`.
    fn cubic_with_edge_stations(a: f64, e_s: f64, saddle: f64) -> HopNetwork {
        let mut sites = vec![site([0.0; 3], 0.0)];
        let mut hops = Vec::new();
        for k in 0..3 {
            let mut f = [0.0; 3];
            f[k] = 0.5;
            sites.push(site(f, e_s));
            let mut img = [0; 3];
            img[k] = 1;
            hops.push(hop(0, k + 1, [0, 0, 0], saddle));
            hops.push(hop(k + 1, 0, img, saddle));
        }
        HopNetwork {
            lattice: Lattice::cubic(a),
            sites,
            hops,
            dimension: 3,
            couplings: Vec::new(),
        }
    }

    #[test]
    fn chain_station_becomes_one_hop_across_the_cell() {
        let net = chain(3.2, 0.3, 0.35, 0.5);
        let r = run(&net);
        assert_eq!(r.network.sites.len(), 1);
        assert_eq!(r.network.hops.len(), 1);
        let h = &r.network.hops[0];
        assert_eq!((h.from, h.to, h.image), (0, 0, [1, 0, 0]));
        assert_eq!(h.saddle_energy_ev, 0.5);
        assert!((r.network.hop_vector_ang(0).norm() - 3.2).abs() < 1e-12);
        assert_eq!(r.hops_added, 1);
        assert_eq!(r.contracted.len(), 1);
        let c = &r.contracted[0];
        assert_eq!(c.index_in_input, 1);
        assert_eq!(c.energy_ev, 0.3);
        assert!((c.depth_ev - 0.05).abs() < 1e-12);
        r.network.validate().unwrap();
    }

    /// Exact single-ion D of the full network over that of the contracted one is the known
    /// factor 1 + exp(−|S_as − S_sb|/k_BT) (times Z of the full network, ≈ 1 here).
    #[test]
    fn contraction_changes_exact_diffusion_by_the_documented_factor() {
        let nu = 1e13;
        // symmetric stations 0.5 eV above the deep sites, 3D: factor 2
        let full = cubic_with_edge_stations(3.0, 0.5, 0.55);
        let r = run(&full);
        assert_eq!(r.network.sites.len(), 1);
        assert_eq!(r.network.hops.len(), 3);
        for t in [300.0, 400.0, 600.0] {
            let d_full = full
                .exact_single_ion_diffusion_tensor_ang2_per_s(t, nu)
                .unwrap();
            let d_con = r
                .network
                .exact_single_ion_diffusion_tensor_ang2_per_s(t, nu)
                .unwrap();
            let kt = halo_core::K_B_EV_PER_K * t;
            let z = 1.0 + 3.0 * (-0.5 / kt).exp();
            for k in 0..3 {
                let ratio = d_con[(k, k)] / d_full[(k, k)];
                assert!((ratio / 2.0 - 1.0).abs() < 0.01, "T {t}: ratio {ratio}");
                assert!(
                    (ratio / (2.0 * z) - 1.0).abs() < 1e-9,
                    "T {t}: ratio {ratio}"
                );
            }
        }
        // asymmetric 1D station: factor 1 + exp(−|ΔS|/k_BT)
        for (s1, s2) in [(0.52, 0.55), (0.55, 0.52), (0.51, 0.58)] {
            let full = chain(2.0, 0.5, s1, s2);
            let r = run(&full);
            assert_eq!(r.network.sites.len(), 1);
            for t in [300.0, 500.0] {
                let kt = halo_core::K_B_EV_PER_K * t;
                let d_full = full
                    .exact_single_ion_diffusion_tensor_ang2_per_s(t, nu)
                    .unwrap()[(0, 0)];
                let d_con = r
                    .network
                    .exact_single_ion_diffusion_tensor_ang2_per_s(t, nu)
                    .unwrap()[(0, 0)];
                let z = 1.0 + (-0.5 / kt).exp();
                let expect = (1.0 + (-(s1 - s2).abs() / kt).exp()) * z;
                let ratio = d_con / d_full;
                assert!(
                    (ratio / expect - 1.0).abs() < 1e-9,
                    "S {s1}/{s2}, T {t}: {ratio} vs {expect}"
                );
                assert!(ratio > 1.0 && ratio < 2.0 + 1e-6);
            }
        }
    }

    #[test]
    fn kept_labels_deep_minima_and_lowest_sites_are_not_contracted() {
        // a labelled station listed in keep_labels stays
        let mut net = chain(3.0, 0.3, 0.35, 0.5);
        net.sites[1].label = Some("Li2".into());
        let keep = StationOptions {
            keep_labels: vec!["Li2".into()],
            ..unbounded()
        };
        let r = contract_stations(&net, &keep).unwrap();
        assert_eq!(r.network, net);
        assert!(r.contracted.is_empty());
        assert_eq!(r.hops_added, 0);
        let other = StationOptions {
            keep_labels: vec!["Li1".into()],
            ..unbounded()
        };
        let r = contract_stations(&net, &other).unwrap();
        assert_eq!(r.network.sites.len(), 1);
        assert_eq!(r.contracted[0].label.as_deref(), Some("Li2"));

        // a deep minimum (depth 0.2 eV > 0.10 eV) stays; with a larger max_depth it goes
        let net = chain(3.0, 0.3, 0.5, 0.6);
        let r = run(&net);
        assert_eq!(r.network, net);
        let wide = StationOptions {
            max_depth_ev: 0.25,
            ..unbounded()
        };
        let r = contract_stations(&net, &wide).unwrap();
        assert_eq!(r.network.sites.len(), 1);
        assert_eq!(r.network.hops[0].saddle_energy_ev, 0.6);

        // depth exactly max_depth (0.125 eV, exact in binary) is not below it
        let net = chain(3.0, 0.25, 0.375, 0.5);
        let edge = StationOptions {
            max_depth_ev: 0.125,
            ..unbounded()
        };
        assert!(contract_stations(&net, &edge)
            .unwrap()
            .contracted
            .is_empty());

        // a shallow minimum that is the lowest site stays; its shallow higher neighbour goes
        let net = chain(3.0, 0.04, 0.05, 0.05);
        let r = run(&net);
        assert_eq!(r.network.sites.len(), 1);
        assert_eq!(r.network.sites[0].energy_ev, 0.0);
        assert_eq!(r.contracted[0].index_in_input, 1);
        // and with both sites at the same energy neither is deeper: nothing is contracted
        let net = chain(3.0, 0.0, 0.05, 0.05);
        assert!(run(&net).contracted.is_empty());

        // a shallow dead end (one deeper neighbour only) stays
        let mut net = chain(3.0, 0.0, 0.3, 0.3);
        net.sites.push(site([0.2, 0.3, 0.0], 0.25));
        net.hops.push(hop(0, 2, [0, 0, 0], 0.28));
        let r = run(&net);
        assert_eq!(r.network, net);
    }

    #[test]
    fn chain_of_two_stations_becomes_one_hop_with_the_max_saddle() {
        // a (0) – s1 (¼) – s2 (½) – b (¾) – a' ; s1, s2 shallow stations
        let net = HopNetwork {
            lattice: chain_lattice(8.0),
            sites: vec![
                site([0.0; 3], 0.0),
                site([0.25, 0.0, 0.0], 0.3),
                site([0.5, 0.0, 0.0], 0.25),
                site([0.75, 0.0, 0.0], 0.02),
            ],
            hops: vec![
                hop(0, 1, [0, 0, 0], 0.35),
                hop(1, 2, [0, 0, 0], 0.38),
                hop(2, 3, [0, 0, 0], 0.31),
                hop(3, 0, [1, 0, 0], 0.2),
            ],
            dimension: 1,
            couplings: Vec::new(),
        };
        let r = run(&net);
        let order: Vec<usize> = r.contracted.iter().map(|c| c.index_in_input).collect();
        assert_eq!(order, vec![1, 2]);
        assert_eq!(r.network.sites.len(), 2);
        assert_eq!(r.network.sites[1].energy_ev, 0.02);
        assert_eq!(r.network.hops.len(), 2);
        assert_eq!(r.hops_added, 1);
        let h = r
            .network
            .hops
            .iter()
            .position(|h| h.from == 0 && h.to == 1 && h.image == [0, 0, 0])
            .expect("a → b hop");
        assert_eq!(r.network.hops[h].saddle_energy_ev, 0.38);
        assert!((r.network.hop_vector_ang(h).norm() - 6.0).abs() < 1e-12);
        // s2's depth was re-evaluated after s1 went: min(0.38, 0.31) − 0.25
        assert!((r.contracted[1].depth_ev - 0.06).abs() < 1e-12);

        // two shallow minima that together are a deep basin: s2 is kept once s1 is gone
        let mut basin = net.clone();
        basin.hops[0].saddle_energy_ev = 0.7;
        basin.hops[2].saddle_energy_ev = 0.7;
        let r = run(&basin);
        assert_eq!(r.contracted.len(), 1);
        assert_eq!(r.network.sites.len(), 3);
        assert_eq!(r.network.sites[1].energy_ev, 0.25);
    }

    #[test]
    fn contraction_is_deterministic_and_leaves_no_station() {
        // cubic deep sites with edge stations plus a body-centre station joined to all 8 corners
        // and a labelled face-centre minimum
        let mut net = cubic_with_edge_stations(3.0, 0.3, 0.36);
        net.sites.push(site([0.5; 3], 0.33));
        let bc = net.sites.len() - 1;
        for (i, img) in (0..8)
            .map(|k| [k & 1, (k >> 1) & 1, (k >> 2) & 1])
            .enumerate()
        {
            net.hops.push(hop(bc, 0, img, 0.4 + 0.001 * i as f64));
        }
        let mut face = site([0.5, 0.5, 0.0], 0.31);
        face.label = Some("face".into());
        net.sites.push(face);
        let fc = net.sites.len() - 1;
        for img in [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]] {
            net.hops.push(hop(fc, 0, img, 0.37));
        }
        let opts = StationOptions {
            max_depth_ev: 0.1,
            keep_labels: vec!["face".into()],
            ..unbounded()
        };
        let a = contract_stations(&net, &opts).unwrap();
        let b = contract_stations(&net.clone(), &opts).unwrap();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        // highest first: body centre (0.33), then the edge stations in index order
        let order: Vec<usize> = a.contracted.iter().map(|c| c.index_in_input).collect();
        assert_eq!(order, vec![4, 1, 2, 3]);
        assert_eq!(a.network.sites.len(), 2);
        a.network.validate().unwrap();
        // nothing left to contract
        let again = contract_stations(&a.network, &opts).unwrap();
        assert!(again.contracted.is_empty());
        assert_eq!(again.network, a.network);
        // without the keep the face site goes as well
        let all = contract_stations(&net, &StationOptions::default()).unwrap();
        assert_eq!(all.network.sites.len(), 1);
        let order: Vec<usize> = all.contracted.iter().map(|c| c.index_in_input).collect();
        assert_eq!(order, vec![4, 5, 1, 2, 3]);
    }

    #[test]
    fn duplicate_hops_keep_the_lowest_saddle() {
        // a direct hop a → a' parallel to the station path (max saddle 0.5)
        for (direct, expect) in [(0.6, 0.5), (0.45, 0.45)] {
            let mut net = chain(3.0, 0.3, 0.35, 0.5);
            // stored in the reverse orientation: a → a with image −1
            net.hops.push(hop(0, 0, [-1, 0, 0], direct));
            let r = run(&net);
            assert_eq!(r.network.hops.len(), 1, "direct {direct}");
            assert_eq!(r.network.hops[0].saddle_energy_ev, expect);
            assert_eq!(r.hops_added, 0);
        }
        // two parallel stations between a and a' (path maxima 0.5 and 0.42)
        let mut net = chain(3.0, 0.3, 0.35, 0.5);
        net.sites.push(site([0.5, 0.2, 0.0], 0.35));
        net.hops.push(hop(0, 2, [0, 0, 0], 0.42));
        net.hops.push(hop(2, 0, [1, 0, 0], 0.4));
        let r = run(&net);
        assert_eq!(r.contracted.len(), 2);
        assert_eq!(r.network.hops.len(), 1);
        assert_eq!(r.network.hops[0].saddle_energy_ev, 0.42);
        assert_eq!(r.network.hops[0].image, [1, 0, 0]);
        assert_eq!(r.hops_added, 1);
    }

    #[test]
    fn station_joined_to_its_own_image_passes_its_loop_on() {
        // stations s along x joined s–s' (saddle 0.45); deep sites a above, b below each s
        let l = Lattice::from_rows([[3.0, 0.0, 0.0], [0.0, 6.0, 0.0], [0.0, 0.0, 10.0]]).unwrap();
        let net = HopNetwork {
            lattice: l,
            sites: vec![
                site([0.0, 0.0, 0.0], 0.3),
                site([0.0, 0.25, 0.0], 0.0),
                site([0.0, 0.75, 0.0], 0.0),
            ],
            hops: vec![
                hop(0, 0, [1, 0, 0], 0.45),
                hop(0, 1, [0, 0, 0], 0.35),
                hop(0, 2, [0, -1, 0], 0.36),
            ],
            dimension: 2,
            couplings: Vec::new(),
        };
        let r = run(&net);
        assert_eq!(r.network.sites.len(), 2);
        let find = |from: usize, to: usize, image: [i32; 3]| {
            r.network
                .hops
                .iter()
                .find(|h| (h.from, h.to, h.image) == (from, to, image))
                .map(|h| h.saddle_energy_ev)
        };
        assert_eq!(find(0, 1, [0, -1, 0]), Some(0.36)); // a → s → b
        assert_eq!(find(0, 0, [1, 0, 0]), Some(0.45)); // a → s → s' → a'
        assert_eq!(find(1, 1, [1, 0, 0]), Some(0.45));
        assert_eq!(find(0, 1, [1, -1, 0]), Some(0.45)); // a → s → s' → b'
        assert_eq!(find(0, 1, [-1, -1, 0]), Some(0.45)); // a → s → s'' → b''
        assert_eq!(r.network.hops.len(), 5);
        r.network.validate().unwrap();
    }

    #[test]
    fn bad_options_and_networks_are_refused() {
        let net = chain(3.0, 0.3, 0.35, 0.5);
        for d in [f64::NAN, f64::INFINITY, -0.1] {
            let o = StationOptions {
                max_depth_ev: d,
                ..unbounded()
            };
            assert!(matches!(
                contract_stations(&net, &o),
                Err(KmcError::InvalidParameter {
                    name: "max_depth_ev",
                    ..
                })
            ));
        }
        let mut bad = net.clone();
        bad.hops[0].to = 9;
        assert!(matches!(
            contract_stations(&bad, &StationOptions::default()),
            Err(KmcError::InvalidNetwork(_))
        ));
        let mut huge = net;
        // a → s at +MAX and s → a' at +MAX: the contracted image 2·MAX does not fit i32
        huge.hops[0].image = [0, 0, i32::MAX];
        huge.hops[1].image = [0, 0, i32::MAX];
        assert!(matches!(
            contract_stations(&huge, &unbounded()),
            Err(KmcError::InvalidNetwork(_))
        ));
        // i32::MIN images are negated without a panic (the canonical image 2³¹ is refused)
        let mut min = chain(3.0, 0.3, 0.35, 0.5);
        min.hops[0].image = [0, i32::MIN, 0];
        min.hops[1].image = [0, 0, 0];
        assert!(contract_stations(&min, &unbounded()).is_err());
    }

    #[test]
    fn created_hops_longer_than_the_bound_are_not_created() {
        // the chain a–s–a' across a 3 Å cell: the created hop is 3 Å long
        let net = chain(3.0, 0.3, 0.35, 0.5);
        let short = StationOptions {
            max_hop_length_ang: 2.9,
            ..unbounded()
        };
        let r = contract_stations(&net, &short).unwrap();
        assert_eq!(r.network.sites.len(), 1);
        assert!(r.network.hops.is_empty(), "{:?}", r.network.hops);
        let long = StationOptions {
            max_hop_length_ang: 3.1,
            ..unbounded()
        };
        let r = contract_stations(&net, &long).unwrap();
        assert_eq!(r.network.hops.len(), 1);
        for bad in [0.0, -1.0, f64::NAN] {
            let o = StationOptions {
                max_hop_length_ang: bad,
                ..StationOptions::default()
            };
            assert!(contract_stations(&net, &o).is_err());
        }
    }
}
