#!/usr/bin/env python3
"""Synthesize a small Speech-Commands-shaped keyword-spotting dataset.

Every clip is made by espeak-ng (a formant synthesizer) and post-processed
with sox, then trimmed, levelled and placed at a random offset inside a
1 s, 16 kHz, 16-bit mono WAV.  The layout is that of Google Speech Commands:

    <out>/<word>/<speaker>_nohash_<n>.wav
    <out>/_background_noise_/*.wav
    <out>/validation_list.txt, <out>/testing_list.txt   (voices held out)
    <out>/testing_indomain_list.txt                     (new speakers, training voices)
    <out>/speakers.csv                (synthesis parameters and split of each speaker)

The splits are "leave-voices-out": validation and testing speakers use
espeak-ng voice families, variants and microphone chains that never occur in
training (different ones for validation and for testing).  Clips in none of
the three lists are training.

Requirements: Python 3 (stdlib only) and the command-line tools
    apt-get install espeak-ng sox

Usage (from the repository root):
    python3 data/make_dataset.py --jobs 2        # full set into data/
    python3 data/make_dataset.py --limit 3 --out /tmp/kws_small
    python3 data/make_dataset.py --show-voices   # text and phonemes per voice/word

The same --seed (with the same espeak-ng / sox versions) gives the same set
of speakers, files and synthesis parameters; all randomness is derived from
the seed, per clip, so the number of parallel jobs does not matter.
"""

import argparse
import array
import csv
import hashlib
import math
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import wave

SAMPLE_RATE = 16000
CLIP_SAMPLES = SAMPLE_RATE  # exactly 1 s
MAX_WORD_SAMPLES = int(0.95 * SAMPLE_RATE)
TARGET_FIT_SAMPLES = int(0.92 * SAMPLE_RATE)

COMMAND_WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
UNKNOWN_WORDS = ["bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow"]

# Splits.  Validation and testing are "leave-voices-out": their speakers use
# voice families, variants and microphone chains that never occur in training
# (and validation and testing use different ones).  testing_indomain holds new
# speakers made from the training voices, variants and chains.
SPLITS = ("training", "validation", "testing", "testing_indomain")
LIST_FILES = {
    "validation": "validation_list.txt",
    "testing": "testing_list.txt",
    "testing_indomain": "testing_indomain_list.txt",
}
# Which voice group (families, variants, chains) each split draws from.
SPLIT_GROUP = {"training": "train", "validation": "val", "testing": "test",
               "testing_indomain": "train"}

