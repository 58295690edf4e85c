//! Clear errors: missing softBV pair, negative b, no mobile ion, bad or too fine resolution.

use halo_bvse::{landscape, BvseError, BvseParams};
use halo_core::{Lattice, Species, Structure};

fn rocksalt(cation: &str, anion: &str) -> Structure {
    let c = Species::parse(cation).unwrap();
    let a = Species::parse(anion).unwrap();
    Structure::rock_salt(c, a, 5.5).unwrap()
}

#[test]
fn no_mobile_ion() {
    let e = landscape(&rocksalt("Na+", "Cl-"), &BvseParams::default()).unwrap_err();
    assert!(matches!(e, BvseError::NoMobileIon { .. }), "{e}");
    assert!(e.to_string().contains("no Li site"), "{e}");
    // and it says how to choose another mobile ion
    assert!(e.to_string().contains("--mobile-ion (e.g. Na+)"), "{e}");
}

#[test]
fn negative_b_is_refused() {
    // Mg2+–I- has b = −0.731 Å in the softBV table
    let p = BvseParams {
        mobile_ion: Species::parse("Mg2+").unwrap(),
        ..Default::default()
    };
    let s = Structure::from_spacegroup_free(
        Lattice::cubic(6.0),
        vec![
            (Species::parse("Mg2+").unwrap(), [0.0, 0.0, 0.0]),
            (Species::parse("I-").unwrap(), [0.5, 0.5, 0.5]),
            (Species::parse("I-").unwrap(), [0.25, 0.25, 0.25]),
        ],
    )
    .unwrap();
    let e = landscape(&s, &p).unwrap_err();
    assert!(matches!(e, BvseError::NegativeSoftness { .. }), "{e}");
    assert!(e.to_string().contains("negative b"), "{e}");
}

#[test]
fn missing_pair_is_named() {
    // Li+ with a 2− halogen-free anion that has no Li softBV pair
    let s = Structure::from_spacegroup_free(
        Lattice::cubic(5.0),
        vec![
            (Species::parse("Li+").unwrap(), [0.0, 0.0, 0.0]),
            (Species::parse("Cl-").unwrap(), [0.5, 0.5, 0.5]),
            (Species::parse("Li+").unwrap(), [0.5, 0.0, 0.0]),
            (Species::parse("In-").unwrap(), [0.0, 0.5, 0.5]),
        ],
    )
    .unwrap();
    let e = landscape(&s, &BvseParams::default()).unwrap_err();
    assert!(matches!(e, BvseError::MissingPair { .. }), "{e}");
    assert!(e.to_string().contains("Li+–In-"), "{e}");
}

#[test]
fn missing_oxidation_state() {
    let s = Structure::from_spacegroup_free(
        Lattice::cubic(5.0),
        vec![
            (Species::parse("Li+").unwrap(), [0.0, 0.0, 0.0]),
            (Species::parse("Cl").unwrap(), [0.5, 0.5, 0.5]),
        ],
    )
    .unwrap();
    let e = landscape(&s, &BvseParams::default()).unwrap_err();
    assert!(matches!(e, BvseError::MissingOxidationState { .. }), "{e}");
}

#[test]
fn resolution_must_be_positive_and_fit_in_memory() {
    let s = rocksalt("Li+", "Cl-");
    // non-positive, and coarser than any Li site spacing (5 Å gave one "site")
    for r in [0.0, -0.2, f64::NAN, 1.5, 5.0] {
        let p = BvseParams {
            resolution_ang: r,
            ..Default::default()
        };
        assert!(matches!(
            landscape(&s, &p),
            Err(BvseError::InvalidParameter {
                name: "resolution_ang",
                ..
            })
        ));
    }
    let p = BvseParams {
        resolution_ang: 0.01,
        memory_limit_bytes: Some(1 << 30),
        ..Default::default()
    };
    let e = landscape(&s, &p).unwrap_err();
    assert!(matches!(e, BvseError::OutOfMemory { .. }), "{e}");
    assert!(e.to_string().contains("coarser resolution"), "{e}");
    // bvlain mode needs at least two points per axis
    let p = BvseParams::bvlain(4.0);
    assert!(landscape(&s, &p).is_err());
}

#[test]
fn occupancy_weights_scale_terms() {
    // halving every anion occupancy halves the Morse energy at every grid point
    let full = rocksalt("Li+", "Cl-");
    let mut half = full.clone();
    for site in &mut half.sites {
        if site.species[0].0.oxidation_state == Some(-1) {
            site.species[0].1 = 0.5;
        }
    }
    let p = BvseParams {
        resolution_ang: 0.5,
        table_spacing_ang: None,
        ..Default::default()
    };
    let a = landscape(&full, &p).unwrap();
    let b = landscape(&half, &p).unwrap();
    for (x, y) in a.energies_ev.iter().zip(&b.energies_ev) {
        assert!((0.5 * x - y).abs() < 1e-9 * (1.0 + x.abs()), "{x} {y}");
    }
}
