#!/usr/bin/env python3
"""dist/kubernetes on paper: the DaemonSet parses (python3-yaml) and has
what leaktrace needs on a node: hostPID, the capabilities of
dist/leaktrace.service and no others, the mounts for BTF, cgroups and debug
files, the Prometheus port with matching scrape annotations, memory from
the measured RSS, priorityClassName system-node-critical, a namespace whose
Pod Security level admits it, NODE_NAME from the downward API, --baseline
with its state dir on a hostPath. Its arguments are then run for real for
two seconds (the state dir a private 0700 folder: the node's is the
systemd unit's). tests/e2e/test_image.py runs them in the image."""
import os
import re
import shutil
import socket
import subprocess
import tempfile

import yaml

from ltlib import LEAKTRACE, ROOT, Tap, free_port, http_get, wait_for

t = Tap()
MANIFEST = os.path.join(ROOT, "dist", "kubernetes", "leaktrace-daemonset.yaml")
UNIT = os.path.join(ROOT, "dist", "leaktrace.service")
# measured peak RSS, system-wide on the development VM (docs/fleet.md "Kubernetes")
MEASURED_RSS_MIB = 88


def mebibytes(q):
    m = re.fullmatch(r"(\d+)(Mi|Gi)", q or "")
    return int(m.group(1)) * (1024 if m.group(2) == "Gi" else 1) if m else None


def unit_capabilities():
    with open(UNIT) as f:
        for line in f:
            if line.startswith("AmbientCapabilities="):
                return sorted(c[len("CAP_"):] for c in line.split("=", 1)[1].split())
    return None