# espeak-ng voices: (voice, family, group, weight, respellings).
# A family groups voices that are near-identical (same phonemes, similar
# sound); a family belongs to exactly one group.  weight: relative number of
# speakers.  respellings: text given to espeak-ng instead of the English word,
# written in that language's own spelling so that the voice says (an accented
# version of) the English word instead of reading it by its own letter rules
# or switching to its English dictionary.  Every voice/word is checked at run
# time: no language switch in `espeak-ng -x`, the 10 command words must have
# distinct phoneme strings, and the audio must differ from every other voice.
_AP = {"up": "ap"}
VOICE_TABLE = [
    # --- training voices
    ("en-us", "en-us", "train", 2, {}),
    ("en-us-nyc", "en-us", "train", 2, {}),
    ("en-gb", "en-gb", "train", 2, {}),
    ("en-gb-x-rp", "en-gb", "train", 2, {}),
    ("en-gb-x-gbclan", "en-gb-x-gbclan", "train", 2, {}),
    ("en-gb-x-gbcwmd", "en-gb-x-gbcwmd", "train", 2, {}),
    ("de", "de", "train", 1, dict(_AP, up="app", down="daun", right="rait", bird="börd",
                                  cat="kät", house="haus", sheila="schiela", tree="tri",
                                  wow="wau")),
    ("es", "es", "train", 1, dict(_AP, right="rait", happy="japi", house="jaus",
                                  tree="tri", wow="uau")),
    ("es-419", "es", "train", 1, dict(_AP, right="rait", happy="japi", house="jaus",
                                      tree="tri", wow="uau")),
    ("it", "it", "train", 1, dict(_AP, right="rait", happy="eppi", house="aus",
                                  sheila="scila", tree="tri")),
    ("pl", "pl", "train", 1, dict(_AP, cat="ket", happy="hepi", house="hałs",
                                  sheila="szila", tree="tri", wow="łał")),
    ("sv", "sv", "train", 1, dict(yes="jes", no="nåu", up="app", down="daun", right="rajt",
                                  on="ånn", stop="ståpp", go="gåu", bed="bedd", bird="börd",
                                  cat="katt", dog="dågg", happy="häppi", house="haus",
                                  sheila="schila", tree="tri", wow="wau")),
    ("fi", "fi", "train", 1, dict(_AP, yes="jes", down="daun", right="rait", bird="böörd",
                                  cat="ket", happy="häppi", house="haus", sheila="siila",
                                  tree="trii", wow="vau")),
    ("hu", "hu", "train", 1, dict(_AP, yes="jesz", no="nó", down="daun", right="rájt",
                                  stop="sztop", go="gó", bird="börd", cat="ket",
                                  happy="heppi", house="hausz", sheila="síla", tree="trí",
                                  wow="vau")),
    ("id", "id", "train", 1, dict(_AP, right="rait", cat="ket", happy="hepi", house="haus",
                                  sheila="syila", tree="tri")),
    ("sw", "sw", "train", 1, dict(_AP, right="rait", happy="hepi", house="haus",
                                  sheila="shila", tree="tri")),
    ("tr", "tr", "train", 1, dict(up="app", right="rayt", cat="ket", happy="hepi", house="haus",
                                  sheila="şila", tree="tri", wow="vav")),
    ("ru", "ru", "train", 1, dict(
        yes="йес", no="ноу", up="ап", down="даун", left="лефт", right="райт", on="он",
        off="офф", stop="стоп", go="гоу", bed="бед", bird="бёрд", cat="кэт", dog="дог",
        happy="хэппи", house="хаус", marvin="марвин", sheila="шила", tree="три", wow="уау")),
    # --- validation voices (held out from training and from testing)
    ("en-gb-scotland", "en-gb-scotland", "val", 2, {}),
    ("nl", "nl", "val", 1, dict(_AP, right="rait", cat="ket", happy="heppi", house="haus",
                                sheila="sjiela", tree="trie", wow="wau")),
    ("ro", "ro", "val", 1, dict(_AP, right="rait", happy="hepi", house="haus",
                                sheila="șila", tree="tri", wow="uau")),
    # --- testing voices (held out from training and from validation)
    ("en-029", "en-029", "test", 2, {}),
    ("pt-br", "pt", "test", 1, dict(_AP, no="nou", house="ráus")),
    ("cs", "cs", "test", 1, dict(_AP, yes="jes", cat="ket", happy="hepi", house="haus",
                                 sheila="šíla", tree="trí", wow="vau")),
    ("hi", "hi", "test", 1, dict(
        yes="यस", no="नो", up="अप", down="डाउन", left="लेफ़्ट", right="राइट", on="ऑन",
        off="ऑफ़", stop="स्टॉप", go="गो", bed="बेड", bird="बर्ड", cat="कैट", dog="डॉग",
        happy="हैप्पी", house="हाउस", marvin="मार्विन", sheila="शीला", tree="ट्री", wow="वाउ")),
]

# Share of the usable variants held out for validation and for testing (the
# rest, and "no variant", are training variants).
HELDOUT_VARIANTS = {"val": 16, "test": 20}

# "Microphone" chains applied by sox (one per speaker), by group.  The
# validation and testing chains never occur in training.
MIC_CHAINS = {
    "train": [
        ("flat", []),
        ("flat", []),
        ("hp150", ["highpass", "150"]),
        ("telephone", ["sinc", "300-3400"]),
        ("lp3500", ["lowpass", "3500"]),
        ("thin", ["bass", "-8", "treble", "+4"]),
        ("dull", ["highpass", "100", "treble", "-6"]),
    ],
    "val": [
        ("presence", ["equalizer", "1500", "1q", "+6"]),
        ("band300-5000", ["highpass", "300", "lowpass", "5000"]),
        ("cheap-mic", ["overdrive", "6", "10", "lowpass", "5000"]),
    ],
    "test": [
        ("notch800", ["equalizer", "800", "2q", "-8"]),
        ("muffled", ["lowpass", "2500", "bass", "+4"]),
        ("headset", ["highpass", "250", "equalizer", "3000", "1q", "+8"]),
    ],
}

# Defaults of the committed set.
DEFAULT_SEED = 20240611
# Speakers per split.
SPEAKERS_PER_SPLIT = {"training": 130, "validation": 30, "testing": 40, "testing_indomain": 24}
# Chance that a speaker says a given command word, per split.
COMMAND_PARTICIPATION = {"training": 0.66, "validation": 0.5, "testing": 0.48,
                         "testing_indomain": 0.56}
REPEAT_PROBABILITY = 0.03      # chance of an extra take (n=1) of a word by a speaker
# Speakers saying each unknown word, per split.
UNKNOWN_SPEAKERS_PER_WORD = {"training": 15, "validation": 2, "testing": 3,
                             "testing_indomain": 2}
PITCH_RANGE = (15, 85)         # espeak-ng -p
SPEED_RANGE = (130, 210)       # espeak-ng -s, words per minute

# Babble vocabulary: no command or unknown words in it.
BABBLE_WORDS = (
    "the a we they some many very little water morning table window garden "
    "people yesterday after before maybe because coffee paper station "
    "number letter market summer winter music picture teacher kitchen "
    "really always never often quickly slowly about under behind between "
    "little children moment answer question evening weather travel"
).split()


