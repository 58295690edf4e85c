//! VASP 5 POSCAR reading and writing for ordered structures.
//!
//! Layout (VASP manual, "POSCAR"): comment; scale (one positive factor, a negative number = the
//! target cell volume in Å³, or three factors per axis); three lattice vectors; species names
//! (VASP 5; a VASP 4 file may name them in the comment line, as pymatgen accepts); counts;
//! optional `Selective dynamics`; `Direct` or `Cartesian` (first letter C/c/K/k); one line per
//! atom with three coordinates (and T/F flags under selective dynamics).

use crate::charge::{self, OxidationAssignment};
use crate::error::{IoError, Location};
use crate::LoadedStructure;
use halo_core::{Element, Lattice, Species, Structure};
use nalgebra::{Matrix3, Vector3};
use std::fmt::Write as _;

/// Parse POSCAR text; `path` names the source in messages. Oxidation states are the formal ones.
pub fn parse_poscar(text: &str, path: &str) -> Result<LoadedStructure, IoError> {
    let lines = PoscarLines {
        lines: text.lines().collect(),
        path,
    };
    let comment = lines.get(0, "comment")?.trim().to_string();
    let cell = read_cell(&lines)?;
    let species = read_species_counts(&lines, &comment)?;
    let mode = read_coordinate_mode(&lines, species.counts_idx + 1)?;
    let (atoms, flags) = read_atoms(&lines, &species, &cell, &mode)?;
    let mut structure =
        Structure::from_spacegroup_free(cell.lattice, atoms).map_err(|e| IoError::Structure {
            at: Location::file(path),
            error: e,
        })?;
    let oxidation: Vec<OxidationAssignment> =
        charge::assign_formal_oxidation_states(&mut structure);
    let mut loaded =
        LoadedStructure::without_symmetry(structure, crate::Format::Poscar, path, oxidation)?;
    loaded.selective_dynamics = mode.selective.then_some(flags);
    Ok(loaded)
}

/// The lines of a POSCAR and the source name for messages.
struct PoscarLines<'t> {
    lines: Vec<&'t str>,
    path: &'t str,
}

impl<'t> PoscarLines<'t> {
    /// Line `i` (0-based), or an error naming `what` when the file ends before it.
    fn get(&self, i: usize, what: &str) -> Result<&'t str, IoError> {
        self.lines.get(i).copied().ok_or_else(|| {
            IoError::syntax(
                Location::field(self.path, Some(i + 1), what),
                "file ends here (truncated POSCAR?)",
            )
        })
    }

    /// The first `n` whitespace-separated finite numbers of line `i`.
    fn floats(&self, i: usize, what: &str, n: usize) -> Result<Vec<f64>, IoError> {
        let path = self.path;
        let l = self.get(i, what)?;
        let toks: Vec<&str> = l.split_whitespace().collect();
        if toks.len() < n {
            return Err(IoError::syntax(
                Location::field(path, Some(i + 1), what),
                format!("expected {n} numbers, found '{}'", l.trim()),
            ));
        }
        toks[..n]
            .iter()
            .map(|t| {
                t.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| {
                        IoError::syntax(
                            Location::field(path, Some(i + 1), what),
                            format!("'{t}' is not a number"),
                        )
                    })
            })
            .collect()
    }
}

/// The scaled cell of a POSCAR and the per-axis factor applied to Cartesian coordinates.
struct PoscarCell {
    lattice: Lattice,
    cartesian_scale: Vector3<f64>,
}

