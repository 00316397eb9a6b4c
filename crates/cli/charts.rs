//! The charts of `compare`, `robustness` and `detect`, drawn with randommix-viz: the trainer
//! hands each one over as data ([`randommix::charts`]), so that it does not draw itself.

use std::path::Path;

use randommix::charts::{Chart, ChartError, ChartSink};

/// Draws every chart as a PNG with randommix-viz, atomically.
pub struct VizCharts;

impl ChartSink for VizCharts {
    fn draw(&self, path: &Path, chart: &Chart) -> Result<bool, ChartError> {
        match chart {
            Chart::Bars {
                title,
                categories,
                means,
                stds,
                y_label,
            } => randommix_viz::bar_chart_png(path, title, categories, means, stds, y_label)?,
            Chart::Lines {
                title,
                x_label,
                y_label,
                x_ticks,
                series,
            } => randommix_viz::line_plot_png(path, title, x_label, y_label, x_ticks, series)?,
            Chart::Det {
                title,
                series,
                budgets,
                floor,
            } => randommix_viz::det_plot_png(path, title, series, budgets, *floor)?,
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chart_kind_is_written_as_a_png() {
        let dir = tempfile::tempdir().expect("tempdir");
        let charts = [
            Chart::Bars {
                title: "accuracy".into(),
                categories: vec!["none".into(), "randommix".into()],
                means: vec![92.8, 93.7],
                stds: vec![1.6, 1.2],
                y_label: "%".into(),
            },
            Chart::Lines {
                title: "robustness".into(),
                x_label: "snr".into(),
                y_label: "%".into(),
                x_ticks: vec!["clean".into(), "10".into()],
                series: vec![("run".into(), vec![93.0, 70.0])],
            },
            Chart::Det {
                title: "DET".into(),
                series: vec![("run".into(), vec![(0.0, 90.0), (5.0, 20.0)])],
                budgets: vec![0.5, 1.0],
                floor: 0.1,
            },
        ];
        for (k, chart) in charts.iter().enumerate() {
            let path = dir.path().join(format!("{k}.png"));
            assert!(VizCharts.draw(&path, chart).expect("drawn"));
            let bytes = std::fs::read(&path).expect("written");
            assert!(bytes.starts_with(b"\x89PNG"), "{}", path.display());
        }
        let missing = dir.path().join("no/such/folder/x.png");
        let e = VizCharts.draw(&missing, &charts[0]).unwrap_err();
        assert!(e.to_string().contains("x.png"), "{e}");
    }
}
