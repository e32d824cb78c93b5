#!/usr/bin/env python3
"""Start-to-exit time of a trivial application that binds one socket, with and without the agent.

Builds nothing: it takes agent/target/portres-agent.jar and, from this module's build (mvn package),
target/*-trivial-app.jar (io.portres.bench.TrivialBind: ServerSocket(0), close, exit) and target/*-empty-agent.jar
(a premain that does nothing: the floor of any -javaagent).

Variants, run INTERLEAVED (one of each per round, the order rotating every round, so that drift and position
effects hit all of them alike), N rounds after 2 discarded warm-up rounds, on every JDK found:
  bare          java -cp app.jar io.portres.bench.TrivialBind
  empty-agent   + -javaagent:empty-agent.jar
  portres       + -javaagent:portres-agent.jar=nomatch.yaml   (audit, 2 fixed-port rules, log level warn)
  portres-10k   + -javaagent:portres-agent.jar=rules10k.yaml  (audit, 10,000 fixed-port rules, log level warn)
The trivial bind is to port 0, which no rule of either policy admits.

Per run: wall time from just before the fork to the reaped exit (time.monotonic_ns), peak RSS of that child
(os.wait4's rusage), and the split that TrivialBind prints from System.nanoTime() (CLOCK_MONOTONIC, as
time.monotonic_ns): launch->main (JVM boot, premain), main->bound (the bind, which waits for the agent's
background init), bound->exit (JVM shutdown and shutdown hooks).

--attribute adds one run per variant and JDK with -Xlog:class+load (JDK 8: -verbose:class) and counts the classes
each variant loads, by source and by thread, before and after main.

Stdlib only. Writes <out>/startup.json (every run) and <out>/startup.md (the tables), and prints the tables.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VARIANTS = ["bare", "empty-agent", "portres", "portres-10k"]
MAIN_CLASS = "io.portres.bench.TrivialBind"
RULES_10K = 10000


# ------------------------------------------------------------------------------------------------ policies

NOMATCH = """\
# startup.py: two rules on fixed ports inside their reservations; the trivial app's bind (port 0) matches none.
version: 1
mode: audit
log:
  level: warn
reservations:
  http:
    protocol: tcp
    startPort: 8080
    count: 1
  admin:
    protocol: tcp
    startPort: 9000
    count: 10
rules:
  - name: http
    match:
      port: 8080
    reservation: http
  - name: admin
    match:
      port: "9000-9009"
      class: "org.example.admin.**"
    reservation: admin
"""

# For the end-to-end JMH benchmark (run.sh): the same, plus a rule that matches every ephemeral bind.
MATCH_PORT0 = NOMATCH.replace("# startup.py: two rules on fixed ports inside their reservations; the trivial "
                              "app's bind (port 0) matches none.",
                              "# run.sh, EndToEndBind: rule 'ephemeral' matches every port-0 bind (audit).") + """\
  - name: ephemeral
    match:
      port: 0
    reservation: admin
"""

# For EndToEndBind.bindCloseDeep (run.sh): the same, plus a rule that matches a port-0 bind by class only: its
# condition is met by io.portres.bench.app.Server's frame, Policies.DEPTH (20) frames above the bind, so the agent
# reads the stack up to it on every bind (audit).
MATCH_CLASS = NOMATCH.replace("# startup.py: two rules on fixed ports inside their reservations; the trivial "
                              "app's bind (port 0) matches none.",
                              "# run.sh, EndToEndBind.bindCloseDeep: rule 'app' matches a port-0 bind made below a "
                              "class of io.portres.bench.app (audit).") + """\
  - name: app
    match:
      port: 0
      class: "io.portres.bench.app.**"
    reservation: admin
"""

# For EndToEndBind on Linux (run.sh): mode enforce, backend linux; every port-0 bind is made in a 1,000-port block
# (the agent binds from its cursor, so successive binds move through the block).
MATCH_PORT0_LINUX = """\
# run.sh, EndToEndBind: enforce on the linux backend; every port-0 bind lands in tcp 45000-45999.
version: 1
mode: enforce
log:
  level: warn
reservations:
  block:
    protocol: tcp
    startPort: 45000
    count: 1000
rules:
  - name: ephemeral
    match:
      port: 0
    reservation: block
