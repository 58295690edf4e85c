//! Block observables (docs/physics.md §5.8–§5.9). Displacements are unwrapped: each hop adds its
//! Cartesian hop vector, image included. A block is a window of the trajectory; over a block of
//! length t with N ions in d dimensions the estimators are
//!
//! - D*  = ⟨Σ_i |Δr_i|²⟩ / (2dNt) (tracer, from [`BlockRecord::sum_sq_disp_ang2`]),
//! - D_σ = ⟨|Σ_i Δr_i|²⟩ / (2dNt) (charge, from [`BlockRecord::sq_total_disp_ang2`]),
//! - f   = Σ_i |Δr_i|² / Σ_hops |hop|² (tracer correlation factor),
//!
//! and each block carries its cross term with the adjacent previous block, so correlations
//! shorter than a block are not cut at block edges (§5.9). The per-hop bookkeeping (clocks,
//! displacements, time-weighted class occupancies) is here too.

use serde::{Deserialize, Serialize};

use super::checkpoint::TrajectoryCheckpoint;

/// What one block (a window of the trajectory) measured. Displacements are unwrapped (each hop
/// adds its Cartesian hop vector, image included) and taken relative to the block start.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockRecord {
    /// Simulated time of the block, s.
    pub time_s: f64,
    /// Events (hops) in the block.
    pub events: u64,
    /// Σ_i |Δr_i|², Å² (tracer).
    pub sum_sq_disp_ang2: f64,
    /// |Σ_i Δr_i|², Å² (charge / collective).
    pub sq_total_disp_ang2: f64,
    /// Σ_i Δr_i, Å (centre-of-mass drift diagnostic).
    pub total_disp_ang: [f64; 3],
    /// Σ over hops of |hop|², Å² (the uncorrelated-walk reference for correlation factors).
    pub sum_sq_jump_ang2: f64,
    /// Σ_i Δr_i(this block)·Δr_i(previous block), Å² (0 when no adjacent previous block).
    /// Adding twice this to `sum_sq_disp_ang2` restores the correlations cut by the block
    /// boundary, removing the O(1/block length) bias of windowed MSD estimates.
    pub cross_prev_ang2: f64,
    /// (Σ_iΔr_i(this block))·(Σ_iΔr_i(previous block)), Å², the same for the charge term.
    pub cross_total_prev_ang2: f64,
}

/// Advance the clocks by `dt` before a hop: the time-weighted class occupancies (with the
/// occupancy before the hop), the time and the event count.
#[inline(always)]
pub(crate) fn advance_clock(st: &mut TrajectoryCheckpoint, dt: f64) {
    for (c, n) in st.class_time.iter_mut().zip(&st.class_count) {
        *c += *n as f64 * dt;
    }
    st.time_s += dt;
    st.events += 1;
}

/// Record a hop of `ion` along hop vector `v` from a site of class `class_ij[0]` to one of
/// class `class_ij[1]`: its unwrapped displacement, the block's Σ|hop|² and the class counts.
#[inline(always)]
pub(crate) fn record_hop(
    st: &mut TrajectoryCheckpoint,
    ion: u32,
    v: [f64; 3],
    class_ij: [usize; 2],
) {
    let d = &mut st.disp_ang[ion as usize];
    d[0] += v[0];
    d[1] += v[1];
    d[2] += v[2];
    st.block_sq_jump_ang2 += v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
    st.class_count[class_ij[0]] -= 1;
    st.class_count[class_ij[1]] += 1;
}

/// Open a block at the current state (its predecessor, if any, stays recorded).
pub(crate) fn restart_block(st: &mut TrajectoryCheckpoint) {
    st.block_start_disp_ang.clone_from(&st.disp_ang);
    st.block_start_time_s = st.time_s;
    st.block_start_events = st.events;
    st.block_sq_jump_ang2 = 0.0;
    st.block_open = true;
}

/// Start a new block here, discarding any partial one; the next block has no adjacent
/// predecessor (its cross terms are 0).
pub(crate) fn begin_block(st: &mut TrajectoryCheckpoint) {
    restart_block(st);
    st.prev_block_disp_ang.clear();
}

/// Close the current block, record it and open the next one (adjacent to it).
pub(crate) fn end_block(st: &mut TrajectoryCheckpoint) -> BlockRecord {
    let n = st.disp_ang.len();
    let mut cur = Vec::with_capacity(n);
    let mut sum_sq = 0.0;
    let mut tot = [0.0f64; 3];
    for (d, d0) in st.disp_ang.iter().zip(&st.block_start_disp_ang) {
        let dx = [d[0] - d0[0], d[1] - d0[1], d[2] - d0[2]];
        sum_sq += dx[0] * dx[0] + dx[1] * dx[1] + dx[2] * dx[2];
        for k in 0..3 {
            tot[k] += dx[k];
        }
        cur.push(dx);
    }
    let (mut cross, mut cross_tot) = (0.0, 0.0);
    if st.prev_block_disp_ang.len() == n {
        let mut ptot = [0.0f64; 3];
        for (c, p) in cur.iter().zip(&st.prev_block_disp_ang) {
            cross += c[0] * p[0] + c[1] * p[1] + c[2] * p[2];
            for k in 0..3 {
                ptot[k] += p[k];
            }
        }
        cross_tot = tot[0] * ptot[0] + tot[1] * ptot[1] + tot[2] * ptot[2];
    }
    let rec = BlockRecord {
        time_s: st.time_s - st.block_start_time_s,
        events: st.events - st.block_start_events,
        sum_sq_disp_ang2: sum_sq,
        sq_total_disp_ang2: tot[0] * tot[0] + tot[1] * tot[1] + tot[2] * tot[2],
        total_disp_ang: tot,
        sum_sq_jump_ang2: st.block_sq_jump_ang2,
        cross_prev_ang2: cross,
        cross_total_prev_ang2: cross_tot,
    };
    st.blocks.push(rec);
    st.prev_block_disp_ang = cur;
    restart_block(st);
    rec
}
