//! `halo.Structure`: a crystal structure as halo reads it (halo_io's `LoadedStructure`: sites,
//! oxidation states and their sources, charge balance, CIF asymmetric unit and warnings), built
//! from a file or from pymatgen's `Structure.as_dict()` and converted back without files.

use crate::errors::{guard, Classify, HResult, Kind};
use halo_io::LoadedStructure;
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Where the pymatgen-derived structures say they come from in messages.
pub const PYMATGEN_SOURCE: &str = "<pymatgen Structure>";

/// A crystal structure (pymatgen's vocabulary: lattice rows in Å, fractional coordinates,
/// species with oxidation states and partial occupancies).
///
/// Build one with `Structure.from_file(path)`, `Structure.from_pymatgen(s)` (a pymatgen
/// `Structure` or its `as_dict()`), or `Structure.from_json(text)`; convert back with
/// `to_pymatgen()`, `as_dict()` or `to_json()`.
#[pyclass(module = "halo", name = "Structure", frozen)]
pub struct PyStructure {
    pub loaded: LoadedStructure,
    /// `halo eval`'s id: the first 8 bytes of SHA-256 of the bytes the structure was read from
    /// (the file; for pymatgen input, the JSON text of `as_dict()` with sorted keys), hex.
    pub digest_id: String,
    /// File stem (the framework name of `enumerate`), or the name given.
    pub name: String,
    /// What it was read from, so a copy sent to another process (pickle, `copy.deepcopy`,
    /// multiprocessing) is read again from the same bytes, provenance and all.
    source: Source,
}

/// The input a [`PyStructure`] was read from.
#[derive(Clone, Debug)]
enum Source {
    /// A file: its path as given (messages and the format come from it), its bytes, the CIF
    /// block asked for.
    File {
        path: std::path::PathBuf,
        bytes: Vec<u8>,
        block: Option<String>,
    },
    /// pymatgen `as_dict()` JSON text.
    Json(String),
}

/// The id of `bytes`: first 8 bytes of SHA-256, lowercase hex (as `halo eval`).
pub fn digest_id(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl PyStructure {
    /// Read a file as the CLI does (format from the name; CIF options `block`).
    pub fn read(path: &Path, block: Option<String>) -> HResult<PyStructure> {
        let bytes = std::fs::read(path)
            .map_err(|e| halo_io::IoError::Read {
                path: path.display().to_string(),
                error: e,
            })
            .kind(Kind::Structure)?;
        let name = path
            .file_stem()
            .map(|x| x.to_string_lossy().to_string())
            .unwrap_or_default();
        PyStructure::from_bytes(path, bytes, block, name)
    }

    /// Read the `bytes` of the file `path` (not read again), as [`PyStructure::read`] does.
    fn from_bytes(
        path: &Path,
        bytes: Vec<u8>,
        block: Option<String>,
        name: String,
    ) -> HResult<PyStructure> {
        let options = halo_io::CifOptions {
            block: block.clone(),
            ..halo_io::CifOptions::default()
        };
        let loaded = halo_io::read_structure_bytes(path, &bytes, &options).kind(Kind::Structure)?;
        Ok(PyStructure {
            loaded,
            digest_id: digest_id(&bytes),
            name,
            source: Source::File {
                path: path.to_path_buf(),
                bytes,
                block,
            },
        })
    }

    /// Parse pymatgen `as_dict()` JSON text.
    pub fn parse_json(text: &str, name: Option<String>) -> HResult<PyStructure> {
        let loaded =
            halo_io::pmg_json::parse_pymatgen_json(text, PYMATGEN_SOURCE).kind(Kind::Structure)?;
        Ok(PyStructure {
            loaded,
            digest_id: digest_id(text.as_bytes()),
            name: name.unwrap_or_else(|| "structure".to_string()),
            source: Source::Json(text.to_string()),
        })
    }

    /// The structure itself.
    pub fn structure(&self) -> &halo_core::Structure {
        &self.loaded.structure
    }
}

/// A str or os.PathLike argument as a path (not bytes, not a dict).
fn path_arg(obj: &Bound<'_, PyAny>) -> PyResult<std::path::PathBuf> {
    if obj.is_instance_of::<pyo3::types::PyString>() || obj.hasattr("__fspath__")? {
        return obj.extract::<std::path::PathBuf>();
    }
    Err(pyo3::exceptions::PyTypeError::new_err("not a path"))
}

/// A copy of an `as_dict()` dict without the structure's and the sites' `properties`, which
/// halo does not read and which may hold values JSON cannot (numpy arrays, NaN).
fn without_properties<'py>(d: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyDict>> {
    let out = d.copy()?;
    let _ = out.del_item("properties");
    if let Some(sites) = out.get_item("sites")? {
        if let Ok(list) = sites.cast::<pyo3::types::PyList>() {
            let clean = pyo3::types::PyList::empty(d.py());
            for site in list.iter() {
                match site.cast::<PyDict>() {
                    Ok(sd) => {
                        let c = sd.copy()?;
                        let _ = c.del_item("properties");
                        clean.append(c)?;
                    }
                    Err(_) => clean.append(site)?,
                }
            }
            out.set_item("sites", clean)?;
        }
    }
    Ok(out)
}

