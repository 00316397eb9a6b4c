//! The [`Mixer`] trait shared by every mode and by [`RandomMix`](crate::RandomMix).

use ndarray::{ArrayView2, ArrayView4};
use rand::RngCore;

use crate::{MixError, Mixed};

/// A batch mixing method.
///
/// Implemented by every mode ([`Mixup`](crate::Mixup), [`CutMix`](crate::CutMix),
/// [`ResizeMix`](crate::ResizeMix), [`FMix`](crate::FMix)), by the enum
/// [`AnyMixer`](crate::AnyMixer) and by [`RandomMix`](crate::RandomMix).
///
/// The trait is object-safe: randomness is taken as `&mut dyn RngCore`, to which
/// `&mut rng` coerces for any sized RNG (`&mut ChaCha8Rng`, `&mut StdRng`, a generic
/// `&mut impl Rng`, ...). Mixers can therefore be held as `Box<dyn Mixer + Send + Sync>` or
/// `&dyn Mixer`. Dynamic dispatch does not change the random stream: the same seed gives the
/// same output whichever way the RNG is passed.
///
/// Implementors write one method, [`Mixer::mix_with`]; the others are provided.
pub trait Mixer {
    /// Mixes a batch into `out`: sample `i` is mixed with `partners[i]`, or, when `partners`
    /// is `None`, with `π(i)` for a random permutation `π` drawn from `rng` first. Every other
    /// draw (mode, `λ`, box, mask) comes from `rng` after that.
    ///
    /// This is the one required method; [`Mixer::mix_into`] is `mix_with(.., None, ..)` and
    /// [`Mixer::mix_pairs_into`] is `mix_with(.., Some(partners), ..)`, whose docs give the
    /// full contract (shapes, buffer reuse, errors).
    ///
    /// # Errors
    ///
    /// Those of [`Mixer::mix_pairs_into`] (the partner errors only when `partners` is given).
    /// On error `out` is left unchanged.
    fn mix_with(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: Option<&[usize]>,
        rng: &mut dyn RngCore,
        out: &mut Mixed,
    ) -> Result<(), MixError>;

    /// Mixes a batch into `out`, reusing its buffers when their shapes already match.
    ///
    /// `out` may be [`Mixed::default()`]; it is resized as needed, so a caller that keeps one
    /// `Mixed` across batches of a fixed shape reuses its input, target and record storage and
    /// allocates only small per-batch buffers (the permutation, ResizeMix's interpolation
    /// taps, FMix's masks, which the records keep).
    ///
    /// # Shapes
    ///
    /// `x: [B, C, H, W]`, `y: [B, K]`; `out.x` becomes `[B, C, H, W]`, `out.y` `[B, K]` and
    /// `out.records` holds `B` records in batch order.
    ///
    /// # Errors
    ///
    /// [`MixError::Batch`] with [`MixBatchError::BatchMismatch`](crate::MixBatchError::BatchMismatch)
    /// if `x` and `y` disagree on `B`, [`EmptyBatch`](crate::MixBatchError::EmptyBatch) if
    /// `B = 0`, [`EmptyPlane`](crate::MixBatchError::EmptyPlane) if `C`, `H` or `W` is zero
    /// and [`NonFiniteTarget`](crate::MixBatchError::NonFiniteTarget) if `y` holds a NaN or
    /// an infinity. On error `out` is left unchanged.
    fn mix_into(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        rng: &mut dyn RngCore,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        self.mix_with(x, y, None, rng, out)
    }

    /// Mixes a batch and returns newly allocated outputs.
    ///
    /// Same contract as [`Mixer::mix_into`].
    fn mix(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        rng: &mut dyn RngCore,
    ) -> Result<Mixed, MixError> {
        let mut out = Mixed::default();
        self.mix_with(x, y, None, rng, &mut out)?;
        Ok(out)
    }

    /// Mixes a batch with caller-chosen partners into `out`: sample `i` is mixed with
    /// sample `partners[i]` instead of a random permutation. Every other draw (mode, `λ`,
    /// box, mask) comes from `rng` as in [`Mixer::mix_into`], which is the same as this method
    /// with the permutation drawn from `rng` first.
    ///
    /// `partners` need not be a permutation: `[1, 0]` mixes a pair both ways, `[1, 1]` mixes
    /// sample 0 with sample 1 and leaves sample 1 unchanged (`partners[i] == i` makes sample
    /// `i` self-paired).
    ///
    /// # Errors
    ///
    /// Those of [`Mixer::mix_into`], and [`MixError::Batch`] with
    /// [`MixBatchError::PartnerCount`](crate::MixBatchError::PartnerCount) if `partners` does
    /// not have one entry per sample or
    /// [`PartnerOutOfRange`](crate::MixBatchError::PartnerOutOfRange) if an entry is not a
    /// batch index. On error `out` is left unchanged.
    fn mix_pairs_into(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: &[usize],
        rng: &mut dyn RngCore,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        self.mix_with(x, y, Some(partners), rng, out)
    }

    /// Mixes a batch with caller-chosen partners and returns newly allocated outputs.
    ///
    /// Same contract as [`Mixer::mix_pairs_into`].
    ///
    /// ```
    /// use ndarray::{Array2, Array4};
    /// use rand::SeedableRng;
    /// use rand_chacha::ChaCha8Rng;
    /// use randommix_mix::{Mixer, RandomMix};
    ///
    /// let x = Array4::from_shape_fn((2, 1, 40, 101), |(b, _, _, _)| b as f32);
    /// let y = Array2::from_shape_fn((2, 2), |(b, k)| if b == k { 1.0 } else { 0.0 });
    /// let mixer: RandomMix = "cutmix".parse()?;
    /// let mixed = mixer.mix_pairs(x.view(), y.view(), &[1, 0], &mut ChaCha8Rng::seed_from_u64(1))?;
    /// assert_eq!(mixed.records[0].partner, 1);
    /// assert!(!mixed.records[0].self_paired);
    /// # Ok::<(), randommix_mix::MixError>(())
    /// ```
    fn mix_pairs(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: &[usize],
        rng: &mut dyn RngCore,
    ) -> Result<Mixed, MixError> {
        let mut out = Mixed::default();
        self.mix_with(x, y, Some(partners), rng, &mut out)?;
        Ok(out)
    }
}
