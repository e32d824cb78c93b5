#!/usr/bin/env python3
"""Start-up of a real server (the samples module's embedded Jetty or Tomcat) with and without the agent.

Builds nothing: it needs `mvn -B package -DskipTests` first (agent/target/portres-agent.jar,
samples/target/<server>.classpath, benchmarks/target/*-empty-agent.jar).

Variants, run INTERLEAVED (one of each per round, the order rotating every round), N rounds after 1 discarded
warm-up round, on the JDK given (default: `java` on PATH):
  bare          java -cp <sample> io.portres.samples.<server>.<Server>Server   (--server jetty or tomcat)
  empty-agent   + -javaagent:empty-agent.jar                      (the floor of any -javaagent)
  portres       + -javaagent:portres-agent.jar=<audit copy of samples/policies/<server>.yaml>
  baseline      + -javaagent:<--baseline-jar>=<same policy>       (only with --baseline-jar: an older agent jar)
Per run: wall time from the fork to the server's "ready:" line, then standard input is closed (the sample stops
when it ends) and the child's CPU time (user + system, os.wait4's rusage) and peak RSS are read at its exit, and
the number of classes loaded (-Xlog:class+load / -verbose:class lines) when --classes is given.

Jetty uses no JMX unless told to; Tomcat registers its own MBeans, so it creates the platform MBean server itself.

Stdlib only. Prints a Markdown table of medians (min-max).
"""

import argparse
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SERVERS = {"jetty": "io.portres.samples.jetty.JettyServer", "tomcat": "io.portres.samples.tomcat.TomcatServer"}


def one_jar(pattern):
    found = sorted(glob.glob(os.path.join(HERE, "target", pattern)))
    if not found:
        sys.exit("no benchmarks/target/%s: run mvn -B package -DskipTests first" % pattern)
    return found[0]


def audit_policy(folder, server):
    with open(os.path.join(ROOT, "samples", "policies", server + ".yaml"), encoding="utf-8") as f:
        text = f.read()
    text = text.replace("mode: enforce", "mode: audit").replace("level: info", "level: warn")
    text = text.replace("../target/%s/portres.log" % server, os.path.join(folder, "portres.log"))
    text = text.replace("../target/%s/events.jsonl" % server, os.path.join(folder, "events.jsonl"))
    path = os.path.join(folder, server + "-audit.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def run_once(cmd, classes):
    if classes:
        cmd = cmd[:1] + ["-verbose:class"] + cmd[1:]
    start = time.monotonic_ns()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    loaded = 0
    ready_ms = None
    for line in p.stdout:
        if ready_ms is None and line.startswith("ready:"):
            ready_ms = (time.monotonic_ns() - start) / 1e6
            p.stdin.close()
        elif "Loaded " in line or "class,load" in line:
            loaded += 1
    _, status, usage = os.wait4(p.pid, 0)
    if ready_ms is None or status != 0:
        sys.exit("the server did not start or stop cleanly (status %d): %s" % (status, " ".join(cmd)))
    return {"ready": ready_ms, "cpu": (usage.ru_utime + usage.ru_stime) * 1000, "rss": usage.ru_maxrss / 1024,
            "classes": loaded}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--java", default="java")
    ap.add_argument("--server", choices=sorted(SERVERS), default="jetty")
    ap.add_argument("--baseline-jar", default=None)
    ap.add_argument("--classes", action="store_true", help="also count loaded classes (one more run per variant)")
    args = ap.parse_args()
    with open(os.path.join(ROOT, "samples", "target", args.server + ".classpath"), encoding="utf-8") as f:
        cp = f.read().strip()
    folder = tempfile.mkdtemp(prefix="portres-server-startup-")
    policy = audit_policy(folder, args.server)
    tail = ["-cp", cp, SERVERS[args.server]]
    variants = {
        "bare": [args.java] + tail,
        "empty-agent": [args.java, "-javaagent:" + one_jar("*-empty-agent.jar")] + tail,
        "portres": [args.java, "-javaagent:%s=%s" % (os.path.join(ROOT, "agent", "target", "portres-agent.jar"),
                                                    policy)] + tail,
    }
    if args.baseline_jar:
        variants["baseline"] = [args.java, "-javaagent:%s=%s" % (os.path.abspath(args.baseline_jar), policy)] + tail
    names = list(variants)
    results = {n: [] for n in names}
    for n in names:
        run_once(variants[n], False)  # warm-up: file cache, JIT of nothing in particular
    for r in range(args.runs):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            results[n].append(run_once(variants[n], False))
    classes = {n: run_once(variants[n], True)["classes"] for n in names} if args.classes else {}
    version = subprocess.run([args.java, "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    print("%s, %s, %d interleaved rounds; medians (min-max)\n" % (args.server, version, args.runs))
    print("| variant | ready (wall) | CPU, user+sys | peak RSS |%s" % (" classes |" if classes else ""))
    print("|---|---:|---:|---:|%s" % ("---:|" if classes else ""))
    for n in names:
        row = []
        for key, unit in (("ready", "ms"), ("cpu", "ms"), ("rss", "MiB")):
            xs = [x[key] for x in results[n]]
            row.append("%.0f %s (%.0f-%.0f)" % (statistics.median(xs), unit, min(xs), max(xs)))
        print("| %s | %s |%s" % (n, " | ".join(row), (" %d |" % classes[n]) if classes else ""))


if __name__ == "__main__":
    main()
