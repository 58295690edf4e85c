//! # halo-io
//!
//! Structure files in and out: CIF (read with symmetry expansion and mixed sites, write as P1),
//! VASP 5 POSCAR (ordered structures), and pymatgen-compatible JSON (`Structure.as_dict()`).
//! Every error names the file and, where it can, the line and the CIF tag or POSCAR field.
//!
//! ```
//! use halo_io::{cif::{parse_cif, CifOptions}, poscar::write_poscar_string};
//! let cif = "data_LiCl
//! _cell_length_a 5.13(1)
//! _cell_length_b 5.13
//! _cell_length_c 5.13
//! _cell_angle_alpha 90
//! _cell_angle_beta 90
//! _cell_angle_gamma 90
//! loop_
//! _symmetry_equiv_pos_as_xyz
//! 'x, y, z'
//! 'x, y+1/2, z+1/2'
//! 'x+1/2, y, z+1/2'
//! 'x+1/2, y+1/2, z'
//! loop_
//! _atom_site_label
//! _atom_site_type_symbol
//! _atom_site_fract_x
//! _atom_site_fract_y
//! _atom_site_fract_z
//! Li1 Li+ 0 0 0
//! Cl1 Cl- 0.5 0.5 0.5
//! ";
//! let loaded = parse_cif(cif, "LiCl.cif", &CifOptions::default()).unwrap();
//! assert_eq!(loaded.structure.num_sites(), 8);
//! assert!(loaded.charge.as_ref().unwrap().neutral);
//! let poscar = write_poscar_string(&loaded.structure, "LiCl", None).unwrap();
//! assert!(poscar.contains("Li Cl"));
//! ```

pub mod charge;
pub mod cif;
mod cif_spacegroup;
pub mod cif_syntax;
pub mod contacts;
pub mod error;
pub mod perturb;
pub mod pmg_json;
pub mod poscar;
pub mod site_energies;

pub use charge::{
    ChargeBalance, OxidationAssignment, OxidationSource, CHARGE_NEUTRALITY_TOLERANCE_E,
};
pub use cif::{AsymmetricSite, CifOptions};
pub use error::{IoError, Location};

use halo_core::Structure;
use std::path::Path;

/// File formats halo reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Cif,
    Poscar,
    PymatgenJson,
}

impl Format {
    /// Guess from the file name: `*.cif`; `*.json`; `POSCAR*`, `CONTCAR*`, `*.vasp`, `*.poscar`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".cif") || name.ends_with(".mcif") {
            Some(Format::Cif)
        } else if name.ends_with(".json") {
            Some(Format::PymatgenJson)
        } else if name.starts_with("poscar")
            || name.starts_with("contcar")
            || name.ends_with(".vasp")
            || name.ends_with(".poscar")
        {
            Some(Format::Poscar)
        } else {
            None
        }
    }
}

/// A structure read from a file, with what the reader learned on the way: the asymmetric unit
/// (CIF), which asymmetric-unit rows each site came from, the oxidation states used and their
/// sources, the charge balance, the tolerances applied and any warnings.
#[derive(Clone, Debug)]
pub struct LoadedStructure {
    pub structure: Structure,
    pub format: Format,
    pub source_path: String,
    /// CIF data block read.
    pub block_name: Option<String>,
    /// CIF `_atom_site_` rows (empty for other formats).
    pub asymmetric_sites: Vec<AsymmetricSite>,
    /// For each site of `structure`, the indices into `asymmetric_sites` of the rows merged into
    /// it (CIF only).
    pub site_origins: Vec<Vec<usize>>,
    pub oxidation_states: Vec<OxidationAssignment>,
    /// Merge tolerance used for symmetry images, Å (CIF only).
    pub merge_tolerance_ang: Option<f64>,
    pub num_symmetry_operations: usize,
    /// The symmetry operations applied to the asymmetric unit (CIF; the identity otherwise).
    pub symmetry_operations: Vec<cif::SymOp>,
    /// Charge balance, `None` when some species has no oxidation state.
    pub charge: Option<ChargeBalance>,
    /// Non-fatal findings, e.g. a structure that is not charge neutral.
    pub warnings: Vec<String>,
    /// POSCAR selective dynamics flags, one per site.
    pub selective_dynamics: Option<Vec<[bool; 3]>>,
    /// The temperature the structure was measured at (CIF `_diffrn_ambient_temperature` or
    /// `_cell_measurement_temperature`; `None` when the file does not say).
    pub measurement_temperature: Option<cif::MeasurementTemperature>,
}

