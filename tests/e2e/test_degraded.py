#!/usr/bin/env python3
"""End-to-end: the fallbacks for older kernels, exercised on this one by
hiding features with LEAKTRACE_DISABLE (task storage < 5.11, bpf_task_pt_regs
< 5.15, stack capture < 5.18). Each mode still finds the stuck threads."""
import json
import os
import subprocess
import time

from ltlib import (LEAKTRACE, Tap, Workload, final_records, held_bpf_ids, json_records, leftovers,
                   threads_by_tid)

t = Tap()


def run_mode(disable, pid, extra=()):
    env = dict(os.environ, LEAKTRACE_DISABLE=disable)
    p = subprocess.run([LEAKTRACE, "-p", str(pid), "-t", "1s", "-i", "1s", "-d", "3s", "-f", "json"]
                       + list(extra), capture_output=True, text=True, timeout=60, env=env,
                       stdin=subprocess.DEVNULL)
    return p.returncode, json_records(p.stdout), p.stderr


def loaded_maps(pid):
    # only this leaktrace's: other instances may run beside the tests
    ids = held_bpf_ids([pid])["map"]
    out = subprocess.run(["bpftool", "-j", "map", "list"], capture_output=True, text=True).stdout
    return {m.get("name") for m in json.loads(out or "[]") if m.get("id") in ids}


w = Workload(["leaky", "--exiters", "5", "--exit-delay", "1.5"])
try:
    # task storage missing: per-thread state in a tid-keyed hash map
    env = dict(os.environ, LEAKTRACE_DISABLE="task_storage")
    p = subprocess.Popen([LEAKTRACE, "-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "4s", "-f", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(2)
    maps = loaded_maps(p.pid)
    out, err = p.communicate(timeout=60)
    t.ok(p.returncode == 0, "no task storage: exit 0", err)
    t.ok("task_state_hash" in maps and "task_state" not in maps,
         "no task storage: the tid-keyed hash is used instead", sorted(m for m in maps if m and "task" in m))
    fin = final_records(json_records(out))
    th = threads_by_tid(fin)
    for role, kind in (("condvar", "futex"), ("mutex", "futex"), ("pipe", "syscall")):
        r = th.get(w.tid(role))
        t.ok(r is not None and r["wait"]["kind"] == kind and r["wait"].get("timeout") is False,
             "no task storage: %s thread reported, waiting on %s" % (role, kind), r)
    summ = [r for r in fin if r["type"] == "summary"]
    t.ok(summ and summ[0]["created_total"] == 5 and summ[0]["exited_total"] == 5,
         "no task storage: created/exited counts still match (5/5)", summ)
    t.ok(w.tid("busy") not in th and w.tid("short_wait") not in th,
         "no task storage: busy and short-wait threads not reported")

    # no bpf_task_pt_regs: waits from /proc/PID/task/TID/syscall, and so
    # are the registers stacks are unwound from
    rc, recs, err = run_mode("pt_regs", w.pid)
    th = threads_by_tid(final_records(recs))
    r = th.get(w.tid("condvar"))
    t.ok(rc == 0 and r is not None and r["wait"]["kind"] == "futex"
         and r["wait"].get("timeout") is False,
         "no task_pt_regs: stuck thread still reported, its futex wait read from /proc", r)
    r = th.get(w.tid("mutex"))
    t.ok(r is not None and r.get("lock_owner") == w.tid("mutex_holder"),
         "no task_pt_regs: mutex owner still found", r)
    t.ok("cannot capture stacks" in err and "no bpf_task_pt_regs" in err and r is not None
         and any("leak_mutex_worker" in f for f in r.get("user_stack", [])),
         "no task_pt_regs: warns, user stacks unwound from /proc", (err, r))

    # no sleepable iterator / copy_from_user_task: stacks from /proc (the
    # syscall's sp and pc, the stack from /proc/PID/mem), the same sites
    rc, recs, err = run_mode("capture", w.pid)
    fin = final_records(recs)
    th = threads_by_tid(fin)
    r = th.get(w.tid("mutex"))
    ustack = r.get("user_stack", []) if r else []
    t.ok(rc == 0 and r is not None and r["wait"]["kind"] == "futex" and
         [f.split("+")[0] for f in ustack[:3]] == ["__lll_lock_wait", "pthread_mutex_lock",
                                                    "leak_mutex_worker"],
         "no stack capture: the user stack unwound from /proc", r)
    cv = th.get(w.tid("condvar"))
    t.ok(cv is not None and r is not None and cv.get("site") and r.get("site") and
         cv["site"] != r["site"] and any("leak_condvar_worker" in f for f in cv.get("user_stack", [])),
         "no stack capture: sites from those stacks (condvar and mutex threads apart)", (cv, r))
    # kernel stacks need CAP_SYS_ADMIN (proc_pid_stack), which the sandbox drops
    rc2, recs2, _ = run_mode("capture", w.pid, ("--no-sandbox",))
    r2 = threads_by_tid(final_records(recs2)).get(w.tid("mutex"))
    t.ok(rc2 == 0 and r2 is not None and any("futex" in f for f in r2.get("kernel_stack", [])),
         "no stack capture, --no-sandbox: the kernel stack from /proc/PID/task/TID/stack", r2)
    t.ok(r is not None and r.get("lock_owner") == w.tid("mutex_holder"),
         "no stack capture: mutex owner still found", r)
    t.ok(len([l for l in err.splitlines() if "warning" in l]) == 1, "exactly one warning line", err)
finally:
    w.stop()
t.ok(leftovers() == [], "nothing left loaded", leftovers())
t.done()
