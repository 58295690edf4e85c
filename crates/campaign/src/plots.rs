//! SVG plots of a campaign: Arrhenius series of the top candidates and the ranking/Pareto plot.

use crate::error::CampaignError;
use crate::record::ArrheniusPoint;
use plotters::prelude::*;
use std::path::Path;

/// A candidate on the ranking plot.
pub struct RankPoint {
    pub label: String,
    pub sigma_300k_s_per_cm: f64,
    pub anodic_limit_v: f64,
    pub pareto: bool,
    pub passes_filters: bool,
}

/// (min, max) of the first and of the second coordinate.
fn bounds(pts: impl Iterator<Item = (f64, f64)>) -> ((f64, f64), (f64, f64)) {
    pts.fold(((f64::MAX, f64::MIN), (f64::MAX, f64::MIN)), |(x, y), p| {
        ((x.0.min(p.0), x.1.max(p.0)), (y.0.min(p.1), y.1.max(p.1)))
    })
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> CampaignError {
    CampaignError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// ln(σT) vs 1000/T with ±SE bars (log10 axis), one series per candidate.
pub fn arrhenius_svg(
    path: &Path,
    series: &[(String, Vec<ArrheniusPoint>)],
) -> Result<(), CampaignError> {
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|(_, s)| s.iter())
        .filter(|p| p.sigma_s_per_cm > 0.0)
        .map(|p| (1000.0 / p.temperature_k, p.sigma_s_per_cm))
        .collect();
    if pts.is_empty() {
        return Err(plot_err(path, "no positive conductivities to plot"));
    }
    let ((xmin, xmax), (ymin, ymax)) = bounds(pts.iter().copied());
    let root = SVGBackend::new(path, (800, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Arrhenius plot (kMC)", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (xmin - 0.1)..(xmax + 0.1),
            ((ymin / 3.0)..(ymax * 3.0)).log_scale(),
        )
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("1000 / T  (1/K)")
        .y_desc("σ  (S/cm)")
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    for (i, (label, s)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let data: Vec<(f64, f64)> = s
            .iter()
            .filter(|p| p.sigma_s_per_cm > 0.0)
            .map(|p| (1000.0 / p.temperature_k, p.sigma_s_per_cm))
            .collect();
        chart
            .draw_series(LineSeries::new(data.clone(), color.stroke_width(2)))
            .map_err(|e| plot_err(path, e))?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
        chart
            .draw_series(
                data.iter()
                    .map(|&(x, y)| Circle::new((x, y), 4, color.filled())),
            )
            .map_err(|e| plot_err(path, e))?;
        chart
            .draw_series(s.iter().filter(|p| p.sigma_s_per_cm > 0.0).map(|p| {
                let x = 1000.0 / p.temperature_k;
                let lo = (p.sigma_s_per_cm - p.sigma_se_s_per_cm).max(p.sigma_s_per_cm * 0.05);
                PathElement::new(
                    vec![(x, lo), (x, p.sigma_s_per_cm + p.sigma_se_s_per_cm)],
                    color,
                )
            }))
            .map_err(|e| plot_err(path, e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}

/// σ(300 K) (log) against the anodic limit; Pareto-front members filled, filtered-out grey.
pub fn ranking_svg(path: &Path, points: &[RankPoint]) -> Result<(), CampaignError> {
    let pts: Vec<&RankPoint> = points
        .iter()
        .filter(|p| p.sigma_300k_s_per_cm > 0.0 && p.anodic_limit_v.is_finite())
        .collect();
    if pts.is_empty() {
        return Err(plot_err(
            path,
            "no candidate has both σ(300 K) and an anodic limit",
        ));
    }
    let ((xmin, xmax), (ymin, ymax)) = bounds(
        pts.iter()
            .map(|p| (p.anodic_limit_v, p.sigma_300k_s_per_cm)),
    );
    let root = SVGBackend::new(path, (800, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Ranking: σ(300 K) vs anodic limit (filled = Pareto front)",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (xmin - 0.1)..(xmax + 0.1),
            ((ymin / 3.0)..(ymax * 3.0)).log_scale(),
        )
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("anodic limit, ΔG (V vs Li+/Li)")
        .y_desc("σ(300 K)  (S/cm)")
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    chart
        .draw_series(pts.iter().map(|p| {
            let c = if !p.passes_filters {
                RGBColor(170, 170, 170).to_rgba()
            } else if p.pareto {
                RED.to_rgba()
            } else {
                BLUE.to_rgba()
            };
            let style = if p.pareto {
                c.filled()
            } else {
                c.stroke_width(1)
            };
            Circle::new((p.anodic_limit_v, p.sigma_300k_s_per_cm), 5, style)
        }))
        .map_err(|e| plot_err(path, e))?;
    chart
        .draw_series(pts.iter().filter(|p| p.pareto).map(|p| {
            Text::new(
                p.label.clone(),
                (p.anodic_limit_v, p.sigma_300k_s_per_cm),
                ("sans-serif", 11),
            )
        }))
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_svgs() {
        let dir = tempfile::tempdir().unwrap();
        let s = vec![(
            "A".to_string(),
            vec![
                ArrheniusPoint {
                    temperature_k: 300.0,
                    sigma_s_per_cm: 1e-3,
                    sigma_se_s_per_cm: 1e-4,
                },
                ArrheniusPoint {
                    temperature_k: 400.0,
                    sigma_s_per_cm: 1e-2,
                    sigma_se_s_per_cm: 1e-3,
                },
            ],
        )];
        let p = dir.path().join("a.svg");
        arrhenius_svg(&p, &s).unwrap();
        let t = std::fs::read_to_string(&p).unwrap();
        assert!(t.starts_with("<svg") && t.contains("Arrhenius"));
        let q = dir.path().join("r.svg");
        ranking_svg(
            &q,
            &[RankPoint {
                label: "A".into(),
                sigma_300k_s_per_cm: 1e-3,
                anodic_limit_v: 4.2,
                pareto: true,
                passes_filters: true,
            }],
        )
        .unwrap();
        assert!(std::fs::read_to_string(&q).unwrap().contains("Pareto"));
        assert!(ranking_svg(&q, &[]).is_err());
    }
}
