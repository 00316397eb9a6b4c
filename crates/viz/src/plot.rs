//! Charts for the experiment reports: bars with error bars (`compare`), lines with markers
//! (`robustness`) and DET curves (`detect`). plotters maps values to pixels and draws the
//! axes, bars, lines and markers; the text is set afterwards by [`crate::font`].

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::VizError;
use crate::font::{fit, line_height, text_width};
use crate::image::{Rgb, RgbImage, rgb};

const BG: Rgb = [255, 255, 255];
const INK: Rgb = [20, 20, 20];
const GRID: Rgb = [225, 225, 225];
const DIM: Rgb = [110, 110, 110];
const MARGIN: i32 = 14;
/// Height of the plot area.
const PLOT_H: i32 = 300;
/// Text sizes in pixels: the title, the axis titles, tick labels and legends.
const TITLE_PX: f64 = 20.0;
const LABEL_PX: f64 = 14.0;
const SMALL_PX: f64 = 13.0;
/// Space above the plot area for the title.
const TITLE_AREA: i32 = 40;
/// Longest category label line, in characters, before wrapping.
const MAX_LABEL_CHARS: usize = 18;
/// Most lines a category label is wrapped onto.
const MAX_LABEL_LINES: usize = 3;
/// Widest legend entry, in pixels.
const MAX_LEGEND_PX: i32 = 260;
/// Width left of the plot area for the y tick labels and the y axis title.
const Y_LABEL_AREA: i32 = 72;
/// Height under the plot area for the x tick labels and the x axis title.
const X_LABEL_AREA: i32 = 52;

/// Colour of bar or series `k`: d3's `category10`, which is matplotlib's `tab10`.
fn color(k: usize) -> Rgb {
    let c = colorous::CATEGORY10[k % colorous::CATEGORY10.len()];
    [c.r, c.g, c.b]
}

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

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
type DrawResult = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn drawn(what: &'static str) -> impl Fn(String) -> VizError {
    move |problem| VizError::Draw { what, problem }
}

/// Draws marker `m` of radius `r` centred on the pixel `(x, y)`.
fn draw_marker(area: &Area, m: Marker, (x, y): (i32, i32), r: i32, c: Rgb) -> DrawResult {
    let fill = rgb(c).filled();
    match m {
        Marker::Circle => area.draw(&Circle::new((x, y), r, fill)),
        Marker::Square => area.draw(&Rectangle::new([(x - r, y - r), (x + r, y + r)], fill)),
        Marker::TriangleUp => area.draw(&Polygon::new(
            vec![(x, y - r - 1), (x - r - 1, y + r), (x + r + 1, y + r)],
            fill,
        )),
        Marker::TriangleDown => area.draw(&Polygon::new(
            vec![(x, y + r + 1), (x - r - 1, y - r), (x + r + 1, y - r)],
            fill,
        )),
        Marker::Diamond => {
            let r = r + 1;
            area.draw(&Polygon::new(
                vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)],
                fill,
            ))
        }
        Marker::Cross => {
            let pen = rgb(c).stroke_width(2);
            area.draw(&PathElement::new(vec![(x - r, y - r), (x + r, y + r)], pen))
                .map_err(err)?;
            area.draw(&PathElement::new(vec![(x - r, y + r), (x + r, y - r)], pen))
        }
    }
    .map_err(err)
}

/// Text to set once plotters is done with the image.
struct Label {
    at: (i32, i32),
    text: String,
    px: f64,
    color: Rgb,
    /// Which point of the text's box lies at `at`, as fractions of its width and height
    /// (`(0.5, 0.0)`: centre of the top edge). For vertical text the width runs upwards.
    align: (f32, f32),
    vertical: bool,
}

const TOP_CENTER: (f32, f32) = (0.5, 0.0);
const BOTTOM_CENTER: (f32, f32) = (0.5, 1.0);
const LEFT_MIDDLE: (f32, f32) = (0.0, 0.5);
const RIGHT_MIDDLE: (f32, f32) = (1.0, 0.5);

fn label(labels: &mut Vec<Label>, text: &str, at: (i32, i32), px: f64, align: (f32, f32)) {
    labels.push(Label {
        at,
        text: text.to_string(),
        px,
        color: INK,
        align,
        vertical: false,
    });
}