/// Read the scale line (one factor, a negative target volume, or three factors) and the three
/// lattice vectors (lines 2–5).
fn read_cell(lines: &PoscarLines) -> Result<PoscarCell, IoError> {
    let path = lines.path;
    let scale_line = lines.get(1, "scale")?;
    let nscale = scale_line
        .split_whitespace()
        .take_while(|t| t.parse::<f64>().is_ok())
        .count();
    let scale = lines.floats(1, "scale", if nscale >= 3 { 3 } else { 1 })?;
    let mut rows = [[0.0; 3]; 3];
    for (k, row) in rows.iter_mut().enumerate() {
        let v = lines.floats(2 + k, "lattice vector", 3)?;
        row.copy_from_slice(&v);
    }
    let mut m = Matrix3::from_fn(|i, j| rows[i][j]);
    let raw_volume = m.determinant().abs();
    if raw_volume < Lattice::MIN_VOLUME_ANG3 {
        return Err(IoError::DegenerateCell {
            at: Location::field(path, Some(3), "lattice vectors"),
            message: format!("lattice vectors on lines 3-5 span a volume of {raw_volume:.3e} Å^3"),
        });
    }
    let cartesian_scale = if scale.len() == 3 {
        if scale.iter().any(|&s| s <= 0.0) {
            return Err(IoError::DegenerateCell {
                at: Location::field(path, Some(2), "scale"),
                message: "three scale factors must all be positive".into(),
            });
        }
        for i in 0..3 {
            for j in 0..3 {
                m[(i, j)] *= scale[j];
            }
        }
        Vector3::new(scale[0], scale[1], scale[2])
    } else if scale[0] < 0.0 {
        m *= (-scale[0] / raw_volume).cbrt();
        Vector3::repeat((-scale[0] / raw_volume).cbrt())
    } else if scale[0] > 0.0 {
        m *= scale[0];
        Vector3::repeat(scale[0])
    } else {
        return Err(IoError::DegenerateCell {
            at: Location::field(path, Some(2), "scale"),
            message: "scale factor 0".into(),
        });
    };
    let lattice = Lattice::new(m).map_err(|e| IoError::DegenerateCell {
        at: Location::field(path, Some(3), "lattice vectors"),
        message: e.to_string(),
    })?;
    Ok(PoscarCell {
        lattice,
        cartesian_scale,
    })
}

/// Elements and atom counts of a POSCAR, and the (0-based) index of the counts line.
struct SpeciesCounts {
    elements: Vec<Element>,
    counts: Vec<usize>,
    counts_idx: usize,
}

/// Read the species names (VASP 5 line 6, or the comment of a VASP 4 file whose line 6 holds
/// the counts) and the atom counts.
fn read_species_counts(lines: &PoscarLines, comment: &str) -> Result<SpeciesCounts, IoError> {
    let path = lines.path;
    // species line (VASP 5) or counts directly (VASP 4, names from the comment)
    let l5 = lines.get(5, "species names")?;
    let first_is_number = l5
        .split_whitespace()
        .next()
        .map(|t| t.parse::<i64>().is_ok())
        .unwrap_or(false);
    let (names, names_line, counts_idx) = if first_is_number {
        (
            // pymatgen writes the formula there ("Li4 Al4 Cl16"): the amounts are dropped
            comment
                .split_whitespace()
                .map(|t| {
                    let amount = t.trim_start_matches(|c: char| c.is_ascii_alphabetic());
                    let is_amount = !amount.is_empty()
                        && amount.len() < t.len()
                        && amount.chars().all(|c| c.is_ascii_digit() || c == '.');
                    if is_amount {
                        t[..t.len() - amount.len()].to_string()
                    } else {
                        t.to_string()
                    }
                })
                .collect::<Vec<_>>(),
            1usize,
            5usize,
        )
    } else {
        (
            l5.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>(),
            6,
            6,
        )
    };
    let counts_line = lines.get(counts_idx, "atom counts")?;
    let mut counts = Vec::new();
    for t in counts_line.split_whitespace() {
        if t.starts_with(['!', '#']) {
            break; // a comment after the counts
        }
        match t.parse::<usize>() {
            Ok(c) => counts.push(c),
            Err(_) if counts.is_empty() => break,
            Err(_) => {
                return Err(IoError::syntax(
                    Location::field(path, Some(counts_idx + 1), "atom counts"),
                    format!("atom count '{t}' is not a whole number of atoms"),
                ))
            }
        }
    }
    if counts.is_empty() {
        return Err(IoError::syntax(
            Location::field(path, Some(counts_idx + 1), "atom counts"),
            format!("expected atom counts, found '{}'", counts_line.trim()),
        ));
    }
    // a species line names every count; a VASP 4 comment may say more than the names
    if names.len() < counts.len() || (!first_is_number && names.len() > counts.len()) {
        return Err(IoError::CountMismatch {
            at: Location::field(path, Some(names_line), "species names"),
            message: format!(
                "{} species names for {} atom counts (line {})",
                names.len(),
                counts.len(),
                counts_idx + 1
            ),
        });
    }
    let elements = species_elements(&names[..counts.len()], names_line, path).map_err(|e| {
        match e {
            // a VASP 4 file: the names were looked for in the comment, say so
            IoError::UnknownElement { at, symbol } if first_is_number => IoError::Syntax {
                at,
                message: format!(
                    "no species line (a VASP 4 file): the species are read from the comment \
                     line, and its '{symbol}' is not an element symbol; write the symbols there \
                     ('Li Cl') or add a species line above the counts (VASP 5)"
                ),
            },
            e => e,
        }
    })?;
    Ok(SpeciesCounts {
        elements,
        counts,
        counts_idx,
    })
}

