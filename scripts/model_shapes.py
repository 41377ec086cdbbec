#!/usr/bin/python3
"""Shape file of every Conv1d/Conv2d a PyTorch model executes, and of its
transposed convolutions as bwd_d problems (docs/design.md §11, §14).

    model_shapes.py MODEL [--input CxHxW] [--batch N] [--name NAME] [-o FILE]
    model_shapes.py --list
    model_shapes.py --all-torchvision [-o FILE]

MODEL is a torchvision model name (see --list) or MODULE:FUNCTION, where
MODULE is importable from the current directory or PYTHONPATH, or is a path
to a .py file, and FUNCTION (called without arguments) returns an nn.Module.
The model runs one forward pass on zeros of shape (N, C, H, W), or (N, C, W)
with --input CxW for 1D models, under torch.no_grad() and without weights
(nothing is downloaded). Forward hooks record every Conv1d and Conv2d call
as a benchdnn descriptor named NAME:module.path (NAME: the torchvision model,
else the function's name); identical problems are merged into the first
one, with benchdnn's repeat suffix: n"resnet50:layer1.0.conv2*3".

What is recorded is what the convolution computes:
  - padding='same' with an even kernel extent pads one more row/column at
    the bottom/right (PyTorch's rule): the descriptor gives oh/ow and ph/pw
    = the top/left padding, and the parser derives PB = PT + 1;
  - padding_mode reflect/replicate/circular pads the input before a valid
    convolution: the descriptor is that valid convolution on the padded
    input (ih + PT + PB), with no padding;
  - dilation D is written as benchdnn's dh = D - 1.
Convolutions called as functions (F.conv2d) and Conv3d/ConvTranspose3d
layers are not recorded; the latter are counted in a note on stderr.

ConvTranspose1d/ConvTranspose2d layers are recorded as the bwd_d problem of
their equivalent convolution (docs/design.md §14): a ConvTranspose with
in C1, out C2, kernel k, stride s, padding p, output_padding op, dilation
d, groups g on an H1-long input computes dx of the convolution with
ic = C2, oc = C1, ih = (H1-1)*s - 2p + d*(k-1) + op + 1, padding p, stride
s, dilation d, groups g and oh = H1; its weight (C1 x C2/g x k) is that
convolution's, its input is dy and its output (less its bias) is dx.
A shape file has no direction, so these problems go to a file of their
own, run with --dir bwd_d:
    -o FILE     writes the Conv1d/Conv2d problems to FILE and, when the
                model has transposed convolutions, their bwd_d problems
                to FILE.bwd_d (same names, NAME:module.path*N):
                    convbench bench --shapes FILE
                    convbench bench --shapes FILE.bwd_d --dir bwd_d
    stdout      the forward problems, then the bwd_d ones as comments
                "# bwd_d: DESCRIPTOR" (the text stays a forward shape file)
An output_padding of at least stride + padding (possible only with
dilation over the stride) leaves trailing outputs no input reaches, which
no descriptor can express: such a layer is not recorded (note on stderr).

--all-torchvision writes every torchvision classification and segmentation
model at batch 1 (input 3x224x224, inception_v3 3x299x299): one file per
model in FILE.d/ (names MODEL:path*N) and FILE itself with the unique
problems of all of them, each named torchvision:MODEL:path after its first
use, without a repeat count, and a comment saying how often it occurs.
Exit: 0 written, 2 bad model, module, shape or option, or an output that
cannot be written (message on stderr).
"""

import argparse
import importlib
import importlib.util
import os
import sys
import tempfile
import time
import warnings

# Longest name the harness keeps (conv_problem.name in algorithms/conv.h).
NAME_MAX = 127
DEFAULT_INPUT = (3, 224, 224)
# Models whose architecture is laid out for another input size.
TORCHVISION_INPUT = {"inception_v3": (3, 299, 299)}
# Builder modules of the model families handled, by their task.
TORCHVISION_TASKS = {
    "classification": lambda mod: mod.count(".") == 2,
    "segmentation": lambda mod: mod.startswith(
        "torchvision.models.segmentation."),
}

torch = None


class BadInput(Exception):
    pass


def load_torch():
    global torch
    try:
        import torch as t
        import torchvision  # noqa: F401 (the model zoo, when asked for)
    except ImportError as e:
        raise BadInput("cannot import PyTorch/torchvision (%s): install "
                       "Debian's python3-torch and python3-torchvision" % e)
    torch = t
    # belt and braces: weights=None asks for no download; make sure
    import torch.hub
    import torchvision._internally_replaced_utils as tv_utils
    import torchvision.models._api as tv_api
    for mod in (torch.hub, tv_utils, tv_api):
        for f in ("load_state_dict_from_url", "download_url_to_file"):
            if hasattr(mod, f):
                setattr(mod, f, no_download)
    # PyTorch's note that padding='same' may copy the input: not ours
    warnings.filterwarnings("ignore", message="Using padding='same'")


