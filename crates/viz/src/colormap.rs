//! Colormaps: matplotlib's perceptually uniform `viridis` and `magma` (the `colorous` crate's
//! 256-entry tables), and plain grey.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::image::Rgb;

/// A map from `[0, 1]` to colours, low values first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Colormap {
    /// matplotlib `viridis` (dark blue → green → yellow), its 256 colours.
    #[default]
    Viridis,
    /// matplotlib `magma` (black → purple → orange → pale yellow), its 256 colours.
    Magma,
    /// Black → white.
    Gray,
}

impl Colormap {
    /// All colormaps, in the order of their names in [`Colormap::NAMES`].
    pub const ALL: [Colormap; 3] = [Colormap::Viridis, Colormap::Magma, Colormap::Gray];
    /// The names accepted by [`FromStr`] and written by [`fmt::Display`].
    pub const NAMES: [&'static str; 3] = ["viridis", "magma", "gray"];

    /// The colour at table index `i` (0 = lowest, 255 = highest).
    pub fn at(self, i: u8) -> Rgb {
        match self {
            Colormap::Viridis => entry(colorous::VIRIDIS, i),
            Colormap::Magma => entry(colorous::MAGMA, i),
            Colormap::Gray => [i, i, i],
        }
    }

    /// The colour for `t` in `[0, 1]`; `t` is clamped, NaN maps to 0.
    pub fn map(self, t: f32) -> Rgb {
        // `as u8` saturates and sends NaN to 0.
        self.at((t.clamp(0.0, 1.0) * 255.0).round() as u8)
    }
}

/// Colour `i` of 256 of `gradient`. colorous keeps matplotlib's 256 colours and evaluates them
/// as a B-spline (truncated to 8 bits): the ends are matplotlib's exactly, inner colours within
/// two levels per channel.
fn entry(gradient: colorous::Gradient, i: u8) -> Rgb {
    let c = gradient.eval_rational(i as usize, 256);
    [c.r, c.g, c.b]
}

impl fmt::Display for Colormap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = Colormap::ALL.iter().position(|c| c == self).unwrap_or(0);
        f.write_str(Colormap::NAMES[i])
    }
}

/// The error of parsing an unknown colormap name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown colormap {0:?} (expected one of viridis, magma, gray)")]
pub struct UnknownColormap(pub String);

impl FromStr for Colormap {
    type Err = UnknownColormap;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        match lower.as_str() {
            "viridis" => Ok(Colormap::Viridis),
            "magma" => Ok(Colormap::Magma),
            "gray" | "grey" => Ok(Colormap::Gray),
            _ => Err(UnknownColormap(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_match_matplotlib() {
        // matplotlib: viridis(0) = #440154, viridis(1) = #fde725; magma(0) = #000004, magma(1) = #fcfdbf.
        assert_eq!(Colormap::Viridis.map(0.0), [0x44, 0x01, 0x54]);
        assert_eq!(Colormap::Viridis.map(1.0), [0xfd, 0xe7, 0x25]);
        assert_eq!(Colormap::Magma.map(0.0), [0x00, 0x00, 0x04]);
        assert_eq!(Colormap::Magma.map(1.0), [0xfc, 0xfd, 0xbf]);
        assert_eq!(Colormap::Gray.map(2.0), [255, 255, 255]);
        assert_eq!(Colormap::Gray.map(f32::NAN), [0, 0, 0]);
    }

    #[test]
    fn inner_entries_are_within_two_levels_of_matplotlib() {
        // matplotlib's 256-entry tables (`_viridis_data`, `_magma_data`) × 255, rounded.
        let close = |a: Rgb, b: Rgb| a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= 2);
        for (map, i, want) in [
            (Colormap::Viridis, 64, [59, 82, 139]),
            (Colormap::Viridis, 128, [33, 145, 140]),
            (Colormap::Viridis, 200, [112, 207, 87]),
            (Colormap::Magma, 64, [81, 18, 124]),
            (Colormap::Magma, 128, [183, 55, 121]),
            (Colormap::Magma, 200, [253, 152, 105]),
        ] {
            let got = map.at(i);
            assert!(close(got, want), "{map} {i}: {got:?} vs {want:?}");
        }
        assert_eq!(Colormap::Gray.at(77), [77, 77, 77]);
    }

    #[test]
    fn names_round_trip() {
        for c in Colormap::ALL {
            assert_eq!(c.to_string().parse::<Colormap>().unwrap(), c);
        }
        assert!("jet".parse::<Colormap>().is_err());
    }
}
