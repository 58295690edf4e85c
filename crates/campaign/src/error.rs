//! The error type of halo-campaign.

use std::path::{Path, PathBuf};

/// Everything that stops a campaign (a failing candidate does not: it is recorded).
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The workflow file is not valid TOML or has an unknown key / bad value.
    #[error("{path}: {reason}")]
    Config { path: PathBuf, reason: String },
    /// A checkpoint line that is neither a record nor a torn tail.
    #[error("{path}, line {line}: corrupt checkpoint record: {reason}")]
    CorruptCheckpoint {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// Something could not be serialised.
    #[error("cannot serialise {what}: {reason}")]
    Serialize { what: String, reason: String },
    /// A shard specification that is not k/N with 0 ≤ k < N.
    #[error("invalid shard {0}")]
    BadShard(String),
    /// An output directory that does not belong to this campaign.
    #[error("{path}: {reason}")]
    State { path: PathBuf, reason: String },
    /// Another process holds the campaign folder.
    #[error("campaign folder {path} in use by {holder}; wait for it to finish (`halo status` works meanwhile)")]
    Busy { path: PathBuf, holder: String },
    /// Records computed with other settings, or recorded twice with different results.
    #[error("{path}: {reason}")]
    Stale { path: PathBuf, reason: String },
    /// A stage failed in a way that stops the campaign (not a per-candidate failure).
    #[error("{stage}: {reason}")]
    Stage { stage: &'static str, reason: String },
}

impl CampaignError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        CampaignError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
