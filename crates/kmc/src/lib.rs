//! halo-kmc: Rejection-free kinetic Monte Carlo of ion hopping on a site graph.
