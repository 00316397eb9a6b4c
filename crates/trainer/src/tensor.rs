//! Conversions between ndarray arrays and burn tensors, and the soft-target loss.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::{Array2, Array4};

/// Converts an ndarray batch to a burn tensor on `device`.
pub fn tensor4(x: Array4<f32>, device: &Device) -> Tensor<4> {
    let shape = x.shape().to_vec();
    let data = x.into_raw_vec_and_offset().0;
    Tensor::from_data(
        TensorData::new(data, [shape[0], shape[1], shape[2], shape[3]]),
        device,
    )
}

/// Converts a `[B, K]` array to a burn tensor on `device`.
pub fn tensor2(x: Array2<f32>, device: &Device) -> Tensor<2> {
    let (a, b) = x.dim();
    let data = x.into_raw_vec_and_offset().0;
    Tensor::from_data(TensorData::new(data, [a, b]), device)
}

/// Soft-target cross-entropy: `−Σ t · log_softmax(z)`, mean over the batch.
pub fn soft_cross_entropy(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    (targets * log_softmax(logits, 1)).sum_dim(1).mean().neg()
}
