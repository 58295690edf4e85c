//! Unit tests on the real frameworks (fixtures in `tests/data/frameworks.json`).

use super::*;
use halo_core::ewald::{ewald, EwaldParams};
use halo_core::Element;

#[path = "../tests/common/mod.rs"]
mod common;

const SPINEL: &str = "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron";
const MONO: &str = "Li3In2-3Sc1-3Cl6_C2m_Zhou2022_neutron";

fn config(name: &str, site: &str, dopants: &str, grid: &str) -> EnumerationConfig {
    EnumerationConfig {
        framework_name: name.into(),
        site: site.into(),
        dopants: dopants.split(',').map(String::from).collect(),
        fractions: parse_fraction_grid(grid).unwrap(),
        ..EnumerationConfig::default()
    }
}

fn li() -> Element {
    Element::from_symbol("Li").unwrap()
}
fn el(s: &str) -> Element {
    Element::from_symbol(s).unwrap()
}

fn find<'a>(r: &'a EnumerationResult, dopant: &str, x: Rational) -> &'a Candidate {
    r.accepted
        .iter()
        .find(|c| {
            c.dopants.len() == 1
                && c.dopants[0].species.element == el(dopant)
                && c.dopants[0].amount == x
        })
        .unwrap_or_else(|| panic!("no candidate {dopant} {x}"))
}

