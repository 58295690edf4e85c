//! halo-filters: Oxidation/reduction limits, electronic insulation, cost and ranking.
