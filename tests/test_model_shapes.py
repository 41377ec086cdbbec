#!/usr/bin/python3
"""scripts/model_shapes.py: exact descriptors of the small models in
tests/data/tiny_model.py, each one computing what PyTorch computes (checked
with `convbench exec --algo naive` on integer data, bit for bit), the
transposed convolutions' bwd_d problems (FILE.bwd_d) computing each
ConvTranspose's output (`exec --dir bwd_d`, real data, within 1e-5 of the
sum of |terms|), the shape files parse and verify, a small torchvision
model, and bad input (exit 2).

usage: test_model_shapes.py CONVBENCH_BINARY REPO_ROOT
Exit 77 (skip) when torch is not importable."""

import contextlib
import copy
import importlib.util
import io
import os
import re
import subprocess
import sys
import tempfile
import traceback

if len(sys.argv) != 3:
    print(__doc__)
    sys.exit(2)
CB, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    import torchvision  # noqa: F401
except ImportError as e:
    print("SKIP: /usr/bin/python3 cannot import torch/torchvision/numpy "
          "(%s): Debian's python3-torch and python3-torchvision" % e)
    sys.exit(77)

SCRIPT = os.path.join(ROOT, "scripts", "model_shapes.py")
DATA = os.path.join(ROOT, "tests", "data")
TINY = os.path.join(DATA, "tiny_model.py")
failures = 0

# What the modules of tiny_model.py compute, worked out by hand from
# PyTorch's documented semantics (see the comments there).
EXPECT_2D = """\
mb1ic4ih12iw12oc8oh12ow12kh3kw3sh1sw1ph1pw1dh0dw0n"tiny2d:stem"
mb1ic8ih12iw12oc8oh12ow12kh3kw3sh1sw1ph1pw1dh0dw0n"tiny2d:blocks.0*4"
g4mb1ic8ih12iw12oc8oh12ow12kh3kw3sh1sw1ph1pw1dh0dw0n"tiny2d:grouped"
g8mb1ic8ih12iw12oc8oh6ow6kh3kw3sh2sw2ph1pw1dh0dw0n"tiny2d:depthwise"
mb1ic8ih6iw6oc8oh6ow6kh3kw3sh1sw1ph2pw2dh1dw1n"tiny2d:dilated"
mb1ic8ih6iw6oc6oh6ow6kh4kw4sh1sw1ph1pw1dh0dw0n"tiny2d:same_even"
mb1ic6ih6iw6oc6oh5ow4kh2kw3sh1sw1ph0pw0dh0dw0n"tiny2d:valid"
mb1ic6ih7iw8oc6oh5ow6kh3kw3sh1sw1ph0pw0dh0dw0n"tiny2d:reflect"
""".splitlines()
EXPECT_1D = """\
mb1ic16iw100oc32ow100kw5sw1pw2dw0n"tiny1d:a"
g4mb1ic32iw100oc32ow100kw4sw1pw1dw0n"tiny1d:b"
mb1ic32iw102oc8ow48kw3sw2pw0dw2n"tiny1d:c"
""".splitlines()
# tiny_transposed at batch 2: the convolution each ConvTranspose is bwd_d
# of (ic = its out, oc = its in, ih = (H1-1)*s - 2p + d*(k-1) + op + 1,
# oh = H1), worked out by hand from docs/design.md §14.
EXPECT_T_FWD = ['mb2ic4ih5iw6oc4oh5ow6kh3kw3sh1sw1ph1pw1dh0dw0n"tt:stem"']
EXPECT_T = """\
mb2ic6ih10iw12oc4oh5ow6kh3kw3sh2sw2ph1pw1dh0dw0n"tt:up"
mb2ic4ih10iw12oc6oh10ow12kh3kw3sh1sw1ph2pw2dh1dw1n"tt:dilated"
g2mb2ic6ih20iw12oc4oh10ow12kh2kw3sh2sw1ph0pw1dh0dw0n"tt:grouped"
mb2ic2ih23iw15oc6oh20ow12kh3kw3sh1sw1ph1pw1dh1dw1n"tt:past_stride"
g2mb2ic2ih23iw15oc2oh23ow15kh3kw3sh1sw1ph1pw1dh0dw0n"tt:same.0*2"
mb2ic3iw1680oc2ow560kw5sw3pw2dw0n"tt:t1d"
""".splitlines()
# tiny2d's ConvTranspose2d(6, 6, 2, stride=2) on 5x6, a comment on stdout
EXPECT_2D_UP = '# bwd_d: mb1ic6ih10iw12oc6oh5ow6kh2kw2sh2sw2ph0pw0dh0dw0n' \
    '"tiny2d:up"'


