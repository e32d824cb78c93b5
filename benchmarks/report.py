#!/usr/bin/env python3
"""Summary of one run.sh result folder: `report.py benchmarks/results/<time>` prints Markdown (stdlib only).

Reads startup.json/startup.md (startup.py), jmh-*.json (JMH) and machine.txt, and checks the goals of the issue:
added start-up <= 40 ms median on JDK 17; unmatched bind <= +0.5 us; matched bind in audit mode <= +5 us
including the caller lookup (small policy, events off, minus the harness's own call path).
"""

import json
import os
import sys

GOAL_STARTUP_MS = 40.0
GOAL_UNMATCHED_NS = 500.0
GOAL_MATCHED_NS = 5000.0
GOAL_LINUX_MATCHED_NS = 3000.0  # issue 4: matched wildcard bind on Linux vs a plain bind


def load(path):
    with open(path) as f:
        return json.load(f)


def jmh_rows(data):
    rows = []
    for b in data:
        name = b["benchmark"].rsplit(".", 2)
        rows.append({
            "class": name[-2], "method": name[-1], "params": b.get("params", {}),
            "score": b["primaryMetric"]["score"], "error": b["primaryMetric"]["scoreError"],
            "unit": b["primaryMetric"]["scoreUnit"], "jdk": b["jdkVersion"], "vm": b["vmVersion"],
        })
    return rows


def num(x):
    if isinstance(x, str):
        x = float(x)  # JMH writes "NaN" as a string
    if x != x:  # NaN: a single iteration has no error
        return "–"
    return "%.0f" % x if abs(x) >= 100 else "%.1f" % x


def verdict(value, goal, unit):
    if value <= goal:
        return "met (%s %s, goal %s %s, %s %s to spare)" % (num(value), unit, num(goal), unit, num(goal - value),
                                                            unit)
    return "NOT met (%s %s, goal %s %s, %s %s over)" % (num(value), unit, num(goal), unit, num(value - goal), unit)


def dispatcher_section(path, lines, goals):
    rows = jmh_rows(load(path))
    if not rows:
        return
    jdk = rows[0]["jdk"]
    base = next((r["score"] for r in rows if r["class"] == "CallPathBench" and r["method"] == "noop"), 0.0)
    lines.append("### Per bind, in process (JMH, JDK %s: %s)" % (jdk, rows[0]["vm"]))
    lines.append("")
    lines.append("ns/op, AverageTime, 1 fork, 3 x 1 s warm-up, 5 x 1 s measured; ± is JMH's 99.9%% interval over 5 "
                 "iterations (wide). \"added\" subtracts CallPathBench.noop (the harness's own call path: Server, 20 "
                 "Deep frames, DispatcherAccess; %s ns)." % num(base))
    lines.append("")
    lines.append("| benchmark | policy | events | ns/op | ± | added ns |")
    lines.append("|---|---|---|---:|---:|---:|")
    order = {"noop": 0, "stackCapture": 1, "unmatched": 2, "matchedByPort": 3, "matchedByClass": 4}
    pol = {"small": 0, "10k": 1, "10k-100cls": 2}
    rows.sort(key=lambda r: (order.get(r["method"], 9), pol.get(r["params"].get("policy"), -1),
                             r["params"].get("events", "")))
    for r in rows:
        p = r["params"]
        added = "–" if r["method"] == "noop" else num(r["score"] - base)
        lines.append("| %s.%s | %s | %s | %s | %s | %s |" % (r["class"], r["method"], p.get("policy", "–"),
                                                          p.get("events", "–"), num(r["score"]), num(r["error"]),
                                                          added))
    lines.append("")

    def find(method, policy="small", events="off"):
        for r in rows:
            if r["method"] == method and r["params"].get("policy") == policy and r["params"].get("events") == events:
                return r["score"] - base
        return None

    um = max([x for x in (find("unmatched", p, e) for p in pol for e in ("off", "on")) if x is not None] or [None])
    if um is not None:
        goals.append("JDK %s, unmatched bind (worst of all policies and event settings): %s"
                     % (jdk, verdict(um, GOAL_UNMATCHED_NS, "ns")))
    for method in ("matchedByPort", "matchedByClass"):
        for policy in ("small", "10k"):
            for events in ("off", "on"):
                m = find(method, policy, events)
                if m is not None:
                    goals.append("JDK %s, %s, %s policy, audit, events %s%s: %s"
                                 % (jdk, method, policy, events, " (with the caller)" if events == "on" else "",
                                    verdict(m, GOAL_MATCHED_NS, "ns")))


