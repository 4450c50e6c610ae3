#!/usr/bin/env python3
"""Seeds of tests/fuzz/fuzz_python_thread_name.c: one whole chain per
dict layout (interpreter -> sys.modules -> threading -> _active[ident] ->
Thread -> _name), as the harness reads them (an address is an offset into
the input). Writes tests/fuzz/corpus/python_thread_name/{py39,py311,py313}."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "python_thread_name")
IDENT = 0x7F00DEADB000


class Image:
    def __init__(self):
        self.b = bytearray(0x3000)
        self.top = 0x100

    def alloc(self, n, before=0):
        at = self.top + before
        self.top = (at + n + 15) & ~15
        return at

    def u64(self, at, v):
        self.b[at:at + 8] = struct.pack("<Q", v)

    def put(self, at, data):
        self.b[at:at + len(data)] = data

    def string(self, s, ascii_size):
        """compact ASCII str: length at 16, state at 32, data at ascii_size"""
        at = self.alloc(ascii_size + len(s) + 1)
        self.u64(at + 16, len(s))
        self.put(at + 32, struct.pack("<I", (1 << 5) | (1 << 6) | (1 << 2)))
        self.put(at + ascii_size, s.encode())
        return at


def keys39(img, entries):
    """3.9 keys: dk_size 8, dk_nentries, 8 one-byte indices, 24-byte entries"""
    at = img.alloc(48 + 24 * len(entries))
    img.u64(at + 8, 8)
    img.u64(at + 32, len(entries))
    for i, (h, k, v) in enumerate(entries):
        img.put(at + 48 + 24 * i, struct.pack("<QQQ", h, k, v))
    return at


def keys311(img, entries, kind):
    """3.11+ keys: log2 size 3, 8 index bytes; kind 0 has the hash"""
    at = img.alloc(40 + 24 * len(entries))
    img.put(at + 8, bytes([3, 3, kind]))
    img.u64(at + 24, len(entries))
    for i, (h, k, v) in enumerate(entries):
        e = struct.pack("<QQQ", h, k, v) if kind == 0 else struct.pack("<QQ", k, v)
        img.put(at + 40 + len(e) * i, e)
    return at


def dict_obj(img, keys, values=0):
    at = img.alloc(48)
    img.u64(at + 32, keys)
    img.u64(at + 40, values)
    return at


def seed(version):
    img = Image()
    ascii_size = 48 if version < 13 else 40
    keys = (lambda e, kind: keys39(img, e) if version == 9 else keys311(img, e, kind))  # noqa: E731
    s = lambda text: img.string(text, ascii_size)  # noqa: E731
    interp = img.alloc(1024)
    thread = img.alloc(64, before=32)  # room for the managed dict/values words before it
    tp = img.alloc(1024)
    name = s("seed-thread")
    active = dict_obj(img, keys([(IDENT, s("ident"), thread)], 0))
    md = dict_obj(img, keys([(1, s("local"), 0), (2, s("_active"), active)], 1))
    mod = img.alloc(32)
    img.u64(mod + 16, md)
    modules = dict_obj(img, keys([(3, s("sys"), 0), (4, s("threading"), mod)], 1))
    img.u64(thread + 8, tp)
    attrs = [(5, s("_target"), 0), (6, s("_name"), name)]
    if version == 9:
        img.u64(interp + 856, modules)
        img.u64(tp + 288, 16)  # tp_dictoffset
        img.u64(thread + 16, dict_obj(img, keys(attrs, 1)))
    elif version == 11:
        img.u64(interp + 888, modules)
        img.u64(tp + 168, 1 << 4)  # managed dict
        img.u64(tp + 872, keys([(0, k, 0) for _, k, _ in attrs], 2))
        values = img.alloc(16)
        img.u64(values + 8, name)
        img.u64(thread - 32, values)
    else:  # 3.13 objects read with 3.12's table (interp_modules 944)
        img.u64(interp + 944, modules)
        img.u64(tp + 32, 16)  # tp_basicsize
        img.u64(tp + 168, (1 << 4) | (1 << 2))  # managed dict, inline values
        img.u64(tp + 880, keys([(0, k, 0) for _, k, _ in attrs], 2))
        img.put(thread + 16, bytes([2, 2, 1, 1]))  # capacity, size, embedded, valid
        img.u64(thread + 16 + 8 + 8, name)
    sel = {9: 0, 11: 2, 13: 4}[version]
    img.put(0, bytes([sel]) + struct.pack("<QQ", interp, IDENT))
    return bytes(img.b[:img.top])


os.makedirs(OUT, exist_ok=True)
for v in (9, 11, 13):
    with open(os.path.join(OUT, "py3%d" % v), "wb") as f:
        f.write(seed(v))
