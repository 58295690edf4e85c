//! CIF reading (docs/physics.md §1.1) and P1 CIF writing.
//!
//! Reading: the cell from `_cell_length_*`/`_cell_angle_*` (oriented as pymatgen's
//! `Lattice.from_parameters`), the symmetry operations from `_symmetry_equiv_pos_as_xyz` or
//! `_space_group_symop_operation_xyz` (identity when neither is given and the space group is P1 or
//! not named), every operation applied to every `_atom_site_*` row, images wrapped to [0, 1) and
//! merged when closer than [`CifOptions::merge_tolerance_ang`]. Rows of different species on one
//! position make one mixed site (species → occupancy). Oxidation states come from
//! `_atom_type_oxidation_number`, else from a charge in the type symbol (`Li1+`, `Cl-`), else from
//! halo's formal table; never from bond valence.

use crate::charge::{self, OxidationAssignment, OxidationSource};
use crate::cif_syntax::{parse_blocks, parse_number, Block, Loop, Value};
use crate::error::{IoError, Location};
use crate::LoadedStructure;
use halo_core::structure::OCCUPANCY_TOLERANCE;
use halo_core::{CoreError, Element, Lattice, Site, Species, Structure};
use nalgebra::{Matrix3, Vector3};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Default distance below which symmetry images are one site, Å.
pub const DEFAULT_MERGE_TOLERANCE_ANG: f64 = 0.01;

/// Options of the CIF reader.
#[derive(Clone, Debug, PartialEq)]
pub struct CifOptions {
    /// Data block to read (case-insensitive name without `data_`); `None` = the first block with
    /// atom sites.
    pub block: Option<String>,
    /// Images closer than this (Å, periodic) are merged into one site.
    pub merge_tolerance_ang: f64,
}

impl Default for CifOptions {
    fn default() -> Self {
        CifOptions {
            block: None,
            merge_tolerance_ang: DEFAULT_MERGE_TOLERANCE_ANG,
        }
    }
}

/// One `_atom_site_` row of the asymmetric unit.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AsymmetricSite {
    pub label: String,
    pub species: Species,
    pub occupancy: f64,
    /// The occupancy's standard uncertainty as the file states it (`0.61(3)` → 0.03); `None`
    /// when the file gives none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupancy_esd: Option<f64>,
    pub frac_coords: [f64; 3],
    /// Number of distinct images in the cell after applying every operation.
    pub multiplicity: usize,
    /// Line of the row in the file.
    pub line: usize,
}

/// A symmetry operation x' = R x + t on fractional coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct SymOp {
    pub rotation: Matrix3<f64>,
    pub translation: Vector3<f64>,
}

impl SymOp {
    /// Parse `-y+1/4, x+1/4, z+1/4`, `x-y, -y, 1/2+z`, `+x,0.5+y,z`.
    pub fn parse(text: &str) -> Result<SymOp, String> {
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() != 3 {
            return Err(format!(
                "'{text}' has {} components, expected 3",
                parts.len()
            ));
        }
        let mut rotation = Matrix3::zeros();
        let mut translation = Vector3::zeros();
        for (row, part) in parts.iter().enumerate() {
            let chars: Vec<char> = part
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            if chars.is_empty() {
                return Err(format!("empty component in '{text}'"));
            }
            let mut p = 0;
            while p < chars.len() {
                let mut sign = 1.0;
                if chars[p] == '+' || chars[p] == '-' {
                    if chars[p] == '-' {
                        sign = -1.0;
                    }
                    p += 1;
                }
                let start = p;
                while p < chars.len() && (chars[p].is_ascii_digit() || chars[p] == '.') {
                    p += 1;
                }
                let mut number: Option<f64> = None;
                if p > start {
                    let s: String = chars[start..p].iter().collect();
                    let mut v: f64 = s
                        .parse()
                        .map_err(|_| format!("bad number '{s}' in '{text}'"))?;
                    if p < chars.len() && chars[p] == '/' {
                        p += 1;
                        let ds = p;
                        while p < chars.len() && chars[p].is_ascii_digit() {
                            p += 1;
                        }
                        let d: String = chars[ds..p].iter().collect();
                        let den: f64 =
                            d.parse().map_err(|_| format!("bad fraction in '{text}'"))?;
                        if den == 0.0 {
                            return Err(format!("division by zero in '{text}'"));
                        }
                        v /= den;
                    }
                    number = Some(v);
                    if p < chars.len() && chars[p] == '*' {
                        p += 1;
                    }
                }
                if p < chars.len() && matches!(chars[p], 'x' | 'y' | 'z') {
                    let col = (chars[p] as u8 - b'x') as usize;
                    rotation[(row, col)] += sign * number.unwrap_or(1.0);
                    p += 1;
                } else if let Some(v) = number {
                    translation[row] += sign * v;
                } else {
                    return Err(format!(
                        "unexpected '{}' in '{text}'",
                        chars.get(p).copied().unwrap_or(' ')
                    ));
                }
            }
        }
        Ok(SymOp {
            rotation,
            translation,
        })
    }

    /// The identity operation.
    pub fn identity() -> SymOp {
        SymOp {
            rotation: Matrix3::identity(),
            translation: Vector3::zeros(),
        }
    }

    /// Apply to fractional coordinates.
    pub fn apply(&self, f: &Vector3<f64>) -> Vector3<f64> {
        self.rotation * f + self.translation
    }
}

/// Split a CIF type symbol (`Li1+`, `Cl-`, `Sc3+`, `O2-`, `Li`, `LI`) or a label (`Li1`, `Cl5a`)
/// into the element and, when written, the charge. Returns `Err(symbol)` for an unknown element.
pub fn parse_type_symbol(text: &str) -> Result<(Element, Option<i8>), String> {
    let t = text.trim();
    let chars: Vec<char> = t.chars().collect();
    if chars.is_empty() || !chars[0].is_ascii_alphabetic() {
        return Err(t.to_string());
    }
    let first = chars[0].to_ascii_uppercase();
    let mut el = None;
    let mut used = 1;
    if chars.len() > 1 && chars[1].is_ascii_alphabetic() {
        let two: String = [first, chars[1].to_ascii_lowercase()].iter().collect();
        if let Ok(e) = Element::from_symbol(&two) {
            el = Some(e);
            used = 2;
        }
    }
    if el.is_none() {
        el = Element::from_symbol(&first.to_string()).ok();
        used = 1;
    }
    let Some(el) = el else {
        // report the letters that look like the symbol
        let sym: String = chars
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .take(2)
            .collect();
        return Err(sym);
    };
    // a bare letter run after a one-letter symbol (e.g. "Xx") is an unknown two-letter symbol
    if used == 1 && chars.len() > 1 && chars[1].is_ascii_lowercase() {
        let sym: String = chars[..2].iter().collect();
        return Err(sym);
    }
    let rest: String = chars[used..].iter().collect();
    Ok((el, parse_charge_suffix(&rest)))
}

fn parse_charge_suffix(rest: &str) -> Option<i8> {
    // "1+", "+", "3+", "-", "1-", "+1", "-2"; anything else (label digits) = no charge
    halo_core::element::parse_charge(rest).ok()
}

fn number(block: &Block, tag: &str, path: &str) -> Result<f64, IoError> {
    let v = block.get(tag).ok_or_else(|| {
        IoError::syntax(
            Location::field(path, None, tag),
            format!("missing field (data block '{}')", block.name),
        )
    })?;
    parse_number(v).ok_or_else(|| {
        IoError::syntax(
            Location::field(path, Some(v.line), tag),
            format!("'{}' is not a number", v.text),
        )
    })
}