/// `json.dumps(obj, sort_keys=True)`.
fn dumps(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let kw = PyDict::new(obj.py());
    kw.set_item("sort_keys", true)?;
    obj.py()
        .import("json")?
        .call_method("dumps", (obj,), Some(&kw))?
        .extract()
}

/// `json.loads(text)`.
pub fn loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

#[pymethods]
impl PyStructure {
    /// Read a CIF, POSCAR (POSCAR*, CONTCAR*, *.vasp) or pymatgen JSON file (format from the
    /// name). `block`: the CIF data block (default: the first one with atom sites).
    /// Raises `halo.StructureError` with the CLI's message (file, line, field).
    #[staticmethod]
    #[pyo3(signature = (path, block=None))]
    fn from_file(path: std::path::PathBuf, block: Option<String>) -> PyResult<PyStructure> {
        Ok(guard(|| PyStructure::read(&path, block))?)
    }

    /// From a pymatgen `Structure` (anything with `as_dict()`), its `as_dict()` dict, or a file
    /// path; pymatgen itself is not needed. Site and structure `properties` (selective dynamics,
    /// magnetic moments, forces: numpy arrays included) are not read. `name` names it in
    /// `enumerate` (default "structure").
    #[staticmethod]
    #[pyo3(signature = (structure, name=None))]
    fn from_pymatgen(structure: &Bound<'_, PyAny>, name: Option<String>) -> PyResult<PyStructure> {
        if let Ok(p) = path_arg(structure) {
            let mut s = guard(|| PyStructure::read(&p, None))?;
            if let Some(n) = name {
                s.name = n;
            }
            return Ok(s);
        }
        let kind = || -> String {
            structure
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".into())
        };
        let d = if structure.hasattr("as_dict")? {
            structure.call_method0("as_dict")?
        } else {
            structure.clone()
        };
        let Ok(d) = d.cast::<PyDict>() else {
            return Err(crate::errors::StructureError::new_err(format!(
                "expected a halo.Structure, a pymatgen Structure, its as_dict() dict or a file \
                 path; got {}",
                kind()
            )));
        };
        if !d.contains("lattice")? {
            return Err(crate::errors::StructureError::new_err(format!(
                "a {} without a lattice is not a periodic structure (a pymatgen Molecule? put it \
                 in a Structure with a lattice)",
                kind()
            )));
        }
        // a pymatgen Slab keeps pbc (True, True, True) across its vacuum: its class (and its
        // dict's miller_index) says what it is, and the landscape of a slab is not a bulk one
        if d.contains("miller_index")? || d.contains("oriented_unit_cell")? {
            return Err(crate::errors::StructureError::new_err(format!(
                "a {} is a slab (a surface cell with vacuum): halo computes bulk crystals; pass \
                 its oriented_unit_cell, or the bulk structure",
                kind()
            )));
        }
        let text = dumps(without_properties(d)?.as_any())?;
        Ok(guard(|| PyStructure::parse_json(&text, name))?)
    }

    /// From pymatgen `Structure.as_dict()` JSON text.
    #[staticmethod]
    #[pyo3(signature = (text, name=None))]
    fn from_json(text: &str, name: Option<String>) -> PyResult<PyStructure> {
        Ok(guard(|| PyStructure::parse_json(text, name))?)
    }

    /// The pymatgen `Structure.as_dict()` JSON text (halo-io's writer).
    fn to_json(&self) -> String {
        halo_io::pmg_json::to_pymatgen_json(self.structure())
    }

