"""Small models for tests/test_model_shapes.py: every case model_shapes.py
must turn into the right descriptor."""
import torch.nn as nn


class Tiny2d(nn.Module):
    """Input 4x12x12."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(4, 8, 3, padding=1)
        # three identical layers: one descriptor with *3
        self.blocks = nn.Sequential(*[nn.Conv2d(8, 8, 3, padding=1)
                                      for _ in range(3)])
        self.grouped = nn.Conv2d(8, 8, 3, padding=1, groups=4, bias=False)
        self.depthwise = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.dilated = nn.Conv2d(8, 8, 3, padding=2, dilation=2)  # on 6x6
        self.same_even = nn.Conv2d(8, 6, 4, padding="same")  # PT 1, PB 2
        self.valid = nn.Conv2d(6, 6, (2, 3), padding="valid")  # 6x6 -> 5x4
        self.reflect = nn.Conv2d(6, 6, 3, padding=(1, 2),
                                 padding_mode="reflect")  # on 7x8 padded
        self.up = nn.ConvTranspose2d(6, 6, 2, stride=2)  # not recorded

    def forward(self, x):
        x = self.blocks(self.stem(x))
        x = self.depthwise(self.grouped(x))
        x = self.same_even(self.dilated(x))
        x = self.reflect(self.valid(x))
        # a block's problem once more, a second call of one module
        return self.up(x), self.blocks[1](x.new_zeros(1, 8, 12, 12))


class Tiny1d(nn.Module):
    """Input 16x100."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(16, 32, 5, padding=2)
        self.b = nn.Conv1d(32, 32, 4, padding="same", groups=4)  # PL 1, PR 2
        self.c = nn.Conv1d(32, 8, 3, stride=2, dilation=3,
                           padding_mode="circular", padding=1)

    def forward(self, x):
        return self.c(self.b(self.a(x)))


def tiny2d():
    return Tiny2d()


def tiny1d():
    return Tiny1d()


def not_a_module():
    return 42
