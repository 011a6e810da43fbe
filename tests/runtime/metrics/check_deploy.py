#!/usr/bin/env python3
"""Checks the files in deploy/: syntax and the structure Grafana and
Prometheus need (promtool is not available, so this is a structural check,
not a PromQL parser). Usage: check_deploy.py <deploy dir>. Exits 1 listing
every problem found."""

import json
import os
import re
import sys

try:
    import yaml  # PyYAML (python3-yaml)
except ImportError:  # pragma: no cover - the fallback below is weaker
    yaml = None

problems = []


def problem(where, what):
    problems.append(f"{where}: {what}")


DURATION = re.compile(r"^[0-9]+(ms|s|m|h|d|w|y)$")


def check_expr(where, expr):
    """Balanced (), {}, [] outside quotes; non-empty."""
    if not isinstance(expr, str) or not expr.strip():
        problem(where, "empty expression")
        return
    stack, quote = [], None
    pairs = {")": "(", "}": "{", "]": "["}
    for ch in expr:
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "({[":
            stack.append(ch)
        elif ch in ")}]":
            if not stack or stack.pop() != pairs[ch]:
                problem(where, f"unbalanced '{ch}' in: {expr}")
                return
    if stack or quote:
        problem(where, f"unclosed '{stack[-1] if stack else quote}' in: {expr}")


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if "\t" in text:
        problem(path, "tab character (YAML indentation must be spaces)")
    if yaml is None:
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        problem(path, f"YAML syntax: {e}")
        return None


def check_dashboard(path):
    try:
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        problem(path, f"JSON: {e}")
        return
    for key in ("title", "uid", "panels", "schemaVersion", "templating"):
        if key not in dash:
            problem(path, f"missing top-level '{key}'")
    if dash.get("id") is not None:
        problem(path, "'id' must be null so the import creates a dashboard")
    ids, thresholds = set(), {}
    for p in dash.get("panels", []):
        where = f"{path} panel {p.get('title')!r}"
        if p.get("id") in ids:
            problem(where, f"duplicate id {p.get('id')}")
        ids.add(p.get("id"))
        grid = p.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in "xywh"):
            problem(where, "gridPos needs integer x, y, w, h")
        elif grid["x"] + grid["w"] > 24:
            problem(where, "wider than the 24-column grid")
        if p.get("type") == "row":
            continue
        targets = p.get("targets") or []
        if not targets:
            problem(where, "no query targets")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs):
            problem(where, "duplicate refId")
        for t in targets:
            check_expr(where, t.get("expr"))
        steps = (p.get("fieldConfig", {}).get("defaults", {})
                 .get("thresholds", {}).get("steps", []))
        values = [s.get("value") for s in steps if s.get("value") is not None]
        thresholds[p.get("title")] = values
    expected = {"Connected peers": 3,
                "Publish-to-deliver latency P50 / P99": 0.1,
                "Propagation ratio by topic": 0.95}
    for title, value in expected.items():
        if value not in thresholds.get(title, []):
            problem(path, f"panel {title!r} lacks the threshold {value}")
    names = {v["name"] for v in dash.get("templating", {}).get("list", [])}
    for used in ("datasource", "instance"):
        if used not in names:
            problem(path, f"template variable ${used} is used but not defined")


def check_alerts(path):
    doc = load_yaml(path)
    if doc is None:
        return
    seen = set()
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, list) or not groups:
        problem(path, "needs a non-empty 'groups' list")
        return
    for g in groups:
        if not g.get("name") or not isinstance(g.get("rules"), list):
            problem(path, f"group needs 'name' and 'rules': {g!r}")
            continue
        for r in g["rules"]:
            name = r.get("alert")
            where = f"{path} alert {name!r}"
            if not name:
                problem(where, "rule without 'alert'")
            if name in seen:
                problem(where, "duplicate alert name")
            seen.add(name)
            check_expr(where, r.get("expr"))
            if "for" in r and not DURATION.match(str(r["for"])):
                problem(where, f"bad 'for' duration {r['for']!r}")
            if r.get("labels", {}).get("severity") not in (
                    "info", "warning", "critical"):
                problem(where, "labels.severity must be info/warning/critical")
            if not r.get("annotations", {}).get("summary"):
                problem(where, "annotations.summary missing")
            extra = set(r) - {"alert", "expr", "for", "labels", "annotations",
                              "keep_firing_for"}
            if extra:
                problem(where, f"unknown keys {sorted(extra)}")
    for needed in ("CanswarmFewPeers", "CanswarmHighPublishLatency",
                   "CanswarmLowPropagation", "CanswarmHighConnectionChurn",
                   "CanswarmBusFailover", "CanswarmComponentRestarted"):
        if needed not in seen:
            problem(path, f"alert {needed} missing")


def check_prometheus(path):
    doc = load_yaml(path)
    if doc is None:
        return
    for rf in doc.get("rule_files", []):
        if not os.path.exists(os.path.join(os.path.dirname(path), rf)):
            problem(path, f"rule file {rf} does not exist next to it")
    jobs = doc.get("scrape_configs")
    if not isinstance(jobs, list) or not jobs:
        problem(path, "needs a non-empty 'scrape_configs' list")
        return
    for job in jobs:
        if not job.get("job_name"):
            problem(path, "scrape config without job_name")
        for sc in job.get("static_configs", []):
            for t in sc.get("targets", []):
                if not re.match(r"^[A-Za-z0-9.\-\[\]:]+:[0-9]+$", str(t)):
                    problem(path, f"target {t!r} is not host:port")
    if not any(j.get("job_name") == "canswarm" for j in jobs):
        problem(path, "the alert rules expect job=\"canswarm\"")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    root = sys.argv[1]
    alerts = os.path.join(root, "prometheus", "canswarm-alerts.yml")
    check_dashboard(os.path.join(root, "grafana", "canswarm-dashboard.json"))
    check_alerts(alerts)
    check_prometheus(os.path.join(root, "prometheus", "prometheus.yml"))
    if not os.path.exists(os.path.join(root, "README.md")):
        problem(root, "README.md missing")
    if yaml is None:
        print("note: PyYAML missing, YAML checked for tabs only")
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
