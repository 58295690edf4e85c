//! pymatgen-compatible JSON: the layout of `Structure.as_dict()` (pymatgen 2026.10.24), so that
//! `Structure.from_dict(json.load(f))` gives the same structure, ordered or partially occupied.
//!
//! ```text
//! {"@module": "pymatgen.core.structure", "@class": "Structure", "charge": q,
//!  "lattice": {"matrix": [[..],[..],[..]], "pbc": [true,true,true], "a", "b", "c",
//!              "alpha", "beta", "gamma", "volume"},
//!  "properties": {},
//!  "sites": [{"species": [{"element": "Li", "oxidation_state": 1, "occu": 0.675}, ..],
//!             "abc": [..], "xyz": [..], "label": "Li3", "properties": {}}]}
//! ```

use crate::error::{IoError, Location};
use crate::LoadedStructure;
use halo_core::{Element, Lattice, Site, Species, Structure};
use nalgebra::Vector3;
use serde_json::{json, Map, Value};

/// The `Structure.as_dict()` JSON value of a structure.
pub fn to_pymatgen_value(structure: &Structure) -> Value {
    let l = &structure.lattice;
    let abc = l.abc();
    let ang = l.angles_deg();
    let sites: Vec<Value> = structure
        .sites
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let species: Vec<Value> = s
                .species
                .iter()
                .map(|(sp, occ)| {
                    let mut m = Map::new();
                    m.insert("element".into(), json!(sp.element.symbol()));
                    if let Some(q) = sp.oxidation_state {
                        m.insert("oxidation_state".into(), json!(q as f64));
                    }
                    m.insert("occu".into(), json!(occ));
                    Value::Object(m)
                })
                .collect();
            let f = s.frac_coords;
            let c = structure.cart_coords(i);
            json!({
                "species": species,
                "abc": [f.x, f.y, f.z],
                "xyz": [c.x, c.y, c.z],
                "label": s.label.clone().unwrap_or_else(|| pymatgen_species_string(s)),
                "properties": {},
            })
        })
        .collect();
    json!({
        "@module": "pymatgen.core.structure",
        "@class": "Structure",
        "charge": structure.charge().unwrap_or(0.0),
        "lattice": {
            "matrix": l.rows(),
            "pbc": [true, true, true],
            "a": abc[0], "b": abc[1], "c": abc[2],
            "alpha": ang[0], "beta": ang[1], "gamma": ang[2],
            "volume": l.volume_ang3(),
        },
        "properties": {},
        "sites": sites,
    })
}

