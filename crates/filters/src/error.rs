//! The error type of halo-filters.

/// Everything that can go wrong when a filter is applied to a candidate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    /// The filter cannot judge this candidate from the data halo holds (an element without
    /// thermochemical data, a missing price, no band gap). Never a silent pass.
    #[error("{filter}: not assessable: {reason}")]
    NotAssessable {
        /// Which filter (`stability`, `insulation`, `cost`).
        filter: &'static str,
        /// Why, naming the element, table and key.
        reason: String,
    },
    /// A composition that cannot be a charge-balanced halide of the tabulated binaries.
    #[error("{formula}: {reason}")]
    NotChargeBalanced { formula: String, reason: String },
    /// A formula or species string that could not be read.
    #[error(transparent)]
    Core(#[from] halo_core::CoreError),
    /// The linear program of the hull failed (a numerical failure, reported, never hidden).
    #[error("convex-hull linear program failed for {formula}: {reason}")]
    Hull { formula: String, reason: String },
    /// A configuration value outside its allowed range.
    #[error("invalid {key}: {reason}")]
    InvalidConfig { key: String, reason: String },
    /// A candidate-metrics record that could not be read (file, line, what).
    #[error("{source_name}, line {line}: {reason}")]
    BadRecord {
        source_name: String,
        line: usize,
        reason: String,
    },
}
