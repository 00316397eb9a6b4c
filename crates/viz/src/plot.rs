//! Charts for the experiment reports: bars with error bars (`compare`) and lines with markers
//! (`robustness`).

use std::path::Path;

use crate::VizError;
use crate::image::{Rgb, RgbImage, text_width};

const BG: Rgb = [255, 255, 255];
const INK: Rgb = [20, 20, 20];
const GRID: Rgb = [225, 225, 225];
const DIM: Rgb = [110, 110, 110];
const MARGIN: i32 = 14;
const PLOT_H: i32 = 300;
/// Longest category or tick label line, in characters, before wrapping or shortening.
const MAX_LABEL_CHARS: usize = 14;
/// Most lines a category label is wrapped onto.
const MAX_LABEL_LINES: usize = 3;
/// Longest legend entry, in characters.
const MAX_LEGEND_CHARS: usize = 32;

/// matplotlib's `tab10` palette: series and bars take colours in this order.
const PALETTE: [Rgb; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// Marker shapes, cycled through by series.
#[derive(Clone, Copy, Debug)]
enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Cross,
}

const MARKERS: [Marker; 6] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::Cross,
];

fn draw_marker(im: &mut RgbImage, m: Marker, x: i32, y: i32, r: i32, c: Rgb) {
    match m {
        Marker::Circle => im.fill_circle(x, y, r, c),
        Marker::Square => im.fill_rect(x - r, y - r, 2 * r + 1, 2 * r + 1, c),
        Marker::TriangleUp => {
            im.fill_triangle([(x, y - r - 1), (x - r - 1, y + r), (x + r + 1, y + r)], c)
        }
        Marker::TriangleDown => {
            im.fill_triangle([(x, y + r + 1), (x - r - 1, y - r), (x + r + 1, y - r)], c)
        }
        Marker::Diamond => {
            let r = r + 1;
            im.fill_triangle([(x, y - r), (x - r, y), (x + r, y)], c);
            im.fill_triangle([(x, y + r), (x - r, y), (x + r, y)], c);
        }
        Marker::Cross => {
            im.draw_line(x - r, y - r, x + r, y + r, 3, c);
            im.draw_line(x - r, y + r, x + r, y - r, 3, c);
        }
    }
}

/// A value axis: `lo..hi` split into ticks `step` apart.
#[derive(Clone, Debug, PartialEq)]
struct Axis {
    lo: f64,
    hi: f64,
    step: f64,
    decimals: usize,
}

impl Axis {
    /// Nice ticks (1, 2 or 5 × 10^k apart, about `target` of them) covering `[lo, hi]`.
    fn nice(lo: f64, hi: f64, target: usize) -> Axis {
        let (mut lo, mut hi) = (lo, hi);
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            lo -= pad;
            hi += pad;
        }
        let raw = (hi - lo) / target.max(1) as f64;
        let mag = 10f64.powf(raw.log10().floor());
        let norm = raw / mag;
        let step = mag
            * if norm <= 1.0 {
                1.0
            } else if norm <= 2.0 {
                2.0
            } else if norm <= 5.0 {
                5.0
            } else {
                10.0
            };
        let lo_t = (lo / step + 1e-9).floor() * step;
        let hi_t = (hi / step - 1e-9).ceil() * step;
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10() - 1e-9).ceil() as usize
        };
        Axis {
            lo: lo_t,
            hi: hi_t,
            step,
            decimals,
        }
    }

    fn ticks(&self) -> Vec<f64> {
        let n = ((self.hi - self.lo) / self.step).round() as i64;
        (0..=n).map(|k| self.lo + k as f64 * self.step).collect()
    }

    fn label(&self, v: f64) -> String {
        format!("{:.*}", self.decimals, v + 0.0)
    }

    /// Pixel row of `v` in a plot area from `top` with height `h`.
    fn y(&self, v: f64, top: i32, h: i32) -> i32 {
        let t = (v - self.lo) / (self.hi - self.lo);
        top + h - (t * h as f64).round() as i32
    }
}

fn check_finite_or_nan(what: &str, index: usize, v: f64) -> Result<(), VizError> {
    if v.is_infinite() {
        return Err(VizError::InvalidValue {
            what: format!("{what}[{index}]"),
            value: v,
            reason: "must be finite (NaN marks a missing value)",
        });
    }
    Ok(())
}

