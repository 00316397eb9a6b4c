//! One picture per mix: the original A, the partner B, the mixed result and the mask.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2};
use randommix_mix::MixMask;
#[cfg(test)]
use randommix_mix::Rect;
use serde::{Deserialize, Serialize};

use crate::VizError;
use crate::colormap::Colormap;
use crate::font::{fit, text_width};
use crate::image::{Rgb, RgbImage};
use crate::spectrogram::{SpecStyle, auto_db_range, render_cells};

const BG: Rgb = [255, 255, 255];
const INK: Rgb = [20, 20, 20];
const DIM: Rgb = [90, 90, 90];
const FRAME: Rgb = [150, 150, 150];
const MARGIN: i32 = 14;
const GAP_X: i32 = 18;
const GAP_Y: i32 = 14;
const TILE_TITLE_H: i32 = 20;
/// Text sizes in pixels: the title, the tile titles, the small print.
const TITLE_PX: f64 = 22.0;
const TILE_PX: f64 = 14.0;
const SMALL_PX: f64 = 13.0;

/// Which cells of the mix came from A (the original) and which from B (the partner).
#[derive(Clone, Debug)]
pub enum PanelMask<'a> {
    /// The footprint the mixing crate recorded ([`MixMask`], the one mask type of mixing and
    /// drawing): [`MixMask::Box`] and [`MixMask::Pasted`] draw their [`Rect`] from B (`top`
    /// is the first row, i.e. the lowest mel band), [`MixMask::Mask`] its cells (`true` = A),
    /// and [`MixMask::Blend`], [`MixMask::None`] or a footprint this crate does not know yet
    /// a uniform grey tile at λ with the value written on it.
    Mix(&'a MixMask),
    /// Per-cell share of A, `1.0` = A, `0.0` = B (values in between drawn as greys, NaN in
    /// the style's NaN colour), for masks of one's own. Same shape as the spectrograms.
    Share(ArrayView2<'a, f32>),
}

static BLEND: MixMask = MixMask::Blend;

impl<'a> PanelMask<'a> {
    /// Every cell is `λ·A + (1 − λ)·B` (Mixup): [`PanelMask::Mix`] of [`MixMask::Blend`].
    pub fn blend() -> Self {
        PanelMask::Mix(&BLEND)
    }
}

/// Tile arrangement of a panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PanelLayout {
    /// A and B on top, mixed and mask below.
    #[default]
    Grid,
    /// A, B, mixed, mask in one row.
    Row,
}

/// Everything needed to draw one mix. Build it with [`MixPanel::new`] and adjust the public
/// fields.
#[derive(Clone, Debug)]
pub struct MixPanel<'a> {
    /// The original sample, `[mels, frames]` in dB.
    pub a: ArrayView2<'a, f32>,
    /// The partner sample, same shape.
    pub b: ArrayView2<'a, f32>,
    /// The mixed result, same shape.
    pub mixed: ArrayView2<'a, f32>,
    /// Which cells came from A.
    pub mask: PanelMask<'a>,
    /// Mixing mode name, written on the panel (e.g. `"cutmix"`).
    pub mode: &'a str,
    /// Share of A in the target, in `[0, 1]`.
    pub lambda: f32,
    /// Label of A (e.g. its class), `""` for none.
    pub a_label: &'a str,
    /// Label of B, `""` for none.
    pub b_label: &'a str,
    /// Spectrogram style. With `db_range: None` the three spectrograms share the automatic
    /// range of their joint maximum; set a fixed range to compare several panels.
    pub style: SpecStyle,
    /// Tile arrangement.
    pub layout: PanelLayout,
}

impl<'a> MixPanel<'a> {
    /// A panel with no labels, the default style and the 2 × 2 layout.
    pub fn new(
        a: ArrayView2<'a, f32>,
        b: ArrayView2<'a, f32>,
        mixed: ArrayView2<'a, f32>,
        mask: PanelMask<'a>,
        mode: &'a str,
        lambda: f32,
    ) -> Self {
        Self {
            a,
            b,
            mixed,
            mask,
            mode,
            lambda,
            a_label: "",
            b_label: "",
            style: SpecStyle::default(),
            layout: PanelLayout::Grid,
        }
    }
}

