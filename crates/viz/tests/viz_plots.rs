//! Report charts: bars, lines and DET curves land where their values say, in their colours,
//! on a white background; PNGs decode with the rendered size; bad inputs are errors.

use std::fs;
use std::path::Path;

use randommix_viz::{
    Rgb, RgbImage, VizError, bar_chart_png, line_plot_png, render_bar_chart, render_det_plot,
    render_line_plot,
};

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

/// matplotlib's tab10: the first two bar and series colours.
const BLUE: Rgb = [0x1f, 0x77, 0xb4];
const ORANGE: Rgb = [0xff, 0x7f, 0x0e];
const WHITE: Rgb = [255, 255, 255];

/// The pixels of colour `c`, as (x, y).
fn pixels_of(im: &RgbImage, c: Rgb) -> Vec<(usize, usize)> {
    (0..im.height())
        .flat_map(|y| (0..im.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| im.pixel(x, y) == Some(c))
        .collect()
}

/// Bounding box `(x0, y0, x1, y1)` of the pixels of colour `c`.
fn bbox(im: &RgbImage, c: Rgb) -> (usize, usize, usize, usize) {
    let px = pixels_of(im, c);
    assert!(!px.is_empty(), "no pixel of {c:?}");
    let x0 = px.iter().map(|p| p.0).min().unwrap();
    let x1 = px.iter().map(|p| p.0).max().unwrap();
    let y0 = px.iter().map(|p| p.1).min().unwrap();
    let y1 = px.iter().map(|p| p.1).max().unwrap();
    (x0, y0, x1, y1)
}

#[test]
fn bars_stand_on_one_baseline_with_heights_in_proportion_on_white() {
    let im = render_bar_chart(
        "t",
        &names(&["full", "half"]),
        &[100.0, 50.0],
        &[f64::NAN, f64::NAN],
        "%",
    )
    .unwrap();
    let (bx0, by0, bx1, by1) = bbox(&im, BLUE);
    let (ox0, oy0, ox1, oy1) = bbox(&im, ORANGE);
    // Bars are solid rectangles, the first left of the second, of equal width.
    assert_eq!(
        pixels_of(&im, BLUE).len(),
        (bx1 - bx0 + 1) * (by1 - by0 + 1)
    );
    assert_eq!(
        pixels_of(&im, ORANGE).len(),
        (ox1 - ox0 + 1) * (oy1 - oy0 + 1)
    );
    assert!(bx1 < ox0);
    assert_eq!(bx1 - bx0, ox1 - ox0);
    // Both start at 0: the same bottom row; 50 is half of 100 (within a pixel).
    assert_eq!(by1, oy1);
    let (full, half) = ((by1 - by0 + 1) as f64, (oy1 - oy0 + 1) as f64);
    assert!((full / half - 2.0).abs() < 0.02, "{full} vs {half}");
    // Above the short bar, under the tall bar's top, the plot is empty: white or grid grey.
    let (cx, y) = ((ox0 + ox1) / 2, (by0 + oy0) / 2);
    let above = im.pixel(cx, y).unwrap();
    assert!(above == WHITE || above == [225, 225, 225], "{above:?}");
    // White corners, no stray colour.
    for (x, y) in [
        (0, 0),
        (im.width() - 1, 0),
        (im.width() - 1, im.height() - 1),
    ] {
        assert_eq!(im.pixel(x, y), Some(WHITE), "({x}, {y})");
    }
}

#[test]
fn an_error_bar_spans_mean_plus_minus_std_over_the_bar() {
    let im = render_bar_chart("t", &names(&["a"]), &[60.0], &[20.0], "%").unwrap();
    let (x0, top, x1, bottom) = bbox(&im, BLUE);
    let cx = (x0 + x1) / 2;
    // The error bar is dark ink on the bar's centre column, from 40 to 80: it leaves the
    // bar above by 20/60 of the bar's height.
    let ink = |y: usize| {
        let p = im.pixel(cx, y).unwrap();
        p[0] < 60 && p[1] < 60 && p[2] < 60
    };
    let h = (bottom - top) as f64;
    let above = (1..top).rev().take_while(|&y| ink(y)).count() as f64;
    assert!(
        (above / h - 1.0 / 3.0).abs() < 0.05,
        "{above} px above a {h} px bar"
    );
    // Beside the bar, at the height of the whisker's top, there is no ink.
    assert_eq!(im.pixel(x1 + 15, top - 5), Some(WHITE));
}

#[test]
fn a_nan_value_breaks_the_line() {
    let ticks = names(&["a", "b", "c"]);
    let full = render_line_plot(
        "t",
        "x",
        "y",
        &ticks,
        &[("s".into(), vec![50.0, 50.0, 50.0])],
    )
    .unwrap();
    let gap = render_line_plot(
        "t",
        "x",
        "y",
        &ticks,
        &[("s".into(), vec![50.0, f64::NAN, 50.0])],
    )
    .unwrap();
    assert_eq!((full.width(), full.height()), (gap.width(), gap.height()));
    // The row the full line runs along: the one with the most blue pixels.
    let blues = |im: &RgbImage, y: usize| -> Vec<usize> {
        (0..im.width())
            .filter(|&x| im.pixel(x, y) == Some(BLUE))
            .collect()
    };
    let row = (0..full.height())
        .max_by_key(|&y| blues(&full, y).len())
        .unwrap();
    let xs = blues(&full, row);
    let (left, right) = (xs[0], *xs.last().unwrap());
    let mid = (left + right) / 2;
    // The full line passes the middle tick; with a gap there is neither line nor marker.
    assert_eq!(full.pixel(mid, row), Some(BLUE));
    assert!((left + 10..right - 10).all(|x| gap.pixel(x, row) != Some(BLUE)));
    // The two remaining markers are still drawn at the ends.
    assert_eq!(gap.pixel(left + 2, row), Some(BLUE));
    assert_eq!(gap.pixel(right - 2, row), Some(BLUE));
}

#[test]
fn higher_values_are_drawn_higher_and_series_take_the_palette_in_order() {
    let ticks = names(&["a", "b"]);
    let series = vec![
        ("high".to_string(), vec![90.0, 90.0]),
        ("low".to_string(), vec![10.0, 10.0]),
    ];
    let im = render_line_plot("t", "x", "y", &ticks, &series).unwrap();
    // Compare the markers at the first tick (left of the legend).
    let (bx0, _, _, _) = bbox(&im, BLUE);
    let col = |c: Rgb| (0..im.height()).find(|&y| im.pixel(bx0 + 3, y) == Some(c));
    let (blue_y, orange_y) = (col(BLUE).unwrap(), col(ORANGE).expect("orange below"));
    assert!(blue_y + 100 < orange_y, "{blue_y} vs {orange_y}");
}

#[test]
fn det_curves_start_at_the_floor_and_budgets_are_dashed() {
    let pts = vec![(0.0, 80.0), (1.0, 40.0), (10.0, 20.0), (100.0, 5.0)];
    let im = render_det_plot("DET", &[("a".into(), pts)], &[0.5], 0.1).unwrap();
    // The axis: the column left of the curve with the longest run of dark ink.
    let dark = |x: usize, y: usize| im.pixel(x, y).is_some_and(|p| p.iter().all(|&v| v < 60));
    let axis_x = (0..im.width() / 2)
        .max_by_key(|&x| (0..im.height()).filter(|&y| dark(x, y)).count())
        .unwrap();
    // The 0-false-accept point sits on the floor, the left edge of the plot.
    let (x0, _, _, _) = bbox(&im, BLUE);
    assert!(
        x0.abs_diff(axis_x) <= 5,
        "curve starts at {x0}, axis at {axis_x}"
    );
    // The budget at 0.5 FA/h: a dashed grey line, some rows drawn, some not.
    let grey = [110, 110, 110];
    let col = (axis_x..im.width())
        .max_by_key(|&x| {
            (0..im.height())
                .filter(|&y| im.pixel(x, y) == Some(grey))
                .count()
        })
        .unwrap();
    let n = (0..im.height())
        .filter(|&y| im.pixel(col, y) == Some(grey))
        .count();
    assert!(n > 60, "{n} dash pixels");
    let span = (0..im.height()).filter(|&y| im.pixel(col, y) == Some(grey));
    let (first, last) = (span.clone().min().unwrap(), span.max().unwrap());
    assert!(
        n < (last - first) * 3 / 4,
        "dashed, not solid: {n} of {}",
        last - first
    );
    // 0.5 FA/h is right of the floor (0.1) and left of 1.
    assert!(col > axis_x + 20);
}
