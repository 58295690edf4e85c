//! The error type of halo-percolation.

/// Everything that can go wrong in the percolation analysis.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PercolationError {
    /// Grid dimensions inconsistent with the data.
    #[error("invalid grid: {0}")]
    InvalidGrid(String),
    /// A parameter outside its allowed range.
    #[error("invalid percolation parameter {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    /// An unwrapped cell offset left the integer range used to store it (a component wound
    /// around the cell more than 127 (basins) or 32767 (clusters) times; not seen in practice).
    #[error("cell offset overflow while unwrapping {what}")]
    OffsetOverflow { what: &'static str },
}
