//! Permutation groups acting on a set of sites: canonical forms of colourings (site
//! occupations) and Burnside counts of symmetry-distinct colourings.
//!
//! A colouring c assigns a colour (species index) to each of n sites. A permutation π maps site
//! i to π(i) and the colouring to c' with c'[π(i)] = c[i]. Two colourings are equivalent when
//! some group element maps one onto the other; the canonical form is the lexicographically
//! smallest member of the orbit.
//!
//! Burnside's lemma (Cauchy–Frobenius): the number of orbits of colourings with fixed colour
//! counts (n_1, …, n_k) is (1/|G|) Σ_g fix(g), where fix(g) is the number of ways to colour the
//! cycles of g (each cycle one colour) so that the counts add up.

use crate::error::SymmetryError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A group of permutations of `degree` points, stored as the distinct permutations
/// (`perms[g][i]` = image of point i under g), identity first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermutationGroup {
    degree: usize,
    perms: Vec<Vec<u32>>,
}

impl PermutationGroup {
    /// Build from a list of permutations (duplicates removed, order made canonical). The list
    /// must be closed under composition; this is checked, since Burnside counts and canonical
    /// forms are meaningless otherwise.
    pub fn new(degree: usize, perms: Vec<Vec<u32>>) -> Result<Self, SymmetryError> {
        let mut set: BTreeSet<Vec<u32>> = BTreeSet::new();
        for p in perms {
            if p.len() != degree {
                return Err(SymmetryError::ColouringLength {
                    got: p.len(),
                    want: degree,
                });
            }
            let mut seen = vec![false; degree];
            for &j in &p {
                let j = j as usize;
                if j >= degree || seen[j] {
                    return Err(SymmetryError::BadSupercell(
                        "operation does not act as a permutation of the sites".into(),
                    ));
                }
                seen[j] = true;
            }
            set.insert(p);
        }
        let id: Vec<u32> = (0..degree as u32).collect();
        set.insert(id.clone());
        let mut perms: Vec<Vec<u32>> = vec![id.clone()];
        perms.extend(set.into_iter().filter(|p| *p != id));
        let g = PermutationGroup { degree, perms };
        g.check_closed()?;
        Ok(g)
    }

