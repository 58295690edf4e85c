//! One module per subcommand.
pub mod bvse;
pub mod campaign;
pub mod enumerate;
pub mod inspect;
pub mod kmc;
pub mod perturb;
pub mod rank;
pub mod stability;
pub mod validate;
