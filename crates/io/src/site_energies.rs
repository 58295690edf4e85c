//! Site energies and migration barriers of the mobile ion from another model (DFT, an ML
//! potential), read from small CSV files for `halo kmc --site-energies` and `--hop-barriers`
//! (docs/physics.md §9.14; the barrier file is [`HopBarriers`]). The transport chain puts them on
//! its network; this module only reads and checks the files.
//!
//! Format (comma-separated, `#` starts a comment line, blank lines ignored):
//!
//! ```text
//! # CHGNet, relaxed 54-atom cells (scripts/reference/mlip/case_d_Li2Sc2-3Cl4.py)
//! site,energy_ev
//! Li1,0.0
//! Li2,-0.08
//! 0.1250 0.1250 0.1250,0.45
//! ```
//!
//! The header is `site,energy_ev` or `site,shift_ev`. A `site` is either the label of a Li site
//! of the structure file (every landscape minimum carrying that label), or a position as three
//! fractional coordinates of the structure's cell separated by spaces (the landscape minima
//! nearest to it and to its images under the structure's space group). `energy_ev`: energies
//! on any common zero, placed relative to the first row, whose minima keep their landscape
//! energies (a row sets the mean energy of the minima it addresses); `shift_ev`: added to each
//! addressed minimum's landscape energy.

use crate::error::{IoError, Location};
use std::path::Path;

/// What the value column means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteEnergyKind {
    /// `energy_ev`: energies relative to the first row's.
    Energy,
    /// `shift_ev`: corrections added to the landscape's energies.
    Shift,
}

impl SiteEnergyKind {
    /// The header name of the value column.
    pub fn column(self) -> &'static str {
        match self {
            SiteEnergyKind::Energy => "energy_ev",
            SiteEnergyKind::Shift => "shift_ev",
        }
    }
}

/// Which minima a row addresses.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteRef {
    /// Every minimum carrying this label of the structure file.
    Label(String),
    /// The minima at this position (fractional, the structure's cell) and its symmetry images.
    FracCoords([f64; 3]),
}

impl std::fmt::Display for SiteRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SiteRef::Label(l) => f.write_str(l),
            SiteRef::FracCoords(x) => write!(f, "({:.4}, {:.4}, {:.4})", x[0], x[1], x[2]),
        }
    }
}

impl SiteRef {
    /// A position (matched with its symmetry images), not a label.
    pub fn is_position(&self) -> bool {
        matches!(self, SiteRef::FracCoords(_))
    }

    /// The site as a file writes it: the label, or the three coordinates to 1e-6 separated by
    /// spaces (1e-5 Å on a 10 Å cell, far inside the matching tolerance).
    pub fn to_field(&self) -> String {
        match self {
            SiteRef::Label(l) => l.clone(),
            SiteRef::FracCoords(x) => {
                // a coordinate that rounds to zero prints as 0, not -0.000000
                let f = |v: f64| {
                    let t = format!("{v:.6}");
                    if t == "-0.000000" {
                        "0.000000".to_string()
                    } else {
                        t
                    }
                };
                format!("{} {} {}", f(x[0]), f(x[1]), f(x[2]))
            }
        }
    }
}

/// A site-energy file's text: `comment` lines (each prefixed `# `), the header of `kind`, and one
/// row per entry (site, value to 1e-6 eV, an optional comment line written above it). It reads
/// back with [`parse_site_energies`] to the same sites and values (to the printed digits).
pub fn format_site_energies(
    kind: SiteEnergyKind,
    comment: &[String],
    rows: &[(SiteRef, f64, Option<String>)],
) -> String {
    let mut s = String::new();
    for c in comment {
        s += &format!("# {c}\n");
    }
    s += &format!("site,{}\n", kind.column());
    for (site, value, note) in rows {
        if let Some(n) = note {
            s += &format!("# {n}\n");
        }
        s += &format!("{},{value:.6}\n", site.to_field());
    }
    s
}

