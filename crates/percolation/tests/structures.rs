//! Every CIF in structures/ in default mode at 0.2 Å: thresholds against the golden file
//! tests/data/default_thresholds.json (regenerate on purpose with `HALO_BLESS=1`), site-graph
//! percolation equal to the grid sweep, and Li sites labelled with CIF sites.

use halo_bvse::{landscape, BvseParams};
use halo_percolation::{analyze, graph_thresholds, PercolationParams, Thresholds};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Tolerance on default-mode thresholds against the golden file, eV.
const GOLDEN_TOL_EV: f64 = 1e-6;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cifs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("../../structures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cif"))
        .collect();
    v.sort();
    v
}

#[test]
fn default_mode_on_every_structure() {
    let golden_path = root().join("tests/data/default_thresholds.json");
    let bless = std::env::var_os("HALO_BLESS").is_some();
    let golden: BTreeMap<String, Thresholds> = if bless {
        BTreeMap::new()
    } else {
        serde_json::from_str(&std::fs::read_to_string(&golden_path).unwrap()).unwrap()
    };
    let mut out = BTreeMap::new();
    let files = cifs();
    assert!(files.len() >= 6);
    for p in files {
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        let s = halo_io::read_structure(&p).unwrap().structure;
        let land = landscape(&s, &BvseParams::default()).unwrap();
        let r = analyze(&land, &PercolationParams::default()).unwrap();
        // (4) graph percolation equals the grid sweep, exactly
        assert_eq!(graph_thresholds(&r.site_graph), r.thresholds, "{name}");
        // every structure conducts in 3D below 1 eV
        let e3 = r.thresholds.e_3d_ev.unwrap_or(f64::INFINITY);
        assert!(e3 > 0.05 && e3 < 1.0, "{name}: E_3D = {e3}");
        // the deepest site is labelled with a CIF Li site
        let g = &r.site_graph.graph;
        // hops join neighbouring basins (the longest, 7.4–7.5 Å, run between the spinels' empty
        // 16d with their Li removed): a site refined to just below a cell face was put one cell
        // off its hops, 9.8 Å in the C2/m refinement, whose longest hop is 6.4 Å
        let longest = g
            .edge_indices()
            .map(|e| g[e].hop_length_ang())
            .fold(0.0, f64::max);
        assert!(longest < 8.0, "{name}: a hop of {longest} Å");
        let deepest = g
            .node_indices()
            .min_by(|a, b| g[*a].energy_ev.total_cmp(&g[*b].energy_ev))
            .unwrap();
        assert!(
            g[deepest].label.is_some(),
            "{name}: deepest site unlabelled"
        );
        eprintln!(
            "{name}: E_1D {:?} E_2D {:?} E_3D {:?}; {} sites ({} minima), {} edges",
            r.thresholds.e_1d_ev,
            r.thresholds.e_2d_ev,
            r.thresholds.e_3d_ev,
            g.node_count(),
            r.n_grid_minima,
            g.edge_count()
        );
        if !bless {
            let want = golden
                .get(&name)
                .unwrap_or_else(|| panic!("{name} not in golden file"));
            for d in 1..=3 {
                match (want.get(d), r.thresholds.get(d)) {
                    (Some(w), Some(x)) => {
                        assert!((w - x).abs() < GOLDEN_TOL_EV, "{name} E_{d}D: {w} vs {x}")
                    }
                    (None, None) => {}
                    (w, x) => panic!("{name} E_{d}D: golden {w:?}, now {x:?}"),
                }
            }
        }
        out.insert(name, r.thresholds);
    }
    if bless {
        std::fs::write(
            &golden_path,
            serde_json::to_string_pretty(&out).unwrap() + "\n",
        )
        .unwrap();
    }
}

