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
use halo_io::site_energies::{HopBarriers, SiteEnergies, SiteEnergyKind, SiteRef};
use halo_kmc::HopNetwork;
use nalgebra::Vector3;
use serde::Serialize;

/// A position row addresses the minima within this distance of it or of one of its symmetry
/// images, Å: landscape minima and relaxed positions of another model differ by a few tenths of
/// an ångström, and minima that close to one position are one site split by the grid (LiAlCl4's
/// (0, 0, 0) orbit); a minimum within reach of two rows is refused.
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
    /// Hops whose E_KRA could not be kept: the shifted saddle fell below an end site and was
    /// raised to it (per network cell; 0 when every E_KRA is kept).
    #[serde(default)]
    pub raised_hops: usize,
}

impl SiteEnergyReport {
    /// One line for `halo kmc`'s text output.
    pub fn summary(&self) -> String {
        let kept = if self.raised_hops == 0 {
            "E_KRA of every hop kept".to_string()
        } else {
            format!(
                "E_KRA kept except on {} hops whose saddle fell below an end site and was raised \
                 to it",
                self.raised_hops
            )
        };
        format!(
            "site energies from {} ({}; {kept}): {}; {} of {} minima keep their landscape \
             energies",
            self.file,
            self.kind.column(),
            join(self.rows.iter().map(|r| {
                format!(
                    "{} ×{}: {:+.3} → {:+.3} eV",
                    r.site, r.minima, r.landscape_energy_ev, r.energy_ev
                )
            })),
            self.unaddressed_minima,
            self.minima
        )
    }
}

/// A report's rows, one phrase each, joined for one line.
fn join(rows: impl Iterator<Item = String>) -> String {
    rows.collect::<Vec<_>>().join(", ")
}

