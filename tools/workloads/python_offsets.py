#!/usr/bin/env python3
"""python_offsets: print, from inside a running CPython (3.9 and later), the
struct offsets leaktrace's per-version tables (user/collect/python/python_offsets.c)
depend on, found by searching the interpreter's own memory for known values
(ctypes gives the addresses; reads go through /proc/self/mem so a wrong guess
cannot crash it). Run by hand inside a new interpreter to check or extend
the tables; the tests then check the frames read through them.

Output: one "name value" line per offset, -1 when not found.
"""
import ctypes
import sys
import threading

api = ctypes.pythonapi
api.PyThreadState_Get.restype = ctypes.c_void_p
api.PyInterpreterState_Get.restype = ctypes.c_void_p
V = sys.version_info[:2]


import os
import struct

MEM = os.open("/proc/self/mem", os.O_RDONLY)


def peek(addr, n):
    """n bytes at addr, b"" when unmapped (no segfault on a wrong guess)"""
    try:
        return os.pread(MEM, n, addr)
    except OSError:
        return b""


def words(addr, n):
    raw = peek(addr, n * 8)
    return struct.unpack("<%dQ" % (len(raw) // 8), raw[:len(raw) // 8 * 8])


def find(addr, value, n=256, start=0):
    w = words(addr, n)
    for i in range(start // 8, len(w)):
        if w[i] == value:
            return i * 8
    return -1


def find_bytes(addr, data, n=512):
    return peek(addr, n).find(data)


out = {}
runtime = ctypes.addressof(ctypes.c_char.in_dll(api, "_PyRuntime"))
interp = api.PyInterpreterState_Get()
main_ts = api.PyThreadState_Get()
out["runtime_interpreters_head"] = find(runtime, interp, 4096)

res = {}
go = threading.Event()


def other():
    res["ts"] = api.PyThreadState_Get()
    res["tid"] = threading.get_native_id()
    go.wait()


t = threading.Thread(target=other)
t.start()
while "ts" not in res:
    pass
ts2 = res["ts"]
out["interp_threads_head"] = find(interp, ts2, 1024)
out["tstate_next"] = find(ts2, main_ts, 64)
out["tstate_native_thread_id"] = find(ts2, res["tid"], 64)
out["tstate_thread_id"] = find(ts2, t.ident, 64)
go.set()
t.join()

frame = sys._getframe()
PREV = {(3, 9): 24, (3, 10): 24, (3, 11): 48}.get(V, 8)  # frame -> previous


def reaches(p, target, hops=4):
    """p is target or one of its callees' frames (the walk itself runs in
    helper functions, whose frames are newer than target)"""
    for _ in range(hops):
        if p == target:
            return True
        w = words(p, PREV // 8 + 1)
        if len(w) <= PREV // 8:
            return False
        p = w[PREV // 8]
    return p == target


def find_frame_ptr(base, target, indirect_off=None):
    for off in range(0, 512, 8):
        w = words(base + off, 1)
        if not w or w[0] < 4096:
            continue
        p = w[0]
        if indirect_off is not None:
            w2 = words(p + indirect_off, 1)
            if not w2 or w2[0] < 4096:
                continue
            p = w2[0]
        if reaches(p, target):
            return off
    return -1


if V >= (3, 11):
    iframe = words(id(frame), 4)[3]  # PyFrameObject.f_frame
    out["frameobject_f_frame"] = 24
    if V >= (3, 13):
        out["tstate_current_frame"] = find_frame_ptr(main_ts, iframe)
    else:
        cf = 8 if V == (3, 11) else 0
        out["tstate_cframe"] = find_frame_ptr(main_ts, iframe, cf)
        out["cframe_current_frame"] = cf
    code = frame.f_code
    out["iframe_code"] = find(iframe, id(code), 8)
    if out["iframe_code"] < 0:
        out["iframe_code(tagged)"] = find(iframe, id(code) | 1, 8)
else:
    out["tstate_frame"] = find_frame_ptr(main_ts, id(frame))
    out["frame_f_back"] = find(id(frame), id(frame.f_back), 16) if frame.f_back else -1
    out["frame_f_code"] = find(id(frame), id(frame.f_code), 16)


def probe():
    return 1


co = probe.__code__
out["code_filename"] = find(id(co), id(co.co_filename), 40)
out["code_name"] = find(id(co), id(co.co_name), 40)
if V >= (3, 11):
    out["code_qualname"] = find(id(co), id(co.co_qualname), 40)
table = co.co_linetable if V >= (3, 10) else co.co_lnotab
out["code_linetable"] = find(id(co), id(table), 40)
out["code_firstlineno"] = -1
w = struct.unpack("<80i", peek(id(co), 320))
for i in range(80):
    if w[i] == co.co_firstlineno:
        out["code_firstlineno"] = i * 4
        break
if V >= (3, 11):
    out["code_adaptive"] = find_bytes(id(co), co.co_code, 512)
s = "leaktrace_probe_string"
out["ascii_data"] = find_bytes(id(s), s.encode(), 128)
out["bytes_data"] = find_bytes(id(b"\x01\x02\x03zz"), b"\x01\x02\x03zz", 64)
for k, v in out.items():
    print(k, v)