def fail(msg, out=""):
    global failures
    failures += 1
    print("FAIL: %s" % msg)
    for line in out.splitlines()[:20]:
        print("    " + line)


def run(args, cwd=None, env=None):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, cwd=cwd, env=env, timeout=300)
    return p.returncode, p.stdout, p.stderr


def shapes(args, what, cwd=None):
    rc, out, err = run([sys.executable, SCRIPT] + args, cwd=cwd)
    if rc != 0:
        fail("%s: exit %d" % (what, rc), err)
        return None
    return out


def descs(text):
    return [l for l in text.splitlines() if l and not l.startswith("#")]


def convbench_ok(path, what, direction="fwd"):
    """Every descriptor parses (list) and verifies with naive."""
    rc, out, err = run([CB, "list", "--shapes", path])
    n = len(descs(open(path).read()))
    got = out.count("supported by:")
    if rc != 0 or got != n:
        fail("%s: convbench list: exit %d, %d of %d problems listed"
             % (what, rc, got, n), out + err)
    rc, out, err = run([CB, "verify", "--shapes", path, "--algo", "naive",
                        "--dir", direction, "--quiet", "--threads", "2"])
    if rc != 0 or ("%d passed" % n) not in out:
        fail("%s: convbench verify --algo naive: exit %d" % (what, rc),
             out + err)
    else:
        print("ok: %s: %d problems parse and verify" % (what, n))


def exact_against_torch(model, shape, text, what, tmp):
    """Each descriptor, run by convbench exec, computes what its module
    computes: on small-integer inputs and weights (every fp32 sum exact)
    of the shape the module saw in the forward pass, bit for bit."""
    seen = {}

    def hook(m, inp, out):
        seen.setdefault(m, tuple(inp[0].shape))
    mods = [m for m in model.modules()
            if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d))]
    handles = [m.register_forward_hook(hook) for m in mods]
    with torch.no_grad():
        model(torch.zeros(shape))
    for h in handles:
        h.remove()
    gen = torch.Generator().manual_seed(7)
    checked = 0
    for d in descs(text):
        path = re.search(r'n"[^:]*:([^*"]*)', d).group(1)
        m = model.get_submodule(path)
        with torch.no_grad():
            m.weight.copy_(torch.randint(-3, 4, m.weight.shape, generator=gen))
            if m.bias is not None:
                m.bias.copy_(torch.randint(-3, 4, m.bias.shape, generator=gen))
            xin = torch.randint(-3, 4, seen[m], generator=gen).float()
            want = m(xin).numpy()
        if m.padding_mode != "zeros":  # the descriptor is the padded input
            xin = F.pad(xin, m._reversed_padding_repeated_twice,
                        mode=m.padding_mode)
        files = {}
        for k, t in (("x", xin), ("w", m.weight), ("b", m.bias)):
            if t is not None:
                files[k] = os.path.join(tmp, k + ".npy")
                np.save(files[k], t.detach().numpy().astype(np.float32))
        y = os.path.join(tmp, "y.npy")
        cmd = [CB, "exec", "--algo", "naive", "--desc", d, "--input",
               files["x"], "--weights", files["w"], "--output", y]
        if "b" in files:
            cmd += ["--bias", files["b"]]
        rc, out, err = run(cmd)
        if rc != 0:
            fail("%s: exec %s: exit %d" % (what, d, rc), out + err)
            continue
        got = np.load(y)
        if got.shape != want.shape or not np.array_equal(got, want):
            fail("%s: %s: convbench's output differs from PyTorch's (shape "
                 "%s vs %s)" % (what, d, got.shape, want.shape))
            continue
        checked += 1
    if checked == len(descs(text)):
        print("ok: %s: %d descriptors compute PyTorch's output exactly"
              % (what, checked))