"""


def rules10k():
    """10,000 rules, one port each (20000-29999) inside one reservation; every 10th also has a class condition."""
    out = ["# startup.py: 10,000 fixed-port rules inside their reservation; port 0 matches none.",
           "version: 1", "mode: audit", "log:", "  level: warn", "reservations:", "  filler:", "    protocol: tcp",
           "    startPort: 20000", "    count: %d" % RULES_10K, "rules:"]
    for i in range(RULES_10K):
        out.append("  - name: r%d" % i)
        out.append("    match:")
        out.append("      port: %d" % (20000 + i))
        if i % 10 == 0:
            out.append('      class: "org.example.svc%d.**"' % i)
        out.append("    reservation: filler")
    return "\n".join(out) + "\n"


def write_policies(directory):
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for name, text in (("nomatch", NOMATCH), ("rules10k", rules10k()), ("match-port0", MATCH_PORT0),
                       ("match-class", MATCH_CLASS), ("match-port0-linux", MATCH_PORT0_LINUX)):
        p = os.path.join(directory, name + ".yaml")
        with open(p, "w") as f:
            f.write(text)
        paths[name] = p
    return paths


# ------------------------------------------------------------------------------------------------ JDKs


def real_java(launcher):
    """The java binary behind a launcher; scripts/jdks.sh writes `exec '<java>' "$@"` wrappers."""
    try:
        with open(launcher, "rb") as f:
            head = f.read(4096)
        if head.startswith(b"#!"):
            m = re.search(rb"exec '([^']+/bin/java)'", head)
            if m and os.access(m.group(1).decode(), os.X_OK):
                return m.group(1).decode()
    except OSError:
        pass
    return os.path.realpath(launcher)


def java_version(java):
    r = subprocess.run([java, "-version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    first = lines[0] if lines else "?"
    m = re.search(r'version "([^"]+)"', first)
    full = m.group(1) if m else first
    feature = int(full.split(".")[1]) if full.startswith("1.") else int(re.match(r"\d+", full).group(0))
    return feature, " / ".join(lines[:2])


def find_jdks(wanted):
    """{feature: java}: the default java (17 here), /usr/lib/jvm/temurin-25*, and .cache/jdks/jdks.properties."""
    found = {}
    default = shutil.which("java")
    candidates = []
    if default:
        candidates.append(os.path.realpath(default))
    candidates += sorted(glob.glob("/usr/lib/jvm/temurin-25*/bin/java"))
    props = os.path.join(ROOT, ".cache", "jdks", "jdks.properties")
    if os.path.exists(props):
        with open(props) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    candidates.append(real_java(line.split("=", 1)[1].strip()))
    for java in candidates:
        if not os.access(java, os.X_OK):
            continue
        try:
            feature, desc = java_version(java)
        except Exception as e:  # a broken JDK is reported, not fatal
            print("skipping %s: %s" % (java, e), file=sys.stderr)
            continue
        if feature not in found:
            found[feature] = {"java": java, "version": desc}
    return {k: v for k, v in sorted(found.items()) if not wanted or k in wanted}


# ------------------------------------------------------------------------------------------------ running


def one_jar(pattern):
    hits = sorted(glob.glob(os.path.join(HERE, "target", pattern)))
    if not hits:
        sys.exit("missing benchmarks/target/%s: run `mvn -q -B -DskipTests package` at the root (run.sh does)"
                 % pattern)
    return hits[0]


def commands(java, agent_jar, empty_jar, app_jar, policies, baseline_jar=None):
    tail = ["-cp", app_jar, MAIN_CLASS]
    cmds = {
        "bare": [java] + tail,
        "empty-agent": [java, "-javaagent:" + empty_jar] + tail,
        "portres": [java, "-javaagent:%s=%s" % (agent_jar, policies["nomatch"])] + tail,
        "portres-10k": [java, "-javaagent:%s=%s" % (agent_jar, policies["rules10k"])] + tail,
    }
    if baseline_jar:
        cmds["baseline"] = [java, "-javaagent:%s=%s" % (baseline_jar, policies["nomatch"])] + tail
    return cmds


def run_once(cmd, scratch, extra=None):
    """Runs cmd; returns wall ms, peak RSS KiB, exit code, stdout, stderr and the phase split."""
    cmd = cmd[:1] + (extra or []) + cmd[1:]
    out_path = os.path.join(scratch, "out")
    err_path = os.path.join(scratch, "err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.monotonic_ns()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=scratch)
        _, status, usage = os.wait4(p.pid, 0)
        t1 = time.monotonic_ns()
        p.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, errors="replace") as f:
        stdout = f.read()
    with open(err_path, errors="replace") as f:
        stderr = f.read()
    r = {"wall_ms": (t1 - t0) / 1e6, "rss_kib": usage.ru_maxrss, "exit": p.returncode,
         "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000.0}
    m = re.search(r"main=(-?\d+) bound=(-?\d+)", stdout)
    if m:
        main, bound = int(m.group(1)), int(m.group(2))
        r["to_main_ms"] = (main - t0) / 1e6
        r["bind_ms"] = (bound - main) / 1e6
        r["exit_ms"] = (t1 - bound) / 1e6
    return r, stdout, stderr


def check(cmd, scratch, label):
    """One run that must succeed quietly: exit 0, the app's line, nothing on stderr (no agent warning)."""
    r, stdout, stderr = run_once(cmd, scratch)
    if r["exit"] != 0 or "main=" not in stdout or stderr.strip():
        sys.exit("%s: check run failed (exit %s)\ncommand: %s\nstdout: %s\nstderr: %s"
                 % (label, r["exit"], " ".join(cmd), stdout, stderr))


