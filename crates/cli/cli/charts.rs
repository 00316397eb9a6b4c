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