def transposed_against_torch(model, shape, text, what, tmp):
    """Each bwd_d descriptor, run by `convbench exec --dir bwd_d` on the
    ConvTranspose's weight (w) and input (dy), gives the module's own
    output less its bias (dx): real data, each element within 1e-5 of the
    sum of the magnitudes of its terms (the module on |dy| and |w|), both
    computed by the module in float64."""
    seen = {}

    def hook(m, inp, out):
        seen.setdefault(m, tuple(inp[0].shape))
    mods = [m for m in model.modules()
            if isinstance(m, torch.nn.modules.conv._ConvTransposeNd)]
    handles = [m.register_forward_hook(hook) for m in mods]
    with torch.no_grad():
        model(torch.zeros(shape))
    for h in handles:
        h.remove()
    gen = torch.Generator().manual_seed(11)
    checked, worst = 0, 0.0
    for d in descs(text):
        path = re.search(r'n"[^:]*:([^*"]*)', d).group(1)
        m = copy.deepcopy(model.get_submodule(path)).double()
        w = torch.randn(m.weight.shape, generator=gen).float()
        dy = torch.randn(seen[model.get_submodule(path)],
                         generator=gen).float()
        files = {"w": os.path.join(tmp, "w.npy"),
                 "dy": os.path.join(tmp, "dy.npy")}
        np.save(files["w"], w.numpy())
        np.save(files["dy"], dy.numpy())
        with torch.no_grad():
            m.weight.copy_(w.double())
            if m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen))
            want = m(dy.double())
            if m.bias is not None:  # dx has no bias: take the layer's off
                want -= m.bias.view((1, -1) + (1,) * (dy.dim() - 2))
                m.bias.zero_()
            m.weight.abs_()
            mag = m(dy.double().abs())
        dx = os.path.join(tmp, "dx.npy")
        rc, out, err = run([CB, "exec", "--dir", "bwd_d", "--algo", "naive",
                            "--desc", d, "--weights", files["w"],
                            "--diff-dst", files["dy"], "--output", dx])
        if rc != 0:
            fail("%s: exec --dir bwd_d %s: exit %d" % (what, d, rc),
                 out + err)
            continue
        got = np.load(dx)
        if got.shape != tuple(want.shape):
            fail("%s: %s: dx is %s, the module's output %s"
                 % (what, d, got.shape, tuple(want.shape)))
            continue
        err = np.abs(got - want.numpy()) / np.maximum(mag.numpy(), 1e-30)
        if not err.max() <= 1e-5:
            fail("%s: %s: dx differs from the module's output: relative "
                 "error %.3g at %s" % (what, d, err.max(), np.unravel_index(
                     err.argmax(), err.shape)))
            continue
        checked, worst = checked + 1, max(worst, err.max())
    if checked == len(descs(text)) and checked:
        print("ok: %s: %d bwd_d descriptors compute the ConvTranspose's "
              "output (worst relative error %.2g, bound 1e-5)"
              % (what, checked, worst))


