#!/usr/bin/env python3
"""The server crate's module map, checked: which source file names which.

An arrow A -> B means a file A names an item of file B (a `use`, or a `crate::`/`super::`
path in code). `mod x;` declarations are not arrows: a parent holding a child is not a
dependency. The check fails when

- files form a circle (a strongly connected component of more than one file), except the
  SeaORM entity pairs under store/entities (a relation names its other side), or
- a file under store/ or delivery/ names rules/, routes/, session/ or state (an arrow up), or
  delivery/ names store/ (delivery knows ids and frames; state.rs wires the two together).

Usage: scripts/modgraph.py [--dot] [ROOT]   (ROOT defaults to server/src)
"""

import os
import re
import sys

LOWER = ("store/", "delivery/")
UPPER = ("rules/", "routes/", "session/", "state.rs", "chat/")
ALLOWED_CIRCLE_DIR = "store/entities/"


def module_files(root):
    """Maps a module path tuple (e.g. ('store', 'users')) to its file, relative to root."""
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            parts = rel[:-3].split(os.sep)
            if parts[-1] == "mod":
                parts = parts[:-1]
            if parts in (["lib"], ["main"]):
                parts = []
            files[tuple(parts)] = rel
    return files


def strip_comments_and_strings(src):
    src = re.sub(r"//[^\n]*", "", src)
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    src = re.sub(r'r#*"(?:.|\n)*?"#*', '""', src)
    src = re.sub(r'"(?:\\.|[^"\\])*"', '""', src)
    return src


def expand_use(tree):
    """Expands `a::{b, c::{d}}` into ['a::b', 'a::c::d']."""
    tree = tree.strip()
    m = re.match(r"^([\w:]*?)(?:::)?\{(.*)\}$", tree, flags=re.S)
    if not m:
        return [tree]
    prefix, body = m.group(1), m.group(2)
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        for e in expand_use(p):
            out.append(f"{prefix}::{e}" if prefix else e)
    return out


def paths_in(src):
    """Every crate-relative path the file names (use trees and inline paths)."""
    found = []
    for m in re.finditer(r"\buse\s+([^;]+);", src):
        for p in expand_use(m.group(1)):
            p = re.sub(r"\s+as\s+\w+$", "", p.strip())
            found.append(p)
    body = re.sub(r"\buse\s+[^;]+;", "", src)
    for m in re.finditer(r"\b((?:crate|super|self)(?:::\w+)+)", body):
        found.append(m.group(1))
    return found


def resolve(path, here, files):
    """The file a path lands in, or None for another crate's."""
    segs = [s for s in path.split("::") if s]
    if not segs:
        return None
    if segs[0] == "crate":
        base, segs = [], segs[1:]
    elif segs[0] in ("super", "self"):
        base = list(here)
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
    else:
        # A path through one of this module's child modules (`use x::Y` after `mod x;`).
        base = list(here)
        if tuple(base + segs[:1]) not in files:
            return None
    full = base + segs
    for n in range(len(full), -1, -1):
        if tuple(full[:n]) in files:
            return files[tuple(full[:n])]
    return None


def graph(root):
    files = module_files(root)
    edges = {f: set() for f in files.values()}
    for mod, rel in files.items():
        with open(os.path.join(root, rel), encoding="utf-8") as fh:
            src = strip_comments_and_strings(fh.read())
        # Test modules may reach anywhere.
        src = re.split(r"#\[cfg\(test\)\]", src)[0]
        for p in paths_in(src):
            target = resolve(p, mod, files)
            if target and target != rel:
                edges[rel].add(target)
    return edges


def sccs(edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = args[0] if args else "server/src"
    edges = graph(root)
    if not edges:
        print(f"{root}: no Rust files (run from the repository root)")
        return 2
    if "--dot" in sys.argv:
        print("digraph server {")
        for a in sorted(edges):
            for b in sorted(edges[a]):
                print(f'  "{a}" -> "{b}";')
        print("}")
        return 0
    bad = []
    for comp in sccs(edges):
        if len(comp) > 1 and not all(f.startswith(ALLOWED_CIRCLE_DIR) for f in comp):
            bad.append("import circle: " + " <-> ".join(comp))
    for a in sorted(edges):
        if a.startswith(LOWER):
            for b in sorted(edges[a]):
                if b.startswith(UPPER):
                    bad.append(f"arrow up: {a} -> {b}")
    for a in sorted(edges):
        if a.startswith("delivery/"):
            for b in sorted(edges[a]):
                if b.startswith("store/"):
                    bad.append(f"delivery names the store: {a} -> {b}")
    for line in bad:
        print(line)
    if bad:
        return 1
    print(f"module map: {len(edges)} files, no circle, no arrow up from store/ or delivery/, delivery/ never names store/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
