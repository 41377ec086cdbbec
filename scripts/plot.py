#!/usr/bin/python3
"""Plots a convbench results CSV (docs/design.md §7) as PNGs.

    plot.py RESULTS.csv [--out DIR] [--baseline ALGO] [--linear]

Writes, next to the CSV (or into DIR):
  <stem>_gflops.png    GFLOP/s per layer and algorithm (grouped bars)
  <stem>_speedup.png   speedup of each algorithm over --baseline per layer
  <stem>_accuracy.png  max_rel_err per algorithm (log scale, tolerances)
  <stem>_breakdown.png where execute's time goes: per layer, one bar per
                       algorithm with its phases stacked (only when the
                       phase_<name>_ms columns of `bench --breakdown` are
                       filled)
  <stem>_networks.png  network totals (docs/design.md §11), when problems are
                       named NETWORK:LAYER: per network the sum of count x
                       median time per algorithm and with the fastest
                       verified algorithm of each layer ("best per layer");
                       hatched bars leave out layers, so are not comparable

Directions (docs/design.md §14): rows are keyed by (algo, dir, desc); a CSV
without a dir column (or an empty dir cell) is forward. The forward rows
give the files above, unchanged, so a forward-only CSV gives exactly them.
Each other direction present gets its own set, named with the direction
after the kind: <stem>_gflops_bwd_d.png, <stem>_speedup_bwd_w.png,
<stem>_accuracy_bwd_wb.png, <stem>_breakdown_bwd_d.png,
<stem>_networks_bwd_d.png, ...; with several directions, every title names
its direction. When the CSV has fwd, bwd_d and bwd_w (or bwd_wb) rows and
networks, <stem>_networks_step.png draws the training step totals: per
layer fwd + bwd_d + bwd_w, a layer without any bwd_w row taking its bwd_wb
instead; an algorithm counts a layer only when all three are timed; best
per layer sums the fastest verified algorithm of each direction. A
network's first layer needs no bwd_d, but a shape set cannot tell which
layer is first: it is counted (the plot says so). The speedup baseline
defaults, per direction, to im2col_gemm where it is timed, else naive.
Machine details come from <csv>.meta.json when present. Only PASSED rows
have timings; the others are counted in a note on the timing plots.
Exit: 0 written, 1 could not write, 2 bad input (message on stderr).
"""

import argparse
import csv
import json
import math
import os
import sys
import tempfile

# matplotlib loads only once the input is known good: bad input fails fast
plt = None
Line2D = None


def load_matplotlib():
    global plt, Line2D
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot
    import matplotlib.lines
    plt = matplotlib.pyplot
    Line2D = matplotlib.lines.Line2D

REQUIRED = ["algo", "name", "desc", "status", "median_ms", "gflops",
            "max_rel_err", "tolerance"]
# Plot order and colours stay the same from one run to the next.
ALGO_ORDER = ["naive", "im2col_gemm", "toeplitz", "fft", "winograd_f2x3",
              "winograd_f4x3", "onednn", "onednn_native"]
# Phases stacked in about the order execute() runs them; colours fixed:
# tab10's in the order of the first ten phases there were, then near-black
# for the backward's weight side and light green for col2im.
PHASE_ORDER = ["reorder_in", "kernel", "lower", "input", "forward", "gemm",
               "product", "primitive", "inverse", "col2im", "output",
               "reorder_out"]
PHASE_TAB10 = ["reorder_in", "lower", "input", "forward", "gemm", "product",
               "primitive", "inverse", "output", "reorder_out"]
PHASE_EXTRA = {"kernel": "#262626", "col2im": "#98df8a"}

# Directions in file-name and plot order (docs/design.md §14).
DIRS = ["fwd", "bwd_d", "bwd_w", "bwd_wb"]
DIR_WHAT = {"fwd": "forward", "bwd_d": "backward data",
            "bwd_w": "backward weights",
            "bwd_wb": "backward weights and bias"}

BEST = "best per layer"
ZERO_FLOOR_FACTOR = 0.1  # exact (0) errors are drawn a decade below the rest


class BadInput(Exception):
    pass


def number(text, path, line, col):
    try:
        v = float(text)
    except ValueError:
        raise BadInput('%s:%d: column %s: "%s" is not a number'
                       % (path, line, col, text)) from None
    if not math.isfinite(v) or v < 0:
        raise BadInput('%s:%d: column %s: "%s" is not a non-negative number'
                       % (path, line, col, text))
    return v