class no_init:
    """Builds a model without initialising its weights: the shapes do not
    depend on them, and random init of the large models costs minutes.
    Replaces torch.nn.init's in-place initialisers (looked up at call
    time by torchvision and torch.nn) with no-ops while active."""

    def __enter__(self):
        init = torch.nn.init
        self.saved = {n: getattr(init, n) for n in dir(init)
                      if n.endswith("_") and not n.startswith("_")
                      and callable(getattr(init, n))}
        for n in self.saved:
            setattr(init, n, lambda t, *a, **k: t)

    def __exit__(self, *exc):
        for n, f in self.saved.items():
            setattr(torch.nn.init, n, f)


def no_download(url, *args, **kwargs):
    raise BadInput("the model wants to download %s: weights are never "
                   "loaded here" % url)


def build_torchvision(name, task):
    from torchvision import models
    # weights_backbone: segmentation models load an ImageNet backbone
    # unless told not to
    kw = {"weights_backbone": None} if task == "segmentation" else {}
    with no_init():
        return models.get_model(name, weights=None, **kw)


def torchvision_models():
    """{name: task} of the torchvision models this script handles."""
    from torchvision import models
    out = {}
    for name in models.list_models():
        mod = models.get_model_builder(name).__module__
        for task, match in TORCHVISION_TASKS.items():
            if match(mod):
                out[name] = task
    return out


def parse_input(text):
    parts = text.lower().split("x")
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        dims = ()
    if len(dims) not in (2, 3) or any(d < 1 for d in dims):
        raise BadInput("--input '%s': expected CxHxW or CxW (1D), positive "
                       "integers, e.g. 3x224x224" % text)
    return dims


def load_user_model(spec):
    mod_name, _, fn_name = spec.rpartition(":")
    if not mod_name or not fn_name:
        raise BadInput("model '%s': expected a torchvision name or "
                       "MODULE:FUNCTION" % spec)
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        if mod_name.endswith(".py"):
            if not os.path.isfile(mod_name):
                raise BadInput("model '%s': no file %s" % (spec, mod_name))
            s = importlib.util.spec_from_file_location(
                "_model_shapes_user", mod_name)
            module = importlib.util.module_from_spec(s)
            s.loader.exec_module(module)
        else:
            module = importlib.import_module(mod_name)
    except BadInput:
        raise
    except Exception as e:
        raise BadInput("model '%s': cannot import %s: %s: %s"
                       % (spec, mod_name, type(e).__name__, e))
    fn = getattr(module, fn_name, None)
    if not callable(fn):
        raise BadInput("model '%s': %s has no callable '%s'"
                       % (spec, mod_name, fn_name))
    try:
        model = fn()
    except Exception as e:
        raise BadInput("model '%s': %s() raised %s: %s"
                       % (spec, fn_name, type(e).__name__, e))
    if not isinstance(model, torch.nn.Module):
        raise BadInput("model '%s': %s() returned %s, not an nn.Module"
                       % (spec, fn_name, type(model).__name__))
    return model, fn_name


def load_model(spec, known):
    """(module, network name) for a torchvision name or MODULE:FUNCTION."""
    if ":" not in spec:
        if spec not in known:
            raise BadInput("model '%s': not a torchvision model this script "
                           "knows (see --list), nor MODULE:FUNCTION" % spec)
        return build_torchvision(spec, known[spec]), spec
    return load_user_model(spec)


def axis(inp, out, k, s, d, pa, pb, mode):
    """One spatial axis as benchdnn fields (i, o, k, s, p, d)."""
    if mode != "zeros":  # the module pads, then convolves without padding
        inp, pa, pb = inp + pa + pb, 0, 0
    ext = (k - 1) * d + 1
    if (inp + pa + pb - ext) // s + 1 != out:
        raise RuntimeError("output %d does not follow from input %d, kernel "
                           "%d, stride %d, dilation %d, padding %d+%d"
                           % (out, inp, k, s, d, pa, pb))
    return dict(i=inp, o=out, k=k, s=s, p=pa, d=d - 1)


