#!/usr/bin/python3
"""Every relative link in README.md and docs/*.md must resolve.

    scripts/check_links.py [FILE.md ...]

A link [text](target) or ![alt](target) whose target is not a URL must name
an existing file or folder, relative to the page; a #anchor (alone, or
after a .md target) must be the slug GitHub gives one of that page's
headings. Code (fenced, indented by 4 spaces, or in backticks) is skipped.
Prints each broken link as FILE:LINE: target: why. Exit 1 if any, else 0.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")


def prose_lines(path):
    """(line number, text) of the lines outside code, inline code removed."""
    fenced = False
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith("    ") or line.startswith("\t"):
            continue
        yield n, re.sub(r"`[^`]*`", "", line)


def slugs(path):
    """GitHub's anchors of a page's headings (duplicates get -1, -2, ...);
    inline code in a heading counts as its text."""
    fenced, seen, out = False, {}, set()
    for line in open(path, encoding="utf-8"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith("    "):
            continue
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1))
        s = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        k = seen.get(s, 0)
        seen[s] = k + 1
        out.add(s if k == 0 else f"{s}-{k}")
    return out


def check(page):
    bad = []
    here = os.path.dirname(page)
    for n, line in prose_lines(page):
        for m in LINK.finditer(line):
            target = m.group(1)
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, mailto:
                continue
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(here, path)) if path else page
            rel = os.path.relpath(page, ROOT)
            if not os.path.exists(dest):
                bad.append(f"{rel}:{n}: {target}: no such file")
                continue
            if anchor and dest.endswith(".md") and \
                    anchor not in slugs(dest):
                bad.append(f"{rel}:{n}: {target}: no heading #{anchor}")
    return bad


def main():
    pages = sys.argv[1:] or [os.path.join(ROOT, "README.md")] + sorted(
        glob.glob(os.path.join(ROOT, "docs", "*.md")))
    bad, links = [], 0
    for p in pages:
        bad += check(os.path.abspath(p))
        links += sum(len(LINK.findall(l)) for _, l in prose_lines(p))
    for b in bad:
        print(b)
    print(f"check_links: {len(pages)} pages, {links} links, {len(bad)} broken")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