def quantile(values, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summarize(runs):
    """runs: {variant: [run dicts]} of one JDK, same length, index = round."""
    bare = runs["bare"]
    empty = runs["empty-agent"]
    table = {}
    for v in runs:
        rs = runs[v]
        wall = [r["wall_ms"] for r in rs]
        row = {
            "n": len(rs),
            "median_ms": statistics.median(wall),
            "p10_ms": quantile(wall, 0.10),
            "p90_ms": quantile(wall, 0.90),
            "added_ms": statistics.median(wall) - statistics.median([r["wall_ms"] for r in bare]),
            # same-round pairs: drift between rounds cancels
            "added_paired_ms": statistics.median([a["wall_ms"] - b["wall_ms"] for a, b in zip(rs, bare)]),
            "over_empty_agent_paired_ms": statistics.median([a["wall_ms"] - b["wall_ms"] for a, b in zip(rs, empty)]),
            "rss_mib": statistics.median([r["rss_kib"] for r in rs]) / 1024.0,
            # CPU time of the whole process (user + system, every thread): less sensitive than wall time to other
            # load on the machine
            "cpu_ms": statistics.median([r["cpu_ms"] for r in rs]),
            "cpu_over_empty_agent_paired_ms": statistics.median([a["cpu_ms"] - b["cpu_ms"] for a, b in zip(rs, empty)]),
        }
        for k in ("to_main_ms", "bind_ms", "exit_ms"):
            vals = [r[k] for r in rs if k in r]
            row[k] = statistics.median(vals) if vals else None
        table[v] = row
    return table


# ------------------------------------------------------------------------------------------------ attribution


LOAD_17 = re.compile(r"^\[([\d.]+)s\]\[(\d+)\]\s*(\S+) source: (.*)$")
LOAD_8 = re.compile(r"^\[Loaded (\S+) from (.*)\]$")


AGENT_PARTS = [("io.portres.agent.", "agent: io.portres.agent"), ("io.portres.policy.", "agent: io.portres.policy"),
               ("io.portres.shaded.snakeyaml.", "agent: shaded snakeyaml"),
               ("io.portres.shaded.bytebuddy.", "agent: shaded ASM"), ("", "agent: other")]

# First load of these classes marks the steps of Installer (the log's uptime, in ms; logging slows each a little).
MILESTONES = [("premain", "io.portres.boot.Trampoline"), ("core loader", "io.portres.agent.AgentMain"),
              ("policy load", "io.portres.policy.PolicyLoader"), ("first Rule", "io.portres.policy.Rule"), ("policy loaded", "io.portres.agent.log.AgentLog"),
              ("transformer", "io.portres.agent.hook.BindTransformer"),
              ("premain returns", "io.portres.agent.Installer$Init"), ("main", MAIN_CLASS),
              ("init: Engine", "io.portres.agent.Engine")]


def source_kind(name, source, agent_jar):
    if "portres-agent.jar" in source or source == agent_jar:
        return next(label for prefix, label in AGENT_PARTS if name.startswith(prefix))
    if "shared objects file" in source:
        return "JDK from CDS"
    if source.startswith("jrt:/") or source.endswith("rt.jar") or "/jre/lib/" in source:
        return "JDK parsed"
    if "empty-agent" in source or "trivial-app" in source:
        return "app or empty agent"
    return "generated"  # lambda forms, hidden classes, reflection accessors


def attribute(feature, cmd, scratch, agent_jar):
    """Class loads of one run: before main (main thread), before main (other threads), after main."""
    if feature >= 9:
        log = os.path.join(scratch, "classload.log")
        if os.path.exists(log):
            os.remove(log)
        r, _, err = run_once(cmd, scratch, ["-Xlog:class+load=info:file=%s:uptime,tid" % log])
        with open(log, errors="replace") as f:
            lines = f.read().splitlines()
        loads = []
        for line in lines:
            m = LOAD_17.search(line)
            if m:
                loads.append((float(m.group(1)), int(m.group(2)), m.group(3), m.group(4).strip()))
    else:
        r, stdout, err = run_once(cmd, scratch, ["-verbose:class"])
        loads = []
        for line in stdout.splitlines():
            m = LOAD_8.match(line.strip())
            if m:
                loads.append((None, 0, m.group(1), m.group(2)))
    if r["exit"] != 0 or err.strip():
        sys.exit("attribution run failed (exit %s): %s\n%s" % (r["exit"], " ".join(cmd), err))
    main_tid = loads[0][1] if loads else 0
    idx_main = next((i for i, l in enumerate(loads) if l[2] == MAIN_CLASS), len(loads))
    first = {}
    for t, _, name, _ in loads:
        first.setdefault(name, t)
    out = {"total": len(loads), "before_main": {}, "before_main_other_threads": {}, "after_main": {},
           "milestones_ms": {label: (first[c] * 1000 if first.get(c) is not None else None)
                             for label, c in MILESTONES},
           "wall_ms_with_logging": r["wall_ms"]}
    for i, (_, tid, name, source) in enumerate(loads):
        kind = source_kind(name, source, agent_jar)
        if i >= idx_main:
            bucket = "after_main"
        elif feature >= 9 and tid != main_tid:
            bucket = "before_main_other_threads"
        else:
            bucket = "before_main"
        out[bucket][kind] = out[bucket].get(kind, 0) + 1
    return out


# ------------------------------------------------------------------------------------------------ report


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "python": platform.python_version()}