def read_rows(path):
    try:
        f = open(path, newline="", encoding="utf-8")
    except OSError as e:
        raise BadInput("%s: cannot open: %s" % (path, e.strerror)) from None
    rows = []
    with f:
        try:
            reader = csv.reader(f, strict=True)
            header = next(reader, None)
            if not header:
                raise BadInput("%s: empty, no header" % path)
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise BadInput('%s:1: no column "%s" in the header (is this '
                               'a convbench CSV?)' % (path, missing[0]))
            idx = {c: header.index(c) for c in header}
            for fields in reader:
                line = reader.line_num
                if not fields:
                    continue
                if len(fields) != len(header):
                    raise BadInput("%s:%d: %d fields, the header has %d"
                                   % (path, line, len(fields), len(header)))
                r = {c: fields[i] for c, i in idx.items()}
                r["line"] = line
                rows.append(r)
        except csv.Error as e:
            raise BadInput("%s:%d: %s" % (path, reader.line_num, e)) from None
        except UnicodeDecodeError:
            raise BadInput("%s: not UTF-8 text" % path) from None
    for r in rows:
        if not r["algo"] or not r["status"] or not r["desc"]:
            raise BadInput("%s:%d: empty algo, desc or status"
                           % (path, r["line"]))
        r["dir"] = r.get("dir") or "fwd"
        if r["dir"] not in DIRS:
            raise BadInput('%s:%d: column dir: "%s" is not a direction (%s)'
                           % (path, r["line"], r["dir"], ", ".join(DIRS)))
        r["timed"] = False
        if r["status"] == "PASSED" and r["median_ms"] and r["gflops"]:
            r["median"] = number(r["median_ms"], path, r["line"], "median_ms")
            r["rate"] = number(r["gflops"], path, r["line"], "gflops")
            r["timed"] = r["median"] > 0 and r["rate"] > 0
        r["err"] = (number(r["max_rel_err"], path, r["line"], "max_rel_err")
                    if r["max_rel_err"] else None)
        r["tol"] = (number(r["tolerance"], path, r["line"], "tolerance")
                    if r["tolerance"] else None)
    return rows


def read_meta(csv_path):
    path = csv_path + ".meta.json"
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise BadInput("%s: %s" % (path, e)) from None
    if not isinstance(meta, dict):
        raise BadInput("%s: not a JSON object" % path)
    return meta


def footer_text(csv_path, meta):
    parts = [os.path.basename(csv_path)]
    if meta is None:
        parts.append("no .meta.json: machine unknown")
    else:
        parts.append(str(meta.get("cpu_model", "unknown CPU")))
        if "threads" in meta:
            parts.append("%s threads" % meta["threads"])
        if meta.get("blas_core"):
            parts.append("BLAS core %s" % meta["blas_core"])
        sg = meta.get("sgemm_gflops")
        if isinstance(sg, (int, float)) and sg > 0:
            parts.append("sgemm %.0f GFLOP/s" % sg)
        if meta.get("fill"):
            parts.append("%s fill" % meta["fill"])
        if meta.get("date"):
            parts.append(str(meta["date"]))
        if meta.get("git_commit"):
            parts.append("commit %s" % str(meta["git_commit"])[:12])
    return "  |  ".join(parts)


def algo_list(rows):
    seen = []
    for r in rows:
        if r["algo"] not in seen:
            seen.append(r["algo"])
    known = [a for a in ALGO_ORDER if a in seen]
    return known + sorted(a for a in seen if a not in ALGO_ORDER)


def colours(algos):
    cmap = plt.get_cmap("tab10")
    fixed = {a: cmap(i % 10) for i, a in enumerate(ALGO_ORDER)}
    extra = [a for a in algos if a not in fixed]
    for i, a in enumerate(extra):
        fixed[a] = cmap((len(ALGO_ORDER) + i) % 10)
    return fixed


def layers(rows):
    """Problems in file order: (desc, label); labels made unique."""
    order, label, count = [], {}, {}
    for r in rows:
        d = r["desc"]
        if d in label:
            continue
        base = r["name"] or d
        count[base] = count.get(base, 0) + 1
        label[d] = base if count[base] == 1 else "%s [%d]" % (base, count[base])
        order.append(d)
    return [(d, label[d]) for d in order]


