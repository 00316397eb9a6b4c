//! Report charts: PNGs decode with the expected size; bad inputs are errors, not panics.

use std::fs;
use std::path::Path;

use randommix_viz::{VizError, bar_chart_png, line_plot_png, render_bar_chart, render_line_plot};

fn decode_size(path: &Path) -> (u32, u32) {
    let file = fs::File::open(path).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    (info.width, info.height)
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn bar_chart_decodes_with_the_rendered_size() {
    let cats = names(&[
        "none",
        "mixup",
        "cutmix",
        "randommix_per_sample_with_long_name",
    ]);
    let means = [0.91, 0.93, 0.925, 0.94];
    let stds = [0.01, 0.008, f64::NAN, 0.02];
    let im = render_bar_chart("accuracy", &cats, &means, &stds, "test accuracy").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bars.png");
    bar_chart_png(&p, "accuracy", &cats, &means, &stds, "test accuracy").unwrap();
    assert_eq!(decode_size(&p), (im.width() as u32, im.height() as u32));
    assert!(im.width() >= 400 && im.height() >= 300);
    // More categories make a wider chart.
    let many: Vec<String> = (0..30).map(|i| format!("run{i}")).collect();
    let wide = render_bar_chart("t", &many, &[0.5; 30], &[0.1; 30], "y").unwrap();
    assert!(wide.width() > im.width());
}

#[test]
fn bar_chart_bad_inputs_are_errors() {
    let one = names(&["a"]);
    assert!(matches!(
        render_bar_chart("t", &[], &[], &[], "y"),
        Err(VizError::Empty { .. })
    ));
    assert!(matches!(
        render_bar_chart("t", &one, &[1.0, 2.0], &[0.0], "y"),
        Err(VizError::LengthMismatch { .. })
    ));
    assert!(matches!(
        render_bar_chart("t", &one, &[1.0], &[], "y"),
        Err(VizError::LengthMismatch { .. })
    ));
    for (m, s) in [(f64::INFINITY, 0.0), (1.0, -0.1), (1.0, f64::INFINITY)] {
        assert!(matches!(
            render_bar_chart("t", &one, &[m], &[s], "y"),
            Err(VizError::InvalidValue { .. })
        ));
    }
    // NaN means are drawn as missing bars, also when every bar is missing.
    render_bar_chart("t", &names(&["a", "b"]), &[f64::NAN, 0.5], &[0.1, 0.1], "y").unwrap();
    render_bar_chart("t", &one, &[f64::NAN], &[f64::NAN], "y").unwrap();
    // Negative and all-equal values.
    render_bar_chart("t", &names(&["a", "b"]), &[-3.0, 2.0], &[1.0, 0.5], "y").unwrap();
    render_bar_chart("t", &names(&["a", "b"]), &[0.0, 0.0], &[0.0, 0.0], "y").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nope").join("bars.png");
    let e = bar_chart_png(&p, "t", &one, &[1.0], &[0.0], "y").unwrap_err();
    assert!(e.to_string().contains("bars.png"), "{e}");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn line_plot_decodes_with_the_rendered_size() {
    let ticks = names(&["clean", "5 dB", "0 dB", "-5 dB", "-10 dB"]);
    let series: Vec<(String, Vec<f64>)> = (0..8)
        .map(|k| {
            let ys = (0..5)
                .map(|i| 0.95 - 0.1 * i as f64 - 0.01 * k as f64)
                .collect();
            (format!("run {k}"), ys)
        })
        .collect();
    let im = render_line_plot("robustness", "noise SNR", "accuracy", &ticks, &series).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("lines.png");
    line_plot_png(&p, "robustness", "noise SNR", "accuracy", &ticks, &series).unwrap();
    assert_eq!(decode_size(&p), (im.width() as u32, im.height() as u32));
    assert!(im.width() >= 420 && im.height() >= 300);
}

#[test]
fn line_plot_bad_inputs_are_errors() {
    let ticks = names(&["a", "b"]);
    let ok = vec![("s".to_string(), vec![1.0, 2.0])];
    assert!(matches!(
        render_line_plot("t", "x", "y", &[], &ok),
        Err(VizError::Empty { .. })
    ));
    assert!(matches!(
        render_line_plot("t", "x", "y", &ticks, &[]),
        Err(VizError::Empty { .. })
    ));
    let short = vec![("s".to_string(), vec![1.0])];
    assert!(matches!(
        render_line_plot("t", "x", "y", &ticks, &short),
        Err(VizError::LengthMismatch { .. })
    ));
    let inf = vec![("s".to_string(), vec![1.0, f64::NEG_INFINITY])];
    assert!(matches!(
        render_line_plot("t", "x", "y", &ticks, &inf),
        Err(VizError::InvalidValue { .. })
    ));
    // NaN is a gap; all-NaN and single-point plots still render.
    let gaps = vec![("s".to_string(), vec![f64::NAN, 2.0])];
    render_line_plot("t", "x", "y", &ticks, &gaps).unwrap();
    let all_nan = vec![("s".to_string(), vec![f64::NAN, f64::NAN])];
    render_line_plot("t", "x", "y", &ticks, &all_nan).unwrap();
    render_line_plot("t", "x", "y", &names(&["only"]), &[("s".into(), vec![0.5])]).unwrap();
}
