//! The RGB image every picture is drawn into, and its PNG output. Lines, bars and markers are
//! drawn on it by plotters' bitmap backend in place, text by [`crate::font`]; the image
//! itself only fills rectangles, blends, copies and enlarges pixels.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, IntoDrawingArea};
use plotters::style::{Color, RGBColor};

use crate::{MAX_PIXELS, VizError};

/// An RGB colour, 8 bits per channel.
pub type Rgb = [u8; 3];

/// An 8-bit RGB image, row-major from the top-left corner.
///
/// Drawing methods take signed coordinates and clip to the image, so shapes may run off
/// the edges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbImage {
    width: usize,
    height: usize,
    data: Vec<u8>,
}

impl RgbImage {
    /// A `width × height` image filled with `background`.
    ///
    /// # Errors
    /// [`VizError::BadImageSize`] if either side is 0 or the image exceeds [`MAX_PIXELS`].
    pub fn new(width: usize, height: usize, background: Rgb) -> Result<Self, VizError> {
        check_size(width, height)?;
        let data = background.repeat(width * height);
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The raw bytes, `[r, g, b]` per pixel, row-major from the top-left.
    pub fn as_raw(&self) -> &[u8] {
        &self.data
    }

    /// The colour at `(x, y)`, or `None` outside the image.
    pub fn pixel(&self, x: usize, y: usize) -> Option<Rgb> {
        if x < self.width && y < self.height {
            let i = 3 * (y * self.width + x);
            Some([self.data[i], self.data[i + 1], self.data[i + 2]])
        } else {
            None
        }
    }

    /// Sets `(x, y)` to `color`; does nothing outside the image.
    pub fn put_pixel(&mut self, x: i32, y: i32, color: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = 3 * (y as usize * self.width + x as usize);
            self.data[i..i + 3].copy_from_slice(&color);
        }
    }

    /// Fills the rectangle with top-left `(x, y)` and size `w × h`, clipped to the image.
    pub fn fill_rect(&mut self, x: i32, y: i32, w: i32, h: i32, color: Rgb) {
        let x0 = x.max(0) as usize;
        let y0 = y.max(0) as usize;
        let x1 = (x.saturating_add(w)).clamp(0, self.width as i32) as usize;
        let y1 = (y.saturating_add(h)).clamp(0, self.height as i32) as usize;
        if x0 >= x1 {
            return;
        }
        for row in y0..y1 {
            let start = 3 * (row * self.width + x0);
            let end = 3 * (row * self.width + x1);
            for px in self.data[start..end].chunks_exact_mut(3) {
                px.copy_from_slice(&color);
            }
        }
    }

    /// Draws the outline of a rectangle, `thickness` pixels wide, inside `(x, y, w, h)`.
    pub fn stroke_rect(&mut self, x: i32, y: i32, w: i32, h: i32, thickness: i32, color: Rgb) {
        let t = thickness.max(1);
        self.fill_rect(x, y, w, t, color);
        self.fill_rect(x, y + h - t, w, t, color);
        self.fill_rect(x, y, t, h, color);
        self.fill_rect(x + w - t, y, t, h, color);
    }