def markdown(result):
    lines = []
    m = result["machine"]
    lines.append("Start-to-exit of TrivialBind (ServerSocket(0), close, exit); %d interleaved rounds per JDK after %d "
                 "warm-up rounds; %s; nproc %s, %s; %s." % (result["runs"], result["warmup"], result["date"],
                                                          m["nproc"], m["cpu"], "kernel " + m["kernel"]))
    lines.append("")
    lines.append("| JDK | variant | median ms | p10 ms | p90 ms | added ms (Δ medians) | added ms (paired) "
                 "| over the empty agent ms (paired) | launch→main ms | bind ms | exit ms | peak RSS MiB "
                 "| CPU ms | CPU over the empty agent ms (paired) |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for feature, jdk in result["jdks"].items():
        for v in jdk["summary"]:
            row = jdk["summary"][v]

            def f(x, plus=False):
                if x is None:
                    return "–"
                return ("%+.1f" if plus else "%.1f") % x
            added = "–" if v == "bare" else f(row["added_ms"], True)
            paired = "–" if v == "bare" else f(row["added_paired_ms"], True)
            over_empty = "–" if v in ("bare", "empty-agent") else f(row.get("over_empty_agent_paired_ms"), True)
            cpu_over = "–" if v in ("bare", "empty-agent") else f(row.get("cpu_over_empty_agent_paired_ms"), True)
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %s | %s |" % (
                feature, v, f(row["median_ms"]), f(row["p10_ms"]), f(row["p90_ms"]), added, paired, over_empty,
                f(row["to_main_ms"]), f(row["bind_ms"]), f(row["exit_ms"]), row["rss_mib"], f(row.get("cpu_ms")),
                cpu_over))
    lines.append("")
    lines.append("JDKs: " + "; ".join("%s = %s (%s)" % (k, j["version"], j["java"]) for k, j in result["jdks"].items()))
    if any("attribution" in j for j in result["jdks"].values()):
        lines.append("")
        lines.append("Class loads (one run per variant with -Xlog:class+load; JDK 8: -verbose:class, no thread "
                     "split; \"after main\" counts the main class and everything after it, on any thread):")
        lines.append("")
        lines.append("| JDK | variant | total | before main, main thread | before main, other threads | after main |")
        lines.append("|---|---|---:|---|---|---|")
        for feature, jdk in result["jdks"].items():
            for v, a in jdk.get("attribution", {}).items():
                def d(x):
                    return ", ".join("%s %d" % (k, n) for k, n in sorted(x.items())) or "–"
                lines.append("| %s | %s | %d | %s | %s | %s |" % (
                    feature, v, a["total"], d(a["before_main"]), d(a["before_main_other_threads"]),
                    d(a["after_main"])))
        lines.append("")
        lines.append("JVM uptime (ms) at the first load of each step's class, same runs (class+load logging "
                     "slows every step a little):")
        lines.append("")
        lines.append("| JDK | variant | " + " | ".join("%s (%s)" % (label, c.rsplit(".", 1)[-1])
                                                      for label, c in MILESTONES) + " |")
        lines.append("|---|---|" + "---:|" * len(MILESTONES))
        for feature, jdk in result["jdks"].items():
            for v, a in jdk.get("attribution", {}).items():
                ms = a["milestones_ms"]
                if all(x is None for x in ms.values()):
                    continue
                lines.append("| %s | %s | %s |" % (feature, v, " | ".join(
                    "–" if ms[label] is None else "%.0f" % ms[label] for label, _ in MILESTONES)))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=21, help="timed rounds per JDK (default 21)")
    ap.add_argument("--warmup", type=int, default=2, help="discarded rounds per JDK (default 2)")
    ap.add_argument("--jdks", default="", help="comma-separated feature versions (default: every one found)")
    ap.add_argument("--out", default=None, help="output folder (default benchmarks/results/<UTC time>)")
    ap.add_argument("--attribute", action="store_true", help="also count class loads per variant")
    ap.add_argument("--agent-jar", default=os.path.join(ROOT, "agent", "target", "portres-agent.jar"))
    ap.add_argument("--app-jar", default=None, help="default: benchmarks/target/*-trivial-app.jar")
    ap.add_argument("--empty-agent-jar", default=None, help="default: benchmarks/target/*-empty-agent.jar")
    ap.add_argument("--baseline-jar", default=None,
                    help="another agent jar (an earlier build), run as variant 'baseline' with portres's policy, "
                         "interleaved with the others: a before/after comparison in one run")
    ap.add_argument("--skip-10k", action="store_true", help="leave out the portres-10k variant")
    ap.add_argument("--policies-only", action="store_true", help="write <out>/policies/*.yaml and stop")
    args = ap.parse_args()

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = os.path.abspath(args.out or os.path.join(HERE, "results", stamp))
    policies = write_policies(os.path.join(out, "policies"))
    if args.policies_only:
        print(out)
        return
    agent_jar = os.path.abspath(args.agent_jar)
    if not os.path.exists(agent_jar):
        sys.exit("missing %s: run `mvn -q -B -DskipTests package` at the root (run.sh does)" % agent_jar)
    app_jar = os.path.abspath(args.app_jar) if args.app_jar else one_jar("*-trivial-app.jar")
    empty_jar = os.path.abspath(args.empty_agent_jar) if args.empty_agent_jar else one_jar("*-empty-agent.jar")
    wanted = {int(x) for x in args.jdks.split(",") if x.strip()}
    jdks = find_jdks(wanted)
    if not jdks:
        sys.exit("no JDK found")
    baseline_jar = os.path.abspath(args.baseline_jar) if args.baseline_jar else None
    variants = [v for v in VARIANTS if not (args.skip_10k and v == "portres-10k")] + (
        ["baseline"] if baseline_jar else [])

    result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "runs": args.runs, "warmup": args.warmup, "machine": machine(), "agent_jar": agent_jar,
              "baseline_jar": baseline_jar, "variants": variants,
              "policies": policies, "jdks": {}}
    scratch = tempfile.mkdtemp(prefix="portres-startup-")
    try:
        for feature, jdk in jdks.items():
            cmds = commands(jdk["java"], agent_jar, empty_jar, app_jar, policies, baseline_jar)
            for v in variants:
                check(cmds[v], scratch, "JDK %s %s" % (feature, v))
            runs = {v: [] for v in variants}
            for rnd in range(args.warmup + args.runs):
                k = rnd % len(variants)
                for v in variants[k:] + variants[:k]:
                    r, _, stderr = run_once(cmds[v], scratch)
                    if r["exit"] != 0:
                        sys.exit("JDK %s %s exited %s: %s" % (feature, v, r["exit"], stderr))
                    if rnd >= args.warmup:
                        runs[v].append(r)
            entry = {"java": jdk["java"], "version": jdk["version"],
                     "commands": {v: " ".join(c) for v, c in cmds.items()},
                     "runs": runs, "summary": summarize(runs)}
            if args.attribute:
                entry["attribution"] = {v: attribute(feature, cmds[v], scratch, agent_jar) for v in variants}
            result["jdks"][str(feature)] = entry
            s = entry["summary"]
            print("JDK %s: %s" % (feature, ", ".join("%s %.1f ms" % (v, s[v]["median_ms"]) for v in variants)),
                  file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    with open(os.path.join(out, "startup.json"), "w") as f:
        json.dump(result, f, indent=1)
    md = markdown(result)
    with open(os.path.join(out, "startup.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
