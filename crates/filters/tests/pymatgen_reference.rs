//! halo's grand-potential limits against pymatgen's GrandPotentialPhaseDiagram fed the same
//! energies (scripts/reference/grand_potential_pymatgen.py, output committed in tests/data/).

use halo_core::Composition;
use serde_json::Value;

/// Agreement required, V: both sides evaluate the same exact reaction energies.
const TOL_V: f64 = 1e-6;

#[test]
fn limits_match_pymatgen_grand_potential_phase_diagram() {
    let text = include_str!("data/grand_potential_pymatgen.json");
    let data: Value = serde_json::from_str(text).expect("reference JSON parses");
    let cases = data["cases"].as_array().expect("cases array");
    assert!(cases.len() >= 10, "at least 10 compositions cross-checked");
    for case in cases {
        let formula = case["formula"].as_str().unwrap();
        let r = halo_filters::stability(&Composition::parse(formula).unwrap())
            .unwrap_or_else(|e| panic!("{formula}: {e}"));
        for (basis, ours_a, ours_c) in [
            ("dG", r.anodic_limit_v_dg, r.cathodic_limit_v_dg),
            ("dH", r.anodic_limit_v_dh, r.cathodic_limit_v_dh),
        ] {
            let pm = &case[basis];
            assert_eq!(
                pm["stable"].as_bool().unwrap(),
                ours_a.is_some(),
                "{formula} {basis}"
            );
            for (name, ours, theirs) in [
                ("anodic", ours_a, pm["anodic_limit_v"].as_f64()),
                ("cathodic", ours_c, pm["cathodic_limit_v"].as_f64()),
            ] {
                match (ours, theirs) {
                    (Some(a), Some(b)) => assert!(
                        (a - b).abs() < TOL_V,
                        "{formula} {basis} {name}: halo {a} vs pymatgen {b}"
                    ),
                    (a, b) => panic!("{formula} {basis} {name}: halo {a:?} vs pymatgen {b:?}"),
                }
            }
        }
    }
}