/// Shortens `s` to `max` characters, ending in `~` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('~');
        out
    }
}

/// Splits `s` into lines of at most `width` characters, breaking after `' '`, `_`, `-`, `+`,
/// `/` or `,` where possible, at most `MAX_LABEL_LINES` lines (the last shortened with `~`).
fn wrap_label(s: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut lines = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        if lines.len() + 1 == MAX_LABEL_LINES || chars.len() - start <= width {
            let rest: String = chars[start..].iter().collect();
            lines.push(shorten(rest.trim(), width));
            break;
        }
        let window = &chars[start..start + width];
        let cut = window
            .iter()
            .rposition(|c| matches!(c, ' ' | '_' | '-' | '+' | '/' | ','))
            .map(|p| p + 1)
            .filter(|&p| p > width / 3)
            .unwrap_or(width);
        let line: String = chars[start..start + cut].iter().collect();
        lines.push(line.trim().to_string());
        start += cut;
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Draws the title, the y axis with ticks and grid lines, and the y label. `left`, `top`,
/// `w`, `h` is the plot area.
fn draw_frame(
    im: &mut RgbImage,
    title: &str,
    y_label: &str,
    axis: &Axis,
    (left, top, w, h): (i32, i32, i32, i32),
) {
    im.draw_text_centered(im.width() as i32 / 2, MARGIN, title, 2, INK);
    for v in axis.ticks() {
        let y = axis.y(v, top, h);
        im.fill_rect(left, y, w, 1, GRID);
        im.fill_rect(left - 5, y, 5, 1, INK);
        let s = axis.label(v);
        im.draw_text(left - 8 - text_width(&s, 1), y - 4, &s, 1, INK);
    }
    im.fill_rect(left, top, 1, h + 1, INK);
    im.fill_rect(left, top + h, w, 1, INK);
    let label = shorten(y_label, (h / 8).max(1) as usize);
    let lw = text_width(&label, 1);
    im.draw_text_vertical(MARGIN, top + h / 2 + lw / 2, &label, 1, INK);
}

fn tick_label_width(axis: &Axis) -> i32 {
    axis.ticks()
        .iter()
        .map(|&v| text_width(&axis.label(v), 1))
        .max()
        .unwrap_or(0)
}

/// Draws a bar chart of `means` with `±stds` error bars, one bar per category, with the
/// mean written above each bar, and returns the image.
///
/// The y axis starts at 0 (or below, for negative values) and has numbered ticks. Long
/// category names are wrapped onto up to three lines of 14 characters and then shortened
/// with `~`. A NaN mean is a missing bar, marked `n/a`; a NaN std draws no error bar (one
/// run).
///
/// # Errors
/// [`VizError::Empty`] for no categories, [`VizError::LengthMismatch`] if `means` or `stds`
/// differ in length from `categories`, [`VizError::InvalidValue`] for an infinite mean, or a
/// negative or infinite std.
pub fn render_bar_chart(
    title: &str,
    categories: &[String],
    means: &[f64],
    stds: &[f64],
    y_label: &str,
) -> Result<RgbImage, VizError> {
    let n = categories.len();
    if n == 0 {
        return Err(VizError::Empty { what: "categories" });
    }
    for (what, len) in [("means", means.len()), ("stds", stds.len())] {
        if len != n {
            return Err(VizError::LengthMismatch {
                what: what.into(),
                expected: n,
                actual: len,
            });
        }
    }
    for (i, (&m, &s)) in means.iter().zip(stds).enumerate() {
        check_finite_or_nan("means", i, m)?;
        if s.is_infinite() || s < 0.0 {
            return Err(VizError::InvalidValue {
                what: format!("stds[{i}]"),
                value: s,
                reason: "must be finite and non-negative (NaN = no error bar)",
            });
        }
    }
    let (mut vmin, mut vmax) = (0.0f64, 0.0f64);
    let mut any = false;
    for (&m, &s) in means.iter().zip(stds) {
        if m.is_nan() {
            continue;
        }
        any = true;
        let s = if s.is_nan() { 0.0 } else { s };
        vmin = vmin.min(m - s);
        vmax = vmax.max(m + s);
    }
    if !any || vmin == vmax {
        vmax = vmin + 1.0;
    }
    let axis = Axis::nice(vmin, vmax, 6);
    let value_decimals = (axis.decimals + 2).min(4);

    let longest = categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(1);
    let slot_chars = longest.clamp(6, MAX_LABEL_CHARS);
    let labels: Vec<Vec<String>> = categories
        .iter()
        .map(|c| wrap_label(c, slot_chars))
        .collect();
    let label_lines = labels.iter().map(Vec::len).max().unwrap_or(1) as i32;
    let slot_w = slot_chars as i32 * 8 + 14;
    let bar_w = (slot_w * 3 / 5).max(8);

    let left = MARGIN + 8 + 10 + tick_label_width(&axis) + 8;
    let top = MARGIN + 16 + 18;
    let plot_w = (n as i32 * slot_w).max(360);
    let bottom = 8 + label_lines * 10 + MARGIN;
    let width = (left + plot_w + 2 * MARGIN).max(text_width(title, 2) + 2 * MARGIN);
    let height = top + PLOT_H + bottom;
    let mut im = RgbImage::new(width as usize, height as usize, BG)?;
    draw_frame(&mut im, title, y_label, &axis, (left, top, plot_w, PLOT_H));

    let slot = plot_w as f64 / n as f64;
    let y0 = axis.y(0.0, top, PLOT_H);
    for i in 0..n {
        let cx = left + ((i as f64 + 0.5) * slot).round() as i32;
        let color = PALETTE[i % PALETTE.len()];
        let (m, s) = (means[i], stds[i]);
        if m.is_nan() {
            im.draw_text_centered(cx, y0 - 12, "n/a", 1, DIM);
        } else {
            let ym = axis.y(m, top, PLOT_H);
            let (y_a, y_b) = (ym.min(y0), ym.max(y0));
            im.fill_rect(cx - bar_w / 2, y_a, bar_w, (y_b - y_a).max(1), color);
            let mut text_y = y_a - 12;
            if !s.is_nan() && s > 0.0 {
                let (yt, yb) = (axis.y(m + s, top, PLOT_H), axis.y(m - s, top, PLOT_H));
                let cap = (bar_w / 3).max(4);
                im.draw_line(cx, yt, cx, yb, 2, INK);
                im.fill_rect(cx - cap / 2, yt - 1, cap, 2, INK);
                im.fill_rect(cx - cap / 2, yb - 1, cap, 2, INK);
                text_y = text_y.min(yt - 12);
            }
            let v = format!("{:.*}", value_decimals, m + 0.0);
            if text_width(&v, 1) <= slot_w - 2 {
                im.draw_text_centered(cx, text_y.max(top - 12), &v, 1, INK);
            }
        }
        im.fill_rect(cx, top + PLOT_H, 1, 5, INK);
        for (k, line) in labels[i].iter().enumerate() {
            im.draw_text_centered(cx, top + PLOT_H + 8 + k as i32 * 10, line, 1, INK);
        }
    }
    Ok(im)
}

/// Renders [`render_bar_chart`] and writes it to `path` as a PNG, atomically.
///
/// # Errors
/// Those of [`render_bar_chart`], and [`VizError::Write`] naming `path`.
pub fn bar_chart_png(
    path: &Path,
    title: &str,
    categories: &[String],
    means: &[f64],
    stds: &[f64],
    y_label: &str,
) -> Result<(), VizError> {
    render_bar_chart(title, categories, means, stds, y_label)?.save_png(path)
}

/// The legend of a chart with one entry per series: its labels (shortened), width and height.
struct Legend {
    labels: Vec<String>,
    w: i32,
    h: i32,
}

impl Legend {
    fn new<T>(series: &[(String, T)]) -> Legend {
        let labels: Vec<String> = series
            .iter()
            .map(|(s, _)| shorten(s, MAX_LEGEND_CHARS))
            .collect();
        let w = labels.iter().map(|s| text_width(s, 1)).max().unwrap_or(0) + 44;
        Legend {
            h: labels.len() as i32 * 16 + 10,
            labels,
            w,
        }
    }

    /// Draws the legend box at `(x, top)`: per series its line, marker (radius `r`) and label.
    fn draw(&self, im: &mut RgbImage, x: i32, top: i32, r: i32) {
        im.stroke_rect(x, top, self.w, self.h, 1, GRID);
        for (k, name) in self.labels.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let y = top + 12 + k as i32 * 16;
            im.draw_line(x + 6, y, x + 30, y, 2, color);
            draw_marker(im, MARKERS[k % MARKERS.len()], x + 18, y, r, color);
            im.draw_text(x + 38, y - 4, name, 1, INK);
        }
    }
}

