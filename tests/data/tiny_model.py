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
        self.up = nn.ConvTranspose2d(6, 6, 2, stride=2)  # a bwd_d problem

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


class TinyTransposed(nn.Module):
    """Input 4x5x6 (batch 2 in the test): a convolution, then the
    transposed convolutions model_shapes.py records as bwd_d problems."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(4, 4, 3, padding=1)  # the forward file's one
        # 5x6 -> 10x12: stride 2, output_padding 1
        self.up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1,
                                     output_padding=1)
        self.dilated = nn.ConvTranspose2d(6, 4, 3, padding=2, dilation=2,
                                          bias=False)  # 10x12 -> 10x12
        # groups, a rectangular kernel, a stride on h only: -> 20x12
        self.grouped = nn.ConvTranspose2d(4, 6, (2, 3), stride=(2, 1),
                                          padding=(0, 1), groups=2)
        # output_padding 1 = stride 1 (dilation 2 allows it): -> 23x15
        self.past_stride = nn.ConvTranspose2d(6, 2, 3, padding=1, dilation=2,
                                              output_padding=1)
        # twice the same problem: one descriptor with *2
        self.same = nn.Sequential(*[nn.ConvTranspose2d(2, 2, 3, padding=1,
                                                       groups=2)
                                    for _ in range(2)])
        # output_padding 1 past stride 1 + padding 0: the last row and
        # column no input reaches; not recorded (a note): -> 28x20
        self.gap = nn.ConvTranspose2d(2, 2, 3, dilation=2, output_padding=1)
        # 1D on the flattened planes: 560 -> 1680
        self.t1d = nn.ConvTranspose1d(2, 3, 5, stride=3, padding=2,
                                      output_padding=2)

    def forward(self, x):
        x = self.dilated(self.up(self.stem(x)))
        x = self.same(self.past_stride(self.grouped(x)))
        return self.t1d(self.gap(x).flatten(2))


def tiny_transposed():
    return TinyTransposed()


def tiny2d():
    return Tiny2d()


def tiny1d():
    return Tiny1d()


def not_a_module():
    return 42