fn cell_number(v: &Value, tag: &str, path: &str) -> Result<f64, IoError> {
    parse_number(v).ok_or_else(|| {
        IoError::syntax(
            Location::field(path, Some(v.line), tag),
            format!("'{}' is not a number", v.text),
        )
    })
}

/// The temperature the structure was measured at, from the CIF (the coordinates and
/// occupancies belong to it: `halo kmc --ground-occupancies` fits the Li-site energies at it).
#[derive(Clone, Debug, PartialEq)]
pub struct MeasurementTemperature {
    /// The temperature, K.
    pub temperature_k: f64,
    /// The tag it was read from.
    pub tag: String,
    /// Its line in the file.
    pub line: usize,
}

/// Tags that give the measurement temperature in K, in the order they are read: the
/// diffraction experiment's (core CIF; powder CIFs use it too), then the cell measurement's.
pub const MEASUREMENT_TEMPERATURE_TAGS: [&str; 2] = [
    "_diffrn_ambient_temperature",
    "_cell_measurement_temperature",
];

/// The first of [`MEASUREMENT_TEMPERATURE_TAGS`] with a usable value (a standard uncertainty in
/// brackets is dropped; `?` and `.` are absent). A value that is not a temperature in (0, 5000) K
/// is skipped with a warning naming the file, line and tag: it is metadata, and the structure
/// does not depend on it.
fn read_measurement_temperature(
    block: &Block,
    path: &str,
    warnings: &mut Vec<String>,
) -> Option<MeasurementTemperature> {
    for tag in MEASUREMENT_TEMPERATURE_TAGS {
        let Some(v) = block.get(tag) else { continue };
        if v.is_null() {
            continue;
        }
        match parse_number(v) {
            Some(t) if t > 0.0 && t < 5000.0 => {
                return Some(MeasurementTemperature {
                    temperature_k: t,
                    tag: tag.to_string(),
                    line: v.line,
                })
            }
            _ => warnings.push(format!(
                "{path}, line {}: {tag} '{}' is not a temperature in K (0 to 5000); ignored",
                v.line, v.text
            )),
        }
    }
    None
}

fn read_lattice(block: &Block, path: &str) -> Result<Lattice, IoError> {
    let tags = [
        "_cell_length_a",
        "_cell_length_b",
        "_cell_length_c",
        "_cell_angle_alpha",
        "_cell_angle_beta",
        "_cell_angle_gamma",
    ];
    let mut p = [0.0; 6];
    for (i, t) in tags.iter().enumerate() {
        p[i] = number(block, t, path)?;
        let v = block.get(t).map(|v| v.line);
        let bad = if i < 3 {
            p[i] <= 0.0
        } else {
            p[i] <= 0.0 || p[i] >= 180.0
        };
        if bad {
            return Err(IoError::DegenerateCell {
                at: Location::field(path, v, t),
                message: format!("{} = {} is not a valid cell parameter", t, p[i]),
            });
        }
    }
    let degenerate = |volume_ang3: f64| IoError::DegenerateCell {
        at: Location::field(path, block.get(tags[3]).map(|v| v.line), "_cell_angle_*"),
        message: format!(
            "cell a={} b={} c={} alpha={} beta={} gamma={} has volume {volume_ang3:.3e} Å^3",
            p[0], p[1], p[2], p[3], p[4], p[5]
        ),
    };
    let lattice =
        Lattice::from_parameters(p[0], p[1], p[2], p[3], p[4], p[5]).map_err(|e| match e {
            CoreError::DegenerateLattice { volume_ang3 } => degenerate(volume_ang3),
            other => IoError::Structure {
                at: Location::file(path),
                error: other,
            },
        })?;
    // angles that make the cell flat only up to round-off: V/(abc) = √(1 − cos²α − cos²β −
    // cos²γ + 2 cosα cosβ cosγ) below MIN_RELATIVE_VOLUME
    let v = lattice.volume_ang3();
    if v / (p[0] * p[1] * p[2]) < MIN_RELATIVE_VOLUME {
        return Err(degenerate(v));
    }
    Ok(lattice)
}

/// Smallest accepted V/(abc) of a cell read from a file (a cell flatter than this is degenerate).
pub const MIN_RELATIVE_VOLUME: f64 = 1e-6;

const SYMOP_TAGS: [&str; 3] = [
    "_symmetry_equiv_pos_as_xyz",
    "_space_group_symop_operation_xyz",
    "_space_group_symop_operation_xyz_",
];

/// A row's position and the multiplicity the file states for it.
pub(crate) struct StatedMultiplicity {
    pub frac_coords: [f64; 3],
    pub multiplicity: usize,
}

/// The rows that state a multiplicity, and the merge tolerance their images are counted with.
pub(crate) struct StatedRows<'a> {
    pub rows: &'a [StatedMultiplicity],
    pub merge_tolerance_ang: f64,
}

impl StatedRows<'_> {
    /// True when some row states a multiplicity and every such row has that many images under
    /// `ops`.
    pub(crate) fn all_match(&self, ops: &[SymOp], lattice: &Lattice) -> bool {
        !self.rows.is_empty()
            && self.rows.iter().all(|r| {
                symmetry_images(ops, lattice, r.frac_coords, self.merge_tolerance_ang).len()
                    == r.multiplicity
            })
    }
}

fn read_symops(
    block: &Block,
    path: &str,
    lattice: &Lattice,
    stated: &StatedRows,
    notes: &mut Vec<String>,
) -> Result<Vec<SymOp>, IoError> {
    for tag in SYMOP_TAGS {
        let values: Vec<&Value> = if let Some(l) = block.find_loop(tag) {
            let c = l.column(tag).unwrap_or(0);
            (0..l.num_rows()).map(|r| &l.row(r)[c]).collect()
        } else if let Some((_, v)) = block.items.iter().find(|(t, _)| t == tag) {
            vec![v]
        } else {
            continue;
        };
        let mut ops = Vec::with_capacity(values.len());
        for v in values {
            let op = SymOp::parse(&v.text)
                .map_err(|m| IoError::syntax(Location::field(path, Some(v.line), tag), m))?;
            if op.rotation.determinant().abs() < 0.5 {
                return Err(IoError::syntax(
                    Location::field(path, Some(v.line), tag),
                    format!("'{}' is not an invertible operation", v.text),
                ));
            }
            if let Some(why) = not_an_isometry(&op, lattice) {
                return Err(IoError::syntax(
                    Location::field(path, Some(v.line), tag),
                    format!("'{}' {why}", v.text.trim()),
                ));
            }
            ops.push(op);
        }
        if ops.is_empty() {
            return Err(IoError::syntax(
                Location::field(path, None, tag),
                "empty list of symmetry operations",
            ));
        }
        notes.extend(crate::cif_spacegroup::listed_operations_note(
            block,
            path,
            ops.len(),
        ));
        return Ok(ops);
    }
    // no operations: generate them from the group the file names (refused where the setting
    // would be a guess), else P1
    match crate::cif_spacegroup::operations(block, path, lattice, stated)? {
        Some((ops, note)) => {
            if let Some(why) = ops.iter().find_map(|op| not_an_isometry(op, lattice)) {
                return Err(IoError::syntax(
                    Location::file(path),
                    format!("{note}, but an operation of that group {why}"),
                ));
            }
            notes.push(format!("{path}: {note}"));
            Ok(ops)
        }
        None => Ok(vec![SymOp {
            rotation: Matrix3::identity(),
            translation: Vector3::zeros(),
        }]),
    }
}

/// Largest change of an element G_ij of the cell's metric an operation may make, relative to
/// |a_i||a_j|: a refinement's rounding of a = b or γ = 120° stays far below it, an operation of
/// another setting (hexagonal axes on a rhombohedral cell) changes the metric by its own size.
const METRIC_TOLERANCE: f64 = 5e-3;

