//! SVG plots of a campaign: Arrhenius series of the top candidates and the ranking/Pareto plot.

use crate::error::CampaignError;
use crate::record::ArrheniusPoint;
use plotters::prelude::*;
use std::path::Path;

/// A candidate on the ranking plot.
pub struct RankPoint {
    pub label: String,
    pub rank: Option<usize>,
    pub sigma_300k_s_per_cm: f64,
    pub sigma_300k_se_s_per_cm: f64,
    pub ea_ev: f64,
    pub ea_se_ev: f64,
    pub anodic_limit_v: Option<f64>,
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

/// The Arrhenius fit of a candidate: σ(300 K) and Ea with their standard errors.
#[derive(Clone, Copy, Debug)]
pub struct ArrheniusFitLine {
    pub sigma_300k_s_per_cm: f64,
    pub sigma_300k_se_s_per_cm: f64,
    pub ea_ev: f64,
    pub ea_se_ev: f64,
}

impl ArrheniusFitLine {
    /// σ(T) of the fit, σT = A·exp(−Ea/k_BT) through σ(300 K):
    /// σ(T) = σ300 · (300/T) · exp(−Ea/k_B · (1/T − 1/300)).
    fn sigma(&self, sigma_300k: f64, ea_ev: f64, t_k: f64) -> f64 {
        sigma_300k
            * (300.0 / t_k)
            * (-(ea_ev / halo_core::K_B_EV_PER_K) * (1.0 / t_k - 1.0 / 300.0)).exp()
    }