def main():
    with open(MANIFEST) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    ds = [d for d in docs if d.get("kind") == "DaemonSet"]
    t.ok(len(ds) == 1 and ds[0].get("apiVersion") == "apps/v1", "one apps/v1 DaemonSet")
    if not ds:
        return
    ds = ds[0]
    tmpl = ds["spec"]["template"]
    spec = tmpl["spec"]
    t.ok(ds["spec"]["selector"]["matchLabels"].items() <= tmpl["metadata"]["labels"].items(),
         "the selector matches the pod template's labels")
    t.ok(spec.get("hostPID") is True, "hostPID: true (every process of the node)")
    c = spec["containers"][0]
    sc = c.get("securityContext", {})
    caps = sc.get("capabilities", {})
    want = unit_capabilities()
    t.ok(want and sorted(caps.get("add", [])) == want and caps.get("drop") == ["ALL"],
         "capabilities: drop ALL, add those of dist/leaktrace.service %s" % want, caps)
    t.ok(sc.get("privileged") is False and sc.get("allowPrivilegeEscalation") is False
         and sc.get("readOnlyRootFilesystem") is True, "not privileged, no escalation, read-only root")

    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    for path, host in (("/sys/kernel/btf", "/sys/kernel/btf"),
                       ("/host/sys/fs/cgroup", "/sys/fs/cgroup"),
                       ("/usr/lib/debug", "/usr/lib/debug")):
        m = mounts.get(path)
        v = vols.get(m["name"]) if m else None
        t.ok(m and m.get("readOnly") is True and v and v.get("hostPath", {}).get("path") == host,
             "%s mounted read-only from the node's %s" % (path, host), (m, v))
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    t.ok(env.get("LEAKTRACE_CGROUP2_ROOT") == "/host/sys/fs/cgroup",
         "LEAKTRACE_CGROUP2_ROOT points at the node's cgroup mount", env)
    node = [e for e in c.get("env", []) if e["name"] == "NODE_NAME"]
    t.ok(node and node[0].get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
         == "spec.nodeName", "NODE_NAME from the downward API (spec.nodeName)", node)
    t.ok(spec.get("priorityClassName") == "system-node-critical",
         "priorityClassName: system-node-critical", spec.get("priorityClassName"))
    ns = [d for d in docs if d.get("kind") == "Namespace"]
    labels = ns[0].get("metadata", {}).get("labels", {}) if ns else {}
    t.ok(ns and ns[0]["metadata"]["name"] == ds["metadata"]["namespace"]
         and labels.get("pod-security.kubernetes.io/enforce") == "privileged"
         and "pod-security.kubernetes.io/audit" in labels
         and "pod-security.kubernetes.io/warn" in labels,
         "the DaemonSet's namespace enforces Pod Security level privileged (hostPID, hostPath, "
         "unconfined seccomp), with audit and warn labels", labels)

    args = c.get("args", [])
    state = [a.split("=", 1)[1] for a in args if a.startswith("--state-dir=")]
    m = mounts.get(state[0]) if state else None
    v = vols.get(m["name"]) if m else None
    t.ok("--baseline" in args and state == ["/var/lib/leaktrace"] and m
         and not m.get("readOnly") and v and v.get("hostPath") ==
         {"path": "/var/lib/leaktrace", "type": "DirectoryOrCreate"},
         "--baseline --state-dir=/var/lib/leaktrace, a writable hostPath of the node's "
         "/var/lib/leaktrace (DirectoryOrCreate)", (args, m, v))
    listen = [a.split("=", 1)[1] for a in args if a.startswith("--prometheus=")]
    port = int(listen[0].rsplit(":", 1)[1]) if listen else None
    ports = [p["containerPort"] for p in c.get("ports", [])]
    ann = tmpl["metadata"].get("annotations", {})
    t.ok(listen and listen[0].startswith("0.0.0.0:") and ports == [port],
         "--prometheus listens on the pod's address, port %s declared" % port, (args, ports))
    t.ok(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == str(port)
         and ann.get("prometheus.io/path") == "/metrics", "scrape annotations match", ann)
    probes = [c.get(k, {}).get("httpGet", {}) for k in ("livenessProbe", "readinessProbe")]
    named = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    t.ok(all(p.get("path") == "/healthz" and named.get(p.get("port"), p.get("port")) == port
             for p in probes), "liveness and readiness probes: GET /healthz on the metrics port",
         probes)

    res = c.get("resources", {})
    req = mebibytes(res.get("requests", {}).get("memory"))
    lim = mebibytes(res.get("limits", {}).get("memory"))
    t.ok(req and lim and MEASURED_RSS_MIB <= req <= lim,
         "memory request %s MiB covers the measured %d MiB, limit %s MiB above it"
         % (req, MEASURED_RSS_MIB, lim), res)

    # the arguments themselves, for real (metrics on a free local port)
    local = free_port()
    # --state-dir: a private folder, made as leaktrace requires (owned by
    # root, not writable by group or others)
    tmp = tempfile.mkdtemp(prefix="lt-k8s-state-")
    os.chmod(tmp, 0o700)
    run_args = [("--prometheus=127.0.0.1:%d" % local) if a.startswith("--prometheus=") else
                ("--state-dir=" + tmp) if a.startswith("--state-dir=") else a for a in args]
    # system-wide: a long threshold keeps the reports (and the test) short
    p = subprocess.Popen([LEAKTRACE] + run_args + ["-i", "1s", "-d", "3s", "-t", "1h"],
                         stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    status = wait_for(lambda: http_get("http://127.0.0.1:%d/metrics" % local)[0]
                      if _listening(local) else 0, 15)
    health = http_get("http://127.0.0.1:%d/healthz" % local)[0] if status == 200 else None
    out, err = p.communicate(timeout=60)
    t.ok(health == 200, "the probes' /healthz answers 200 (%s)" % health)
    t.ok(p.returncode == 0 and status == 200 and b'"type":"report"' in out,
         "leaktrace runs with the manifest's arguments (the state dir a 0700 folder) and "
         "serves metrics",
         (p.returncode, status, err.decode()[-500:]))
    # (no baselines file: with -t 1h no site forms one; test_image.py has it)
    shutil.rmtree(tmp, ignore_errors=True)


def _listening(port):
    s = socket.socket()
    try:
        return s.connect_ex(("127.0.0.1", port)) == 0
    finally:
        s.close()


main()
t.done()