    fn check_closed(&self) -> Result<(), SymmetryError> {
        let set: BTreeSet<&Vec<u32>> = self.perms.iter().collect();
        // closure under composition with a generating subset is enough in practice, but the
        // groups here are small: check every product against the first few elements and all.
        let limit = self.perms.len().min(64);
        for a in &self.perms[..limit] {
            for b in &self.perms {
                let c: Vec<u32> = (0..self.degree).map(|i| a[b[i] as usize]).collect();
                if !set.contains(&c) {
                    return Err(SymmetryError::BadSupercell(
                        "site permutations do not form a group (tolerance too loose or too tight?)"
                            .into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Number of points acted on.
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// Group order |G| (distinct permutations).
    pub fn order(&self) -> usize {
        self.perms.len()
    }

    /// The permutations, identity first.
    pub fn perms(&self) -> &[Vec<u32>] {
        &self.perms
    }

    /// Image of a colouring under element `g`: c'[π(i)] = c[i].
    pub fn act(&self, g: usize, colouring: &[u8]) -> Vec<u8> {
        let p = &self.perms[g];
        let mut out = vec![0u8; self.degree];
        for (i, &c) in colouring.iter().enumerate() {
            out[p[i] as usize] = c;
        }
        out
    }

    /// The canonical form: the lexicographically smallest image of `colouring` over the group.
    pub fn canonical_form(&self, colouring: &[u8]) -> Result<Vec<u8>, SymmetryError> {
        self.check_len(colouring)?;
        let mut best = colouring.to_vec();
        let mut img = vec![0u8; self.degree];
        for p in &self.perms[1..] {
            for (i, &c) in colouring.iter().enumerate() {
                img[p[i] as usize] = c;
            }
            if img < best {
                best.copy_from_slice(&img);
            }
        }
        Ok(best)
    }

    /// True when `colouring` is its own canonical form (used for orderly enumeration).
    pub fn is_canonical(&self, colouring: &[u8]) -> Result<bool, SymmetryError> {
        self.check_len(colouring)?;
        let mut img = vec![0u8; self.degree];
        for p in &self.perms[1..] {
            for (i, &c) in colouring.iter().enumerate() {
                img[p[i] as usize] = c;
            }
            if img.as_slice() < colouring {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Size of the orbit of `colouring` (= |G| / |stabiliser|): the number of equivalent
    /// orderings, i.e. the degeneracy of a symmetry-distinct ordering.
    pub fn orbit_size(&self, colouring: &[u8]) -> Result<usize, SymmetryError> {
        self.check_len(colouring)?;
        let mut stab = 0usize;
        for g in 0..self.perms.len() {
            if self.act(g, colouring) == colouring {
                stab += 1;
            }
        }
        Ok(self.perms.len() / stab)
    }

    fn check_len(&self, c: &[u8]) -> Result<(), SymmetryError> {
        if c.len() != self.degree {
            return Err(SymmetryError::ColouringLength {
                got: c.len(),
                want: self.degree,
            });
        }
        Ok(())
    }

    /// Cycle lengths of element `g`.
    pub fn cycle_lengths(&self, g: usize) -> Vec<usize> {
        let p = &self.perms[g];
        let mut seen = vec![false; self.degree];
        let mut out = Vec::new();
        for s in 0..self.degree {
            if seen[s] {
                continue;
            }
            let mut len = 0;
            let mut i = s;
            while !seen[i] {
                seen[i] = true;
                i = p[i] as usize;
                len += 1;
            }
            out.push(len);
        }
        out
    }

    /// Burnside count of symmetry-distinct colourings with exactly `counts[k]` points of colour k
    /// (Σ counts = degree). Exact integer arithmetic (u128).
    pub fn burnside_count(&self, counts: &[usize]) -> Result<u128, SymmetryError> {
        if counts.iter().sum::<usize>() != self.degree {
            return Err(SymmetryError::ColouringLength {
                got: counts.iter().sum(),
                want: self.degree,
            });
        }
        let mut total: u128 = 0;
        for g in 0..self.perms.len() {
            total += fixed_colourings(&self.cycle_lengths(g), counts);
        }
        Ok(total / self.perms.len() as u128)
    }
}

/// Number of colourings of cycles (each cycle one colour) with colour counts `counts`:
/// dynamic programming over cycles on the vector of remaining counts.
fn fixed_colourings(cycles: &[usize], counts: &[usize]) -> u128 {
    use std::collections::HashMap;
    let mut states: HashMap<Vec<usize>, u128> = HashMap::new();
    states.insert(counts.to_vec(), 1);
    for &len in cycles {
        let mut next: HashMap<Vec<usize>, u128> = HashMap::new();
        for (rem, ways) in states {
            for k in 0..rem.len() {
                if rem[k] >= len {
                    let mut r = rem.clone();
                    r[k] -= len;
                    *next.entry(r).or_insert(0) += ways;
                }
            }
        }
        states = next;
    }
    states
        .into_iter()
        .filter(|(r, _)| r.iter().all(|&x| x == 0))
        .map(|(_, w)| w)
        .sum()
}

/// Number of colourings with the given counts: the multinomial n! / Π n_k!.
pub fn multinomial(counts: &[usize]) -> u128 {
    let mut result: u128 = 1;
    let mut n: u128 = 0;
    for &c in counts {
        for i in 1..=c as u128 {
            n += 1;
            result = result * n / i;
        }
    }
    result
}

/// Visit every colouring with the given counts in lexicographic order (colours 0..k), calling
/// `f` for each; stops early when `f` returns false.
pub fn for_each_colouring(counts: &[usize], mut f: impl FnMut(&[u8]) -> bool) {
    let mut c: Vec<u8> = Vec::with_capacity(counts.iter().sum());
    for (k, &n) in counts.iter().enumerate() {
        c.extend(std::iter::repeat_n(k as u8, n));
    }
    loop {
        if !f(&c) {
            return;
        }
        // next permutation of a multiset (lexicographic)
        let n = c.len();
        if n < 2 {
            return;
        }
        let mut i = n - 1;
        while i > 0 && c[i - 1] >= c[i] {
            i -= 1;
        }
        if i == 0 {
            return;
        }
        let mut j = n - 1;
        while c[j] <= c[i - 1] {
            j -= 1;
        }
        c.swap(i - 1, j);
        c[i..].reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cyclic(n: usize) -> PermutationGroup {
        let perms = (0..n)
            .map(|s| (0..n).map(|i| ((i + s) % n) as u32).collect())
            .collect();
        PermutationGroup::new(n, perms).unwrap()
    }

    fn dihedral(n: usize) -> PermutationGroup {
        let mut perms: Vec<Vec<u32>> = (0..n)
            .map(|s| (0..n).map(|i| ((i + s) % n) as u32).collect())
            .collect();
        for s in 0..n {
            perms.push((0..n).map(|i| ((n - i + s) % n) as u32).collect());
        }
        PermutationGroup::new(n, perms).unwrap()
    }

    fn brute_count(g: &PermutationGroup, counts: &[usize]) -> usize {
        let mut set = BTreeSet::new();
        for_each_colouring(counts, |c| {
            set.insert(g.canonical_form(c).unwrap());
            true
        });
        set.len()
    }

    #[test]
    fn necklaces() {
        // binary necklaces of length 6 with 3 black beads: 4 (cyclic), 3 (dihedral)
        assert_eq!(cyclic(6).burnside_count(&[3, 3]).unwrap(), 4);
        assert_eq!(dihedral(6).burnside_count(&[3, 3]).unwrap(), 3);
        assert_eq!(brute_count(&cyclic(6), &[3, 3]), 4);
        assert_eq!(brute_count(&dihedral(6), &[3, 3]), 3);
        // ternary 2+2+2 on a 6-cycle: 16 necklaces, 11 bracelets
        assert_eq!(cyclic(6).burnside_count(&[2, 2, 2]).unwrap(), 16);
        assert_eq!(dihedral(6).burnside_count(&[2, 2, 2]).unwrap(), 11);
        assert_eq!(brute_count(&dihedral(6), &[2, 2, 2]), 11);
    }

    #[test]
    fn orderly_generation_matches_canonical_set() {
        let g = dihedral(8);
        let mut orderly = 0;
        for_each_colouring(&[3, 3, 2], |c| {
            if g.is_canonical(c).unwrap() {
                orderly += 1;
            }
            true
        });
        assert_eq!(orderly, brute_count(&g, &[3, 3, 2]));
        assert_eq!(orderly as u128, g.burnside_count(&[3, 3, 2]).unwrap());
        // orbit sizes of the distinct colourings add up to the multinomial
        let mut total = 0;
        for_each_colouring(&[3, 3, 2], |c| {
            if g.is_canonical(c).unwrap() {
                total += g.orbit_size(c).unwrap();
            }
            true
        });
        assert_eq!(total as u128, multinomial(&[3, 3, 2]));
    }

    #[test]
    fn rejects_non_groups_and_bad_lengths() {
        // a single 3-cycle without its square is not closed
        assert!(PermutationGroup::new(3, vec![vec![1, 2, 0]]).is_err());
        assert!(PermutationGroup::new(3, vec![vec![0, 0, 1]]).is_err());
        let g = cyclic(4);
        assert!(g.canonical_form(&[0, 1]).is_err());
        assert!(g.burnside_count(&[1, 1]).is_err());
        assert_eq!(multinomial(&[2, 2]), 6);
    }
}
