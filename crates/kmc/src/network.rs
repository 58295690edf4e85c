//! The kMC input: a periodic network of ion sites joined by migration hops.
//!
//! [`HopNetwork`] is the crate's own input type so the engine can be tested on ideal lattices;
//! [`HopNetwork::from_site_graph`] converts the landscape stage's
//! [`halo_percolation::SiteGraph`].

use crate::error::KmcError;
use halo_core::Lattice;
use nalgebra::{DMatrix, DVector, Matrix3, Vector3};
use serde::{Deserialize, Serialize};

/// One site of the network (a local minimum of the ion's energy landscape).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetSite {
    /// Fractional coordinates in the network's cell.
    pub frac_coords: [f64; 3],
    /// Site energy, eV (any common zero).
    pub energy_ev: f64,
    /// Crystallographic label when known (e.g. `Li1` / `8a`).
    pub label: Option<String>,
}

/// An undirected migration edge. The hop `from → to` goes from `from` in the home cell to the
/// image of `to` shifted by the lattice vector `image`; the reverse hop has image `−image`.
/// Its Cartesian hop vector is `(frac(to) + image − frac(from)) · lattice` (row-vector
/// convention), so hop vectors always agree with the site positions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetHop {
    /// Source site index.
    pub from: usize,
    /// Target site index.
    pub to: usize,
    /// Lattice translation of the target image.
    pub image: [i32; 3],
    /// Saddle-point energy, eV, on the scale of [`NetSite::energy_ev`]; must not lie below either
    /// end site (within [`HopNetwork::SADDLE_TOLERANCE_EV`]).
    pub saddle_energy_ev: f64,
}

/// An extra pair energy between two sites of the network, beyond the distance-dependent
/// [`crate::PairRepulsion`]: the ion on `a` (home cell) and the ion on the image of `b` shifted by
/// `image` interact with `energy_ev`. Used for many-body terms that a lattice gas expresses as
/// pairs, e.g. the anions' bond-valence saturation (`halo_bvse::saturation`); the pair is
/// symmetric (the engine adds it to both sites' interaction lists).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetCoupling {
    /// First site.
    pub a: usize,
    /// Second site.
    pub b: usize,
    /// Lattice translation of the image of `b`.
    pub image: [i32; 3],
    /// Pair energy, eV.
    pub energy_ev: f64,
}

/// A periodic hop network: cell, sites with energies, undirected hops with saddle energies.
///
/// `dimension` is the d of the diffusion formulas D = ⟨R²⟩/(2dt): 3 for bulk materials (σ is then
/// the isotropic average, one third of the trace of the conductivity tensor), 2 or 1 for the
/// ideal test lattices whose hops span only a plane or a line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HopNetwork {
    /// The cell the fractional coordinates refer to.
    pub lattice: Lattice,
    /// Sites.
    pub sites: Vec<NetSite>,
    /// Undirected hops.
    pub hops: Vec<NetHop>,
    /// Number of dimensions the network spans (1, 2 or 3).
    pub dimension: usize,
    /// Extra pair energies between sites ([`NetCoupling`]); none for the single-particle and
    /// distance-only models (and then not serialised, so such networks serialise as before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub couplings: Vec<NetCoupling>,
}

impl HopNetwork {
    /// A saddle may lie this far below an end site (round-off of the landscape) before the
    /// network is refused, eV.
    pub const SADDLE_TOLERANCE_EV: f64 = 1e-9;