def fields(groups, mb, ic, oc, axes):
    """benchdnn descriptor (without name) from axis() dicts, h then w."""
    g = "g%d" % groups if groups != 1 else ""
    names = "hw" if len(axes) == 2 else "w"
    ins = "".join("i%s%d" % (n, ax["i"]) for n, ax in zip(names, axes))
    outs = "".join("o%s%d" % (n, ax["o"]) for n, ax in zip(names, axes))
    # benchdnn's order: kh kw sh sw ph pw dh dw
    rest = "".join("%s%s%d" % (f, n, ax[f]) for f in "kspd"
                   for n, ax in zip(names, axes))
    return "%smb%dic%d%soc%d%s%s" % (g, mb, ic, ins, oc, outs, rest)


def descriptor(m, x, y):
    """The benchdnn descriptor (without name) of conv module m on x -> y."""
    nd = x.dim() - 2
    # [left_w, right_w, top_h, bottom_h]: what PyTorch pads, incl. 'same'
    pads = list(m._reversed_padding_repeated_twice)
    axes = []
    for a in range(nd):  # h then w (w only for Conv1d)
        r = 2 * (nd - 1 - a)
        axes.append(axis(x.shape[2 + a], y.shape[2 + a], m.kernel_size[a],
                         m.stride[a], m.dilation[a], pads[r], pads[r + 1],
                         m.padding_mode))
    return fields(m.groups, x.shape[0], x.shape[1], y.shape[1], axes)


class NoDescriptor(Exception):
    pass


def transposed_axis(h1, out, k, s, p, d):
    """One axis of a ConvTranspose (input h1, output out) as the benchdnn
    fields of the convolution whose bwd_d it is: that convolution's input
    is the ConvTranspose's output, its output the ConvTranspose's input."""
    # output_padding as it ran (forward(x, output_size=...) may pick it)
    op = out - ((h1 - 1) * s - 2 * p + d * (k - 1) + 1)
    ih = (h1 - 1) * s - 2 * p + d * (k - 1) + op + 1
    # The convolution pads p on top and p - op below (less what lies past
    # its last window); the parser drops at most s - 1 of a negative one.
    if op < 0 or p - op < -(s - 1):
        raise NoDescriptor("output_padding %d past stride %d + padding %d"
                           % (op, s, p))
    return dict(i=ih, o=h1, k=k, s=s, p=p, d=d - 1)


def transposed_descriptor(m, x, y):
    """The descriptor of the convolution whose bwd_d ConvTranspose m on
    x -> y computes (docs/design.md §14): ic = its out, oc = its in."""
    nd = x.dim() - 2
    axes = [transposed_axis(x.shape[2 + a], y.shape[2 + a], m.kernel_size[a],
                            m.stride[a], m.padding[a], m.dilation[a])
            for a in range(nd)]
    return fields(m.groups, x.shape[0], y.shape[1], x.shape[1], axes)


class Recorder:
    """[(descriptor, first module path, count)] in first-call order."""

    def __init__(self):
        self.seen, self.order = {}, []

    def add(self, d, path):
        if d in self.seen:
            self.seen[d][1] += 1
        else:
            self.seen[d] = [path, 1]
            self.order.append(d)

    def list(self):
        return [(d, self.seen[d][0], self.seen[d][1]) for d in self.order]


def record(model, shape, batch):
    """(forward problems, bwd_d problems of the transposed convolutions,
    {(layer type, why or ""): count} of what was not recorded), each
    problem list [(descriptor, first module path, count)] in first-call
    order."""
    nn = torch.nn
    paths = {id(m): p for p, m in model.named_modules()}
    fwd, bwd_d, skipped = Recorder(), Recorder(), {}
    hooks = []

    def skip(m, why):
        what = (type(m).__name__, why)
        skipped[what] = skipped.get(what, 0) + 1

    def hook(m, inputs, output):
        path = paths.get(id(m)) or "root"
        if not isinstance(m, nn.modules.conv._ConvTransposeNd):
            fwd.add(descriptor(m, inputs[0], output), path)
            return
        try:
            bwd_d.add(transposed_descriptor(m, inputs[0], output), path)
        except NoDescriptor as e:
            skip(m, "%s: %s" % (path, e))

    convs = (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)
    for m in model.modules():
        if isinstance(m, convs):
            hooks.append(m.register_forward_hook(hook))
        elif isinstance(m, nn.modules.conv._ConvNd):
            skip(m, "")
    model.eval()
    x = torch.zeros((batch,) + tuple(shape))
    try:
        with torch.no_grad():
            model(x)
    except Exception as e:
        raise BadInput("forward pass on input %s failed: %s: %s"
                       % ("x".join(map(str, x.shape)), type(e).__name__,
                          str(e).splitlines()[0] if str(e) else ""))
    finally:
        for h in hooks:
            h.remove()
    return fwd.list(), bwd_d.list(), skipped


