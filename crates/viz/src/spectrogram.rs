//! Spectrograms as images: one colour cell per (mel, frame), low frequencies at the bottom.

use std::path::Path;

use ndarray::ArrayView2;

use crate::VizError;
use crate::colormap::Colormap;
use crate::image::{Rgb, RgbImage, check_size};

/// How to draw a spectrogram.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecStyle {
    /// Colormap from low (quiet) to high (loud) dB.
    pub colormap: Colormap,
    /// Pixels per frame (horizontal size of a cell). Default 4.
    pub x_scale: usize,
    /// Pixels per mel band (vertical size of a cell). Default 6.
    pub y_scale: usize,
    /// Fixed dB range `(lo, hi)` mapped onto the colormap, so that several images compare;
    /// `None` = automatic: `(max − top_db, max)` over the finite cells. Default `None`.
    pub db_range: Option<(f32, f32)>,
    /// Dynamic range of the automatic dB range. Default 80 dB.
    pub top_db: f32,
    /// Colour of NaN cells. Default magenta `[255, 0, 255]`, which none of the colormaps use.
    pub nan_color: Rgb,
}

impl Default for SpecStyle {
    fn default() -> Self {
        Self {
            colormap: Colormap::Viridis,
            x_scale: 4,
            y_scale: 6,
            db_range: None,
            top_db: 80.0,
            nan_color: [255, 0, 255],
        }
    }
}

/// The automatic dB range `(max − top_db, max)` over the finite cells of all `specs`, or
/// `None` if none has a finite cell. Use it to give several spectrograms one fixed range.
pub fn auto_db_range(specs: &[ArrayView2<f32>], top_db: f32) -> Option<(f32, f32)> {
    let max = specs
        .iter()
        .flat_map(|s| s.iter())
        .copied()
        .filter(|v| v.is_finite())
        .fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return None;
    }
    let top = if top_db.is_finite() && top_db > 0.0 {
        top_db
    } else {
        80.0
    };
    Some((max - top, max))
}

/// The dB range `render_spectrogram` uses for `spec` under `style`: the fixed range if set
/// (checked), else [`auto_db_range`]; `(−top_db, 0)` if the spectrogram has no finite cell.
///
/// # Errors
/// [`VizError::InvalidRange`] if the fixed range is not finite with `lo < hi`, or if
/// `top_db` is not finite and positive (reported as the range `(−top_db, 0)`).
pub fn resolve_db_range(spec: ArrayView2<f32>, style: &SpecStyle) -> Result<(f32, f32), VizError> {
    if let Some((lo, hi)) = style.db_range {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(VizError::InvalidRange { lo, hi });
        }
        return Ok((lo, hi));
    }
    if !(style.top_db.is_finite() && style.top_db > 0.0) {
        return Err(VizError::InvalidRange {
            lo: -style.top_db,
            hi: 0.0,
        });
    }
    Ok(auto_db_range(&[spec], style.top_db).unwrap_or((-style.top_db, 0.0)))
}

/// Draws `spec` (`[mels, frames]`, dB) as an image of `frames·x_scale × mels·y_scale`
/// pixels: row 0 (the lowest mel band) at the bottom, time left to right.
///
/// Values are mapped linearly from the dB range (see [`resolve_db_range`]) onto the
/// colormap and clamped; `-inf` is drawn as the bottom colour, `+inf` as the top colour,
/// NaN in `style.nan_color`. An all-NaN spectrogram is drawn entirely in `nan_color`.
///
/// # Errors
/// [`VizError::Empty`] for a spectrogram with no rows or no columns,
/// [`VizError::BadImageSize`] for a zero scale or an image over [`super::MAX_PIXELS`],
/// [`VizError::InvalidRange`] for a bad fixed range.
pub fn render_spectrogram(spec: ArrayView2<f32>, style: &SpecStyle) -> Result<RgbImage, VizError> {
    let (rows, cols) = spec.dim();
    if rows == 0 || cols == 0 {
        return Err(VizError::Empty {
            what: "spectrogram",
        });
    }
    let (w, h) = (
        cols.saturating_mul(style.x_scale),
        rows.saturating_mul(style.y_scale),
    );
    check_size(w, h)?;
    let (lo, hi) = resolve_db_range(spec, style)?;
    let cells = render_cells(spec, lo, hi, style.colormap, style.nan_color)?;
    cells.scaled(style.x_scale, style.y_scale)
}

/// One pixel per cell, row 0 at the bottom.
pub(crate) fn render_cells(
    spec: ArrayView2<f32>,
    lo: f32,
    hi: f32,
    colormap: Colormap,
    nan_color: Rgb,
) -> Result<RgbImage, VizError> {
    let (rows, cols) = spec.dim();
    let mut im = RgbImage::new(cols, rows, nan_color)?;
    let span = hi - lo;
    for ((r, c), &v) in spec.indexed_iter() {
        if v.is_nan() {
            continue;
        }
        let color = colormap.map((v - lo) / span);
        im.put_pixel(c as i32, (rows - 1 - r) as i32, color);
    }
    Ok(im)
}

/// Renders `spec` with [`render_spectrogram`] and writes it to `path` as a PNG, atomically.
///
/// # Errors
/// Those of [`render_spectrogram`], and [`VizError::Write`] naming `path`.
pub fn save_spectrogram_png(
    path: &Path,
    spec: ArrayView2<f32>,
    style: &SpecStyle,
) -> Result<(), VizError> {
    render_spectrogram(spec, style)?.save_png(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn auto_range_ignores_non_finite() {
        let mut s = Array2::<f32>::from_elem((2, 3), -10.0);
        s[[0, 0]] = f32::NAN;
        s[[0, 1]] = f32::INFINITY;
        s[[1, 2]] = 5.0;
        assert_eq!(auto_db_range(&[s.view()], 80.0), Some((-75.0, 5.0)));
        let all_nan = Array2::<f32>::from_elem((2, 2), f32::NAN);
        assert_eq!(auto_db_range(&[all_nan.view()], 80.0), None);
    }

    #[test]
    fn bad_fixed_range_is_an_error() {
        let s = Array2::<f32>::zeros((2, 2));
        for r in [(0.0, 0.0), (1.0, -1.0), (f32::NAN, 1.0)] {
            let st = SpecStyle {
                db_range: Some(r),
                ..SpecStyle::default()
            };
            assert!(matches!(
                render_spectrogram(s.view(), &st),
                Err(VizError::InvalidRange { .. })
            ));
        }
    }

    #[test]
    fn infinities_clamp_and_nan_is_marked() {
        let s = ndarray::arr2(&[[f32::NEG_INFINITY, f32::INFINITY, f32::NAN]]);
        let st = SpecStyle {
            x_scale: 1,
            y_scale: 1,
            db_range: Some((-1.0, 1.0)),
            ..SpecStyle::default()
        };
        let im = render_spectrogram(s.view(), &st).unwrap();
        assert_eq!(im.pixel(0, 0), Some(Colormap::Viridis.map(0.0)));
        assert_eq!(im.pixel(1, 0), Some(Colormap::Viridis.map(1.0)));
        assert_eq!(im.pixel(2, 0), Some(st.nan_color));
    }
}