    /// Check indices, finiteness, saddles and that no hop is a zero-length self-loop.
    pub fn validate(&self) -> Result<(), KmcError> {
        if !(1..=3).contains(&self.dimension) {
            return Err(KmcError::InvalidNetwork(format!(
                "dimension {} is not 1, 2 or 3",
                self.dimension
            )));
        }
        if self.sites.is_empty() {
            return Err(KmcError::InvalidNetwork("no sites".into()));
        }
        for (i, s) in self.sites.iter().enumerate() {
            if !s.energy_ev.is_finite() || s.frac_coords.iter().any(|x| !x.is_finite()) {
                return Err(KmcError::InvalidNetwork(format!(
                    "site {i} has a non-finite energy or coordinate"
                )));
            }
        }
        for (h, hop) in self.hops.iter().enumerate() {
            let n = self.sites.len();
            if hop.from >= n || hop.to >= n {
                return Err(KmcError::InvalidNetwork(format!(
                    "hop {h} joins sites {} and {} but there are {n} sites",
                    hop.from, hop.to
                )));
            }
            if hop.from == hop.to && hop.image == [0, 0, 0] {
                return Err(KmcError::InvalidNetwork(format!(
                    "hop {h} joins site {} to itself in the same cell",
                    hop.from
                )));
            }
            if !hop.saddle_energy_ev.is_finite() {
                return Err(KmcError::InvalidNetwork(format!(
                    "hop {h} has a non-finite saddle energy"
                )));
            }
            let top = self.sites[hop.from]
                .energy_ev
                .max(self.sites[hop.to].energy_ev);
            if hop.saddle_energy_ev < top - Self::SADDLE_TOLERANCE_EV {
                return Err(KmcError::InvalidNetwork(format!(
                    "hop {h} ({} → {}): saddle {:.6} eV lies below its end site ({:.6} eV)",
                    hop.from, hop.to, hop.saddle_energy_ev, top
                )));
            }
        }
        for (k, c) in self.couplings.iter().enumerate() {
            let n = self.sites.len();
            if c.a >= n || c.b >= n {
                return Err(KmcError::InvalidNetwork(format!(
                    "coupling {k} joins sites {} and {} but there are {n} sites",
                    c.a, c.b
                )));
            }
            if c.a == c.b && c.image == [0, 0, 0] {
                return Err(KmcError::InvalidNetwork(format!(
                    "coupling {k} joins site {} to itself in the same cell",
                    c.a
                )));
            }
            if !c.energy_ev.is_finite() {
                return Err(KmcError::InvalidNetwork(format!(
                    "coupling {k} has a non-finite energy"
                )));
            }
        }
        Ok(())
    }

    /// Add a lattice-gas energy Σ_i n_i·ε_i + Σ_pairs n_i n_j·J_ij to the network: `site_shift_ev`
    /// (ε per site) moves the site energies, `couplings` (J) join the network's couplings. A hop's
    /// saddle moves with the mean of its end sites' shifts — the kinetically resolved barrier
    /// E_KRA = S − (E_i + E_j)/2 of the hop is kept (Van der Ven et al., Phys. Rev. B 64, 184307
    /// (2001)) — and never below the higher end site.
    pub fn add_lattice_gas(
        &mut self,
        site_shift_ev: &[f64],
        couplings: Vec<NetCoupling>,
    ) -> Result<(), KmcError> {
        if site_shift_ev.len() != self.sites.len() {
            return Err(KmcError::InvalidNetwork(format!(
                "{} site energies for {} sites",
                site_shift_ev.len(),
                self.sites.len()
            )));
        }
        for hop in &mut self.hops {
            let (a, b) = (hop.from, hop.to);
            let ea = self.sites[a].energy_ev + site_shift_ev[a];
            let eb = self.sites[b].energy_ev + site_shift_ev[b];
            let s = hop.saddle_energy_ev + 0.5 * (site_shift_ev[a] + site_shift_ev[b]);
            hop.saddle_energy_ev = s.max(ea).max(eb);
        }
        for (site, e) in self.sites.iter_mut().zip(site_shift_ev) {
            site.energy_ev += e;
        }
        self.couplings.extend(couplings);
        self.validate()
    }

    /// Distance between the two ions of coupling `k`, Å.
    pub fn coupling_distance_ang(&self, k: usize) -> f64 {
        let c = &self.couplings[k];
        let a = Vector3::from(self.sites[c.a].frac_coords);
        let b = Vector3::from(self.sites[c.b].frac_coords);
        let img = Vector3::new(c.image[0] as f64, c.image[1] as f64, c.image[2] as f64);
        self.lattice.cart(&(b + img - a)).norm()
    }