def transposed_files(tmp):
    """tiny_transposed: FILE holds its convolution, FILE.bwd_d the bwd_d
    problems of its transposed convolutions (the one no descriptor can
    express left out, with a note), stdout the same as comments; both run,
    each bwd_d problem computes the module's output; a model without
    transposed convolutions removes a FILE.bwd_d left from before."""
    ft = os.path.join(tmp, "tt")
    args = [sys.executable, SCRIPT, TINY + ":tiny_transposed", "--input",
            "4x5x6", "--batch", "2", "--name", "tt"]
    rc, _, err = run(args + ["-o", ft])
    if rc != 0 or not os.path.exists(ft + ".bwd_d"):
        fail("tiny_transposed -o: exit %d, no %s.bwd_d" % (rc, ft), err)
        return
    if not re.search(r"1 ConvTranspose2d call\(s\) not recorded: gap: "
                     r"output_padding 1 past stride 1 \+ padding 0", err):
        fail("tiny_transposed: no note on the layer left out", err)
    fwd, bwd = open(ft).read(), open(ft + ".bwd_d").read()
    if descs(fwd) != EXPECT_T_FWD or descs(bwd) != EXPECT_T:
        fail("tiny_transposed: descriptors differ from the expected ones",
             fwd + bwd)  # and the checks below say how they compute
    else:
            print("ok: tiny_transposed: exact bwd_d descriptors in FILE.bwd_d "
              "(stride 2 with output_padding 1, dilation, groups, "
              "output_padding = stride, *2, 1D; the inexpressible one "
              "noted)")
    rc, out, _ = run(args)
    comments = [l[len("# bwd_d: "):] for l in out.splitlines()
                if l.startswith("# bwd_d: ")]
    if rc != 0 or descs(out) != EXPECT_T_FWD or comments != EXPECT_T:
        fail("tiny_transposed on stdout: not the forward problems and the "
             "bwd_d ones as '# bwd_d:' comments", out)
    else:
        print("ok: tiny_transposed on stdout: bwd_d problems as comments")
    convbench_ok(ft, "tiny_transposed")
    convbench_ok(ft + ".bwd_d", "tiny_transposed.bwd_d --dir bwd_d", "bwd_d")
    transposed_against_torch(tiny_model.tiny_transposed(), (2, 4, 5, 6), bwd,
                             "tiny_transposed", tmp)
    rc, _, err = run([sys.executable, SCRIPT, TINY + ":tiny1d", "--input",
                      "16x100", "-o", ft])
    if rc != 0 or os.path.exists(ft + ".bwd_d"):
        fail("a model without transposed convolutions left %s.bwd_d" % ft,
             err)
    else:
        print("ok: a stale FILE.bwd_d is removed")


def bad(args, pattern, what, in_process=True):
    """Exit 2 with a message matching pattern and no traceback. Most cases
    call the script's main() in this process: one torch import, not one
    per case."""
    if in_process:
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), \
                    contextlib.redirect_stdout(io.StringIO()):
                rc = model_shapes.main(args)
        except BaseException:
            rc, err = None, io.StringIO(traceback.format_exc())
        err = err.getvalue()
    else:
        rc, _, err = run([sys.executable, SCRIPT] + args)
    if rc != 2 or not re.search(pattern, err) or "Traceback" in err:
        fail("%s: exit %s (want 2), stderr should match /%s/ without a "
             "traceback" % (what, rc, pattern), err)
    else:
        print("ok: %s: exit 2" % what)


sys.path.insert(0, DATA)
import tiny_model  # noqa: E402
_spec = importlib.util.spec_from_file_location("model_shapes", SCRIPT)
model_shapes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(model_shapes)
import warnings  # noqa: E402
warnings.filterwarnings("ignore", message="Using padding='same'")

