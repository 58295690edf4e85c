//! `parity.svg`: predicted vs measured log10 σ with the 1:1 line, a ±1 decade band and error
//! bars, every point labelled; beside it, predicted vs measured Ea where measured.

use super::ValidationReport;
use crate::error::CampaignError;
use plotters::prelude::*;

/// Colour of the predicted points and their error bars.
const POINT_COLOUR: RGBColor = RGBColor(200, 40, 40);

fn err(e: impl std::fmt::Display) -> CampaignError {
    CampaignError::Serialize {
        what: "parity plot".into(),
        reason: e.to_string(),
    }
}

/// The parity plot as SVG text.
pub fn parity_svg(r: &ValidationReport) -> Result<String, CampaignError> {
    // (label, log10 measured, log10 predicted, log10 lo, log10 hi)
    let pts: Vec<(String, f64, f64, f64, f64)> = r
        .rows
        .iter()
        .filter_map(|x| {
            let p = x.predicted_sigma_300k_s_per_cm.filter(|p| *p > 0.0)?;
            let se = x.predicted_sigma_300k_se_s_per_cm.unwrap_or(0.0);
            let lo = (p - se).max(p / 10.0).log10();
            Some((
                x.row.id.clone(),
                x.row.sigma_rt_s_per_cm.log10(),
                p.log10(),
                lo,
                (p + se).log10(),
            ))
        })
        .collect();
    let ea: Vec<(String, f64, f64, f64)> = r
        .rows
        .iter()
        .filter_map(|x| {
            Some((
                x.row.id.clone(),
                x.row.ea_ev?,
                x.predicted_ea_ev?,
                x.predicted_ea_se_ev.unwrap_or(0.0),
            ))
        })
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1300, 620)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (left, right) = root.split_horizontally(760);
        sigma_panel(&left, r, &pts)?;
        ea_panel(&right, &ea)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

type SigmaPoint = (String, f64, f64, f64, f64);

/// The σ panel: log10 predicted vs measured, 1:1 line, ±1 decade band, SE bars, labels.
fn sigma_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    r: &ValidationReport,
    pts: &[SigmaPoint],
) -> Result<(), CampaignError> {
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for p in pts {
        lo = lo.min(p.1).min(p.3);
        hi = hi.max(p.1).max(p.4);
    }
    for x in &r.rows {
        lo = lo.min(x.row.sigma_rt_s_per_cm.log10());
        hi = hi.max(x.row.sigma_rt_s_per_cm.log10());
    }
    let (lo, hi) = ((lo - 1.0).floor(), (hi + 1.0).ceil());
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "σ(300 K): predicted vs measured (ν0 = {:.2e} s⁻¹)",
                r.attempt_frequency.used_hz
            ),
            ("sans-serif", 20),
        )
        .margin(14)
        .x_label_area_size(46)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("log10 σ measured (S/cm)")
        .y_desc("log10 σ predicted (S/cm)")
        .x_labels(((hi - lo) as usize).min(20))
        .y_labels(((hi - lo) as usize).min(20))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(Polygon::new(
            vec![
                (lo, lo - 1.0),
                (hi, hi - 1.0),
                (hi, hi + 1.0),
                (lo, lo + 1.0),
            ],
            RGBColor(30, 120, 200).mix(0.12).filled(),
        )))
        .map_err(err)?
        .label("±1 decade")
        .legend(|(x, y)| {
            Rectangle::new(
                [(x, y - 5), (x + 16, y + 5)],
                RGBColor(30, 120, 200).mix(0.2).filled(),
            )
        });
    chart
        .draw_series(LineSeries::new(
            vec![(lo, lo), (hi, hi)],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?
        .label("1:1")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK));
    let red = POINT_COLOUR;
    for (label, m, p, l, h) in pts {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(*m, *l), (*m, *h)],
                red.stroke_width(2),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Circle::new((*m, *p), 4, red.filled())))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                label.clone(),
                (*m, *p),
                ("sans-serif", 12).into_font().color(&BLACK),
            )))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(err)?;

    Ok(())
}

/// The Ea panel: predicted vs measured where measured, with SE bars.
fn ea_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    ea: &[(String, f64, f64, f64)],
) -> Result<(), CampaignError> {
    let red = POINT_COLOUR;
    let (elo, ehi) = ea.iter().fold((0.2f64, 0.6f64), |(a, b), e| {
        (a.min(e.1).min(e.2 - e.3), b.max(e.1).max(e.2 + e.3))
    });
    let (elo, ehi) = (elo - 0.05, ehi + 0.05);
    let mut ch = ChartBuilder::on(area)
        .caption("Ea: predicted vs measured (eV)", ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(46)
        .y_label_area_size(56)
        .build_cartesian_2d(elo..ehi, elo..ehi)
        .map_err(err)?;
    ch.configure_mesh()
        .x_desc("Ea measured (eV)")
        .y_desc("Ea predicted (eV)")
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.2}"))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()
        .map_err(err)?;
    ch.draw_series(LineSeries::new(
        vec![(elo, elo), (ehi, ehi)],
        BLACK.stroke_width(1),
    ))
    .map_err(err)?;
    for (label, m, p, se) in ea {
        ch.draw_series(std::iter::once(PathElement::new(
            vec![(*m, p - se), (*m, p + se)],
            red.stroke_width(2),
        )))
        .map_err(err)?;
        ch.draw_series(std::iter::once(Circle::new((*m, *p), 4, red.filled())))
            .map_err(err)?;
        ch.draw_series(std::iter::once(Text::new(
            label.clone(),
            (*m, *p),
            ("sans-serif", 12).into_font().color(&BLACK),
        )))
        .map_err(err)?;
    }
    Ok(())
}
