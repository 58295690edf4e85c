//! halo-campaign: Workflow files, stages, parallel runner, checkpoints, resume, shards, reports.