/// One row of the file.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SiteEnergyRow {
    /// Line of the file (1-based), for messages.
    pub line: usize,
    /// The minima it addresses.
    pub site: SiteRef,
    /// Energy or shift, eV.
    pub value_ev: f64,
}

/// A site-energy file as read.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SiteEnergies {
    /// The file it came from.
    pub path: String,
    /// Energies or shifts.
    pub kind: SiteEnergyKind,
    /// The rows, in file order (the first is the reference of `energy_ev`).
    pub rows: Vec<SiteEnergyRow>,
}

/// Largest |value| accepted, eV: a site 50 eV off is a unit error (kJ/mol, Ry, meV), not a site.
pub const MAX_ABS_VALUE_EV: f64 = 50.0;

/// Read and check a site-energy file (format in the module documentation). Errors name the file
/// and line: a missing or unknown header, a row without two fields, a number that does not parse
/// or is not finite, a value beyond ±[`MAX_ABS_VALUE_EV`], a position that is not three numbers,
/// a site given twice, a file without rows.
pub fn read_site_energies(path: &Path) -> Result<SiteEnergies, IoError> {
    let (text, p) = read_text(path)?;
    parse_site_energies(&text, &p)
}

/// The lines of a small CSV that carry data (1-based line number, trimmed text): no comment
/// (`#`) or blank line, and a spreadsheet's UTF-8 byte-order mark dropped.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .enumerate()
        .map(|(i, raw)| (i + 1, raw.trim()))
        .filter(|(_, c)| !c.is_empty() && !c.starts_with('#'))
}

fn read_text(path: &Path) -> Result<(String, String), IoError> {
    let p = path.display().to_string();
    Ok((crate::read_text(path)?, p))
}

/// [`read_site_energies`] on text already read; `path` names it in errors.
pub fn parse_site_energies(text: &str, path: &str) -> Result<SiteEnergies, IoError> {
    let mut kind = None;
    let mut rows: Vec<SiteEnergyRow> = Vec::new();
    for (line, content) in data_lines(text) {
        let fields: Vec<&str> = content.split(',').map(str::trim).collect();
        let Some(k) = kind else {
            kind = Some(match fields.as_slice() {
                ["site", "energy_ev"] => SiteEnergyKind::Energy,
                ["site", "shift_ev"] => SiteEnergyKind::Shift,
                _ => {
                    return Err(IoError::syntax(
                        Location::line(path, line),
                        format!(
                            "header '{content}': expected `site,energy_ev` (energies relative to \
                             the first row) or `site,shift_ev` (added to the landscape's)"
                        ),
                    ))
                }
            });
            continue;
        };
        let [site, value] = fields.as_slice() else {
            return Err(IoError::syntax(
                Location::line(path, line),
                format!(
                    "expected two fields `site,{}`, found {}",
                    k.column(),
                    fields.len()
                ),
            ));
        };
        let at = || Location::field(path, Some(line), k.column());
        let value_ev: f64 = value
            .parse()
            .map_err(|_| IoError::syntax(at(), format!("'{value}' is not a number")))?;
        if !value_ev.is_finite() || value_ev.abs() > MAX_ABS_VALUE_EV {
            return Err(IoError::syntax(
                at(),
                format!(
                    "{value} eV is not a site energy (finite, within ±{MAX_ABS_VALUE_EV} eV; \
                     check the unit)"
                ),
            ));
        }
        let site = parse_site(site, path, line)?;
        if let Some(prev) = rows.iter().find(|r| same_site(&r.site, &site)) {
            return Err(IoError::syntax(
                Location::field(path, Some(line), "site"),
                format!("site {site} is already given on line {}", prev.line),
            ));
        }
        rows.push(SiteEnergyRow {
            line,
            site,
            value_ev,
        });
    }
    let Some(kind) = kind else {
        return Err(IoError::syntax(
            Location::file(path),
            "no header: expected `site,energy_ev` or `site,shift_ev`",
        ));
    };
    if rows.is_empty() {
        return Err(IoError::syntax(
            Location::file(path),
            "no rows after the header",
        ));
    }
    Ok(SiteEnergies {
        path: path.to_string(),
        kind,
        rows,
    })
}