    /// Longest coupling, Å (0 without couplings): the supercell must be at least twice as wide
    /// so that no site couples to two images of one supercell site.
    pub fn max_coupling_distance_ang(&self) -> f64 {
        (0..self.couplings.len())
            .map(|k| self.coupling_distance_ang(k))
            .fold(0.0, f64::max)
    }

    /// Cartesian hop vector of hop `h` in the direction `from → to`, Å.
    pub fn hop_vector_ang(&self, h: usize) -> Vector3<f64> {
        let hop = &self.hops[h];
        let a = Vector3::from(self.sites[hop.from].frac_coords);
        let b = Vector3::from(self.sites[hop.to].frac_coords);
        let img = Vector3::new(
            hop.image[0] as f64,
            hop.image[1] as f64,
            hop.image[2] as f64,
        );
        self.lattice.cart(&(b + img - a))
    }

    /// Longest hop, Å (0 without hops).
    pub fn max_hop_length_ang(&self) -> f64 {
        (0..self.hops.len())
            .map(|h| self.hop_vector_ang(h).norm())
            .fold(0.0, f64::max)
    }

    /// Convert the landscape stage's site graph. Sites listed in `exclude` (graph node indices)
    /// are dropped with their edges: the CLI uses this for minima that coincide with framework
    /// sites (e.g. spinel 16d, shared by Li and M), which are not part of the mobile network.
    /// The graph's hop vectors are re-derived from positions and images; a mismatch above
    /// 1e-4 Å is reported as an inconsistent graph.
    pub fn from_site_graph(
        graph: &halo_percolation::SiteGraph,
        exclude: &[usize],
    ) -> Result<HopNetwork, KmcError> {
        use petgraph::visit::EdgeRef;
        let g = &graph.graph;
        let mut new_index = vec![usize::MAX; g.node_count()];
        let mut sites = Vec::new();
        for idx in g.node_indices() {
            if exclude.contains(&idx.index()) {
                continue;
            }
            let s = &g[idx];
            new_index[idx.index()] = sites.len();
            sites.push(NetSite {
                frac_coords: s.frac_coords,
                energy_ev: s.energy_ev,
                label: s.label.clone(),
            });
        }
        let mut net = HopNetwork {
            lattice: graph.lattice.clone(),
            sites,
            hops: Vec::new(),
            dimension: 3,
            couplings: Vec::new(),
        };
        for e in g.edge_references() {
            let (a, b) = (new_index[e.source().index()], new_index[e.target().index()]);
            if a == usize::MAX || b == usize::MAX {
                continue;
            }
            let w = e.weight();
            net.hops.push(NetHop {
                from: a,
                to: b,
                image: w.image,
                saddle_energy_ev: w.saddle_energy_ev,
            });
            let v = net.hop_vector_ang(net.hops.len() - 1);
            let given = Vector3::from(w.hop_vector_ang);
            if (v - given).norm() > 1e-4 {
                return Err(KmcError::InvalidNetwork(format!(
                    "edge {} → {} image {:?}: hop vector {:?} Å disagrees with the site positions ({:.4}, {:.4}, {:.4})",
                    e.source().index(),
                    e.target().index(),
                    w.image,
                    w.hop_vector_ang,
                    v.x,
                    v.y,
                    v.z
                )));
            }
        }
        net.validate()?;
        Ok(net)
    }

    /// Single-ion hop rates at `temperature_k`: Γ_ij = ν0·exp(−(S_ij − E_i)/k_BT), returned per
    /// hop as (forward i→j, reverse j→i), s⁻¹. Detailed balance: Γ_ij/Γ_ji = exp(−(E_j − E_i)/k_BT).
    pub fn single_ion_rates(
        &self,
        temperature_k: f64,
        attempt_frequency_hz: f64,
    ) -> Vec<(f64, f64)> {
        let kt = halo_core::K_B_EV_PER_K * temperature_k;
        self.hops
            .iter()
            .map(|h| {
                let s = h.saddle_energy_ev;
                (
                    attempt_frequency_hz * (-(s - self.sites[h.from].energy_ev) / kt).exp(),
                    attempt_frequency_hz * (-(s - self.sites[h.to].energy_ev) / kt).exp(),
                )
            })
            .collect()
    }

