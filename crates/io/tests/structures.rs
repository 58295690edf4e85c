//! Every CIF in structures/ read by halo-io against pymatgen (tests/data/inspect_reference.json,
//! from scripts/reference/inspect_pymatgen.py), and the files halo writes for them read back by
//! pymatgen (crates/io/tests/data/roundtrip/, checked by scripts/reference/io_roundtrip_pymatgen.py).
//!
//! The written files are golden: this test fails when halo would now write something else.
//! Regenerate on purpose with `HALO_REGENERATE=1 cargo test -p halo-io --test structures`, then
//! rerun the Python script.

use halo_io::cif::{parse_cif, read_cif, write_cif_string, CifOptions};
use halo_io::pmg_json::to_pymatgen_json;
use halo_io::poscar::write_poscar_string;
use serde_json::Value;
use std::path::PathBuf;

/// Density agreement required with pymatgen, g/cm³ (docs/physics.md §8.2).
const DENSITY_TOLERANCE_G_PER_CM3: f64 = 1e-3;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cifs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("structures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cif"))
        .collect();
    v.sort();
    v
}

#[test]
fn structures_match_pymatgen() {
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/inspect_reference.json")).unwrap(),
    )
    .unwrap();
    let files = cifs();
    assert_eq!(files.len(), 6);
    for p in files {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let r = &reference["structures"][&name];
        let l = read_cif(&p, &CifOptions::default()).unwrap();
        let s = &l.structure;
        assert_eq!(
            s.composition().formula(),
            r["formula"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            s.composition().reduced_formula(),
            r["reduced_formula"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            s.num_sites() as u64,
            r["num_sites"].as_u64().unwrap(),
            "{name}"
        );
        let rho = r["density_g_per_cm3"].as_f64().unwrap();
        assert!(
            (s.density_g_per_cm3() - rho).abs() < DENSITY_TOLERANCE_G_PER_CM3,
            "{name}: density {} vs pymatgen {rho}",
            s.density_g_per_cm3()
        );
        let v = r["volume_ang3"].as_f64().unwrap();
        assert!((s.volume_ang3() - v).abs() < 1e-6 * v, "{name}: volume");
        let q = r["net_charge_cell_e"].as_f64().unwrap();
        let c = l.charge.as_ref().unwrap();
        assert!((c.net_charge_cell_e - q).abs() < 1e-9, "{name}: charge");
        // orbit multiplicities of the asymmetric unit equal pymatgen's symmetry-distinct sites
        let mut ours: Vec<usize> = l.asymmetric_sites.iter().map(|a| a.multiplicity).collect();
        let mut theirs: Vec<usize> = r["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["multiplicity"].as_u64().unwrap() as usize)
            .collect();
        // mixed sites: one row per species in the CIF, one orbit in pymatgen
        ours.sort();
        ours.dedup();
        theirs.sort();
        theirs.dedup();
        assert_eq!(ours, theirs, "{name}: orbit multiplicities");
        // only the under-refined SCXRD model is reported as not charge neutral
        assert_eq!(
            c.neutral,
            !name.contains("SCXRD"),
            "{name}: {:?}",
            l.warnings
        );
        assert_eq!(l.warnings.is_empty(), c.neutral, "{name}");
    }
}

#[test]
fn written_files_are_golden_and_pymatgen_reads_them_back() {
    let dir = root().join("crates/io/tests/data/roundtrip");
    let regenerate = std::env::var("HALO_REGENERATE").is_ok_and(|v| v == "1");
    if regenerate {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let check: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("pymatgen_check.json")).unwrap_or_else(|_| "{}".into()),
    )
    .unwrap();
    let mut paths = cifs();
    paths.push(root().join("tests/data/spinel_Li17Sc5Cl32_ordered_P1.cif"));
    for p in paths {
        let stem = p.file_stem().unwrap().to_string_lossy().to_string();
        let l = read_cif(&p, &CifOptions::default()).unwrap();
        let mut outputs = vec![
            (format!("{stem}.cif"), write_cif_string(&l.structure, &stem)),
            (format!("{stem}.json"), to_pymatgen_json(&l.structure)),
        ];
        // the P1 writing is the same structure: the same Z and neutrality verdict (a Z from the
        // file's orbit multiplicities was 1 in P1, and the spinels' −0.08 e per cell became a
        // "not neutral" −0.08 e per formula unit)
        let reread = parse_cif(
            &outputs[0].1,
            &format!("{stem}.cif"),
            &CifOptions::default(),
        )
        .unwrap();
        // the refined labels survive the P1 writing (label-keyed site energies, --sites and the
        // grounding read them), each site with its own
        let labels = |s: &halo_core::Structure| -> Vec<Option<String>> {
            s.sites.iter().map(|x| x.label.clone()).collect()
        };
        assert_eq!(labels(&reread.structure), labels(&l.structure), "{stem}");
        let back = reread.charge.unwrap();
        let given = l.charge.as_ref().unwrap();
        assert_eq!(back.formula_units_z, given.formula_units_z, "{stem}");
        assert_eq!(back.neutral, given.neutral, "{stem}");
        assert!(
            (back.net_charge_per_formula_unit_e - given.net_charge_per_formula_unit_e).abs() < 1e-9,
            "{stem}"
        );
        if l.structure.is_ordered() {
            outputs.push((
                format!("{stem}.vasp"),
                write_poscar_string(&l.structure, &stem, None).unwrap(),
            ));
        }
        for (file, text) in outputs {
            let path = dir.join(&file);
            if regenerate {
                std::fs::write(&path, &text).unwrap();
                continue;
            }
            let golden = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("missing golden file {}", path.display()));
            assert_eq!(golden, text, "{file}: halo now writes something else");
            let verdict = &check["files"][&file];
            assert_eq!(
                verdict["same_structure"].as_bool(),
                Some(true),
                "{file}: pymatgen did not read back the same structure: {verdict}"
            );
        }
    }
}