/// Why `op` is not a symmetry of `lattice`'s metric G (G_ij = a_i·a_j): a symmetry operation
/// keeps every distance, RᵀGR = G for its rotation R on fractional coordinates. `None` when it
/// does.
fn not_an_isometry(op: &SymOp, lattice: &Lattice) -> Option<String> {
    let m = lattice.matrix();
    let g = m * m.transpose();
    let d = op.rotation.transpose() * g * op.rotation - g;
    // each element against its own scale √(G_ii·G_jj) = |a_i||a_j|: a swap of a 3 Å and a 3.5 Å
    // axis must show beside a 30 Å one
    let off = (0..3)
        .flat_map(|i| (0..3).map(move |j| (i, j)))
        .any(|(i, j)| d[(i, j)].abs() > METRIC_TOLERANCE * (g[(i, i)] * g[(j, j)]).sqrt());
    off.then(|| {
        let ([a, b, c], [al, be, ga]) = (lattice.abc(), lattice.angles_deg());
        format!(
            "does not map the cell (a {a:.4}, b {b:.4}, c {c:.4} Å, α {al:.2}, β {be:.2}, γ \
             {ga:.2}°) onto itself: the operations and the cell are in different settings (e.g. \
             hexagonal axes with a rhombohedral cell)"
        )
    })
}

fn col<'a>(l: &'a Loop, row: usize, tag: &str) -> Option<&'a Value> {
    l.column(tag).map(|c| &l.row(row)[c])
}

fn periodic_distance(lattice: &Lattice, a: &Vector3<f64>, b: &Vector3<f64>) -> f64 {
    let d = (b - a).map(|x| x - x.round());
    lattice.cart(&d).norm()
}

/// Read a CIF file.
pub fn read_cif(path: &std::path::Path, options: &CifOptions) -> Result<LoadedStructure, IoError> {
    let p = path.display().to_string();
    let text = crate::read_text(path)?;
    parse_cif(&text, &p, options)
}

/// Parse CIF text; `path` names the source in messages.
pub fn parse_cif(text: &str, path: &str, options: &CifOptions) -> Result<LoadedStructure, IoError> {
    if !(options.merge_tolerance_ang.is_finite() && options.merge_tolerance_ang > 0.0) {
        return Err(IoError::Unsupported {
            at: Location::file(path),
            message: format!(
                "merge tolerance {} Å is not positive",
                options.merge_tolerance_ang
            ),
        });
    }
    let blocks = parse_blocks(text, path)?;
    let block = select_block(&blocks, options.block.as_deref(), path)?;
    let with_sites: Vec<&str> = blocks
        .iter()
        .filter(|b| b.find_loop("_atom_site_fract_x").is_some())
        .map(|b| b.name.as_str())
        .collect();
    let other_structures = (options.block.is_none() && with_sites.len() > 1).then(|| {
        format!(
            "{path}: holds {} data blocks with atom sites ({}); read the first, '{}' \
             (`halo inspect --block NAME` reads another; split the file for other commands)",
            with_sites.len(),
            with_sites.join(", "),
            block.name
        )
    });
    let lattice = read_lattice(block, path)?;
    let sites = atom_site_loop(block, path)?;
    // the rows' stated multiplicities, which can tell a group's settings apart when the file
    // names its group without listing operations
    let stated: Vec<StatedMultiplicity> = (0..sites.num_rows())
        .filter_map(|r| {
            let m = col(sites, r, "_atom_site_symmetry_multiplicity")?;
            let multiplicity = m.text.trim().parse::<usize>().ok()?;
            let frac_coords = row_coordinates(sites, r, m.line, path).ok()?;
            Some(StatedMultiplicity {
                frac_coords,
                multiplicity,
            })
        })
        .collect();
    let mut symmetry_notes = Vec::new();
    let ops = read_symops(
        block,
        path,
        &lattice,
        &StatedRows {
            rows: &stated,
            merge_tolerance_ang: options.merge_tolerance_ang,
        },
        &mut symmetry_notes,
    )?;
    let type_ox = read_type_oxidation_numbers(block, path)?;
    let mut cell = CellBuilder::new(lattice, options.merge_tolerance_ang);
    for r in 0..sites.num_rows() {
        let row = cell.read_row(sites, r, &type_ox, path)?;
        if row.occupancy == 0.0 {
            cell.warnings.push(format!(
                "{path}, line {}: site {} has occupancy 0 and is skipped",
                row.line, row.label
            ));
            continue;
        }
        cell.add_row(row, &ops, path)?;
    }
    let mut loaded = cell.finish(ops, &block.name, sites.line, path)?;
    loaded.warnings.extend(other_structures);
    loaded.warnings.extend(symmetry_notes);
    loaded.measurement_temperature =
        read_measurement_temperature(block, path, &mut loaded.warnings);
    Ok(loaded)
}

/// The data block to read: the one named (case-insensitive), else the first with atom sites,
/// else the first.
fn select_block<'b>(
    blocks: &'b [Block],
    name: Option<&str>,
    path: &str,
) -> Result<&'b Block, IoError> {
    match name {
        Some(name) => blocks
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| IoError::Unsupported {
                at: Location::file(path),
                message: format!(
                    "no data block '{name}' (blocks: {})",
                    blocks
                        .iter()
                        .map(|b| b.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        None => Ok(blocks
            .iter()
            .find(|b| b.find_loop("_atom_site_fract_x").is_some())
            .unwrap_or(&blocks[0])),
    }
}

/// Oxidation numbers by type symbol from the `_atom_type_oxidation_number` loop (empty without
/// one); null entries are skipped, non-integers and |q| > 8 refused.
fn read_type_oxidation_numbers(block: &Block, path: &str) -> Result<HashMap<String, i8>, IoError> {
    let mut type_ox: HashMap<String, i8> = HashMap::new();
    if let Some(l) = block.find_loop("_atom_type_oxidation_number") {
        let tag = "_atom_type_oxidation_number";
        for r in 0..l.num_rows() {
            let (Some(sym), Some(ox)) = (col(l, r, "_atom_type_symbol"), col(l, r, tag)) else {
                return Err(IoError::syntax(
                    Location::field(path, Some(l.line), "_atom_type_symbol"),
                    "_atom_type_oxidation_number without _atom_type_symbol",
                ));
            };
            if ox.is_null() {
                continue;
            }
            let x = cell_number(ox, tag, path)?;
            if (x - x.round()).abs() > 1e-6 || x.abs() > 8.0 {
                return Err(IoError::Unsupported {
                    at: Location::field(path, Some(ox.line), tag),
                    message: format!("oxidation number {x} is not an integer in [-8, 8]"),
                });
            }
            type_ox.insert(sym.text.clone(), x.round() as i8);
        }
    }
    Ok(type_ox)
}

/// The atom-site loop, checked for fractional x, y, z and a type symbol or label column.
fn atom_site_loop<'b>(block: &'b Block, path: &str) -> Result<&'b Loop, IoError> {
    let Some(sites) = block.find_loop("_atom_site_fract_x") else {
        return Err(IoError::syntax(
            Location::field(path, None, "_atom_site_fract_x"),
            format!(
                "no atom sites with fractional coordinates in data block '{}'",
                block.name
            ),
        ));
    };
    for t in ["_atom_site_fract_y", "_atom_site_fract_z"] {
        if sites.column(t).is_none() {
            return Err(IoError::syntax(
                Location::field(path, Some(sites.line), t),
                "missing column in the atom site loop",
            ));
        }
    }
    if sites.column("_atom_site_type_symbol").is_none()
        && sites.column("_atom_site_label").is_none()
    {
        return Err(IoError::syntax(
            Location::field(path, Some(sites.line), "_atom_site_type_symbol"),
            "atom site loop has neither _atom_site_type_symbol nor _atom_site_label",
        ));
    }
    Ok(sites)
}