/// The element of each species name (`Li`, or potcar-style `Li_sv`, `Cl/abc`).
fn species_elements(
    names: &[String],
    names_line: usize,
    path: &str,
) -> Result<Vec<Element>, IoError> {
    let mut elements = Vec::with_capacity(names.len());
    for name in names {
        // VASP 6 potcar-style names such as "Li_sv" or "Cl/abc": take the element part
        let sym = name.split(['_', '/']).next().unwrap_or(name);
        let el = Element::from_symbol(sym).map_err(|_| IoError::UnknownElement {
            at: Location::field(path, Some(names_line), "species names"),
            symbol: sym.to_string(),
        })?;
        elements.push(el);
    }
    Ok(elements)
}

/// Selective dynamics, Direct/Cartesian, and the (0-based) index of the first atom line.
struct CoordinateMode {
    selective: bool,
    cartesian: bool,
    first_atom: usize,
}

/// Read the optional `Selective dynamics` line and the `Direct`/`Cartesian` line at `idx`.
fn read_coordinate_mode(lines: &PoscarLines, mut idx: usize) -> Result<CoordinateMode, IoError> {
    let mut selective = false;
    let mode = lines.get(idx, "coordinate mode")?.trim();
    if mode.starts_with(['s', 'S']) {
        selective = true;
        idx += 1;
    }
    let mode = lines.get(idx, "coordinate mode")?.trim();
    let cartesian = match mode.chars().next() {
        Some('c' | 'C' | 'k' | 'K') => true,
        Some('d' | 'D') => false,
        _ => {
            return Err(IoError::syntax(
                Location::field(lines.path, Some(idx + 1), "coordinate mode"),
                format!("expected 'Direct' or 'Cartesian', found '{mode}'"),
            ))
        }
    };
    Ok(CoordinateMode {
        selective,
        cartesian,
        first_atom: idx + 1,
    })
}

/// Atoms on a POSCAR cell.
type PoscarAtoms = Vec<(Species, [f64; 3])>;

