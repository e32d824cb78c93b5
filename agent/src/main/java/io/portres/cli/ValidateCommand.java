package io.portres.cli;

import io.portres.policy.Policy;
import io.portres.policy.PolicyException;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Problem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code portres validate POLICY...}: the agent's own loader, plus the checks of {@link PolicyChecks}. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Checks policy files with the agent's own loader.", "Errors are printed exactly as the agent"
                + " prints them (file:line:col: path: message); warnings (file:line:col: warning: path: message)"
                + " add: a rule's port outside its reservation, a rule that can never match because an earlier one"
                + " always wins, and, unless --offline, a reservation inside this machine's dynamic (ephemeral) port"
                + " range and not reserved, or overlapping a range reserved by someone else.",
                "Exit status: 0 no errors (warnings allowed), 1 errors (or warnings with --strict), 2 a file cannot"
                        + " be read or bad usage."},
        footer = {"%nExample:%n  java -jar portres-agent.jar validate /etc/portres/policy.yaml"})
final class ValidateCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "POLICY", description = "policy files")
    List<Path> policies;

    @Option(names = "--json", description = "one JSON object on standard output instead of text")
    boolean json;

    @Option(names = "--offline", description = "skip the checks against this machine's port settings (for a policy"
            + " meant for another machine)")
    boolean offline;

    @Option(names = "--strict", description = "warnings count as problems (exit status 1)")
    boolean strict;

    @Spec
    CommandSpec spec;

    private final Main.Context ctx;

    ValidateCommand(Main.Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws CliException {
        PrintWriter out = spec.commandLine().getOut();
        List<Object> files = new ArrayList<Object>();
        int errors = 0;
        int warnings = 0;
        boolean unreadable = false;
        OsReservations os = null;
        String osSkipped = null;
        for (Path file : policies) {
            List<Problem> problems = new ArrayList<Problem>();
            Policy policy = null;
            if (!Files.isReadable(file)) {
                unreadable = true;
            }
            try {
                policy = PolicyLoader.load(file);
                problems.addAll(policy.warnings());
            } catch (PolicyException e) {
                problems.addAll(e.problems());
            }
            if (policy != null) {
                problems.addAll(PolicyChecks.unreachableRules(policy));
                if (!offline) {
                    if (os == null && osSkipped == null) {
                        try {
                            os = ctx.reservations();
                        } catch (CliException e) {
                            osSkipped = e.getMessage();
                        }
                    }
                    if (os != null) {
                        try {
                            problems.addAll(PolicyChecks.againstMachine(policy, os));
                        } catch (CliException e) {
                            osSkipped = e.getMessage();
                        }
                    }
                }
            }
            int fileErrors = 0;
            int fileWarnings = 0;
            List<Object> jsonProblems = new ArrayList<Object>();
            for (Problem p : problems) {
                boolean error = p.severity() == Problem.Severity.ERROR;
                if (error) {
                    fileErrors++;
                } else {
                    fileWarnings++;
                }
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<String, Object>();
                    m.put("severity", error ? "error" : "warning");
                    m.put("line", p.line());
                    m.put("column", p.column());
                    m.put("path", p.path());
                    m.put("message", p.message());
                    jsonProblems.add(m);
                } else {
                    out.println(error ? p.toString() : withWarning(p));
                }
            }
            errors += fileErrors;
            warnings += fileWarnings;
            if (json) {
                Map<String, Object> f = new LinkedHashMap<String, Object>();
                f.put("file", file.toString());
                f.put("valid", fileErrors == 0);
                f.put("errors", fileErrors);
                f.put("warnings", fileWarnings);
                f.put("problems", jsonProblems);
                files.add(f);
            } else {
                out.println(file + ": " + (fileErrors == 0 ? "valid" : "invalid") + " (" + count(fileErrors, "error")
                        + ", " + count(fileWarnings, "warning") + ")"
                        + (policy != null ? ": " + count(policy.reservations().size(), "reservation") + ", "
                        + count(policy.rules().size(), "rule") + ", mode " + policy.mode().id() : ""));
            }
        }
        if (json) {
            Map<String, Object> all = new LinkedHashMap<String, Object>();
            all.put("files", files);
            all.put("errors", errors);
            all.put("warnings", warnings);
            all.put("machineChecks", offline ? "skipped (--offline)" : osSkipped != null ? "skipped: " + osSkipped
                    : os != null ? os.where() : "not needed");
            out.println(JsonWriter.write(all));
        } else if (!offline && osSkipped != null) {
            out.println("note: the checks against this machine were skipped: " + osSkipped);
        }
        if (unreadable) {
            return Main.USAGE_OR_IO;
        }
        return errors > 0 || strict && warnings > 0 ? Main.FOUND_PROBLEMS : Main.OK;
    }

    /** {@code file:line:col: warning: path: message} */
    static String withWarning(Problem p) {
        String s = p.toString();
        String head = Problem.escape(p.file()) + (p.line() > 0 ? ":" + p.line() + ":" + p.column() : "") + ": ";
        return head + "warning: " + s.substring(head.length());
    }

    static String count(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }
}