    /// The exact diffusion tensor (Å²/s) of one ion alone on the network at `temperature_k`.
    ///
    /// For a Markov jump process on a periodic graph, the Bloch-transformed generator
    /// W(k)_ji = Σ_{hops i→j} Γ e^{ik·d} − δ_ij Σ_out Γ has a leading eigenvalue λ0(k) with
    /// λ0(0) = 0 and D = −½ ∂²λ0/∂k∂k at k = 0. Second-order perturbation theory gives the
    /// equivalent homogenisation ("corrector") form used here:
    ///
    ///   D = ½ Σ_{i→j} π_i Γ_ij (d_ij + χ_j − χ_i) ⊗ (d_ij + χ_j − χ_i),
    ///
    /// with π the Boltzmann stationary distribution (π_i ∝ exp(−E_i/k_BT), Σπ = 1) and the
    /// corrector χ (one 3-vector per site) solving Σ_j Γ_ij (d_ij + χ_j − χ_i) = 0 for every i
    /// (χ_0 = 0). See e.g. Kipnis & Varadhan, Commun. Math. Phys. 104, 1 (1986), and for the
    /// Bloch form Kehr, Mussawisade, Wichmann & Dieterich, in *Diffusion in Condensed Matter*
    /// (Springer 2005) ch. 18.
    pub fn exact_single_ion_diffusion_tensor_ang2_per_s(
        &self,
        temperature_k: f64,
        attempt_frequency_hz: f64,
    ) -> Result<Matrix3<f64>, KmcError> {
        self.validate()?;
        let n = self.sites.len();
        let kt = halo_core::K_B_EV_PER_K * temperature_k;
        let rates = self.single_ion_rates(temperature_k, attempt_frequency_hz);
        // directed hop list
        let mut directed: Vec<(usize, usize, f64, Vector3<f64>)> = Vec::new();
        for (h, hop) in self.hops.iter().enumerate() {
            let d = self.hop_vector_ang(h);
            directed.push((hop.from, hop.to, rates[h].0, d));
            directed.push((hop.to, hop.from, rates[h].1, -d));
        }
        let emin = self
            .sites
            .iter()
            .map(|s| s.energy_ev)
            .fold(f64::INFINITY, f64::min);
        let w: Vec<f64> = self
            .sites
            .iter()
            .map(|s| (-(s.energy_ev - emin) / kt).exp())
            .collect();
        let z: f64 = w.iter().sum();
        let pi: Vec<f64> = w.iter().map(|x| x / z).collect();
        // L χ = −v with L_ii = −Σ Γ_ij, L_ij += Γ_ij; v_i = Σ_j Γ_ij d_ij; fix χ_0 = 0.
        let mut l = DMatrix::<f64>::zeros(n, n);
        let mut v = vec![Vector3::zeros(); n];
        for &(i, j, g, d) in &directed {
            l[(i, i)] -= g;
            l[(i, j)] += g;
            v[i] += g * d;
        }
        let mut chi = vec![Vector3::<f64>::zeros(); n];
        if n > 1 {
            let m = n - 1;
            let sub = l.view((1, 1), (m, m)).into_owned();
            let lu = sub.lu();
            for c in 0..3 {
                let rhs = DVector::from_fn(m, |r, _| -v[r + 1][c]);
                let sol = lu.solve(&rhs).ok_or_else(|| {
                    KmcError::InvalidNetwork(
                        "the network is not connected: the single-ion generator is singular".into(),
                    )
                })?;
                for r in 0..m {
                    chi[r + 1][c] = sol[r];
                }
            }
        }
        let mut dten = Matrix3::zeros();
        for &(i, j, g, d) in &directed {
            let u = d + chi[j] - chi[i];
            dten += 0.5 * pi[i] * g * u * u.transpose();
        }
        Ok(dten)
    }
}