impl LoadedStructure {
    /// A structure read from a format without symmetry or CIF rows (POSCAR, pymatgen JSON): the
    /// identity as its one operation, its charge balance and, when it is not neutral, the charge
    /// warning as its one finding.
    pub(crate) fn without_symmetry(
        structure: Structure,
        format: Format,
        path: &str,
        oxidation_states: Vec<OxidationAssignment>,
    ) -> Result<Self, IoError> {
        let mut warnings = Vec::new();
        check_overlaps(&structure, path, |_| Location::file(path), &mut warnings)?;
        let charge = charge::charge_balance(&structure);
        warnings.extend(charge.as_ref().and_then(charge::charge_warning));
        Ok(LoadedStructure {
            structure,
            format,
            source_path: path.to_string(),
            block_name: None,
            asymmetric_sites: Vec::new(),
            site_origins: Vec::new(),
            oxidation_states,
            merge_tolerance_ang: None,
            num_symmetry_operations: 1,
            symmetry_operations: vec![cif::SymOp::identity()],
            charge,
            warnings,
            selective_dynamics: None,
            measurement_temperature: None,
        })
    }

    /// The reader's findings a calculation must pass on (a skipped zero-occupancy row, an
    /// oxidation state that contradicts the type symbol, an element without one), without the
    /// charge balance: the calculations restate that from the structure they ran on
    /// ([`charge::structure_charge_note`], which says what it means for their numbers), so a
    /// command printing both would say it twice.
    pub fn warnings_besides_charge(&self) -> impl Iterator<Item = &String> {
        let charge = self.charge.as_ref().and_then(charge::charge_warning);
        self.warnings
            .iter()
            .filter(move |w| Some(w.as_str()) != charge.as_deref())
    }

    /// The composition per formula unit (Z from the charge balance), made exactly neutral by
    /// adjusting Li when the structure is neutral within the tolerance, with the reader's
    /// warnings and, when Li was adjusted, a note saying by how much. Refused, naming the file,
    /// when some species has no oxidation state or the structure is not neutral within the
    /// tolerance. `halo stability FILE` and `halo.stability(structure)` assess this composition.
    pub fn neutral_formula_unit(&self) -> Result<(halo_core::Composition, Vec<String>), IoError> {
        let path = &self.source_path;
        let refuse = |message: String| IoError::Unsupported {
            at: Location::file(path),
            message,
        };
        let mut notes = self.warnings.clone();
        let charge = self.charge.as_ref().ok_or_else(|| {
            refuse("some species has no oxidation state; cannot judge the charge balance".into())
        })?;
        if !charge.neutral {
            return Err(refuse(format!(
                "not charge neutral: {:+.3} e per formula unit (tolerance {} e)",
                charge.net_charge_per_formula_unit_e, charge.tolerance_e
            )));
        }
        let z = charge.formula_units_z.max(1.0);
        let q = charge.net_charge_per_formula_unit_e;
        let (comp, change) = self
            .structure
            .composition()
            .scaled(1.0 / z)
            .neutralised_by_li(q)
            .map_err(|e| refuse(e.to_string()))?;
        if change != 0.0 {
            notes.push(format!(
                "Li adjusted by {change:+.4} per formula unit to make the composition exactly \
                 neutral (net charge {q:+.4} e, within the {} e tolerance)",
                charge.tolerance_e
            ));
        }
        Ok((comp, notes))
    }