def sub_rng(*parts):
    """An independent random.Random derived from the given parts."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(h[:16], "big"))


# ---------------------------------------------------------------- tools

def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" % (
            p.returncode, " ".join(cmd), p.stderr.decode("utf-8", "replace")))
    return p.stdout


def tool_versions():
    esp = run(["espeak-ng", "--version"]).decode().strip()
    sox = run(["sox", "--version"]).decode().strip()
    return esp, sox


def espeak_data_dir():
    out = run(["espeak-ng", "--version"]).decode()
    m = re.search(r"Data at:\s*(\S.*)$", out.strip())
    if not m:
        raise RuntimeError("cannot find espeak-ng data dir in: " + out)
    return m.group(1).strip()


def espeak_wav(voice, text, pitch=50, speed=175, tmpdir=None):
    """Run espeak-ng; return the WAV bytes it wrote."""
    fd, path = tempfile.mkstemp(suffix=".wav", dir=tmpdir)
    os.close(fd)
    try:
        run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", path, text])
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def sox_to_float(wav_bytes, effects):
    """WAV bytes -> list of float samples at 16 kHz mono after sox effects."""
    raw = run(["sox", "-R", "-V1", "-t", "wav", "-",
               "-t", "raw", "-e", "floating-point", "-b", "32", "-L",
               "-r", str(SAMPLE_RATE), "-c", "1", "-"] + effects, stdin=wav_bytes)
    return floats_from_raw(raw)


def sox_float_effects(samples, effects):
    raw_in = array.array("f", samples)
    if sys.byteorder != "little":
        raw_in.byteswap()
    fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-L",
           "-r", str(SAMPLE_RATE), "-c", "1"]
    raw = run(["sox", "-R", "-V1"] + fmt + ["-"] + fmt + ["-"] + effects,
              stdin=raw_in.tobytes())
    return floats_from_raw(raw)


def sox_synth(seconds, effects):
    fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-L",
           "-r", str(SAMPLE_RATE), "-c", "1"]
    raw = run(["sox", "-R", "-V1", "-n"] + fmt + ["-", "synth", "%g" % seconds] + effects)
    return floats_from_raw(raw)[: int(seconds * SAMPLE_RATE)]


def floats_from_raw(raw):
    a = array.array("f")
    a.frombytes(raw[: len(raw) - len(raw) % 4])
    if sys.byteorder != "little":
        a.byteswap()
    return list(a)


def write_wav16(path, samples_int):
    a = array.array("h", samples_int)
    if sys.byteorder != "little":
        a.byteswap()
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(a.tobytes())


def quantize(samples):
    out = []
    for x in samples:
        v = int(round(x * 32767.0))
        out.append(32767 if v > 32767 else (-32768 if v < -32768 else v))
    return out


def peak(samples):
    return max((abs(x) for x in samples), default=0.0)


# ---------------------------------------------------------------- voices

def discover_variants(tmpdir, log):
    """Variant file names under espeak-ng-data/voices/!v that really change the voice.

    espeak-ng silently falls back to the plain voice for an unknown variant,
    so every name is checked by synthesis: variants whose output equals the
    plain voice, or equals an earlier variant's output, are dropped.
    """
    vdir = os.path.join(espeak_data_dir(), "voices", "!v")
    names = sorted(n for n in os.listdir(vdir) if os.path.isfile(os.path.join(vdir, n)))
    probe = "yes no up down left right on off stop go"
    base = hashlib.sha1(espeak_wav("en-us", probe, tmpdir=tmpdir)).hexdigest()
    seen = {base: "(no variant)"}
    kept, dropped = [], []
    for n in names:
        h = hashlib.sha1(espeak_wav("en-us+" + n, probe, tmpdir=tmpdir)).hexdigest()
        if h in seen:
            dropped.append((n, seen[h]))
        else:
            seen[h] = n
            kept.append(n)
    log("espeak-ng variants in %s: %d files, %d distinct, dropped %s" % (
        vdir, len(names), len(kept),
        ", ".join("%s (= %s)" % d for d in dropped) or "none"))
    return kept, dropped


def phonemes(voice, text):
    """espeak-ng's phoneme mnemonics for text (language switches show as "(xx)")."""
    return " ".join(run(["espeak-ng", "-q", "-x", "-v", voice, text]).decode("utf-8").split())