fn error(path: &str, line: Option<usize>, message: String) -> TransportError {
    let at = match line {
        Some(l) => format!("{path}, line {l}"),
        None => path.to_string(),
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

/// Which minima of a network a [`SiteRef`] addresses: the network's sites in the structure's
/// fractional coordinates, their labels, and the structure's operations (only when positions
/// are looked up).
struct Matcher<'a> {
    structure: &'a Structure,
    frac: Vec<Vector3<f64>>,
    labels: Vec<Option<String>>,
    ops: Option<Vec<halo_symmetry::SymOp>>,
}

impl<'a> Matcher<'a> {
    /// `positions`: whether positions will be looked up (then the structure's operations are
    /// found, moyo at `halo_symmetry::DEFAULT_SYMPREC_ANG`); `path` names the file in errors.
    fn new(
        net: &HopNetwork,
        structure: &'a Structure,
        positions: bool,
        path: &str,
    ) -> Result<Self, TransportError> {
        let ops = if positions {
            Some(
                halo_symmetry::analyze(structure, halo_symmetry::DEFAULT_SYMPREC_ANG)
                    .map_err(|e| error(path, None, format!("symmetry of the structure: {e}")))?
                    .operations,
            )
        } else {
            None
        };
        Ok(Matcher {
            structure,
            frac: net
                .sites
                .iter()
                .map(|x| {
                    structure
                        .lattice
                        .frac(&net.lattice.cart(&Vector3::from(x.frac_coords)))
                })
                .collect(),
            labels: net.sites.iter().map(|x| x.label.clone()).collect(),
            ops,
        })
    }

    /// The minima `site` addresses, or why none: a label no minimum carries (with the labels
    /// that are there), a position with no minimum within [`MATCH_TOLERANCE_ANG`] of it or its
    /// images (with the nearest distance).
    fn addresses(&self, site: &SiteRef) -> Result<Vec<usize>, String> {
        let found: Vec<usize> = match site {
            SiteRef::Label(l) => (0..self.frac.len())
                .filter(|&i| self.labels[i].as_deref() == Some(l.as_str()))
                .collect(),
            SiteRef::FracCoords(x) => {
                let im = images(self.ops.as_deref().unwrap_or(&[]), x);
                let d: Vec<f64> = self
                    .frac
                    .iter()
                    .map(|f| {
                        im.iter()
                            .map(|p| self.structure.lattice.distance_and_image(p, f).0)
                            .fold(f64::INFINITY, f64::min)
                    })
                    .collect();
                let found: Vec<usize> = (0..d.len())
                    .filter(|&i| d[i] <= MATCH_TOLERANCE_ANG)
                    .collect();
                if found.is_empty() {
                    return Err(format!(
                        "no landscape minimum within {MATCH_TOLERANCE_ANG} Å of {site} or its {} \
                         symmetry images (the nearest is {:.2} Å away)",
                        im.len(),
                        d.iter().copied().fold(f64::INFINITY, f64::min)
                    ));
                }
                found
            }
        };
        if found.is_empty() {
            let mut labels: Vec<&str> = self.labels.iter().filter_map(|l| l.as_deref()).collect();
            labels.sort_unstable();
            labels.dedup();
            return Err(format!(
                "no landscape minimum of the kMC network carries the label '{site}' (labels on \
                 its minima: {}; a Li sharing a site with a framework cation has no minimum in \
                 the averaged model)",
                if labels.is_empty() {
                    "none".to_string()
                } else {
                    labels.join(", ")
                }
            ));
        }
        Ok(found)
    }

    fn describe(&self, i: usize) -> String {
        let x = self.frac[i];
        format!(
            "({:.4}, {:.4}, {:.4}){}",
            x.x,
            x.y,
            x.z,
            self.labels[i]
                .as_deref()
                .map_or(String::new(), |l| format!(" (label {l})"))
        )
    }
}

fn mean(idx: &[usize], e: impl Fn(usize) -> f64) -> f64 {
    idx.iter().map(|&i| e(i)).sum::<f64>() / idx.len() as f64
}

/// Put the file's energies on `net`, whose sites are minima of the landscape of `structure` (or
/// of a supercell realisation of it with the same origin: positions are compared in Cartesian
/// coordinates, in the structure's cell).
pub fn apply(
    net: &mut HopNetwork,
    structure: &Structure,
    table: &SiteEnergies,
) -> Result<SiteEnergyReport, TransportError> {
    let path = table.path.as_str();
    let positions = table.rows.iter().any(|r| r.site.is_position());
    let m = Matcher::new(net, structure, positions, path)?;
    let mut owner: Vec<Option<usize>> = vec![None; net.sites.len()];
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        let found = m
            .addresses(&row.site)
            .map_err(|why| error(path, Some(row.line), why))?;
        for &i in &found {
            if let Some(o) = owner[i] {
                return Err(error(
                    path,
                    Some(row.line),
                    format!(
                        "site {} addresses the landscape minimum at {} that line {} (site {}) \
                         addresses already; give each minimum one row",
                        row.site,
                        m.describe(i),
                        table.rows[o].line,
                        table.rows[o].site
                    ),
                ));
            }
            owner[i] = Some(r);
        }
        members.push(found);
    }
    let landscape = |i: usize| net.sites[i].energy_ev;
    let reference_ev = mean(&members[0], landscape);
    let first_value = table.rows[0].value_ev;
    let mut shift = vec![0.0; net.sites.len()];
    for (r, row) in table.rows.iter().enumerate() {
        let s = match table.kind {
            SiteEnergyKind::Shift => row.value_ev,
            SiteEnergyKind::Energy => {
                reference_ev + (row.value_ev - first_value) - mean(&members[r], landscape)
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
            landscape_energy_ev: mean(idx, landscape),
            energy_ev: mean(idx, |i| net.sites[i].energy_ev + shift[i]),
        })
        .collect();
    let kra = |net: &HopNetwork| -> Vec<f64> {
        net.hops
            .iter()
            .map(|x| {
                x.saddle_energy_ev - 0.5 * (net.sites[x.from].energy_ev + net.sites[x.to].energy_ev)
            })
            .collect()
    };
    let before = kra(net);
    net.add_lattice_gas(&shift, Vec::new())
        .map_err(|e| error(path, None, e.to_string()))?;
    let raised_hops = before
        .iter()
        .zip(kra(net))
        .filter(|(a, b)| (*b - **a).abs() > 1e-9)
        .count();
    Ok(SiteEnergyReport {
        file: table.path.clone(),
        kind: table.kind,
        rows,
        minima: net.sites.len(),
        unaddressed_minima: owner.iter().filter(|o| o.is_none()).count(),
        raised_hops,
    })
}

/// The settings' site-energy and hop-barrier files put on `net` (site energies first: the
/// barriers are E_KRA on the final site energies), with what each did.
pub(crate) fn apply_files(
    net: &mut HopNetwork,
    structure: &Structure,
    settings: &super::TransportSettings,
) -> Result<(Option<SiteEnergyReport>, Option<HopBarrierReport>), TransportError> {
    let sites = match &settings.site_energies {
        Some(t) => Some(apply(net, structure, t)?),
        None => None,
    };
    let hops = match &settings.hop_barriers {
        Some(t) => Some(apply_hop_barriers(net, structure, t)?),
        None => None,
    };
    Ok((sites, hops))
}

/// One row of a site-energy template ([`template`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TemplateRow {
    /// A label of the structure file, or the position of one minimum of an orbit of unlabelled
    /// minima (the structure's fractional coordinates).
    pub site: SiteRef,
    /// Minima of the network it addresses.
    pub minima: usize,
    /// Their positions (the structure's fractional coordinates, in the network's order): which
    /// landscape minima the row stands for.
    pub members: Vec<[f64; 3]>,
    /// Their mean landscape energy, eV.
    pub energy_ev: f64,
    /// The same relative to the first row's, eV (what the file writes; set by
    /// [`SiteTemplate::of`]).
    pub relative_energy_ev: f64,
}