/// Symmetric twins of a refined Li site are labelled alike. In the DFT-relaxed Li3AlF6 cell
/// (mp-15254, written in P1 with one label per atom) the landscape minima of Li11/Li13 lie
/// 0.46 Å from their atoms and those of their twins Li10/Li12 0.53 Å, across the 0.5 Å label
/// tolerance: the grid puts each minimum on a voxel. The second pass labels the twins too, and
/// every Li atom of the file then labels exactly one site.
#[test]
fn displaced_symmetric_twins_are_labelled_alike() {
    let p = root().join("../../tests/validation/structures/Li3AlF6_C2c_mp-15254_obx-l9v.cif");
    let s = halo_io::read_structure(&p).unwrap().structure;
    let land = landscape(&s, &BvseParams::default()).unwrap();
    let r = analyze(&land, &PercolationParams::default()).unwrap();
    let g = &r.site_graph.graph;
    let li_labels: Vec<String> = s
        .sites
        .iter()
        .filter(|x| x.species.iter().all(|(sp, _)| sp.element.symbol() == "Li"))
        .map(|x| x.label.clone().unwrap())
        .collect();
    assert_eq!(li_labels.len(), 18);
    for l in &li_labels {
        let n = g
            .node_indices()
            .filter(|&i| g[i].label.as_deref() == Some(l.as_str()))
            .count();
        assert_eq!(n, 1, "{l} labels {n} sites");
    }
    // each label sits within the tolerance plus the grid's discretisation of its atom
    let lattice = &land.lattice;
    for i in g.node_indices() {
        let Some(l) = &g[i].label else { continue };
        let atom = s
            .sites
            .iter()
            .find(|x| x.label.as_deref() == Some(l.as_str()))
            .unwrap();
        let (d, _) = lattice.distance_and_image(
            &nalgebra::Vector3::from(g[i].frac_coords),
            &nalgebra::Vector3::from(atom.frac_coords),
        );
        assert!(d < 0.5 + 0.35, "{l}: {d}");
    }
}

/// The same crystal in two cells gives its sites where they are: LiI rock salt (a = 5.9684 Å)
/// in its 60° primitive cell (the validation set's mp-22899) and in the cubic cell. The distance
/// between a Li site and the tetrahedral interstitial beside it is √3/4·a = 2.584 Å; with the
/// sites on grid points it came out 2.509 Å in one cell and 2.412 Å in the other at 0.2 Å, on
/// either side of the kMC's 2.5 Å blocking distance (σ(300 K) five decades apart).
#[test]
fn sites_are_placed_alike_in_a_primitive_and_a_conventional_cell() {
    let a_prim = 4.22026477_f64;
    let a = a_prim * 2f64.sqrt();
    let cubic = format!(
        "data_LiI\n_cell_length_a {a}\n_cell_length_b {a}\n_cell_length_c {a}\n\
         _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
         _symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n\
         _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
         Li1 Li 0 0 0\nLi2 Li 0 0.5 0.5\nLi3 Li 0.5 0 0.5\nLi4 Li 0.5 0.5 0\n\
         I1 I 0.5 0.5 0.5\nI2 I 0.5 0 0\nI3 I 0 0.5 0\nI4 I 0 0 0.5\n"
    );
    let primitive = std::fs::read_to_string(
        root().join("../../tests/validation/structures/LiI_Fm-3m_mp-22899.cif"),
    )
    .unwrap();
    let want = 3f64.sqrt() / 4.0 * a;
    for (name, text) in [("primitive", primitive), ("cubic", cubic)] {
        let s = halo_io::cif::parse_cif(&text, name, &Default::default())
            .unwrap()
            .structure;
        let land = landscape(&s, &BvseParams::default()).unwrap();
        let r = analyze(&land, &PercolationParams::default()).unwrap();
        let g = &r.site_graph.graph;
        let shortest = g
            .edge_indices()
            .filter(|&e| {
                let (x, y) = g.edge_endpoints(e).unwrap();
                g[x].label.is_some() != g[y].label.is_some()
            })
            .map(|e| g[e].hop_length_ang())
            .fold(f64::INFINITY, f64::min);
        assert!(
            (shortest - want).abs() < 0.02,
            "{name}: Li site to interstitial {shortest:.3} Å, rock salt {want:.3} Å"
        );
    }
}
