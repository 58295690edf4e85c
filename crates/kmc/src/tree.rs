//! A 16-ary sum tree over rates for rejection-free (BKL) event selection: over the rate groups
//! of the n-fold-way selector and over the per-site total rates of the repulsion selector.

/// Fan-out of [`SumTree`].
const FAN: usize = 16;

/// Sum of 16 values in a fixed order, four interleaved partial sums
/// ((c_k + c_{k+4}) + c_{k+8}) + c_{k+12}, then (l0 + l1) + (l2 + l3): short dependency chains
/// (the compiler may use SIMD lanes) and the same bits every time.
#[inline(always)]
fn sum16(c: &[f64]) -> f64 {
    let c: &[f64; FAN] = c.try_into().expect("16 children");
    let mut l = [0.0f64; 4];
    for (k, lk) in l.iter_mut().enumerate() {
        *lk = ((c[k] + c[k + 4]) + c[k + 8]) + c[k + 12];
    }
    (l[0] + l[1]) + (l[2] + l[3])
}

/// A 16-ary sum tree: each node is the sum of its 16 children (in a fixed order: four
/// interleaved partial sums), the total the sum of the top level. Updates recompute ancestors
/// **from their children** (never by adding a difference), so every node is a pure function of
/// the leaves: no round-off drift accumulates and a rebuilt tree is bit-identical. Shallow
/// (depth ⌈log₁₆ n⌉: 5 levels for 10⁶ leaves) with contiguous children, so a batch of updates
/// and a selection touch a few cache lines.
#[derive(Clone, Debug)]
pub struct SumTree {
    /// level 0 = leaves (padded to a multiple of 16), level k + 1 = sums of 16 of level k; the
    /// last level has at most 16 entries.
    levels: Vec<Vec<f64>>,
    total: f64,
    /// Per level, the batch that last recomputed each node (duplicate parents are skipped).
    stamp: Vec<Vec<u32>>,
    batch: u32,
}

impl SumTree {
    /// A tree of `n` zero leaves.
    pub fn new(n: usize) -> SumTree {
        let mut levels = Vec::new();
        let mut len = n.max(1);
        loop {
            let padded = len.div_ceil(FAN) * FAN;
            levels.push(vec![0.0; padded]);
            if len <= FAN {
                break;
            }
            len = padded / FAN;
        }
        let stamp = levels.iter().map(|l| vec![0; l.len()]).collect();
        SumTree {
            levels,
            total: 0.0,
            stamp,
            batch: 0,
        }
    }

    /// Sum of all leaves.
    #[inline]
    pub fn total(&self) -> f64 {
        self.total
    }

    /// Leaf value.
    pub fn leaf(&self, i: usize) -> f64 {
        self.levels[0][i]
    }

    /// Set the leaves `leaves` (`leaf i ← value(i)`) and recompute their ancestors from their
    /// children (each once in trees of more than 256 leaves; in smaller trees a parent of several
    /// changed leaves is recomputed once per leaf, to the same bits). `leaves` is scratch and is
    /// left empty.
    pub fn set_many(&mut self, leaves: &mut Vec<u32>, value: impl Fn(usize) -> f64) {
        for &i in leaves.iter() {
            self.levels[0][i as usize] = value(i as usize);
        }
        if self.levels.len() == 2 {
            // ≤ 256 leaves: recompute the parent of each changed leaf (a parent met twice is
            // recomputed twice, to the same bits), cheaper than stamping for a few leaves
            let (lower, upper) = self.levels.split_at_mut(1);
            for &i in leaves.iter() {
                let p = i as usize / FAN;
                upper[0][p] = sum16(&lower[0][p * FAN..(p + 1) * FAN]);
            }
            leaves.clear();
            self.total = sum16(&upper[0]);
            return;
        }
        self.batch = self.batch.wrapping_add(1);
        if self.batch == 0 {
            self.stamp.iter_mut().flatten().for_each(|s| *s = 0);
            self.batch = 1;
        }
        for k in 1..self.levels.len() {
            // parents, each once (stamped with the batch number)
            let mut m = 0;
            for idx in 0..leaves.len() {
                let p = leaves[idx] / FAN as u32;
                let st = &mut self.stamp[k][p as usize];
                if *st != self.batch {
                    *st = self.batch;
                    leaves[m] = p;
                    m += 1;
                }
            }
            leaves.truncate(m);
            let (lower, upper) = self.levels.split_at_mut(k);
            let child = &lower[k - 1];
            for &p in leaves.iter() {
                let p = p as usize;
                upper[0][p] = sum16(&child[p * FAN..(p + 1) * FAN]);
            }
        }
        leaves.clear();
        let top = self.levels.last().expect("at least one level");
        self.total = sum16(top);
    }

    /// Set every leaf (`values` in leaf order, missing ones zero) and rebuild.
    pub fn rebuild(&mut self, values: impl Iterator<Item = f64>) {
        let n = self.levels[0].len();
        self.levels[0].iter_mut().for_each(|x| *x = 0.0);
        for (i, v) in values.enumerate().take(n) {
            self.levels[0][i] = v;
        }
        for k in 1..self.levels.len() {
            let (lower, upper) = self.levels.split_at_mut(k);
            let blocks = lower[k - 1].len() / FAN;
            for (p, out) in upper[0].iter_mut().enumerate().take(blocks) {
                *out = sum16(&lower[k - 1][p * FAN..(p + 1) * FAN]);
            }
        }
        let top = self.levels.last().expect("at least one level");
        self.total = sum16(top);
    }

