#!/usr/bin/env python3
"""Writes the small WAV fixtures of tests/audio_decode.rs with libsndfile (soundfile), an
encoder independent of hound, plus soundfile's own decoding of the 16 kHz ones as
<name>.f32 (raw little-endian float32, mean of the channels) for exact comparison.

    /tmp/peers/bin/python tests/data/audio/make_fixtures.py tests/data/audio
"""
import os, struct, sys
import numpy as np
import soundfile as sf

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)


def tone(rate, secs, freq=1000.0, amp=0.5):
    t = np.arange(int(rate * secs)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def save(name, data, rate, subtype):
    path = os.path.join(out, name)
    sf.write(path, data, rate, subtype=subtype)
    if rate == 16000:
        back, _ = sf.read(path, dtype="float32", always_2d=True)
        back.mean(axis=1).astype("<f4").tofile(path[:-4] + ".f32")


x = tone(16000, 0.25) + 0.05 * rng.standard_normal(4000).astype(np.float32)
save("pcm16-16000Hz-mono.wav", x, 16000, "PCM_16")
save("pcm8-16000Hz-mono.wav", x, 16000, "PCM_U8")
save("pcm24-16000Hz-mono.wav", x, 16000, "PCM_24")
save("pcm32-16000Hz-mono.wav", x, 16000, "PCM_32")
save("float32-16000Hz-mono.wav", x, 16000, "FLOAT")
stereo = np.stack([x, -0.5 * x[::-1]], axis=1)
save("pcm16-16000Hz-stereo.wav", stereo, 16000, "PCM_16")
save("pcm16-8000Hz-mono.wav", tone(8000, 0.25), 8000, "PCM_16")
save("float32-44100Hz-stereo.wav", np.stack([tone(44100, 0.25)] * 2, axis=1), 44100, "FLOAT")

# Broken files.
good = open(os.path.join(out, "pcm16-16000Hz-mono.wav"), "rb").read()
open(os.path.join(out, "bad-text.wav"), "w").write("this is not audio\n")
open(os.path.join(out, "bad-truncated-data.wav"), "wb").write(good[: len(good) // 2])
big = bytearray(good[:44])
assert big[36:40] == b"data"
big[40:44] = struct.pack("<I", 0x7FFF_FFF0)  # claims ~2 GiB of samples
open(os.path.join(out, "bad-huge-header.wav"), "wb").write(bytes(big) + good[44:144])
nan = x.copy(); nan[100] = np.nan; nan[200] = np.inf
sf.write(os.path.join(out, "bad-nan.wav"), nan, 16000, subtype="FLOAT")
print("fixtures written to", out)
