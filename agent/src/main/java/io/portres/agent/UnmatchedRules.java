package io.portres.agent;

import io.portres.agent.discover.Discovery;
import io.portres.policy.ClassMatcher;
import io.portres.policy.Rule;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The rules of the policy in force that matched no bind, for the log at exit and the MBean: a rule that never
 * matches is usually a glob that misses its classes ({@code org.apache.ftpserver.*} is one package segment, the
 * classes live in {@code org.apache.ftpserver.impl}). When a similar glob would have matched a frame the agent saw
 * in a bind that no rule matched (or, with {@code discover=<file>}, in any bind), the line says which.
 */
public final class UnmatchedRules {

    private UnmatchedRules() {
    }

    /** One line per rule of {@code e} that matched no bind, in policy order. */
    public static List<String> describe(Engine e) {
        List<String> out = new ArrayList<String>();
        Set<String> seen = new TreeSet<String>(e.unmatchedFrames());
        seen.addAll(Discovery.seenClasses());
        for (Rule r : e.policy().rules()) {
            if (e.count(r.index(), "matched") > 0) {
                continue;
            }
            String hint = r.classes() == null ? null : hint(r.classes(), seen);
            out.add("rule '" + r.name() + "' (line " + r.line() + ") matched no bind" + (hint == null ? "" : hint));
        }
        return out;
    }

    /** At exit: info lines, and warnings for the rules with a hint (most likely a wrong glob). */
    static void logAtExit(Engine e) {
        for (String line : describe(e)) {
            if (line.contains(" would have matched ")) {
                e.log().warn(line);
            } else {
                e.log().info(line);
            }
        }
    }

    /** "; class 'a.b.*' matched no frame seen, but 'a.b.**' would have matched a.b.c.D"; or null. */
    static String hint(ClassMatcher classes, Set<String> seen) {
        for (String p : classes.patterns()) {
            for (String similar : similarGlobs(p)) {
                ClassMatcher m;
                try {
                    m = ClassMatcher.of(Collections.singletonList(similar));
                } catch (IllegalArgumentException invalid) {
                    continue;
                }
                for (String cls : seen) {
                    if (m.matches(cls) && !classes.matches(cls)) {
                        return "; class '" + p + "' matched no frame, but '" + similar + "' would have matched " + cls
                                + " (seen binding a socket no rule matched); '*' is one package segment, '**' any"
                                + " number";
                    }
                }
            }
        }
        return null;
    }

    /** Globs an operator may have meant: {@code a.b.*} for {@code a.b.**}, a package name for its classes. */
    static List<String> similarGlobs(String p) {
        Set<String> out = new LinkedHashSet<String>();
        if (p.indexOf('*') < 0) {
            out.add(p + ".**"); // a package written as a class
            int dot = p.lastIndexOf('.');
            if (dot > 0) {
                out.add(p.substring(0, dot) + ".**"); // a class that moved in its package, a nested class
            }
        } else {
            out.add(p.replace("**", "\u0000").replace("*", "**").replace("\u0000", "**"));
            if (p.endsWith(".*")) {
                out.add(p + "*");
            }
        }
        out.remove(p);
        return new ArrayList<String>(out);
    }
}
