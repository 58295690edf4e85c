//! The error type of halo-io: every variant names the file and, where there is one, the line and
//! the CIF tag or POSCAR field at fault.

use halo_core::CoreError;
use std::fmt;

/// Where in an input something went wrong: file, line (1-based) and field (CIF tag or POSCAR
/// field name), each when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub line: Option<usize>,
    pub field: Option<String>,
}

impl Location {
    /// A location in `path` without line or field.
    pub fn file(path: &str) -> Self {
        Location {
            path: path.to_string(),
            line: None,
            field: None,
        }
    }

    /// A location at `line` of `path`.
    pub fn line(path: &str, line: usize) -> Self {
        Location {
            path: path.to_string(),
            line: Some(line),
            field: None,
        }
    }

    /// A location at `line` (when known) of `path`, in `field`.
    pub fn field(path: &str, line: Option<usize>, field: &str) -> Self {
        Location {
            path: path.to_string(),
            line,
            field: Some(field.to_string()),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(l) = self.line {
            write!(f, ", line {l}")?;
        }
        if let Some(fd) = &self.field {
            write!(f, ", field {fd}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong reading or writing structure files.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The file could not be opened or read (missing file, permissions).
    #[error("{path}: cannot read: {error}")]
    Read { path: String, error: std::io::Error },
    /// The file could not be written.
    #[error("{path}: cannot write: {error}")]
    Write { path: String, error: std::io::Error },
    /// Malformed text: a truncated file, a bad number, a missing tag.
    #[error("{at}: {message}")]
    Syntax { at: Location, message: String },
    /// An element symbol halo does not know.
    #[error("{at}: {}", halo_core::element::unknown_element_reason(symbol))]
    UnknownElement { at: Location, symbol: String },
    /// A cell of zero or near-zero volume, or a non-positive length / angle.
    #[error("{at}: degenerate cell: {message}")]
    DegenerateCell { at: Location, message: String },
    /// POSCAR atom counts that do not match the coordinate lines, or species names that do not
    /// match the counts.
    #[error("{at}: {message}")]
    CountMismatch { at: Location, message: String },
    /// The structure read is not valid (for example an over-full site).
    #[error("{at}: invalid structure: {error}")]
    Structure { at: Location, error: CoreError },
    /// The requested operation does not apply to this structure (e.g. POSCAR of a disordered
    /// structure) or file type.
    #[error("{at}: {message}")]
    Unsupported { at: Location, message: String },
}

impl IoError {
    pub(crate) fn syntax(at: Location, message: impl Into<String>) -> Self {
        IoError::Syntax {
            at,
            message: message.into(),
        }
    }
}
