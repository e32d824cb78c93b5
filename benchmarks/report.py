#!/usr/bin/env python3
"""Summary of one run.sh result folder: `report.py benchmarks/results/<time>` prints Markdown (stdlib only).

Reads startup.json/startup.md (startup.py), jmh-*.json (JMH) and machine.txt, and checks the goals of the issues:
added start-up <= 40 ms median on JDK 17; per bind (issue 10 section 5), unmatched <= +0.5 us, matched by port
<= +3 us, matched by class <= +5 us (audit, including the caller lookup where events are on), and the Linux
backend's matched wildcard bind <= +3 us over a plain bind. The end-to-end runs (EndToEndBind: real sockets, the
packaged agent, JDK 17 and 25) are the reference; the in-process ones (DispatcherBench minus CallPathBench.noop)
add the policy's size and the events.
"""

import json
import math
import os
import re
import sys

GOAL_STARTUP_MS = 40.0
GOAL_UNMATCHED_NS = 500.0
GOAL_BY_PORT_NS = 3000.0  # issue 10 section 5: matched by port
GOAL_BY_CLASS_NS = 5000.0  # issue 10 section 5: matched by class
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
    lines.append("ns/op, AverageTime; ± is JMH's 99.9%% interval. \"added\" subtracts CallPathBench.noop (the "
                 "harness's own call path: Server, 20 Deep frames, DispatcherAccess; %s ns). The matched cases run on a "
                 "real bound socket whose port the verdict reads back; the native bind itself (the same with and "
                 "without the agent in audit mode) is left out: see the end-to-end table." % num(base))
    lines.append("")
    lines.append("| benchmark | policy | events | ns/op | ± | added ns |")
    lines.append("|---|---|---|---:|---:|---:|")
    order = {"noop": 0, "stackCaptureToApp": 1, "stackCapture": 2, "unmatched": 3, "matchedByPort": 4,
             "matchedByClass": 5}
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
    for method, goal in (("matchedByPort", GOAL_BY_PORT_NS), ("matchedByClass", GOAL_BY_CLASS_NS)):
        for policy in ("small", "10k"):
            for events in ("off", "on"):
                m = find(method, policy, events)
                if m is not None:
                    goals.append("JDK %s, in process, %s, %s policy, audit, events %s%s: %s"
                                 % (jdk, method, policy, events, " (with the caller)" if events == "on" else "",
                                    verdict(m, goal, "ns")))


def stack_reads_section(path, lines):
    rows = jmh_rows(load(path))
    if not rows:
        return
    lines.append("### Stack reads alone (JMH StackReadBench, JDK %s: %s)" % (rows[0]["jdk"], rows[0]["vm"]))
    lines.append("")
    lines.append("ns/op to a class `depth` frames up (StackWalker; getClassContext; a walker of class references "
                 "without method information, JDK 24+'s choice) or to the nearest frame (StackWalker); \"added\" "
                 "subtracts noop at the same depth.")
    lines.append("")
    lines.append("| benchmark | depth | ns/op | ± | added ns |")
    lines.append("|---|---:|---:|---:|---:|")
    base = {r["params"].get("depth"): r["score"] for r in rows if r["method"] == "noop"}
    order = {"noop": 0, "walkerToNearest": 1, "walkerToTarget": 2, "classContextToTarget": 3,
             "classWalkerToTarget": 4}
    rows.sort(key=lambda r: (int(r["params"].get("depth", 0)), order.get(r["method"], 9)))
    for r in rows:
        d = r["params"].get("depth")
        added = "–" if r["method"] == "noop" else num(r["score"] - base.get(d, 0.0))
        lines.append("| %s | %s | %s | %s | %s |" % (r["method"], d, num(r["score"]), num(r["error"]), added))
    lines.append("")


# The end-to-end runs of one JDK: (file variant, method, label, reference row, goal name, goal ns).
E2E_ROWS = [
    ("bare", "bindClose", "bare", None, None, None),
    ("bare", "bindCloseDeep", "bare, 20 frames below app.Server", None, None, None),
    ("nomatch", "bindClose", "agent, no rule matches", "bare", "unmatched bind", GOAL_UNMATCHED_NS),
    ("match", "bindClose", "agent, rule matches port 0 (audit)", "bare", "matched by port, audit", GOAL_BY_PORT_NS),
    ("class", "bindCloseDeep", "agent, rule matches by class 20 frames up (audit)",
     "bare, 20 frames below app.Server", "matched by class (20 frames), audit", GOAL_BY_CLASS_NS),
    ("linux", "bindClose", "agent, rule matches port 0 (enforce, linux backend: bound in a 1,000-port block)", "bare",
     "matched wildcard bind on the linux backend", GOAL_LINUX_MATCHED_NS),
]


def e2e_files(folder):
    """{jdk feature: {variant: path}}; run.sh before JDK 25's runs wrote jmh-e2e-<variant>.json (JDK 17)."""
    found = {}
    for name in sorted(os.listdir(folder)):
        m = re.match(r"jmh-e2e-(?:(\d+)-)?([a-z]+)\.json$", name)
        if m:
            found.setdefault(m.group(1) or "17", {})[m.group(2)] = os.path.join(folder, name)
    return found


def e2e_section(folder, lines, goals):
    for feature, files in sorted(e2e_files(folder).items(), key=lambda kv: int(kv[0])):
        results = {}
        vm = None
        for variant, path in files.items():
            for r in jmh_rows(load(path)):
                results[(variant, r["method"])] = r
                vm = vm or "%s: %s" % (r["jdk"], r["vm"])
        rows = [(row, results[row[:2]]) for row in E2E_ROWS if row[:2] in results]
        if not rows:
            continue
        forks = sorted({b.get("forks") for p in files.values() for b in load(p)} - {None})
        lines.append("### End to end: ServerSocketChannel.open, bind(loopback:0), close (JMH, JDK %s)" % vm)
        lines.append("")
        lines.append("Each variant in forks of its own (%s per variant), different -jvmArgsAppend; ± is JMH's 99.9%% "
                     "interval, and \"added\" the difference to its bare reference with both intervals combined. "
                     "The by-class run is compared with the same deep call bare."
                     % ("/".join(str(f) for f in forks) or "?"))
        lines.append("")
        lines.append("| run | ns/op | ± | added over bare | goal |")
        lines.append("|---|---:|---:|---:|---|")
        label_of = {row[2]: r for row, r in rows}
        for (variant, method, label, ref, goal_name, goal), r in rows:
            added = "–"
            verdict_text = "–"
            base = label_of.get(ref) if ref else None
            if base is not None:
                diff = r["score"] - base["score"]
                err = math.sqrt(float(r["error"]) ** 2 + float(base["error"]) ** 2) \
                    if r["error"] == r["error"] and base["error"] == base["error"] else float("nan")
                added = "%+.0f ± %s" % (diff, num(err))
                verdict_text = verdict(diff, goal, "ns")
                goals.append("JDK %s, end to end, %s: %s" % (r["jdk"], goal_name, verdict_text))
            lines.append("| %s | %s | %s | %s | %s |" % (label, num(r["score"]), num(r["error"]), added,
                                                         verdict_text))
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
