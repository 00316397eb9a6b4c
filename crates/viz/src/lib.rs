//! randommix-viz: pictures for people, without burn. Spectrogram PNGs, one-panel views of a
//! mix, the bar, line and DET charts of the experiment reports, and the workflow behind
//! `randommix mix` and `randommix render` ([`inspect`]).
//!
//! It depends on the mixing ([`randommix_mix`]) and front-end ([`randommix_frontend`]) crates
//! only. Everything is drawn into an [`RgbImage`] (axes, bars, lines and markers by `plotters`,
//! text in the embedded DejaVu Sans with `ab_glyph`, colormaps from `colorous`) and written through
//! [`randommix_frontend::io::atomic_write`], so a failed write never leaves a partial file under
//! the final name.
//!
//! # Conventions
//!
//! - Spectrograms are `[mels, frames]` arrays of dB values (the log-mel of `features`). Row 0
//!   is the lowest mel band and is drawn at the **bottom** of the image; time runs left to right.
//! - Colours map a dB range `(lo, hi)` onto a [`Colormap`]; values outside it are clamped,
//!   `-inf` is drawn as `lo`, `+inf` as `hi`, and NaN cells in [`SpecStyle::nan_color`].
//! - In mix panels λ is the share of the original sample A. In the mask tile white means
//!   "taken from A", black "taken from B" (the partner); a box ([`PanelMask::Mix`] of a `MixMask::Box`) is the region
//!   pasted from B.
//! - In the charts a NaN value means "missing": the bar is left out and marked `n/a`, a line
//!   has a gap there. Infinite values, empty inputs and mismatched lengths are errors.
//!
//! # Example
//!
//! ```no_run
//! use ndarray::Array2;
//! use randommix_viz::{save_spectrogram_png, SpecStyle};
//!
//! let spec = Array2::<f32>::from_elem((40, 101), -30.0);
//! save_spectrogram_png("spec.png".as_ref(), spec.view(), &SpecStyle::default())?;
//! # Ok::<(), randommix_viz::VizError>(())
//! ```

#![warn(missing_docs)]

mod colormap;
mod font;
mod image;
pub mod inspect;
mod panel;
mod plot;
mod spectrogram;

use std::path::PathBuf;

pub use colormap::{Colormap, UnknownColormap};
pub use image::{Rgb, RgbImage};
pub use panel::{
    MaskSummary, MixPanel, PanelLayout, PanelMask, PanelSidecar, render_panel, sidecar_path,
    write_panel,
};
pub use plot::{
    bar_chart_png, det_plot_png, line_plot_png, render_bar_chart, render_det_plot, render_line_plot,
};
pub use spectrogram::{
    SpecStyle, auto_db_range, render_spectrogram, resolve_db_range, save_spectrogram_png,
};

/// The largest image, in pixels, that this crate agrees to allocate (64 Mi pixels).
pub const MAX_PIXELS: usize = 1 << 26;

/// Errors of drawing and writing pictures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VizError {
    /// Writing an output file failed (the error names the file).
    #[error(transparent)]
    Write(#[from] randommix_frontend::io::WriteError),
    /// plotters could not draw a chart (a bug rather than a bad input: inputs are checked
    /// first).
    #[error("cannot draw {what}: {problem}")]
    Draw {
        /// The chart.
        what: &'static str,
        /// plotters' error.
        problem: String,
    },
    /// The PNG encoder rejected the image.
    #[error("cannot encode PNG {path}: {source}")]
    Encode {
        /// The file being encoded.
        path: PathBuf,
        /// The encoder's error.
        #[source]
        source: png::EncodingError,
    },
    /// The JSON sidecar could not be serialised.
    #[error("cannot serialise JSON for {path}: {source}")]
    Json {
        /// The sidecar file.
        path: PathBuf,
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
    },
    /// An input that must not be empty was empty.
    #[error("nothing to draw: {what} is empty")]
    Empty {
        /// Which input was empty.
        what: &'static str,
    },
    /// Two inputs that must have the same length did not.
    #[error("{what}: expected length {expected}, got {actual}")]
    LengthMismatch {
        /// Which input had the wrong length.
        what: String,
        /// The length it should have had.
        expected: usize,
        /// The length it had.
        actual: usize,
    },
    /// Two arrays that must have the same shape did not.
    #[error("{what}: expected shape {expected:?}, got {actual:?}")]
    ShapeMismatch {
        /// Which array had the wrong shape.
        what: &'static str,
        /// The shape it should have had, `[rows, cols]`.
        expected: [usize; 2],
        /// The shape it had.
        actual: [usize; 2],
    },
    /// A number was out of its allowed range (infinite, NaN where not allowed, negative...).
    #[error("invalid {what}: {value} ({reason})")]
    InvalidValue {
        /// Which parameter or input.
        what: String,
        /// The offending value.
        value: f64,
        /// What was expected of it.
        reason: &'static str,
    },
    /// A fixed dB range whose ends are not finite or not increasing.
    #[error("invalid dB range ({lo}, {hi}): need finite lo < hi")]
    InvalidRange {
        /// Lower end.
        lo: f32,
        /// Upper end.
        hi: f32,
    },
    /// A box that does not fit inside the spectrogram.
    #[error(
        "box top={top} left={left} height={height} width={width} does not fit in a {rows}x{cols} spectrogram"
    )]
    BoxOutOfBounds {
        /// First row of the box.
        top: usize,
        /// First column of the box.
        left: usize,
        /// Rows in the box.
        height: usize,
        /// Columns in the box.
        width: usize,
        /// Rows of the spectrogram.
        rows: usize,
        /// Columns of the spectrogram.
        cols: usize,
    },
    /// A requested image would be too large (or a scale factor was zero).
    #[error(
        "image size {width}x{height} is not allowed (must be non-empty and at most {MAX_PIXELS} pixels)"
    )]
    BadImageSize {
        /// Requested width in pixels.
        width: usize,
        /// Requested height in pixels.
        height: usize,
    },
}
