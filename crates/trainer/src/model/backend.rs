//! The choice of compute backend and device.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// The compute backends this build offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// burn-flex, the pure-Rust CPU backend (default).
    Flex,
    /// burn-ndarray (deprecated in burn 0.22; needs the `ndarray` cargo feature).
    Ndarray,
    /// wgpu on Vulkan (needs the `vulkan` cargo feature).
    Vulkan,
    /// wgpu on whichever graphics API the platform has (needs the `wgpu` cargo feature).
    Wgpu,
}

impl Backend {
    /// Every backend name, as [`FromStr`](std::str::FromStr) and [`Display`](std::fmt::Display) spell it.
    pub const NAMES: [&'static str; 4] = ["flex", "ndarray", "vulkan", "wgpu"];

    /// The device for this backend, or an error saying which cargo feature is missing.
    pub fn device(self) -> Result<Device, String> {
        match self {
            Backend::Flex => Ok(Device::flex()),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            Backend::Ndarray => Ok(Device::ndarray()),
            #[cfg(feature = "vulkan")]
            Backend::Vulkan => Ok(Device::vulkan(Default::default())),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => Ok(Device::wgpu(Default::default())),
            #[allow(unreachable_patterns)]
            other => Err(format!(
                "backend {other:?} is not in this build; rebuild with `--features {}`",
                match other {
                    Backend::Ndarray => "ndarray",
                    Backend::Vulkan => "vulkan",
                    _ => "wgpu",
                }
            )),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Flex => "flex",
            Backend::Ndarray => "ndarray",
            Backend::Vulkan => "vulkan",
            Backend::Wgpu => "wgpu",
        })
    }
}

impl std::str::FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "flex" => Ok(Backend::Flex),
            "ndarray" => Ok(Backend::Ndarray),
            "vulkan" => Ok(Backend::Vulkan),
            "wgpu" => Ok(Backend::Wgpu),
            _ => Err(format!(
                "unknown backend {s:?}; one of {}",
                Backend::NAMES.join(", ")
            )),
        }
    }
}
