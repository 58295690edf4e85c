//! One module per subcommand.
pub mod inspect;
pub mod campaign;
pub mod stability;
pub mod rank;
pub mod bvse;
pub mod enumerate;
pub mod kmc;