    /// The leaf whose cumulative interval contains `u` ∈ [0, total) and the remainder of `u`
    /// within it. Never a zero leaf when the total is positive: on round-off past the last
    /// non-empty child it takes that child.
    #[inline]
    pub fn select(&self, mut u: f64) -> (usize, f64) {
        let mut base = 0usize;
        for level in self.levels.iter().rev() {
            let children = &level[base..(base + FAN).min(level.len())];
            let mut pick = usize::MAX;
            for (c, &v) in children.iter().enumerate() {
                if v > 0.0 {
                    pick = c;
                    if u < v {
                        break;
                    }
                    u -= v;
                }
            }
            // an all-zero block only happens for an empty tree: stay on its first child
            let pick = if pick == usize::MAX { 0 } else { pick };
            base = (base + pick) * FAN;
        }
        (base / FAN, u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set one leaf.
    fn set(t: &mut SumTree, i: usize, v: f64) {
        t.set_many(&mut vec![i as u32], |_| v);
    }

    #[test]
    fn select_follows_cumulative_sums() {
        let mut t = SumTree::new(5);
        for (i, v) in [1.0, 0.0, 2.0, 3.0, 0.5].into_iter().enumerate() {
            set(&mut t, i, v);
        }
        assert_eq!(t.total(), 6.5);
        assert_eq!(t.select(0.5).0, 0);
        assert_eq!(t.select(1.0).0, 2); // leaf 1 is empty
        assert_eq!(t.select(2.9).0, 2);
        assert_eq!(t.select(3.0).0, 3);
        assert_eq!(t.select(6.4).0, 4);
        // u at or beyond the total never lands on an empty leaf
        assert_eq!(t.select(6.5).0, 4);
    }

    #[test]
    fn selection_matches_the_cumulative_sums_for_many_sizes() {
        for n in [1usize, 5, 16, 17, 183, 300, 4100] {
            let vals: Vec<f64> = (0..n)
                .map(|i| {
                    if i % 7 == 3 {
                        0.0
                    } else {
                        ((i * 37) % 11) as f64 + 0.25
                    }
                })
                .collect();
            let mut w = SumTree::new(n);
            let mut all: Vec<u32> = (0..n as u32).collect();
            w.set_many(&mut all, |i| vals[i]);
            let mut r = SumTree::new(n);
            r.rebuild(vals.iter().copied());
            assert_eq!(w.total().to_bits(), r.total().to_bits());
            let plain: f64 = vals.iter().sum();
            assert!((w.total() - plain).abs() < 1e-9 * plain);
            let total = w.total();
            for k in 0..2000 {
                let u = total * (k as f64 + 0.5) / 2000.0;
                let (i, rem) = w.select(u);
                // the cumulative interval of leaf i contains u
                let before: f64 = vals[..i].iter().sum();
                assert!(vals[i] > 0.0, "n = {n}: zero leaf {i} selected");
                assert!(
                    u >= before - 1e-9 && u < before + vals[i] + 1e-9,
                    "n = {n}, u = {u}"
                );
                assert!((rem - (u - before)).abs() < 1e-9);
            }
            // u at the total (round-off) never lands on a zero leaf
            let (i, _) = w.select(total);
            assert!(vals[i] > 0.0);
            // incremental updates are bit-identical to a rebuild
            let mut vals2 = vals.clone();
            let mut dirty = Vec::new();
            for k in (0..n).step_by(5) {
                vals2[k] = 1.5 * k as f64;
                dirty.push(k as u32);
            }
            w.set_many(&mut dirty, |i| vals2[i]);
            r.rebuild(vals2.iter().copied());
            assert_eq!(w.total().to_bits(), r.total().to_bits());
            assert_eq!(w.levels, r.levels);
        }
    }

    #[test]
    fn incremental_updates_equal_rebuild_bitwise() {
        let n = 37;
        let mut t = SumTree::new(n);
        let mut vals = vec![0.0; n];
        let mut x = 0.123456789f64;
        for step in 0..1000 {
            x = (x * 3.987654321 + 0.1).fract();
            let i = (step * 7919) % n;
            vals[i] = x * 1e3;
            set(&mut t, i, vals[i]);
        }
        let mut r = SumTree::new(n);
        r.rebuild(vals.iter().copied());
        assert_eq!(t.total().to_bits(), r.total().to_bits());
        // batched updates give the same bits at every node
        let mut b = SumTree::new(n);
        let mut scratch: Vec<u32> = (0..n as u32).rev().step_by(3).collect();
        b.set_many(&mut scratch, |i| vals[i] * 0.5);
        let mut scratch: Vec<u32> = (0..n as u32).collect();
        b.set_many(&mut scratch, |i| vals[i]);
        assert!(scratch.is_empty());
        assert_eq!(b.levels, r.levels);
    }
}
