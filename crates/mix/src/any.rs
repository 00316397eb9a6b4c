//! One mode chosen at run time: its settings ([`ModeConfig`]) and the built mixer
//! ([`AnyMixer`]).

use ndarray::{ArrayView2, ArrayView4};
use rand::RngCore;

use crate::engine::Draws;
use crate::{
    CutMix, CutMixConfig, FMix, FMixConfig, MixConfigError, MixError, Mixed, Mixer, Mixup,
    MixupConfig, Mode, ResizeMix, ResizeMixConfig,
};

/// The settings of one mode, for building an [`AnyMixer`] or a
/// [`RandomMix`](crate::RandomMix) candidate. One variant per [`Mode`], and like [`Mode`]
/// `#[non_exhaustive]`. Build one with the variant or with `From` (`config.into()`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ModeConfig {
    /// [`Mixup`] settings.
    Mixup(MixupConfig),
    /// [`CutMix`] settings.
    CutMix(CutMixConfig),
    /// [`ResizeMix`] settings.
    ResizeMix(ResizeMixConfig),
    /// [`FMix`] settings.
    FMix(FMixConfig),
}

impl ModeConfig {
    /// The default settings of `mode`.
    pub fn default_for(mode: Mode) -> Self {
        match mode {
            Mode::Mixup => ModeConfig::Mixup(MixupConfig::default()),
            Mode::CutMix => ModeConfig::CutMix(CutMixConfig::default()),
            Mode::ResizeMix => ModeConfig::ResizeMix(ResizeMixConfig::default()),
            Mode::FMix => ModeConfig::FMix(FMixConfig::default()),
        }
    }

    /// Which mode these settings are for.
    pub fn mode(&self) -> Mode {
        match self {
            ModeConfig::Mixup(_) => Mode::Mixup,
            ModeConfig::CutMix(_) => Mode::CutMix,
            ModeConfig::ResizeMix(_) => Mode::ResizeMix,
            ModeConfig::FMix(_) => Mode::FMix,
        }
    }

    /// Builds the mixer. This is cheap for every mode (FMix plans its FFTs on first use).
    ///
    /// # Errors
    ///
    /// The errors of the mode's `new` ([`MixConfigError::InvalidAlpha`],
    /// [`MixConfigError::InvalidDecay`], [`MixConfigError::InvalidScaleRange`]).
    pub fn build(&self) -> Result<AnyMixer, MixConfigError> {
        Ok(match *self {
            ModeConfig::Mixup(c) => AnyMixer::Mixup(Mixup::new(c)?),
            ModeConfig::CutMix(c) => AnyMixer::CutMix(CutMix::new(c)?),
            ModeConfig::ResizeMix(c) => AnyMixer::ResizeMix(ResizeMix::new(c)?),
            ModeConfig::FMix(c) => AnyMixer::FMix(FMix::new(c)?),
        })
    }
}

impl From<MixupConfig> for ModeConfig {
    fn from(c: MixupConfig) -> Self {
        ModeConfig::Mixup(c)
    }
}
impl From<CutMixConfig> for ModeConfig {
    fn from(c: CutMixConfig) -> Self {
        ModeConfig::CutMix(c)
    }
}
impl From<ResizeMixConfig> for ModeConfig {
    fn from(c: ResizeMixConfig) -> Self {
        ModeConfig::ResizeMix(c)
    }
}
impl From<FMixConfig> for ModeConfig {
    fn from(c: FMixConfig) -> Self {
        ModeConfig::FMix(c)
    }
}

/// Any one of the four modes, chosen at run time, as a value (`Clone`, `Debug`, its
/// [`ModeConfig`] at hand). A `Box<dyn Mixer>` works too; this enum needs no allocation.
/// One variant per [`Mode`], and like [`Mode`] `#[non_exhaustive]`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyMixer {
    /// A [`Mixup`].
    Mixup(Mixup),
    /// A [`CutMix`].
    CutMix(CutMix),
    /// A [`ResizeMix`].
    ResizeMix(ResizeMix),
    /// An [`FMix`].
    FMix(FMix),
}

impl AnyMixer {
    /// The mode of the wrapped mixer.
    pub fn mode(&self) -> Mode {
        match self {
            AnyMixer::Mixup(_) => Mode::Mixup,
            AnyMixer::CutMix(_) => Mode::CutMix,
            AnyMixer::ResizeMix(_) => Mode::ResizeMix,
            AnyMixer::FMix(_) => Mode::FMix,
        }
    }

    /// The wrapped mixer's settings.
    pub fn config(&self) -> ModeConfig {
        match self {
            AnyMixer::Mixup(m) => ModeConfig::Mixup(*m.config()),
            AnyMixer::CutMix(m) => ModeConfig::CutMix(*m.config()),
            AnyMixer::ResizeMix(m) => ModeConfig::ResizeMix(*m.config()),
            AnyMixer::FMix(m) => ModeConfig::FMix(*m.config()),
        }
    }

    /// The wrapped mixer.
    fn as_mixer(&self) -> &(dyn Mixer + Send + Sync) {
        match self {
            AnyMixer::Mixup(m) => m,
            AnyMixer::CutMix(m) => m,
            AnyMixer::ResizeMix(m) => m,
            AnyMixer::FMix(m) => m,
        }
    }

    /// A drawer for one batch, for [`RandomMix`](crate::RandomMix)'s per-sample choice.
    pub(crate) fn drawer(&self) -> Box<dyn Draws + '_> {
        match self {
            AnyMixer::Mixup(m) => Box::new(m),
            AnyMixer::CutMix(m) => Box::new(m),
            AnyMixer::ResizeMix(m) => Box::new(m),
            AnyMixer::FMix(m) => Box::new(m.drawer()),
        }
    }
}

impl Mixer for AnyMixer {
    fn mix_with(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: Option<&[usize]>,
        rng: &mut dyn RngCore,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        self.as_mixer().mix_with(x, y, partners, rng, out)
    }
}
