//! # halo-campaign
//!
//! Screening campaigns: workflow files, the chain of stages (enumerate → realise → BVSE and
//! site graph → kMC → filters → ranking), a parallel runner with durable checkpoints, resume,
//! shards, merge, reports and the synthesis hand-off.

pub mod checkpoint;
pub mod config;
pub mod driver;
pub mod emit;
pub mod error;
pub mod fingerprint;
pub mod folder;
pub mod inspect;
pub mod outputs;
pub mod pipeline;
pub mod plots;
pub mod record;
pub mod runner;
pub mod shard;
pub mod synthesis;
pub mod transport;
pub mod validate;

pub use error::CampaignError;