/// Ideal lattices with one energy level (every hop has barrier `barrier_ev`), for tests and
/// benchmarks. `a_ang` is the hop length (nearest-neighbour distance) except where stated.
pub mod ideal {
    use super::*;

    fn build(
        lattice: Lattice,
        basis: Vec<[f64; 3]>,
        nn_ang: f64,
        barrier_ev: f64,
        dimension: usize,
    ) -> HopNetwork {
        let sites: Vec<NetSite> = basis
            .iter()
            .map(|&f| NetSite {
                frac_coords: f,
                energy_ev: 0.0,
                label: None,
            })
            .collect();
        let mut hops = Vec::new();
        let range = 2;
        for (i, fi) in basis.iter().enumerate() {
            for (j, fj) in basis.iter().enumerate() {
                for a in -range..=range {
                    for b in -range..=range {
                        for c in -range..=range {
                            if dimension < 3 && c != 0 {
                                continue;
                            }
                            let img = [a, b, c];
                            let d = Vector3::new(
                                fj[0] + a as f64 - fi[0],
                                fj[1] + b as f64 - fi[1],
                                fj[2] + c as f64 - fi[2],
                            );
                            let r = lattice.cart(&d).norm();
                            if (r - nn_ang).abs() > 1e-6 * nn_ang {
                                continue;
                            }
                            // keep each undirected hop once
                            let key_fwd = (i, j, img);
                            let key_rev = (j, i, [-a, -b, -c]);
                            if key_fwd > key_rev {
                                continue;
                            }
                            hops.push(NetHop {
                                from: i,
                                to: j,
                                image: img,
                                saddle_energy_ev: barrier_ev,
                            });
                        }
                    }
                }
            }
        }
        HopNetwork {
            lattice,
            sites,
            hops,
            dimension,
            couplings: Vec::new(),
        }
    }

    /// Simple cubic, cell edge = hop length `a_ang`, z = 6.
    pub fn simple_cubic(a_ang: f64, barrier_ev: f64) -> HopNetwork {
        build(Lattice::cubic(a_ang), vec![[0.0; 3]], a_ang, barrier_ev, 3)
    }

    /// Body-centred cubic with cubic edge `a_ang` (hop length a√3/2), z = 8.
    pub fn bcc(a_ang: f64, barrier_ev: f64) -> HopNetwork {
        build(
            Lattice::cubic(a_ang),
            vec![[0.0; 3], [0.5; 3]],
            a_ang * 3f64.sqrt() / 2.0,
            barrier_ev,
            3,
        )
    }

    /// Face-centred cubic with cubic edge `a_ang` (hop length a/√2), z = 12.
    pub fn fcc(a_ang: f64, barrier_ev: f64) -> HopNetwork {
        build(
            Lattice::cubic(a_ang),
            vec![
                [0.0, 0.0, 0.0],
                [0.0, 0.5, 0.5],
                [0.5, 0.0, 0.5],
                [0.5, 0.5, 0.0],
            ],
            a_ang / 2f64.sqrt(),
            barrier_ev,
            3,
        )
    }

    /// Diamond with cubic edge `a_ang` (hop length a√3/4), z = 4.
    pub fn diamond(a_ang: f64, barrier_ev: f64) -> HopNetwork {
        let fcc = [
            [0.0, 0.0, 0.0],
            [0.0, 0.5, 0.5],
            [0.5, 0.0, 0.5],
            [0.5, 0.5, 0.0],
        ];
        let mut basis = fcc.to_vec();
        basis.extend(fcc.iter().map(|f| [f[0] + 0.25, f[1] + 0.25, f[2] + 0.25]));
        build(
            Lattice::cubic(a_ang),
            basis,
            a_ang * 3f64.sqrt() / 4.0,
            barrier_ev,
            3,
        )
    }

    /// Square lattice (2D, in the ab plane; c = 10·a is not hopped), z = 4.
    pub fn square(a_ang: f64, barrier_ev: f64) -> HopNetwork {
        let l = Lattice::from_rows([
            [a_ang, 0.0, 0.0],
            [0.0, a_ang, 0.0],
            [0.0, 0.0, 10.0 * a_ang],
        ])
        .expect("valid square cell");
        build(l, vec![[0.0; 3]], a_ang, barrier_ev, 2)
    }