    /// The ±1 SE envelope at `t_k`: the extremes over σ300 ± SE and Ea ± SE.
    fn band(&self, t_k: f64) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = 0.0f64;
        for ds in [-1.0, 1.0] {
            for de in [-1.0, 1.0] {
                let s300 = (self.sigma_300k_s_per_cm + ds * self.sigma_300k_se_s_per_cm)
                    .max(self.sigma_300k_s_per_cm * 1e-3);
                let v = self.sigma(s300, self.ea_ev + de * self.ea_se_ev, t_k);
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        (lo, hi)
    }
}

/// One candidate of the Arrhenius plot.
pub struct ArrheniusSeries {
    pub label: String,
    pub points: Vec<ArrheniusPoint>,
    pub fit: Option<ArrheniusFitLine>,
}

/// The downward shift (px) of each label at `(x, y, width)` px, placed in order: a label
/// that would overlap one placed before moves down a line at a time (at most 20 lines).
fn label_shifts(labels: &[(i32, i32, i32)]) -> Vec<i32> {
    let mut placed: Vec<(i32, i32, i32)> = Vec::new();
    let mut out = Vec::new();
    for &(px, py, width) in labels {
        let x0 = px + 6;
        let mut dy = 0;
        while dy < 20 * LABEL_LINE_PX
            && placed.iter().any(|&(qx, qy, qw)| {
                x0 < qx + qw && qx < x0 + width && (py + dy - qy).abs() < LABEL_LINE_PX
            })
        {
            dy += LABEL_LINE_PX;
        }
        placed.push((x0, py + dy, width));
        out.push(dy);
    }
    out
}

/// A label of the ranking plot: its point (data), the point on the canvas (px), the text.
type PointLabel = ((f64, f64), (i32, i32), String);

/// Line height of a point label in the ranking plot, px (12 px text).
const LABEL_LINE_PX: i32 = 14;

/// A log axis that shows at least `lo..hi`, and how many labels to ask of it. plotters labels
/// the powers of ten in the range, and the 2…9 × 10ⁿ after one only when asked for more than
/// ten labels per decade: an axis of candidates within a factor of 3 (1.2e-3…7.3e-3 S/cm) had
/// one label or none. The axis starts at the power of ten at or below `lo`, and one spanning
/// less than two decades gets the 2…9 × 10ⁿ labels too.
fn log_axis(lo: f64, hi: f64) -> (std::ops::Range<f64>, usize) {
    // a hair below the power of ten, which plotters would otherwise round past
    // (ln(1e-3)/ln(10) = −2.9999999999999996 ceils to −2)
    let start = if lo > 0.0 && lo.is_finite() {
        10f64.powf(lo.log10().floor()) * (1.0 - 1e-9)
    } else {
        lo
    };
    let decades = (hi / start).log10();
    let labels = if decades.is_finite() && decades < 2.0 {
        20
    } else {
        8
    };
    (start..hi, labels)
}

/// σ (log) vs 1000/T: the simulated points the runs resolved ([`ArrheniusPoint::resolved`]; a
/// round-off σ of an unresolved point would set the axis) with ±SE bars, the weighted Arrhenius fit as a line
/// and its ±1 SE envelope as a band, one colour per candidate.
pub fn arrhenius_svg(path: &Path, series: &[ArrheniusSeries]) -> Result<(), CampaignError> {
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|p| p.sigma_s_per_cm > 0.0 && p.resolved)
        .map(|p| (1000.0 / p.temperature_k, p.sigma_s_per_cm))
        .collect();
    if pts.is_empty() {
        return Err(plot_err(
            path,
            "no resolved positive conductivities to plot",
        ));
    }
    let ((xmin, xmax), (ymin, ymax)) = bounds(pts.iter().copied());
    let (y_axis, y_labels) = log_axis(ymin / 4.0, ymax * 4.0);
    let root = SVGBackend::new(path, (820, 580)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Arrhenius plot (kMC points ± SE, fit and ±1 SE band)",
            ("sans-serif", 20),
        )
        .margin(14)
        .x_label_area_size(46)
        .y_label_area_size(72)
        .build_cartesian_2d((xmin - 0.1)..(xmax + 0.1), y_axis.clone().log_scale())
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("1000 / T  (1/K)")
        .y_desc("σ  (S/cm)")
        .x_labels(7)
        .y_labels(y_labels)
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    for (i, s) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        if let Some(fit) = &s.fit {
            let xs: Vec<f64> = (0..=40)
                .map(|k| (xmin - 0.1) + (xmax - xmin + 0.2) * k as f64 / 40.0)
                .collect();
            let upper: Vec<(f64, f64)> = xs.iter().map(|&x| (x, fit.band(1000.0 / x).1)).collect();
            let lower: Vec<(f64, f64)> = xs.iter().map(|&x| (x, fit.band(1000.0 / x).0)).collect();
            let poly: Vec<(f64, f64)> = upper.iter().chain(lower.iter().rev()).copied().collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    poly,
                    color.mix(0.15).filled(),
                )))
                .map_err(|e| plot_err(path, e))?;
            let line: Vec<(f64, f64)> = xs
                .iter()
                .map(|&x| (x, fit.sigma(fit.sigma_300k_s_per_cm, fit.ea_ev, 1000.0 / x)))
                .collect();
            let label = format!("{} (Ea {:.3} eV)", s.label, fit.ea_ev);
            chart
                .draw_series(LineSeries::new(line, color.stroke_width(2)))
                .map_err(|e| plot_err(path, e))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
        }
        let data: Vec<&ArrheniusPoint> = s
            .points
            .iter()
            .filter(|p| p.sigma_s_per_cm > 0.0 && p.resolved)
            .collect();
        for p in &data {
            let x = 1000.0 / p.temperature_k;
            let lo = (p.sigma_s_per_cm - p.sigma_se_s_per_cm).max(p.sigma_s_per_cm / 10.0);
            let hi = p.sigma_s_per_cm + p.sigma_se_s_per_cm;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, lo), (x, hi)],
                    color.stroke_width(1),
                )))
                .map_err(|e| plot_err(path, e))?;
        }
        chart
            .draw_series(data.iter().map(|p| {
                Circle::new(
                    (1000.0 / p.temperature_k, p.sigma_s_per_cm),
                    4,
                    color.filled(),
                )
            }))
            .map_err(|e| plot_err(path, e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}

/// Colour of an anodic limit on a blue (low) → red (high) scale between `lo` and `hi`, V.
fn limit_colour(v: f64, lo: f64, hi: f64) -> RGBColor {
    // limits within 1 mV are one limit (round-off differs in the 15th digit): one colour
    let t = if hi - lo > LIMIT_RESOLUTION_V {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
    } else {
        0.5
    };
    RGBColor((40.0 + 200.0 * t) as u8, 60, (230.0 - 200.0 * t) as u8)
}

/// Anodic limits closer than this are one colour and one value in the caption, V.
const LIMIT_RESOLUTION_V: f64 = 1e-3;

/// σ(300 K) (log) against Ea with ±SE bars on both; colour = anodic limit (legend in the
/// caption), filled = Pareto front, grey = failed a hard filter; the top `k` labelled.
pub fn ranking_svg(path: &Path, points: &[RankPoint], top_k: usize) -> Result<(), CampaignError> {
    let pts: Vec<&RankPoint> = points
        .iter()
        .filter(|p| p.sigma_300k_s_per_cm > 0.0 && p.ea_ev.is_finite())
        .collect();
    if pts.is_empty() {
        return Err(plot_err(path, "no candidate has both σ(300 K) and Ea"));
    }
    // the axes hold the error bars too (they were clipped at the frame)
    let ((xmin, xmax), (ymin, ymax)) = bounds(pts.iter().flat_map(|p| {
        let se = |v: f64| if v.is_finite() { v } else { 0.0 };
        let (x, y) = (p.ea_ev, p.sigma_300k_s_per_cm);
        let (dx, dy) = (se(p.ea_se_ev), se(p.sigma_300k_se_s_per_cm));
        // the lower σ bar is drawn down to y − SE, but not below y/10 (a log axis)
        [(x - dx, (y - dy).max(y / 10.0)), (x + dx, (y + dy).max(y))]
    }));
    let span = (xmax - xmin).max(0.02);
    let limits: Vec<f64> = pts
        .iter()
        .filter_map(|p| p.anodic_limit_v.filter(|v| v.is_finite()))
        .collect();
    let (lo, hi) = limits
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let (y_axis, y_labels) = log_axis(ymin / 2.0, ymax * 2.0);
    let root = SVGBackend::new(path, (820, 580)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let caption = if limits.is_empty() {
        "Ranking: σ(300 K) vs Ea (filled = Pareto front)".to_string()
    } else if hi - lo <= LIMIT_RESOLUTION_V {
        format!("σ(300 K) vs Ea; anodic limit {lo:.2} V for every candidate; filled = front")
    } else {
        format!(
            "σ(300 K) vs Ea; colour: anodic limit {lo:.2} V (blue) – {hi:.2} V (red); filled = front"
        )
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(14)
        .x_label_area_size(46)
        .y_label_area_size(72)
        .build_cartesian_2d(
            (xmin - 0.15 * span)..(xmax + 0.15 * span),
            y_axis.clone().log_scale(),
        )
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("Ea (eV)")
        .y_desc("σ(300 K)  (S/cm)")
        .x_labels(6)
        .y_labels(y_labels)
        .x_label_formatter(&|x| format!("{x:.2}"))
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    let mut labels: Vec<PointLabel> = Vec::new();
    for p in &pts {
        let c = if !p.passes_filters {
            RGBColor(170, 170, 170)
        } else {
            p.anodic_limit_v
                .map_or(RGBColor(90, 90, 90), |v| limit_colour(v, lo, hi))
        };
        let (x, y) = (p.ea_ev, p.sigma_300k_s_per_cm);
        let lo_y = (y - p.sigma_300k_se_s_per_cm).max(y / 10.0);
        let bars = [
            vec![(x, lo_y), (x, y + p.sigma_300k_se_s_per_cm)],
            vec![(x - p.ea_se_ev, y), (x + p.ea_se_ev, y)],
        ];
        for b in bars {
            chart
                .draw_series(std::iter::once(PathElement::new(b, c.stroke_width(1))))
                .map_err(|e| plot_err(path, e))?;
        }
        let style = if p.pareto {
            c.filled()
        } else {
            c.stroke_width(2)
        };
        chart
            .draw_series(std::iter::once(Circle::new((x, y), 5, style)))
            .map_err(|e| plot_err(path, e))?;
        if p.rank.is_some_and(|r| r <= top_k) {
            labels.push((
                (x, y),
                chart.backend_coord(&(x, y)),
                format!("{} {}", p.rank.unwrap_or(0), p.label),
            ));
        }
    }
    // the top-k labels, moved down in steps of a line until they overlap no label placed
    // before (candidates of one family sit within a few pixels of each other)
    let shifts = label_shifts(
        &labels
            .iter()
            .map(|(_, (px, py), text)| (*px, *py, 7 * text.chars().count() as i32))
            .collect::<Vec<_>>(),
    );
    for ((at, _, text), dy) in labels.into_iter().zip(shifts) {
        chart
            .draw_series(std::iter::once(
                EmptyElement::at(at) + Text::new(text, (6, dy - 6), ("sans-serif", 12)),
            ))
            .map_err(|e| plot_err(path, e))?;
    }
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Labels of points a few pixels apart (the paper's family: ranks 6 and 7 at 2 px) are
    /// moved apart by a line; labels far apart stay where their points are.
    #[test]
    fn close_point_labels_are_moved_apart() {
        let s = super::label_shifts(&[(551, 174, 150), (544, 176, 160), (100, 400, 150)]);
        assert_eq!(s[0], 0);
        assert!((176 + s[1] - 174).abs() >= super::LABEL_LINE_PX, "{s:?}");
        assert_eq!(s[2], 0);
    }

    /// A narrow log axis gets the 2…9 × 10ⁿ labels (plotters' key points at 20 labels), a wide
    /// one only its decades.
    #[test]
    fn narrow_log_axes_get_minor_labels() {
        use plotters::coord::ranged1d::{KeyPointHint, Ranged};
        use plotters::prelude::{IntoLogRange, LogCoord};
        let points = |lo: f64, hi: f64| -> Vec<f64> {
            let (range, labels) = super::log_axis(lo, hi);
            assert!(range.start <= lo);
            let c: LogCoord<f64> = range.log_scale().into();
            c.key_points(labels.max_num_points())
        };
        let narrow = points(1.2e-3, 7.3e-3);
        assert!(narrow.len() >= 5, "{narrow:?}");
        assert!(
            narrow.iter().any(|v| (v - 2e-3).abs() < 1e-12),
            "{narrow:?}"
        );
        let wide = points(1e-10, 1e-2);
        assert!(wide.len() >= 6 && wide.len() <= 9, "{wide:?}");
    }

    use super::*;

    /// Render an SVG file to pixels (resvg) and count the pixels that are not white: the plot
    /// parses as SVG and draws something.
    fn drawn_pixels(path: &Path) -> usize {
        let data = std::fs::read(path).unwrap();
        let tree = resvg::usvg::Tree::from_data(&data, &resvg::usvg::Options::default())
            .unwrap_or_else(|e| panic!("{}: not a valid SVG: {e}", path.display()));
        let size = tree.size().to_int_size();
        let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
        pixmap.fill(resvg::tiny_skia::Color::WHITE);
        resvg::render(
            &tree,
            resvg::tiny_skia::Transform::default(),
            &mut pixmap.as_mut(),
        );
        pixmap
            .pixels()
            .iter()
            .filter(|p| (p.red(), p.green(), p.blue()) != (255, 255, 255))
            .count()
    }

    fn point(t: f64, s: f64) -> ArrheniusPoint {
        ArrheniusPoint {
            temperature_k: t,
            sigma_s_per_cm: s,
            sigma_se_s_per_cm: 0.1 * s,
            resolved: true,
        }
    }

    #[test]
    fn plots_render_with_fits_bands_and_error_bars() {
        let dir = tempfile::tempdir().unwrap();
        let s = vec![ArrheniusSeries {
            label: "A".to_string(),
            points: vec![point(300.0, 1e-3), point(400.0, 1e-2), point(500.0, 4e-2)],
            fit: Some(ArrheniusFitLine {
                sigma_300k_s_per_cm: 1e-3,
                sigma_300k_se_s_per_cm: 1e-4,
                ea_ev: 0.3,
                ea_se_ev: 0.01,
            }),
        }];
        let p = dir.path().join("a.svg");
        arrhenius_svg(&p, &s).unwrap();
        let t = std::fs::read_to_string(&p).unwrap();
        assert!(t.starts_with("<svg") && t.contains("Arrhenius") && t.contains("Ea 0.300 eV"));
        assert!(drawn_pixels(&p) > 5000, "the Arrhenius plot is blank");
        // the fit goes through σ(300 K) and has the slope −Ea/k_B in ln(σT)
        let f = s[0].fit.unwrap();
        assert!((f.sigma(1e-3, 0.3, 300.0) - 1e-3).abs() < 1e-15);
        let (lo, hi) = f.band(400.0);
        assert!(lo < f.sigma(1e-3, 0.3, 400.0) && f.sigma(1e-3, 0.3, 400.0) < hi);
        let q = dir.path().join("r.svg");
        let rp = |label: &str, rank: usize, sigma: f64, ea: f64, v: f64| RankPoint {
            label: label.into(),
            rank: Some(rank),
            sigma_300k_s_per_cm: sigma,
            sigma_300k_se_s_per_cm: 0.2 * sigma,
            ea_ev: ea,
            ea_se_ev: 0.02,
            anodic_limit_v: Some(v),
            pareto: rank == 1,
            passes_filters: true,
        };
        ranking_svg(
            &q,
            &[
                rp("Li2InCl4", 1, 2e-3, 0.30, 4.2),
                rp("Li3YCl6", 2, 1e-3, 0.35, 4.0),
            ],
            1,
        )
        .unwrap();
        let t = std::fs::read_to_string(&q).unwrap();
        assert!(t.contains("Ea (eV)") && t.contains("anodic limit") && t.contains("1 Li2InCl4"));
        assert!(!t.contains("2 Li3YCl6"), "only the top k are labelled");
        assert!(drawn_pixels(&q) > 5000, "the ranking plot is blank");
        // limits that differ by round-off are one limit: one colour, one value in the caption
        ranking_svg(
            &q,
            &[
                rp("a", 1, 2e-3, 0.30, 3.9800764692646706),
                rp("b", 2, 1e-3, 0.35, 3.980076469264682),
            ],
            1,
        )
        .unwrap();
        let t = std::fs::read_to_string(&q).unwrap();
        assert!(t.contains("anodic limit 3.98 V for every candidate"), "{t}");
        assert!(!t.contains("(blue)"));
        let colour = |rgb: RGBColor| format!("#{:02X}{:02X}{:02X}", rgb.0, rgb.1, rgb.2);
        assert_eq!(
            colour(limit_colour(
                3.9800764692646706,
                3.9800764692646706,
                3.980076469264682
            )),
            colour(limit_colour(
                3.980076469264682,
                3.9800764692646706,
                3.980076469264682
            ))
        );
        assert!(ranking_svg(&q, &[], 3).is_err());
    }
}
