//! Integer period (winding) vectors of a periodic cluster and their rank.

/// The span of the winding vectors found so far, kept as at most three linearly independent
/// integer vectors; its rank is the percolation dimension of the cluster.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Periods {
    basis: Vec<[i64; 3]>,
}

fn cross(a: [i64; 3], b: [i64; 3]) -> [i64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

impl Periods {
    /// Rank of the period lattice (0 = finite cluster, 3 = percolates in 3D).
    pub fn rank(&self) -> usize {
        self.basis.len()
    }

    /// The independent winding vectors kept (cell units).
    pub fn vectors(&self) -> &[[i64; 3]] {
        &self.basis
    }

    /// Add a winding vector; returns true when the rank grew.
    pub fn add(&mut self, p: [i64; 3]) -> bool {
        if p == [0, 0, 0] {
            return false;
        }
        let independent = match self.basis.len() {
            0 => true,
            1 => cross(self.basis[0], p) != [0, 0, 0],
            2 => {
                let c = cross(self.basis[0], self.basis[1]);
                c[0] * p[0] + c[1] * p[1] + c[2] * p[2] != 0
            }
            _ => false,
        };
        if independent {
            self.basis.push(p);
        }
        independent
    }

    /// Add every vector of `other`.
    pub fn merge(&mut self, other: &Periods) {
        for &p in &other.basis {
            self.add(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_counts_independent_windings() {
        let mut p = Periods::default();
        assert!(!p.add([0, 0, 0]));
        assert!(p.add([1, 0, 0]));
        assert!(!p.add([-2, 0, 0]));
        assert!(p.add([1, 1, 0]));
        assert!(!p.add([3, -1, 0]));
        assert_eq!(p.rank(), 2);
        assert!(p.add([0, 1, 1]));
        assert_eq!(p.rank(), 3);
        assert!(!p.add([5, 7, 9]));
    }
}
