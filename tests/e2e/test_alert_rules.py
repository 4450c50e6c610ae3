#!/usr/bin/env python3
"""End-to-end: the shipped alerting rules (dist/prometheus/leaktrace-rules.yml).

promtool checks them and runs their unit tests (leaktrace-rules.test.yml);
then Debian's Prometheus scrapes a running leaktrace with those rules loaded
and sends to Debian's Alertmanager: a deadlocked workload's alert arrives in
Alertmanager's API naming its service and verdict, and resolves once the
workload is gone. Loopback only, bounded in time."""
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.parse

import yaml

from ltlib import LEAKTRACE, ROOT, Tap, Workload, free_port, http_get, leftovers, stop, wait_for

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-alerts-")
RULES_DIR = os.path.join(ROOT, "dist", "prometheus")
RULES = os.path.join(RULES_DIR, "leaktrace-rules.yml")
DASHBOARD = os.path.join(ROOT, "dist", "grafana", "leaktrace-dashboard.json")
# what Grafana puts in place of the dashboard's variables
GRAFANA_VARS = {"$instance": ".*", "$comm": ".*", "$unit": ".*", "${datasource}": "prometheus"}


def promtool(*args):
    p = subprocess.run(["promtool"] + list(args), capture_output=True, text=True, cwd=RULES_DIR)
    return p.returncode, p.stdout + p.stderr


def test_promtool():
    rc, out = promtool("check", "rules", RULES)
    t.ok(rc == 0 and "SUCCESS" in out, "promtool check rules", out)
    rc, out = promtool("test", "rules", "leaktrace-rules.test.yml")
    t.ok(rc == 0 and "SUCCESS" in out, "promtool test rules (firing, not firing, summaries)", out)


def dashboard_exprs():
    """Every PromQL expression of the dashboard: panel targets and the
    selectors inside its label_values() variables, variables filled in."""
    doc = json.load(open(DASHBOARD))
    exprs = [tg["expr"] for p in doc["panels"] for tg in p["targets"]]
    for v in doc["templating"]["list"]:
        m = re.match(r"label_values\((.*), *\w+\)$", v.get("definition", ""))
        if m:
            exprs.append(m.group(1))
    out = []
    for e in exprs:
        for k, val in GRAFANA_VARS.items():
            e = e.replace(k, val)
        out.append(e)
    return doc, out


def test_dashboard():
    doc, exprs = dashboard_exprs()
    ids = [p["id"] for p in doc["panels"]]
    t.ok(doc.get("uid") and len(ids) == len(set(ids)) and
         all(p.get("gridPos") and p.get("targets") for p in doc["panels"]),
         "dashboard: a uid, unique panel ids, every panel placed and with targets")
    path = os.path.join(TMP, "dashboard-exprs.yml")
    with open(path, "w") as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
            {"record": "dashboard_expr_%d" % i, "expr": e} for i, e in enumerate(exprs)]}]}, f)
    rc, out = promtool("check", "rules", path)
    t.ok(rc == 0, "promtool parses all %d dashboard expressions" % len(exprs), out)
    return exprs


def prom_query(prom, q):
    doc = prom.get_json("/api/v1/query?query=" + urllib.parse.quote(q))
    return doc["data"]["result"] if doc and doc.get("status") == "success" else None


def served_metric_names(port):
    status, body = http_get("http://127.0.0.1:%d/metrics" % port)
    return {l.split()[2] for l in body.decode().splitlines() if l.startswith("# TYPE ")}


def rule_metric_names():
    """leaktrace_* names the rules read (recorded names have colons)."""
    text = open(RULES).read()
    return set(re.findall(r"\bleaktrace_[a-z_]+[a-z]\b", text)) | \
        {"leaktrace_parked_%s" % k for k in re.findall(r"leaktrace_parked_\((\w+)\|(\w+)\)", text)[0]}


def fast_rules():
    """The shipped rules with every `for:` at 0s: a test cannot wait minutes
    for an alert to leave pending."""
    doc = yaml.safe_load(open(RULES))
    for g in doc["groups"]:
        for r in g["rules"]:
            if "for" in r:
                r["for"] = "0s"
    path = os.path.join(TMP, "rules.yml")
    with open(path, "w") as f:
        yaml.safe_dump(doc, f)
    return path


