//! The one place the transport model's kMC defaults live: [`crate::KmcParams::new`], the
//! `halo kmc`/`halo validate` flags and the workflow `[kmc]` section are built from these.

/// Temperatures of an Arrhenius series, K.
pub const TEMPERATURES_K: [f64; 5] = [300.0, 350.0, 400.0, 450.0, 500.0];
/// Independent replicas per temperature.
pub const REPLICAS: usize = 4;
/// Measured blocks per replica.
pub const BLOCKS: usize = 16;
/// Block length, hops per mobile ion.
pub const HOPS_PER_ION_PER_BLOCK: f64 = 50.0;
/// Equilibration before the first block, hops per mobile ion.
pub const EQUILIBRATION_HOPS_PER_ION: f64 = 100.0;
/// Sites closer than this may not be occupied together, Å (docs/physics.md §5.4).
pub const BLOCKING_DISTANCE_ANG: f64 = 2.5;
/// Automatic supercells hold at least this many mobile ions.
pub const MIN_IONS: usize = 128;
/// Uncalibrated attempt frequency, s⁻¹ (the calibrated default is data:
/// `halo_data::calibration::kmc_attempt_frequency`).
pub const UNCALIBRATED_ATTEMPT_FREQUENCY_HZ: f64 = 1e13;

// --- The interacting model of the explicit conductivity model (docs/physics.md §5b, §9.8) ---

/// Hard core of the interacting model, Å: two Li closer than this cannot coexist. Shorter
/// than any Li–Li distance that occurs in a halide, refined sites or defects: the shortest
/// refined one is 2.26 Å (face-sharing spinel 8a–16c), and a Frenkel interstitial of rock-salt
/// LiF sits 1.74 Å from four lattice Li; those pairs are kept apart (or made costly) by the pair
/// repulsion, not forbidden. Below 1.6 Å two minima are parts of one Li polyhedron (the
/// percolation stage already merges minima closer than 0.5 Å).
pub const HARD_CORE_ANG: f64 = 1.6;
/// Screening length λ of the Li–Li pair repulsion V(r) = (e²/4πε0ε)·exp(−r/λ)/r, Å: about one
/// anion–anion distance (3.5–4 Å in chlorides), the scale on which the framework's anions
/// screen a Li+ charge beyond its own polyhedron. Fixed, not fitted.
pub const SCREENING_LENGTH_ANG: f64 = 4.0;
/// Cutoff of the pair repulsion, Å (V(6 Å) = 0.11·V(2.3 Å) at λ = 4 Å): first and second
/// Li–Li neighbour shells.
pub const PAIR_CUTOFF_ANG: f64 = 6.0;
/// e²/(4πε0), eV·Å.
pub const COULOMB_EV_ANG: f64 = 14.399_645;
/// Metropolis equilibration of the placement (non-local moves) before the kMC equilibration,
/// moves per ion.
pub const METROPOLIS_SWEEPS_PER_ION: f64 = 200.0;

/// The Yukawa Li–Li repulsion for dielectric constant `epsilon`:
/// A = e²/(4πε0 ε), λ = [`SCREENING_LENGTH_ANG`], cutoff [`PAIR_CUTOFF_ANG`].
pub fn pair_repulsion(epsilon: f64) -> crate::PairRepulsion {
    crate::PairRepulsion {
        prefactor_ev_ang: COULOMB_EV_ANG / epsilon,
        screening_length_ang: SCREENING_LENGTH_ANG,
        cutoff_ang: PAIR_CUTOFF_ANG,
        form: crate::PairForm::Yukawa,
    }
}

/// Cutoff of the BVSE-form pair repulsion in units of its screening length λ:
/// erfc(2.5)/2.5 = 1.6e-4, so V(cutoff) = 1.6e-4·A/λ (6e-4 eV for Li+, A = 7.2 eV·Å,
/// λ = 1.89 Å), far below k_BT.
pub const ERFC_PAIR_CUTOFF_SCREENING_LENGTHS: f64 = 2.5;

/// The BVSE-form Li–Li repulsion (the landscape's own cation–cation term applied between
/// mobile ions; softBV, Chen & Adams IUCrJ 4 (2017) 614): V(r) = A·erfc(r/λ)/r with
/// A = K·q²/n and λ = f·2·rc of the mobile ion (Li+: A = 14.40/2 = 7.20 eV·Å,
/// λ = 0.74·2·1.28 = 1.894 Å), cut at [`ERFC_PAIR_CUTOFF_SCREENING_LENGTHS`]·λ. No fitted
/// constant: the screening is BVSE's.
pub fn bvse_pair_repulsion(
    prefactor_ev_ang: f64,
    screening_length_ang: f64,
) -> crate::PairRepulsion {
    crate::PairRepulsion {
        prefactor_ev_ang,
        screening_length_ang,
        cutoff_ang: ERFC_PAIR_CUTOFF_SCREENING_LENGTHS * screening_length_ang,
        form: crate::PairForm::Erfc,
    }
}
