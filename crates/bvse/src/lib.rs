//! halo-bvse: Bond-valence site energy landscape of a mobile ion on a grid.