fn parse_site(s: &str, path: &str, line: usize) -> Result<SiteRef, IoError> {
    let at = || Location::field(path, Some(line), "site");
    if s.is_empty() {
        return Err(IoError::syntax(at(), "empty site"));
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    let numeric = parts.iter().all(|t| t.parse::<f64>().is_ok());
    if parts.len() == 1 && !numeric {
        return Ok(SiteRef::Label(s.to_string()));
    }
    if parts.len() != 3 || !numeric {
        return Err(IoError::syntax(
            at(),
            format!(
                "'{s}': a site is a label of the structure file (one word) or a position \
                 (three fractional coordinates separated by spaces)"
            ),
        ));
    }
    let mut x = [0.0; 3];
    for (xi, t) in x.iter_mut().zip(&parts) {
        *xi = t.parse::<f64>().expect("checked above");
        if !xi.is_finite() {
            return Err(IoError::syntax(
                at(),
                format!("'{s}': coordinates must be finite"),
            ));
        }
        // a fractional coordinate is written in or next to [0, 1): 75 is a percent slip, 1e16 a
        // number whose images are lost to round-off
        if xi.abs() > MAX_ABS_FRAC_COORD {
            return Err(IoError::syntax(
                at(),
                format!(
                    "'{s}': {t} is no fractional coordinate (|x| above {MAX_ABS_FRAC_COORD}): \
                     give the position in fractions of the structure's cell, e.g. 0.75, not 75 \
                     or Å"
                ),
            ));
        }
    }
    Ok(SiteRef::FracCoords(x))
}

/// The largest |x| a position row's fractional coordinate may have.
pub const MAX_ABS_FRAC_COORD: f64 = 2.0;

/// Two rows address the same site: the same label, or positions equal modulo 1 (1e-6).
fn same_site(a: &SiteRef, b: &SiteRef) -> bool {
    match (a, b) {
        (SiteRef::Label(x), SiteRef::Label(y)) => x == y,
        (SiteRef::FracCoords(x), SiteRef::FracCoords(y)) => x.iter().zip(y).all(|(p, q)| {
            let d = p - q;
            (d - d.round()).abs() < 1e-6
        }),
        _ => false,
    }
}

/// One row of a hop-barrier file.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HopBarrierRow {
    /// Line of the file (1-based).
    pub line: usize,
    /// One end of the hops (label or position).
    pub from: SiteRef,
    /// The other end.
    pub to: SiteRef,
    /// Kinetically resolved barrier E_KRA = S − (E_i + E_j)/2 of those hops, eV.
    pub e_kra_ev: f64,
}

/// A hop-barrier file as read (`halo kmc --hop-barriers`): header `from,to,e_kra_ev`, each row
/// the E_KRA of every network hop between a minimum addressed by `from` and one addressed by
/// `to` (either direction; sites as in [`SiteEnergies`]), e.g. from climbing-image NEBs.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HopBarriers {
    /// The file it came from.
    pub path: String,
    /// The rows, in file order.
    pub rows: Vec<HopBarrierRow>,
}

/// Largest E_KRA accepted, eV: a hop 10 eV high never happens at any temperature the kMC runs;
/// such a value is a unit error.
pub const MAX_E_KRA_EV: f64 = 10.0;

/// Read and check a hop-barrier file; errors name the file and line (a header other than
/// `from,to,e_kra_ev`, a row without three fields, a barrier that is not a number in
/// [0, [`MAX_E_KRA_EV`]] eV, a site that is neither a label nor a position, a pair given twice in
/// either order, a file without rows).
pub fn read_hop_barriers(path: &Path) -> Result<HopBarriers, IoError> {
    let (text, p) = read_text(path)?;
    parse_hop_barriers(&text, &p)
}

