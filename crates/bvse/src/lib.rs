//! # halo-bvse
//!
//! Bond-valence site energy (BVSE) landscape of a mobile ion on a grid (docs/physics.md §3).
//!
//! **Mobile-ion choice.** Every atom of the mobile element (Li by default) is removed from the
//! structure; what remains is the framework. On mixed sites (spinel 16d: Li/In/Sc) the Li part is
//! removed as well and the other species keep their occupancies
//! ([`MixedSiteMobile::Remove`], bvlain's convention), unless
//! [`MixedSiteMobile::KeepAsFramework`] is chosen.
//!
//! **Energy.** `E(p) = Σ_anions w·(D0/2)[(e^{α(Rmin−r)}−1)²−1] + Σ_cations w·14.4·q_M q_j/√(n_M n_j)/r·erfc(r/(0.74(rc_M+rc_j)))`
//! with softBV parameters (Chen & Adams, IUCrJ 4 (2017) 614; Chen, Wong & Adams, Acta Cryst. B75
//! (2019) 18) from `halo_data::softbv`; see [`potential`].
//!
//! **Modes.** [`GridMode::Default`]: periodic grid of ⌈L/res⌉ points per axis, every framework atom
//! within the cutoff, occupancy weights. [`GridMode::Bvlain`]: bvlain 0.25.1's grid (⌊L/res⌋
//! points, both ends included) and its 100-nearest-neighbour rule, for validation against bvlain.
//!
//! ```
//! use halo_core::{Species, Structure};
//! use halo_bvse::{landscape, BvseParams};
//! let li = Species::parse("Li+").unwrap();
//! let cl = Species::parse("Cl-").unwrap();
//! let licl = Structure::rock_salt(li, cl, 5.13).unwrap();
//! let params = BvseParams { resolution_ang: 0.5, ..Default::default() };
//! let land = landscape(&licl, &params).unwrap();
//! assert_eq!(land.shape, [11, 11, 11]);
//! // the octahedral Li site (origin) is the lowest point of the grid
//! assert_eq!(land.energy_ev(0, 0, 0), land.min_ev());
//! ```

pub mod error;
pub mod export;
pub mod framework;
pub mod landscape;
pub mod params;
pub mod potential;
pub mod reference;
pub mod relax;
pub mod saturation;

pub use error::BvseError;
pub use framework::{Framework, MobileSite};
pub use landscape::{grid_shape, landscape, landscape_valid, python_floor_div, Landscape};
pub use params::{
    BvseParams, GridMode, MixedSiteMobile, ValidParams, BYTES_PER_VOXEL_BUDGET,
    DEFAULT_RESOLUTION_ANG, DEFAULT_TABLE_SPACING_ANG,
};
