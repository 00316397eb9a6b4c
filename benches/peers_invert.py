#!/usr/bin/env python3
"""librosa's mel inversion on bundled clips, for comparison with randommix's
features::mel_to_audio (benches/logmel.rs `invert/*`, and the SC figures of
tests/features_invert.rs).

For each clip: canonical log-mel (peers/common.py) -> power mel -> librosa
`mel_to_stft` (NNLS) + `griffinlim` (n_iter, momentum 0.99, init='random', seeded),
which is exactly what `librosa.feature.inverse.mel_to_audio` does. Prints the wall
time per clip (wall and this thread's CPU; NNLS and Griffin-Lim apart) and the spectral convergence
    SC = ||S_target - |STFT(y)| ||_F / ||S_target||_F
against the original clip's |STFT| and against the NNLS magnitude, and the mean
|delta log-mel| (dB, cells within 80 dB of the clip's maximum).

    /tmp/peers/bin/python benches/peers_invert.py data/synthetic/yes/*.wav [--n-iter 32] [--threads 1]
        [--repeat 3]
"""
import argparse, os, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("wavs", nargs="+")
ap.add_argument("--n-iter", type=int, default=32)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--repeat", type=int, default=1,
                help="time each clip this many times and keep the fastest (robust to load)")
a = ap.parse_args()
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = str(a.threads)

import numpy as np
import librosa

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "peers"))
sys.path.insert(0, "/work/shared/peers")
from common import SR, N_FFT, WIN, HOP, FMIN, FMAX, load_clip, librosa_logmel


def mag(y):
    return np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, win_length=WIN, window="hann",
                               center=True, pad_mode="constant"))


def sc(target, y):
    got = mag(y)
    t = target.shape[1]
    got = got[:, :t] if got.shape[1] >= t else np.pad(got, ((0, 0), (0, t - got.shape[1])))
    return float(np.linalg.norm(target - got) / np.linalg.norm(target))


t_nnls = t_gl = cpu = t_best = 0.0
sc_o, sc_t, mel_err = [], [], []
for i, w in enumerate(a.wavs):
    x = load_clip(w)
    lm = librosa_logmel(x)
    M = librosa.db_to_power(lm)
    best = float("inf")
    for _ in range(a.repeat):
        c0 = time.thread_time()
        t0 = time.perf_counter()
        S = librosa.feature.inverse.mel_to_stft(M, sr=SR, n_fft=N_FFT, power=2.0, fmin=FMIN,
                                                fmax=FMAX, htk=False, norm="slaney")
        t1 = time.perf_counter()
        y = librosa.griffinlim(S, n_iter=a.n_iter, hop_length=HOP, win_length=WIN,
                               n_fft=N_FFT, window="hann", center=True, pad_mode="constant",
                               momentum=0.99, init="random", random_state=i)
        t2 = time.perf_counter()
        cpu += time.thread_time() - c0
        t_nnls += t1 - t0
        t_gl += t2 - t1
        best = min(best, t2 - t0)
    t_best += best
    sc_o.append(sc(mag(x), y))
    sc_t.append(sc(S, y))
    lm2 = librosa_logmel(np.pad(y, (0, max(0, SR - len(y))))[:SR].astype(np.float32))
    keep = lm > lm.max() - 80
    mel_err.append(float(np.abs(lm - lm2)[keep].mean()))

n = len(a.wavs)
r = n * a.repeat
print(f"librosa: {librosa.__version__}, n_iter={a.n_iter}, {n} clips x {a.repeat}, "
      f"{a.threads} thread(s)")
print(f"librosa_mel_to_audio: {(t_nnls + t_gl) / r * 1e3:.1f} ms/clip wall, "
      f"{cpu / r * 1e3:.1f} ms/clip CPU (this thread), {t_best / n * 1e3:.1f} ms/clip best of "
      f"{a.repeat}")
print(f"librosa_nnls: {t_nnls / r * 1e3:.1f} ms/clip")
print(f"librosa_griffinlim: {t_gl / r * 1e3:.1f} ms/clip")
print(f"librosa_sc_vs_original: {np.mean(sc_o):.4f}")
print(f"librosa_sc_vs_nnls_target: {np.mean(sc_t):.4f}")
print(f"librosa_mean_abs_dlogmel: {np.mean(mel_err):.3f} dB")