/// Draws one line per series over the categorical `x_ticks` (e.g. accuracy against noise
/// severity), each with its own colour and marker, with a legend on the right, and returns
/// the image.
///
/// The y axis spans the data (not forced to include 0) with numbered ticks. A NaN value is
/// missing: no marker, and the line breaks there. Long tick and legend labels are
/// shortened with `~`.
///
/// # Errors
/// [`VizError::Empty`] for no ticks or no series, [`VizError::LengthMismatch`] if a series
/// has not one value per tick, [`VizError::InvalidValue`] for an infinite value.
pub fn render_line_plot(
    title: &str,
    x_label: &str,
    y_label: &str,
    x_ticks: &[String],
    series: &[(String, Vec<f64>)],
) -> Result<RgbImage, VizError> {
    let n = x_ticks.len();
    if n == 0 {
        return Err(VizError::Empty { what: "x_ticks" });
    }
    if series.is_empty() {
        return Err(VizError::Empty { what: "series" });
    }
    for (name, ys) in series {
        if ys.len() != n {
            return Err(VizError::LengthMismatch {
                what: format!("series {name:?}"),
                expected: n,
                actual: ys.len(),
            });
        }
        for (i, &v) in ys.iter().enumerate() {
            check_finite_or_nan(name, i, v)?;
        }
    }
    let finite = series
        .iter()
        .flat_map(|(_, ys)| ys.iter().copied())
        .filter(|v| !v.is_nan());
    let (vmin, vmax) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (vmin, vmax) = if vmin > vmax {
        (0.0, 1.0)
    } else {
        let pad = (vmax - vmin) * 0.05;
        (vmin - pad, vmax + pad)
    };
    let axis = Axis::nice(vmin, vmax, 8);

    let slot_chars = x_ticks
        .iter()
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(1)
        .clamp(4, MAX_LABEL_CHARS);
    let ticks: Vec<String> = x_ticks.iter().map(|t| shorten(t, slot_chars)).collect();
    let slot_w = slot_chars as i32 * 8 + 14;
    let legend = Legend::new(series);

    let left = MARGIN + 8 + 10 + tick_label_width(&axis) + 8;
    let top = MARGIN + 16 + 18;
    let plot_w = (n as i32 * slot_w).max(420);
    let plot_h = PLOT_H.max(legend.h);
    let width = (left + plot_w + 16 + legend.w + MARGIN).max(text_width(title, 2) + 2 * MARGIN);
    let height = top + plot_h + 8 + 10 + 8 + 8 + MARGIN;
    let mut im = RgbImage::new(width as usize, height as usize, BG)?;
    draw_frame(&mut im, title, y_label, &axis, (left, top, plot_w, plot_h));

    let pad = slot_w / 2;
    let xs: Vec<i32> = (0..n)
        .map(|i| {
            if n == 1 {
                left + plot_w / 2
            } else {
                left + pad + ((plot_w - 2 * pad) as f64 * i as f64 / (n - 1) as f64).round() as i32
            }
        })
        .collect();
    for (i, t) in ticks.iter().enumerate() {
        im.fill_rect(xs[i], top + plot_h, 1, 5, INK);
        im.draw_text_centered(xs[i], top + plot_h + 8, t, 1, INK);
    }
    im.draw_text_centered(
        left + plot_w / 2,
        top + plot_h + 26,
        &shorten(x_label, (plot_w / 8) as usize),
        1,
        INK,
    );

    for (k, (_, ys)) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let pts: Vec<Option<(i32, i32)>> = ys
            .iter()
            .zip(&xs)
            .map(|(&v, &x)| (!v.is_nan()).then(|| (x, axis.y(v, top, plot_h))))
            .collect();
        for w in pts.windows(2) {
            if let [Some(a), Some(b)] = w {
                im.draw_line(a.0, a.1, b.0, b.1, 2, color);
            }
        }
        for &(x, y) in pts.iter().flatten() {
            draw_marker(&mut im, MARKERS[k % MARKERS.len()], x, y, 4, color);
        }
    }

    // Legend, right of the plot area.
    legend.draw(&mut im, left + plot_w + 16, top, 4);
    Ok(im)
}