/// The mask as written in the JSON sidecar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum MaskSummary {
    /// No spatial mask (Mixup).
    None,
    /// A box pasted from B.
    Box {
        /// First row of the box.
        top: usize,
        /// First column of the box.
        left: usize,
        /// Rows in the box.
        height: usize,
        /// Columns in the box.
        width: usize,
    },
    /// A per-cell mask.
    Mask {
        /// Cells whose mask is NaN (not counted in the share).
        nan_cells: usize,
    },
}

/// The JSON sidecar written next to a panel PNG by [`write_panel`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PanelSidecar {
    /// File name of the PNG.
    pub image: String,
    /// Mixing mode.
    pub mode: String,
    /// Share of A in the target.
    pub lambda: f32,
    /// Label of A.
    pub a_label: String,
    /// Label of B (the partner).
    pub b_label: String,
    /// Spectrogram shape `[mels, frames]`.
    pub shape: [usize; 2],
    /// The mask.
    pub mask: MaskSummary,
    /// Share of cells taken from A according to the mask (λ for Mixup); for box and mask
    /// modes this is the λ the pixels realise.
    pub mask_share_a: f64,
    /// dB range `[lo, hi]` common to the three spectrograms.
    pub db_range: [f32; 2],
    /// Colormap of the spectrograms.
    pub colormap: Colormap,
    /// Size of the PNG `[width, height]`.
    pub png_size: [usize; 2],
}

/// Draws `panel` as one image: title with the mode and λ, tiles A, B, mixed, mask (white =
/// from A, black = from B), and a colour bar of the common dB range.
///
/// # Errors
/// [`VizError::Empty`] for empty spectrograms, [`VizError::ShapeMismatch`] if B, mixed or
/// the mask differ in shape from A, [`VizError::InvalidValue`] for λ outside `[0, 1]`,
/// [`VizError::BoxOutOfBounds`], [`VizError::InvalidRange`], [`VizError::BadImageSize`].
pub fn render_panel(panel: &MixPanel) -> Result<RgbImage, VizError> {
    Ok(render_with_summary(panel, "")?.0)
}

/// Draws `panel` (see [`render_panel`]) and writes it to `path` as a PNG, plus a JSON
/// [`PanelSidecar`] at [`sidecar_path`]`(path)`, both atomically. Returns the sidecar path.
///
/// If the sidecar cannot be written the PNG is removed again, so the pair is all or nothing.
///
/// # Errors
/// Those of [`render_panel`], and [`VizError::Write`] naming the file that failed.
pub fn write_panel(path: &Path, panel: &MixPanel) -> Result<PathBuf, VizError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (image, summary) = render_with_summary(panel, &name)?;
    let json_path = sidecar_path(path);
    let png = image.encode_png(path)?;
    let mut json = serde_json::to_vec_pretty(&summary).map_err(|source| VizError::Json {
        path: json_path.clone(),
        source,
    })?;
    json.push(b'\n');
    randommix_frontend::io::atomic_write_bytes(path, &png)?;
    if let Err(e) = randommix_frontend::io::atomic_write_bytes(&json_path, &json) {
        let _ = std::fs::remove_file(path);
        return Err(e.into());
    }
    Ok(json_path)
}

/// Where [`write_panel`] puts the sidecar: `x.png` → `x.json`; any other name gets `.json`
/// appended (`x` → `x.json`, `x.json` → `x.json.json`).
pub fn sidecar_path(png_path: &Path) -> PathBuf {
    let is_png = png_path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if is_png {
        png_path.with_extension("json")
    } else {
        let mut s: OsString = png_path.as_os_str().to_owned();
        s.push(".json");
        PathBuf::from(s)
    }
}