    /// A plotters drawing area over this image's pixels (plotters draws in place).
    pub(crate) fn area(&mut self) -> DrawingArea<BitMapBackend<'_>, Shift> {
        let size = (self.width as u32, self.height as u32);
        BitMapBackend::with_buffer(&mut self.data, size).into_drawing_area()
    }

    /// Draws `text` in the embedded font at `px` pixels with its top-left corner at `(x, y)`.
    /// Text is decoration: a glyph the font lacks is left out.
    pub(crate) fn draw_text(&mut self, x: i32, y: i32, text: &str, px: f64, color: Rgb) {
        crate::font::draw(self, (x, y), text, px, color, false);
    }

    /// Mixes `color` into `(x, y)` with weight `alpha` in `[0, 1]` (anti-aliased edges);
    /// does nothing outside the image.
    pub(crate) fn blend_pixel(&mut self, x: i32, y: i32, color: Rgb, alpha: f32) {
        if x < 0 || y < 0 {
            return;
        }
        let Some(old) = self.pixel(x as usize, y as usize) else {
            return;
        };
        let a = alpha.clamp(0.0, 1.0);
        let mix = |o: u8, c: u8| (o as f32 + (c as f32 - o as f32) * a).round() as u8;
        let new = [
            mix(old[0], color[0]),
            mix(old[1], color[1]),
            mix(old[2], color[2]),
        ];
        self.put_pixel(x, y, new);
    }

    /// Copies `src` into this image with its top-left corner at `(x, y)`, clipped.
    pub fn blit(&mut self, src: &RgbImage, x: i32, y: i32) {
        for sy in 0..src.height {
            let ty = y + sy as i32;
            if ty < 0 || ty as usize >= self.height {
                continue;
            }
            let sx0 = (-x).max(0) as usize;
            let tx0 = x.max(0) as usize;
            if sx0 >= src.width || tx0 >= self.width {
                continue;
            }
            let n = (src.width - sx0).min(self.width - tx0);
            let s = 3 * (sy * src.width + sx0);
            let t = 3 * (ty as usize * self.width + tx0);
            self.data[t..t + 3 * n].copy_from_slice(&src.data[s..s + 3 * n]);
        }
    }

    /// A copy enlarged by integer factors (nearest neighbour: each pixel becomes an
    /// `sx × sy` block).
    ///
    /// # Errors
    /// [`VizError::BadImageSize`] if a factor is 0 or the result exceeds [`MAX_PIXELS`].
    pub fn scaled(&self, sx: usize, sy: usize) -> Result<RgbImage, VizError> {
        let (w, h) = (
            self.width.saturating_mul(sx),
            self.height.saturating_mul(sy),
        );
        let mut out = RgbImage::new(w, h, [0, 0, 0])?;
        for y in 0..self.height {
            let src = &self.data[3 * y * self.width..3 * (y + 1) * self.width];
            let first = 3 * (y * sy) * w;
            {
                let row = &mut out.data[first..first + 3 * w];
                for (x, px) in src.chunks_exact(3).enumerate() {
                    for k in 0..sx {
                        let i = 3 * (x * sx + k);
                        row[i..i + 3].copy_from_slice(px);
                    }
                }
            }
            for k in 1..sy {
                out.data
                    .copy_within(first..first + 3 * w, first + 3 * k * w);
            }
        }
        Ok(out)
    }

    /// Encodes the image as an 8-bit RGB PNG. `path` is only used in error messages.
    ///
    /// # Errors
    /// [`VizError::Encode`] if the encoder fails.
    pub fn encode_png(&self, path: &Path) -> Result<Vec<u8>, VizError> {
        let wrap = |source| VizError::Encode {
            path: path.to_path_buf(),
            source,
        };
        let mut bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut bytes, self.width as u32, self.height as u32);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Balanced);
            let mut writer = enc.write_header().map_err(wrap)?;
            writer.write_image_data(&self.data).map_err(wrap)?;
            writer.finish().map_err(wrap)?;
        }
        Ok(bytes)
    }

    /// Writes the image to `path` as a PNG, atomically (temporary file + rename).
    ///
    /// # Errors
    /// [`VizError::Encode`], or [`VizError::Write`] naming `path` (for example when its
    /// folder does not exist); nothing is left at `path` on error.
    pub fn save_png(&self, path: &Path) -> Result<(), VizError> {
        let bytes = self.encode_png(path)?;
        randommix_frontend::io::atomic_write_bytes(path, &bytes)?;
        Ok(())
    }
}

/// The plotters colour of `c`, fully opaque.
pub(crate) fn rgb(c: Rgb) -> plotters::style::RGBAColor {
    RGBColor(c[0], c[1], c[2]).to_rgba()
}

pub(crate) fn check_size(width: usize, height: usize) -> Result<(), VizError> {
    if width == 0 || height == 0 || width.saturating_mul(height) > MAX_PIXELS {
        return Err(VizError::BadImageSize { width, height });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_rect_clips() {
        let mut im = RgbImage::new(4, 3, [0, 0, 0]).unwrap();
        im.fill_rect(-2, 1, 4, 10, [9, 9, 9]);
        assert_eq!(im.pixel(0, 0), Some([0, 0, 0]));
        assert_eq!(im.pixel(1, 2), Some([9, 9, 9]));
        assert_eq!(im.pixel(2, 2), Some([0, 0, 0]));
    }

    #[test]
    fn scaled_repeats_pixels() {
        let mut im = RgbImage::new(2, 1, [0, 0, 0]).unwrap();
        im.put_pixel(1, 0, [5, 5, 5]);
        let s = im.scaled(3, 2).unwrap();
        assert_eq!((s.width(), s.height()), (6, 2));
        assert_eq!(s.pixel(2, 1), Some([0, 0, 0]));
        assert_eq!(s.pixel(3, 1), Some([5, 5, 5]));
        assert!(im.scaled(0, 1).is_err());
    }

    #[test]
    fn text_is_drawn_in_the_embedded_font_and_unknown_chars_do_not_panic() {
        let mut im = RgbImage::new(120, 30, [255, 255, 255]).unwrap();
        im.draw_text(4, 4, "Aλ±\u{1F600}", 16.0, [0, 0, 0]);
        let dark = im.as_raw().chunks(3).filter(|c| c[0] < 100).count();
        assert!(dark > 20, "{dark} dark pixels");
        // Nothing is drawn right of the text.
        assert!((80..120).all(|x| im.pixel(x, 15) == Some([255, 255, 255])));
    }

    #[test]
    fn blit_clips() {
        let mut dst = RgbImage::new(3, 3, [0, 0, 0]).unwrap();
        let src = RgbImage::new(2, 2, [7, 7, 7]).unwrap();
        dst.blit(&src, 2, -1);
        assert_eq!(dst.pixel(2, 0), Some([7, 7, 7]));
        assert_eq!(dst.pixel(2, 1), Some([0, 0, 0]));
        dst.blit(&src, -5, 0);
        dst.blit(&src, 5, 5);
    }
}