/// Sets `labels` on `im`.
fn set_labels(im: &mut RgbImage, labels: &[Label]) {
    for l in labels {
        let w = text_width(&l.text, l.px) as f32;
        let h = line_height(l.px) as f32;
        let (dx, dy) = (
            (l.align.0 * w).round() as i32,
            (l.align.1 * h).round() as i32,
        );
        let at = if l.vertical {
            (l.at.0 - dy, l.at.1 + dx)
        } else {
            (l.at.0 - dx, l.at.1 - dy)
        };
        crate::font::draw(im, at, &l.text, l.px, l.color, l.vertical);
    }
}

/// The plot area of `chart` in pixels: left, top, right, bottom (inclusive).
fn plot_rect<X, Y>(chart: &ChartContext<'_, BitMapBackend<'_>, Cartesian2d<X, Y>>) -> [i32; 4]
where
    X: Ranged,
    Y: Ranged,
{
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    [xs.start, ys.start, xs.end - 1, ys.end - 1]
}

/// Titles of a chart.
struct Titles<'a> {
    title: &'a str,
    x: &'a str,
    y: &'a str,
}

/// The frame around the plot area `[l, t, r, b]`: y grid lines, ticks and their labels at
/// `y_ticks` (pixel row, text), the axis lines, the title above and the axis titles.
fn frame(
    root: &Area,
    labels: &mut Vec<Label>,
    [l, t, r, b]: [i32; 4],
    y_ticks: &[(i32, String)],
    titles: &Titles,
) -> DrawResult {
    for (y, s) in y_ticks {
        if *y > t && *y < b {
            root.draw(&PathElement::new(vec![(l + 1, *y), (r, *y)], rgb(GRID)))
                .map_err(err)?;
        }
        root.draw(&PathElement::new(vec![(l - 5, *y), (l, *y)], rgb(INK)))
            .map_err(err)?;
        label(labels, s, (l - 8, *y), SMALL_PX, RIGHT_MIDDLE);
    }
    root.draw(&PathElement::new(vec![(l, t), (l, b), (r, b)], rgb(INK)))
        .map_err(err)?;
    let (width, _) = root.dim_in_pixel();
    label(
        labels,
        titles.title,
        (width as i32 / 2, MARGIN),
        TITLE_PX,
        TOP_CENTER,
    );
    let x_title = fit(titles.x, LABEL_PX, r - l);
    label(
        labels,
        &x_title,
        ((l + r) / 2, b + 28),
        LABEL_PX,
        TOP_CENTER,
    );
    labels.push(Label {
        at: (MARGIN, (t + b) / 2),
        text: fit(titles.y, LABEL_PX, b - t),
        px: LABEL_PX,
        color: INK,
        align: (0.5, 0.0),
        vertical: true,
    });
    Ok(())
}

/// A chart builder with room for the title above, the y labels left of and the x labels
/// under the plot area, and `right` pixels right of it (a legend).
fn builder<'a, 'b>(
    root: &'a Area<'b>,
    x_area: i32,
    right: i32,
) -> ChartBuilder<'a, 'b, BitMapBackend<'b>> {
    let mut b = ChartBuilder::on(root);
    b.margin(MARGIN as u32)
        .margin_top((MARGIN + TITLE_AREA) as u32)
        .margin_right((MARGIN + right) as u32)
        .x_label_area_size(x_area as u32)
        .y_label_area_size(Y_LABEL_AREA as u32);
    b
}

/// Width of the chart: the plot area plus the y labels, margins and `right` (a legend), and
/// at least as wide as the title.
fn chart_width(plot_w: i32, right: i32, title: &str) -> i32 {
    (MARGIN + Y_LABEL_AREA + plot_w + right + MARGIN).max(text_width(title, TITLE_PX) + 2 * MARGIN)
}