#[test]
fn spinel_framework_model() {
    let s = common::framework(SPINEL);
    let r = enumerate_candidates(&s, &config(SPINEL, "16d", "In", "0")).unwrap();
    let fw = &r.framework;
    assert_eq!(fw.space_group_symbol, "Fd-3m");
    assert_eq!(fw.orbit_wyckoff, "16d");
    assert_eq!(fw.orbit.len(), 16);
    assert_eq!(fw.anions_per_fu, Rational::int(4));
    assert_eq!(fw.formula_units_per_cell, Rational::int(8));
    assert_eq!(fw.host_m_per_fu, Rational::new(2, 3));
    assert!((fw.host_m_per_fu_refined - 0.622).abs() < 1e-9);
    assert_eq!(fw.orbit_li_per_fu, Rational::new(4, 3));
    // interstitial Li orbits in the literature setting: 8a, 16c, 48f
    let mut w: Vec<&str> = fw.li_orbits.iter().map(|o| o.wyckoff.as_str()).collect();
    w.sort_unstable();
    assert_eq!(w, ["16c", "48f", "8a"]);
    // the undoped candidate is the nominal Li2Sc2/3Cl4
    assert_eq!(r.accepted.len(), 1);
    let c = &r.accepted[0];
    assert!((c.composition.amount_of(li()) - 2.0).abs() < 1e-12);
    assert!((c.composition.amount_of(el("Sc")) - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(c.formula, "Li2Sc0.6667Cl4");
}

#[test]
fn spinel_in_sc_family_and_lattice_estimates() {
    let s = common::framework(SPINEL);
    let r = enumerate_candidates(&s, &config(SPINEL, "16d", "In", "0:0.666:0.111")).unwrap();
    // x = 0, 1/9, …, 6/9
    assert_eq!(r.accepted.len(), 7);
    for k in 1..=6 {
        let x = Rational::new(k, 9);
        let c = find(&r, "In", x);
        assert!((c.composition.amount_of(el("In")) - x.to_f64()).abs() < 1e-12);
        let sc = c.composition.amount_of(el("Sc"));
        assert!((sc - (2.0 / 3.0 - x.to_f64())).abs() < 1e-12);
        assert!((c.composition.amount_of(li()) - 2.0).abs() < 1e-12);
        assert!(c.composition.charge().unwrap().abs() < 1e-12);
        assert_eq!(c.li_change, Rational::ZERO);
    }
    assert!(
        find(&r, "In", Rational::new(2, 3))
            .composition
            .amount_of(el("Sc"))
            .abs()
            < 1e-12
    );
    // measured a: 10.4037 (x = 0), 10.42138 (x = 1/3), 10.42562 (x = 0.444)
    let undoped = &r.accepted[0];
    let cases = [
        (undoped, 10.4037),
        (find(&r, "In", Rational::new(3, 9)), 10.42138),
        (find(&r, "In", Rational::new(4, 9)), 10.42562),
    ];
    for (c, want) in cases {
        let err = (c.lattice.a_ang - want).abs() / want;
        assert!(
            err < 0.003,
            "{}: a = {:.5} vs {want} ({:.3} %)",
            c.formula,
            c.lattice.a_ang,
            100.0 * err
        );
        assert!((c.lattice.b_ang - c.lattice.a_ang).abs() < 1e-9);
    }
    // the estimate grows with In (larger than Sc)
    assert!(cases[1].0.lattice.a_ang > cases[0].0.lattice.a_ang);
    assert!(cases[2].0.lattice.a_ang > cases[1].0.lattice.a_ang);
}

#[test]
fn aliovalent_dopants_move_li() {
    let s = common::framework(SPINEL);
    let r = enumerate_candidates(&s, &config(SPINEL, "16d", "Zr,Mg", "0:0.666:0.111")).unwrap();
    let base_li: f64 = r.accepted[0]
        .li_sites
        .iter()
        .map(|l| l.occupancy_candidate)
        .zip(&r.framework.li_orbits)
        .map(|(o, orb)| o * orb.sites_per_fu.to_f64())
        .sum();
    assert!((base_li - 2.0 / 3.0).abs() < 1e-9);
    for (d, sign) in [("Zr", -1i128), ("Mg", 1)] {
        for k in 1..=6 {
            let x = Rational::new(k, 9);
            let Some(c) = r.accepted.iter().find(|c| {
                c.dopants.len() == 1
                    && c.dopants[0].species.element == el(d)
                    && c.dopants[0].amount == x
            }) else {
                continue;
            };
            assert_eq!(c.li_change, Rational::new(sign * k, 9), "{d} {x}");
            assert!(c.composition.charge().unwrap().abs() < 1e-9);
            let li_only: f64 = c
                .li_sites
                .iter()
                .zip(&r.framework.li_orbits)
                .map(|(l, o)| l.occupancy_candidate * o.sites_per_fu.to_f64())
                .sum();
            assert!((li_only - (base_li + c.li_change.to_f64())).abs() < 1e-9);
            assert!(c
                .li_sites
                .iter()
                .all(|l| l.occupancy_candidate <= 1.0 + 1e-12));
            assert!(c
                .li_note
                .contains(if sign < 0 { "removed" } else { "added" }));
        }
    }
    // Zr4+ can remove at most the 2/3 interstitial Li per formula unit: x = 2/3 leaves 0, fine;
    // every Zr amount is balanceable here, and all Mg amounts fit
    assert!(r
        .rejected
        .iter()
        .all(|x| !matches!(x.reason, RejectReason::LiDepleted { .. })));
}

#[test]
fn monoclinic_li_capacity_and_removal_limits() {
    let s = common::framework(MONO);
    let r = enumerate_candidates(&s, &config(MONO, "2a", "Mg,Zr,In", "0:1:0.25")).unwrap();
    let fw = &r.framework;
    assert_eq!(fw.space_group_symbol, "C2/m");
    assert_eq!(fw.orbit_wyckoff, "2a");
    assert_eq!(fw.anions_per_fu, Rational::int(6));
    assert_eq!(fw.host_m_per_fu, Rational::ONE);
    let mut w: Vec<&str> = fw.li_orbits.iter().map(|o| o.wyckoff.as_str()).collect();
    w.sort_unstable();
    assert_eq!(w, ["4g", "4h"]);
    // Li3MCl6 has 4 Li sites per formula unit (4g + 4h), 3 occupied: Mg up to x = 1 fits
    let mg1 = r
        .accepted
        .iter()
        .find(|c| {
            c.dopants.len() == 1
                && c.dopants[0].species.element == el("Mg")
                && c.dopants[0].amount == Rational::ONE
        })
        .expect("Mg x=1 fits exactly");
    assert!((mg1.composition.amount_of(li()) - 4.0).abs() < 1e-9);
    assert!(mg1
        .li_sites
        .iter()
        .all(|l| (l.occupancy_candidate - 1.0).abs() < 1e-9));
    // Zr4+ removes 1 Li per Zr: x = 1 gives Li2ZrCl6, fine
    assert!(r.accepted.iter().any(|c| c.dopants.len() == 1
        && c.dopants[0].species.element == el("Zr")
        && c.dopants[0].amount == Rational::ONE));
    for c in &r.accepted {
        assert!(
            c.composition.charge().unwrap().abs() < 1e-9,
            "{}",
            c.formula
        );
    }
}

#[test]
fn depletion_is_a_rejection() {
    // Mo6+ removes 3 Li per Mo: x = 1/3 needs 1 Li per formula unit, only 2/3 are on the
    // interstitial (Li-only) sites of the spinel; x = 1/9 (1/3 Li) is fine
    let sp = common::framework(SPINEL);
    let mut cfg = config(SPINEL, "16d", "Mo", "0.111,0.333");
    cfg.radius_tolerance = 0.99; // below the limit of 1 (any size)
    let r = enumerate_candidates(&sp, &cfg).unwrap();
    assert!(r.accepted.iter().any(|c| c.dopants.len() == 1));
    let rej = r
        .rejected
        .iter()
        .find(|x| matches!(x.reason, RejectReason::LiDepleted { .. }))
        .expect("Mo6+ at 1/3 depletes the interstitial Li");
    assert!(
        rej.message.contains("not charge-balanceable"),
        "{}",
        rej.message
    );
    assert!((rej.dopants[0].1 - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn size_rule_rejects_with_reason() {
    let s = common::framework(SPINEL);
    let r = enumerate_candidates(&s, &config(SPINEL, "16d", "In,Y,Al", "0.111")).unwrap();
    assert!(r.accepted.iter().any(|c| c
        .dopants
        .first()
        .is_some_and(|d| d.species.element == el("In"))));
    for d in ["Y", "Al"] {
        let rej = r
            .rejected
            .iter()
            .find(|x| x.dopants[0].0.element == el(d))
            .unwrap();
        match &rej.reason {
            RejectReason::SizeMismatch {
                mismatch,
                tolerance,
                ..
            } => {
                assert!(mismatch.abs() > *tolerance);
            }
            other => panic!("{d}: {other:?}"),
        }
        assert!(rej.message.contains("size rule"));
    }
    // Y3+ (90 pm) vs Sc3+ (74.5 pm): +20.8 %
    let y = r
        .rejected
        .iter()
        .find(|x| x.dopants[0].0.element == el("Y"))
        .unwrap();
    if let RejectReason::SizeMismatch { mismatch, .. } = y.reason {
        assert!((mismatch - (90.0 - 74.5) / 74.5).abs() < 1e-12);
    }
}

#[test]
fn duplicates_and_pairs() {
    let s = common::framework(SPINEL);
    let mut cfg = config(SPINEL, "16d", "In,Sc,Zr", "0:0.666:0.111");
    cfg.max_dopants = 2;
    let r = enumerate_candidates(&s, &cfg).unwrap();
    // Sc on the Sc host reproduces the framework: every Sc-only candidate is a duplicate
    let dup = r
        .rejected
        .iter()
        .filter(|x| matches!(x.reason, RejectReason::Duplicate { .. }))
        .count();
    assert!(dup >= 6);
    let ids: std::collections::BTreeSet<&str> = r.accepted.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), r.accepted.len());
    // pairs never exceed the host content
    for c in &r.accepted {
        let t: f64 = c.dopants.iter().map(|d| d.amount_per_fu).sum();
        assert!(t <= 2.0 / 3.0 + 1e-12);
    }
    // ids do not depend on the dopant order
    let mut cfg2 = cfg.clone();
    cfg2.dopants = vec!["Zr".into(), "Sc".into(), "In".into()];
    let r2 = enumerate_candidates(&s, &cfg2).unwrap();
    let ids2: std::collections::BTreeSet<&str> =
        r2.accepted.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ids2);
    // a dopant listed twice (however written) is refused: paired with itself it gave a
    // candidate beyond the grid recorded with one of its two amounts
    for twice in ["In,Zr,In", "In, In3+"] {
        let e = enumerate_candidates(&s, &config(SPINEL, "16d", twice, "0:0.666:0.111"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("dopants") && e.contains("In3+ is listed twice"),
            "{e}"
        );
    }
}

#[test]
fn golden_candidate_ids() {
    // content hashes: fixed forever unless CANDIDATE_ID_VERSION changes
    let s = common::framework(SPINEL);
    let r = enumerate_candidates(&s, &config(SPINEL, "16d", "In,Zr", "0,0.333")).unwrap();
    let got: Vec<(String, String)> = r
        .accepted
        .iter()
        .map(|c| (c.formula.clone(), c.id.clone()))
        .collect();
    let golden = include_str!("../tests/data/golden_ids.txt");
    let want: Vec<(String, String)> = golden
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split_whitespace();
            (
                it.next().unwrap().to_string(),
                it.next().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn clear_errors() {
    let s = common::framework(SPINEL);
    let e = enumerate_candidates(&s, &config(SPINEL, "16d", "Xx", "0.1")).unwrap_err();
    assert!(
        matches!(e, EnumerateError::UnknownElement(ref x) if x == "Xx"),
        "{e}"
    );
    let e = enumerate_candidates(&s, &config(SPINEL, "16d", "Sm2+", "0.1")).unwrap_err();
    assert!(matches!(e, EnumerateError::NoShannonRadius { .. }), "{e}");
    assert!(e.to_string().contains("Sm2+"));
    let mut cfg = config(SPINEL, "16d", "In", "0.1");
    cfg.fractions = vec![1.5];
    assert!(matches!(
        enumerate_candidates(&s, &cfg),
        Err(EnumerateError::FractionOutOfRange { .. })
    ));
    assert!(matches!(
        parse_fraction_grid("0:1.5:0.5"),
        Err(EnumerateError::FractionOutOfRange { .. })
    ));
    assert!(parse_fraction_grid("0:x:1").is_err());
    assert!(parse_fraction_grid("0:1:0").is_err());
    let e = enumerate_candidates(&s, &config(SPINEL, "16d", "In", "0.9")).unwrap_err();
    assert!(matches!(e, EnumerateError::FractionTooLarge { .. }), "{e}");
    assert!(e.to_string().contains("not charge-balanceable"));
    // a positive amount that snaps to 0 would enumerate no dopant without a word
    for tiny in ["0.001", "1e-9", "0,0.0009"] {
        let e = enumerate_candidates(&s, &config(SPINEL, "16d", "In", tiny)).unwrap_err();
        assert!(
            matches!(e, EnumerateError::FractionRoundsToZero { .. }),
            "{tiny}: {e}"
        );
        assert!(e.to_string().contains("would be read as 0"), "{e}");
    }
    // a grid that crosses the host content keeps its valid values and rejects the others
    let r = enumerate_candidates(&s, &config(SPINEL, "16d", "In", "0.5:0.75:0.0833")).unwrap();
    let doped: Vec<f64> = r
        .accepted
        .iter()
        .flat_map(|c| c.dopants.iter().map(|d| d.amount_per_fu))
        .collect();
    assert_eq!(doped.len(), 3, "1/2, 7/12 and 2/3 accepted: {doped:?}");
    assert!(doped.iter().all(|&x| x < 2.0 / 3.0 + 1e-12));
    let over: Vec<&Rejected> = r
        .rejected
        .iter()
        .filter(|x| matches!(x.reason, RejectReason::ExceedsHost { .. }))
        .collect();
    assert_eq!(over.len(), 1, "3/4 rejected as above the host content");
    assert!(
        over[0].message.contains("> host M content"),
        "{}",
        over[0].message
    );
    let e = enumerate_candidates(&s, &config(SPINEL, "8z", "In", "0.1")).unwrap_err();
    assert!(matches!(e, EnumerateError::UnknownSite { .. }), "{e}");
    assert!(e.to_string().contains("16d"), "{e}");
    let e = enumerate_candidates(&s, &config(SPINEL, "32e", "In", "0.1")).unwrap_err();
    assert!(matches!(e, EnumerateError::NoHostCation { .. }), "{e}");
    let e = enumerate_candidates(&s, &config(SPINEL, "8a", "In", "0.1")).unwrap_err();
    assert!(matches!(e, EnumerateError::NoHostCation { .. }), "{e}");
    // Li is the mobile ion, not a dopant (its "dLi" would miss the Li put on the site)
    let e = enumerate_candidates(&s, &config(SPINEL, "16d", "Li", "0.333")).unwrap_err();
    assert!(e.to_string().contains("Li is the mobile ion"), "{e}");
    // a radius tolerance of 100 % or more admits any ion: no rule
    let mut cfg = config(SPINEL, "16d", "In", "0.1");
    cfg.radius_tolerance = 5.0;
    let e = enumerate_candidates(&s, &cfg).unwrap_err();
    assert!(e.to_string().contains("radius_tolerance"), "{e}");
}

/// Fractions that no supercell of up to 12 primitive cells holds as whole numbers of sites
/// (3/2000 In; 3/5 In, whose Sc would round) get no ordered cell: one would have another
/// composition and net charge (it was written with the rounded counts). 1/9 fits.
#[test]
fn an_incommensurate_candidate_gets_no_ordered_cell() {
    let s = common::framework(SPINEL);
    let r = enumerate_candidates(
        &s,
        &config(SPINEL, "16d", "In", "0.0015,0.6,0.111111111111"),
    )
    .unwrap();
    let mut realiser = Realiser::new(&r);
    let opt = OrderingOptions::default();
    let by_x = |x: f64| {
        r.accepted
            .iter()
            .find(|c| {
                c.dopants
                    .first()
                    .is_some_and(|d| (d.amount.to_f64() - x).abs() < 1e-6)
            })
            .unwrap()
    };
    for x in [0.0015, 0.6] {
        let e = realiser.orderings(by_x(x), &opt).unwrap_err();
        assert!(matches!(e, EnumerateError::Incommensurate { .. }), "{e}");
        assert!(e.to_string().contains("another composition"), "{e}");
    }
    let o = realiser.orderings(by_x(1.0 / 9.0), &opt).unwrap();
    assert_eq!(o.composition_error, 0.0);
    // a request for more orderings than anyone reads (100 000 wrote 2 GB of CIFs) is refused
    let many = OrderingOptions {
        max_orderings: 1001,
        ..OrderingOptions::default()
    };
    let e = realiser.orderings(by_x(1.0 / 9.0), &many).unwrap_err();
    assert!(e.to_string().contains("more than 1000"), "{e}");
}

#[test]
fn site_by_label() {
    let s = common::framework(SPINEL);
    let r = enumerate_candidates(&s, &config(SPINEL, "Sc4", "In", "0.111")).unwrap();
    assert_eq!(r.framework.orbit_wyckoff, "16d");
    let r = enumerate_candidates(&s, &config(SPINEL, "d", "In", "0.111")).unwrap();
    assert_eq!(r.framework.orbit_wyckoff, "16d");
}

#[test]
fn average_model_is_charge_neutral() {
    let s = common::framework(SPINEL);
    let r = enumerate_candidates(&s, &config(SPINEL, "16d", "In,Zr,Mg", "0:0.666:0.222")).unwrap();
    let realiser = Realiser::new(&r);
    for c in &r.accepted {
        let avg = realiser.average_structure(c).unwrap();
        assert!(
            avg.charge().unwrap().abs() < 1e-6,
            "{}: {}",
            c.formula,
            avg.charge().unwrap()
        );
        assert!((avg.lattice.abc()[0] - c.lattice.a_ang).abs() < 1e-9);
        let per_fu = avg.composition().amount_of(el("Cl")) / 4.0;
        assert!(
            (avg.composition().amount_of(li()) / per_fu - c.composition.amount_of(li())).abs()
                < 1e-6
        );
    }
}

fn orderings_of(name: &str, dopant: &str, grid: &str, k: usize) -> OrderingResult {
    let s = common::framework(name);
    let r = enumerate_candidates(
        &s,
        &config(name, if name == MONO { "2a" } else { "16d" }, dopant, grid),
    )
    .unwrap();
    let c = &r.accepted[k];
    let mut realiser = Realiser::new(&r);
    realiser
        .orderings(
            c,
            &OrderingOptions {
                max_orderings: 1000,
                ..OrderingOptions::default()
            },
        )
        .unwrap()
}

#[test]
fn burnside_binary_spinel_16d() {
    // Li2Sc2/3Cl4: Li 2/3, Sc 1/3 on 16d → 3 primitive cells, 12 sites, Li8 Sc4
    let o = orderings_of(SPINEL, "In", "0", 0);
    assert_eq!(o.orbit_sites, 12);
    assert_eq!(o.counts.iter().sum::<usize>(), 12);
    assert_eq!(o.method, "exhaustive");
    assert_eq!(o.distinct_orderings, Some(o.burnside_count));
    assert_eq!(o.composition_error, 0.0);
    // the degeneracies add up to all 12!/(8!4!) = 495 colourings
    let total: usize = o.realisations.iter().map(|x| x.degeneracy.unwrap()).sum();
    assert_eq!(total, 495);
    assert_eq!(o.total_colourings, "495");
    // lowest energy first
    for w in o.realisations.windows(2) {
        assert!(w[0].ewald_energy_ev <= w[1].ewald_energy_ev);
    }
}

#[test]
fn burnside_ternary_spinel_16d_and_ewald_consistency() {
    // Li2In1/3Sc1/3Cl4: Li 8, In 2, Sc 2 on 12 16d sites
    let o = orderings_of(SPINEL, "In", "0.333", 1);
    assert_eq!(o.counts.iter().sum::<usize>(), 12);
    let mut c = o.counts.clone();
    c.sort_unstable();
    assert_eq!(c, [2, 2, 8]);
    assert_eq!(o.distinct_orderings, Some(o.burnside_count));
    let total: usize = o.realisations.iter().map(|x| x.degeneracy.unwrap()).sum();
    assert_eq!(total, 2970); // 12!/(8!2!2!)
                             // the quadratic-form energy equals a direct Ewald sum of the realised structure
    for x in o.realisations.iter().take(3) {
        let direct = ewald(&x.structure, EwaldParams::default())
            .unwrap()
            .total_energy_ev;
        assert!(
            (direct - x.ewald_energy_ev).abs() < 1e-5,
            "{direct} vs {}",
            x.ewald_energy_ev
        );
        assert!(x.structure.charge().unwrap().abs() < 1e-6);
    }
}

#[test]
fn burnside_monoclinic_m_sites() {
    // Li3MCl6 with M = In/Sc: In 1/3 on a host of Sc... use the Zr-free In substitution at
    // x = 1/2 on the 2a orbit: host (In 0.664, Sc 0.336) scaled by 1/2 plus In 1/2 is not
    // commensurate, so give the host explicitly via the Li2Sc2/3Cl4-like rule: test on the
    // undoped framework with a commensurate override of the shares instead: use Mg x = 1/2
    let s = common::framework(MONO);
    let mut cfg = config(MONO, "2a", "Mg,Zr", "0.5");
    cfg.max_dopants = 2;
    let r = enumerate_candidates(&s, &cfg).unwrap();
    // Mg1/2 Zr1/2 on 2a: no host left, Mg and Zr half each: binary on the M sites
    let c = r
        .accepted
        .iter()
        .find(|c| c.dopants.len() == 2)
        .expect("Mg0.5Zr0.5");
    assert_eq!(c.li_change, Rational::ZERO);
    let mut realiser = Realiser::new(&r);
    for det in [2usize, 4, 6] {
        let m = halo_symmetry::hnf_matrices(det)[0];
        let o = realiser
            .orderings(
                c,
                &OrderingOptions {
                    supercell: Some(m),
                    max_orderings: 100,
                    ..OrderingOptions::default()
                },
            )
            .unwrap();
        assert_eq!(o.orbit_sites, det);
        assert_eq!(o.distinct_orderings, Some(o.burnside_count), "det {det}");
        let total: usize = o.realisations.iter().map(|x| x.degeneracy.unwrap()).sum();
        assert_eq!(total as u128, halo_symmetry::group::multinomial(&o.counts));
    }
}

#[test]
fn random_realisations_are_seeded() {
    let s = common::framework(SPINEL);
    let r = enumerate_candidates(&s, &config(SPINEL, "16d", "In", "0.111")).unwrap();
    let c = r.accepted.iter().find(|c| !c.dopants.is_empty()).unwrap();
    let opt = OrderingOptions {
        max_colourings: 0,
        n_random: 4,
        seed: 7,
        ..OrderingOptions::default()
    };
    let mut realiser = Realiser::new(&r);
    let a = realiser.orderings(c, &opt).unwrap();
    let b = realiser.orderings(c, &opt).unwrap();
    assert_eq!(a.method, "random");
    assert_eq!(a.seed, Some(candidate_seed(7, &c.id)));
    let ca: Vec<_> = a.realisations.iter().map(|x| x.colouring.clone()).collect();
    let cb: Vec<_> = b.realisations.iter().map(|x| x.colouring.clone()).collect();
    assert_eq!(ca, cb);
    let other = realiser
        .orderings(
            c,
            &OrderingOptions {
                seed: 8,
                ..opt.clone()
            },
        )
        .unwrap();
    let co: Vec<_> = other
        .realisations
        .iter()
        .map(|x| x.colouring.clone())
        .collect();
    assert_ne!(ca, co);
    // In 1/9 per formula unit = 1/18 of 16d: 9 primitive cells, 36 sites, In 2
    assert_eq!(a.orbit_sites, 36);
    assert_eq!(a.composition_error, 0.0);
    for x in &a.realisations {
        let n_in = x.structure.composition().amount_of(el("In"));
        assert!((n_in - 2.0).abs() < 1e-9);
    }
}

#[test]
fn literature_wyckoff_names_on_every_framework() {
    // moyo may put the spinel M orbit on 16c (origin shift ½,½,½); the framework model names
    // it 16d with 8a/16c interstitials, as the papers do, for every refined spinel
    for name in [
        SPINEL,
        "Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron",
        "Li2In0.444Sc0.222Cl4_Fd-3m_Zhou2022_neutron",
    ] {
        let s = common::framework(name);
        let r = enumerate_candidates(&s, &config(name, "16d", "In", "0")).unwrap();
        assert_eq!(r.framework.orbit_wyckoff, "16d", "{name}");
        let mut w: Vec<&str> = r
            .framework
            .li_orbits
            .iter()
            .map(|o| o.wyckoff.as_str())
            .collect();
        w.sort_unstable();
        assert_eq!(w, ["16c", "48f", "8a"], "{name}");
        assert!(r.accepted[0].composition.charge().unwrap().abs() < 1e-9);
    }
    for name in [MONO, "Li3In2-3Sc1-3Cl6_C2m_Zhou2022_SCXRD"] {
        let s = common::framework(name);
        let r = enumerate_candidates(&s, &config(name, "2a", "Zr", "0")).unwrap();
        assert_eq!(r.framework.orbit_wyckoff, "2a", "{name}");
    }
    // LiAlCl4 (P2_1/c): Al on 4e, Li on 4e: the Al orbit is named by its label
    let s = common::framework("LiAlCl4");
    let mut cfg = config("LiAlCl4", "Al1", "Ga", "0,0.25");
    cfg.radius_tolerance = 0.2; // Ga3+ 62 pm vs Al3+ 53.5 pm: +15.9 %
    let r = enumerate_candidates(&s, &cfg).unwrap();
    assert_eq!(r.framework.space_group_symbol, "P2_1/c");
    assert_eq!(r.framework.host_m_per_fu, Rational::ONE);
    assert_eq!(r.accepted.len(), 2);
}

/// A mixed host's refined shares are its nominal ones within the refinement's precision: the
/// C2/m refinement's 2a In 0.664 / Sc 0.336 is In2/3 Sc1/3, as its composition is, so the
/// undoped framework is orderable in a 3-site cell (one distinct ordering, In In Sc); read as
/// decimals no supercell of up to 12 cells could hold it.
#[test]
fn a_mixed_hosts_shares_are_nominal_and_orderable() {
    let s = common::framework(MONO);
    let r = enumerate_candidates(&s, &config(MONO, "2a", "Zr", "0")).unwrap();
    let undoped = r
        .accepted
        .iter()
        .find(|c| c.dopants.is_empty())
        .expect("undoped");
    let share = |e: &str| -> Rational {
        undoped
            .orbit_occupancies
            .iter()
            .find(|(sp, _)| sp.element == el(e))
            .map(|(_, r)| *r)
            .unwrap_or_else(|| panic!("{e}: {:?}", undoped.orbit_occupancies))
    };
    assert_eq!(share("In"), Rational::new(2, 3));
    assert_eq!(share("Sc"), Rational::new(1, 3));
    assert_eq!(undoped.formula, "Li3Sc0.3333In0.6667Cl6");
    let mut realiser = Realiser::new(&r);
    let o = realiser
        .orderings(undoped, &OrderingOptions::default())
        .expect("an ordered cell of the undoped mixed host");
    assert_eq!(o.orbit_sites, 3);
    assert_eq!(o.distinct_orderings, Some(1));
}

/// A candidate that would hold no Li at all (Mo6+ for all of Li3MCl6's M) is rejected as Li
/// depleted; one whose only Li share the substituted site (Nb5+ 1/3 on the spinel's 16d) is
/// kept, and its Li note says the averaged model has no mobile Li in it.
#[test]
fn li_free_candidates_are_rejected_or_named() {
    let s = common::framework(MONO);
    let mut cfg = config(MONO, "2a", "Mo", "1");
    cfg.radius_tolerance = 0.3;
    let r = enumerate_candidates(&s, &cfg).unwrap();
    let rej = r
        .rejected
        .iter()
        .find(|x| x.dopants.iter().any(|(sp, _)| sp.element == el("Mo")))
        .expect("Mo rejected");
    assert!(
        matches!(rej.reason, RejectReason::LiDepleted { .. }),
        "{rej:?}"
    );
    assert!(rej.message.contains("no Li left"), "{}", rej.message);
    let s = common::framework(SPINEL);
    let mut cfg = config(SPINEL, "16d", "Nb", "0.3333");
    cfg.radius_tolerance = 0.3;
    let r = enumerate_candidates(&s, &cfg).unwrap();
    let nb = find(&r, "Nb", Rational::new(1, 3));
    assert!(
        nb.li_note.contains("no Li is left on the Li-only sites"),
        "{}",
        nb.li_note
    );
    let undoped = r.accepted.iter().find(|c| c.dopants.is_empty()).unwrap();
    assert!(
        !undoped.li_note.contains("no Li is left"),
        "{}",
        undoped.li_note
    );
}

/// Every supercell of index 12 of the spinel framework builds with its 360 sites: the same
/// position reached from two images was identified by rounding at half a step of 1e-6, where
/// the refined decimals divided by the cell land exactly (Cl x = 0.12065), and 208 of the 455
/// cells came out with 391–456 sites ("coordinates too close to each other?"), so no ordering
/// of e.g. Zr 1/24 could be realised.
#[test]
fn every_supercell_of_the_spinel_builds() {
    let s = common::framework(SPINEL);
    let info = halo_symmetry::analyze(&s, 0.01).unwrap();
    let hnfs = halo_symmetry::hnf_matrices(12);
    assert_eq!(hnfs.len(), 455);
    for h in hnfs {
        let sc =
            halo_symmetry::Supercell::new(&s, &info, h).unwrap_or_else(|e| panic!("{h:?}: {e}"));
        assert_eq!(sc.structure.num_sites(), 360, "{h:?}");
    }
}
