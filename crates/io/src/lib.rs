//! halo-io: CIF and POSCAR read/write, pymatgen-compatible JSON, grid export.