fn check(panel: &MixPanel) -> Result<(), VizError> {
    let (rows, cols) = panel.a.dim();
    if rows == 0 || cols == 0 {
        return Err(VizError::Empty {
            what: "spectrogram A",
        });
    }
    let want = [rows, cols];
    let same = |what: &'static str, dim: (usize, usize)| {
        if dim == (rows, cols) {
            Ok(())
        } else {
            Err(VizError::ShapeMismatch {
                what,
                expected: want,
                actual: [dim.0, dim.1],
            })
        }
    };
    same("spectrogram B", panel.b.dim())?;
    same("mixed spectrogram", panel.mixed.dim())?;
    if !(0.0..=1.0).contains(&panel.lambda) {
        return Err(VizError::InvalidValue {
            what: "lambda".into(),
            value: panel.lambda as f64,
            reason: "must be in [0, 1]",
        });
    }
    match &panel.mask {
        PanelMask::Mix(MixMask::Box(r) | MixMask::Pasted(r)) => {
            let (top, left, height, width) = (r.top, r.left, r.height, r.width);
            let fits = top.checked_add(height).is_some_and(|e| e <= rows)
                && left.checked_add(width).is_some_and(|e| e <= cols);
            if !fits {
                return Err(VizError::BoxOutOfBounds {
                    top,
                    left,
                    height,
                    width,
                    rows,
                    cols,
                });
            }
        }
        PanelMask::Mix(MixMask::Mask(m)) => same("mask", m.dim())?,
        PanelMask::Share(m) => same("mask", m.dim())?,
        PanelMask::Mix(_) => {}
    }
    Ok(())
}

/// Share of A per cell, and the sidecar's summary of it.
fn mask_share(panel: &MixPanel) -> (Array2<f32>, MaskSummary, f64) {
    let dim = panel.a.dim();
    match &panel.mask {
        PanelMask::Mix(MixMask::Box(r) | MixMask::Pasted(r)) => {
            let (top, left, height, width) = (r.top, r.left, r.height, r.width);
            let mut m = Array2::from_elem(dim, 1.0f32);
            m.slice_mut(ndarray::s![top..top + height, left..left + width])
                .fill(0.0);
            let share = 1.0 - (height * width) as f64 / (dim.0 * dim.1) as f64;
            let summary = MaskSummary::Box {
                top,
                left,
                height,
                width,
            };
            (m, summary, share)
        }
        PanelMask::Share(m) => {
            let nan_cells = m.iter().filter(|v| v.is_nan()).count();
            let counted = m.len() - nan_cells;
            let sum: f64 = m
                .iter()
                .filter(|v| !v.is_nan())
                .map(|&v| v.clamp(0.0, 1.0) as f64)
                .sum();
            let share = if counted > 0 {
                sum / counted as f64
            } else {
                f64::NAN
            };
            (m.to_owned(), MaskSummary::Mask { nan_cells }, share)
        }
        PanelMask::Mix(MixMask::Mask(m)) => {
            let share = m.iter().filter(|&&v| v).count() as f64 / m.len() as f64;
            let f = m.mapv(|v| if v { 1.0 } else { 0.0 });
            (f, MaskSummary::Mask { nan_cells: 0 }, share)
        }
        PanelMask::Mix(_) => (
            Array2::from_elem(dim, panel.lambda),
            MaskSummary::None,
            panel.lambda as f64,
        ),
    }
}

