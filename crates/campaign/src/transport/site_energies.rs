//! Site energies from another model (DFT, an ML potential) put on the chain's landscape minima:
//! `halo kmc --site-energies FILE` (docs/physics.md §9.14; the file format is
//! `halo_io::site_energies`).
//!
//! Each row of the file addresses landscape minima of the kMC network — by the structure file's
//! label, or by a position whose images under the structure's space group (moyo at
//! `halo_symmetry::DEFAULT_SYMPREC_ANG`) lie within [`MATCH_TOLERANCE_ANG`] of a minimum — and
//! moves their energies by one amount per row: with `energy_ev`, so that the mean energy of the
//! row's minima becomes Ē_first + (E_row − E_first row), Ē_first the mean landscape energy of the
//! first row's minima (the first row is the zero both scales share; it does not move, nor do
//! minima no row addresses); with `shift_ev`, by the row's value. Each minimum keeps its
//! landscape deviation from its row's mean (the grid's round-off in an ordered structure, the
//! environments of a disordered realisation). The hops keep their kinetically resolved barrier
//! E_KRA = S − (E_i + E_j)/2: each saddle moves with the mean of its end sites' shifts
//! (`halo_kmc::HopNetwork::add_lattice_gas`; Van der Ven et al., Phys. Rev. B 64, 184307 (2001)),
//! so the file corrects the thermodynamics of the sites and the landscape keeps the shape of
//! the paths. A minimum addressed by two rows, or a row that addresses none, is an error naming
//! the line.

use super::TransportError;
use halo_core::Structure;
use halo_io::site_energies::{SiteEnergies, SiteEnergyKind, SiteRef};
use halo_kmc::HopNetwork;
use nalgebra::Vector3;
use serde::Serialize;

/// A position row addresses the minima within this distance of it or of one of its symmetry
/// images, Å: landscape minima and relaxed positions of another model differ by a few tenths of
/// an ångström, distinct minima of a halide's Li landscape lie ≥ 0.9 Å apart.
pub const MATCH_TOLERANCE_ANG: f64 = 0.5;

/// What one row of the file did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SiteEnergyRowReport {
    /// Line of the file.
    pub line: usize,
    /// The row's site, as written (label or position).
    pub site: String,
    /// The row's value, eV.
    pub value_ev: f64,
    /// Minima of the network it addressed (per network cell).
    pub minima: usize,
    /// Their mean landscape energy before, eV.
    pub landscape_energy_ev: f64,
    /// Their mean energy after, eV (same zero as the landscape's).
    pub energy_ev: f64,
}

/// What the file did to the network (the first realisation's network for the explicit model).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SiteEnergyReport {
    /// The file.
    pub file: String,
    /// Energies relative to the first row, or shifts.
    pub kind: SiteEnergyKind,
    /// One entry per row, in file order.
    pub rows: Vec<SiteEnergyRowReport>,
    /// Minima of the network.
    pub minima: usize,
    /// Minima no row addressed (they keep their landscape energies).
    pub unaddressed_minima: usize,
}

impl SiteEnergyReport {
    /// One line for `halo kmc`'s text output.
    pub fn summary(&self) -> String {
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{} ×{}: {:+.3} → {:+.3} eV",
                    r.site, r.minima, r.landscape_energy_ev, r.energy_ev
                )
            })
            .collect();
        format!(
            "site energies from {} ({}; E_KRA of every hop kept): {}; {} of {} minima keep \
             their landscape energies",
            self.file,
            self.kind.column(),
            rows.join(", "),
            self.unaddressed_minima,
            self.minima
        )
    }
}

fn error(table: &SiteEnergies, line: Option<usize>, message: String) -> TransportError {
    let at = match line {
        Some(l) => format!("{}, line {l}", table.path),
        None => table.path.clone(),
    };
    TransportError {
        stage: "graph",
        message: format!("{at}: {message}"),
        interrupted: false,
    }
}

/// The images of `frac` under the structure's space group, wrapped into [0, 1) and without
/// repeats.
fn images(ops: &[halo_symmetry::SymOp], frac: &[f64; 3]) -> Vec<Vector3<f64>> {
    let x = Vector3::from(*frac);
    let mut out: Vec<Vector3<f64>> = Vec::new();
    for op in ops {
        let y = op.apply(&x).map(|v| v - v.floor());
        let repeat = out.iter().any(|z| {
            (y - z).iter().all(|d| {
                let d = d - d.round();
                d.abs() < 1e-6
            })
        });
        if !repeat {
            out.push(y);
        }
    }
    out
}