/// Read one line per counted atom: fractional coordinates (converted from Cartesian) and, under
/// selective dynamics, the T/F flags; refuse a further coordinate line (counts too small).
fn read_atoms(
    lines: &PoscarLines,
    species: &SpeciesCounts,
    cell: &PoscarCell,
    mode: &CoordinateMode,
) -> Result<(PoscarAtoms, Vec<[bool; 3]>), IoError> {
    let path = lines.path;
    let (idx, counts_idx) = (mode.first_atom, species.counts_idx);
    let total: usize = species.counts.iter().sum();
    let mut atoms = Vec::with_capacity(total);
    let mut flags = Vec::new();
    let mut atom_elements = Vec::with_capacity(total);
    for (&c, &e) in species.counts.iter().zip(&species.elements) {
        for _ in 0..c {
            atom_elements.push(e);
        }
    }
    let mut species_iter = atom_elements.into_iter();
    for a in 0..total {
        let li = idx + a;
        let line = lines.lines.get(li).map(|l| l.trim()).unwrap_or("");
        let toks: Vec<&str> = line.split_whitespace().collect();
        let coords: Option<Vec<f64>> = (toks.len() >= 3)
            .then(|| toks[..3].iter().map(|t| t.parse::<f64>().ok()).collect())
            .flatten();
        let Some(c) = coords.filter(|c| c.iter().all(|x| x.is_finite())) else {
            return Err(IoError::CountMismatch {
                at: Location::field(path, Some(li + 1), "coordinates"),
                message: format!(
                    "atom counts on line {} sum to {total} but coordinate line {} of {total} is \
                     {}",
                    counts_idx + 1,
                    a + 1,
                    if line.is_empty() {
                        "missing".to_string()
                    } else {
                        format!("'{line}'")
                    }
                ),
            });
        };
        let v = Vector3::new(c[0], c[1], c[2]);
        let frac = if mode.cartesian {
            cell.lattice.frac(&v.component_mul(&cell.cartesian_scale))
        } else {
            v
        };
        if mode.selective {
            flags.push(selective_flags(&toks, li, path)?);
        }
        let el = species_iter.next().ok_or_else(|| IoError::CountMismatch {
            at: Location::field(path, Some(li + 1), "coordinates"),
            message: "more atoms than counts".into(),
        })?;
        atoms.push((Species::neutral_unknown(el), [frac.x, frac.y, frac.z]));
    }
    check_no_extra_atom_line(lines, idx + total, total, counts_idx)?;
    Ok((atoms, flags))
}

/// The three T/F selective dynamics flags after the coordinates of atom line `li`.
fn selective_flags(toks: &[&str], li: usize, path: &str) -> Result<[bool; 3], IoError> {
    let f: Vec<bool> = toks
        .iter()
        .skip(3)
        .take(3)
        .map(|t| t.starts_with(['T', 't']))
        .collect();
    if f.len() != 3 {
        return Err(IoError::syntax(
            Location::field(path, Some(li + 1), "selective dynamics"),
            "expected three T/F flags after the coordinates",
        ));
    }
    Ok([f[0], f[1], f[2]])
}

/// Refuse a coordinate-like line directly after the last atom (line index `next`): the counts
/// are too small.
fn check_no_extra_atom_line(
    lines: &PoscarLines,
    next: usize,
    total: usize,
    counts_idx: usize,
) -> Result<(), IoError> {
    // one more coordinate-like line directly after the last atom = counts too small
    if let Some(extra) = lines.lines.get(next) {
        let toks: Vec<&str> = extra.split_whitespace().collect();
        if toks.len() >= 3 && toks[..3].iter().all(|t| t.parse::<f64>().is_ok()) {
            return Err(IoError::CountMismatch {
                at: Location::field(lines.path, Some(next + 1), "coordinates"),
                message: format!(
                    "atom counts on line {} sum to {total} but there are more coordinate lines",
                    counts_idx + 1
                ),
            });
        }
    }
    Ok(())
}

/// Read a POSCAR/CONTCAR file.
pub fn read_poscar(path: &std::path::Path) -> Result<LoadedStructure, IoError> {
    let text = crate::read_text(path)?;
    parse_poscar(&text, &path.display().to_string())
}