    /// Triangular lattice (2D), hop length `a_ang`, z = 6.
    pub fn triangular(a_ang: f64, barrier_ev: f64) -> HopNetwork {
        let l = Lattice::from_rows([
            [a_ang, 0.0, 0.0],
            [0.5 * a_ang, 0.5 * 3f64.sqrt() * a_ang, 0.0],
            [0.0, 0.0, 10.0 * a_ang],
        ])
        .expect("valid hexagonal cell");
        build(l, vec![[0.0; 3]], a_ang, barrier_ev, 2)
    }

    /// Honeycomb (2D), hop (bond) length `a_ang`, z = 3.
    pub fn honeycomb(a_ang: f64, barrier_ev: f64) -> HopNetwork {
        let c = 3f64.sqrt() * a_ang; // hexagonal cell edge
        let l = Lattice::from_rows([
            [c, 0.0, 0.0],
            [0.5 * c, 0.5 * 3f64.sqrt() * c, 0.0],
            [0.0, 0.0, 10.0 * a_ang],
        ])
        .expect("valid hexagonal cell");
        build(
            l,
            vec![[1.0 / 3.0, 1.0 / 3.0, 0.0], [2.0 / 3.0, 2.0 / 3.0, 0.0]],
            a_ang,
            barrier_ev,
            2,
        )
    }

