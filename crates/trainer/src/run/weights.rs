//! Loading a checkpoint's weights into a network: untrusted bytes decoded without a panic
//! reaching the user, and every parameter checked to be finite.

use std::path::Path;

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::error::TrainError;
use crate::model::{KwsModel, ModelConfig};

std::thread_local! {
    /// Set while this thread decodes untrusted bytes under [`catch_panic`].
    static QUIET_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs, once per process, a panic hook that stays silent for panics of a thread inside
/// [`catch_panic`] and hands every other panic to the hook that was there before. The hook is
/// never swapped back and forth, so panics of other threads are reported as usual.
fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into an error message; a panic of this thread meanwhile prints
/// nothing, so that no `panicked at` line reaches the user.
///
/// Used only around burn's decoding of checkpoint bytes: burn 0.22 checks the record's
/// structure and shapes and returns errors for them, but its burnpack parser and tensor
/// construction are third-party code reading untrusted bytes, and a `.ckpt` file from
/// elsewhere must give an error naming the file, never a crash.
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_quiet_hook();
    let was = QUIET_PANICS.with(|q| q.replace(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET_PANICS.with(|q| q.set(was));
    r.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

/// Builds the network of `cfg` on `device` with the weights in `bytes` (a checkpoint's model
/// section read from `path`), turning every failure, panics included, into an error naming `path`.
pub(crate) fn load_model(
    cfg: &ModelConfig,
    bytes: &[u8],
    device: &Device,
    path: &Path,
) -> Result<KwsModel, TrainError> {
    let bad = |problem: String| TrainError::Checkpoint {
        path: path.to_path_buf(),
        problem,
    };
    cfg.validate().map_err(|e| {
        bad(format!(
            "the model settings it is loaded into are not valid: {e}"
        ))
    })?;
    let loaded = catch_panic(|| {
        let record = burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(
            bytes.to_vec(),
        ))
        .map_err(|e| bad(format!("corrupt model section: {e}")))?;
        cfg.init(device)
            .try_load_record(record)
            .map_err(|e| bad(format!("weights do not fit the model in config.json: {e}")))
    });
    let model =
        loaded.unwrap_or_else(|panic| Err(bad(format!("corrupt model section ({panic})"))))?;
    check_finite_weights(&model, path)?;
    Ok(model)
}

/// Checks every parameter and batch-norm statistic of `model` (loaded from `path`) for NaN
/// and infinite values: [`TrainError::NonFiniteWeights`] naming `path` when there are any.
pub(crate) fn check_finite_weights(model: &KwsModel, path: &Path) -> Result<(), TrainError> {
    #[derive(Default)]
    struct Finder {
        path: Vec<String>,
        first: Option<String>,
        count: usize,
    }
    impl burn::module::ModuleVisitor for Finder {
        fn enter_module(&mut self, name: &str, _container_type: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            let data = param.val().into_data();
            let bad = data.iter::<f32>().filter(|v| !v.is_finite()).count();
            if bad > 0 {
                self.count += bad;
                self.first.get_or_insert_with(|| self.path.join("."));
            }
        }
    }
    let mut f = Finder::default();
    model.visit(&mut f);
    match f.first {
        None => Ok(()),
        Some(parameter) => Err(TrainError::NonFiniteWeights {
            path: path.to_path_buf(),
            parameter,
            count: f.count,
        }),
    }
}
