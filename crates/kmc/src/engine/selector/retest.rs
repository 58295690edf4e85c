//! The compact tables and the per-event re-test of the rate-group selector ([`super::RateGroups`],
//! docs/physics.md §5.6). After a hop i → j only the directed hops out of i and j and the hops
//! into the sites whose occupancy or blocking count changed can change their allowed state;
//! [`collect_retests`] queues exactly those with their new state and [`apply_queue`] lists or
//! unlists them. Memory layout for large supercells (every distinct cache line an event touches
//! is a likely miss beyond ~10⁴ sites): 8-byte hop records (target, reverse) contiguous per
//! site, one 16-byte record per site, group words per primitive hop, list positions in their
//! own array.

/// Occupied flag of a packed site state ([`super::RateGroups`] keeps one word per site:
/// blocking count in bits 0–30 and this flag).
pub(super) const OCCUPIED: u32 = 1 << 31;
/// Marker for a hop that is in no allowed list.
pub(super) const NOT_LISTED: u32 = u32::MAX;

/// The supercell-specific facts the rate-group selector needs of one directed hop, in one
/// 8-byte record (a site's records are contiguous: one cache line for 8 hops). What depends only
/// on the primitive hop — its group and self-blocking flag and those of its reverse — is in the
/// small `RateGroups::prim_words` table, so re-testing the hops out of and into a site reads that
/// site's records and never its neighbours'. The one mutable field, the list position, lives in
/// the separate `RateGroups::pos`.
#[derive(Clone, Copy)]
#[repr(C)]
pub(super) struct HotHop {
    /// Target site.
    pub(super) to: u32,
    /// The reverse directed hop.
    pub(super) rev: u32,
}

/// Bit 31 of a group word: the self-blocking flag (the target's blocking count includes the
/// source); bits 0–30: the rate group.
pub(super) const SELF_BIT: u32 = 1 << 31;

/// A queued re-test: directed hop, and its group word with bit 31 replaced by the allowed state.
#[derive(Clone, Copy)]
pub(super) struct Retest {
    hop: u32,
    group_allowed: u32,
}

impl Retest {
    /// Re-test of a hop with group word `group_self` (see [`SELF_BIT`]), allowed or not.
    #[inline(always)]
    pub(super) fn new(hop: u32, group_self: u32, allowed: bool) -> Retest {
        Retest {
            hop,
            group_allowed: (group_self & !SELF_BIT) | (allowed as u32) << 31,
        }
    }
}

/// What an event reads of a site's static data, in one 16-byte record (the network keeps them
/// in four arrays, four cache misses on a large supercell instead of one).
#[derive(Clone, Copy)]
#[repr(C)]
pub(super) struct SiteRec {
    /// First directed hop out of the site (the next record's is the end).
    pub(super) hop_start: u32,
    /// First blocking neighbour in the network's `block_list` (the next record's is the end).
    pub(super) block_start: u32,
    /// Index of the site's first hop vector in `prim_hop_vec_ang`.
    pub(super) prim_hop_base: u32,
    /// Site class.
    pub(super) class: u32,
}

/// Directed hops out of site `i`.
#[inline(always)]
pub(super) fn hops(site: &[SiteRec], i: usize) -> std::ops::Range<usize> {
    site[i].hop_start as usize..site[i + 1].hop_start as usize
}

/// The constant tables a re-test reads (see [`super::RateGroups`]; `block_list` is the network's).
#[derive(Clone, Copy)]
pub(super) struct Tables<'t> {
    pub(super) site: &'t [SiteRec],
    pub(super) block_list: &'t [u32],
    pub(super) hot: &'t [HotHop],
    pub(super) prim_words: &'t [[u32; 2]],
}

/// Directed hops out of site `i`, each with the group words of itself and its reverse.
#[inline(always)]
pub(super) fn hops_with_words<'w>(
    site: &[SiteRec],
    prim_words: &'w [[u32; 2]],
    i: usize,
) -> impl Iterator<Item = (usize, [u32; 2])> + 'w {
    let start = site[i].hop_start as usize;
    let base = site[i].prim_hop_base as usize;
    let len = site[i + 1].hop_start as usize - start;
    prim_words[base..base + len]
        .iter()
        .enumerate()
        .map(move |(l, &w)| (start + l, w))
}