/// The network's minima as the rows of a site-energy file: one row per label of the structure
/// file (in order of first appearance), then one per symmetry orbit of the unlabelled minima (a
/// position row at its lowest minimum; lowest energy first), each with the mean landscape energy
/// of the minima it addresses. Written with these energies relative to the first row
/// (`halo sites`), the file leaves the network as it is; with another model's energies in
/// their place it is the input of `--site-energies`. An unlabelled minimum within
/// [`MATCH_TOLERANCE_ANG`] of another orbit's images (a geometry a position row cannot separate)
/// is an error.
pub fn template(
    net: &HopNetwork,
    structure: &Structure,
) -> Result<Vec<TemplateRow>, TransportError> {
    let m = Matcher::new(net, structure, true, "the network")?;
    let energy = |i: usize| net.sites[i].energy_ev;
    let members = |idx: &[usize]| -> Vec<[f64; 3]> {
        idx.iter()
            .map(|&i| [m.frac[i].x, m.frac[i].y, m.frac[i].z])
            .collect()
    };
    let mut rows = Vec::new();
    let mut labels: Vec<&str> = Vec::new();
    for l in net.sites.iter().filter_map(|x| x.label.as_deref()) {
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    for l in labels {
        let site = SiteRef::Label(l.to_string());
        let idx = m.addresses(&site).expect("a label the network carries");
        rows.push(TemplateRow {
            site,
            minima: idx.len(),
            members: members(&idx),
            energy_ev: mean(&idx, energy),
            relative_energy_ev: 0.0,
        });
    }
    let mut open: Vec<usize> = (0..net.sites.len())
        .filter(|&i| net.sites[i].label.is_none())
        .collect();
    open.sort_by(|&a, &b| energy(a).total_cmp(&energy(b)).then(a.cmp(&b)));
    let mut taken = vec![false; net.sites.len()];
    let mut orbits = Vec::new();
    for &i in &open {
        if taken[i] {
            continue;
        }
        let x = m.frac[i];
        let site = SiteRef::FracCoords([x.x, x.y, x.z]);
        let idx = m
            .addresses(&site)
            .expect("the minimum itself is within the tolerance");
        if let Some(&j) = idx
            .iter()
            .find(|&&j| taken[j] || net.sites[j].label.is_some())
        {
            return Err(error(
                "the network",
                None,
                format!(
                    "the unlabelled minimum at {} lies within {MATCH_TOLERANCE_ANG} Å of an \
                     image of the minimum at {}, which another row addresses: a position row \
                     cannot tell them apart",
                    m.describe(i),
                    m.describe(j)
                ),
            ));
        }
        for &j in &idx {
            taken[j] = true;
        }
        orbits.push(TemplateRow {
            site,
            minima: idx.len(),
            members: members(&idx),
            energy_ev: mean(&idx, energy),
            relative_energy_ev: 0.0,
        });
    }
    rows.extend(orbits);
    Ok(rows)
}

/// The site-energy file to fill in for a structure (`halo sites`, Python `halo.sites`): the
/// averaged chain's network ([`super::averaged::network`]) with `settings`' landscape, as
/// [`template`] rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SiteTemplate {
    /// The structure file, as given.
    pub file: String,
    /// Minima of the network (per structure cell).
    pub minima: usize,
    /// Landscape minima on framework-cation sites, dropped from the network.
    pub framework_minima_dropped: usize,
    /// The landscape's grid spacing, Å (the file belongs to it).
    pub bvse_resolution_ang: f64,
    /// The note when the input's sheared cell was reduced first, as the kMC chain reduces it
    /// (`halo_core::reduction`): the positions are then fractional in the reduced cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell_reduction: Option<String>,
    /// One per label, then one per orbit of unlabelled minima.
    pub rows: Vec<TemplateRow>,
}