/// Renders [`render_line_plot`] and writes it to `path` as a PNG, atomically.
///
/// # Errors
/// Those of [`render_line_plot`], and [`VizError::Write`] naming `path`.
pub fn line_plot_png(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    x_ticks: &[String],
    series: &[(String, Vec<f64>)],
) -> Result<(), VizError> {
    render_line_plot(title, x_label, y_label, x_ticks, series)?.save_png(path)
}

/// Draws a DET curve: false-reject rate (%, linear) against false accepts per hour (log
/// scale), one line per series, with dashed vertical guides at `budgets` (e.g. 0.5 and 1
/// FA/h), and returns the image.
///
/// A point with 0 false accepts is drawn at the left edge, `floor` (pass one false accept
/// over the stream's length: the smallest rate the stream can measure); the axis label says
/// so. NaN coordinates are skipped.
///
/// # Errors
/// [`VizError::Empty`] for no series or no finite point, [`VizError::InvalidValue`] for a
/// negative, infinite or zero `floor`, or an infinite or negative coordinate.
pub fn render_det_plot(
    title: &str,
    series: &[(String, Vec<(f64, f64)>)],
    budgets: &[f64],
    floor: f64,
) -> Result<RgbImage, VizError> {
    if series.is_empty() {
        return Err(VizError::Empty { what: "series" });
    }
    if !(floor.is_finite() && floor > 0.0) {
        return Err(VizError::InvalidValue {
            what: "floor".into(),
            value: floor,
            reason: "must be finite and > 0",
        });
    }
    for (name, pts) in series {
        for (i, &(x, y)) in pts.iter().enumerate() {
            for v in [x, y] {
                if v.is_infinite() || v < 0.0 {
                    return Err(VizError::InvalidValue {
                        what: format!("series {name:?}[{i}]"),
                        value: v,
                        reason: "must be finite and ≥ 0 (NaN skips the point)",
                    });
                }
            }
        }
    }
    let finite = || {
        series
            .iter()
            .flat_map(|(_, p)| p.iter().copied())
            .filter(|(x, y)| !x.is_nan() && !y.is_nan())
    };
    if finite().next().is_none() {
        return Err(VizError::Empty {
            what: "finite points",
        });
    }
    let lo_dec = floor.log10().floor() as i32;
    let max_x = finite().map(|p| p.0).fold(floor, f64::max);
    let hi_dec = (max_x.log10().ceil() as i32).max(lo_dec + 1);
    let y_axis = Axis {
        lo: 0.0,
        hi: 100.0,
        step: 10.0,
        decimals: 0,
    };
    let legend = Legend::new(series);
    let left = MARGIN + 8 + 10 + tick_label_width(&y_axis) + 8;
    let top = MARGIN + 16 + 18;
    let decades = hi_dec - lo_dec;
    let plot_w = (decades * 90).max(420);
    let plot_h = PLOT_H;
    let width = (left + plot_w + 16 + legend.w + MARGIN).max(text_width(title, 2) + 2 * MARGIN);
    let height = top + plot_h + 8 + 10 + 8 + 8 + MARGIN;
    let mut im = RgbImage::new(width as usize, height as usize, BG)?;
    draw_frame(
        &mut im,
        title,
        "false rejects (%)",
        &y_axis,
        (left, top, plot_w, plot_h),
    );
    let x_of = |v: f64| {
        let l = v.max(floor).log10();
        left + ((l - lo_dec as f64) / decades as f64 * plot_w as f64).round() as i32
    };
    for d in lo_dec..=hi_dec {
        let v = 10f64.powi(d);
        let x = x_of(v);
        im.fill_rect(x, top, 1, plot_h, GRID);
        im.fill_rect(x, top + plot_h, 1, 5, INK);
        let label = if d >= 0 {
            format!("{v:.0}")
        } else {
            format!("{:.*}", (-d) as usize, v)
        };
        im.draw_text_centered(x, top + plot_h + 8, &label, 1, INK);
    }
    for &b in budgets {
        if b > 0.0 && b.is_finite() {
            let x = x_of(b);
            let mut y = top;
            while y < top + plot_h {
                im.fill_rect(x, y, 1, 4, DIM);
                y += 8;
            }
        }
    }
    let x_label = format!("false accepts per hour (log; 0 drawn at {floor:.3})");
    im.draw_text_centered(
        left + plot_w / 2,
        top + plot_h + 26,
        &shorten(&x_label, (plot_w / 8) as usize),
        1,
        INK,
    );
    for (k, (_, pts)) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let mut pts: Vec<(i32, i32)> = pts
            .iter()
            .filter(|(x, y)| !x.is_nan() && !y.is_nan())
            .map(|&(x, y)| (x_of(x), y_axis.y(y.min(100.0), top, plot_h)))
            .collect();
        pts.sort();
        for w in pts.windows(2) {
            im.draw_line(w[0].0, w[0].1, w[1].0, w[1].1, 2, color);
        }
        for &(x, y) in &pts {
            draw_marker(&mut im, MARKERS[k % MARKERS.len()], x, y, 3, color);
        }
    }
    legend.draw(&mut im, left + plot_w + 16, top, 3);
    Ok(im)
}