fn render_with_summary(panel: &MixPanel, name: &str) -> Result<(RgbImage, PanelSidecar), VizError> {
    check(panel)?;
    let style = &panel.style;
    let (rows, cols) = panel.a.dim();
    let (lo, hi) = match style.db_range {
        Some((lo, hi)) if lo.is_finite() && hi.is_finite() && lo < hi => (lo, hi),
        Some((lo, hi)) => return Err(VizError::InvalidRange { lo, hi }),
        None => {
            if !(style.top_db.is_finite() && style.top_db > 0.0) {
                return Err(VizError::InvalidRange {
                    lo: -style.top_db,
                    hi: 0.0,
                });
            }
            auto_db_range(&[panel.a, panel.b, panel.mixed], style.top_db)
                .unwrap_or((-style.top_db, 0.0))
        }
    };
    let (sx, sy) = (style.x_scale, style.y_scale);
    let tw = cols.saturating_mul(sx);
    let th = rows.saturating_mul(sy);
    crate::image::check_size(tw, th)?;
    let tile = |spec: ArrayView2<f32>| -> Result<RgbImage, VizError> {
        render_cells(spec, lo, hi, style.colormap, style.nan_color)?.scaled(sx, sy)
    };
    let (share, mask_summary, share_a) = mask_share(panel);
    let mut mask_tile =
        render_cells(share.view(), 0.0, 1.0, Colormap::Gray, style.nan_color)?.scaled(sx, sy)?;
    let lam = format!("λ={:.2}", panel.lambda);
    let (tw_i, th_i) = (tw as i32, th as i32);
    if matches!(mask_summary, MaskSummary::None) {
        let ink = if panel.lambda > 0.5 { INK } else { BG };
        let px = if tw_i >= text_width(&lam, 32.0) + 8 {
            32.0
        } else {
            SMALL_PX
        };
        let x = (tw_i - text_width(&lam, px)) / 2;
        mask_tile.draw_text(x, th_i / 2 - (px / 2.0) as i32, &lam, px, ink);
    }
    let with_label = |base: &str, label: &str| {
        if label.is_empty() {
            base.to_string()
        } else {
            format!("{base}: {label}")
        }
    };
    let tiles = [
        (with_label("A original", panel.a_label), tile(panel.a)?),
        (with_label("B partner", panel.b_label), tile(panel.b)?),
        (format!("mixed ({lam} of A)"), tile(panel.mixed)?),
        ("mask: white=A black=B".to_string(), mask_tile),
    ];

    let (ncols, nrows) = match panel.layout {
        PanelLayout::Grid => (2, 2),
        PanelLayout::Row => (4, 1),
    };
    let title = format!("{}  {}", panel.mode, lam);
    let mut subtitle = format!("share of A (original) in mask: {:.3}", share_a);
    if !panel.a_label.is_empty() || !panel.b_label.is_empty() {
        subtitle = format!("A={}  B={}  {}", panel.a_label, panel.b_label, subtitle);
    }
    let note = "low frequencies at the bottom, time left to right";
    let grid_w = ncols * tw_i + (ncols - 1) * GAP_X;
    let content_w = grid_w
        .max(text_width(&title, TITLE_PX))
        .max(text_width(&subtitle, SMALL_PX))
        .max(text_width(note, SMALL_PX));
    let header_h = 26 + 4 + 16 + 10;
    let grid_h = nrows * (TILE_TITLE_H + th_i) + (nrows - 1) * GAP_Y;
    let footer_h = 12 + 12 + 4 + 16 + 18 + 6;
    let width = (content_w + 2 * MARGIN) as usize;
    let height = (MARGIN + header_h + grid_h + footer_h + MARGIN) as usize;
    let mut im = RgbImage::new(width, height, BG)?;

    im.draw_text(MARGIN, MARGIN, &title, TITLE_PX, INK);
    im.draw_text(MARGIN, MARGIN + 30, &subtitle, SMALL_PX, DIM);
    let top0 = MARGIN + header_h;
    for (i, (label, t)) in tiles.iter().enumerate() {
        let (c, r) = (i as i32 % ncols, i as i32 / ncols);
        let x = MARGIN + c * (tw_i + GAP_X);
        let y = top0 + r * (TILE_TITLE_H + th_i + GAP_Y);
        im.draw_text(x, y, &fit(label, TILE_PX, tw_i), TILE_PX, INK);
        im.blit(t, x, y + TILE_TITLE_H);
        im.stroke_rect(x - 1, y + TILE_TITLE_H - 1, tw_i + 2, th_i + 2, 1, FRAME);
    }

    // Colour bar of the common dB range, under the first column of tiles.
    let bar_y = top0 + grid_h + 12;
    let bar_w = tw_i.max(120);
    for k in 0..bar_w {
        let t = k as f32 / (bar_w - 1).max(1) as f32;
        im.fill_rect(MARGIN + k, bar_y, 1, 12, style.colormap.map(t));
    }
    im.stroke_rect(MARGIN - 1, bar_y - 1, bar_w + 2, 14, 1, FRAME);
    let ly = bar_y + 16;
    im.draw_text(MARGIN, ly, &format!("{lo:.1}"), SMALL_PX, INK);
    let mid = format!("{:.1}", (lo + hi) / 2.0);
    let mid_x = MARGIN + (bar_w - text_width(&mid, SMALL_PX)) / 2;
    im.draw_text(mid_x, ly, &mid, SMALL_PX, INK);
    let hi_s = format!("{hi:.1} dB");
    let hi_x = MARGIN + bar_w - text_width(&hi_s, SMALL_PX);
    im.draw_text(hi_x, ly, &hi_s, SMALL_PX, INK);
    im.draw_text(MARGIN, ly + 18, note, SMALL_PX, DIM);

    let summary = PanelSidecar {
        image: name.to_string(),
        mode: panel.mode.to_string(),
        lambda: panel.lambda,
        a_label: panel.a_label.to_string(),
        b_label: panel.b_label.to_string(),
        shape: [rows, cols],
        mask: mask_summary,
        mask_share_a: share_a,
        db_range: [lo, hi],
        colormap: style.colormap,
        png_size: [width, height],
    };
    Ok((im, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_names() {
        assert_eq!(sidecar_path(Path::new("d/x.png")), Path::new("d/x.json"));
        assert_eq!(sidecar_path(Path::new("d/x.PNG")), Path::new("d/x.json"));
        assert_eq!(sidecar_path(Path::new("x")), Path::new("x.json"));
        assert_eq!(sidecar_path(Path::new("x.json")), Path::new("x.json.json"));
    }

    #[test]
    fn mix_footprints_give_their_share() {
        let z = Array2::<f32>::zeros((2, 3));
        let bits = MixMask::Mask(std::sync::Arc::new(Array2::from_shape_fn(
            (2, 3),
            |(i, j)| i == j,
        )));
        let p = MixPanel::new(
            z.view(),
            z.view(),
            z.view(),
            PanelMask::Mix(&bits),
            "fmix",
            0.3,
        );
        let (m, summary, share) = mask_share(&p);
        assert_eq!(summary, MaskSummary::Mask { nan_cells: 0 });
        assert_eq!((m[[0, 0]], m[[0, 1]]), (1.0, 0.0));
        assert!((share - 2.0 / 6.0).abs() < 1e-12);
        for blend in [MixMask::Blend, MixMask::None] {
            let p = MixPanel::new(
                z.view(),
                z.view(),
                z.view(),
                PanelMask::Mix(&blend),
                "x",
                0.3,
            );
            let (m, summary, share) = mask_share(&p);
            assert_eq!(summary, MaskSummary::None);
            assert!(m.iter().all(|&v| v == 0.3));
            assert!((share - 0.3).abs() < 1e-6);
        }
    }

    #[test]
    fn box_share_is_pixel_share() {
        let z = Array2::<f32>::zeros((4, 5));
        let bx = MixMask::Box(Rect::new(1, 1, 2, 2));
        let p = MixPanel::new(
            z.view(),
            z.view(),
            z.view(),
            PanelMask::Mix(&bx),
            "cutmix",
            0.8,
        );
        let (m, _, share) = mask_share(&p);
        assert_eq!(share, 0.8);
        assert_eq!(m[[1, 1]], 0.0);
        assert_eq!(m[[0, 0]], 1.0);
    }
}
