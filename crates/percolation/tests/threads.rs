//! The landscape and the percolation analysis do not depend on the number of threads: 1, 2
//! and 3 worker threads give the same bits (both modes).

use halo_bvse::{landscape, BvseParams, GridMode};
use halo_percolation::{analyze, PercolationParams};
use std::path::PathBuf;

fn run(threads: usize, params: &BvseParams) -> (Vec<u64>, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif");
    let s = halo_io::read_structure(&path).unwrap().structure;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let land = landscape(&s, params).unwrap();
        let r = analyze(&land, &PercolationParams::default()).unwrap();
        (
            land.energies_ev.iter().map(|e| e.to_bits()).collect(),
            serde_json::to_string(&r).unwrap(),
        )
    })
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    for mode in [GridMode::Default, GridMode::Bvlain] {
        let params = BvseParams {
            resolution_ang: 0.3,
            mode,
            ..Default::default()
        };
        let one = run(1, &params);
        for threads in [2, 3] {
            let many = run(threads, &params);
            assert!(
                one.0 == many.0,
                "{mode:?}: energies differ with {threads} threads"
            );
            assert!(
                one.1 == many.1,
                "{mode:?}: analysis differs with {threads} threads"
            );
        }
    }
}