def skipped_note(rows):
    by = {}
    for r in rows:
        if not r["timed"]:
            key = r["status"] if r["status"] != "PASSED" else "untimed PASSED"
            by[key] = by.get(key, 0) + 1
    if not by:
        return "all %d rows timed" % len(rows)
    return "skipped (no timings): " + ", ".join(
        "%d %s" % (n, s) for s, n in sorted(by.items()))


def new_figure(n_groups, per_group):
    height = max(4.0, 1.6 + n_groups * (0.14 * per_group + 0.25))
    return plt.subplots(figsize=(11, height))


def finish(fig, title, subtitle, footer, note, path):
    fig.suptitle(title, fontsize=14, fontweight="bold", y=0.995)
    h = fig.get_figheight()
    top, bottom = 1 - 0.62 / h, 0.55 / h
    fig.text(0.5, 1 - 0.5 / h, subtitle, ha="center", fontsize=9,
             color="0.3")
    fig.text(0.01, 0.08 / fig.get_figheight(), footer, fontsize=8,
             color="0.35")
    if note:
        fig.text(0.01, 0.32 / fig.get_figheight(), note, fontsize=8,
                 color="0.35")
    fig.tight_layout(rect=(0, bottom, 1, top), pad=0.6)
    save(fig, path)


def save(fig, path):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".plot-", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=100)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        plt.close(fig)
    print("wrote %s" % path)