/// The type symbol of atom-site row `r` and the tag it was read from: `_atom_site_type_symbol`
/// when given, else `_atom_site_label`.
fn row_type_symbol<'a>(
    sites: &'a Loop,
    r: usize,
    row_line: usize,
    path: &str,
) -> Result<(&'static str, &'a Value), IoError> {
    match col(sites, r, "_atom_site_type_symbol") {
        Some(v) if !v.is_null() => Ok(("_atom_site_type_symbol", v)),
        _ => match col(sites, r, "_atom_site_label") {
            Some(v) => Ok(("_atom_site_label", v)),
            None => Err(IoError::syntax(
                Location::field(path, Some(row_line), "_atom_site_type_symbol"),
                "unknown type symbol '?' and no label",
            )),
        },
    }
}

/// Oxidation state of a row's species and its source: `_atom_type_oxidation_number` (with a
/// warning when the symbol's charge disagrees), else the charge in the symbol, else the formal
/// table.
fn row_oxidation_state(
    sym_val: &Value,
    element: Element,
    symbol_charge: Option<i8>,
    type_ox: &HashMap<String, i8>,
    warnings: &mut Vec<String>,
    path: &str,
) -> (Option<i8>, OxidationSource) {
    if let Some(&q) = type_ox.get(&sym_val.text) {
        if let Some(c) = symbol_charge {
            if c != q {
                warnings.push(format!(
                    "{}, line {}: type symbol {} says {c:+} but _atom_type_oxidation_number \
                     says {q:+}; using {q:+}",
                    path, sym_val.line, sym_val.text
                ));
            }
        }
        (Some(q), OxidationSource::AtomTypeOxidationNumber)
    } else if let Some(c) = symbol_charge {
        (Some(c), OxidationSource::TypeSymbol)
    } else if let Some(q) = halo_data::elements::formal_oxidation_state(element) {
        (Some(q), OxidationSource::FormalTable)
    } else {
        (None, OxidationSource::Unknown)
    }
}

/// Fractional coordinates of atom-site row `r`.
fn row_coordinates(
    sites: &Loop,
    r: usize,
    row_line: usize,
    path: &str,
) -> Result<[f64; 3], IoError> {
    let mut f = [0.0; 3];
    for (k, t) in [
        "_atom_site_fract_x",
        "_atom_site_fract_y",
        "_atom_site_fract_z",
    ]
    .iter()
    .enumerate()
    {
        let v = col(sites, r, t).ok_or_else(|| {
            IoError::syntax(Location::field(path, Some(row_line), t), "missing value")
        })?;
        f[k] = cell_number(v, t, path)?;
        // a coordinate many cells away is a typing slip (1e308, a percent value), and beyond
        // 2^52 its images are lost to round-off
        if f[k].abs() > MAX_FRACTIONAL_COORDINATE {
            return Err(IoError::syntax(
                Location::field(path, Some(v.line), t),
                format!(
                    "fractional coordinate {} is not a position in the cell (|x| > \
                     {MAX_FRACTIONAL_COORDINATE})",
                    v.text.trim()
                ),
            ));
        }
    }
    Ok(f)
}

/// Largest |fractional coordinate| read: rows slightly outside [0, 1) are common (−0.25, 1.125),
/// ones ten cells away are not.
const MAX_FRACTIONAL_COORDINATE: f64 = 10.0;

/// Most a refined occupancy may exceed 1 and still be read as a full site, whatever its stated
/// uncertainty (1.2(4) is not a measurement of a full site).
const MAX_OCCUPANCY_EXCESS: f64 = 0.1;

