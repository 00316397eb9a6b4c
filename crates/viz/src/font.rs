//! The one font of every picture: DejaVu Sans, embedded (no system font is read), laid out and
//! rasterised with ab_glyph (anti-aliased). Licence: `assets/DejaVuSans-LICENSE.txt`
//! (Bitstream Vera).
//!
//! plotters 0.3.7 can draw text through ab_glyph too, but it places each glyph without its
//! left side bearing (letters touch or drift apart: `resizemix`, `0. 7`), so text is drawn
//! here and plotters draws the rest.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};

use crate::image::{Rgb, RgbImage};

/// DejaVu Sans 2.37, as Debian's fonts-dejavu-core ships it.
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The parsed font, or `None` if the embedded file could not be parsed (then text is left
/// out rather than drawn, and a unit test fails).
fn face() -> Option<&'static FontRef<'static>> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| FontRef::try_from_slice(DEJAVU_SANS).ok())
        .as_ref()
}

/// Pen positions (x of each glyph's origin, left to right) and the glyphs of `text`.
fn layout(text: &str, px: f64) -> (Vec<(f32, GlyphId)>, f32) {
    let Some(font) = face() else {
        return (Vec::new(), 0.0);
    };
    let sf = font.as_scaled(PxScale::from(px as f32));
    let mut pen = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            pen += sf.kern(p, id);
        }
        out.push((pen, id));
        pen += sf.h_advance(id);
        prev = Some(id);
    }
    (out, pen)
}

/// Width in pixels of `text` at `px` pixels (the sum of the advances, kerning included).
pub(crate) fn text_width(text: &str, px: f64) -> i32 {
    layout(text, px).1.ceil() as i32
}

/// Height of a line at `px` pixels (ascent − descent), rounded up.
pub(crate) fn line_height(px: f64) -> i32 {
    face().map_or(px.ceil() as i32, |f| {
        let sf = f.as_scaled(PxScale::from(px as f32));
        (sf.ascent() - sf.descent()).ceil() as i32
    })
}

/// Cuts `text` so that it is at most `max_px` wide at `px` pixels, ending in `…` when cut.
pub(crate) fn fit(text: &str, px: f64, max_px: i32) -> String {
    if text_width(text, px) <= max_px {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len())
        .rev()
        .map(|n| chars[..n].iter().chain(['…'].iter()).collect::<String>())
        .find(|s| text_width(s, px) <= max_px)
        .unwrap_or_default()
}

/// Draws `text` at `px` pixels in `color` onto `im`, anti-aliased over what is there. The
/// line's box (advance width × [`line_height`]) has its top-left corner at `(x, y)`; with
/// `vertical` the text reads bottom to top and that box, turned, has its bottom-left corner
/// at `(x, y)`.
pub(crate) fn draw(
    im: &mut RgbImage,
    (x, y): (i32, i32),
    text: &str,
    px: f64,
    color: Rgb,
    vertical: bool,
) {
    let Some(font) = face() else {
        return;
    };
    let scale = PxScale::from(px as f32);
    let ascent = font.as_scaled(scale).ascent();
    for (pen, id) in layout(text, px).0 {
        let glyph = id.with_scale_and_position(scale, point(pen, ascent));
        let Some(outline) = font.outline_glyph(glyph) else {
            continue; // a space, or a glyph the font lacks
        };
        let b = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            // (u, v): the pixel in the unturned line box.
            let (u, v) = (b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
            let (px_x, px_y) = if vertical {
                (x + v, y - u)
            } else {
                (x + u, y + v)
            };
            im.blend_pixel(px_x, px_y, color, coverage);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_loads_and_measures() {
        assert!(face().is_some());
        let w = text_width("accuracy", 14.0);
        assert!(w > 30 && w < 120, "{w}");
        assert!(text_width("accuracy", 28.0) > w);
        assert!(line_height(14.0) >= 14 && line_height(14.0) <= 20);
        let cut = fit("mixup:1,cutmix:1,resizemix:1,fmix:1", 12.0, 80);
        assert!(cut.ends_with('…') && text_width(&cut, 12.0) <= 80, "{cut}");
        assert_eq!(fit("none", 12.0, 80), "none");
    }

    #[test]
    fn glyphs_keep_their_side_bearings() {
        // "i.i": the dot sits in its own advance, apart from both i's: three separate ink
        // runs along the baseline row, with white between them.
        let mut im = RgbImage::new(60, 30, [255, 255, 255]).unwrap();
        draw(&mut im, (2, 2), "i.i", 24.0, [0, 0, 0], false);
        let baseline = (0..30)
            .rev()
            .find(|&y| (0..60).any(|x| im.pixel(x, y).is_some_and(|p| p[0] < 128)))
            .unwrap();
        let ink: Vec<bool> = (0..60)
            .map(|x| im.pixel(x, baseline).is_some_and(|p| p[0] < 128))
            .collect();
        let runs = ink.windows(2).filter(|w| !w[0] && w[1]).count() + usize::from(ink[0]);
        assert_eq!(runs, 3, "{ink:?}");
    }

    #[test]
    fn vertical_text_reads_bottom_to_top() {
        let mut im = RgbImage::new(30, 80, [255, 255, 255]).unwrap();
        draw(&mut im, (4, 76), "Ab", 18.0, [0, 0, 0], true);
        let dark = |x: usize, y: usize| im.pixel(x, y).is_some_and(|p| p[0] < 128);
        // All ink is inside the turned box: x from 4, y up to 76, and it is taller than wide.
        let px: Vec<(usize, usize)> = (0..30)
            .flat_map(|x| (0..80).map(move |y| (x, y)))
            .filter(|&(x, y)| dark(x, y))
            .collect();
        assert!(!px.is_empty());
        assert!(px.iter().all(|&(x, y)| x >= 4 && y <= 76));
        let h = px.iter().map(|p| p.1).max().unwrap() - px.iter().map(|p| p.1).min().unwrap();
        let w = px.iter().map(|p| p.0).max().unwrap() - px.iter().map(|p| p.0).min().unwrap();
        assert!(h > w, "{w}x{h}");
    }
}
