//! Peak heap per voxel of landscape + percolation analysis stays within the 64-byte budget
//! (counting global allocator; this file holds a single test so no other test allocates
//! concurrently).

use halo_bvse::{landscape, BvseParams, BYTES_PER_VOXEL_BUDGET};
use halo_percolation::{analyze, PercolationParams};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(l.size(), Ordering::SeqCst) + l.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        CURRENT.fetch_sub(l.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static A: Counting = Counting;

#[test]
fn peak_heap_per_voxel_within_budget() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif");
    let s = halo_io::read_structure(&path).unwrap().structure;
    let params = BvseParams {
        resolution_ang: 0.15,
        ..Default::default()
    };
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let land = landscape(&s, &params).unwrap();
    let r = analyze(&land, &PercolationParams::default()).unwrap();
    let peak = PEAK.load(Ordering::SeqCst) - base;
    let per_voxel = peak as f64 / land.num_voxels() as f64;
    eprintln!(
        "{} voxels, peak heap {} bytes = {per_voxel:.1} bytes/voxel; E_3D = {:?}",
        land.num_voxels(),
        peak,
        r.thresholds.e_3d_ev
    );
    assert!(land.num_voxels() > 300_000);
    assert!(
        per_voxel <= BYTES_PER_VOXEL_BUDGET as f64,
        "{per_voxel} bytes/voxel"
    );
}
