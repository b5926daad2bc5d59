#!/usr/bin/env python3
"""PyTorch CPU reference throughput for jointshot's backbones (the same architectures as
src/backbones: bias-free 3x3 convs, BatchNorm2d, ReLU / LeakyReLU 0.1, 2x2 max pooling,
ResNet-12 with 1x1 shortcut, dropout 0.1 in blocks 1-2 and DropBlock in blocks 3-4; the CIFAR
ResNets resnet20/32/56 with option-A shortcuts and ResNet-18 with the ImageNet stem and
projection shortcuts, both global-average-pooled).

Training step = forward in train mode, loss mean(embedding^2), backward, SGD step (lr 0.01, Nesterov
0.9, weight decay 5e-4: what jointshot's training and benchmarks/native.ts run);
inference = forward in eval mode under no_grad. Prints one JSON object per line:
{"model", "size", "mode", "batch", "ms", "cpu_ms", "images_per_s", "threads", "torch"}; when torch is not
importable it prints one line {"torch": null, "reason": ...} and exits 0.

Usage: python3 benchmarks/torch_reference.py [--models conv4,resnet12,resnet20,resnet32,resnet56,resnet18] [--sizes 32,84]
    [--modes train,infer] [--batch 80] [--batch-resnet84 16] [--steps 3] [--warmup 1] [--threads 2]
(Debian's python3-torch lives in /usr/bin/python3.)
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as error:  # the column is skipped by benchmarks/native.ts
    print(json.dumps({"torch": None, "reason": str(error)}))
    sys.exit(0)


def conv_bn(in_c, out_c, size=3):
    return nn.Sequential(nn.Conv2d(in_c, out_c, size, padding=size // 2, bias=False), nn.BatchNorm2d(out_c))


class Conv4(nn.Module):
    def __init__(self, channels=64):
        super().__init__()
        layers, in_c = [], 3
        for _ in range(4):
            layers += [conv_bn(in_c, channels), nn.ReLU(), nn.MaxPool2d(2)]
            in_c = channels
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x).flatten(1)


def drop_block(x, drop_rate, block):
    """DropBlock as in MetaOptNet: Bernoulli seeds, expanded to block x block squares, rescaled."""
    n, c, h, w = x.shape
    gamma = drop_rate / (block ** 2) * (h ** 2) / ((h - block + 1) ** 2)
    seeds = torch.bernoulli(torch.full((n, c, h - block + 1, w - block + 1), gamma))
    mask = 1 - F.max_pool2d(F.pad(seeds, [block - 1] * 4), block, stride=1)[:, :, :h, :w]
    return x * mask * mask.numel() / mask.sum().clamp(min=1)


class Block(nn.Module):
    def __init__(self, in_c, out_c, drop_block_size):
        super().__init__()
        self.units = nn.ModuleList([conv_bn(in_c if i == 0 else out_c, out_c) for i in range(3)])
        self.shortcut = conv_bn(in_c, out_c, 1)
        self.drop_block_size = drop_block_size

    def forward(self, x):
        out = x
        for i, unit in enumerate(self.units):
            out = unit(out)
            if i < 2:
                out = F.leaky_relu(out, 0.1)
        out = F.max_pool2d(F.leaky_relu(out + self.shortcut(x), 0.1), 2)
        if self.training:
            out = drop_block(out, 0.1, self.drop_block_size) if self.drop_block_size else F.dropout(out, 0.1, True)
        return out


class ResNet12(nn.Module):
    def __init__(self, side, widths=(64, 160, 320, 640)):
        super().__init__()
        block = min(5, side // 16)  # the last feature map's side, at most 5 (5 on 84x84, 2 on 32x32)
        in_c, blocks = 3, []
        for i, w in enumerate(widths):
            blocks.append(Block(in_c, w, block if i >= 2 else 0))
            in_c = w
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(x).flatten(1)


class BasicBlock(nn.Module):
    """conv3x3(stride)-BN-ReLU-conv3x3-BN + shortcut, ReLU (option A: subsample, zero channels)."""

    def __init__(self, in_c, out_c, stride, projection):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(in_c, out_c, 3, stride, 1, bias=False), nn.BatchNorm2d(out_c))
        self.conv2 = conv_bn(out_c, out_c)
        self.projection = (nn.Sequential(nn.Conv2d(in_c, out_c, 1, stride, bias=False), nn.BatchNorm2d(out_c))
                           if projection and (stride != 1 or in_c != out_c) else None)
        self.stride, self.pad_c = stride, out_c - in_c

    def forward(self, x):
        out = self.conv2(F.relu(self.conv1(x)))
        if self.projection is not None:
            skip = self.projection(x)
        else:
            skip = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
            if self.pad_c:
                skip = F.pad(skip, [0, 0, 0, 0, 0, self.pad_c])
        return F.relu(out + skip)


class ResNet(nn.Module):
    """CIFAR ResNet (depth 6n + 2, 16-32-64, option A) or ResNet-18 (ImageNet stem, projection)."""

    def __init__(self, name):
        super().__init__()
        if name == "resnet18":
            widths, blocks, projection = (64, 128, 256, 512), 2, True
            self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                      nn.MaxPool2d(3, 2, 1))
        else:
            widths, blocks, projection = (16, 32, 64), (int(name[len("resnet"):]) - 2) // 6, False
            self.stem = nn.Sequential(conv_bn(3, 16), nn.ReLU())
        layers, in_c = [], widths[0]
        for i, w in enumerate(widths):
            for j in range(blocks):
                layers.append(BasicBlock(in_c, w, 2 if i > 0 and j == 0 else 1, projection))
                in_c = w
        self.blocks = nn.Sequential(*layers)

    def forward(self, x):
        return self.blocks(self.stem(x)).mean((2, 3))


def build(name, size):
    if name == "conv4":
        return Conv4()
    if name == "resnet12":
        return ResNet12(size)
    return ResNet(name)


def timed(body, warmup, steps, stat="mean"):
    """Wall and process CPU (all threads) milliseconds per step: their means over the steps, or
    with stat "median" each one's median over the steps (robust to a stalled step)."""
    for _ in range(warmup):
        body()
    walls, cpus = [], []
    for _ in range(steps):
        start, cpu = time.perf_counter(), time.process_time()
        body()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    if stat == "median":
        return statistics.median(walls), statistics.median(cpus)
    return sum(walls) / steps, sum(cpus) / steps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="conv4,resnet12")
    parser.add_argument("--sizes", default="32,84")
    parser.add_argument("--modes", default="train,infer")
    parser.add_argument("--batch", type=int, default=80)
    parser.add_argument("--batch-resnet84", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--stat", choices=["mean", "median"], default="mean")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for model_name in args.models.split(","):
        for size in [int(s) for s in args.sizes.split(",")]:
            batch = args.batch_resnet84 if model_name == "resnet12" and size >= 84 else args.batch
            model = build(model_name, size)
            x = torch.rand(batch, 3, size, size) * 2 - 1
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)

            def train():
                model.train()
                optimizer.zero_grad()
                loss = model(x).pow(2).mean()
                loss.backward()
                optimizer.step()
                loss.item()

            def infer():
                model.eval()
                with torch.no_grad():
                    model(x).sum().item()

            for mode in args.modes.split(","):
                ms, cpu_ms = timed(train if mode == "train" else infer, args.warmup, args.steps, args.stat)
                print(json.dumps({
                    "model": model_name, "size": size, "mode": mode, "batch": batch, "ms": round(ms, 1),
                    "cpu_ms": round(cpu_ms, 1),
                    "images_per_s": round(batch * 1000 / ms, 2), "threads": torch.get_num_threads(),
                    "torch": torch.__version__,
                }), flush=True)


if __name__ == "__main__":
    main()