def check_voices(tmpdir, log, show=False):
    """The usable entries of VOICE_TABLE, each checked by synthesis.

    A voice is rejected when espeak-ng does not list it, when any of the 20
    words (after respelling) makes espeak-ng switch language (it would then
    speak with its English rules: no accent, or a fallback voice), when two
    command words get the same phoneme string, or when its audio is
    byte-identical to an earlier voice's (a silent fallback).
    """
    listed = set()
    for line in run(["espeak-ng", "--voices"]).decode("utf-8").splitlines()[1:]:
        f = line.split()
        if len(f) > 1:
            listed.add(f[1].lower())
    fam_group = {}
    for voice, family, group, _w, _r in VOICE_TABLE:
        assert fam_group.setdefault(family, group) == group, "family %s in two groups" % family
    kept, seen, rejected = [], {}, []
    for voice, family, group, weight, resp in VOICE_TABLE:
        if voice.lower() not in listed:
            rejected.append((voice, "not listed by espeak-ng --voices"))
            continue
        texts = {w: resp.get(w, w) for w in COMMAND_WORDS + UNKNOWN_WORDS}
        ph = {w: phonemes(voice, t) for w, t in texts.items()}
        switched = [w for w in ph if re.search(r"\([a-z]{2,3}(-[a-z0-9]+)*\)", ph[w])]
        if switched:
            rejected.append((voice, "switches language for: " + " ".join(switched)))
            continue
        norm = {}
        for w in COMMAND_WORDS:
            norm.setdefault(re.sub(r"[',_|!]", "", ph[w]), []).append(w)
        clash = [ws for ws in norm.values() if len(ws) > 1]
        if clash:
            rejected.append((voice, "same phonemes for " + "; ".join("/".join(c) for c in clash)))
            continue
        probe = " ".join(texts[w] for w in COMMAND_WORDS)
        h = hashlib.sha1(espeak_wav(voice, probe, tmpdir=tmpdir)).hexdigest()
        if h in seen:
            rejected.append((voice, "audio identical to " + seen[h]))
            continue
        seen[h] = voice
        kept.append({"voice": voice, "family": family, "group": group, "weight": weight,
                     "texts": texts, "phonemes": ph})
        if show:
            log("%-15s %-5s %s" % (voice, group, " | ".join(
                "%s=%s" % (w, ph[w]) if texts[w] == w else "%s:%s=%s" % (w, texts[w], ph[w])
                for w in COMMAND_WORDS + UNKNOWN_WORDS)))
    for voice, why in rejected:
        log("voice %s rejected: %s" % (voice, why))
    for g in ("train", "val", "test"):
        log("voices %-5s: %s" % (g, ", ".join(
            "%s (%s)" % (v["voice"], v["family"]) for v in kept if v["group"] == g)))
        if not any(v["group"] == g for v in kept):
            raise RuntimeError("no usable voice in group " + g)
    return kept