def no_data(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes,
            fontsize=12, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def grouped_barh(ax, groups, algos, value, colour, hatched=None):
    """Horizontal bars: one group per layer (top to bottom), one bar per
    algorithm with a value; hatched(desc, algo) marks bars that are not
    comparable. Returns the algorithms drawn."""
    drawn = set()
    ticks, labels = [], []
    y = 0.0
    for desc, label in groups:
        vals = [(a, value(desc, a)) for a in algos]
        vals = [(a, v) for a, v in vals if v is not None]
        if not vals:
            continue
        step = 0.8 / len(vals)
        for k, (a, v) in enumerate(vals):
            pos = y - k * step
            mark = hatched is not None and hatched(desc, a)
            ax.barh(pos, v, height=step * 0.92, color=colour[a],
                    edgecolor="white" if mark else "none",
                    hatch="///" if mark else None)
            ax.annotate("%.3g" % v, (v, pos), xytext=(2, 0),
                        textcoords="offset points", va="center", fontsize=6,
                        color="0.25")
            drawn.add(a)
        ticks.append(y - (len(vals) - 1) * step / 2)
        labels.append(label)
        y -= 1.0
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_ylim(y + 0.1, 0.45)  # the bars span [y_last - 0.8, 0.37]
    ax.margins(x=0.08)
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.set_axisbelow(True)
    return drawn


def legend(ax, algos, colour, drawn, extra=()):
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour[a])
               for a in algos if a in drawn]
    names = [a for a in algos if a in drawn]
    handles += [h for h, _ in extra]
    names += [n for _, n in extra]
    if handles:
        ax.legend(handles, names, fontsize=8, loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def plot_gflops(rows, algos, colour, footer, path, log, what=""):
    timed = {(r["desc"], r["algo"]): r["rate"] for r in rows if r["timed"]}
    groups = [g for g in layers(rows)
              if any((g[0], a) in timed for a in algos)]
    fig, ax = new_figure(len(groups), len(algos))
    if groups:
        drawn = grouped_barh(ax, groups, algos,
                             lambda d, a: timed.get((d, a)), colour)
        if log:
            ax.set_xscale("log")
        ax.set_xlabel("GFLOP/s (effective: 2*N*OC*OH*OW*IC/G*KH*KW / median "
                      "time; higher is better%s)" % (", log scale" if log
                                                     else ""))
        legend(ax, algos, colour, drawn)
    else:
        no_data(ax, "no timed (PASSED) rows")
    ax.set_ylabel("layer")
    finish(fig, "Convolution throughput per layer" + what,
           "GFLOP/s of each algorithm from its median execute time, plan "
           "time excluded", footer, skipped_note(rows), path)


def plot_speedup(rows, algos, colour, footer, path, baseline, what=""):
    med = {(r["desc"], r["algo"]): r["median"] for r in rows if r["timed"]}
    others = [a for a in algos if a != baseline]
    groups, no_base = [], 0
    for g in layers(rows):
        if not any((g[0], a) in med for a in others):
            continue
        if (g[0], baseline) in med:
            groups.append(g)
        else:
            no_base += 1

    def speedup(d, a):
        m = med.get((d, a))
        return med[(d, baseline)] / m if m else None

    fig, ax = new_figure(len(groups), len(others))
    if groups and others:
        drawn = grouped_barh(ax, groups, others, speedup, colour)
        ax.set_xscale("log")
        ax.axvline(1.0, color="0.2", lw=1)
        ax.set_xlabel("speedup over %s (its median time / the algorithm's; "
                      "log scale, >1 is faster)" % baseline)
        legend(ax, others, colour, drawn)
    else:
        no_data(ax, "no layer timed for both %s and another algorithm"
                % baseline)
    ax.set_ylabel("layer")
    note = skipped_note(rows)
    if no_base:
        note += "; %d layer(s) left out: %s has no timing there" % (
            no_base, baseline)
    finish(fig, "Speedup over %s%s" % (baseline, what),
           "per layer: %s's median time divided by each algorithm's" %
           baseline, footer, note, path)


def plot_accuracy(rows, algos, colour, footer, path, what=""):
    pts = [r for r in rows if r["err"] is not None
           and r["status"] in ("PASSED", "FAILED")]
    nonzero = [r["err"] for r in pts if r["err"] > 0]
    tols = [r["tol"] for r in pts if r["tol"]]
    lo = min(nonzero + tols) if (nonzero or tols) else 1e-7
    floor = 10 ** math.floor(math.log10(lo * ZERO_FLOOR_FACTOR))
    shown = [a for a in algos if any(r["algo"] == a for r in pts)]
    fig, ax = plt.subplots(figsize=(max(7.0, 1.2 * len(shown) + 3), 6))
    zeros = 0
    if shown:
        for i, a in enumerate(shown):
            mine = [r for r in pts if r["algo"] == a]
            for j, r in enumerate(mine):
                # deterministic spread so equal errors stay visible
                x = i + (((j * 0.618034) % 1.0) - 0.5) * 0.5
                failed = r["status"] == "FAILED"
                if r["err"] == 0:
                    zeros += 1
                    ax.plot(x, floor, marker="v", ms=6, mfc="none",
                            mec=colour[a], ls="none")
                else:
                    ax.plot(x, r["err"], marker="x" if failed else "o",
                            ms=7 if failed else 5, ls="none",
                            color="red" if failed else colour[a],
                            alpha=0.9 if failed else 0.7)
            tol = sorted({r["tol"] for r in mine if r["tol"]})
            for t in tol:
                ax.hlines(t, i - 0.38, i + 0.38, colors="0.15",
                          linestyles="--", lw=1.2)
        ax.set_yscale("log")
        ax.set_xticks(range(len(shown)))
        ax.set_xticklabels(shown, rotation=20, ha="right")
        ax.set_xlim(-0.6, len(shown) - 0.4)
        ax.axhline(floor, color="0.7", lw=0.8, ls=":")
        ax.set_ylabel("max relative error per problem (docs/design.md §4: |y - ref| "
                      "/ sum |x*w|, log scale)", fontsize=9)
        ax.set_xlabel("algorithm")
        ax.grid(axis="y", which="major", alpha=0.3)
        handles = [
            (Line2D([], [], color="0.15", ls="--"), "tolerance"),
            (Line2D([], [], marker="o", ls="none", color="0.4"),
             "PASSED problem"),
            (Line2D([], [], marker="x", ls="none", color="red"),
             "FAILED problem"),
            (Line2D([], [], marker="v", ls="none", mfc="none", mec="0.4"),
             "error exactly 0 (drawn at %.0e)" % floor),
        ]
        ax.legend([h for h, _ in handles], [n for _, n in handles],
                  fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  borderaxespad=0)
    else:
        no_data(ax, "no PASSED or FAILED rows with max_rel_err")
    left_out = len(rows) - len(pts)
    note = "%d problem(s) with error exactly 0 drawn at the floor %.0e" % (
        zeros, floor)
    if left_out:
        note += "; %d row(s) without an error (UNSUPPORTED/ERROR) left out" \
            % left_out
    fig.set_figheight(6.6)
    finish(fig, "Accuracy per algorithm" + what,
           "max_rel_err of every verified problem against the double "
           "reference; dashed: the algorithm's tolerance", footer, note, path)


def read_phases(rows, path):
    """phase_<name>_ms columns of PASSED rows into r["phases"] ({name: ms},
    empty cells left out); returns the phase names present, stacking
    order."""
    names = []
    for r in rows:
        r["phases"] = {}
        for col, text in r.items():
            if not (isinstance(text, str) and col.startswith("phase_")
                    and col.endswith("_ms") and len(col) > 9):
                continue
            name = col[6:-3]
            if name not in names:
                names.append(name)
            if text and r["status"] == "PASSED":
                r["phases"][name] = number(text, path, r["line"], col)
    known = [p for p in PHASE_ORDER if p in names]
    return known + [p for p in names if p not in PHASE_ORDER]


def plot_breakdown(rows, algos, phases, footer, path, what=""):
    """One bar per algorithm with phases per layer, its phases stacked as
    shares of their sum; False (nothing written) when no row has any."""
    have = {(r["desc"], r["algo"]): r for r in rows if r.get("phases")}
    if not have:
        return False
    cmap = plt.get_cmap("tab10")
    pc = {p: cmap(i) for i, p in enumerate(PHASE_TAB10)}
    pc.update(PHASE_EXTRA)
    for i, p in enumerate(x for x in phases if x not in pc):
        pc[p] = plt.get_cmap("Dark2")(i % 8)
    groups = [g for g in layers(rows) if any((g[0], a) in have for a in algos)]
    per = max(sum((d, a) in have for a in algos) for d, _ in groups)
    fig, ax = new_figure(len(groups), per)
    ticks, labels, used = [], [], set()
    y = 0.0
    for desc, label in groups:
        mine = [a for a in algos if (desc, a) in have]
        step = 0.8 / len(mine)
        for k, a in enumerate(mine):
            r, pos, left = have[(desc, a)], y - k * step, 0.0
            total = sum(r["phases"].values())
            for p in phases:
                v = r["phases"].get(p)
                if not v:  # none, or a phase this direction never enters
                    continue
                share = 100.0 * v / total if total > 0 else 0.0
                ax.barh(pos, share, left=left, height=step * 0.92,
                        color=pc[p], edgecolor="white", linewidth=0.4)
                left += share
                used.add(p)
            text = "%s  %.3g ms" % (a, total)
            if r.get("timed"):
                text += " (median %.3g)" % r["median"]
            ax.annotate(text, (100.0, pos), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=6,
                        color="0.25")
        ticks.append(y - (len(mine) - 1) * step / 2)
        labels.append(label)
        y -= 1.0
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_ylim(y + 0.1, 0.45)
    ax.set_xlim(0, 135)  # room for the labels right of the bars
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("share of the phases' time per working thread (%; label: "
                  "algorithm, phases' sum and the timed median in ms)")
    ax.set_ylabel("layer")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    handles = [plt.Rectangle((0, 0), 1, 1, color=pc[p]) for p in phases
               if p in used]
    ax.legend(handles, [p for p in phases if p in used], fontsize=8,
              loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    without = sorted({r["algo"] for r in rows if r["timed"]}
                     - {a for _, a in have})
    note = "no phases: %s" % ", ".join(without) if without else ""
    finish(fig, "Where execute's time goes" + what,
           "phases of execute() timed in the separate --breakdown pass "
           "(median per phase), stacked per algorithm and layer", footer,
           note, path)
    return True


def repeat_count(r, path):
    """count column if present, else the name's benchdnn suffix *N."""
    text = r.get("count")
    if text is None:
        base, star, n = r["name"].rpartition("*")
        text = n if star and n.isdigit() else "1"
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise BadInput('%s:%d: count "%s" is not a positive integer'
                       % (path, r["line"], text))
    return v


def network_layers(rows, path):
    """{network: {desc: {"count", "med": {(dir, algo): ms}, "dirs"}}} of
    the rows named NETWORK:LAYER, networks and layers in file order."""
    nets = {}
    for r in rows:
        name = r["name"]
        if ":" not in name or name.startswith(":"):
            continue
        net = nets.setdefault(name.split(":", 1)[0], {})
        lay = net.setdefault(r["desc"], {"count": repeat_count(r, path),
                                         "med": {}, "dirs": set()})
        lay["dirs"].add(r["dir"])
        if r["status"] == "PASSED" and r["median_ms"]:
            lay["med"][(r["dir"], r["algo"])] = number(
                r["median_ms"], path, r["line"], "median_ms")
    return nets


def dir_time(d):
    """time(layer, algo): the layer's median in direction d (BEST: the
    fastest PASSED algorithm's), None without one."""
    def time(lay, a):
        if a != BEST:
            return lay["med"].get((d, a))
        v = [m for (dd, _), m in lay["med"].items() if dd == d]
        return min(v) if v else None
    return time


def weight_dir(lay):
    """A layer's weight gradient in a training step: bwd_w, or bwd_wb when
    the layer has bwd_wb rows and no bwd_w row."""
    return ("bwd_wb" if "bwd_wb" in lay["dirs"] and "bwd_w" not in lay["dirs"]
            else "bwd_w")


def step_time(lay, a):
    """fwd + bwd_d + bwd_w of a layer (per direction the fastest for
    BEST), None unless all three are timed."""
    parts = [dir_time(d)(lay, a) for d in ("fwd", "bwd_d", weight_dir(lay))]
    return None if None in parts else sum(parts)


def network_totals(nets, algos, time):
    """[(network, layers, {algo: (total_ms, layers timed)})] from
    network_layers(): per network the sum of count x time(layer, algo);
    BEST sums each layer's fastest."""
    out = []
    for net, lays in nets.items():
        totals = {}
        for a in algos + [BEST]:
            t, n = 0.0, 0
            for lay in lays.values():
                v = time(lay, a)
                if v is not None:
                    t += lay["count"] * v
                    n += 1
            if n:
                totals[a] = (t, n)
        out.append((net, len(lays), totals))
    return out


def step_algos(rows, algos):
    """The algorithms with rows in fwd, bwd_d and bwd_w or bwd_wb."""
    has = {}
    for r in rows:
        has.setdefault(r["algo"], set()).add(r["dir"])
    return [a for a in algos if {"fwd", "bwd_d"} <= has.get(a, set())
            and has[a] & {"bwd_w", "bwd_wb"}]


NET_TEXT = {
    "title": "Network totals",
    "xlabel": "network total: sum over its layers of count x median time, "
              "ms (log scale, lower is better)",
    "subtitle": "per algorithm over the layers it verified and timed; best "
                "per layer: the fastest verified algorithm of each layer",
    "note": "hatched: the algorithm has no verified timing for some layers, "
            "so its total covers fewer layers and is not comparable",
}
STEP_TEXT = {
    "title": "Training step totals",
    "xlabel": "training step: sum over the layers of count x (fwd + bwd_d + "
              "bwd_w median), ms (log scale, lower is better)",
    "subtitle": "per layer fwd + bwd_d + bwd_w (bwd_wb where a layer has "
                "no bwd_w row); best per layer: the fastest verified "
                "algorithm of each layer in each direction",
    "note": "hatched: not every layer has all three directions verified and "
            "timed. Every layer's bwd_d is counted: a network's first layer "
            "needs none, but a shape set cannot tell which layer is first",
}


def plot_networks(nets, algos, colour, footer, path, text=NET_TEXT,
                  what=""):
    colour = dict(colour)
    colour[BEST] = "0.15"
    shown = algos + [BEST]
    groups = [(net, "%s (%d layer%s)" % (net, n, "s" if n > 1 else ""))
              for net, n, _ in nets]
    by = {net: (n, tot) for net, n, tot in nets}
    fig, ax = new_figure(len(groups), len(shown))
    if any(tot for _, _, tot in nets):
        drawn = grouped_barh(
            ax, groups, shown,
            lambda net, a: by[net][1].get(a, (None,))[0], colour,
            hatched=lambda net, a: by[net][1][a][1] < by[net][0])
        ax.set_xscale("log")
        ax.set_xlabel(text["xlabel"])
        legend(ax, shown, colour, drawn, extra=[(plt.Rectangle(
            (0, 0), 1, 1, facecolor="white", edgecolor="0.3", hatch="///"),
            "incomplete: layers missing")])
    else:
        no_data(ax, "no timed (PASSED) layer in any network")
    ax.set_ylabel("network")
    finish(fig, text["title"] + what, text["subtitle"], footer, text["note"],
           path)


def plan_plots(rows, algos, path):
    """What to draw: per direction present (forward alone when there is no
    row) (dir, its rows, its algorithms, its network totals), then the
    training step's (algorithms, network totals) or None. Raises BadInput
    on a bad repeat count, before matplotlib loads."""
    present = [d for d in DIRS if any(r["dir"] == d for r in rows)]
    per = []
    for d in present or ["fwd"]:
        sub = [r for r in rows if r["dir"] == d]
        mine = algo_list(sub)
        per.append((d, sub, mine, network_totals(network_layers(sub, path),
                                                 mine, dir_time(d))))
    step = None
    if {"fwd", "bwd_d"} <= set(present) and {"bwd_w", "bwd_wb"} & set(present):
        nets = network_layers(rows, path)
        if nets:
            mine = step_algos(rows, algos)
            step = (mine, network_totals(nets, mine, step_time))
    return per, step


def draw(per, step, args, phases, colour, footer, out, stem):
    """Every plot of plan_plots(); forward's files keep their names, each
    other direction's end in _<dir>."""
    several = [d for d, _, _, _ in per] != ["fwd"]
    for d, rows, algos, nets in per:
        tag = "" if d == "fwd" else "_" + d
        what = " (%s: %s)" % (d, DIR_WHAT[d]) if several else ""

        def name(kind):
            return os.path.join(out, "%s_%s%s.png" % (stem, kind, tag))
        baseline = args.baseline
        if baseline is None:
            baseline = ("im2col_gemm" if any(r["timed"] and r["algo"] ==
                                             "im2col_gemm" for r in rows)
                        else "naive")
        plot_gflops(rows, algos, colour, footer, name("gflops"),
                    not args.linear, what)
        plot_speedup(rows, algos, colour, footer, name("speedup"), baseline,
                     what)
        plot_accuracy(rows, algos, colour, footer, name("accuracy"), what)
        if not plot_breakdown(rows, algos, phases, footer, name("breakdown"),
                              what):
            print("no phase_<name>_ms values (bench --breakdown)%s: no "
                  "breakdown plot" % (" in " + d if several else ""))
        if nets:
            plot_networks(nets, algos, colour, footer, name("networks"),
                          what=what)
    if step:
        plot_networks(step[1], step[0], colour, footer,
                      os.path.join(out, stem + "_networks_step.png"),
                      STEP_TEXT)


def main(argv):
    ap = argparse.ArgumentParser(
        description="Plot a convbench results CSV as PNGs.")
    ap.add_argument("csv", help="results CSV written by convbench bench "
                    "--csv")
    ap.add_argument("--out", metavar="DIR",
                    help="directory for the PNGs (default: beside the CSV)")
    ap.add_argument("--baseline", metavar="ALGO", default=None,
                    help="speedup reference (default im2col_gemm, else "
                    "naive, per direction)")
    ap.add_argument("--linear", action="store_true",
                    help="linear GFLOP/s axis (default: log)")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 0 if e.code == 0 else 2
    try:
        rows = read_rows(args.csv)
        phases = read_phases(rows, args.csv)
        meta = read_meta(args.csv)
        algos = algo_list(rows)
        per, step = plan_plots(rows, algos, args.csv)
    except BadInput as e:
        print("plot.py: %s" % e, file=sys.stderr)
        return 2
    if args.baseline is not None and args.baseline not in algos:
        print("plot.py: --baseline %s: no such algorithm in %s (have: %s)"
              % (args.baseline, args.csv, ", ".join(algos) or "none"),
              file=sys.stderr)
        return 2
    out = args.out or os.path.dirname(os.path.abspath(args.csv))
    if not os.path.isdir(out):
        print("plot.py: --out %s: not a directory" % out, file=sys.stderr)
        return 2
    stem = os.path.splitext(os.path.basename(args.csv))[0]
    load_matplotlib()
    try:
        draw(per, step, args, phases, colours(algos),
             footer_text(args.csv, meta), out, stem)
    except OSError as e:
        print("plot.py: cannot write: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
