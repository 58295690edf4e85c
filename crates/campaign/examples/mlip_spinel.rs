//! The seed spinel Li2Sc2/3Cl4 with its two Li sites and their hop priced by an ML potential:
//! the averaged model's chain as `halo kmc` runs it, with the 8a and 16c site energies and the
//! 8a ↔ 16c barrier taken from CHGNet in ordered cells (`scripts/reference/mlip/`, cases D and E)
//! instead of the BVSE landscape. docs/physics.md §9.13.
//!
//! Three runs at the shipped defaults (calibrated ν0, stopping rule):
//! 1. the BVSE landscape as shipped (8a 0.13 eV above 16c, E_KRA(8a–16c) 0.22 eV);
//! 2. CHGNet's E(8a) − E(16c) (case D: the mean of the moves out of 8a and out of 16c, which
//!    removes the bias of ground arrangements that are not converged), each saddle moved with the
//!    mean of its ends' shifts (E_KRA kept, `HopNetwork::add_lattice_gas`);
//! 3. as 2, and every 8a–16c hop given CHGNet's E_KRA = E_saddle − (E_8a + E_16c)/2 (case E,
//!    the mean over its climbing-image NEBs);
//! 4. the 16d disorder made explicit: in a 2×2×2 tiling of the cell network, 40 of the 128 16d
//!    sites are Sc (the refined share 0.311, read from the CIF; seeded), and each 8a and 16c
//!    gets the energy of a local model fitted by least squares to case D's moves,
//!    E(8a) − E(16c) = α + b·n_Sc(8a) − d·n_Sc(16c) + γ·s (n_Sc: Sc among the 12 16d
//!    neighbours of the 8a within 4.6 Å, or the 6 of the 16c within 3.9 Å; s = +1 for a move
//!    out of 8a, −1 out of 16c, which absorbs the bias of unconverged ground arrangements),
//!    with E_KRA as in 3. Five realisations (mean ± spread).
//!
//! It prints σ(300 K), Ea and the 300 K occupancies of 8a and 16c beside the refined ones
//! (read from the CIF) and the measured σ and Ea (`conductivity_calibration.csv`). A
//! demonstration on the one structure with these energies, not a model: ν0 stays the one fitted
//! to the BVSE energies.
//!
//!     cargo run --release -p halo-campaign --example mlip_spinel

use halo_campaign::transport::ModelOptions;
use halo_kmc::{HopNetwork, MobileIons};
use std::path::Path;

/// CIF labels of the refinement: Li1 on 16c (1/8, 1/8, 5/8), Li2 on 8a (0, 0, 1/2).
const LABEL_16C: &str = "Li1";
const LABEL_8A: &str = "Li2";

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn read_json(path: &Path) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// Case D: E(8a) − E(16c) from the single moves that stayed on their destination, as the mean
/// of the mean out of 8a and the mean out of 16c; and the number of moves.
fn chgnet_8a_minus_16c(dir: &Path) -> Result<(f64, usize), Box<dyn std::error::Error>> {
    let moves = chgnet_moves(dir)?;
    let out_of =
        |s: f64| -> Vec<f64> { moves.iter().filter(|m| m[3] == s).map(|m| m[0]).collect() };
    let (from_8a, from_16c) = (out_of(1.0), out_of(-1.0));
    if from_8a.is_empty() || from_16c.is_empty() {
        return Err("case D has no moves in one of the two directions".into());
    }
    Ok((0.5 * (mean(&from_8a) + mean(&from_16c)), moves.len()))
}

/// Case E: the mean E_KRA of the converged NEBs, and their number.
fn chgnet_e_kra(dir: &Path) -> Result<(f64, usize), Box<dyn std::error::Error>> {
    let v = read_json(&dir.join("caseE_neb_results.json"))?;
    let e: Vec<f64> = v["hops"]
        .as_array()
        .ok_or("no `hops`")?
        .iter()
        .filter(|n| n["neb_converged"] == serde_json::Value::Bool(true))
        .filter_map(|n| n["e_kra_ev"].as_f64())
        .collect();
    if e.is_empty() {
        return Err("case E has no converged NEB".into());
    }
    Ok((mean(&e), e.len()))
}

