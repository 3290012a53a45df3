#!/usr/bin/env python3
"""Check the layers of the station core (src/core/LAYERS).

From the sources it computes two file-level graphs between modules: the
includes (of .c and .h files) and the calls (a function called in one
module and defined in another).  It fails on
  - a dependency on a module of a higher layer not allowed in LAYERS,
  - a cycle between modules (even inside one layer),
  - a source or header of the core that no module of LAYERS names,
  - a function declared in a module's header but defined in another module,
  - a core file including kv-core.h.
Usage: check-layers.py SRC_CORE_DIR [LAYERS_FILE]
"""
import os
import re
import sys


def read_layers(path):
    layer, module_of, allowed, free = {}, {}, {}, set()
    for raw in open(path, encoding='utf-8'):
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] == 'allow':
            allowed[(words[1], words[3])] = ' '.join(words[4:])
        elif words[0] == 'free':
            free.add(words[1])
        else:
            n = int(words[0])
            for m in words[2:]:
                stems = m.split('+')
                layer[stems[0]] = n
                for s in stems:
                    module_of[s] = stems[0]
    return layer, module_of, allowed, free


def strip(text):
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    text = re.sub(r'//[^\n]*', ' ', text)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


def module_of_file(name, module_of):
    stem = name[:-2]
    if stem.endswith('-private'):
        stem = stem[:-len('-private')]
    return module_of.get(stem)


def main():
    core = sys.argv[1]
    layers_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(core, 'LAYERS')
    layer, module_of, allowed, free = read_layers(layers_path)
    files = sorted(f for f in os.listdir(core) if f.endswith(('.c', '.h')))
    problems = []
    deps = {}   # (from module, to module) -> set of reasons

    def dep(a, b, why):
        if a != b:
            deps.setdefault((a, b), set()).add(why)

    raw = {f: open(os.path.join(core, f), encoding='utf-8').read() for f in files}
    mod = {}
    for f in files:
        if f in free:
            continue
        m = module_of_file(f, module_of)
        if m is None:
            problems.append(f'{f}: in no module of LAYERS')
        mod[f] = m
    # includes
    for f in files:
        if f in free or mod.get(f) is None:
            continue
        for inc in re.findall(r'^\s*#\s*include\s+"([^"]+)"', raw[f], re.M):
            if inc == 'kv-core.h':
                problems.append(f'{f}: includes kv-core.h (front ends only)')
            if inc not in raw or inc in free:
                continue   # outside src/core (contract, card service, config.h)
            if mod.get(inc):
                dep(mod[f], mod[inc], f'{f} includes {inc}')
    # definitions and calls
    defined = {}
    code = {f: strip(raw[f]) for f in files}
    for f in files:
        if not f.endswith('.c') or mod.get(f) is None:
            continue
        for m in re.finditer(r'^(?!static\b)[A-Za-z_][\w \t\*]*?\b(kv_\w+)\s*\([^;{]*\)\s*\{',
                             code[f], re.M):
            defined[m.group(1)] = f
    for f in files:
        if not f.endswith('.c') or mod.get(f) is None:
            continue
        for name in set(re.findall(r'\b(kv_\w+)\s*\(', code[f])):
            g = defined.get(name)
            if g and mod[g] != mod[f]:
                dep(mod[f], mod[g], f'{f} calls {name} ({g})')
    # a header declares only its module's functions
    for f in files:
        if not f.endswith('.h') or mod.get(f) is None:
            continue
        for name in re.findall(r'^[A-Za-z_][\w \t\*]*?\b(kv_\w+)\s*\([^;{]*\)\s*;', code[f], re.M):
            g = defined.get(name)
            if g and mod[g] != mod[f]:
                problems.append(f'{f}: declares {name}, defined in {g} (module {mod[g]})')
    # upward dependencies
    for (a, b), why in sorted(deps.items()):
        if layer[b] > layer[a] and (a, b) not in allowed:
            problems.append(f'{a} (layer {layer[a]}) depends on {b} (layer {layer[b]}): '
                            + '; '.join(sorted(why)[:3]))
    for (a, b) in allowed:
        if (a, b) not in deps:
            problems.append(f'LAYERS allows {a} -> {b}, which is no longer used: remove it')
    # cycles (Tarjan's strongly connected components)
    graph = {}
    for (a, b) in deps:
        graph.setdefault(a, set()).add(b)
    index, low, stack, on, comps = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    for comp in comps:
        edges = [f'{a} -> {b} ({sorted(deps[(a, b)])[0]})'
                 for a in comp for b in comp if (a, b) in deps]
        problems.append('cycle between ' + ', '.join(comp) + ': ' + '; '.join(edges[:8])
                        + (f' (+{len(edges) - 8} more)' if len(edges) > 8 else ''))
    if problems:
        print('\n'.join(problems))
        print(f'{len(problems)} layer problem(s) in {core} (see src/core/HACKING.md)')
        return 1
    print(f'{len(mod)} files, {len(deps)} module dependencies, all pointing down')
    return 0


if __name__ == '__main__':
    sys.exit(main())