    /// The pymatgen `Structure.as_dict()` dict (lattice rows in Å, `abc` fractional,
    /// `xyz` Cartesian in Å, species with `oxidation_state` and `occu`).
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        loads(py, &self.to_json())
    }

    /// A pymatgen `Structure` (`Structure.from_dict(self.as_dict())`); needs pymatgen.
    fn to_pymatgen<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let cls = py.import("pymatgen.core")?.getattr("Structure")?;
        cls.call_method1("from_dict", (self.as_dict(py)?,))
    }

    /// Lattice vectors as rows, Å (3×3 array).
    #[getter]
    fn lattice_matrix_ang<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let rows = self.structure().lattice.rows();
        PyArray1::from_iter(py, rows.iter().flatten().copied()).reshape([3, 3])
    }

    /// Fractional coordinates of the sites (N×3 array).
    #[getter]
    fn frac_coords<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let s = self.structure();
        let flat = s
            .sites
            .iter()
            .flat_map(|x| [x.frac_coords.x, x.frac_coords.y, x.frac_coords.z]);
        PyArray1::from_iter(py, flat).reshape([s.num_sites(), 3])
    }

    /// pymatgen species strings of the sites (`Li+`, or `Li+:0.675, Sc3+:0.164` when mixed).
    #[getter]
    fn species(&self) -> Vec<String> {
        self.structure()
            .sites
            .iter()
            .map(halo_io::pmg_json::pymatgen_species_string)
            .collect()
    }

    /// Occupancy-weighted formula of the cell, e.g. `Li10.8 Sc2.64 Cl16`.
    #[getter]
    fn formula(&self) -> String {
        self.structure().composition().formula()
    }

    /// Reduced formula, e.g. `Li2Sc0.666Cl4`-like as the CLI prints it.
    #[getter]
    fn reduced_formula(&self) -> String {
        self.structure().composition().reduced_formula()
    }

    /// Cell volume, Å³.
    #[getter]
    fn volume_ang3(&self) -> f64 {
        self.structure().volume_ang3()
    }

    /// Density, g/cm³.
    #[getter]
    fn density_g_per_cm3(&self) -> f64 {
        self.structure().density_g_per_cm3()
    }

    /// The file it was read from, or `<pymatgen Structure>`.
    #[getter]
    fn source(&self) -> String {
        self.loaded.source_path.clone()
    }

    /// The name (file stem, or the one given to `from_pymatgen`).
    #[getter]
    fn name(&self) -> String {
        self.name.clone()
    }

    /// `halo eval`'s id of this input (hex of the first 8 bytes of SHA-256 of the file).
    #[getter]
    fn id(&self) -> String {
        self.digest_id.clone()
    }

    /// Non-fatal findings of the reader (e.g. not charge neutral).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.loaded.warnings.clone()
    }

    fn __len__(&self) -> usize {
        self.structure().num_sites()
    }

    /// Pickling (and `copy.deepcopy`, multiprocessing): the structure is read again from the
    /// bytes it was read from, so the copy has the same sites, provenance, warnings and id.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let restore = py.import("halo._halo")?.getattr("_restore_structure")?;
        let args = match &self.source {
            Source::File { path, bytes, block } => (
                "file",
                path.display().to_string(),
                pyo3::types::PyBytes::new(py, bytes),
                block.clone(),
                self.name.clone(),
            )
                .into_pyobject(py)?,
            Source::Json(text) => (
                "json",
                String::new(),
                pyo3::types::PyBytes::new(py, text.as_bytes()),
                None::<String>,
                self.name.clone(),
            )
                .into_pyobject(py)?,
        };
        Ok((restore, args.into_any()))
    }

    /// Hash of the input's id and the name, consistent with `==`.
    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.digest_id.hash(&mut h);
        self.name.hash(&mut h);
        h.finish()
    }

    /// Two structures are equal when they were read from the same input (same bytes, same
    /// block, same name): the same sites and provenance.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        let Ok(o) = other.cast::<PyStructure>() else {
            return false;
        };
        let o = o.get();
        self.name == o.name
            && match (&self.source, &o.source) {
                (
                    Source::File {
                        bytes: a, block: x, ..
                    },
                    Source::File {
                        bytes: b, block: y, ..
                    },
                ) => a == b && x == y,
                (Source::Json(a), Source::Json(b)) => a == b,
                _ => false,
            }
    }

    fn __repr__(&self) -> String {
        let l = &self.structure().lattice;
        let (abc, ang) = (l.abc(), l.angles_deg());
        format!(
            "<halo.Structure {} ({} sites) a={:.4} b={:.4} c={:.4} Å α={:.2} β={:.2} γ={:.2}° from {}>",
            self.reduced_formula(),
            self.structure().num_sites(),
            abc[0],
            abc[1],
            abc[2],
            ang[0],
            ang[1],
            ang[2],
            self.loaded.source_path
        )
    }
}

/// A `halo.Structure`, or a path to read, or a pymatgen `Structure` / `as_dict()` dict.
pub fn coerce(obj: &Bound<'_, PyAny>) -> PyResult<Py<PyStructure>> {
    if let Ok(s) = obj.cast::<PyStructure>() {
        return Ok(s.clone().unbind());
    }
    let py = obj.py();
    let s = if let Ok(p) = obj.extract::<std::path::PathBuf>() {
        PyStructure::from_file(p, None)?
    } else {
        PyStructure::from_pymatgen(obj, None)?
    };
    Py::new(py, s)
}

/// Unpickle a `halo.Structure` ([`PyStructure`]'s `__reduce__`): read it again from its bytes.
#[pyfunction]
pub fn _restore_structure(
    kind: &str,
    path: String,
    data: Vec<u8>,
    block: Option<String>,
    name: String,
) -> PyResult<PyStructure> {
    Ok(guard(|| match kind {
        "file" => PyStructure::from_bytes(Path::new(&path), data, block, name),
        _ => {
            let text = String::from_utf8_lossy(&data).into_owned();
            PyStructure::parse_json(&text, Some(name))
        }
    })?)
}
