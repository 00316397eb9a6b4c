//! A batch's dimensions, checked once before any mixing: `x: [B, C, H, W]` against `y: [B, K]`.

use ndarray::{ArrayView2, ArrayView4};

use crate::MixBatchError;

/// Batch dimensions after validation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dims {
    pub(crate) b: usize,
    pub(crate) c: usize,
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) k: usize,
}

impl Dims {
    /// Values per sample, `C·H·W`.
    pub(crate) fn sample_len(&self) -> usize {
        self.c * self.h * self.w
    }
    /// Cells per plane, `H·W`.
    pub(crate) fn plane_len(&self) -> usize {
        self.h * self.w
    }
}

/// Validates `x: [B, C, H, W]` against `y: [B, K]`.
pub(crate) fn check(
    x: &ArrayView4<'_, f32>,
    y: &ArrayView2<'_, f32>,
) -> Result<Dims, MixBatchError> {
    let (b, c, h, w) = x.dim();
    let (by, k) = y.dim();
    if b != by {
        return Err(MixBatchError::BatchMismatch {
            expected: b,
            actual: by,
        });
    }
    if b == 0 {
        return Err(MixBatchError::EmptyBatch);
    }
    if c == 0 || h == 0 || w == 0 {
        return Err(MixBatchError::EmptyPlane { shape: [c, h, w] });
    }
    if let Some(((row, col), &value)) = y.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(MixBatchError::NonFiniteTarget { row, col, value });
    }
    Ok(Dims { b, c, h, w, k })
}