impl SiteTemplate {
    /// The template of `structure` (read from `file`) under `settings`' landscape.
    pub fn of(
        structure: &Structure,
        file: &str,
        settings: &super::TransportSettings,
    ) -> Result<SiteTemplate, TransportError> {
        // the chain's cell ([`super::evaluate`]): positions then address the same minima
        let reduced = super::chain_cell(structure, &settings.bvse);
        let structure = reduced.as_ref().map(|(s, _)| s).unwrap_or(structure);
        let (_, net, dropped) = super::averaged::network(structure, settings, |_| {})?;
        let mut rows = template(&net, structure)?;
        let e0 = rows.first().map_or(0.0, |r| r.energy_ev);
        for r in &mut rows {
            r.relative_energy_ev = r.energy_ev - e0;
        }
        Ok(SiteTemplate {
            file: file.to_string(),
            minima: net.sites.len(),
            framework_minima_dropped: dropped,
            bvse_resolution_ang: settings.bvse.resolution_ang,
            cell_reduction: reduced.map(|(_, t)| halo_core::reduction::describe(&t)),
            rows,
        })
    }

    /// The `site,energy_ev` file: a comment saying what it is and how to use it, then one row
    /// per entry with the landscape's energy relative to the first row (its minima per cell as
    /// a comment above it). Read back, it leaves the network as it is.
    pub fn csv(&self) -> String {
        let mut comment = vec![
            format!(
                "halo sites {}: the {} minima of the kMC network (averaged model, BVSE grid {} Å; \
                 {} minima on framework-cation sites dropped), one row per label and per \
                 symmetry orbit",
                self.file, self.minima, self.bvse_resolution_ang, self.framework_minima_dropped
            ),
            "energies: the landscape's, eV, relative to the first row; put your model's in their \
             place (same zero: the first row) and run halo kmc FILE --site-energies THIS_FILE \
             with the same landscape flags"
                .to_string(),
        ];
        comment.extend(self.cell_reduction.clone());
        let body: Vec<_> = self
            .rows
            .iter()
            .map(|r| {
                (
                    r.site.clone(),
                    r.relative_energy_ev,
                    Some(match r.minima {
                        1 => "1 minimum per cell".to_string(),
                        n => format!("{n} minima per cell"),
                    }),
                )
            })
            .collect();
        halo_io::site_energies::format_site_energies(SiteEnergyKind::Energy, &comment, &body)
    }
}

/// What one row of a hop-barrier file did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HopBarrierRowReport {
    /// Line of the file.
    pub line: usize,
    /// The row's ends, as written.
    pub from: String,
    pub to: String,
    /// Hops of the network it set (per network cell).
    pub hops: usize,
    /// Their mean landscape E_KRA before, eV.
    pub landscape_e_kra_ev: f64,
    /// The row's E_KRA, eV.
    pub e_kra_ev: f64,
    /// Their mean E_KRA as set, eV: the row's, unless a saddle would lie below an end site
    /// (a barrier below half the ends' energy difference), where it is raised to that end.
    pub applied_e_kra_ev: f64,
    /// Hops whose saddle was raised so (per network cell).
    pub raised_hops: usize,
}