/// [`read_hop_barriers`] on text already read; `path` names it in errors.
pub fn parse_hop_barriers(text: &str, path: &str) -> Result<HopBarriers, IoError> {
    let mut header = false;
    let mut rows: Vec<HopBarrierRow> = Vec::new();
    for (line, content) in data_lines(text) {
        let fields: Vec<&str> = content.split(',').map(str::trim).collect();
        if !header {
            if fields != ["from", "to", "e_kra_ev"] {
                return Err(IoError::syntax(
                    Location::line(path, line),
                    format!("header '{content}': expected `from,to,e_kra_ev`"),
                ));
            }
            header = true;
            continue;
        }
        let [from, to, value] = fields.as_slice() else {
            return Err(IoError::syntax(
                Location::line(path, line),
                format!(
                    "expected three fields `from,to,e_kra_ev`, found {}",
                    fields.len()
                ),
            ));
        };
        let at = || Location::field(path, Some(line), "e_kra_ev");
        let e_kra_ev: f64 = value
            .parse()
            .map_err(|_| IoError::syntax(at(), format!("'{value}' is not a number")))?;
        if !(0.0..=MAX_E_KRA_EV).contains(&e_kra_ev) {
            return Err(IoError::syntax(
                at(),
                format!(
                    "{value} eV is not a migration barrier (0 to {MAX_E_KRA_EV} eV; check the \
                     unit)"
                ),
            ));
        }
        let from = parse_site(from, path, line)?;
        let to = parse_site(to, path, line)?;
        if let Some(prev) = rows.iter().find(|r| {
            (same_site(&r.from, &from) && same_site(&r.to, &to))
                || (same_site(&r.from, &to) && same_site(&r.to, &from))
        }) {
            return Err(IoError::syntax(
                Location::line(path, line),
                format!(
                    "the pair {from}–{to} is already given on line {}",
                    prev.line
                ),
            ));
        }
        rows.push(HopBarrierRow {
            line,
            from,
            to,
            e_kra_ev,
        });
    }
    if !header {
        return Err(IoError::syntax(
            Location::file(path),
            "no header: expected `from,to,e_kra_ev`",
        ));
    }
    if rows.is_empty() {
        return Err(IoError::syntax(
            Location::file(path),
            "no rows after the header",
        ));
    }
    Ok(HopBarriers {
        path: path.to_string(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coordinate_that_rounds_to_zero_is_written_without_a_sign() {
        let r = SiteRef::FracCoords([-1e-9, 0.25, -0.0]);
        assert_eq!(r.to_field(), "0.000000 0.250000 0.000000");
    }

    #[test]
    fn labels_and_positions_are_read_with_their_lines() {
        let t = "# a comment\n\nsite, energy_ev\nLi1,0.0\n Li2 , -0.08\n0.125 0.125 0.5,0.45\n";
        let s = parse_site_energies(t, "e.csv").unwrap();
        assert_eq!(s.kind, SiteEnergyKind::Energy);
        assert_eq!(s.rows.len(), 3);
        assert_eq!(s.rows[0].line, 4);
        assert_eq!(s.rows[1].site, SiteRef::Label("Li2".into()));
        assert_eq!(s.rows[1].value_ev, -0.08);
        assert_eq!(s.rows[2].site, SiteRef::FracCoords([0.125, 0.125, 0.5]));
        assert_eq!(s.rows[2].line, 6);
        let s = parse_site_energies("site,shift_ev\nLi1,0.2\n", "s.csv").unwrap();
        assert_eq!(s.kind, SiteEnergyKind::Shift);
        // a spreadsheet's export: byte-order mark and CRLF line ends
        let s =
            parse_site_energies("\u{feff}site,energy_ev\r\nLi1,0\r\nLi2,0.1\r\n", "x.csv").unwrap();
        assert_eq!((s.rows.len(), s.rows[1].value_ev), (2, 0.1));
    }

    #[test]
    fn bad_files_name_the_file_and_line() {
        let cases = [
            ("label,energy\nLi1,0\n", "e.csv, line 1", "header"),
            ("site,energy_ev\nLi1\n", "e.csv, line 2", "two fields"),
            (
                "site,energy_ev\nLi1,abc\n",
                "e.csv, line 2, field energy_ev",
                "not a number",
            ),
            (
                "site,energy_ev\nLi1,inf\n",
                "e.csv, line 2, field energy_ev",
                "check the unit",
            ),
            (
                "site,shift_ev\nLi1,-96.5\n",
                "e.csv, line 2, field shift_ev",
                "check the unit",
            ),
            (
                "site,energy_ev\n0.1 0.2,0\n",
                "e.csv, line 2, field site",
                "three fractional",
            ),
            (
                "site,energy_ev\nLi 1,0\n",
                "e.csv, line 2, field site",
                "three fractional",
            ),
            (
                "site,energy_ev\nLi1,0\n#\nLi1,0.1\n",
                "e.csv, line 4, field site",
                "line 2",
            ),
            (
                "site,energy_ev\n0.1 0.2 0.3,0\n1.1 0.2 -0.7,1\n",
                "e.csv, line 3, field site",
                "already given on line 2",
            ),
            (
                "site,shift_ev\n0.75 0.75 1e16,0.1\n",
                "e.csv, line 2, field site",
                "no fractional coordinate",
            ),
            (
                "site,shift_ev\n75 75 75,0.1\n",
                "e.csv, line 2, field site",
                "not 75",
            ),
            ("site,energy_ev\n", "e.csv", "no rows"),
            ("# only a comment\n", "e.csv", "no header"),
        ];
        for (text, at, what) in cases {
            let e = parse_site_energies(text, "e.csv").unwrap_err().to_string();
            assert!(e.starts_with(at), "{text:?}: {e}");
            assert!(e.contains(what), "{text:?}: {e}");
        }
        let e = read_hop_barriers(Path::new("/nonexistent/h.csv")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/h.csv: cannot read"));
        let e = read_site_energies(Path::new("/nonexistent/e.csv")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/e.csv: cannot read"));
    }

    #[test]
    fn hop_barriers_are_read_and_bad_ones_refused_with_their_line() {
        let h = parse_hop_barriers(
            "# NEB\nfrom,to,e_kra_ev\nLi2,Li1,0.145\n0 0 0.5, 0.125 0.125 0.625 ,0.2\n",
            "h.csv",
        )
        .unwrap();
        assert_eq!(h.rows.len(), 2);
        assert_eq!(h.rows[0].from, SiteRef::Label("Li2".into()));
        assert_eq!(h.rows[1].to, SiteRef::FracCoords([0.125, 0.125, 0.625]));
        assert_eq!((h.rows[1].line, h.rows[1].e_kra_ev), (4, 0.2));
        let cases = [
            (
                "site,e_kra_ev\nLi1,0.1\n",
                "h.csv, line 1",
                "from,to,e_kra_ev",
            ),
            (
                "from,to,e_kra_ev\nLi1,Li2\n",
                "h.csv, line 2",
                "three fields",
            ),
            (
                "from,to,e_kra_ev\nLi1,Li2,-0.1\n",
                "h.csv, line 2, field e_kra_ev",
                "unit",
            ),
            (
                "from,to,e_kra_ev\nLi1,Li2,14.5\n",
                "h.csv, line 2, field e_kra_ev",
                "unit",
            ),
            (
                "from,to,e_kra_ev\nLi1,Li2,x\n",
                "h.csv, line 2, field e_kra_ev",
                "not a number",
            ),
            (
                "from,to,e_kra_ev\nLi1,0.1 0.2,0.1\n",
                "h.csv, line 2, field site",
                "three",
            ),
            (
                "from,to,e_kra_ev\nLi1,Li2,0.1\nLi2,Li1,0.2\n",
                "h.csv, line 3",
                "already given on line 2",
            ),
            ("from,to,e_kra_ev\n", "h.csv", "no rows"),
            ("", "h.csv", "no header"),
        ];
        for (text, at, what) in cases {
            let e = parse_hop_barriers(text, "h.csv").unwrap_err().to_string();
            assert!(e.starts_with(at) && e.contains(what), "{text:?}: {e}");
        }
    }
}