/// Put the file's energies on `net`, whose sites are minima of the landscape of `structure` (or
/// of a supercell realisation of it with the same origin: positions are compared in Cartesian
/// coordinates, in the structure's cell).
pub fn apply(
    net: &mut HopNetwork,
    structure: &Structure,
    table: &SiteEnergies,
) -> Result<SiteEnergyReport, TransportError> {
    let needs_symmetry = table
        .rows
        .iter()
        .any(|r| matches!(r.site, SiteRef::FracCoords(_)));
    let ops = if needs_symmetry {
        halo_symmetry::analyze(structure, halo_symmetry::DEFAULT_SYMPREC_ANG)
            .map_err(|e| error(table, None, format!("symmetry of the structure: {e}")))?
            .operations
    } else {
        Vec::new()
    };
    let row_images: Vec<Vec<Vector3<f64>>> = table
        .rows
        .iter()
        .map(|r| match &r.site {
            SiteRef::FracCoords(x) => images(&ops, x),
            SiteRef::Label(_) => Vec::new(),
        })
        .collect();
    let lattice = &structure.lattice;
    let in_structure_cell: Vec<Vector3<f64>> = net
        .sites
        .iter()
        .map(|s| lattice.frac(&net.lattice.cart(&Vector3::from(s.frac_coords))))
        .collect();
    // which row addresses each minimum
    let mut owner: Vec<Option<usize>> = vec![None; net.sites.len()];
    let mut nearest = vec![f64::INFINITY; table.rows.len()];
    for (i, site) in net.sites.iter().enumerate() {
        for (r, row) in table.rows.iter().enumerate() {
            let hit = match &row.site {
                SiteRef::Label(l) => site.label.as_deref() == Some(l.as_str()),
                SiteRef::FracCoords(_) => {
                    let d = row_images[r]
                        .iter()
                        .map(|p| lattice.distance_and_image(p, &in_structure_cell[i]).0)
                        .fold(f64::INFINITY, f64::min);
                    nearest[r] = nearest[r].min(d);
                    d <= MATCH_TOLERANCE_ANG
                }
            };
            if !hit {
                continue;
            }
            if let Some(o) = owner[i] {
                let x = in_structure_cell[i];
                return Err(error(
                    table,
                    Some(row.line),
                    format!(
                        "site {} addresses the landscape minimum at ({:.4}, {:.4}, {:.4}){} that \
                         line {} (site {}) addresses already; give each minimum one row",
                        row.site,
                        x.x,
                        x.y,
                        x.z,
                        site.label
                            .as_deref()
                            .map_or(String::new(), |l| format!(" (label {l})")),
                        table.rows[o].line,
                        table.rows[o].site
                    ),
                ));
            }
            owner[i] = Some(r);
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); table.rows.len()];
    for (i, o) in owner.iter().enumerate() {
        if let Some(r) = o {
            members[*r].push(i);
        }
    }
    for (r, row) in table.rows.iter().enumerate() {
        if !members[r].is_empty() {
            continue;
        }
        let why = match &row.site {
            SiteRef::Label(l) => {
                let mut labels: Vec<&str> = net
                    .sites
                    .iter()
                    .filter_map(|s| s.label.as_deref())
                    .collect();
                labels.sort_unstable();
                labels.dedup();
                format!(
                    "no landscape minimum of the kMC network carries the label '{l}' (labels \
                     on its minima: {}; a Li sharing a site with a framework cation has no \
                     minimum in the averaged model)",
                    if labels.is_empty() {
                        "none".to_string()
                    } else {
                        labels.join(", ")
                    }
                )
            }
            SiteRef::FracCoords(x) => format!(
                "no landscape minimum within {MATCH_TOLERANCE_ANG} Å of ({:.4}, {:.4}, {:.4}) or \
                 its {} symmetry images (the nearest is {:.2} Å away)",
                x[0],
                x[1],
                x[2],
                row_images[r].len(),
                nearest[r]
            ),
        };
        return Err(error(table, Some(row.line), why));
    }
    let mean = |idx: &[usize], e: &dyn Fn(usize) -> f64| {
        idx.iter().map(|&i| e(i)).sum::<f64>() / idx.len() as f64
    };
    let landscape = |i: usize| net.sites[i].energy_ev;
    let reference_ev = mean(&members[0], &landscape);
    let first_value = table.rows[0].value_ev;
    let mut shift = vec![0.0; net.sites.len()];
    for (r, row) in table.rows.iter().enumerate() {
        let s = match table.kind {
            SiteEnergyKind::Shift => row.value_ev,
            SiteEnergyKind::Energy => {
                reference_ev + (row.value_ev - first_value) - mean(&members[r], &landscape)
            }
        };
        for &i in &members[r] {
            shift[i] = s;
        }
    }
    let rows: Vec<SiteEnergyRowReport> = table
        .rows
        .iter()
        .zip(&members)
        .map(|(row, idx)| SiteEnergyRowReport {
            line: row.line,
            site: row.site.to_string(),
            value_ev: row.value_ev,
            minima: idx.len(),
            landscape_energy_ev: mean(idx, &landscape),
            energy_ev: mean(idx, &|i| net.sites[i].energy_ev + shift[i]),
        })
        .collect();
    net.add_lattice_gas(&shift, Vec::new())
        .map_err(|e| error(table, None, e.to_string()))?;
    Ok(SiteEnergyReport {
        file: table.path.clone(),
        kind: table.kind,
        rows,
        minima: net.sites.len(),
        unaddressed_minima: owner.iter().filter(|o| o.is_none()).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{averaged, ModelOptions, TransportSettings};
    use halo_io::site_energies::parse_site_energies;
    use std::path::Path;

    fn load(name: &str) -> Structure {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../structures")
            .join(name);
        halo_io::read_structure(&p).unwrap().structure
    }

    fn network(s: &Structure) -> (HopNetwork, TransportSettings) {
        let (settings, _) = ModelOptions::default().settings(None).unwrap();
        let (_, net, _) = averaged::network(s, &settings, |_| {}).unwrap();
        (net, settings)
    }

    fn e_kra(n: &HopNetwork) -> Vec<f64> {
        n.hops
            .iter()
            .map(|h| {
                h.saddle_energy_ev - 0.5 * (n.sites[h.from].energy_ev + n.sites[h.to].energy_ev)
            })
            .collect()
    }

    const SPINEL: &str = "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif";
    const LIALCL4: &str = "LiAlCl4_P21c_COD1004036.cif";

    /// A label row moves the mean of its minima to the row's energy relative to the first row's;
    /// the first row's minima and the unaddressed ones do not move; every E_KRA is kept; and the
    /// file's route gives the network the example `mlip_spinel` builds by hand (8a shifted by
    /// ΔE_CHGNet − (Ē_8a − Ē_16c)).
    #[test]
    fn a_label_row_sets_its_minima_relative_to_the_first_row() {
        let s = load(SPINEL);
        let (net, _) = network(&s);
        let mean = |n: &HopNetwork, l: &str| {
            let e: Vec<f64> = n
                .sites
                .iter()
                .filter(|x| x.label.as_deref() == Some(l))
                .map(|x| x.energy_ev)
                .collect();
            (e.iter().sum::<f64>() / e.len() as f64, e.len())
        };
        let ((e16c, n16c), (e8a, n8a)) = (mean(&net, "Li1"), mean(&net, "Li2"));
        assert_eq!((n16c, n8a), (16, 8));
        assert!(e8a - e16c > 0.1, "BVSE puts 8a above 16c: {}", e8a - e16c);
        let d = -0.047;
        let table =
            parse_site_energies(&format!("site,energy_ev\nLi1,0.0\nLi2,{d}\n"), "s.csv").unwrap();
        let mut by_file = net.clone();
        let rep = apply(&mut by_file, &s, &table).unwrap();
        assert_eq!((rep.rows[0].minima, rep.rows[1].minima), (16, 8));
        assert_eq!(rep.unaddressed_minima, net.sites.len() - 24);
        assert!((mean(&by_file, "Li2").0 - mean(&by_file, "Li1").0 - d).abs() < 1e-12);
        assert!((rep.rows[1].energy_ev - (e16c + d)).abs() < 1e-12);
        let mut by_hand = net.clone();
        let shift: Vec<f64> = net
            .sites
            .iter()
            .map(|x| {
                if x.label.as_deref() == Some("Li2") {
                    d - (e8a - e16c)
                } else {
                    0.0
                }
            })
            .collect();
        by_hand.add_lattice_gas(&shift, Vec::new()).unwrap();
        for (a, b) in by_file.sites.iter().zip(&by_hand.sites) {
            assert!(
                (a.energy_ev - b.energy_ev).abs() < 1e-12,
                "{a:?} {b:?} {e8a} {e16c}"
            );
        }
        for (a, b) in by_file.hops.iter().zip(&by_hand.hops) {
            assert!((a.saddle_energy_ev - b.saddle_energy_ev).abs() < 1e-12);
        }
        // E_KRA kept wherever the saddle was not lifted to the higher end site
        for ((k0, k1), h) in e_kra(&net).iter().zip(e_kra(&by_file)).zip(&by_file.hops) {
            let top = by_file.sites[h.from]
                .energy_ev
                .max(by_file.sites[h.to].energy_ev);
            if h.saddle_energy_ev > top + 1e-9 {
                assert!((k0 - k1).abs() < 1e-12);
            }
        }
        // a shift file of zeros changes nothing
        let zero = parse_site_energies("site,shift_ev\nLi1,0\nLi2,0\n", "z.csv").unwrap();
        let mut same = net.clone();
        apply(&mut same, &s, &zero).unwrap();
        assert_eq!(same, net);
    }

    /// A position row addresses its site's whole orbit: in LiAlCl4 (P2_1/c, the CIF's four
    /// operations written out here) a general unlisted minimum, given 0.2 Å off, addresses the
    /// four minima at its images and no other, their landscape energies agree to the grid's
    /// round-off, and a shift moves those four alone.
    #[test]
    fn a_position_row_addresses_the_orbit_of_its_site() {
        let s = load(LIALCL4);
        let (net, _) = network(&s);
        let ops = |x: Vector3<f64>| {
            [
                x,
                -x,
                Vector3::new(-x.x, x.y + 0.5, -x.z + 0.5),
                Vector3::new(x.x, -x.y + 0.5, x.z + 0.5),
            ]
        };
        let frac = |j: usize| {
            s.lattice
                .frac(&net.lattice.cart(&Vector3::from(net.sites[j].frac_coords)))
        };
        let near = |a: &Vector3<f64>, b: &Vector3<f64>, tol: f64| {
            s.lattice.distance_and_image(a, b).0 < tol
        };
        // a general position: its four images are ≥ 1 Å apart
        let i0 = (0..net.sites.len())
            .find(|&j| {
                let im = ops(frac(j));
                net.sites[j].label.is_none() && (1..4).all(|k| !near(&im[0], &im[k], 1.0))
            })
            .expect("LiAlCl4 has an unlisted minimum on a general position");
        let images = ops(frac(i0));
        let partners: Vec<usize> = (0..net.sites.len())
            .filter(|&j| {
                images
                    .iter()
                    .any(|p| near(p, &frac(j), MATCH_TOLERANCE_ANG))
            })
            .collect();
        assert_eq!(partners.len(), 4, "{partners:?}");
        for &j in &partners {
            assert!((net.sites[j].energy_ev - net.sites[i0].energy_ev).abs() < 0.01);
        }
        let cart = s.lattice.cart(&frac(i0)) + Vector3::new(0.2, 0.0, 0.0);
        let x = s.lattice.frac(&cart);
        let table = parse_site_energies(
            &format!("site,shift_ev\n{} {} {},0.4\n", x.x, x.y, x.z),
            "p.csv",
        )
        .unwrap();
        let mut shifted = net.clone();
        let rep = apply(&mut shifted, &s, &table).unwrap();
        assert_eq!(rep.rows[0].minima, 4);
        for (j, (a, b)) in net.sites.iter().zip(&shifted.sites).enumerate() {
            let want = if partners.contains(&j) { 0.4 } else { 0.0 };
            assert!((b.energy_ev - a.energy_ev - want).abs() < 1e-12, "site {j}");
        }
    }

    /// A file that does not fit the network is refused with its line: a label without minima
    /// (the spinel's 16d Li shares its site with Sc), a position far from every minimum, a minimum
    /// addressed twice.
    #[test]
    fn a_row_that_does_not_fit_the_network_is_refused_with_its_line() {
        let s = load(SPINEL);
        let (net, _) = network(&s);
        let err = |text: &str| {
            let t = parse_site_energies(text, "bad.csv").unwrap();
            apply(&mut net.clone(), &s, &t).unwrap_err().to_string()
        };
        let e = err("site,energy_ev\nLi1,0\nLi3,0.1\n");
        assert!(e.contains("bad.csv, line 3") && e.contains("'Li3'"), "{e}");
        assert!(e.contains("Li1, Li2"), "{e}");
        // 8b (3/8, 3/8, 3/8) of origin choice 2 is an empty tetrahedron between four 16d
        // cations: no Li minimum there
        let e = err("site,shift_ev\n0.375 0.375 0.375,0.1\n");
        assert!(
            e.contains("bad.csv, line 2") && e.contains("no landscape minimum within"),
            "{e}"
        );
        let x16c = net
            .sites
            .iter()
            .find(|x| x.label.as_deref() == Some("Li1"))
            .unwrap()
            .frac_coords;
        let e = err(&format!(
            "site,shift_ev\nLi1,0\n{} {} {},0.1\n",
            x16c[0], x16c[1], x16c[2]
        ));
        assert!(
            e.contains("bad.csv, line 3") && e.contains("line 2 (site Li1) addresses already"),
            "{e}"
        );
    }
}