def group_variants(seed, variants):
    """Split the usable variants into held-out validation / testing sets and
    the training set (which also has "no variant")."""
    rng = sub_rng(seed, "variant-groups")
    vs = sorted(variants)
    rng.shuffle(vs)
    nv = min(HELDOUT_VARIANTS["val"], max(1, len(vs) // 6))
    nt = min(HELDOUT_VARIANTS["test"], max(1, len(vs) // 5))
    return {"val": sorted(vs[:nv]), "test": sorted(vs[nv:nv + nt]),
            "train": [""] + sorted(vs[nv + nt:])}


def draw_speaker(rng, voice, variant, split, group):
    """One speaker of `voice` + `variant`: pitch, speed and sox chain drawn from `rng`."""
    pitch = rng.randint(*PITCH_RANGE)
    speed = rng.randint(*SPEED_RANGE)
    chain, mic = rng.choice(MIC_CHAINS[group])
    cents = rng.choice([0, 0, rng.randint(-250, 250)])
    reverb = rng.random() < 0.25
    effects = ["gain", "-6"]
    if cents:
        effects += ["pitch", str(cents)]
    effects += mic
    if reverb:
        effects += ["reverb", str(rng.randint(20, 60)), "50", str(rng.randint(20, 80))]
    params = "voice=%s|variant=%s|pitch=%d|speed=%d|sox=%s" % (
        voice["voice"], variant, pitch, speed, " ".join(effects))
    sid = hashlib.sha1(params.encode("utf-8")).hexdigest()[:8]
    return {
        "id": sid, "split": split, "group": group, "voice": voice["voice"],
        "family": voice["family"], "texts": voice["texts"], "variant": variant,
        "pitch": pitch, "speed": speed, "chain": chain, "effects": effects,
    }


def make_extra_test_speakers(seed, voices, variant_groups, n, taken_ids):
    """`n` more speakers of the held-out test pool (its families, variants and chains), for a
    bigger leave-voices-out test set outside the repository.  (voice, variant) pairs may repeat
    those of the committed set, with other pitch, speed and chain; ids never do."""
    rng = sub_rng(seed, "extra-test")
    vdeck = [v for v in voices if v["group"] == "test" for _ in range(v["weight"])]
    pool = variant_groups["test"]
    speakers, ids = [], set(taken_ids)
    while len(speakers) < n:
        spk = draw_speaker(rng, rng.choice(vdeck), rng.choice(pool), "testing", "test")
        if spk["id"] not in ids:
            ids.add(spk["id"])
            speakers.append(spk)
    return speakers


def make_speakers(seed, voices, variant_groups, counts):
    """Speakers of every split.  Every (voice, variant) pair occurs at most once
    in the whole set; variants are dealt round-robin within a split, voices
    in proportion to their weight."""
    speakers, used_pairs, ids = [], set(), set()
    for split in SPLITS:
        group = SPLIT_GROUP[split]
        rng = sub_rng(seed, "speakers", split)
        vdeck = []
        for v in voices:
            if v["group"] == group:
                vdeck += [v] * v["weight"]
        rng.shuffle(vdeck)
        pool = variant_groups[group]
        deck = []
        n = counts[split]
        while len(deck) < 2 * n + len(pool):
            vs = pool[:]
            rng.shuffle(vs)
            deck.extend(vs)
        vi, di = 0, 0
        for _ in range(n):
            for _tries in range(len(deck)):
                variant = deck[di]
                di += 1
                for _ in range(len(vdeck)):
                    voice = vdeck[vi % len(vdeck)]
                    vi += 1
                    if (voice["voice"], variant) not in used_pairs:
                        break
                else:
                    continue
                break
            else:
                raise RuntimeError("not enough (voice, variant) pairs for " + split)
            used_pairs.add((voice["voice"], variant))
            spk = draw_speaker(rng, voice, variant, split, group)
            assert spk["id"] not in ids, "speaker id collision"
            ids.add(spk["id"])
            speakers.append(spk)
    return speakers


def plan_clips(seed, speakers, key="plan", unknown_per_word=None):
    """List of (word, speaker, n) to synthesize."""
    unknown_per_word = unknown_per_word or UNKNOWN_SPEAKERS_PER_WORD
    clips = []
    for word in COMMAND_WORDS + UNKNOWN_WORDS:
        for split in SPLITS:
            rng = sub_rng(seed, key, word, split)
            pool = [s for s in speakers if s["split"] == split]
            if not pool:
                continue
            if word in COMMAND_WORDS:
                chosen = [s for s in pool if rng.random() < COMMAND_PARTICIPATION[split]]
            else:
                chosen = rng.sample(pool, min(unknown_per_word[split], len(pool)))
            if not chosen:  # every word has clips in every split
                chosen = [rng.choice(pool)]
            chosen.sort(key=lambda s: s["id"])
            for s in chosen:
                clips.append((word, s, 0))
                if rng.random() < REPEAT_PROBABILITY:
                    clips.append((word, s, 1))
    return clips


# ---------------------------------------------------------------- clips

def trim_bounds(x, rel_db=-40.0):
    p = peak(x)
    if p <= 0:
        return 0, 0
    thr = p * 10 ** (rel_db / 20.0)
    first = next(i for i, v in enumerate(x) if abs(v) > thr)
    last = len(x) - 1 - next(i for i, v in enumerate(reversed(x)) if abs(v) > thr)
    start = max(0, first - int(0.010 * SAMPLE_RATE))
    end = min(len(x), last + 1 + int(0.020 * SAMPLE_RATE))
    return start, end


def fade(x, ms=5):
    n = min(len(x) // 2, int(ms * SAMPLE_RATE / 1000))
    for i in range(n):
        g = i / n
        x[i] *= g
        x[-1 - i] *= g
    return x


def synth_clip(job):
    seed, out_dir, word, spk, n = job
    rng = sub_rng(seed, "clip", spk["id"], word, n)
    # Small per-utterance jitter so repetitions differ.
    if n == 0:
        pitch, speed = spk["pitch"], spk["speed"]
    else:
        pitch = min(99, max(0, spk["pitch"] + rng.randint(-6, 6)))
        speed = spk["speed"] + rng.randint(-15, 15)
    voice = spk["voice"] + ("+" + spk["variant"] if spk["variant"] else "")
    wav = espeak_wav(voice, spk["texts"][word], pitch, speed)
    raw_hash = hashlib.sha1(wav).hexdigest()
    x = sox_to_float(wav, spk["effects"])
    a, b = trim_bounds(x)
    x = x[a:b]
    sped = 1.0
    if len(x) > MAX_WORD_SAMPLES:
        sped = len(x) / TARGET_FIT_SAMPLES
        x = sox_float_effects(x, ["tempo", "-s", "%.4f" % sped])
        a, b = trim_bounds(x)
        x = x[a:b][:MAX_WORD_SAMPLES]
    x = fade(x)
    level_db = rng.uniform(-12.0, -1.0)
    g = 10 ** (level_db / 20.0) / max(peak(x), 1e-9)
    x = [v * g for v in x]
    offset = rng.randint(0, CLIP_SAMPLES - len(x))
    noise_std = math.exp(rng.uniform(math.log(1.5), math.log(10.0))) / 32767.0
    out = [rng.gauss(0.0, noise_std) for _ in range(CLIP_SAMPLES)]
    for i, v in enumerate(x):
        out[offset + i] += v
    name = "%s_nohash_%d.wav" % (spk["id"], n)
    path = os.path.join(out_dir, word, name)
    write_wav16(path, quantize(out))
    return {
        "word": word, "file": name, "speaker": spk["id"], "split": spk["split"],
        "raw_hash": raw_hash,
        "word_samples": len(x), "tempo": sped, "offset": offset,
    }


# ---------------------------------------------------------------- background

def normalize(x, peak_db):
    g = 10 ** (peak_db / 20.0) / max(peak(x), 1e-9)
    return [v * g for v in x]


def smooth_envelope(rng, n, rate_hz, lo, hi):
    """Random, smoothly varying gain curve (cosine-interpolated control points)."""
    step = max(1, int(SAMPLE_RATE / rate_hz))
    pts = [rng.uniform(lo, hi) for _ in range(n // step + 2)]
    env = []
    for i in range(n):
        k, f = divmod(i, step)
        t = (1 - math.cos(math.pi * f / step)) / 2
        env.append(pts[k] * (1 - t) + pts[k + 1] * t)
    return env


def make_background(seed, out_dir, speakers, log):
    bg = os.path.join(out_dir, "_background_noise_")
    os.makedirs(bg, exist_ok=True)
    rng = sub_rng(seed, "background")
    files = {}
    sec = 12
    n = sec * SAMPLE_RATE
    files["white_noise.wav"] = normalize(sox_synth(sec, ["whitenoise"]), -6)
    files["pink_noise.wav"] = normalize(sox_synth(sec, ["pinknoise"]), -6)
    files["brown_noise.wav"] = normalize(
        sox_synth(sec, ["brownnoise", "highpass", "20"]), -6)

    # Running tap: band-limited noise with a fluctuating level plus small drips.
    tap = sox_synth(sec, ["whitenoise", "sinc", "400-6000", "equalizer", "2500", "1q", "+6"])
    env = smooth_envelope(rng, n, 12, 0.55, 1.0)
    tap = [v * e for v, e in zip(tap, env)]
    for _ in range(sec * 6):
        f = rng.uniform(800, 3000)
        pos = rng.randrange(n - 2000)
        amp = rng.uniform(0.3, 0.9)
        for i in range(1200):
            tap[pos + i] += amp * math.exp(-i / 250.0) * math.sin(
                2 * math.pi * (f + 1.2 * i) * i / SAMPLE_RATE)
    files["running_tap.wav"] = normalize(tap, -6)

    # Mains hum with harmonics plus a fan-like low rumble.
    fan = sox_synth(sec, ["pinknoise", "lowpass", "800"])
    fan = normalize(fan, -1)
    harm = [(50, 1.0), (100, 0.6), (150, 0.35), (200, 0.2), (250, 0.12), (350, 0.06)]
    phases = [rng.uniform(0, 2 * math.pi) for _ in harm]
    hum = []
    for i in range(n):
        t = i / SAMPLE_RATE
        s = sum(a * math.sin(2 * math.pi * f * t + p) for (f, a), p in zip(harm, phases))
        hum.append(0.5 * s + 0.25 * fan[i])
    files["hum.wav"] = normalize(hum, -6)

    # Babble: many quiet, overlapping espeak utterances of non-keyword speech.
    babble = [0.0] * n
    # Only training-split speakers, so no validation/test voice leaks into
    # the noise that training mixes in.
    talkers = [s for s in speakers if s["split"] == "training"] or speakers
    tmpdir = tempfile.mkdtemp(prefix="babble")
    try:
        for k in range(36):
            spk = rng.choice(talkers)
            text = " ".join(rng.choice(BABBLE_WORDS) for _ in range(rng.randint(4, 9)))
            voice = spk["voice"] + ("+" + spk["variant"] if spk["variant"] else "")
            wav = espeak_wav(voice, text, spk["pitch"], spk["speed"], tmpdir=tmpdir)
            x = sox_to_float(wav, spk["effects"] + ["reverb", "60"])
            x = normalize(x, rng.uniform(-14, -6))
            pos = rng.randrange(-len(x) // 2, n)
            for i, v in enumerate(x):
                j = (pos + i) % n  # wrap around so the file loops cleanly
                babble[j] += v
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    babble = sox_float_effects(babble, ["lowpass", "4000"])
    files["babble.wav"] = normalize(babble, -6)

    for name, x in sorted(files.items()):
        x = x[:n] + [0.0] * (n - len(x))
        write_wav16(os.path.join(bg, name), quantize(x))
    log("background noise: %s (%d s each)" % (", ".join(sorted(files)), sec))
    return sorted(files)


# ---------------------------------------------------------------- main

def synthesize(args, out, clips, log):
    """Synthesizes the planned clips into `out` with `args.jobs` workers."""
    jobs = [(args.seed, out, w, s, k) for (w, s, k) in clips]
    results = []
    with multiprocessing.Pool(max(1, args.jobs)) as pool:
        for i, r in enumerate(pool.imap(synth_clip, jobs, chunksize=8), 1):
            results.append(r)
            if i % 100 == 0 or i == len(jobs):
                log("  %d/%d clips" % (i, len(jobs)))
    return results


def write_speakers_csv(out, speakers):
    """`speakers.csv`: the synthesis parameters and split of every speaker."""
    with open(os.path.join(out, "speakers.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["speaker", "split", "voice_group", "family", "voice", "variant", "pitch",
                    "speed_wpm", "mic_chain", "sox_effects"])
        for s in sorted(speakers, key=lambda s: s["id"]):
            w.writerow([s["id"], s["split"], s["group"], s["family"], s["voice"], s["variant"],
                        s["pitch"], s["speed"], s["chain"], " ".join(s["effects"])])


def write_extra_test(args, here, out, voices, vgroups, committed, log):
    """`--extra-test N`: a test-only folder of N new held-out-pool speakers."""
    if os.path.samefile(out, here):
        sys.exit("--extra-test writes a separate test set; give --out another folder than %s" % here)
    if any(os.path.exists(os.path.join(out, w)) for w in COMMAND_WORDS + UNKNOWN_WORDS):
        sys.exit("%s already holds word folders; give an empty or new --out" % out)
    speakers = make_extra_test_speakers(args.seed, voices, vgroups, args.extra_test,
                                        {s["id"] for s in committed})
    share = UNKNOWN_SPEAKERS_PER_WORD["testing"] / SPEAKERS_PER_SPLIT["testing"]
    per_word = dict(UNKNOWN_SPEAKERS_PER_WORD, testing=max(1, math.ceil(share * len(speakers))))
    clips = plan_clips(args.seed, speakers, key="extra-plan", unknown_per_word=per_word)
    log("extra test set: %d speakers, %d clips planned" % (len(speakers), len(clips)))
    for word in COMMAND_WORDS + UNKNOWN_WORDS:
        os.makedirs(os.path.join(out, word), exist_ok=True)
    results = synthesize(args, out, clips, log)
    bg_src = os.path.join(here, "_background_noise_")
    if not args.no_background and os.path.isdir(bg_src):
        shutil.copytree(bg_src, os.path.join(out, "_background_noise_"), dirs_exist_ok=True)
    elif not args.no_background:
        make_background(args.seed, out, committed, log)
    rels = sorted("%s/%s" % (r["word"], r["file"]) for r in results)
    for fname in LIST_FILES.values():
        with open(os.path.join(out, fname), "w", newline="\n") as f:
            if fname == LIST_FILES["testing"]:
                f.writelines(rel + "\n" for rel in rels)
    write_speakers_csv(out, speakers)
    train = [s for s in committed if s["split"] == "training"]
    for key in ("family", "voice", "variant", "chain"):
        leak = {s[key] for s in speakers} & {s[key] for s in train}
        if leak:
            sys.exit("extra test %s(s) also in training: %s" % (key, sorted(leak)))
    log("check: families/voices/variants/chains of the extra test set are absent from training")
    n_cmd = sum(1 for r in results if r["word"] in COMMAND_WORDS)
    log("extra test set: %d clips (%d command words, %d unknown words) in %s" % (
        len(results), n_cmd, len(results) - n_cmd, out))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=here, help="output folder (default: the script's folder, data/synthetic/)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    ap.add_argument("--limit", type=int, default=None,
                    help="only use the first N speakers of each split (quick test)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel workers (default %(default)s)")
    ap.add_argument("--no-background", action="store_true", help="skip _background_noise_")
    ap.add_argument("--extra-test", type=int, default=0, metavar="N",
                    help="write only N new speakers of the held-out test pool to --out (a bigger "
                         "leave-voices-out test set; all its clips are in testing_list.txt)")
    ap.add_argument("--show-voices", action="store_true",
                    help="print every voice's text and espeak-ng phonemes per word, then exit")
    args = ap.parse_args()

    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit("%s not found; install with: apt-get install espeak-ng sox" % tool)

    def log(msg):
        print(msg, flush=True)

    esp_v, sox_v = tool_versions()
    log("%s | %s" % (esp_v.splitlines()[0], sox_v))

    tmpdir = tempfile.mkdtemp(prefix="kwsgen")
    try:
        variants, _dropped = discover_variants(tmpdir, log)
        voices = check_voices(tmpdir, log, show=args.show_voices)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if args.show_voices:
        return

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    vgroups = group_variants(args.seed, variants)
    for g in ("val", "test"):
        log("variants %-5s (%d): %s" % (g, len(vgroups[g]), " ".join(vgroups[g])))
    log("variants train (%d, incl. no variant)" % len(vgroups["train"]))
    speakers = make_speakers(args.seed, voices, vgroups, SPEAKERS_PER_SPLIT)
    if args.extra_test:
        return write_extra_test(args, here, out, voices, vgroups, speakers, log)
    if args.limit:
        speakers = [s for split in SPLITS
                    for s in [t for t in speakers if t["split"] == split][: args.limit]]
    clips = plan_clips(args.seed, speakers)
    log("%d speakers, %d clips planned" % (len(speakers), len(clips)))

    # Remove clips of an earlier run (only files this script would write).
    pat = re.compile(r"^[0-9a-f]{8}_nohash_\d+\.wav$")
    for word in COMMAND_WORDS + UNKNOWN_WORDS:
        d = os.path.join(out, word)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if pat.match(f):
                os.unlink(os.path.join(d, f))

    results = synthesize(args, out, clips, log)

    if not args.no_background:
        make_background(args.seed, out, speakers, log)

    # Split lists (everything not listed is training).
    for split, fname in sorted(LIST_FILES.items()):
        rels = sorted("%s/%s" % (r["word"], r["file"]) for r in results if r["split"] == split)
        with open(os.path.join(out, fname), "w", newline="\n") as f:
            for rel in rels:
                f.write(rel + "\n")

    # Speaker table.
    write_speakers_csv(out, speakers)

    # Checks and summary.
    ok = True
    dup = {}
    for r in results:
        dup.setdefault((r["word"], r["raw_hash"]), set()).add(r["speaker"])
    same = [(w, sorted(s)) for (w, _), s in dup.items() if len(s) > 1]
    if same:
        ok = False
        log("WARNING: byte-identical espeak output for different speakers: %s" % same[:10])
    else:
        log("check: no two speakers produced byte-identical espeak audio for the same word")
    train = [s for s in speakers if s["split"] == "training"]
    for split in ("validation", "testing"):
        held = [s for s in speakers if s["split"] == split]
        for key in ("family", "voice", "variant", "chain"):
            leak = {s[key] for s in held} & {s[key] for s in train}
            if leak:
                ok = False
                log("WARNING: %s %s(s) also in training: %s" % (split, key, sorted(leak)))
    if {s["family"] for s in speakers if s["split"] == "validation"} & \
            {s["family"] for s in speakers if s["split"] == "testing"}:
        ok = False
        log("WARNING: validation and testing share a voice family")
    indom = [s for s in speakers if s["split"] == "testing_indomain"]
    for key in ("family", "variant", "chain"):
        # (with --limit, training has too few speakers to cover them all)
        if not args.limit and not {s[key] for s in indom} <= {s[key] for s in train}:
            ok = False
            log("WARNING: testing_indomain %s not from training" % key)
    if {s["id"] for s in indom} & {s["id"] for s in train}:
        ok = False
        log("WARNING: testing_indomain speaker in training")
    log("check: held-out families/voices/variants/chains of validation and testing are absent "
        "from training" if ok else "check FAILED")
    sped = [r for r in results if r["tempo"] > 1.0]
    log("clips sped up to fit 0.95 s: %d" % len(sped))
    durs = sorted(r["word_samples"] / SAMPLE_RATE for r in results)
    log("word duration after trim: min %.3f s, median %.3f s, max %.3f s" % (
        durs[0], durs[len(durs) // 2], durs[-1]))

    log("\n%-8s %9s %11s %8s %17s %6s" % ("word", "training", "validation", "testing",
                                           "testing_indomain", "total"))
    totals = dict.fromkeys(SPLITS, 0)
    for word in COMMAND_WORDS + UNKNOWN_WORDS:
        c = {s: sum(1 for r in results if r["word"] == word and r["split"] == s) for s in SPLITS}
        for s in SPLITS:
            totals[s] += c[s]
        log("%-8s %9d %11d %8d %17d %6d" % (word, c["training"], c["validation"], c["testing"],
                                             c["testing_indomain"], sum(c.values())))
        if min(c.values()) == 0:
            ok = False
            log("WARNING: %s lacks clips in some split" % word)
    log("%-8s %9d %11d %8d %17d %6d" % ("all", totals["training"], totals["validation"],
                                         totals["testing"], totals["testing_indomain"],
                                         sum(totals.values())))
    log("second takes (n=1): %d" % sum(1 for r in results if r["file"].endswith("_1.wav")))
    for split in SPLITS:
        ss = [s for s in speakers if s["split"] == split]
        fam = {}
        for s in ss:
            fam[s["family"]] = fam.get(s["family"], 0) + 1
        log("%-16s %3d speakers, %3d clips; families: %s" % (
            split, len(ss), totals[split],
            ", ".join("%s %d" % kv for kv in sorted(fam.items()))))
    log("distinct (voice, variant) pairs: %d" % len({(s["voice"], s["variant"]) for s in speakers}))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
