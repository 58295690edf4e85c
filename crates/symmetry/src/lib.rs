//! halo-symmetry: Adapter to moyo: space groups, symmetry operations, orbits and canonical forms.