def stack_reads_section(path, lines):
    rows = jmh_rows(load(path))
    if not rows:
        return
    lines.append("### Stack reads alone (JMH StackReadBench, JDK %s: %s)" % (rows[0]["jdk"], rows[0]["vm"]))
    lines.append("")
    lines.append("ns/op to a class `depth` frames up (StackWalker, getClassContext) or to the nearest frame "
                 "(StackWalker); \"added\" subtracts noop at the same depth.")
    lines.append("")
    lines.append("| benchmark | depth | ns/op | ± | added ns |")
    lines.append("|---|---:|---:|---:|---:|")
    base = {r["params"].get("depth"): r["score"] for r in rows if r["method"] == "noop"}
    order = {"noop": 0, "walkerToNearest": 1, "walkerToTarget": 2, "classContextToTarget": 3}
    rows.sort(key=lambda r: (int(r["params"].get("depth", 0)), order.get(r["method"], 9)))
    for r in rows:
        d = r["params"].get("depth")
        added = "–" if r["method"] == "noop" else num(r["score"] - base.get(d, 0.0))
        lines.append("| %s | %s | %s | %s | %s |" % (r["method"], d, num(r["score"]), num(r["error"]), added))
    lines.append("")


def e2e_section(folder, lines, goals):
    runs = []
    for label, name in (("bare", "e2e-bare"), ("agent, no rule matches", "e2e-nomatch"),
                        ("agent, rule matches port 0 (audit)", "e2e-match"),
                        ("agent, rule matches port 0 (enforce, linux backend: bound in a 1,000-port block)",
                         "e2e-linux")):
        p = os.path.join(folder, "jmh-%s.json" % name)
        if os.path.exists(p):
            r = jmh_rows(load(p))
            if r:
                runs.append((label, r[0]))
    if not runs:
        return
    lines.append("### End to end: ServerSocketChannel.open, bind(loopback:0), close (JMH, JDK %s)" % runs[0][1]["jdk"])
    lines.append("")
    lines.append("Separate forks, different -jvmArgsAppend; system calls dominate and vary between forks: read the "
                 "differences as rough.")
    lines.append("")
    lines.append("| run | ns/op | ± | vs bare |")
    lines.append("|---|---:|---:|---:|")
    bare = runs[0][1]["score"]
    for label, r in runs:
        lines.append("| %s | %s | %s | %s |" % (label, num(r["score"]), num(r["error"]),
                                               "–" if label == "bare" else "%+.0f" % (r["score"] - bare)))
        if "linux" in label:
            goals.append("JDK %s, matched wildcard bind on the linux backend vs a plain bind (end to end): %s"
                         % (r["jdk"], verdict(r["score"] - bare, GOAL_LINUX_MATCHED_NS, "ns")))
    lines.append("")


def main():
    folder = sys.argv[1]
    lines = ["# portres benchmarks: summary of %s" % os.path.basename(os.path.normpath(folder)), ""]
    mt = os.path.join(folder, "machine.txt")
    if os.path.exists(mt):
        with open(mt) as f:
            lines.append("```")
            lines.extend(l.rstrip() for l in f)
            lines.append("```")
            lines.append("")
    goals = []
    sj = os.path.join(folder, "startup.json")
    if os.path.exists(sj):
        s = load(sj)
        lines.append("### Start-up (startup.py)")
        lines.append("")
        with open(os.path.join(folder, "startup.md")) as f:
            lines.append(f.read().rstrip())
        lines.append("")
        for feature in ("17",):
            if feature in s["jdks"]:
                summ = s["jdks"][feature]["summary"]
                goals.append("JDK %s start-up, portres (a policy whose rules do not match), added median (paired): "
                             "%s" % (feature, verdict(summ["portres"]["added_paired_ms"], GOAL_STARTUP_MS, "ms")))
                goals.append("JDK %s start-up, portres-10k, added median (paired): %s ms (measured, no goal)" % (
                    feature, num(summ["portres-10k"]["added_paired_ms"])))
    for name in sorted(os.listdir(folder)):
        if name.startswith("jmh-dispatcher-") and name.endswith(".json"):
            dispatcher_section(os.path.join(folder, name), lines, goals)
    for name in sorted(os.listdir(folder)):
        if name.startswith("jmh-stack-reads-") and name.endswith(".json"):
            stack_reads_section(os.path.join(folder, name), lines)
    e2e_section(folder, lines, goals)
    lines.append("### Goals")
    lines.append("")
    lines.extend("- " + g for g in goals)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
