//! The transport model's options from Python keywords: the library's
//! `halo_campaign::transport::ModelOptions`, the one `halo kmc`'s flags map to, so that
//! `halo.kmc(...)` and `halo kmc --json` give the same numbers bit for bit for the same seed.

pub use halo_campaign::transport::ModelOptions;