/// Case D's moves as (E(8a) − E(16c), n_Sc around the 8a, n_Sc around the 16c, +1 out of 8a / −1
/// out of 16c).
fn chgnet_moves(dir: &Path) -> Result<Vec<[f64; 4]>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for name in ["caseD_1x1x1_results.json", "caseD_1x1x1_extra_results.json"] {
        let v = read_json(&dir.join(name))?;
        for fw in v["frameworks"].as_array().ok_or("no `frameworks`")? {
            for m in fw["moves"].as_array().ok_or("no `moves`")? {
                if m["stayed"] != serde_json::Value::Bool(true) {
                    continue;
                }
                let f = |k: &str| m[k].as_f64().ok_or(format!("no `{k}`"));
                let dir = match m["origin_kind"].as_str() {
                    Some("8a") => 1.0,
                    Some("16c") => -1.0,
                    _ => return Err("a move without origin_kind 8a or 16c".into()),
                };
                out.push([
                    f("e8a_minus_e16c_ev")?,
                    f("n_sc_8a_involved")?,
                    f("n_sc_16c_involved")?,
                    dir,
                ]);
            }
        }
    }
    Ok(out)
}

/// Least squares Δ = α + b·n8 − d·n16 + γ·s over the moves: (α, b, d, γ, rms residual).
fn fit_environment(moves: &[[f64; 4]]) -> Result<[f64; 5], Box<dyn std::error::Error>> {
    use nalgebra::{DMatrix, DVector};
    let x = DMatrix::from_fn(moves.len(), 4, |i, j| match j {
        0 => 1.0,
        1 => moves[i][1],
        2 => -moves[i][2],
        _ => moves[i][3],
    });
    let y = DVector::from_iterator(moves.len(), moves.iter().map(|m| m[0]));
    let beta = x
        .clone()
        .svd(true, true)
        .solve(&y, 1e-12)
        .map_err(|e| format!("least squares: {e}"))?;
    let r = &y - &x * &beta;
    let rms = (r.norm_squared() / moves.len() as f64).sqrt();
    Ok([beta[0], beta[1], beta[2], beta[3], rms])
}

/// The cell network repeated n × n × n times (sites cell by cell, hops re-imaged).
fn tile(net: &HopNetwork, n: usize) -> HopNetwork {
    let ns = net.sites.len();
    let cells: Vec<[usize; 3]> = (0..n * n * n)
        .map(|c| [c / (n * n), (c / n) % n, c % n])
        .collect();
    let index = |c: [usize; 3]| (c[0] * n + c[1]) * n + c[2];
    let mut sites = Vec::with_capacity(ns * cells.len());
    for c in &cells {
        for s in &net.sites {
            let mut site = s.clone();
            site.frac_coords = std::array::from_fn(|k| (s.frac_coords[k] + c[k] as f64) / n as f64);
            sites.push(site);
        }
    }
    let mut hops = Vec::new();
    for c in &cells {
        for h in &net.hops {
            let mut to_cell = [0usize; 3];
            let mut image = [0i32; 3];
            for k in 0..3 {
                let t = c[k] as i32 + h.image[k];
                to_cell[k] = t.rem_euclid(n as i32) as usize;
                image[k] = t.div_euclid(n as i32);
            }
            hops.push(halo_kmc::NetHop {
                from: index(*c) * ns + h.from,
                to: index(to_cell) * ns + h.to,
                image,
                saddle_energy_ev: h.saddle_energy_ev,
            });
        }
    }
    HopNetwork {
        lattice: net.lattice.scaled([n, n, n]),
        sites,
        hops,
        dimension: net.dimension,
        couplings: Vec::new(),
    }
}