    /// The spinel tetrahedral–octahedral Li network (Fd-3m, origin choice 2): 8a at
    /// (1/8,1/8,1/8) and 16c at (0,0,0) orbits, each 8a face-sharing four 16c at a√3/8
    /// (2.26 Å for a = 10.42 Å). Site energies `e_8a_ev`, `e_16c_ev`; every hop has saddle
    /// `saddle_ev`. A model of the Li2In1/3Sc1/3Cl4 8a–16c pathway with unequal energies.
    pub fn spinel_8a_16c(a_ang: f64, e_8a_ev: f64, e_16c_ev: f64, saddle_ev: f64) -> HopNetwork {
        let fc = [
            [0.0, 0.0, 0.0],
            [0.0, 0.5, 0.5],
            [0.5, 0.0, 0.5],
            [0.5, 0.5, 0.0],
        ];
        let a8 = [[0.125, 0.125, 0.125], [0.875, 0.375, 0.375]];
        let c16 = [
            [0.0, 0.0, 0.0],
            [0.75, 0.25, 0.5],
            [0.25, 0.5, 0.75],
            [0.5, 0.75, 0.25],
        ];
        let mut basis = Vec::new();
        let mut energies = Vec::new();
        let mut labels = Vec::new();
        for (orbit, e, label) in [(&a8[..], e_8a_ev, "8a"), (&c16[..], e_16c_ev, "16c")] {
            for p in orbit {
                for t in &fc {
                    basis.push([0, 1, 2].map(|k| halo_core::lattice::wrap_frac(p[k] + t[k])));
                    energies.push(e);
                    labels.push(label);
                }
            }
        }
        let mut net = build(
            Lattice::cubic(a_ang),
            basis,
            a_ang * 3f64.sqrt() / 8.0,
            saddle_ev,
            3,
        );
        for (i, s) in net.sites.iter_mut().enumerate() {
            s.energy_ev = energies[i];
            s.label = Some(labels[i].to_string());
        }
        net
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordination_numbers_of_ideal_lattices() {
        for (net, z, n) in [
            (ideal::simple_cubic(1.0, 0.1), 6, 1),
            (ideal::bcc(1.0, 0.1), 8, 2),
            (ideal::fcc(1.0, 0.1), 12, 4),
            (ideal::diamond(1.0, 0.1), 4, 8),
            (ideal::square(1.0, 0.1), 4, 1),
            (ideal::triangular(1.0, 0.1), 6, 1),
            (ideal::honeycomb(1.0, 0.1), 3, 2),
            (ideal::spinel_8a_16c(10.42, 0.0, 0.1, 0.3), 0, 24),
        ] {
            net.validate().unwrap();
            assert_eq!(net.sites.len(), n);
            if z > 0 {
                assert_eq!(2 * net.hops.len(), z * n, "z for {n} sites");
            }
        }
        // spinel: 8 8a × 4 + 16 16c × 2 = 64 directed hops = 32 edges, length a√3/8
        let sp = ideal::spinel_8a_16c(10.42, 0.0, 0.1, 0.3);
        assert_eq!(sp.hops.len(), 32);
        assert!((sp.max_hop_length_ang() - 10.42 * 3f64.sqrt() / 8.0).abs() < 1e-9);
    }

    #[test]
    fn exact_tensor_of_uniform_lattice_is_z_gamma_a2_over_2d() {
        let t = 300.0;
        let net = ideal::bcc(2.0, 0.2);
        let g = 1e13 * (-0.2 / (halo_core::K_B_EV_PER_K * t)).exp();
        let d = net
            .exact_single_ion_diffusion_tensor_ang2_per_s(t, 1e13)
            .unwrap();
        let a2 = 3.0; // (2·√3/2)²
        let d0 = 8.0 * g * a2 / 6.0;
        for i in 0..3 {
            assert!((d[(i, i)] / d0 - 1.0).abs() < 1e-10);
        }
        assert!(d[(0, 1)].abs() < 1e-10 * d0);
    }

    #[test]
    fn exact_tensor_of_two_site_chain_matches_series_resistance() {
        // 1D chain A–B–A–B with period L = 2 Å and two links per period. With the symmetric
        // link conductances c = π_i Γ_ij = ν0 exp(−S/k_BT)/Z, the exact result is the series
        // resistance formula D = L² / Σ_links 1/c (Z = Σ_cell exp(−E_i/k_BT)).
        let l = Lattice::from_rows([[2.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]]).unwrap();
        let net = HopNetwork {
            lattice: l,
            sites: vec![
                NetSite {
                    frac_coords: [0.0, 0.0, 0.0],
                    energy_ev: 0.0,
                    label: None,
                },
                NetSite {
                    frac_coords: [0.5, 0.0, 0.0],
                    energy_ev: 0.05,
                    label: None,
                },
            ],
            hops: vec![
                NetHop {
                    from: 0,
                    to: 1,
                    image: [0, 0, 0],
                    saddle_energy_ev: 0.2,
                },
                NetHop {
                    from: 1,
                    to: 0,
                    image: [1, 0, 0],
                    saddle_energy_ev: 0.3,
                },
            ],
            dimension: 1,
            couplings: Vec::new(),
        };
        let t = 400.0;
        let kt = halo_core::K_B_EV_PER_K * t;
        let d = net
            .exact_single_ion_diffusion_tensor_ang2_per_s(t, 1e13)
            .unwrap();
        // link conductances c = π_i Γ_ij = ν0 exp(−S_ij/k_BT)/Z
        let z = 1.0 + (-0.05 / kt).exp();
        let c1 = 1e13 * (-0.2 / kt).exp() / z;
        let c2 = 1e13 * (-0.3 / kt).exp() / z;
        // one period L = 2 Å, two links in series: D = L² / (1/c1 + 1/c2)
        let expect = 4.0 / (1.0 / c1 + 1.0 / c2);
        assert!(
            (d[(0, 0)] / expect - 1.0).abs() < 1e-10,
            "{} vs {expect}",
            d[(0, 0)]
        );
    }

    #[test]
    fn bad_networks_are_refused() {
        let mut net = ideal::simple_cubic(1.0, 0.1);
        net.hops[0].saddle_energy_ev = -1.0;
        assert!(matches!(net.validate(), Err(KmcError::InvalidNetwork(_))));
        let mut net = ideal::simple_cubic(1.0, 0.1);
        net.hops[0].to = 7;
        assert!(net.validate().is_err());
        let mut net = ideal::simple_cubic(1.0, 0.1);
        net.sites[0].energy_ev = f64::NAN;
        assert!(net.validate().is_err());
    }
}