/// Renders [`render_det_plot`] and writes it to `path` as a PNG, atomically.
///
/// # Errors
/// Those of [`render_det_plot`], and [`VizError::Write`] naming `path`.
pub fn det_plot_png(
    path: &Path,
    title: &str,
    series: &[(String, Vec<(f64, f64)>)],
    budgets: &[f64],
    floor: f64,
) -> Result<(), VizError> {
    render_det_plot(title, series, budgets, floor)?.save_png(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_axis() {
        let a = Axis::nice(0.0, 0.93, 6);
        assert_eq!((a.lo, a.step, a.decimals), (0.0, 0.2, 1));
        assert!((a.hi - 1.0).abs() < 1e-12);
        assert_eq!(a.label(0.6000000001), "0.6");
        let b = Axis::nice(72.0, 96.5, 6);
        assert_eq!((b.lo, b.hi, b.step, b.decimals), (70.0, 100.0, 5.0, 0));
        let c = Axis::nice(0.5, 0.5, 6);
        assert!(c.lo < 0.5 && c.hi > 0.5);
        assert_eq!(Axis::nice(-0.05, 0.0, 5).label(-0.0), "0.00");
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap_label("mixup", 14), vec!["mixup"]);
        assert_eq!(
            wrap_label("randommix_per_sample", 14),
            vec!["randommix_per_", "sample"]
        );
        let w = wrap_label(&"x".repeat(100), 10);
        assert_eq!(w.len(), MAX_LABEL_LINES);
        assert!(w[2].ends_with('~') && w[2].chars().count() == 10);
    }

    #[test]
    fn det_plot_draws_and_rejects_bad_input() {
        let pts = vec![(0.0, 40.0), (0.5, 20.0), (3.0, 10.0), (120.0, 1.0)];
        let im =
            render_det_plot("DET", &[("a".into(), pts.clone())], &[0.5, 1.0], 0.1).expect("plot");
        assert!(im.width() >= 420 && im.height() > PLOT_H as usize);
        // The series colour appears (the curve is drawn).
        let blue = PALETTE[0];
        let any = (0..im.width())
            .flat_map(|x| (0..im.height()).map(move |y| (x, y)))
            .any(|(x, y)| im.pixel(x, y) == Some(blue));
        assert!(any);
        assert!(render_det_plot("DET", &[], &[], 0.1).is_err());
        assert!(render_det_plot("DET", &[("a".into(), pts.clone())], &[], 0.0).is_err());
        let bad = vec![(f64::INFINITY, 1.0)];
        assert!(render_det_plot("DET", &[("a".into(), bad)], &[], 0.1).is_err());
        let nan = vec![(f64::NAN, 1.0)];
        assert!(render_det_plot("DET", &[("a".into(), nan)], &[], 0.1).is_err());
    }
}
