#!/usr/bin/env python3
"""PyTorch CPU twin of randommix's BC-ResNet (crates/trainer/src/model/bcresnet.rs), timed like
../shared/peers/bench_train.py.

BC-ResNet-τ (Kim et al. 2021) as randommix builds it for a [B, 1, 40, 101] input and 12
classes: a 5x5 stem (stride 2 in frequency) + BN + ReLU; 12 broadcasted residual blocks in
four stages ((blocks, frequency stride, dilation) = (2,1,1), (2,2,2), (4,2,4), (4,1,8); channels
8τ, 12τ, 16τ, 20τ), each a depthwise 3x1 frequency convolution + SubSpectral norm (5 sub-bands
where the bands divide), a frequency average, a depthwise 1x3 dilated time convolution + BN +
SiLU, a 1x1 convolution and dropout, broadcast back over frequency (a 1x1 conv + BN + ReLU
transition where the channels change, an identity shortcut otherwise); a depthwise head over
the remaining bands x 5 frames, a 1x1 conv to 32τ + BN + ReLU, a time average and a 1x1
classifier. Soft-target cross-entropy; AdamW lr 1e-3. Prints the parameter count with the
batch norms' running statistics, which burn counts as parameters: it must equal randommix's
(11,648 for τ = 1: 9,232 trained + 2,416 running statistics).
"""
import argparse, os
ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=64); ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=30); ap.add_argument("--width", type=int, default=1)
ap.add_argument("--dropout", type=float, default=0.2)
a = ap.parse_args()
os.environ["OMP_NUM_THREADS"] = str(a.threads)
import torch, torch.nn as nn, torch.nn.functional as F
from peers_timing import time_net
torch.set_num_threads(a.threads); torch.manual_seed(0)

SUB_BANDS = 5


class SubSpectralNorm(nn.Module):
    def __init__(self, c, bands):
        super().__init__()
        self.s = SUB_BANDS if bands >= SUB_BANDS and bands % SUB_BANDS == 0 else 1
        self.bn = nn.BatchNorm2d(c * self.s)

    def forward(self, x):
        if self.s == 1:
            return self.bn(x)
        b, c, f, t = x.shape
        return self.bn(x.reshape(b, c * self.s, f // self.s, t)).reshape(b, c, f, t)


class Block(nn.Module):
    def __init__(self, c_in, c_out, bands, stride, dilation, dropout):
        super().__init__()
        self.transition = None
        if c_in != c_out:
            self.transition = nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())
        self.out_bands = (bands + 2 - 3) // stride + 1
        self.freq = nn.Conv2d(c_out, c_out, (3, 1), stride=(stride, 1), padding=(1, 0), groups=c_out, bias=False)
        self.ssn = SubSpectralNorm(c_out, self.out_bands)
        self.time = nn.Conv2d(c_out, c_out, (1, 3), dilation=(1, dilation), padding=(0, dilation), groups=c_out, bias=False)
        self.time_bn = nn.BatchNorm2d(c_out)
        self.point = nn.Conv2d(c_out, c_out, 1, bias=False)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        shortcut = None
        if self.transition is not None:
            x = self.transition(x)
        else:
            shortcut = x
        f2 = self.ssn(self.freq(x))
        f1 = self.drop(self.point(F.silu(self.time_bn(self.time(f2.mean(2, keepdim=True))))))
        y = f2 + f1
        return F.relu(y + shortcut) if shortcut is not None else F.relu(y)


class BcResNet(nn.Module):
    def __init__(self, tau, n_classes=12, n_mels=40, dropout=0.2):
        super().__init__()
        c = [k * tau for k in (16, 8, 12, 16, 20, 32)]
        bands = (n_mels + 4 - 5) // 2 + 1
        self.stem = nn.Sequential(nn.Conv2d(1, c[0], 5, stride=(2, 1), padding=2, bias=False), nn.BatchNorm2d(c[0]), nn.ReLU())
        blocks, c_in = [], c[0]
        for k, (n, stride, dilation) in enumerate([(2, 1, 1), (2, 2, 2), (4, 2, 4), (4, 1, 8)]):
            for j in range(n):
                s = stride if j == 0 and bands >= 2 else 1
                b = Block(c_in, c[k + 1], bands, s, dilation, dropout)
                blocks.append(b); bands = b.out_bands; c_in = c[k + 1]
        self.blocks = nn.Sequential(*blocks)
        self.head_dw = nn.Conv2d(c_in, c_in, (bands, 5), padding=(0, 2), groups=c_in, bias=False)
        self.head_pw = nn.Sequential(nn.Conv2d(c_in, c[5], 1, bias=False), nn.BatchNorm2d(c[5]), nn.ReLU())
        self.classifier = nn.Conv2d(c[5], n_classes, 1)

    def forward(self, x):
        x = self.head_pw(self.head_dw(self.blocks(self.stem(x))))
        return self.classifier(x.mean(3, keepdim=True)).flatten(1)


net = BcResNet(a.width, dropout=a.dropout)
stats = sum(2 * m.num_features for m in net.modules() if isinstance(m, nn.BatchNorm2d))
trained = sum(p.numel() for p in net.parameters())
print(f"torch_bcresnet_params: {trained + stats} ({trained} trained + {stats} running statistics)")
time_net(net, a.batch, a.threads, a.steps, "bcresnet")