class Server:
    def __init__(self, argv, port, ready_path):
        self.log = open(os.path.join(TMP, os.path.basename(argv[0]) + ".log"), "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        self.port = port
        self.ready = wait_for(lambda: self._get(ready_path) is not None, 30)

    def _get(self, path):
        try:
            status, body = http_get("http://127.0.0.1:%d%s" % (self.port, path), 2)
            return body if status == 200 else None
        except OSError:
            return None

    def get_json(self, path):
        body = self._get(path)
        return json.loads(body) if body else None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def logtail(self):
        return open(self.log.name).read()[-2000:]


def start_alertmanager():
    port, cluster = free_port(), free_port()
    cfg = os.path.join(TMP, "alertmanager.yml")
    with open(cfg, "w") as f:
        f.write("route:\n  receiver: nowhere\n  group_wait: 0s\n  group_interval: 1s\n"
                "  repeat_interval: 1h\nreceivers:\n  - name: nowhere\n")
    return Server(["prometheus-alertmanager", "--config.file=" + cfg,
                   "--storage.path=" + os.path.join(TMP, "am-data"),
                   "--web.listen-address=127.0.0.1:%d" % port,
                   "--cluster.listen-address=127.0.0.1:%d" % cluster,
                   "--cluster.advertise-address=127.0.0.1:%d" % cluster], port, "/-/ready")


def start_prometheus(target, am_port, rules):
    port = free_port()
    cfg = os.path.join(TMP, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
                "rule_files: ['%s']\n"
                "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:%d']\n"
                "scrape_configs:\n  - job_name: leaktrace\n"
                "    static_configs:\n      - targets: ['%s']\n" % (rules, am_port, target))
    return Server(["prometheus", "--config.file=" + cfg,
                   "--storage.tsdb.path=" + os.path.join(TMP, "prom-data"),
                   "--web.listen-address=127.0.0.1:%d" % port], port, "/-/ready")


def am_alerts(am, name, comm):
    """Alertmanager's active alerts NAME of service COMM."""
    doc = am.get_json("/api/v2/alerts?active=true&silenced=false&inhibited=false") or []
    return [a for a in doc if a["labels"].get("alertname") == name and a["labels"].get("comm") == comm]


def test_alert_end_to_end():
    w = Workload(["abba_deadlock"])
    comm = open("/proc/%d/comm" % w.pid).read().strip()
    port = free_port()
    lt = subprocess.Popen([LEAKTRACE, "-p", str(w.pid), "-t", "1s", "-i", "1s", "--prometheus",
                           "127.0.0.1:%d" % port, "-f", "json", "-o", os.path.join(TMP, "lt.jsonl")],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL)
    am = start_alertmanager()
    prom = start_prometheus("127.0.0.1:%d" % port, am.port, fast_rules())
    try:
        t.ok(am.ready and prom.ready, "alertmanager %d and prometheus %d ready" % (am.port, prom.port),
             am.logtail() + prom.logtail())
        if wait_for(lambda: served_metric_names(port), 15):
            missing = rule_metric_names() - served_metric_names(port)
            t.ok(not missing, "every leaktrace_* metric the rules read is served", sorted(missing))
            _, exprs = dashboard_exprs()
            used = set(re.findall(r"\b(?:leaktrace|process)_[a-z_]+[a-z]\b", " ".join(exprs)))
            used |= {"leaktrace_parked_threads", "leaktrace_parked_goroutines"}
            missing = used - served_metric_names(port)
            t.ok(not missing, "every metric the dashboard reads is served", sorted(missing))
        fired = wait_for(lambda: am_alerts(am, "LeaktraceLeakOrDeadlock", comm), 60, 1)
        t.ok(bool(fired), "LeaktraceLeakOrDeadlock of %s arrives in alertmanager" % comm,
             json.dumps(am.get_json("/api/v2/alerts")) + prom.logtail())
        if fired:
            a = fired[0]
            t.diag("alert payload: %s" % json.dumps({"labels": a["labels"], "annotations": a["annotations"],
                                                      "startsAt": a["startsAt"]}))
            t.ok(a["labels"].get("verdict") == "deadlock", "verdict label: deadlock", a["labels"])
            summary = a["annotations"].get("summary", "")
            t.ok(summary.startswith("deadlock in %s " % comm) and ": 2 parked, at lock_" in summary,
                 "summary names verdict, service, count and culprit frame: %r" % summary)
        _, exprs = dashboard_exprs()
        answers = [(e, prom_query(prom, e)) for e in exprs]
        t.ok(all(a is not None for _, a in answers), "prometheus evaluates every dashboard expression",
             [e for e, a in answers if a is None])
        top = answers[0][1] or []
        t.ok(any(r["metric"].get("comm") == comm and r["metric"].get("verdict") == "deadlock"
                 for r in top), "dashboard's first table lists %s with deadlock" % comm, top)
        culprits = answers[1][1] or []
        t.ok(any(r["metric"].get("comm") == comm and r["metric"].get("frame", "").startswith("lock_")
                 for r in culprits), "its culprits table names the deadlocked functions",
             culprits)
        down = am_alerts(am, "LeaktraceDown", "") + am_alerts(am, "LeaktraceReportsStalled", "")
        t.ok(not down, "leaktrace itself: no down or stalled alert while it reports", down)
        w.stop()
        resolved = wait_for(lambda: not am_alerts(am, "LeaktraceLeakOrDeadlock", comm), 60, 1)
        t.ok(resolved, "the alert resolves once the workload is gone",
             json.dumps(am.get_json("/api/v2/alerts")))
    finally:
        prom.stop()
        am.stop()
        w.stop()
        rc, _, err = stop(lt)
    t.ok(rc == 0, "leaktrace exits 0", err)
    left = leftovers()
    t.ok(not left, "no BPF program or map left", left)


test_promtool()
test_dashboard()
test_alert_end_to_end()
t.done()
