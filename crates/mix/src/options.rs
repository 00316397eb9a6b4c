//! Settings shared by several modes: where boxes and masks go ([`Region`]) and how often a
//! random choice is drawn ([`Granularity`]).

/// Where box and mask modes may put the partner's content (time-frequency awareness).
///
/// `H` is the frequency axis and `W` the time axis. `#[non_exhaustive]`: regions may be
/// added, so a `match` needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Region {
    /// Boxes and masks anywhere in the `H × W` plane (the image methods as published).
    #[default]
    Full,
    /// Full-height strips: only the time extent (columns) is drawn; an area fraction becomes
    /// a width fraction. FMix draws a 1-D mask along time, broadcast over frequency.
    TimeStrips,
    /// Full-width bands: only the frequency extent (rows) is drawn. FMix draws a 1-D mask
    /// along frequency, broadcast over time.
    FreqBands,
}

impl Region {
    /// The name used in [`RandomMix`](crate::RandomMix)'s string form: `full`, `time` or `freq`.
    pub fn name(self) -> &'static str {
        match self {
            Region::Full => "full",
            Region::TimeStrips => "time",
            Region::FreqBands => "freq",
        }
    }
}

/// How often a random choice is drawn: once per batch or once per sample.
/// `#[non_exhaustive]`: a `match` needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Granularity {
    /// One draw for the whole batch (the published methods, timm, openmixup).
    #[default]
    Batch,
    /// One draw per sample.
    Sample,
}

impl Granularity {
    /// The name used in [`RandomMix`](crate::RandomMix)'s string form: `batch` or `sample`.
    pub fn name(self) -> &'static str {
        match self {
            Granularity::Batch => "batch",
            Granularity::Sample => "sample",
        }
    }
}