    /// The label of the structure site that `label` names: a site label as it is, or the label of
    /// the mixed site a CIF row was merged into (e.g. `In5` on the Li/Sc/In 16d site `Li3`);
    /// case-insensitive. `None` when nothing carries that label.
    pub fn resolve_site_label(&self, label: &str) -> Option<String> {
        if let Some(l) = self
            .structure
            .sites
            .iter()
            .filter_map(|s| s.label.as_deref())
            .find(|l| l.eq_ignore_ascii_case(label))
        {
            return Some(l.to_string());
        }
        let row = self
            .asymmetric_sites
            .iter()
            .position(|r| r.label.eq_ignore_ascii_case(label))?;
        let site = self.site_origins.iter().position(|o| o.contains(&row))?;
        self.structure.sites[site].label.clone()
    }
}

/// The text of a structure or table file: a leading UTF-8 byte-order mark (Windows editors and
/// Excel write one) is dropped; a file with a NUL byte is refused as binary rather than parsed
/// (its bytes would fill the error message).
pub(crate) fn read_text(path: &Path) -> Result<String, IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::Read {
        path: path.display().to_string(),
        error: e,
    })?;
    decode_text(path, &bytes)
}

/// The text of a file's `bytes` (`path` names it): a NUL byte refuses it as binary, a UTF-8
/// byte-order mark is dropped, invalid UTF-8 is replaced.
fn decode_text(path: &Path, bytes: &[u8]) -> Result<String, IoError> {
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(IoError::Unsupported {
            at: Location::file(&path.display().to_string()),
            message: format!(
                "not a text file (a NUL byte at offset {at}): halo reads CIF, POSCAR and \
                 pymatgen JSON text"
            ),
        });
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// Refuse a structure with two nearly full sites in one place, naming the closest such pair at
/// `at(pair)`, and add a warning for each split position whose occupancies add up above one
/// ion ([`contacts::overlapping_sites`]).
pub(crate) fn check_overlaps(
    structure: &Structure,
    path: &str,
    at: impl Fn(&contacts::Overlap) -> Location,
    warnings: &mut Vec<String>,
) -> Result<(), IoError> {
    let overlaps = contacts::overlapping_sites(structure);
    if let Some(o) = overlaps.iter().find(|o| o.is_impossible()) {
        return Err(IoError::syntax(at(o), o.describe()));
    }
    warnings.extend(overlaps.iter().map(|o| format!("{path}: {}", o.describe())));
    Ok(())
}

/// Read a structure file, choosing the format from the name (see [`Format::from_path`]); CIF
/// with default [`CifOptions`].
pub fn read_structure(path: &Path) -> Result<LoadedStructure, IoError> {
    read_structure_with(path, &CifOptions::default())
}

/// Read a structure file with explicit CIF options.
pub fn read_structure_with(path: &Path, options: &CifOptions) -> Result<LoadedStructure, IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::Read {
        path: path.display().to_string(),
        error: e,
    })?;
    read_structure_bytes(path, &bytes, options)
}

/// Read a structure from the `bytes` of the file `path` without reading the file: the same
/// result as [`read_structure_with`] on a file holding those bytes (the format from the name,
/// messages naming it). A structure sent to another process is read again this way.
pub fn read_structure_bytes(
    path: &Path,
    bytes: &[u8],
    options: &CifOptions,
) -> Result<LoadedStructure, IoError> {
    let text = decode_text(path, bytes)?;
    let mut loaded = parse_any(path, &text, options)?;
    // with the oxidation states assigned: the radii need them
    if let Some(w) = contacts::short_contact_warning(&loaded.structure) {
        loaded.warnings.push(format!("{}: {w}", loaded.source_path));
    }
    Ok(loaded)
}

