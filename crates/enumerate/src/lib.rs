//! halo-enumerate: Cation substitutions, charge balance, size rule, lattice estimate, orderings and realisations.
