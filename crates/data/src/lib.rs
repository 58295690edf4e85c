//! # halo-data
//!
//! Reference tables embedded at compile time from `tables/*.csv` (copied from the project's
//! shared data, every row keeping its `source` column), parsed once on first use, with typed
//! lookups. See `tables/README.md` for the provenance of each file.
//!
//! ```
//! use halo_core::Element;
//! let sc = Element::from_symbol("Sc").unwrap();
//! let ion = halo_data::elements::ion(sc, 3).unwrap();
//! assert_eq!(ion.shannon_vi_ionic_pm, Some(74.5));
//! let pair = halo_data::softbv::pair("Li", 1, "Cl", -1).unwrap();
//! assert!((pair.r0_ang - 1.39892).abs() < 1e-9);
//! ```

pub mod calibration;
pub mod cost;
pub mod elements;
pub mod gaps;
pub mod melting;
pub mod softbv;
pub mod thermo;

use serde::de::DeserializeOwned;

/// Errors of the data layer: lookups that find nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// No row for the requested key in a table.
    #[error("no entry for {key} in {table}")]
    NotFound { table: &'static str, key: String },
    /// A row exists but the requested column is blank.
    #[error("{table}: {key} has no value for {column}")]
    MissingValue {
        table: &'static str,
        key: String,
        column: &'static str,
    },
}

/// Parse an embedded CSV table. Embedded tables are checked by this crate's tests; a parse
/// failure is a build defect, reported with the table name and line.
pub(crate) fn parse_table<T: DeserializeOwned>(name: &str, text: &str) -> Vec<T> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    rdr.deserialize()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|e| panic!("embedded table {name}, data row {}: {e}", i + 1))
        })
        .collect()
}

/// Deserialise blank CSV cells as `None`.
pub(crate) mod blank {
    use serde::{Deserialize, Deserializer};
    pub fn f64_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        let s = String::deserialize(d)?;
        let t = s.trim();
        if t.is_empty() {
            Ok(None)
        } else {
            t.parse().map(Some).map_err(serde::de::Error::custom)
        }
    }
    pub fn bool01<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        let s = String::deserialize(d)?;
        Ok(matches!(s.trim(), "1" | "1.0" | "True" | "true"))
    }
}