/// Height of a chart whose plot area is `plot_h` high with `x_area` under it.
fn chart_height(plot_h: i32, x_area: i32) -> i32 {
    MARGIN + TITLE_AREA + plot_h + x_area + MARGIN
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

/// Shortens `s` to `max` characters, ending in `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Splits `s` into lines of at most `width` characters, breaking after `' '`, `_`, `-`, `+`,
/// `/` or `,` where possible, at most `MAX_LABEL_LINES` lines (the last shortened with `…`).
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

/// The legend of a chart with one entry per series: its labels (cut to fit), width and height.
struct Legend {
    labels: Vec<String>,
    w: i32,
    h: i32,
}

impl Legend {
    fn new<T>(series: &[(String, T)]) -> Legend {
        let labels: Vec<String> = series
            .iter()
            .map(|(s, _)| fit(s, SMALL_PX, MAX_LEGEND_PX))
            .collect();
        let w = labels
            .iter()
            .map(|s| text_width(s, SMALL_PX))
            .max()
            .unwrap_or(0)
            + 52;
        Legend {
            h: labels.len() as i32 * 20 + 10,
            labels,
            w,
        }
    }

    /// Draws the legend box at `(x, top)`: per series its line, marker (radius `r`) and label.
    fn draw(&self, root: &Area, labels: &mut Vec<Label>, x: i32, top: i32, r: i32) -> DrawResult {
        let frame = ShapeStyle::from(rgb(GRID)).stroke_width(1);
        root.draw(&Rectangle::new(
            [(x, top), (x + self.w, top + self.h)],
            frame,
        ))
        .map_err(err)?;
        for (k, name) in self.labels.iter().enumerate() {
            let c = color(k);
            let y = top + 15 + k as i32 * 20;
            root.draw(&PathElement::new(
                vec![(x + 8, y), (x + 34, y)],
                rgb(c).stroke_width(2),
            ))
            .map_err(err)?;
            draw_marker(root, MARKERS[k % MARKERS.len()], (x + 21, y), r, c)?;
            label(labels, name, (x + 42, y), SMALL_PX, LEFT_MIDDLE);
        }
        Ok(())
    }
}

/// The y ticks of `axis` as pixel rows (through `y_px`) and labels.
fn y_ticks(axis: &Axis, y_px: impl Fn(f64) -> i32) -> Vec<(i32, String)> {
    axis.ticks()
        .into_iter()
        .map(|v| (y_px(v), axis.label(v)))
        .collect()
}

/// Draws a bar chart of `means` with `±stds` error bars, one bar per category, with the
/// mean written above each bar, and returns the image.
///
/// The y axis starts at 0 (or below, for negative values) and has numbered ticks. Long
/// category names are wrapped onto up to three lines of 18 characters and then shortened
/// with `…`. A NaN mean is a missing bar, marked `n/a`; a NaN std draws no error bar (one
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

    let labels: Vec<Vec<String>> = categories
        .iter()
        .map(|c| wrap_label(c, MAX_LABEL_CHARS))
        .collect();
    let label_lines = labels.iter().map(Vec::len).max().unwrap_or(1) as i32;
    let widest = labels
        .iter()
        .flatten()
        .map(|l| text_width(l, SMALL_PX))
        .max()
        .unwrap_or(0);
    let slot_w = (widest + 16).max(72);
    let bar_w = (slot_w * 3 / 5).clamp(12, 90);
    let plot_w = (n as i32 * slot_w).max(400);
    let x_area = 10 + label_lines * line_height(SMALL_PX);
    let width = chart_width(plot_w, 0, title);
    let height = chart_height(PLOT_H, x_area);
    let mut im = RgbImage::new(width as usize, height as usize, BG)?;
    let mut text = Vec::new();
    draw_bars(
        &im.area(),
        &mut text,
        &Titles {
            title,
            x: "",
            y: y_label,
        },
        &axis,
        (means, stds, &labels),
        (bar_w, value_decimals, x_area),
    )
    .map_err(drawn("bar chart"))?;
    set_labels(&mut im, &text);
    Ok(im)
}