/// pymatgen's `species_string`: `Li+` for an ordered site, `Li+:0.675, Sc3+:0.164` otherwise.
pub fn pymatgen_species_string(s: &Site) -> String {
    if s.is_ordered() {
        return s.species[0].0.to_string();
    }
    s.species
        .iter()
        .map(|(sp, o)| format!("{sp}:{o}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Pretty JSON text of [`to_pymatgen_value`].
pub fn to_pymatgen_json(structure: &Structure) -> String {
    serde_json::to_string_pretty(&to_pymatgen_value(structure)).unwrap_or_default()
}

/// Write `Structure.as_dict()` JSON to a file.
pub fn write_pymatgen_json(structure: &Structure, path: &std::path::Path) -> Result<(), IoError> {
    std::fs::write(path, to_pymatgen_json(structure)).map_err(|e| IoError::Write {
        path: path.display().to_string(),
        error: e,
    })
}

fn field_err(path: &str, field: &str, message: impl Into<String>) -> IoError {
    IoError::syntax(Location::field(path, None, field), message)
}

fn f64_at(v: &Value, path: &str, field: &str) -> Result<f64, IoError> {
    v.as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| field_err(path, field, format!("{v} is not a number")))
}

fn vec3(v: &Value, path: &str, field: &str) -> Result<[f64; 3], IoError> {
    let a = v
        .as_array()
        .filter(|a| a.len() == 3)
        .ok_or_else(|| field_err(path, field, "expected an array of 3 numbers"))?;
    Ok([
        f64_at(&a[0], path, field)?,
        f64_at(&a[1], path, field)?,
        f64_at(&a[2], path, field)?,
    ])
}

/// Parse `Structure.as_dict()` JSON text (fractional `abc` are used; `xyz` is ignored).
pub fn parse_pymatgen_json(text: &str, path: &str) -> Result<LoadedStructure, IoError> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        IoError::syntax(
            Location {
                path: path.to_string(),
                line: Some(e.line()),
                field: None,
            },
            format!("invalid JSON: {e}"),
        )
    })?;
    let m = v
        .pointer("/lattice/matrix")
        .ok_or_else(|| field_err(path, "lattice.matrix", "missing"))?;
    let rows = m
        .as_array()
        .filter(|a| a.len() == 3)
        .ok_or_else(|| field_err(path, "lattice.matrix", "expected 3 rows"))?;
    let mut mat = [[0.0; 3]; 3];
    for (i, r) in rows.iter().enumerate() {
        mat[i] = vec3(r, path, "lattice.matrix")?;
    }
    // pymatgen's lattice may be periodic in fewer directions (a slab): halo's landscapes and
    // kMC are 3D-periodic, so such a structure would be read as what it is not
    if let Some(pbc) = v.pointer("/lattice/pbc").and_then(Value::as_array) {
        if pbc.iter().any(|b| b.as_bool() == Some(false)) {
            return Err(field_err(
                path,
                "lattice.pbc",
                "not periodic in every direction (a slab or a molecule in a box): halo's \
                 landscapes and kMC are periodic in 3D",
            ));
        }
    }
    let lattice = Lattice::from_rows(mat).map_err(|e| IoError::DegenerateCell {
        at: Location::field(path, None, "lattice.matrix"),
        message: e.to_string(),
    })?;
    let sites_v = v
        .get("sites")
        .and_then(Value::as_array)
        .ok_or_else(|| field_err(path, "sites", "missing or not an array"))?;
    let mut sites = Vec::with_capacity(sites_v.len());
    let mut any_missing_ox = false;
    for (i, s) in sites_v.iter().enumerate() {
        let fld = |x: &str| format!("sites[{i}].{x}");
        let abc = vec3(s.get("abc").unwrap_or(&Value::Null), path, &fld("abc"))?;
        let sp_v = s
            .get("species")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| field_err(path, &fld("species"), "missing or empty"))?;
        let mut species = Vec::new();
        for (k, e) in sp_v.iter().enumerate() {
            let f = format!("sites[{i}].species[{k}]");
            let sym = e
                .get("element")
                .and_then(Value::as_str)
                .ok_or_else(|| field_err(path, &f, "missing element"))?;
            let el = Element::from_symbol(sym).map_err(|_| IoError::UnknownElement {
                at: Location::field(path, None, &f),
                symbol: sym.to_string(),
            })?;
            let ox = match e.get("oxidation_state") {
                None | Some(Value::Null) => {
                    any_missing_ox = true;
                    None
                }
                Some(q) => {
                    let q = f64_at(q, path, &f)?;
                    if (q - q.round()).abs() > 1e-6 || q.abs() > 8.0 {
                        return Err(field_err(
                            path,
                            &f,
                            format!("oxidation state {q} is not an integer in [-8, 8]"),
                        ));
                    }
                    Some(q.round() as i8)
                }
            };
            let occ = match e.get("occu") {
                None => 1.0,
                Some(o) => f64_at(o, path, &f)?,
            };
            species.push((
                Species {
                    element: el,
                    oxidation_state: ox,
                },
                occ,
            ));
        }
        sites.push(Site {
            species,
            frac_coords: Vector3::from(abc),
            label: s.get("label").and_then(Value::as_str).map(str::to_string),
        });
    }
    let mut structure = Structure::new(lattice, sites).map_err(|e| IoError::Structure {
        at: Location::file(path),
        error: e,
    })?;
    let oxidation = if any_missing_ox {
        crate::charge::assign_formal_oxidation_states(&mut structure)
    } else {
        crate::charge::assign_formal_oxidation_states(&mut structure.clone())
    };
    LoadedStructure::without_symmetry(structure, crate::Format::PymatgenJson, path, oxidation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_partial_occupancy() {
        let li = Species::parse("Li+").unwrap();
        let sc = Species::parse("Sc3+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        let s = Structure::new(
            Lattice::from_parameters(6.4, 11.06, 6.38, 90.0, 109.8, 90.0).unwrap(),
            vec![
                Site {
                    species: vec![(li, 0.675), (sc, 0.164)],
                    frac_coords: Vector3::new(0.125, 0.125, 0.125),
                    label: Some("Li3".into()),
                },
                Site::ordered(cl, [0.25, 0.5, 0.75]),
            ],
        )
        .unwrap();
        let v = to_pymatgen_value(&s);
        assert_eq!(v["@class"], "Structure");
        assert_eq!(v["sites"][0]["species"][1]["oxidation_state"], 3.0);
        assert_eq!(v["sites"][1]["label"], "Cl-");
        let back = parse_pymatgen_json(&to_pymatgen_json(&s), "s.json").unwrap();
        assert_eq!(back.structure.sites.len(), 2);
        assert_eq!(back.structure.sites[0].species, s.sites[0].species);
        assert!((back.structure.volume_ang3() - s.volume_ang3()).abs() < 1e-9);
    }

    #[test]
    fn bad_json_names_field() {
        let e = parse_pymatgen_json("{\"lattice\": {\"matrix\": [[1,0,0],[0,1,0]]}}", "b.json")
            .unwrap_err();
        assert!(e.to_string().contains("lattice.matrix"), "{e}");
        let e = parse_pymatgen_json("{", "b.json").unwrap_err();
        assert!(e.to_string().contains("b.json, line 1"), "{e}");
    }
}