/// Write an ordered structure as VASP 5 POSCAR text (scale 1, Direct), species grouped in runs
/// of consecutive sites in the structure's order. `selective_dynamics`, when given, must have
/// one entry per site.
pub fn write_poscar_string(
    structure: &Structure,
    comment: &str,
    selective_dynamics: Option<&[[bool; 3]]>,
) -> Result<String, IoError> {
    let at = Location::file("<POSCAR output>");
    if let Some(i) = structure.sites.iter().position(|s| !s.is_ordered()) {
        return Err(IoError::Unsupported {
            at,
            message: format!(
                "site {i} is disordered ({}): POSCAR holds ordered structures only",
                structure.sites[i].species_string()
            ),
        });
    }
    if let Some(sd) = selective_dynamics {
        if sd.len() != structure.num_sites() {
            return Err(IoError::CountMismatch {
                at,
                message: format!(
                    "{} selective dynamics flags for {} sites",
                    sd.len(),
                    structure.num_sites()
                ),
            });
        }
    }
    let mut runs: Vec<(Element, usize)> = Vec::new();
    for s in &structure.sites {
        let el = s.species[0].0.element;
        match runs.last_mut() {
            Some((e, n)) if *e == el => *n += 1,
            _ => runs.push((el, 1)),
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}", comment.lines().next().unwrap_or("").trim());
    let _ = writeln!(out, "1.0");
    for r in structure.lattice.rows() {
        let _ = writeln!(out, "  {:21.16} {:21.16} {:21.16}", r[0], r[1], r[2]);
    }
    let _ = writeln!(
        out,
        "{}",
        runs.iter()
            .map(|(e, _)| e.symbol())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = writeln!(
        out,
        "{}",
        runs.iter()
            .map(|(_, n)| n.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    if selective_dynamics.is_some() {
        let _ = writeln!(out, "Selective dynamics");
    }
    let _ = writeln!(out, "Direct");
    for (i, s) in structure.sites.iter().enumerate() {
        let f = s.frac_coords;
        let _ = write!(out, "  {:.16} {:.16} {:.16}", f.x, f.y, f.z);
        if let Some(sd) = selective_dynamics {
            let t = |b: bool| if b { "T" } else { "F" };
            let _ = write!(out, " {} {} {}", t(sd[i][0]), t(sd[i][1]), t(sd[i][2]));
        }
        let _ = writeln!(out, " {}", s.species[0].0.element);
    }
    Ok(out)
}

/// Write an ordered structure as a POSCAR file.
pub fn write_poscar(
    structure: &Structure,
    path: &std::path::Path,
    selective_dynamics: Option<&[[bool; 3]]>,
) -> Result<(), IoError> {
    let comment = structure.composition().reduced_formula();
    let text =
        write_poscar_string(structure, &comment, selective_dynamics).map_err(|e| match e {
            IoError::Unsupported { message, .. } => IoError::Unsupported {
                at: Location::file(&path.display().to_string()),
                message,
            },
            IoError::CountMismatch { message, .. } => IoError::CountMismatch {
                at: Location::file(&path.display().to_string()),
                message,
            },
            other => other,
        })?;
    std::fs::write(path, text).map_err(|e| IoError::Write {
        path: path.display().to_string(),
        error: e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    const LICL: &str = "LiCl rock salt
1.0
5.13 0 0
0 5.13 0
0 0 5.13
Li Cl
4 4
Direct
0 0 0
0.5 0.5 0
0.5 0 0.5
0 0.5 0.5
0.5 0 0
0 0.5 0
0 0 0.5
0.5 0.5 0.5
";

    #[test]
    fn reads_direct_with_formal_states() {
        let r = parse_poscar(LICL, "POSCAR").unwrap();
        assert_eq!(r.structure.num_sites(), 8);
        assert_eq!(r.structure.sites[0].species[0].0.to_string(), "Li+");
        assert!(r.charge.unwrap().neutral);
        assert!(r.selective_dynamics.is_none());
    }

    #[test]
    fn negative_scale_is_volume_and_cartesian() {
        let text = "x\n-135.0\n1 0 0\n0 1 0\n0 0 1\nLi Cl\n1 1\nSelective dynamics\nCartesian\n\
                    0 0 0 T T F\n0.5 0.5 0.5 F F F\n";
        let r = parse_poscar(text, "P").unwrap();
        assert_relative_eq!(r.structure.volume_ang3(), 135.0, epsilon = 1e-9);
        // the Cartesian coordinates are scaled like the cell: (0.5, 0.5, 0.5) → fractional 0.5
        let f = r.structure.sites[1].frac_coords;
        assert_relative_eq!(f.x, 0.5, epsilon = 1e-9);
        let sd = r.selective_dynamics.unwrap();
        assert_eq!(sd[0], [true, true, false]);
    }

    #[test]
    fn count_mismatch_names_line() {
        let short = LICL.replace("4 4", "4 5");
        let e = parse_poscar(&short, "POSCAR").unwrap_err();
        assert!(matches!(e, IoError::CountMismatch { .. }));
        assert!(e.to_string().contains("line 17"), "{e}");
        let long = LICL.replace("4 4", "4 3");
        let e = parse_poscar(&long, "POSCAR").unwrap_err();
        assert!(e.to_string().contains("line 16"), "{e}");
        let e = parse_poscar(&LICL.replace("Li Cl", "Li"), "POSCAR").unwrap_err();
        assert!(matches!(e, IoError::CountMismatch { .. }), "{e}");
        let e = parse_poscar(&LICL.replace("Li Cl", "Li Qq"), "POSCAR").unwrap_err();
        assert!(matches!(e, IoError::UnknownElement { .. }), "{e}");
        let e = parse_poscar(&LICL.replace("0 0 5.13", "0 0 0"), "POSCAR").unwrap_err();
        assert!(matches!(e, IoError::DegenerateCell { .. }), "{e}");
        // a name without a count is refused too (it read Li4Cl4 as the first two names' atoms)
        let e = parse_poscar(&LICL.replace("Li Cl", "Li Cl Al"), "POSCAR").unwrap_err();
        assert!(
            e.to_string().contains("3 species names for 2 atom counts"),
            "{e}"
        );
        // a count that is not a whole number is named (it was dropped with what followed)
        for bad in ["4 -4", "4 4.5"] {
            let e = parse_poscar(&LICL.replace("4 4", bad), "POSCAR").unwrap_err();
            let token = bad.split(' ').nth(1).unwrap();
            assert!(
                e.to_string()
                    .contains(&format!("line 7, field atom counts: atom count '{token}'")),
                "{e}"
            );
        }
    }

    /// VASP 4: the names come from the comment, as pymatgen writes it ("Li4 Cl4") or as a list
    /// of symbols, and may be followed by other words.
    #[test]
    fn vasp4_names_from_the_comment() {
        let vasp4 = |comment: &str| {
            LICL.replace("\nLi Cl\n", "\n")
                .replace("LiCl rock salt", comment)
        };
        for comment in ["Li4 Cl4", "Li Cl", "Li Cl rock salt, 300 K", "Li4.0 Cl4"] {
            let r = parse_poscar(&vasp4(comment), "POSCAR").unwrap();
            assert_eq!(
                r.structure.composition().reduced_formula(),
                "LiCl",
                "{comment}"
            );
        }
        let e = parse_poscar(&vasp4("rock salt"), "POSCAR").unwrap_err();
        assert!(
            e.to_string().contains("no species line (a VASP 4 file)"),
            "{e}"
        );
        assert!(
            e.to_string().contains("'rock' is not an element symbol"),
            "{e}"
        );
    }

    #[test]
    fn round_trip() {
        let r = parse_poscar(LICL, "POSCAR").unwrap();
        let sd = vec![[true, false, true]; 8];
        let text = write_poscar_string(&r.structure, "LiCl", Some(&sd)).unwrap();
        let back = parse_poscar(&text, "out").unwrap();
        assert_eq!(back.structure, r.structure);
        assert_eq!(back.selective_dynamics.unwrap(), sd);
    }
}
