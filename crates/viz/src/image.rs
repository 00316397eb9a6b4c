//! A small RGB raster with the drawing primitives the charts need, and PNG output.

use std::path::Path;

use font8x8::{BASIC_FONTS, GREEK_FONTS, LATIN_FONTS, UnicodeFonts};

use crate::{MAX_PIXELS, VizError};

/// An RGB colour, 8 bits per channel.
pub type Rgb = [u8; 3];

/// Width and height of one glyph of the bitmap font at scale 1, in pixels.
const GLYPH: i32 = 8;

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

    /// Draws a straight line from `(x0, y0)` to `(x1, y1)` (Bresenham), `thickness` pixels
    /// wide (a square pen centred on the line).
    pub fn draw_line(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, thickness: i32, color: Rgb) {
        let t = thickness.max(1);
        let off = (t - 1) / 2;
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            if t == 1 {
                self.put_pixel(x, y, color);
            } else {
                self.fill_rect(x - off, y - off, t, t, color);
            }
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Fills a disc of radius `r` centred on `(cx, cy)`.
    pub fn fill_circle(&mut self, cx: i32, cy: i32, r: i32, color: Rgb) {
        let r2 = r * r + r; // a little rounder than r² at small radii
        for dy in -r..=r {
            for dx in -r..=r {
                if dx * dx + dy * dy <= r2 {
                    self.put_pixel(cx + dx, cy + dy, color);
                }
            }
        }
    }

    /// Fills the triangle with the three given corners.
    pub fn fill_triangle(&mut self, p: [(i32, i32); 3], color: Rgb) {
        let min_x = p.iter().map(|q| q.0).min().unwrap_or(0);
        let max_x = p.iter().map(|q| q.0).max().unwrap_or(0);
        let min_y = p.iter().map(|q| q.1).min().unwrap_or(0);
        let max_y = p.iter().map(|q| q.1).max().unwrap_or(0);
        let edge = |a: (i32, i32), b: (i32, i32), x: i32, y: i32| {
            (b.0 - a.0) as i64 * (y - a.1) as i64 - (b.1 - a.1) as i64 * (x - a.0) as i64
        };
        for y in min_y..=max_y {
            for x in min_x..=max_x {
                let e0 = edge(p[0], p[1], x, y);
                let e1 = edge(p[1], p[2], x, y);
                let e2 = edge(p[2], p[0], x, y);
                if (e0 >= 0 && e1 >= 0 && e2 >= 0) || (e0 <= 0 && e1 <= 0 && e2 <= 0) {
                    self.put_pixel(x, y, color);
                }
            }
        }
    }

    /// Draws `text` with its top-left corner at `(x, y)`, each font pixel drawn as a
    /// `scale × scale` square; returns the width drawn. `\n` is not interpreted.
    /// Characters the font lacks are drawn as `?`.
    pub fn draw_text(&mut self, x: i32, y: i32, text: &str, scale: i32, color: Rgb) -> i32 {
        let s = scale.max(1);
        let mut pen = x;
        for c in text.chars() {
            let g = glyph(c);
            for (row, bits) in g.iter().enumerate() {
                for col in 0..8 {
                    if bits & (1 << col) != 0 {
                        self.fill_rect(pen + col * s, y + row as i32 * s, s, s, color);
                    }
                }
            }
            pen += GLYPH * s;
        }
        pen - x
    }

    /// Draws `text` rotated 90° counter-clockwise (reading bottom to top) with the bottom
    /// of its first character at `(x, y)`: it occupies `x .. x + 8·scale` horizontally and
    /// `y − width .. y` vertically. Returns the length drawn.
    pub fn draw_text_vertical(
        &mut self,
        x: i32,
        y: i32,
        text: &str,
        scale: i32,
        color: Rgb,
    ) -> i32 {
        let s = scale.max(1);
        let mut pen = y;
        for c in text.chars() {
            let g = glyph(c);
            for (row, bits) in g.iter().enumerate() {
                for col in 0..8 {
                    if bits & (1 << col) != 0 {
                        // Glyph pixel (col, row) goes to (row, -col) after the rotation.
                        self.fill_rect(x + row as i32 * s, pen - (col + 1) * s, s, s, color);
                    }
                }
            }
            pen -= GLYPH * s;
        }
        y - pen
    }

    /// Draws `text` centred horizontally on `cx`, top at `y`.
    pub fn draw_text_centered(&mut self, cx: i32, y: i32, text: &str, scale: i32, color: Rgb) {
        let w = text_width(text, scale);
        self.draw_text(cx - w / 2, y, text, scale, color);
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

/// Width in pixels of `text` drawn by [`RgbImage::draw_text`] at `scale`.
pub fn text_width(text: &str, scale: i32) -> i32 {
    text.chars().count() as i32 * GLYPH * scale.max(1)
}

fn glyph(c: char) -> [u8; 8] {
    BASIC_FONTS
        .get(c)
        .or_else(|| LATIN_FONTS.get(c))
        .or_else(|| GREEK_FONTS.get(c))
        .or_else(|| BASIC_FONTS.get('?'))
        .unwrap_or([0; 8])
}

pub(super) fn check_size(width: usize, height: usize) -> Result<(), VizError> {
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
    fn line_reaches_both_ends() {
        let mut im = RgbImage::new(10, 10, [0, 0, 0]).unwrap();
        im.draw_line(1, 8, 8, 2, 1, [1, 2, 3]);
        assert_eq!(im.pixel(1, 8), Some([1, 2, 3]));
        assert_eq!(im.pixel(8, 2), Some([1, 2, 3]));
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
    fn text_draws_something_and_unknown_chars_do_not_panic() {
        let mut im = RgbImage::new(64, 16, [0, 0, 0]).unwrap();
        let w = im.draw_text(0, 0, "Aλ\u{1F600}", 1, [255, 255, 255]);
        assert_eq!(w, 24);
        assert!(im.as_raw().contains(&255));
        im.draw_text_vertical(0, 15, "xyz", 1, [255, 0, 0]);
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