/// The time-averaged occupancy of the sites labelled `label` at the run's lowest temperature
/// (300 K at the defaults); NaN without such sites.
fn occupancy_at_lowest_temperature(r: &halo_kmc::KmcResult, label: &str) -> f64 {
    r.temperatures
        .iter()
        .min_by(|a, b| a.temperature_k.total_cmp(&b.temperature_k))
        .and_then(|t| t.occupancies.iter().find(|o| o.label == label))
        .map_or(f64::NAN, |o| o.occupancy)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cif = root.join("structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif");
    let mlip = root.join("scripts/reference/mlip/results");
    let structure = halo_io::read_structure(&cif)?.structure;
    let (settings, _) = ModelOptions::default().settings(None)?;
    let element = settings.bvse.mobile_ion.element;
    let (_, net, _) = halo_campaign::transport::averaged::network(&structure, &settings, |_| {})?;
    let per_cell = halo_kmc::mobile_ion_count(&structure, element).mobile_per_cell;

    let is = |i: usize, label: &str| net.sites[i].label.as_deref() == Some(label);
    let energies = |n: &HopNetwork, label: &str| -> Vec<f64> {
        (0..n.sites.len())
            .filter(|&i| n.sites[i].label.as_deref() == Some(label))
            .map(|i| n.sites[i].energy_ev)
            .collect()
    };
    let (e8a, e16c) = (
        mean(&energies(&net, LABEL_8A)),
        mean(&energies(&net, LABEL_16C)),
    );
    let (d_chgnet, n_moves) = chgnet_8a_minus_16c(&mlip)?;
    let (e_kra, n_neb) = chgnet_e_kra(&mlip)?;

    // 2: 8a moved so that mean E(8a) − mean E(16c) is CHGNet's; E_KRA kept
    let shift: Vec<f64> = (0..net.sites.len())
        .map(|i| {
            if is(i, LABEL_8A) {
                d_chgnet - (e8a - e16c)
            } else {
                0.0
            }
        })
        .collect();
    let mut sites_only = net.clone();
    sites_only.add_lattice_gas(&shift, Vec::new())?;
    // 3: and every 8a–16c hop at CHGNet's E_KRA
    let mut both = sites_only.clone();
    let mut n_hops = 0;
    for h in &mut both.hops {
        let pair = (is(h.from, LABEL_8A) && is(h.to, LABEL_16C))
            || (is(h.from, LABEL_16C) && is(h.to, LABEL_8A));
        if pair {
            let (ei, ej) = (both.sites[h.from].energy_ev, both.sites[h.to].energy_ev);
            h.saddle_energy_ev = (e_kra + 0.5 * (ei + ej)).max(ei.max(ej));
            n_hops += 1;
        }
    }

    let e_kra_bvse: Vec<f64> = net
        .hops
        .iter()
        .filter(|h| {
            (is(h.from, LABEL_8A) && is(h.to, LABEL_16C))
                || (is(h.from, LABEL_16C) && is(h.to, LABEL_8A))
        })
        .map(|h| {
            h.saddle_energy_ev - 0.5 * (net.sites[h.from].energy_ev + net.sites[h.to].energy_ev)
        })
        .collect();
    println!(
        "{} (averaged model, {} sites per cell)",
        cif.display(),
        net.sites.len()
    );
    println!(
        "E(8a) − E(16c): BVSE {:+.3} eV, CHGNet {:+.3} eV (case D, {n_moves} moves); \
         E_KRA(8a–16c): BVSE {:.3} eV, CHGNet {:.3} eV (case E, {n_neb} NEBs; {n_hops} hops set)",
        e8a - e16c,
        d_chgnet,
        mean(&e_kra_bvse),
        e_kra
    );
    println!(
        "{:<40} {:>20} {:>16} {:>9} {:>9}",
        "energies", "σ(300 K) S/cm", "Ea (eV)", "8a occ", "16c occ"
    );
    for (name, n) in [
        ("BVSE landscape (as shipped)", &net),
        ("CHGNet site energies, BVSE E_KRA", &sites_only),
        ("CHGNet site energies and 8a–16c E_KRA", &both),
    ] {
        let mut kp = settings.kmc.clone();
        kp.mobile_ions = MobileIons::PerCell(per_cell);
        let r = halo_kmc::simulate(n, &kp)?;
        let occ = |label: &str| occupancy_at_lowest_temperature(&r, label);
        let fit = match &r.arrhenius {
            Some(a) => format!(
                "{:>9.2e} ± {:<8.1e} {:>6.3} ± {:.3}",
                a.sigma_300k_s_per_cm, a.sigma_300k_se_s_per_cm, a.ea_ev, a.ea_se_ev
            ),
            None => "no Arrhenius fit".into(),
        };
        println!(
            "{name:<40} {fit} {:>9.3} {:>9.3}",
            occ(LABEL_8A),
            occ(LABEL_16C)
        );
    }

    // 4: explicit 16d disorder with the fitted local model
    let [alpha, b8, d16, gamma, rms] = fit_environment(&chgnet_moves(&mlip)?)?;
    println!(
        "local model fitted to case D: E(8a) − E(16c) = {alpha:+.3} {b8:+.3}·n_Sc(8a) {:+.3}·n_Sc(16c) \
         (direction term {gamma:+.3}; rms residual {rms:.3} eV)",
        -d16
    );
    const N: usize = 2;
    let tiled = tile(&net, N);
    let m16d: Vec<nalgebra::Vector3<f64>> = {
        let sc = halo_core::Element::from_symbol("Sc")?;
        let mut v = Vec::new();
        for site in structure.sites.iter().filter(|x| x.occupancy_of(sc) > 0.0) {
            for c in 0..N * N * N {
                let off = [c / (N * N), (c / N) % N, c % N];
                v.push(nalgebra::Vector3::from_fn(|k, _| {
                    (site.frac_coords[k] + off[k] as f64) / N as f64
                }));
            }
        }
        v
    };
    // the refined Sc share of the mixed 16d site
    let sc_share = structure
        .sites
        .iter()
        .map(|x| x.occupancy_of(halo_core::Element::from_symbol("Sc").expect("Sc")))
        .fold(0.0, f64::max);
    let n_sc = (sc_share * m16d.len() as f64).round() as usize;
    println!(
        "explicit 16d: {n_sc} of {} 16d sites Sc (refined share {sc_share:.3}) in a {N}×{N}×{N} tiling",
        m16d.len()
    );
    let mut rows = Vec::new();
    for seed in 0..5u64 {
        use rand::seq::SliceRandom;
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut order: Vec<usize> = (0..m16d.len()).collect();
        order.shuffle(&mut rng);
        let scs: Vec<&nalgebra::Vector3<f64>> = order[..n_sc].iter().map(|&i| &m16d[i]).collect();
        let mut r = tiled.clone();
        let count = |f: &[f64; 3], cut: f64| {
            let p = nalgebra::Vector3::from(*f);
            scs.iter()
                .filter(|q| r.lattice.distance_and_image(&p, q).0 < cut)
                .count() as f64
        };
        let energies: Vec<Option<f64>> = (0..r.sites.len())
            .map(|i| match r.sites[i].label.as_deref() {
                Some(LABEL_8A) => Some(alpha + b8 * count(&r.sites[i].frac_coords, 4.6)),
                Some(LABEL_16C) => Some(d16 * count(&r.sites[i].frac_coords, 3.9)),
                _ => None,
            })
            .collect();
        // shift the 8a/16c sites to their model energies (others keep the landscape's),
        // then every 8a–16c hop at CHGNet's E_KRA
        let shift: Vec<f64> = (0..r.sites.len())
            .map(|i| energies[i].map_or(0.0, |e| e + e16c - r.sites[i].energy_ev))
            .collect();
        r.add_lattice_gas(&shift, Vec::new())?;
        let lab = |i: usize| r.sites[i].label.clone();
        for h in 0..r.hops.len() {
            let (f, t) = (r.hops[h].from, r.hops[h].to);
            let pair = matches!(
                (lab(f).as_deref(), lab(t).as_deref()),
                (Some(LABEL_8A), Some(LABEL_16C)) | (Some(LABEL_16C), Some(LABEL_8A))
            );
            if pair {
                let (ei, ej) = (r.sites[f].energy_ev, r.sites[t].energy_ev);
                r.hops[h].saddle_energy_ev = (e_kra + 0.5 * (ei + ej)).max(ei.max(ej));
            }
        }
        let mut kp = settings.kmc.clone();
        kp.mobile_ions = MobileIons::PerCell(per_cell * (N * N * N) as f64);
        kp.seed = seed;
        let res = halo_kmc::simulate(&r, &kp)?;
        let occ = |label: &str| occupancy_at_lowest_temperature(&res, label);
        let a = res.arrhenius.as_ref().ok_or("no Arrhenius fit")?;
        println!(
            "  realisation {seed}: σ(300 K) {:.2e} S/cm, Ea {:.3} ± {:.3} eV, 8a {:.3}, 16c {:.3}",
            a.sigma_300k_s_per_cm,
            a.ea_ev,
            a.ea_se_ev,
            occ(LABEL_8A),
            occ(LABEL_16C)
        );
        rows.push([
            a.sigma_300k_s_per_cm.log10(),
            a.ea_ev,
            occ(LABEL_8A),
            occ(LABEL_16C),
        ]);
    }
    let col = |k: usize| {
        let v: Vec<f64> = rows.iter().map(|r| r[k]).collect();
        let m = mean(&v);
        let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
        (m, sd)
    };
    let ((ls, lsd), (ea, easd), (o8, o8sd), (o16, o16sd)) = (col(0), col(1), col(2), col(3));
    println!(
        "{:<40} σ(300 K) 10^({ls:.2} ± {lsd:.2}) S/cm, Ea {ea:.3} ± {easd:.3} eV, 8a {o8:.3} ± {o8sd:.3}, \
         16c {o16:.3} ± {o16sd:.3} (mean ± sd over 5 realisations)",
        "CHGNet local model, explicit 16d"
    );
    let refined = |label: &str| {
        structure
            .sites
            .iter()
            .find(|x| x.label.as_deref() == Some(label))
            .map_or(f64::NAN, |x| x.occupancy_of(element))
    };
    let m = halo_data::calibration::ionic_row("Li2Sc2/3Cl4").ok_or("no Li2Sc2/3Cl4 row")?;
    println!(
        "refined (the CIF): 8a {:.3}, 16c {:.3} (48f {:.3}); measured (conductivity_calibration.csv): \
         σ {} S/cm, Ea {} eV",
        refined(LABEL_8A),
        refined(LABEL_16C),
        refined("Li0"),
        m.sigma_rt_s_per_cm.map_or("–".into(), |x| format!("{x:.1e}")),
        m.ea_ev.map_or("–".into(), |x| format!("{x:.2}"))
    );
    Ok(())
}