/// What a hop-barrier file did to the network (the first realisation's for the explicit model).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HopBarrierReport {
    /// The file.
    pub file: String,
    /// One entry per row.
    pub rows: Vec<HopBarrierRowReport>,
    /// Hops of the network.
    pub hops: usize,
    /// Hops no row set (they keep the landscape's E_KRA).
    pub unaddressed_hops: usize,
}

impl HopBarrierReport {
    /// One line for `halo kmc`'s text output.
    pub fn summary(&self) -> String {
        format!(
            "hop barriers from {}: {}; {} of {} hops keep their landscape E_KRA",
            self.file,
            join(self.rows.iter().map(|r| {
                let raised = if r.raised_hops == 0 {
                    String::new()
                } else {
                    format!(
                        " asked, {:.3} applied ({} of the hops raised to their higher end: a \
                         barrier below half the ends' energy difference)",
                        r.applied_e_kra_ev, r.raised_hops
                    )
                };
                format!(
                    "{}–{} ×{}: E_KRA {:.3} → {:.3} eV{raised}",
                    r.from, r.to, r.hops, r.landscape_e_kra_ev, r.e_kra_ev
                )
            })),
            self.unaddressed_hops,
            self.hops
        )
    }
}

/// Set the E_KRA of the hops a hop-barrier file names: every hop between a minimum addressed by
/// a row's `from` and one addressed by its `to` (either direction) gets the saddle
/// S = E_KRA + (E_i + E_j)/2 on the network's current site energies (so apply the site energies
/// first), never below the higher end (a barrier below half the ends' difference is then the
/// downhill hop's zero). A row whose ends have no hop between them, or a hop two rows set, is
/// refused with the line.
pub fn apply_hop_barriers(
    net: &mut HopNetwork,
    structure: &Structure,
    table: &HopBarriers,
) -> Result<HopBarrierReport, TransportError> {
    let path = table.path.as_str();
    let positions = table
        .rows
        .iter()
        .any(|r| r.from.is_position() || r.to.is_position());
    let m = Matcher::new(net, structure, positions, path)?;
    let mut owner: Vec<Option<usize>> = vec![None; net.hops.len()];
    let mut rows = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        let ends = |s: &SiteRef| -> Result<Vec<bool>, TransportError> {
            let mut mask = vec![false; net.sites.len()];
            for i in m
                .addresses(s)
                .map_err(|why| error(path, Some(row.line), why))?
            {
                mask[i] = true;
            }
            Ok(mask)
        };
        let (a, b) = (ends(&row.from)?, ends(&row.to)?);
        let set: Vec<usize> = (0..net.hops.len())
            .filter(|&h| {
                let (i, j) = (net.hops[h].from, net.hops[h].to);
                (a[i] && b[j]) || (a[j] && b[i])
            })
            .collect();
        if set.is_empty() {
            return Err(error(
                path,
                Some(row.line),
                format!(
                    "no hop of the kMC network joins a minimum of {} to one of {}",
                    row.from, row.to
                ),
            ));
        }
        let e_kra = |net: &HopNetwork, h: usize| {
            let x = &net.hops[h];
            x.saddle_energy_ev - 0.5 * (net.sites[x.from].energy_ev + net.sites[x.to].energy_ev)
        };
        let before = mean(&set, |h| e_kra(net, h));
        let mut raised = 0;
        for &h in &set {
            if let Some(o) = owner[h] {
                let x = &net.hops[h];
                return Err(error(
                    path,
                    Some(row.line),
                    format!(
                        "the hop {} → {} is set by line {} already; give each hop one row",
                        m.describe(x.from),
                        m.describe(x.to),
                        table.rows[o].line
                    ),
                ));
            }
            owner[h] = Some(r);
            let (ei, ej) = (
                net.sites[net.hops[h].from].energy_ev,
                net.sites[net.hops[h].to].energy_ev,
            );
            let asked = row.e_kra_ev + 0.5 * (ei + ej);
            if asked < ei.max(ej) {
                raised += 1;
            }
            net.hops[h].saddle_energy_ev = asked.max(ei.max(ej));
        }
        rows.push(HopBarrierRowReport {
            line: row.line,
            from: row.from.to_string(),
            to: row.to.to_string(),
            hops: set.len(),
            landscape_e_kra_ev: before,
            e_kra_ev: row.e_kra_ev,
            applied_e_kra_ev: mean(&set, |h| e_kra(net, h)),
            raised_hops: raised,
        });
    }
    net.validate()
        .map_err(|e| error(path, None, e.to_string()))?;
    Ok(HopBarrierReport {
        file: table.path.clone(),
        rows,
        hops: net.hops.len(),
        unaddressed_hops: owner.iter().filter(|o| o.is_none()).count(),
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

    /// A hop row sets E_KRA on every hop between its ends' minima (either direction) on the
    /// current site energies, and nothing else: the seed spinel's 8a–16c hops at CHGNet's
    /// 0.145 eV after CHGNet's site energies give the network the example `mlip_spinel` builds
    /// by hand (its third row); hops between ends with no hop, and a hop two rows set, are
    /// refused with the line.
    #[test]
    fn a_hop_row_sets_the_barrier_of_the_hops_between_its_ends() {
        let s = load(SPINEL);
        let (net, _) = network(&s);
        let sites = parse_site_energies("site,energy_ev\nLi1,0\nLi2,-0.047\n", "s.csv").unwrap();
        let hops = halo_io::site_energies::parse_hop_barriers(
            "from,to,e_kra_ev\nLi2,Li1,0.145\n",
            "h.csv",
        )
        .unwrap();
        let mut by_file = net.clone();
        apply(&mut by_file, &s, &sites).unwrap();
        let before = by_file.clone();
        let rep = apply_hop_barriers(&mut by_file, &s, &hops).unwrap();
        let is = |n: &HopNetwork, i: usize, l: &str| n.sites[i].label.as_deref() == Some(l);
        let pair = |h: &halo_kmc::NetHop| {
            (is(&net, h.from, "Li2") && is(&net, h.to, "Li1"))
                || (is(&net, h.from, "Li1") && is(&net, h.to, "Li2"))
        };
        let n_pairs = net.hops.iter().filter(|h| pair(h)).count();
        assert!(n_pairs > 0);
        assert_eq!(rep.rows[0].hops, n_pairs);
        assert_eq!(rep.unaddressed_hops, net.hops.len() - n_pairs);
        for (k, (h, h0)) in by_file.hops.iter().zip(&before.hops).enumerate() {
            if pair(h) {
                let (ei, ej) = (
                    by_file.sites[h.from].energy_ev,
                    by_file.sites[h.to].energy_ev,
                );
                let want = (0.145 + 0.5 * (ei + ej)).max(ei.max(ej));
                assert!((h.saddle_energy_ev - want).abs() < 1e-12, "hop {k}");
            } else {
                assert_eq!(h.saddle_energy_ev, h0.saddle_energy_ev, "hop {k}");
            }
        }
        assert_eq!(by_file.sites, before.sites);
        // CHGNet's 0.145 eV is above half the ends' 0.047 eV: nothing raised, applied = asked
        assert_eq!(rep.rows[0].raised_hops, 0);
        assert!((rep.rows[0].applied_e_kra_ev - 0.145).abs() < 1e-9);
        // a barrier of 0 between ends 0.047 eV apart cannot be: each saddle is raised to the
        // higher end (E_KRA = 0.0235), and the report says so rather than echoing the 0
        let zero =
            halo_io::site_energies::parse_hop_barriers("from,to,e_kra_ev\nLi2,Li1,0\n", "z.csv")
                .unwrap();
        let mut z = before.clone();
        let rz = apply_hop_barriers(&mut z, &s, &zero).unwrap();
        assert_eq!(rz.rows[0].e_kra_ev, 0.0);
        assert_eq!(rz.rows[0].raised_hops, n_pairs);
        assert!(
            (rz.rows[0].applied_e_kra_ev - 0.047 / 2.0).abs() < 1e-6,
            "{:?}",
            rz.rows[0]
        );
        assert!(rz.summary().contains("applied"), "{}", rz.summary());
        // a site shift large enough to put a saddle below its shifted end is counted too
        let big = parse_site_energies("site,shift_ev\nLi2,0.6\n", "b.csv").unwrap();
        let mut b = net.clone();
        let rb = apply(&mut b, &s, &big).unwrap();
        assert!(
            rb.raised_hops > 0 && rb.summary().contains("except on"),
            "{}",
            rb.summary()
        );
        assert_eq!(rep.rows[0].raised_hops, 0);
        // refused: Li2–Li2 (the 8a sites have no hop between them), a hop set twice (the 8a
        // position addresses the sites the label Li2 does)
        let err = |text: &str| {
            let t = halo_io::site_energies::parse_hop_barriers(text, "bad.csv").unwrap();
            apply_hop_barriers(&mut net.clone(), &s, &t)
                .unwrap_err()
                .to_string()
        };
        let e = err("from,to,e_kra_ev\nLi2,Li2,0.1\n");
        assert!(
            e.contains("bad.csv, line 2: no hop of the kMC network joins"),
            "{e}"
        );
        let e = err("from,to,e_kra_ev\nLi2,Li1,0.1\n0 0 0.5,Li1,0.2\n");
        assert!(
            e.contains("bad.csv, line 3") && e.contains("is set by line 2 already"),
            "{e}"
        );
    }

    /// The committed CHGNet file for LiAlCl4 (one position row per orbit of unlisted minima,
    /// `scripts/reference/mlip/site_energy_files.py`) addresses every minimum of the averaged
    /// network, each row its orbit (two or four images, grid-split minima included), and puts
    /// every unlisted minimum 0.5–0.7 eV above the Li site, as case A's Frenkel energies say.
    #[test]
    fn the_lialcl4_chgnet_file_addresses_every_unlisted_minimum() {
        let s = load(LIALCL4);
        let (mut net, _) = network(&s);
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scripts/reference/mlip/results/LiAlCl4_chgnet_site_energies.csv");
        let table = halo_io::site_energies::read_site_energies(&p).unwrap();
        let rep = apply(&mut net, &s, &table).unwrap();
        assert_eq!(rep.unaddressed_minima, 0, "{rep:?}");
        assert_eq!(rep.rows[0].minima, 4);
        assert!(
            rep.rows[1..].iter().all(|r| (2..=4).contains(&r.minima)),
            "{rep:?}"
        );
        let li = rep.rows[0].energy_ev;
        for x in net.sites.iter().filter(|x| x.label.is_none()) {
            assert!((0.49..0.72).contains(&(x.energy_ev - li)), "{x:?}");
        }
    }

    /// The template of a network (one row per label, one per orbit of unlabelled minima), written
    /// with its landscape energies and read back, addresses every minimum once and moves none by
    /// more than the printed digits: LiAlCl4 (one label, eight orbits of 3–4 minima) and the seed
    /// spinel (Li1, Li2, one orbit).
    #[test]
    fn a_template_written_with_the_landscape_energies_leaves_the_network_as_it_is() {
        use halo_io::site_energies::{format_site_energies, SiteEnergyKind};
        for (name, n_rows) in [(LIALCL4, 9), (SPINEL, 3)] {
            let s = load(name);
            let (net, _) = network(&s);
            let rows = template(&net, &s).unwrap();
            assert_eq!(rows.len(), n_rows, "{name}: {rows:?}");
            assert_eq!(
                rows.iter().map(|r| r.minima).sum::<usize>(),
                net.sites.len()
            );
            let e0 = rows[0].energy_ev;
            let body: Vec<_> = rows
                .iter()
                .map(|r| (r.site.clone(), r.energy_ev - e0, None))
                .collect();
            let text = format_site_energies(SiteEnergyKind::Energy, &[], &body);
            let table = parse_site_energies(&text, "t.csv").unwrap();
            let mut back = net.clone();
            let rep = apply(&mut back, &s, &table).unwrap();
            assert_eq!(rep.unaddressed_minima, 0);
            for (a, b) in net.sites.iter().zip(&back.sites) {
                assert!((a.energy_ev - b.energy_ev).abs() < 1e-6, "{name}");
            }
        }
    }
}
