//! A binary sum tree over per-site rates for rejection-free (BKL) event selection.

use serde::{Deserialize, Serialize};

/// Complete binary tree stored in an array: leaves at `cap + i`, node p = node 2p + node 2p+1.
///
/// Every update recomputes the parents on the leaf's path **from their children** (never by
/// adding a difference), so the stored sums are a pure function of the leaves: no round-off drift
/// accumulates, and a tree rebuilt from the same leaves is bit-identical. Selection and update
/// are O(log n).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SumTree {
    cap: usize,
    node: Vec<f64>,
}

impl SumTree {
    /// A tree of `n` zero leaves.
    pub fn new(n: usize) -> SumTree {
        let cap = n.max(1).next_power_of_two();
        SumTree {
            cap,
            node: vec![0.0; 2 * cap],
        }
    }

    /// Number of leaf slots (≥ n, a power of two).
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Leaf value.
    #[inline]
    pub fn leaf(&self, i: usize) -> f64 {
        self.node[self.cap + i]
    }

    /// Sum of all leaves.
    #[inline]
    pub fn total(&self) -> f64 {
        self.node[1]
    }

    /// Set leaf `i` and recompute its ancestors from their children.
    #[inline]
    pub fn set(&mut self, i: usize, value: f64) {
        let mut p = self.cap + i;
        if self.node[p] == value {
            return;
        }
        self.node[p] = value;
        p >>= 1;
        while p >= 1 {
            self.node[p] = self.node[2 * p] + self.node[2 * p + 1];
            p >>= 1;
        }
    }

    /// Set all leaves and rebuild every node bottom-up.
    pub fn rebuild(&mut self, leaves: impl Iterator<Item = f64>) {
        let cap = self.cap;
        self.node.iter_mut().for_each(|x| *x = 0.0);
        for (i, v) in leaves.enumerate().take(cap) {
            self.node[cap + i] = v;
        }
        for p in (1..cap).rev() {
            self.node[p] = self.node[2 * p] + self.node[2 * p + 1];
        }
    }

    /// The leaf whose cumulative interval contains `u` ∈ [0, total), and the remainder of `u`
    /// within that leaf. Never returns a zero leaf when the total is positive: on round-off at a
    /// node boundary it steps into the non-empty child.
    #[inline]
    pub fn select(&self, mut u: f64) -> (usize, f64) {
        let mut p = 1;
        while p < self.cap {
            let l = self.node[2 * p];
            if u < l || self.node[2 * p + 1] <= 0.0 {
                p *= 2;
            } else {
                u -= l;
                p = 2 * p + 1;
            }
        }
        (p - self.cap, u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_follows_cumulative_sums() {
        let mut t = SumTree::new(5);
        for (i, v) in [1.0, 0.0, 2.0, 3.0, 0.5].into_iter().enumerate() {
            t.set(i, v);
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
    fn incremental_updates_equal_rebuild_bitwise() {
        let n = 37;
        let mut t = SumTree::new(n);
        let mut vals = vec![0.0; n];
        let mut x = 0.123456789f64;
        for step in 0..1000 {
            x = (x * 3.987654321 + 0.1).fract();
            let i = (step * 7919) % n;
            vals[i] = x * 1e3;
            t.set(i, vals[i]);
        }
        let mut r = SumTree::new(n);
        r.rebuild(vals.iter().copied());
        assert_eq!(t.total().to_bits(), r.total().to_bits());
    }
}
