//! Parameters of a BVSE run, validated before any work (`BvseParams` → [`ValidParams`]).

use crate::error::BvseError;
use halo_core::{Element, Species};
use serde::{Deserialize, Serialize};

/// How the grid is laid out and which framework atoms count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum GridMode {
    /// halo's model: a periodic grid of n_i = ⌈L_i / resolution⌉ points per axis at fractional
    /// coordinates i/n_i (no repeated plane), every framework atom within the cutoff, each term
    /// weighted by the site occupancy.
    #[default]
    Default,
    /// bvlain 0.25.1 compatible (for validation): n_i = ⌊L_i / resolution⌋ points per axis at
    /// i/(n_i − 1) with both fractional ends included (the plane at 1 repeats the plane at 0), and
    /// only the `bvlain_max_neighbors` nearest framework atoms within the cutoff.
    Bvlain,
}

impl std::fmt::Display for GridMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GridMode::Default => "default",
            GridMode::Bvlain => "bvlain",
        })
    }
}

/// What happens to mobile-element atoms that share a site with framework species
/// (spinel 16d: Li 0.675 with In/Sc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MixedSiteMobile {
    /// Every atom of the mobile element is removed, mixed sites included (bvlain's convention;
    /// docs/physics.md §3.1).
    #[default]
    Remove,
    /// Mobile atoms on sites shared with a framework species stay in the framework as cations
    /// (Coulomb term, weighted by their occupancy); purely mobile sites are removed.
    KeepAsFramework,
}

/// Bytes per voxel the landscape + percolation pipeline is designed to stay under; the memory
/// check multiplies the voxel count by this.
pub const BYTES_PER_VOXEL_BUDGET: u64 = 64;

/// Default spacing of the radial interpolation tables, Å (2⁻⁸ Å; cubic Hermite error < 2e-8 eV
/// per pair at r = 0.5 Å and < 1e-12 eV beyond 1.5 Å).
pub const DEFAULT_TABLE_SPACING_ANG: f64 = 1.0 / 256.0;

/// Largest Coulomb screening factor taken (the f of erfc(r/(f(rc_Li + rc_M)))): beyond it the
/// screened pair sum is an unscreened one that the cutoff truncates.
pub const MAX_SCREENING_FACTOR: f64 = 3.0;

/// Parameters of a BVSE landscape (docs/physics.md §3). Defaults are bvlain 0.25.1's conventions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BvseParams {
    /// The mobile ion; every atom of its element is removed to form the framework.
    pub mobile_ion: Species,
    /// Grid spacing, Å.
    pub resolution_ang: f64,
    /// Grid layout and neighbour rule.
    pub mode: GridMode,
    /// Interaction cutoff, Å (bvlain: 10).
    pub cutoff_ang: f64,
    /// bvlain mode only: at most this many nearest framework atoms per grid point (bvlain: 100).
    pub bvlain_max_neighbors: usize,
    /// Coulomb screening factor f in erfc(r / (f·(rc_mobile + rc_j))) (bvlain: 0.74).
    pub screening_factor: f64,
    /// Coulomb constant in eV·Å; bvlain uses 14.4 (CODATA e²/4πε₀ = 14.39965).
    pub coulomb_constant_ev_ang: f64,
    /// Treatment of mobile atoms on mixed sites.
    pub mixed_site_mobile: MixedSiteMobile,
    /// Spacing of the radial interpolation tables, Å; `None` evaluates every pair term exactly.
    pub table_spacing_ang: Option<f64>,
    /// Refuse grids whose voxel count × [`BYTES_PER_VOXEL_BUDGET`] exceeds this many bytes.
    pub memory_limit_bytes: Option<u64>,
}

/// Default grid spacing, Å (`halo bvse`, `halo kmc`, `halo validate` and workflows).
pub const DEFAULT_RESOLUTION_ANG: f64 = 0.2;

/// bvlain's screening factor f of the Coulomb term, erfc(r/(f·(rc_M + rc_j)))/r.
pub const BVLAIN_SCREENING_FACTOR: f64 = 0.74;

impl Default for BvseParams {
    fn default() -> Self {
        BvseParams {
            mobile_ion: Species::new(Element::LI, 1),
            resolution_ang: DEFAULT_RESOLUTION_ANG,
            mode: GridMode::Default,
            cutoff_ang: 10.0,
            bvlain_max_neighbors: 100,
            screening_factor: BVLAIN_SCREENING_FACTOR,
            coulomb_constant_ev_ang: 14.4,
            mixed_site_mobile: MixedSiteMobile::Remove,
            table_spacing_ang: Some(DEFAULT_TABLE_SPACING_ANG),
            memory_limit_bytes: None,
        }
    }
}