fn draw_bars(
    root: &Area,
    text: &mut Vec<Label>,
    titles: &Titles,
    axis: &Axis,
    (means, stds, labels): (&[f64], &[f64], &[Vec<String>]),
    (bar_w, value_decimals, x_area): (i32, usize, i32),
) -> DrawResult {
    let n = means.len();
    let chart = builder(root, x_area, 0)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, axis.lo..axis.hi)
        .map_err(err)?;
    let rect = plot_rect(&chart);
    let ticks = y_ticks(axis, |v| chart.backend_coord(&(0.0, v)).1);
    frame(root, text, rect, &ticks, titles)?;
    // Half a bar and half an error-bar cap, in x units.
    let unit = (chart.backend_coord(&(1.0, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0).max(1);
    let (hb, hc) = (
        bar_w as f64 / 2.0 / unit as f64,
        (bar_w / 3).max(6) as f64 / 2.0 / unit as f64,
    );
    let line_h = line_height(SMALL_PX);
    for i in 0..n {
        let x = i as f64;
        let (m, s) = (means[i], stds[i]);
        let (cx, y0) = chart.backend_coord(&(x, 0.0f64.clamp(axis.lo, axis.hi)));
        if m.is_nan() {
            label(text, "n/a", (cx, y0 - 4), SMALL_PX, BOTTOM_CENTER);
        } else {
            root.draw(&Rectangle::new(
                [
                    chart.backend_coord(&(x - hb, 0.0)),
                    chart.backend_coord(&(x + hb, m)),
                ],
                rgb(color(i)).filled(),
            ))
            .map_err(err)?;
            let mut top = m.max(0.0);
            if !s.is_nan() && s > 0.0 {
                let pen = rgb(INK).stroke_width(2);
                for path in [
                    [(x, m - s), (x, m + s)],
                    [(x - hc, m + s), (x + hc, m + s)],
                    [(x - hc, m - s), (x + hc, m - s)],
                ] {
                    let px: Vec<(i32, i32)> = path.iter().map(|p| chart.backend_coord(p)).collect();
                    root.draw(&PathElement::new(px, pen)).map_err(err)?;
                }
                top = top.max(m + s);
            }
            let (_, ty) = chart.backend_coord(&(x, top));
            let v = format!("{:.*}", value_decimals, m + 0.0);
            label(text, &v, (cx, ty - 3), SMALL_PX, BOTTOM_CENTER);
        }
        let base = rect[3];
        root.draw(&PathElement::new(
            vec![(cx, base), (cx, base + 5)],
            rgb(INK),
        ))
        .map_err(err)?;
        for (k, line) in labels[i].iter().enumerate() {
            let y = base + 8 + k as i32 * line_h;
            label(text, line, (cx, y), SMALL_PX, TOP_CENTER);
        }
    }
    root.present().map_err(err)
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

/// Draws one line per series over the categorical `x_ticks` (e.g. accuracy against noise
/// severity), each with its own colour and marker, with a legend on the right, and returns
/// the image.
///
/// The y axis spans the data (not forced to include 0) with numbered ticks. A NaN value is
/// missing: no marker, and the line breaks there. Long legend labels are shortened with `…`.
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

    let slot_w = x_ticks
        .iter()
        .map(|t| text_width(t, SMALL_PX))
        .max()
        .unwrap_or(0)
        .clamp(40, 160)
        + 24;
    let legend = Legend::new(series);
    let plot_w = (n as i32 * slot_w).max(440);
    let plot_h = PLOT_H.max(legend.h);
    let right = 16 + legend.w;
    let width = chart_width(plot_w, right, title);
    let height = chart_height(plot_h, X_LABEL_AREA);
    let mut im = RgbImage::new(width as usize, height as usize, BG)?;
    let mut text = Vec::new();
    let titles = Titles {
        title,
        x: x_label,
        y: y_label,
    };
    draw_lines(
        &im.area(),
        &mut text,
        &titles,
        &axis,
        x_ticks,
        series,
        &legend,
    )
    .map_err(drawn("line plot"))?;
    set_labels(&mut im, &text);
    Ok(im)
}

fn draw_lines(
    root: &Area,
    text: &mut Vec<Label>,
    titles: &Titles,
    axis: &Axis,
    x_ticks: &[String],
    series: &[(String, Vec<f64>)],
    legend: &Legend,
) -> DrawResult {
    let n = x_ticks.len();
    let mut chart = builder(root, X_LABEL_AREA, 16 + legend.w)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, axis.lo..axis.hi)
        .map_err(err)?;
    let rect = plot_rect(&chart);
    let ticks = y_ticks(axis, |v| chart.backend_coord(&(0.0, v)).1);
    frame(root, text, rect, &ticks, titles)?;
    for (i, t) in x_ticks.iter().enumerate() {
        let (x, _) = chart.backend_coord(&(i as f64, axis.lo));
        root.draw(&PathElement::new(
            vec![(x, rect[3]), (x, rect[3] + 5)],
            rgb(INK),
        ))
        .map_err(err)?;
        label(
            text,
            &fit(t, SMALL_PX, 160),
            (x, rect[3] + 8),
            SMALL_PX,
            TOP_CENTER,
        );
    }
    for (k, (_, ys)) in series.iter().enumerate() {
        let c = color(k);
        // One line per run of values without a gap.
        let mut run: Vec<(f64, f64)> = Vec::new();
        for (i, &v) in ys.iter().enumerate().chain(std::iter::once((n, &f64::NAN))) {
            if v.is_nan() {
                if run.len() > 1 {
                    chart
                        .draw_series(LineSeries::new(run.drain(..), rgb(c).stroke_width(2)))
                        .map_err(err)?;
                }
                run.clear();
            } else {
                run.push((i as f64, v));
            }
        }
        for (i, &v) in ys.iter().enumerate() {
            if !v.is_nan() {
                let p = chart.backend_coord(&(i as f64, v));
                draw_marker(root, MARKERS[k % MARKERS.len()], p, 4, c)?;
            }
        }
    }
    legend.draw(root, text, rect[2] + 16, rect[1], 4)?;
    root.present().map_err(err)
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
    let decades = hi_dec - lo_dec;
    let plot_w = (decades * 100).max(440);
    let width = chart_width(plot_w, 16 + legend.w, title);
    let height = chart_height(PLOT_H, X_LABEL_AREA);
    let mut im = RgbImage::new(width as usize, height as usize, BG)?;
    let mut text = Vec::new();
    let x_label = format!("false accepts per hour (log; 0 drawn at {floor:.3})");
    let titles = Titles {
        title,
        x: &x_label,
        y: "false rejects (%)",
    };
    draw_det(
        &im.area(),
        &mut text,
        &titles,
        (series, budgets, floor),
        (lo_dec, hi_dec),
        &y_axis,
        &legend,
    )
    .map_err(drawn("DET plot"))?;
    set_labels(&mut im, &text);
    Ok(im)
}

