//! Settings fingerprints: every checkpoint record says which settings produced it, so `resume`
//! and `merge` never mix records of different settings in one ranking.
//!
//! fingerprint = SHA-256("halo-fingerprint-v1\0" ‖ MODEL_VERSION ‖ settings hash ‖ id)[0..8],
//! settings hash = SHA-256 of the canonical JSON of everything that changes a candidate's
//! numbers: the campaign seed (per-candidate seeds derive from it), every framework (name, site
//! and the bytes of its CIF), the enumeration rules, and the `[bvse]` and `[kmc]` sections.
//! The filters' thresholds and the hand-off are applied when the outputs are written, from the
//! stored metrics, and are not part of it.

use crate::config::Workflow;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the model code behind a record; raised whenever a change to the stages changes
/// the numbers a record holds at fixed settings. 3: a kMC temperature whose σ is below the run's
/// resolution is left out of the Arrhenius fit (`halo_kmc::TemperatureResult::is_resolved`), which
/// changes the σ(300 K) and Ea of near-jammed candidates. 4: the averaged model's per-candidate
/// stopping rule adds replicas where σ(300 K) has a relative SE above 20 % (`halo_kmc::replicas`),
/// which changes the numbers of the candidates that needed them. 5: the filters run on the
/// candidate structure's exact composition (the 4-decimal formula missed the table row of the
/// candidate's own composition: Li2In2/3Cl4's band gap 4.86 → 5.42 eV, Li3InCl6's row), and a
/// kMC temperature too cold for the arithmetic is left out instead of failing the candidate, and
/// the explicit model's Haven ratio is D̄*/D̄_σ of the ensemble means. 6: Li sites sit at the
/// landscape's sub-voxel minimum (`halo_percolation`), not on the grid point, which moves hop
/// vectors and the pairs the blocking distance excludes, and the calibrated ν0 with them.
pub const MODEL_VERSION: u32 = 6;

/// What a record was computed with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// [`MODEL_VERSION`] of the code that wrote the record.
    pub model_version: u32,
    /// Hash of the settings (16 hex digits).
    pub settings: String,
    /// The record's fingerprint (16 hex digits) over version, settings and candidate id.
    pub value: String,
}

fn hex16(bytes: &[u8]) -> String {
    bytes[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The settings hash of a workflow whose framework files hold `framework_bytes` (in the
/// workflow's order).
pub fn settings_hash(w: &Workflow, framework_bytes: &[Vec<u8>]) -> String {
    let frameworks: Vec<serde_json::Value> = w
        .frameworks
        .iter()
        .zip(framework_bytes)
        .map(|(f, b)| {
            serde_json::json!({"name": f.name, "site": f.site,
                               "cif_sha256": hex16(&Sha256::digest(b))})
        })
        .collect();
    let canonical = serde_json::json!({
        "seed": w.campaign.seed,
        "frameworks": frameworks,
        "enumerate": w.enumerate,
        "bvse": w.bvse,
        "kmc": w.kmc,
    });
    // serde_json maps are sorted (no preserve_order feature): the text is canonical
    hex16(&Sha256::digest(canonical.to_string().as_bytes()))
}

/// The fingerprint of candidate `id` under `settings` (a [`settings_hash`]).
pub fn fingerprint(settings: &str, id: &str) -> Fingerprint {
    let mut h = Sha256::new();
    h.update(b"halo-fingerprint-v1\0");
    h.update(MODEL_VERSION.to_le_bytes());
    h.update(settings.as_bytes());
    h.update(b"\0");
    h.update(id.as_bytes());
    Fingerprint {
        model_version: MODEL_VERSION,
        settings: settings.to_string(),
        value: hex16(&h.finalize()),
    }
}

/// Why a record's fingerprint differs from the expected one, in words (`None` when it does
/// not).
pub fn why_stale(found: Option<&Fingerprint>, expected: &Fingerprint) -> Option<String> {
    match found {
        None => Some("written without a settings fingerprint (an older halo)".into()),
        Some(f) if f == expected => None,
        Some(f) if f.model_version != expected.model_version => Some(format!(
            "computed by model version {} (this halo: {})",
            f.model_version, expected.model_version
        )),
        Some(f) if f.settings != expected.settings => Some(format!(
            "computed with other settings (settings hash {} ≠ {} of the folder's workflow)",
            f.settings, expected.settings
        )),
        Some(_) => Some("its fingerprint does not match its candidate id".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_change_with_settings_version_and_id() {
        let a = fingerprint("0123456789abcdef", "id1");
        assert_eq!(a, fingerprint("0123456789abcdef", "id1"));
        assert_ne!(a.value, fingerprint("0123456789abcdef", "id2").value);
        let b = fingerprint("fedcba9876543210", "id1");
        assert!(why_stale(Some(&b), &a).unwrap().contains("other settings"));
        let mut old = a.clone();
        old.model_version -= 1;
        assert!(why_stale(Some(&old), &a).unwrap().contains("model version"));
        assert!(why_stale(None, &a).unwrap().contains("older halo"));
        assert_eq!(why_stale(Some(&a), &a), None);
    }
}
