//! The perturbations of the robustness study: occlusion on the log-mel plane and FGSM.

use ndarray::{Array2, Array4, s};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::run::LoadedRun;
use crate::tensor::{soft_cross_entropy, tensor2, tensor4};

/// One perturbation family of the robustness study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Perturbation {
    /// White Gaussian noise at an SNR (dB).
    WhiteNoise,
    /// The dataset's background noise at an SNR (dB).
    BackgroundNoise,
    /// A random box with the plane's aspect ratio covering a share of the plane, set to the floor.
    OcclusionBox,
    /// A full-band strip covering a share of the frames.
    OcclusionTime,
    /// A full-time band covering a share of the mel bands.
    OcclusionBand,
    /// FGSM on the normalised log-mel input; severity is ε in dB.
    Fgsm,
}

impl Perturbation {
    /// All families.
    pub const ALL: [Perturbation; 6] = [
        Perturbation::WhiteNoise,
        Perturbation::BackgroundNoise,
        Perturbation::OcclusionBox,
        Perturbation::OcclusionTime,
        Perturbation::OcclusionBand,
        Perturbation::Fgsm,
    ];

    /// The name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Perturbation::WhiteNoise => "white_noise_snr_db",
            Perturbation::BackgroundNoise => "background_noise_snr_db",
            Perturbation::OcclusionBox => "occlusion_box_pct",
            Perturbation::OcclusionTime => "occlusion_time_pct",
            Perturbation::OcclusionBand => "occlusion_band_pct",
            Perturbation::Fgsm => "fgsm_eps_db",
        }
    }
}

pub(super) fn occlude(
    x: &mut Array4<f32>,
    kind: Perturbation,
    pct: f32,
    floor: f32,
    rng: &mut ChaCha8Rng,
) {
    let (b, _, h, w) = x.dim();
    let frac = (pct / 100.0).clamp(0.0, 1.0);
    for i in 0..b {
        let (bh, bw) = match kind {
            Perturbation::OcclusionTime => (h, ((w as f32 * frac).round() as usize).min(w)),
            Perturbation::OcclusionBand => (((h as f32 * frac).round() as usize).min(h), w),
            _ => {
                let r = frac.sqrt();
                (
                    ((h as f32 * r).round() as usize).min(h),
                    ((w as f32 * r).round() as usize).min(w),
                )
            }
        };
        let top = rng.random_range(0..=h - bh);
        let left = rng.random_range(0..=w - bw);
        x.slice_mut(s![i, .., top..top + bh, left..left + bw])
            .fill(floor);
    }
}

/// FGSM: `x + ε·sign(∇ₓ CE(model(x), y))` with the model in evaluation mode. A missing or
/// malformed gradient is an error ([`TrainError::NoGradient`]), never the clean input.
pub(super) fn fgsm(
    run: &LoadedRun,
    model_ad: &crate::model::KwsModel,
    x: &Array4<f32>,
    labels: &[usize],
    eps: f32,
) -> Result<Array4<f32>, TrainError> {
    if eps == 0.0 {
        return Ok(x.clone());
    }
    let no_gradient = |problem: &str| TrainError::NoGradient {
        model: run.checkpoint_name(),
        problem: problem.to_string(),
    };
    let ad = run.device.clone().autodiff();
    let k = run.classes().len();
    let mut y = Array2::<f32>::zeros((labels.len(), k));
    for (i, &l) in labels.iter().enumerate() {
        y[[i, l]] = 1.0;
    }
    let xt = tensor4(x.clone(), &ad).require_grad();
    let loss = soft_cross_entropy(model_ad.forward(xt.clone()), tensor2(y, &ad));
    let grads = loss.backward();
    let g = xt
        .grad(&grads)
        .ok_or_else(|| no_gradient("backpropagation did not reach the input"))?;
    let g: Vec<f32> = g
        .sign()
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| no_gradient(&format!("the gradient cannot be read: {e:?}")))?;
    let mut out = x.as_standard_layout().into_owned();
    let o = out
        .as_slice_mut()
        .ok_or_else(|| no_gradient("the input is not contiguous"))?;
    if g.len() != o.len() {
        return Err(no_gradient(&format!(
            "{} gradient values for {} inputs",
            g.len(),
            o.len()
        )));
    }
    for (v, s) in o.iter_mut().zip(g) {
        *v += eps * s;
    }
    Ok(out)
}