type DetSeries<'a> = (&'a [(String, Vec<(f64, f64)>)], &'a [f64], f64);

fn draw_det(
    root: &Area,
    text: &mut Vec<Label>,
    titles: &Titles,
    (series, budgets, floor): DetSeries,
    (lo_dec, hi_dec): (i32, i32),
    y_axis: &Axis,
    legend: &Legend,
) -> DrawResult {
    let (x_lo, x_hi) = (10f64.powi(lo_dec), 10f64.powi(hi_dec));
    let mut chart = builder(root, X_LABEL_AREA, 16 + legend.w)
        .build_cartesian_2d((x_lo..x_hi).log_scale(), y_axis.lo..y_axis.hi)
        .map_err(err)?;
    let rect = plot_rect(&chart);
    let ticks = y_ticks(y_axis, |v| chart.backend_coord(&(x_lo, v)).1);
    // Decades: a grid line, a tick and a label each.
    for d in lo_dec..=hi_dec {
        let v = 10f64.powi(d);
        let (x, _) = chart.backend_coord(&(v, y_axis.lo));
        if x > rect[0] {
            root.draw(&PathElement::new(
                vec![(x, rect[1]), (x, rect[3] - 1)],
                rgb(GRID),
            ))
            .map_err(err)?;
        }
        root.draw(&PathElement::new(
            vec![(x, rect[3]), (x, rect[3] + 5)],
            rgb(INK),
        ))
        .map_err(err)?;
        let s = if d >= 0 {
            format!("{v:.0}")
        } else {
            format!("{:.*}", (-d) as usize, v)
        };
        label(text, &s, (x, rect[3] + 8), SMALL_PX, TOP_CENTER);
    }
    frame(root, text, rect, &ticks, titles)?;
    for &b in budgets {
        if b.is_finite() && b >= x_lo && b <= x_hi {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(b, y_axis.lo), (b, y_axis.hi)],
                    4,
                    4,
                    rgb(DIM).stroke_width(1),
                ))
                .map_err(err)?;
        }
    }
    for (k, (_, pts)) in series.iter().enumerate() {
        let c = color(k);
        let mut pts: Vec<(f64, f64)> = pts
            .iter()
            .filter(|(x, y)| !x.is_nan() && !y.is_nan())
            .map(|&(x, y)| (x.max(floor), y.min(100.0)))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), rgb(c).stroke_width(2)))
            .map_err(err)?;
        for p in &pts {
            draw_marker(
                root,
                MARKERS[k % MARKERS.len()],
                chart.backend_coord(p),
                3,
                c,
            )?;
        }
    }
    legend.draw(root, text, rect[2] + 16, rect[1], 3)?;
    root.present().map_err(err)
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
        assert!(w[2].ends_with('…') && w[2].chars().count() == 10);
    }

    #[test]
    fn det_plot_draws_and_rejects_bad_input() {
        let pts = vec![(0.0, 40.0), (0.5, 20.0), (3.0, 10.0), (120.0, 1.0)];
        let im =
            render_det_plot("DET", &[("a".into(), pts.clone())], &[0.5, 1.0], 0.1).expect("plot");
        assert!(im.width() >= 420 && im.height() > PLOT_H as usize);
        // The series colour appears (the curve is drawn).
        let blue = color(0);
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
