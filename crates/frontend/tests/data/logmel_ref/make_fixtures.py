#!/usr/bin/env python3
"""Copies the reference clips from the bundled data set and writes librosa's log-mels.

    /tmp/peers/bin/python tests/data/logmel_ref/make_fixtures.py data tests/data/logmel_ref

Run from the repository root. The WAVs are copied (not referenced) so that the test does
not depend on the layout of data/; the two derived clips are written with soundfile
(16-bit PCM). Then peers/logmel_reference.py writes <stem>.npy for every WAV here, and
the three filterbanks are saved as melfb_*.npy.
"""
import os, shutil, subprocess, sys
import numpy as np
import soundfile as sf

data, out = sys.argv[1], sys.argv[2]
clips = {
    "yes_0a495d81": "yes/0a495d81_nohash_0.wav",
    "no_0dfe816e": "no/0dfe816e_nohash_0.wav",  # the quietest clip (peak -12 dBFS)
    "up_0e3ec394": "up/0e3ec394_nohash_0.wav",
    "down_df48685c": "down/df48685c_nohash_0.wav",
    "left_2984ad91": "left/2984ad91_nohash_0.wav",
    "right_b9e57781": "right/b9e57781_nohash_0.wav",
    "on_24343db1": "on/24343db1_nohash_0.wav",
    "off_975451d1": "off/975451d1_nohash_0.wav",
    "stop_f3eeb4af": "stop/f3eeb4af_nohash_0.wav",
    "go_8a765c29": "go/8a765c29_nohash_0.wav",
    "marvin_cce2719d": "marvin/cce2719d_nohash_0.wav",
    "wow_ba31d409_1": "wow/ba31d409_nohash_1.wav",
}
os.makedirs(out, exist_ok=True)
for stem, rel in clips.items():
    shutil.copyfile(os.path.join(data, rel), os.path.join(out, stem + ".wav"))
# A very quiet clip: the quietest one at -40 dB (peak about -52 dBFS, a few LSB of noise).
x, sr = sf.read(os.path.join(data, clips["no_0dfe816e"]), dtype="float32")
sf.write(os.path.join(out, "quiet_no_0dfe816e.wav"), x * 0.01, sr, subtype="PCM_16")
# One second of background noise (mains hum and fan rumble), from 2.0 s.
x, sr = sf.read(os.path.join(data, "_background_noise_/hum.wav"), dtype="float32")
sf.write(os.path.join(out, "noise_hum_2s.wav"), x[2 * sr:3 * sr], sr, subtype="PCM_16")

# The filterbanks (float32 [40, 257]): Slaney scale and HTK scale with Slaney norm, and
# Slaney scale without norm.
import librosa
for name, htk, norm in [("slaney", False, "slaney"), ("htk", True, "slaney"),
                        ("slaney_nonorm", False, None)]:
    fb = librosa.filters.mel(sr=16000, n_fft=512, n_mels=40, fmin=20.0, fmax=8000.0,
                             htk=htk, norm=norm)
    np.save(os.path.join(out, f"melfb_{name}.npy"), fb.astype(np.float32))

wavs = sorted(os.path.join(out, f) for f in os.listdir(out) if f.endswith(".wav"))
peers = os.environ.get("PEERS", "/work/shared/peers")
subprocess.run([sys.executable, os.path.join(peers, "logmel_reference.py"), out] + wavs,
               check=True)
