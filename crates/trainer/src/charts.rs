//! The charts that reports call for, as plain data.
//!
//! The trainer does not draw, so no PNG, font or plotting crate is in its build. A report that
//! wants a chart (`compare`'s `accuracy.png`, `robustness`' `robustness_<perturbation>.png`,
//! `detect`'s `<stem>_det.png`) builds a [`Chart`] and hands it to the [`ChartSink`] its caller
//! passed in. The command line's sink draws with `randommix-viz`, whose `bar_chart_png`,
//! `line_plot_png` and `det_plot_png` take exactly these fields; `()` draws nothing.

use std::error::Error;
use std::path::Path;

/// One chart of a report. Percentages are in percent; NaN marks a missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// One bar per category with a ± error bar (`compare`).
    Bars {
        /// Title above the chart.
        title: String,
        /// Category names, one per bar.
        categories: Vec<String>,
        /// Bar heights (NaN: no bar, marked n/a).
        means: Vec<f64>,
        /// Error bar half-lengths (NaN: no error bar).
        stds: Vec<f64>,
        /// Label of the value axis.
        y_label: String,
    },
    /// One line per series over categorical x ticks (`robustness`).
    Lines {
        /// Title above the chart.
        title: String,
        /// Label of the x axis.
        x_label: String,
        /// Label of the y axis.
        y_label: String,
        /// The x ticks, one per value of every series.
        x_ticks: Vec<String>,
        /// `(name, values)` per series (NaN: a gap in the line).
        series: Vec<(String, Vec<f64>)>,
    },
    /// DET curves: false rejects (%) against false accepts per hour on a log axis (`detect`).
    Det {
        /// Title above the chart.
        title: String,
        /// `(name, [(false accepts per hour, false rejects %)])` per curve.
        series: Vec<(String, Vec<(f64, f64)>)>,
        /// False-accept budgets drawn as vertical guides (per hour).
        budgets: Vec<f64>,
        /// Where 0 false accepts per hour is drawn on the log axis.
        floor: f64,
    },
}

/// The error a [`ChartSink`] reports; the trainer wraps it in
/// [`TrainError::Chart`](crate::TrainError::Chart) with the file's name.
pub type ChartError = Box<dyn Error + Send + Sync>;

/// Where reports send their charts.
pub trait ChartSink {
    /// Draws `chart` into the file `path`, atomically like every report file, and says whether
    /// it wrote the file (a sink may draw nothing).
    ///
    /// # Errors
    /// Whatever stopped the chart from being drawn or written.
    fn draw(&self, path: &Path, chart: &Chart) -> Result<bool, ChartError>;
}

/// Draws nothing: reports without pictures (tests, library use).
impl ChartSink for () {
    fn draw(&self, _path: &Path, _chart: &Chart) -> Result<bool, ChartError> {
        Ok(false)
    }
}

/// Hands `chart` to `sink`, naming `path` in the error.
pub(crate) fn draw(
    sink: &dyn ChartSink,
    path: &Path,
    chart: Chart,
) -> Result<bool, crate::TrainError> {
    sink.draw(path, &chart)
        .map_err(|cause| crate::TrainError::Chart {
            path: path.to_path_buf(),
            cause,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing;

    impl ChartSink for Failing {
        fn draw(&self, _path: &Path, _chart: &Chart) -> Result<bool, ChartError> {
            Err("disk full".into())
        }
    }

    fn det() -> Chart {
        Chart::Det {
            title: "DET".into(),
            series: vec![("run".into(), vec![(0.0, 50.0), (2.0, 10.0)])],
            budgets: vec![0.5, 1.0],
            floor: 0.1,
        }
    }

    #[test]
    fn a_sink_error_names_the_file_and_the_unit_sink_draws_nothing() {
        let path = Path::new("out/detect_test_det.png");
        let e = draw(&Failing, path, det()).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, crate::TrainError::Chart { .. }), "{text}");
        assert!(
            text.contains("detect_test_det.png") && text.contains("disk full"),
            "{text}"
        );
        assert!(!draw(&(), path, det()).expect("no-op"));
    }
}