def named(desc, name, count):
    full = name + ("*%d" % count if count > 1 else "")
    if len(full) > NAME_MAX:
        raise BadInput("name '%s' is longer than the %d characters a "
                       "descriptor name may have: give a shorter --name"
                       % (full, NAME_MAX))
    return '%sn"%s"' % (desc, full)


def write(path, text):
    """Via a temporary file and rename: never a half-written file."""
    if path in (None, "-"):
        sys.stdout.write(text)
        return
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".model_shapes-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def header(command, what):
    return ("# %s\n# made by: %s\n# (torch %s, torchvision %s; convolutions "
            "as executed, weights not loaded)\n"
            % (what, command, torch.__version__, tv_version()))


def tv_version():
    import torchvision
    return torchvision.__version__


def shape_text(convs, name):
    return "".join(named(d, "%s:%s" % (name, p), c) + "\n"
                   for d, p, c in convs)


def note_skipped(skipped):
    for (t, why), n in sorted(skipped.items()):
        if why:
            print("model_shapes.py: note: %d %s call(s) not recorded: %s "
                  "(outputs no input reaches: no descriptor has them)"
                  % (n, t, why), file=sys.stderr)
        else:
            print("model_shapes.py: note: %d %s layer(s) not recorded (not "
                  "Conv1d/Conv2d/ConvTranspose1d/ConvTranspose2d)" % (n, t),
                  file=sys.stderr)


def counted(convs):
    return "%d convolutions, %d unique" % (sum(c for _, _, c in convs),
                                          len(convs))


# The first line of the bwd_d file: also how a stale one is recognised.
BWD_D_HEAD = "# bwd_d problems of the transposed convolutions of "


def bwd_d_text(convs, name, what, command, path):
    """The bwd_d file: its header says how to run it (docs/shapes.md)."""
    head = header(command, BWD_D_HEAD[2:] + "%s, %s: %s" % (
        name, what, counted(convs)))
    return (head + "# Each is bwd_d of the convolution written: the "
            "ConvTranspose's input is dy, its\n# output (less its bias) dx, "
            "its weight the convolution's. Run them with --dir bwd_d:\n"
            "#     convbench bench --shapes %s --dir bwd_d\n" % path
            + shape_text(convs, name))


def write_bwd_d(args, convs, name, what, command):
    """FILE.bwd_d beside -o FILE; on stdout, comments after the forward
    problems, so that the text stays a forward shape file."""
    if args.output in (None, "-"):
        if convs:
            sys.stdout.write("# bwd_d problems of the transposed convolutions "
                             "(-o FILE writes them to FILE.bwd_d, run with "
                             "--dir bwd_d):\n" + "".join(
                                 "# bwd_d: %s\n" % line for line in
                                 shape_text(convs, name).splitlines()))
        return
    path = args.output + ".bwd_d"
    if convs:
        write(path, bwd_d_text(convs, name, what, command, path))
        return
    try:  # one from an earlier run of another model would mislead
        with open(path, encoding="utf-8") as f:
            stale = f.readline().startswith(BWD_D_HEAD)
    except (OSError, UnicodeDecodeError):
        stale = False
    if stale:
        os.unlink(path)


def one_model(args, known, command):
    model, default_name = load_model(args.model, known)
    name = args.name or default_name
    if not name or any(ch in name for ch in '"*: \t\n#'):
        raise BadInput("--name '%s': must be non-empty, without quotes, "
                       "'*', ':', '#' or spaces" % name)
    shape = args.input or TORCHVISION_INPUT.get(args.model, DEFAULT_INPUT)
    convs, transposed, skipped = record(model, shape, args.batch)
    note_skipped(skipped)
    if not convs and not transposed:
        raise BadInput("model '%s': no Conv1d, Conv2d, ConvTranspose1d or "
                       "ConvTranspose2d ran in the forward pass on input %s"
                       % (args.model, "x".join(map(str, shape))))
    what = "batch %d, input %s" % (args.batch, "x".join(map(str, shape)))
    text = header(command, "%s, %s: %s" % (name, what, counted(convs)))
    if not convs:
        text += "# (no Conv1d/Conv2d: the transposed convolutions are bwd_d " \
                "problems, in FILE.bwd_d)\n"
    write(args.output, text + shape_text(convs, name))
    write_bwd_d(args, transposed, name, what, command)


