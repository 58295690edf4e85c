//! One module per subcommand.
pub mod bvse;
pub mod campaign;
pub mod enumerate;
pub mod inspect;
pub mod kmc;
pub mod perturb;
pub mod rank;
pub mod sites;
pub mod stability;
pub mod validate;

/// Print a warning about the input `file` on stderr as `warning: FILE: text`. Reader warnings
/// that already begin with the file's name (`x.cif, line 24: …`) are printed as they are, so no
/// line names the file twice.
pub fn warn(file: &str, text: &str) {
    if text.starts_with(file) {
        eprintln!("warning: {text}");
    } else {
        eprintln!("warning: {file}: {text}");
    }
}
