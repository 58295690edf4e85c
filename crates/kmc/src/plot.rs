//! Arrhenius plot (SVG) of a [`KmcResult`]: ln(σT) against 1000/T with ±1 SE bars and the
//! weighted fit line, over the temperatures the fit used (σ above the run's resolution).

use crate::error::KmcError;
use crate::KmcResult;
use plotters::prelude::*;

/// Render the Arrhenius plot of `result` as an SVG document (returned as a string; the caller
/// writes it where it likes).
pub fn arrhenius_svg(result: &KmcResult, title: &str) -> Result<String, KmcError> {
    let pts: Vec<(f64, f64, f64)> = result
        .temperatures
        .iter()
        // the fitted points: a σ below the run's resolution is not a measurement (and a round-off
        // value such as 1e-40 S/cm would set the axis)
        .filter(|t| t.sigma_s_per_cm > 0.0 && t.is_resolved())
        .map(|t| {
            let y = (t.sigma_s_per_cm * t.temperature_k).ln();
            let dy = t.sigma_se_s_per_cm / t.sigma_s_per_cm;
            (1000.0 / t.temperature_k, y, dy)
        })
        .collect();
    if pts.is_empty() {
        return Err(KmcError::Statistics(
            "nothing to plot: no temperature with σ above the run's resolution".into(),
        ));
    }
    let err = |e: &dyn std::fmt::Display| KmcError::Statistics(format!("plotting: {e}"));
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y, dy) in &pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y - dy);
        y1 = y1.max(y + dy);
    }
    let px = 0.05 * (x1 - x0).max(0.1);
    let py = 0.08 * (y1 - y0).max(0.5);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("1000/T (1/K)")
            .y_desc("ln(σT / (S K cm⁻¹))")
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(
                pts.iter()
                    .map(|&(x, y, _)| Circle::new((x, y), 4, BLUE.filled())),
            )
            .map_err(|e| err(&e))?
            .label("kMC ±1 SE");
        chart
            .draw_series(pts.iter().map(|&(x, y, dy)| {
                PathElement::new(vec![(x, y - dy), (x, y + dy)], BLUE.stroke_width(1))
            }))
            .map_err(|e| err(&e))?;
        if let Some(fit) = &result.arrhenius {
            let line: Vec<(f64, f64)> = [x0 - px, x1 + px]
                .iter()
                .map(|&x| {
                    let inv_t = x / 1000.0;
                    (
                        x,
                        fit.prefactor_s_k_per_cm.ln() - fit.ea_ev / halo_core::K_B_EV_PER_K * inv_t,
                    )
                })
                .collect();
            chart
                .draw_series(LineSeries::new(line, RED.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(format!(
                    "Ea = {:.3} ± {:.3} eV, σ(300 K) = {:.3e} S/cm",
                    fit.ea_ev, fit.ea_se_ev, fit.sigma_300k_s_per_cm
                ))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}
