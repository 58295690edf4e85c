//! Keyword conversions shared by the functions of `halo._halo`.
//!
//! Integer keywords are taken as Python ints of any sign and converted here, so that `seed=-1`
//! or `replicas=-4` is a `halo.ParameterError` naming the keyword (PyO3's own conversion to an
//! unsigned type raises a bare `OverflowError` that names nothing).
//!
//! Defaults are written as literals in the `#[pyo3(signature = ...)]` attributes, so that
//! `help(halo.kmc)` and `inspect.signature` show the values (a path to a constant shows as
//! `...`); the assertions below tie each literal to the library constant it stands for, so the
//! build fails if one changes without the other. The `.pyi` stub repeats them, and
//! `crates/py/tests/test_signatures.py` checks that the stub and the runtime signatures agree.

use crate::errors::{Failure, Kind};
use pyo3::prelude::*;

/// A non-negative integer keyword `name` as `T`: a negative value, or one too large for `T`,
/// is a `ParameterError` naming the keyword.
pub fn whole<T: TryFrom<i128>>(name: &str, value: i128) -> PyResult<T> {
    if value < 0 {
        return Err(Failure::msg(
            Kind::Parameter,
            format!("{name} = {value}: expected a non-negative integer"),
        )
        .into());
    }
    T::try_from(value)
        .map_err(|_| Failure::msg(Kind::Parameter, format!("{name} = {value}: too large")).into())
}

/// [`whole`] of an optional keyword.
pub fn whole_opt<T: TryFrom<i128>>(name: &str, value: Option<i128>) -> PyResult<Option<T>> {
    value.map(|v| whole(name, v)).transpose()
}

// The literal defaults of the signatures in lib.rs, against the constants they stand for.
const _: () = {
    assert!(halo_kmc::defaults::REPLICAS == 4);
    assert!(halo_kmc::defaults::BLOCKS == 16);
    assert!(halo_kmc::defaults::HOPS_PER_ION_PER_BLOCK == 50.0);
    assert!(halo_kmc::defaults::EQUILIBRATION_HOPS_PER_ION == 100.0);
    assert!(halo_kmc::defaults::MIN_IONS == 128);
    assert!(halo_kmc::stations::DEFAULT_MAX_DEPTH_EV == 0.1);
    assert!(halo_campaign::transport::ensemble::MIN_REALISATIONS_DISORDERED == 2);
    assert!(halo_campaign::transport::ensemble::MAX_REALISATIONS == 4);
    assert!(halo_enumerate::DEFAULT_MAX_DOPANTS == 1);
    assert!(halo_enumerate::DEFAULT_RADIUS_TOLERANCE == 0.15);
    assert!(halo_symmetry::DEFAULT_SYMPREC_ANG == 0.01);
    assert!(halo_filters::stability::HULL_TOLERANCE_EV_PER_ATOM == 0.0);
    assert!(halo_bvse::params::BVLAIN_SCREENING_FACTOR == 0.74);
};