def all_torchvision(args, known, command):
    if not args.output or args.output == "-":
        raise BadInput("--all-torchvision: give -o FILE (per-model sets go "
                       "to FILE.d/)")
    sub = args.output + ".d"
    os.makedirs(sub, exist_ok=True)
    unique, uses = {}, {}  # descriptor -> first name; -> (models, uses)
    t0, done = time.time(), []
    for name in sorted(known):
        shape = TORCHVISION_INPUT.get(name, DEFAULT_INPUT)
        model = build_torchvision(name, known[name])
        convs, transposed, _ = record(model, shape, 1)
        if transposed:
            print("model_shapes.py: note: %s: %d transposed convolution(s) "
                  "not in the bundled set (forward problems only)"
                  % (name, len(transposed)), file=sys.stderr)
        del model
        total = sum(c for _, _, c in convs)
        text = header(command, "%s (%s), batch 1, input %s: %d "
                      "convolutions, %d unique" % (
                          name, known[name], "x".join(map(str, shape)),
                          total, len(convs)))
        write(os.path.join(sub, name), text + shape_text(convs, name))
        for d, p, c in convs:
            unique.setdefault(d, "torchvision:%s:%s" % (name, p))
            m, u = uses.get(d, (0, 0))
            uses[d] = (m + 1, u + c)
        done.append(name)
        print("model_shapes.py: %3d/%d %-30s %4d unique (%.0f s)"
              % (len(done), len(known), name, len(convs), time.time() - t0),
              file=sys.stderr)
    text = header(command, "unique convolutions of %d torchvision models "
                  "(classification and segmentation), batch 1: %d. Each is "
                  "named after its first use; per-model sets with repeat "
                  "counts: torchvision:MODEL" % (len(done), len(unique)))
    text += "".join("%s  # %d use(s) in %d model(s)\n" % (
        named(d, unique[d], 1), uses[d][1], uses[d][0]) for d in unique)
    write(args.output, text)
    # per-model files of models no longer known would mislead: drop them
    for f in os.listdir(sub):
        if f not in known:
            os.unlink(os.path.join(sub, f))


def transposed_help():
    """The docstring's paragraph on transposed convolutions, for --help."""
    return __doc__[__doc__.index("ConvTranspose1d/ConvTranspose2d layers"):
                   __doc__.index("--all-torchvision writes")].rstrip()


def main(argv):
    ap = argparse.ArgumentParser(
        description="Write the Conv1d/Conv2d layers a PyTorch model executes "
        "as a benchdnn shape file, and its ConvTranspose1d/ConvTranspose2d "
        "layers as the bwd_d problems of their equivalent convolutions "
        "(FILE.bwd_d, run with --dir bwd_d).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=transposed_help())
    ap.add_argument("model", nargs="?",
                    help="torchvision model name, or MODULE:FUNCTION")
    ap.add_argument("--input", type=str, default=None,
                    help="one sample's shape CxHxW, or CxW for 1D models "
                    "(default 3x224x224; inception_v3 3x299x299)")
    ap.add_argument("--batch", type=str, default="1",
                    help="batch size N (default 1)")
    ap.add_argument("--name", help="network name in the descriptors "
                    "(default: the model or function name)")
    ap.add_argument("-o", "--output", metavar="FILE",
                    help="shape file to write (default: stdout); "
                    "transposed convolutions go to FILE.bwd_d, to be run "
                    "with --dir bwd_d (on stdout: '# bwd_d:' comments)")
    ap.add_argument("--list", action="store_true",
                    help="name the torchvision models this script knows")
    ap.add_argument("--all-torchvision", action="store_true",
                    help="the bundled set: every classification and "
                    "segmentation model (-o FILE, and FILE.d/MODEL)")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 0 if e.code == 0 else 2
    command = "scripts/model_shapes.py " + " ".join(argv)
    try:
        modes = sum([bool(args.model), args.list, args.all_torchvision])
        if modes != 1:
            raise BadInput("give one of MODEL, --list or --all-torchvision")
        try:
            args.batch = int(args.batch)
        except ValueError:
            args.batch = 0
        if args.batch < 1:
            raise BadInput("--batch: expected a positive integer")
        if args.input:
            args.input = parse_input(args.input)
        load_torch()
        known = torchvision_models()
        if args.list:
            for name in sorted(known):
                print("%-32s %s" % (name, known[name]))
        elif args.all_torchvision:
            all_torchvision(args, known, command)
        else:
            one_model(args, known, command)
    except BadInput as e:
        print("model_shapes.py: %s" % e, file=sys.stderr)
        return 2
    except OSError as e:  # -o FILE in a missing or read-only directory
        print("model_shapes.py: cannot write %s: %s"
              % (args.output, e.strerror), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
