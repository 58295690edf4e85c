//! Indicative element prices (USD/kg) and supply data; `price_source` on every row.

use crate::{blank, parse_table, DataError};
use serde::Deserialize;
use std::sync::OnceLock;

/// One element's price row.
#[derive(Clone, Debug, Deserialize)]
pub struct CostRow {
    pub symbol: String,
    #[serde(deserialize_with = "blank::f64_opt")]
    pub price_usd_per_kg: Option<f64>,
    pub price_source: String,
    #[serde(deserialize_with = "blank::f64_opt")]
    pub crust_abundance_mg_per_kg: Option<f64>,
    #[serde(rename = "HHI_production", deserialize_with = "blank::f64_opt")]
    pub hhi_production: Option<f64>,
    #[serde(deserialize_with = "blank::f64_opt")]
    pub relative_supply_risk: Option<f64>,
}

/// Every row of `element_cost.csv`.
pub fn rows() -> &'static [CostRow] {
    static T: OnceLock<Vec<CostRow>> = OnceLock::new();
    T.get_or_init(|| {
        parse_table(
            "element_cost.csv",
            include_str!("../tables/element_cost.csv"),
        )
    })
}

/// Price of an element in USD/kg.
pub fn price_usd_per_kg(symbol: &str) -> Result<(f64, &'static str), DataError> {
    let r = rows()
        .iter()
        .find(|r| r.symbol == symbol)
        .ok_or_else(|| DataError::NotFound {
            table: "element_cost.csv",
            key: symbol.to_string(),
        })?;
    r.price_usd_per_kg
        .map(|p| (p, r.price_source.as_str()))
        .ok_or_else(|| DataError::MissingValue {
            table: "element_cost.csv",
            key: symbol.to_string(),
            column: "price_usd_per_kg",
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn scandium_is_expensive() {
        let (sc, _) = super::price_usd_per_kg("Sc").unwrap();
        let (inn, _) = super::price_usd_per_kg("In").unwrap();
        assert!(sc > 10.0 * inn);
        assert_eq!(super::rows().len(), 52);
    }
}