/// Occupancy of atom-site row `r` and its stated esd, checked to lie in [0, 1]. Not given, or `.` (inapplicable): 1,
/// the CIF core dictionary's default. `?` (unknown): 1 as well (pymatgen does the same), with a
/// warning naming the line, since a refined partial site written as unknown would otherwise
/// change the formula unseen.
fn row_occupancy(
    sites: &Loop,
    r: usize,
    row_line: usize,
    label: &str,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<(f64, Option<f64>), IoError> {
    let mut esd = 0.0;
    let occ = match col(sites, r, "_atom_site_occupancy") {
        Some(v) if !v.is_null() => {
            esd = crate::cif_syntax::parse_esd(v).unwrap_or(0.0);
            cell_number(v, "_atom_site_occupancy", path)?
        }
        Some(v) if v.text == "?" => {
            warnings.push(format!(
                "{path}, line {row_line}: the occupancy of {label} is unknown ('?'); read as 1, \
                 the CIF default"
            ));
            1.0
        }
        _ => 1.0,
    };
    let stated = (esd > 0.0).then_some(esd);
    // a refined occupancy above 1 within three standard uncertainties (1.002(4)), or within the
    // rounding tolerance, is a full site: read as 1, said when it is more than round-off
    let allowed = OCCUPANCY_TOLERANCE.max((3.0 * esd).min(MAX_OCCUPANCY_EXCESS));
    if !(0.0..=1.0 + allowed).contains(&occ) {
        return Err(IoError::syntax(
            Location::field(path, Some(row_line), "_atom_site_occupancy"),
            format!(
                "occupancy {occ} of {label} is outside [0, 1]{}",
                if esd > 0.0 {
                    format!(" by more than three standard uncertainties ({esd})")
                } else {
                    String::new()
                }
            ),
        ));
    }
    if occ > 1.0 {
        if occ - 1.0 > 1e-6 {
            warnings.push(format!(
                "{path}, line {row_line}: occupancy {occ} of {label} is above 1 within {}: read \
                 as 1",
                if esd > 0.0 {
                    format!("three standard uncertainties ({esd})")
                } else {
                    format!("the rounding tolerance ({OCCUPANCY_TOLERANCE})")
                }
            ));
        }
        return Ok((1.0, stated));
    }
    Ok((occ, stated))
}

/// Distinct images of `f` under every operation, wrapped to [0, 1), in operation order.
fn symmetry_images(ops: &[SymOp], lattice: &Lattice, f: [f64; 3], tol: f64) -> Vec<Vector3<f64>> {
    let fv = Vector3::from(f);
    let mut images: Vec<Vector3<f64>> = Vec::new();
    for op in ops {
        let p = op.apply(&fv).map(halo_core::lattice::wrap_frac);
        if !images
            .iter()
            .any(|q| periodic_distance(lattice, q, &p) < tol)
        {
            images.push(p);
        }
    }
    images
}

/// Images of one row closer than this (Å) cannot be atoms that coexist: when their occupancies
/// sum to more than 1 they are one special position written with noise on its coordinates.
/// Far below any distance between like atoms in a halide (Li–Li ≥ 2.2 Å), far above the
/// merge tolerance and the splitting that noise of 0.01 fractional gives (≲ 0.5 Å).
pub const NOISY_SPECIAL_POSITION_ANG: f64 = 1.0;

/// The images of one row grouped by single linkage at [`NOISY_SPECIAL_POSITION_ANG`]
/// (periodic distance), each group in image order.
fn image_groups(images: &[Vector3<f64>], lattice: &Lattice) -> Vec<Vec<usize>> {
    let n = images.len();
    let mut group: Vec<usize> = (0..n).collect();
    for i in 0..n {
        for j in 0..i {
            if periodic_distance(lattice, &images[i], &images[j]) < NOISY_SPECIAL_POSITION_ANG {
                let (gi, gj) = (group[i], group[j]);
                if gi != gj {
                    for g in group.iter_mut() {
                        if *g == gi {
                            *g = gj;
                        }
                    }
                }
            }
        }
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut seen = vec![false; n];
    for i in 0..n {
        if !seen[i] {
            let members: Vec<usize> = (i..n).filter(|&k| group[k] == group[i]).collect();
            for &k in &members {
                seen[k] = true;
            }
            out.push(members);
        }
    }
    out
}

/// Whether the groups of a row's images (occupancy `occ`, `stated` multiplicity) are one
/// special position written with noise: the stated multiplicity decides when the file gives one
/// (as many groups as it states: noise; as many images: distinct atoms), else the occupancy
/// (a group holding more than one atom's occupancy cannot be distinct atoms; a split-site
/// model, whose members share one atom, is kept).
fn is_noisy_special_position(
    groups: &[Vec<usize>],
    n_images: usize,
    occ: f64,
    stated: Option<usize>,
) -> bool {
    if groups.len() == n_images {
        return false;
    }
    match stated {
        Some(m) if m == groups.len() => true,
        Some(m) if m == n_images => false,
        _ => groups
            .iter()
            .any(|g| g.len() > 1 && occ * g.len() as f64 > 1.0 + OCCUPANCY_TOLERANCE),
    }
}

/// Every group of more than one image replaced by its centre — the average of the members, each
/// taken at its image nearest the group's first member, which for the images of a point near a
/// special position is that position (the average of the site-symmetry operations projects onto
/// it).
fn merge_groups(images: &[Vector3<f64>], groups: &[Vec<usize>]) -> Vec<Vector3<f64>> {
    groups
        .iter()
        .map(|g| {
            let first = images[g[0]];
            let sum: Vector3<f64> = g
                .iter()
                .map(|&k| {
                    let d = images[k] - first;
                    first + d.map(|x| x - x.round())
                })
                .sum();
            (sum / g.len() as f64).map(halo_core::lattice::wrap_frac)
        })
        .collect()
}

/// One `_atom_site_` row as read: label, species, position, occupancy and line.
struct AtomSiteRow {
    label: String,
    species: Species,
    frac_coords: [f64; 3],
    occupancy: f64,
    occupancy_esd: Option<f64>,
    line: usize,
    /// `_atom_site_symmetry_multiplicity` as the file states it.
    stated_multiplicity: Option<usize>,
}

/// The cell being built from the atom-site rows: rows kept, merged sites, the rows merged into
/// each site, oxidation states used and warnings.
struct CellBuilder {
    lattice: Lattice,
    tol: f64,
    asym: Vec<AsymmetricSite>,
    sites: Vec<Site>,
    origins: Vec<Vec<usize>>,
    oxidation: Vec<OxidationAssignment>,
    warnings: Vec<String>,
}

impl CellBuilder {
    /// An empty cell on `lattice` merging images closer than `tol` Å.
    fn new(lattice: Lattice, tol: f64) -> CellBuilder {
        CellBuilder {
            lattice,
            tol,
            asym: Vec::new(),
            sites: Vec::new(),
            origins: Vec::new(),
            oxidation: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Read atom-site row `r` (species with its oxidation state recorded, coordinates,
    /// occupancy).
    fn read_row(
        &mut self,
        sites: &Loop,
        r: usize,
        type_ox: &HashMap<String, i8>,
        path: &str,
    ) -> Result<AtomSiteRow, IoError> {
        let row_line = sites.row(r)[0].line;
        let label = col(sites, r, "_atom_site_label")
            .map(|v| v.text.clone())
            .unwrap_or_default();
        let (sym_tag, sym_val) = row_type_symbol(sites, r, row_line, path)?;
        let (element, symbol_charge) =
            parse_type_symbol(&sym_val.text).map_err(|symbol| IoError::UnknownElement {
                at: Location::field(path, Some(sym_val.line), sym_tag),
                symbol,
            })?;
        let (q, source) = row_oxidation_state(
            sym_val,
            element,
            symbol_charge,
            type_ox,
            &mut self.warnings,
            path,
        );
        if q.is_none() && !self.oxidation.iter().any(|a| a.element == element.symbol()) {
            self.warnings.push(format!(
                "no oxidation state known for {element}: charges cannot be checked"
            ));
        }
        charge::record(&mut self.oxidation, element, q, source);
        let species = Species {
            element,
            oxidation_state: q,
        };
        let frac_coords = row_coordinates(sites, r, row_line, path)?;
        let (occupancy, occupancy_esd) =
            row_occupancy(sites, r, row_line, &label, path, &mut self.warnings)?;
        let stated_multiplicity = col(sites, r, "_atom_site_symmetry_multiplicity")
            .filter(|v| !v.is_null())
            .and_then(|v| v.text.trim().parse::<usize>().ok());
        Ok(AtomSiteRow {
            label,
            species,
            frac_coords,
            occupancy,
            occupancy_esd,
            line: row_line,
            stated_multiplicity,
        })
    }

    /// Keep `row` and merge its images under `ops` into the sites.
    fn add_row(&mut self, row: AtomSiteRow, ops: &[SymOp], path: &str) -> Result<(), IoError> {
        let ai = self.asym.len();
        let mut images = symmetry_images(ops, &self.lattice, row.frac_coords, self.tol);
        // images of one row that lie within NOISY_SPECIAL_POSITION_ANG of each other: one
        // special position whose coordinates carry noise, or a split-site model
        let groups = image_groups(&images, &self.lattice);
        if is_noisy_special_position(
            &groups,
            images.len(),
            row.occupancy,
            row.stated_multiplicity,
        ) {
            let merged = merge_groups(&images, &groups);
            self.warnings.push(format!(
                "{path}, line {}: the {} images of site {} under the symmetry operations fall \
                 within {NOISY_SPECIAL_POSITION_ANG} Å of each other in {} groups ({}; a special \
                 position with noise on its coordinates?): each group merged to its centre",
                row.line,
                images.len(),
                row.label,
                merged.len(),
                match row.stated_multiplicity {
                    Some(m) if m == merged.len() => "the file's stated multiplicity",
                    _ => "more than one atom's occupancy in a group",
                },
            ));
            images = merged;
        }
        // a stated multiplicity the operations do not give: operations in another setting than
        // the coordinates' (an origin choice), or centring translations missing
        if let Some(m) = row.stated_multiplicity.filter(|&m| m != images.len()) {
            self.warnings.push(format!(
                "{path}, line {}: site {} has multiplicity {m} in the file \
                 (_atom_site_symmetry_multiplicity) but {} images under its symmetry \
                 operations: the operations (or their setting) may not be the coordinates'",
                row.line,
                row.label,
                images.len()
            ));
        }
        self.asym.push(AsymmetricSite {
            label: row.label.clone(),
            species: row.species,
            occupancy: row.occupancy,
            occupancy_esd: row.occupancy_esd,
            frac_coords: row.frac_coords,
            multiplicity: images.len(),
            line: row.line,
        });
        for p in images {
            self.merge_image(&row, ai, p, path)?;
        }
        Ok(())
    }

    /// Add image `p` of row `ai`: to the site within the tolerance (refusing occupancies that
    /// sum to more than 1), else as a new site.
    fn merge_image(
        &mut self,
        row: &AtomSiteRow,
        ai: usize,
        p: Vector3<f64>,
        path: &str,
    ) -> Result<(), IoError> {
        let (species, occ) = (row.species, row.occupancy);
        let existing = self
            .sites
            .iter()
            .position(|s| periodic_distance(&self.lattice, &s.frac_coords, &p) < self.tol);
        match existing {
            Some(k) => {
                let s = &mut self.sites[k];
                if let Some(e) = s.species.iter_mut().find(|(sp, _)| *sp == species) {
                    e.1 += occ;
                } else {
                    s.species.push((species, occ));
                }
                if !self.origins[k].contains(&ai) {
                    self.origins[k].push(ai);
                }
                let total = s.total_occupancy();
                if total > 1.0 + OCCUPANCY_TOLERANCE {
                    let labels: Vec<&str> = self.origins[k]
                        .iter()
                        .map(|&i| self.asym[i].label.as_str())
                        .collect();
                    return Err(IoError::syntax(
                        Location::field(path, Some(row.line), "_atom_site_occupancy"),
                        format!(
                            "rows {} share a position and their occupancies sum to {total:.4} > 1",
                            labels.join(", ")
                        ),
                    ));
                }
            }
            None => {
                self.sites.push(Site {
                    species: vec![(species, occ)],
                    frac_coords: p,
                    label: Some(row.label.clone()),
                });
                self.origins.push(vec![ai]);
            }
        }
        Ok(())
    }

    /// The structure with its charge balance: the [`LoadedStructure`] of block `block_name`
    /// (`sites_line`: line of the atom-site loop, named when no site is occupied).
    fn finish(
        mut self,
        ops: Vec<SymOp>,
        block_name: &str,
        sites_line: usize,
        path: &str,
    ) -> Result<LoadedStructure, IoError> {
        if self.sites.is_empty() {
            return Err(IoError::syntax(
                Location::field(path, Some(sites_line), "_atom_site_occupancy"),
                "no occupied atom sites",
            ));
        }
        let structure =
            Structure::new(self.lattice, self.sites).map_err(|e| IoError::Structure {
                at: Location::file(path),
                error: e,
            })?;
        // two sites that cannot both be occupied: named at the row of the later one
        let row = |site: usize| self.origins[site].first().map(|&ai| self.asym[ai].line);
        crate::check_overlaps(
            &structure,
            path,
            |o| Location::field(path, row(o.site_b).or(row(o.site_a)), "_atom_site_fract_x"),
            &mut self.warnings,
        )?;
        let charge = charge::charge_balance(&structure);
        if let Some(w) = charge.as_ref().and_then(charge::charge_warning) {
            self.warnings.push(w);
        }
        Ok(LoadedStructure {
            structure,
            format: crate::Format::Cif,
            source_path: path.to_string(),
            block_name: Some(block_name.to_string()),
            asymmetric_sites: self.asym,
            site_origins: self.origins,
            oxidation_states: self.oxidation,
            merge_tolerance_ang: Some(self.tol),
            num_symmetry_operations: ops.len(),
            symmetry_operations: ops,
            charge,
            warnings: self.warnings,
            selective_dynamics: None,
            measurement_temperature: None,
        })
    }
}

fn fmt_species_symbol(sp: &Species) -> String {
    sp.to_string()
}

/// Write a structure as a P1 CIF in the layout of pymatgen's `CifWriter`: one `_atom_site_` row
/// per species and site (a mixed site gives several rows at one position, which readers merge),
/// labelled with the site's label (repeated on a refined site's images, as pymatgen ≥ 2024
/// writes `site.label`; element and count for a site without one), occupancies, and
/// `_atom_type_oxidation_number` when oxidation states are known.
pub fn write_cif_string(structure: &Structure, data_name: &str) -> String {
    let mut s = String::new();
    let comp = structure.composition();
    let formula = comp.formula();
    let (abc, ang) = (structure.lattice.abc(), structure.lattice.angles_deg());
    let name: String = data_name
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    let _ = writeln!(
        s,
        "# generated by halo-io (P1, occupancies and oxidation states)"
    );
    let _ = writeln!(s, "data_{name}");
    let _ = writeln!(s, "_symmetry_space_group_name_H-M   'P 1'");
    for (t, v) in [
        ("_cell_length_a", abc[0]),
        ("_cell_length_b", abc[1]),
        ("_cell_length_c", abc[2]),
        ("_cell_angle_alpha", ang[0]),
        ("_cell_angle_beta", ang[1]),
        ("_cell_angle_gamma", ang[2]),
    ] {
        let _ = writeln!(s, "{t}   {v:.10}");
    }
    let _ = writeln!(s, "_symmetry_Int_Tables_number   1");
    let _ = writeln!(
        s,
        "_chemical_formula_structural   {}",
        comp.reduced_formula()
    );
    let _ = writeln!(s, "_chemical_formula_sum   '{formula}'");
    let _ = writeln!(s, "_cell_volume   {:.10}", structure.volume_ang3());
    let _ = writeln!(
        s,
        "loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  'x, y, z'"
    );
    let mut species: Vec<Species> = Vec::new();
    for site in &structure.sites {
        for (sp, _) in &site.species {
            if !species.contains(sp) {
                species.push(*sp);
            }
        }
    }
    if species.iter().all(|sp| sp.oxidation_state.is_some()) {
        let _ = writeln!(s, "loop_\n _atom_type_symbol\n _atom_type_oxidation_number");
        for sp in &species {
            let _ = writeln!(
                s,
                "  {}  {:.1}",
                fmt_species_symbol(sp),
                sp.oxidation_state.unwrap_or(0) as f64
            );
        }
    }
    let _ = writeln!(
        s,
        "loop_\n _atom_site_type_symbol\n _atom_site_label\n _atom_site_symmetry_multiplicity\n \
         _atom_site_fract_x\n _atom_site_fract_y\n _atom_site_fract_z\n _atom_site_occupancy"
    );
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for site in &structure.sites {
        for (sp, occ) in &site.species {
            let el = sp.element.symbol();
            let n = counts.entry(el).or_insert(0);
            // the site's own label (a refined site's, repeated on its images and on every
            // species of a mixed site, as pymatgen's CifWriter writes `site.label`), so that
            // label-keyed inputs (`--site-energies`, `--sites`, the grounding) still find it;
            // element and count where the site has none
            let label = match &site.label {
                Some(l) if is_bare_word(l) => l.clone(),
                _ => format!("{el}{n}"),
            };
            *n += 1;
            let f = site.frac_coords;
            let _ = writeln!(
                s,
                "  {}  {}  1  {:.10}  {:.10}  {:.10}  {}",
                fmt_species_symbol(sp),
                label,
                f.x,
                f.y,
                f.z,
                occ
            );
        }
    }
    s
}

/// A label that CIF can hold unquoted: no whitespace, and not starting like a tag, a comment,
/// a quote, a text field or a reserved word's bracket.
fn is_bare_word(l: &str) -> bool {
    !l.is_empty()
        && !l.contains(char::is_whitespace)
        && !l.starts_with(['_', '#', '$', '\'', '"', '[', ']', ';'])
        && !["data_", "loop_", "save_", "global_", "stop_"]
            .iter()
            .any(|w| l.to_ascii_lowercase().starts_with(w))
}

/// Write a P1 CIF file (see [`write_cif_string`]).
pub fn write_cif(structure: &Structure, path: &std::path::Path) -> Result<(), IoError> {
    let name = structure.composition().reduced_formula();
    std::fs::write(path, write_cif_string(structure, &name)).map_err(|e| IoError::Write {
        path: path.display().to_string(),
        error: e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    const ROCKSALT: &str = "data_LiCl
_cell_length_a 5.13(1)
_cell_length_b 5.13
_cell_length_c 5.13
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'F m -3 m'
loop_
_space_group_symop_operation_xyz
'x, y, z'
'x, y+1/2, z+1/2'
'1/2+x, y, 1/2+z'
'x+1/2, y+1/2, z'
'-x, -y, -z'
loop_
_atom_type_symbol
_atom_type_oxidation_number
Li1+ 1
Cl1- -1
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Li1 Li1+ 0 0 0 1
Cl1 Cl1- 0.5 0.5 0.5 1.0(0)
";

    /// Two full sites 0.07 Å apart (a duplicated row) are refused at the later row's line,
    /// naming both labels; a shared split position is read.
    #[test]
    fn overlapping_rows_are_refused() {
        // P1: in the rock-salt group a row near Cl1's inversion centre would be merged back onto
        // it as a noisy special position (refused as a shared position, also naming the line)
        let p1 = ROCKSALT.replace("'F m -3 m'", "'P 1'").replace(
            "'x, y+1/2, z+1/2'\n'1/2+x, y, 1/2+z'\n'x+1/2, y+1/2, z'\n'-x, -y, -z'\n",
            "",
        );
        let dup = p1.clone() + "Cl2 Cl1- 0.5 0.5 0.5136 1\n";
        let e = parse_cif(&dup, "dup.cif", &CifOptions::default())
            .unwrap_err()
            .to_string();
        let line = dup.lines().count();
        assert!(
            e.contains(&format!("dup.cif, line {line}"))
                && e.contains("sites Cl1 and Cl2 are 0.070 Å apart")
                && e.contains("sum to 2.000 > 1"),
            "{e}"
        );
        let split = p1.replace(
            "Li1 Li1+ 0 0 0 1",
            "Li1 Li1+ 0 0 0 0.5\nLi2 Li1+ 0.02 0 0 0.5",
        );
        let r = parse_cif(&split, "split.cif", &CifOptions::default()).unwrap();
        assert_eq!(r.structure.num_sites(), 3);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        // halves refined independently to a little more than one ion: read, with a warning
        let sloppy = split.replace(
            " 0.5\nLi2 Li1+ 0.02 0 0 0.5",
            " 0.56\nLi2 Li1+ 0.02 0 0 0.55",
        );
        let r = parse_cif(&sloppy, "sloppy.cif", &CifOptions::default()).unwrap();
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("sites Li1 and Li2") && w.contains("read as given")),
            "{:?}",
            r.warnings
        );
    }

    /// An operation that does not keep the cell's distances (another setting's) is refused: a
    /// listed one by its line, one generated from a symbol by the symbol.
    #[test]
    fn operations_of_another_setting_are_refused() {
        let hex_op = ROCKSALT.replace("'-x, -y, -z'", "'-y, x-y, z'");
        let line = hex_op.lines().position(|l| l == "'-y, x-y, z'").unwrap() + 1;
        let e = parse_cif(&hex_op, "hex.cif", &CifOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("hex.cif, line {line}")) && e.contains("does not map the cell"),
            "{e}"
        );
        // 'R -3 m H' names hexagonal axes; a rhombohedral cell (a = b = c, α = β = γ = 60°)
        let rh = "data_x\n_cell_length_a 3.6275\n_cell_length_b 3.6275\n_cell_length_c 3.6275\n\
                  _cell_angle_alpha 60\n_cell_angle_beta 60\n_cell_angle_gamma 60\n\
                  _symmetry_space_group_name_H-M 'R -3 m H'\nloop_\n_atom_site_label\n\
                  _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nLi1 0 0 0\n\
                  Cl1 0.5 0.5 0.5\n";
        let e = parse_cif(rh, "rh.cif", &CifOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'R -3 m H'") && e.contains("does not map the cell"),
            "{e}"
        );
        let r = parse_cif(
            &rh.replace("'R -3 m H'", "'R -3 m R'"),
            "rh.cif",
            &CifOptions::default(),
        );
        assert_eq!(r.unwrap().structure.num_sites(), 2);
        // a four-fold axis on a 3.0 × 3.5 × 30 Å cell: the a–b swap is small beside c² but not
        // beside a·b (the first tolerance, relative to the longest axis, let it through)
        let ortho = "data_o\n_cell_length_a 3.0\n_cell_length_b 3.5\n_cell_length_c 30\n\
                     _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n\
                     _symmetry_equiv_pos_as_xyz\n'x, y, z'\n'-y, x, z'\nloop_\n\
                     _atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n\
                     _atom_site_fract_z\nLi1 0 0 0\nCl1 0.5 0.5 0.5\n";
        let e = parse_cif(ortho, "o.cif", &CifOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("'-y, x, z' does not map the cell"), "{e}");
    }

    #[test]
    fn symop_parsing() {
        let op = SymOp::parse("-y+1/4, x-y, 1/2+z").unwrap();
        assert_eq!(op.rotation[(0, 1)], -1.0);
        assert_eq!(op.rotation[(1, 0)], 1.0);
        assert_eq!(op.rotation[(1, 1)], -1.0);
        assert_relative_eq!(op.translation[0], 0.25);
        assert_relative_eq!(op.translation[2], 0.5);
        let op = SymOp::parse("+X,0.5+y,-z").unwrap();
        assert_relative_eq!(op.translation[1], 0.5);
        assert_eq!(op.rotation[(2, 2)], -1.0);
        assert!(SymOp::parse("x, y").is_err());
        assert!(SymOp::parse("x, y, w").is_err());
        assert!(SymOp::parse("x, y, z+1/0").is_err());
    }

    #[test]
    fn type_symbols() {
        let el = |s| Element::from_symbol(s).unwrap();
        assert_eq!(parse_type_symbol("Li1+"), Ok((el("Li"), Some(1))));
        assert_eq!(parse_type_symbol("Cl-"), Ok((el("Cl"), Some(-1))));
        assert_eq!(parse_type_symbol("Sc3+"), Ok((el("Sc"), Some(3))));
        assert_eq!(parse_type_symbol("Li3"), Ok((el("Li"), None)));
        assert_eq!(parse_type_symbol("CL"), Ok((el("Cl"), None)));
        assert_eq!(parse_type_symbol("Cl5a"), Ok((el("Cl"), None)));
        assert_eq!(parse_type_symbol("Xx3+"), Err("Xx".to_string()));
        assert!(parse_type_symbol("3+").is_err());
    }

    #[test]
    fn rocksalt_from_centring_ops() {
        let r = parse_cif(ROCKSALT, "rs.cif", &CifOptions::default()).unwrap();
        let s = &r.structure;
        assert_eq!(s.num_sites(), 8);
        assert_eq!(s.composition().reduced_formula(), "LiCl");
        assert_eq!(r.asymmetric_sites[0].multiplicity, 4);
        assert!(r
            .oxidation_states
            .iter()
            .all(|a| a.source == OxidationSource::AtomTypeOxidationNumber));
        let c = r.charge.unwrap();
        assert!(c.neutral);
        assert_eq!(c.formula_units_z, 4.0);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    /// An occupancy written `?` (unknown) is read as 1 with a warning naming its line; `.`
    /// (inapplicable) and a missing column are the CIF default 1 without one.
    #[test]
    fn an_unknown_occupancy_is_read_as_one_and_named() {
        let text = |occ: &str| {
            format!(
                "data_t\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n\
                 _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
                 loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n\
                 _atom_site_fract_z\n_atom_site_occupancy\nLi1 0 0 0 {occ}\nCl1 0.5 0.5 0.5 1\n"
            )
        };
        let parse = |occ: &str| parse_cif(&text(occ), "t.cif", &CifOptions::default());
        let li = |r: &LoadedStructure| r.structure.sites[0].total_occupancy();
        let unknown = parse("?").unwrap();
        assert_eq!(li(&unknown), 1.0);
        let named: Vec<_> = unknown
            .warnings
            .iter()
            .filter(|w| w.contains("t.cif, line 14: the occupancy of Li1 is unknown ('?')"))
            .collect();
        assert_eq!(named.len(), 1, "{:?}", unknown.warnings);
        for occ in [".", "1"] {
            let r = parse(occ).unwrap();
            assert_eq!(li(&r), 1.0);
            assert!(
                !r.warnings.iter().any(|w| w.contains("unknown")),
                "{occ}: {:?}",
                r.warnings
            );
        }
        // quoted, it is the literal text, not a number: refused naming the field
        let err = parse("'?'").unwrap_err().to_string();
        assert!(err.contains("_atom_site_occupancy"), "{err}");
        // a refined occupancy above 1 within three standard uncertainties, or by round-off, is
        // a full site (read as 1, said); beyond them, or beyond 1.1, it is refused
        for occ in ["1.002(4)", "1.02(1)", "1.0004"] {
            let r = parse(occ).unwrap();
            assert_eq!(li(&r), 1.0, "{occ}");
            assert!(
                r.warnings.iter().any(|w| w.contains("is above 1 within")),
                "{occ}: {:?}",
                r.warnings
            );
        }
        for occ in ["1.01", "1.05(1)", "1.2(4)"] {
            let err = parse(occ).unwrap_err().to_string();
            assert!(err.contains("outside [0, 1]"), "{occ}: {err}");
        }
    }

    /// The measurement temperature: the diffraction tag first, its esd dropped; the cell
    /// measurement's when the first is absent or null; a value that is no temperature is a
    /// warning naming the line, never a refused structure.
    #[test]
    fn measurement_temperature_from_the_diffraction_or_cell_tag() {
        let cif = |extra: &str| {
            format!(
                "data_t\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n\
                 _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n{extra}\
                 loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n\
                 _atom_site_fract_z\n_atom_site_occupancy\nLi1 0 0 0 0.5\nCl1 0.5 0.5 0.5 1\n"
            )
        };
        let read = |extra: &str| parse_cif(&cif(extra), "t.cif", &CifOptions::default()).unwrap();
        let r = read("_cell_measurement_temperature 293\n_diffrn_ambient_temperature 100(2)\n");
        assert_eq!(
            r.measurement_temperature,
            Some(MeasurementTemperature {
                temperature_k: 100.0,
                tag: "_diffrn_ambient_temperature".into(),
                line: 9,
            })
        );
        let r = read("_diffrn_ambient_temperature ?\n_cell_measurement_temperature 293(1)\n");
        let t = r.measurement_temperature.unwrap();
        assert_eq!(
            (t.temperature_k, t.tag.as_str()),
            (293.0, "_cell_measurement_temperature")
        );
        assert_eq!(read("").measurement_temperature, None);
        let r = read("_diffrn_ambient_temperature 'room temperature'\n");
        assert_eq!(r.measurement_temperature, None);
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("t.cif, line 8: _diffrn_ambient_temperature")),
            "{:?}",
            r.warnings
        );
        let r = read("_diffrn_ambient_temperature -5\n");
        assert_eq!(r.measurement_temperature, None);
        assert_eq!(r.warnings.len(), read("").warnings.len() + 1);
    }

    #[test]
    fn mixed_site_and_formal_states() {
        let cif = "data_a\ndata_mixed\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n\
                   _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
                   loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n\
                   _atom_site_fract_z\n_atom_site_occupancy\nLi1 0 0 0 0.5\nSc1 0 0 0.00001 0.1666667\n\
                   Cl1 0.5 0.5 0.5 1\n";
        let r = parse_cif(cif, "m.cif", &CifOptions::default()).unwrap();
        assert_eq!(r.block_name.as_deref(), Some("mixed"));
        assert_eq!(r.structure.num_sites(), 2);
        assert_eq!(r.structure.sites[0].species.len(), 2);
        assert_eq!(r.site_origins[0], vec![0, 1]);
        assert!(r
            .oxidation_states
            .iter()
            .all(|a| a.source == OxidationSource::FormalTable));
        // Li 0.5 + Sc 0.5 - Cl 1 = 0
        assert!(r.charge.unwrap().net_charge_cell_e.abs() < 1e-6);
        let named = CifOptions {
            block: Some("A".into()),
            ..CifOptions::default()
        };
        assert!(parse_cif(cif, "m.cif", &named).is_err());
    }

    #[test]
    fn charges_from_type_symbols_and_conflicts() {
        let cif = "data_x\n_cell_length_a 5.13\n_cell_length_b 5.13\n_cell_length_c 5.13\n\
                   _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
                   loop_\n_atom_type_symbol\n_atom_type_oxidation_number\nCl1- -1.0(0)\n\
                   loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n\
                   _atom_site_fract_y\n_atom_site_fract_z\nLi1 'Li1+' 0.0(1) 0 0\n\
                   Cl1 \"Cl1-\" 0.50000(2) 0.5 0.5\n";
        let r = parse_cif(cif, "q.cif", &CifOptions::default()).unwrap();
        let src = |el: &str| {
            r.oxidation_states
                .iter()
                .find(|a| a.element == el)
                .unwrap()
                .source
        };
        assert_eq!(src("Li"), OxidationSource::TypeSymbol);
        assert_eq!(src("Cl"), OxidationSource::AtomTypeOxidationNumber);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        // an _atom_type_oxidation_number that contradicts the symbol wins, with a warning
        let conflict = cif.replace("Cl1- -1.0(0)", "Cl1- -2");
        let r = parse_cif(&conflict, "q.cif", &CifOptions::default()).unwrap();
        assert!(
            r.warnings.iter().any(|w| w.contains("q.cif, line 19")),
            "{:?}",
            r.warnings
        );
        assert_eq!(r.structure.sites[1].species[0].0.oxidation_state, Some(-2));
        // and a structure that is then not neutral says so
        assert!(r.warnings.iter().any(|w| w.contains("not charge neutral")));
        // the calculations restate the charge themselves: the reader's other findings only
        let besides: Vec<&String> = r.warnings_besides_charge().collect();
        assert_eq!(besides.len(), r.warnings.len() - 1, "{:?}", r.warnings);
        assert!(besides.iter().all(|w| !w.contains("not charge neutral")));
        assert!(besides.iter().any(|w| w.contains("q.cif, line 19")));
    }

    #[test]
    fn overfull_and_unknown() {
        let base = "data_x\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n\
                    _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
                    loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n\
                    _atom_site_fract_z\n_atom_site_occupancy\n";
        let e = parse_cif(
            &format!("{base}Li1 0 0 0 0.7\nSc1 0 0 0 0.7\n"),
            "o.cif",
            &CifOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("o.cif, line 15"), "{e}");
        let e = parse_cif(
            &format!("{base}Qq1 0 0 0 1\n"),
            "u.cif",
            &CifOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(e, IoError::UnknownElement { .. }), "{e}");
        assert!(e.to_string().contains("line 14"), "{e}");
        let e = parse_cif(
            &base.replace("_cell_length_b 4", "_cell_length_b 0"),
            "z.cif",
            &CifOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(e, IoError::DegenerateCell { .. }), "{e}");
        let e = parse_cif(
            &format!(
                "{}Li1 0 0 0 1\n",
                base.replace("_cell_angle_gamma 90", "_cell_angle_gamma 120\n")
                    .replace("_cell_angle_alpha 90", "_cell_angle_alpha 120")
                    .replace("_cell_angle_beta 90", "_cell_angle_beta 120")
            ),
            "v.cif",
            &CifOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(e, IoError::DegenerateCell { .. }), "{e}");
    }

    #[test]
    fn written_cif_reads_back() {
        let r = parse_cif(ROCKSALT, "rs.cif", &CifOptions::default()).unwrap();
        let text = write_cif_string(&r.structure, "LiCl");
        let back = parse_cif(&text, "w.cif", &CifOptions::default()).unwrap();
        assert_eq!(back.structure.num_sites(), 8);
        for (a, b) in r.structure.sites.iter().zip(&back.structure.sites) {
            assert_eq!(a.species, b.species);
            assert_relative_eq!((a.frac_coords - b.frac_coords).norm(), 0.0, epsilon = 1e-9);
        }
        assert!(back
            .oxidation_states
            .iter()
            .all(|a| a.source == OxidationSource::AtomTypeOxidationNumber));
    }
}
