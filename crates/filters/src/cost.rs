//! Raw-material cost of a candidate from element prices by mass fraction (docs/physics.md §6.4):
//!
//! ```text
//! cost (USD/kg) = Σ_e w_e · p_e,    w_e = n_e·M_e / Σ n·M
//! ```
//!
//! with indicative element prices p_e from `element_cost.csv` (each row names its source) and
//! masses from halo-core. An indicative element price, not a precursor or synthesis cost.

use crate::error::FilterError;
use halo_core::Composition;
use serde::Serialize;

/// One element's share of the cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostContribution {
    pub element: String,
    pub mass_fraction: f64,
    pub price_usd_per_kg: f64,
    /// w_e · p_e.
    pub usd_per_kg: f64,
    pub price_source: String,
}

/// The result of [`cost`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostReport {
    pub formula: String,
    pub cost_usd_per_kg: f64,
    pub contributions: Vec<CostContribution>,
}

/// Cost per kg of `composition`; an element without a price is `not assessable`, named.
pub fn cost(composition: &Composition) -> Result<CostReport, FilterError> {
    let fractions = composition.mass_fractions();
    if fractions.is_empty() {
        return Err(FilterError::NotAssessable {
            filter: "cost",
            reason: "empty composition".into(),
        });
    }
    let mut contributions = Vec::new();
    for (el, w) in fractions {
        let (p, src) = halo_data::cost::price_usd_per_kg(el.symbol()).map_err(|e| {
            FilterError::NotAssessable {
                filter: "cost",
                reason: format!("no price for {el}: {e}"),
            }
        })?;
        contributions.push(CostContribution {
            element: el.symbol().to_string(),
            mass_fraction: w,
            price_usd_per_kg: p,
            usd_per_kg: w * p,
            price_source: src.to_string(),
        });
    }
    Ok(CostReport {
        formula: composition.reduced_formula(),
        cost_usd_per_kg: contributions.iter().map(|c| c.usd_per_kg).sum(),
        contributions,
    })
}

/// Cost per kg of `composition` (USD/kg).
pub fn cost_usd_per_kg(composition: &Composition) -> Result<f64, FilterError> {
    Ok(cost(composition)?.cost_usd_per_kg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mass_weighted_prices() {
        let c = Composition::parse("Li2Sc2/3Cl4").unwrap();
        let r = cost(&c).unwrap();
        let w: f64 = r.contributions.iter().map(|x| x.mass_fraction).sum();
        assert!((w - 1.0).abs() < 1e-12);
        let by_hand: f64 = r
            .contributions
            .iter()
            .map(|x| {
                let (p, _) = halo_data::cost::price_usd_per_kg(&x.element).unwrap();
                x.mass_fraction * p
            })
            .sum();
        assert!((r.cost_usd_per_kg - by_hand).abs() < 1e-9);
        // Sc (≈ 3460 USD/kg) dominates: replacing Sc by In makes it far cheaper
        let inn = cost_usd_per_kg(&Composition::parse("Li2In2/3Cl4").unwrap()).unwrap();
        assert!(
            r.cost_usd_per_kg > 3.0 * inn,
            "{} vs {inn}",
            r.cost_usd_per_kg
        );
        let sc = r.contributions.iter().find(|x| x.element == "Sc").unwrap();
        assert!(sc.usd_per_kg > 0.5 * r.cost_usd_per_kg, "{r:?}");
    }
}