/// Parameters that passed [`BvseParams::validate`].
#[derive(Clone, Debug, PartialEq)]
pub struct ValidParams(pub(crate) BvseParams);

impl ValidParams {
    /// The checked parameters.
    pub fn get(&self) -> &BvseParams {
        &self.0
    }
}

impl BvseParams {
    /// bvlain 0.25.1's settings at `resolution_ang`.
    pub fn bvlain(resolution_ang: f64) -> Self {
        BvseParams {
            resolution_ang,
            mode: GridMode::Bvlain,
            ..Default::default()
        }
    }

    /// Check every value; the structure-dependent checks happen in [`crate::landscape`].
    pub fn validate(&self) -> Result<ValidParams, BvseError> {
        let bad =
            |name: &'static str, reason: String| Err(BvseError::InvalidParameter { name, reason });
        if !(self.resolution_ang.is_finite() && self.resolution_ang > 0.0) {
            return bad(
                "resolution_ang",
                format!("{} is not a positive length", self.resolution_ang),
            );
        }
        if self.resolution_ang > crate::landscape::MAX_RESOLUTION_ANG {
            return bad(
                "resolution_ang",
                format!(
                    "{} Å is coarser than {} Å: the grid cannot resolve Li sites 1–2 Å apart \
                     (0.1–0.35 Å is usual)",
                    self.resolution_ang,
                    crate::landscape::MAX_RESOLUTION_ANG
                ),
            );
        }
        if !(self.cutoff_ang.is_finite() && self.cutoff_ang > 0.0) {
            return bad(
                "cutoff_ang",
                format!("{} is not a positive length", self.cutoff_ang),
            );
        }
        if self.mode == GridMode::Bvlain && self.bvlain_max_neighbors == 0 {
            return bad("bvlain_max_neighbors", "must be at least 1".into());
        }
        if !(self.screening_factor.is_finite() && self.screening_factor > 0.0) {
            return bad(
                "screening_factor",
                format!("{} is not positive", self.screening_factor),
            );
        }
        if self.screening_factor > MAX_SCREENING_FACTOR {
            return bad(
                "screening_factor",
                format!(
                    "{} is more than {MAX_SCREENING_FACTOR}: the screening length would be \
                     several times the ions' radii, an unscreened Coulomb sum the 10 Å cutoff \
                     truncates (bvlain's factor is 0.74; docs/physics.md §9.11 scanned 0.55–1.5)",
                    self.screening_factor
                ),
            );
        }
        if !(self.coulomb_constant_ev_ang.is_finite() && self.coulomb_constant_ev_ang > 0.0) {
            return bad(
                "coulomb_constant_ev_ang",
                format!("{} is not positive", self.coulomb_constant_ev_ang),
            );
        }
        if let Some(h) = self.table_spacing_ang {
            if !(h.is_finite() && h > 0.0 && h <= 0.05) {
                return bad("table_spacing_ang", format!("{h} must be in (0, 0.05] Å"));
            }
        }
        match self.mobile_ion.oxidation_state {
            Some(q) if q > 0 => {}
            other => {
                return bad(
                    "mobile_ion",
                    format!(
                        "{} {}; only cationic mobile ions are supported (softBV cation–anion \
                         pairs): give a charge, e.g. Li+",
                        self.mobile_ion,
                        match other {
                            Some(q) => format!("has oxidation state {q:+}"),
                            None => "has no oxidation state".to_string(),
                        }
                    ),
                )
            }
        }
        Ok(ValidParams(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_values() {
        for r in [0.0, -0.1, f64::NAN, f64::INFINITY] {
            let p = BvseParams {
                resolution_ang: r,
                ..Default::default()
            };
            assert!(matches!(
                p.validate(),
                Err(BvseError::InvalidParameter {
                    name: "resolution_ang",
                    ..
                })
            ));
        }
        let p = BvseParams {
            mobile_ion: Species::parse("F-").unwrap(),
            ..Default::default()
        };
        assert!(p.validate().is_err());
        assert!(BvseParams::default().validate().is_ok());
        assert_eq!(BvseParams::bvlain(0.2).mode, GridMode::Bvlain);
    }
}