with tempfile.TemporaryDirectory(prefix="convbench_models.") as tmp:
    # 1. exact descriptors, to stdout and to -o FILE
    out2 = shapes([TINY + ":tiny2d", "--input", "4x12x12"], "tiny2d")
    if out2 is not None:
        if descs(out2) != EXPECT_2D:
            fail("tiny2d: descriptors differ from the expected ones",
                 "\n".join(descs(out2)))
        else:
            print("ok: tiny2d: exact descriptors (groups, depthwise, "
                  "dilation, 'same' even kernel, 'valid', reflect, *4)")
    f1 = os.path.join(tmp, "tiny1d")
    # module:function importable from the current directory
    if shapes(["tiny_model:tiny1d", "--input", "16x100", "-o", f1],
              "tiny1d", cwd=DATA) is not None:
        got = descs(open(f1).read())
        if got != EXPECT_1D:
            fail("tiny1d: descriptors differ", "\n".join(got))
        else:
            print("ok: tiny1d: exact Conv1d descriptors (w only)")
        left = [f for f in os.listdir(tmp) if f.startswith(".")]
        if left:
            fail("-o left temporary files: %s" % left)
    # batch and --name reach the descriptors
    out = shapes([TINY + ":tiny1d", "--input", "16x100", "--batch", "3",
                  "--name", "mine"], "tiny1d --batch 3 --name mine")
    if out is not None:
        want = [d.replace("mb1", "mb3").replace('n"tiny1d:', 'n"mine:')
                for d in EXPECT_1D]
        if descs(out) != want:
            fail("--batch/--name not applied", out)
        else:
            print("ok: --batch 3 --name mine")

    # 2. the files parse, verify, and mean what PyTorch computes
    if out2 is not None:
        f2 = os.path.join(tmp, "tiny2d")
        with open(f2, "w") as f:
            f.write(out2)
        convbench_ok(f2, "tiny2d")
        rc, out, _ = run([CB, "list", "--shapes", f2])
        if "occurs 4 times" not in out:
            fail("convbench list does not report the repeat count *4", out)
        exact_against_torch(tiny_model.tiny2d(), (1, 4, 12, 12), out2,
                            "tiny2d", tmp)
    if os.path.exists(f1):
        convbench_ok(f1, "tiny1d")
        exact_against_torch(tiny_model.tiny1d(), (1, 16, 100),
                            open(f1).read(), "tiny1d", tmp)

    # 2b. transposed convolutions: bwd_d problems in FILE.bwd_d
    if out2 is not None:
        if EXPECT_2D_UP not in out2.splitlines():
            fail("tiny2d: stdout lacks the '# bwd_d:' line of its "
                 "ConvTranspose2d", out2)
        else:
            print("ok: tiny2d: its ConvTranspose2d as a '# bwd_d:' comment")
    transposed_files(tmp)

    # 3. a small torchvision model: every Conv2d, each called once
    fsq = os.path.join(tmp, "squeezenet")
    if shapes(["squeezenet1_0", "--input", "3x64x64", "-o", fsq],
              "squeezenet1_0") is not None:
        text = open(fsq).read()
        total = sum(int(m.group(1) or 1) for m in
                    re.finditer(r'n"squeezenet1_0:[^"*]*(?:\*(\d+))?"', text))
        want = sum(isinstance(m, torch.nn.Conv2d) for m in
                   torchvision.models.squeezenet1_0().modules())
        if total != want or len(descs(text)) == 0:
            fail("squeezenet1_0: %d convolutions recorded, the model has %d"
                 % (total, want), text)
        else:
            print("ok: squeezenet1_0: all %d Conv2d recorded" % want)
        convbench_ok(fsq, "squeezenet1_0 at 64x64")
    rc, out, err = run([sys.executable, SCRIPT, "--list"])
    names = out.split()
    if rc != 0 or "resnet50" not in names or "fcn_resnet50" not in names or \
            "fasterrcnn_resnet50_fpn" in names:
        fail("--list: exit %d; should name classification and segmentation "
             "models only" % rc, out + err)
    else:
        print("ok: --list")

    # 4. bad input: exit 2, a message, no traceback, no file written
    fo = os.path.join(tmp, "never")
    bad(["nosuchnet", "-o", fo], "nosuchnet.*not a torchvision model",
        "unknown model (as a command)", in_process=False)
    bad(["no_such_module_x:f"], "cannot import no_such_module_x",
        "unknown module")
    bad([os.path.join(tmp, "missing.py") + ":f"], "no file", "missing file")
    bad([TINY + ":nofunc"], "no callable 'nofunc'", "unknown function")
    bad([TINY + ":not_a_module"], "returned int, not an nn.Module",
        "function returning no module")
    bad([TINY + ":tiny2d", "--input", "3x12x12", "-o", fo],
        "forward pass on input 1x3x12x12 failed", "wrong channel count")
    bad(["resnet18", "--input", "3x224"], "forward pass on input 1x3x224 "
        "failed", "2D model given a 1D input")
    bad(["resnet18", "--input", "3x0x4"], "--input '3x0x4'", "zero size")
    bad(["resnet18", "--input", "3xaxb"], "--input '3xaxb'", "not a shape")
    bad(["resnet18", "--batch", "0"], "--batch", "batch 0")
    bad([], "give one of MODEL", "no model (as a command)", in_process=False)
    bad(["resnet18", "--bogus"], "", "unknown option")
    bad([TINY + ":tiny1d", "--input", "16x100", "-o",
         os.path.join(tmp, "no", "dir", "f")], "cannot write .*no/dir",
        "-o in a missing directory")
    if os.path.exists(fo):
        fail("bad input wrote %s" % fo)

print("test_model_shapes: %s" % ("all checks passed" if not failures else
                                 "%d check(s) failed" % failures))
sys.exit(1 if failures else 0)
