#!/usr/bin/env python3
"""PyTorch CPU twin of randommix's *default* CNN, timed like ../shared/peers/bench_train.py.

Net: conv3x3 (no bias) + BN + ReLU blocks with 16-32-64-64 channels, 2x2 max-pool after each
block but the last, global average pool, dropout 0.2, linear(64->12); soft-target
cross-entropy; AdamW lr 1e-3; input [B, 1, 40, 101].
"""
import argparse, os
ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=64); ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=30)
a = ap.parse_args()
os.environ["OMP_NUM_THREADS"] = str(a.threads)
import torch, torch.nn as nn
from peers_timing import time_net
torch.set_num_threads(a.threads); torch.manual_seed(0)

layers, c_in = [], 1
chans = [16, 32, 64, 64]
for k, c in enumerate(chans):
    layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
    if k + 1 < len(chans):
        layers.append(nn.MaxPool2d(2))
    c_in = c
net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(c_in, 12))
time_net(net, a.batch, a.threads, a.steps, "default")