fn parse_any(path: &Path, text: &str, options: &CifOptions) -> Result<LoadedStructure, IoError> {
    let p = path.display().to_string();
    match Format::from_path(path) {
        Some(Format::Cif) => cif::parse_cif(text, &p, options),
        Some(Format::Poscar) => poscar::parse_poscar(text, &p),
        Some(Format::PymatgenJson) => pmg_json::parse_pymatgen_json(text, &p),
        None => {
            // not recognised by name: CIF text is read as CIF
            if text
                .lines()
                .any(|l| l.trim_start().to_ascii_lowercase().starts_with("data_"))
            {
                cif::parse_cif(text, &p, options)
            } else {
                Err(IoError::Unsupported {
                    at: Location::file(&p),
                    message: "unknown file type: name it *.cif, *.json, *.vasp or POSCAR*".into(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_named() {
        let e = read_structure(Path::new("/nonexistent/dir/x.cif")).unwrap_err();
        assert!(matches!(e, IoError::Read { .. }));
        assert!(e.to_string().contains("/nonexistent/dir/x.cif"), "{e}");
    }

    /// A byte-order mark is dropped (a CIF or JSON saved by a Windows editor read as the file
    /// without it); a binary file is refused by name, not parsed.
    #[test]
    fn a_byte_order_mark_is_dropped_and_a_binary_file_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cif = include_str!("../../../structures/LiAlCl4_P21c_COD1004036.cif");
        let plain = dir.path().join("plain.cif");
        let bom = dir.path().join("bom.cif");
        std::fs::write(&plain, cif).unwrap();
        std::fs::write(&bom, [b"\xef\xbb\xbf".as_slice(), cif.as_bytes()].concat()).unwrap();
        let (a, b) = (
            read_structure(&plain).unwrap(),
            read_structure(&bom).unwrap(),
        );
        assert_eq!(a.structure, b.structure);
        let text = crate::pmg_json::to_pymatgen_json(&a.structure);
        let (json, json_bom) = (dir.path().join("s.json"), dir.path().join("bom.json"));
        std::fs::write(&json, &text).unwrap();
        std::fs::write(
            &json_bom,
            [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat(),
        )
        .unwrap();
        assert_eq!(
            read_structure(&json_bom).unwrap().structure,
            read_structure(&json).unwrap().structure
        );
        let bin = dir.path().join("b.cif");
        std::fs::write(&bin, b"\x7fELF\x02\x01\x01\x00data_x\n").unwrap();
        let e = read_structure(&bin).unwrap_err().to_string();
        assert!(
            e.contains("b.cif: not a text file (a NUL byte at offset 7)"),
            "{e}"
        );
    }

    #[test]
    fn formats_from_names() {
        assert_eq!(Format::from_path(Path::new("a/B.CIF")), Some(Format::Cif));
        assert_eq!(
            Format::from_path(Path::new("POSCAR_1")),
            Some(Format::Poscar)
        );
        assert_eq!(Format::from_path(Path::new("x.vasp")), Some(Format::Poscar));
        assert_eq!(
            Format::from_path(Path::new("s.json")),
            Some(Format::PymatgenJson)
        );
        assert_eq!(Format::from_path(Path::new("notes.txt")), None);
    }
}

#[cfg(test)]
mod label_tests {
    use crate::cif::{parse_cif, CifOptions};

    #[test]
    fn a_merged_row_label_names_its_mixed_site() {
        let text = include_str!("../../../structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif");
        let l = parse_cif(text, "spinel.cif", &CifOptions::default()).unwrap();
        let mixed = l.resolve_site_label("Li3").unwrap();
        assert_eq!(l.resolve_site_label("in5").as_deref(), Some(mixed.as_str()));
        assert_eq!(l.resolve_site_label("Sc4").as_deref(), Some(mixed.as_str()));
        assert_eq!(l.resolve_site_label("Cl6"), Some("Cl6".to_string()));
        assert_eq!(l.resolve_site_label("16d"), None);
    }
}