/// Blocking neighbours of site `i`.
#[inline(always)]
pub(super) fn blockers<'b>(site: &[SiteRec], block_list: &'b [u32], i: usize) -> &'b [u32] {
    &block_list[site[i].block_start as usize..site[i + 1].block_start as usize]
}

/// Is a hop with group word `group_self` (see [`HotHop`]) from a site in state `from_state` to
/// one in state `to_state` allowed: source occupied and target state equal to the hop's
/// self-blocking flag (empty, no blocker but the source).
#[inline(always)]
pub(super) fn allowed(from_state: u32, to_state: u32, group_self: u32) -> bool {
    (from_state & OCCUPIED != 0) & (to_state == group_self >> 31)
}

/// Queue the re-tests of the hops a move i → j can change (the states are already updated):
/// the hops out of i (none allowed now) and j, and every hop into a site whose occupancy or
/// blocking count changed (the reverses of its outgoing hops), each with its allowed state.
/// A hop k → s out of an empty site k ≠ i is neither allowed now nor was listed before (only i
/// and j changed occupancy), so it is not queued. Slices as arguments, so the compiler knows
/// that writing the queue changes no state or record.
///
/// Returns the number of entries written to `queue`. Conditional entries are written
/// unconditionally and kept by advancing the count by 0 or 1 (no branches).
#[inline(always)]
pub(super) fn collect_retests(
    tables: Tables,
    state: &[u32],
    i: usize,
    j: usize,
    queue: &mut [Retest],
) -> usize {
    let Tables {
        site,
        block_list,
        hot,
        prim_words,
    } = tables;
    let mut n = 0;
    let si = state[i];
    for (h, [w, rw]) in hops_with_words(site, prim_words, i) {
        let hh = hot[h];
        queue[n] = Retest::new(h as u32, w, false);
        let k = state[hh.to as usize];
        queue[n + 1] = Retest::new(hh.rev, rw, allowed(k, si, rw));
        n += 1 + (k & OCCUPIED != 0) as usize;
    }
    let sj = state[j];
    for (h, [w, rw]) in hops_with_words(site, prim_words, j) {
        let hh = hot[h];
        let k = state[hh.to as usize];
        queue[n] = Retest::new(h as u32, w, allowed(sj, k, w));
        queue[n + 1] = Retest::new(hh.rev, rw, false);
        n += 1 + (k & OCCUPIED != 0) as usize;
    }
    // a hop into s needs state[s] = its self-blocking flag (0 or 1): only counts that are or
    // were ≤ 1 can change a hop (B(i) lost one: new ≤ 1; B(j) gained one: new ≤ 2)
    for (list, limit) in [
        (blockers(site, block_list, i), 1),
        (blockers(site, block_list, j), 2),
    ] {
        for &s in list {
            let ss = state[s as usize];
            // i and j (blockers of each other when their hop is self-blocking) were re-tested
            // above with the same states
            if ss & !OCCUPIED > limit || s as usize == i || s as usize == j {
                continue;
            }
            for (h, [_, rw]) in hops_with_words(site, prim_words, s as usize) {
                let hh = hot[h];
                let k = state[hh.to as usize];
                queue[n] = Retest::new(hh.rev, rw, allowed(k, ss, rw));
                n += (k & OCCUPIED != 0) as usize;
            }
        }
    }
    n
}

/// List or unlist every queued hop (after [`collect_retests`]; a hop queued twice with the same state is a no-op the second time); the groups whose counts
/// changed are appended to `dirty` once each.
#[inline(always)]
pub(super) fn apply_queue(
    pos: &mut [u32],
    lists: &mut [Vec<u32>],
    queue: &[Retest],
    is_dirty: &mut [bool],
    dirty: &mut Vec<u32>,
) {
    for r in queue {
        let h = r.hop as usize;
        let allowed = r.group_allowed & SELF_BIT != 0;
        let p = pos[h];
        if allowed == (p != NOT_LISTED) {
            continue;
        }
        let g = (r.group_allowed & !SELF_BIT) as usize;
        let list = &mut lists[g];
        if allowed {
            pos[h] = list.len() as u32;
            list.push(h as u32);
        } else {
            let last = list.pop().expect("a listed hop's list is not empty");
            if last as usize != h {
                list[p as usize] = last;
                pos[last as usize] = p;
            }
            pos[h] = NOT_LISTED;
        }
        if !is_dirty[g] {
            is_dirty[g] = true;
            dirty.push(g as u32);
        }
    }
}
