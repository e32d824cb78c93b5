package io.portres.bench;

/**
 * The policies of the per-bind benchmarks, as YAML text. Every one is {@code mode: audit}, log level warn, and
 * ends with the same three scenario rules, so that a scenario meets the same rule in every policy:
 * <ul>
 *   <li>port {@link #UNMATCHED_PORT}: no rule admits it (the common case: most binds of an application);</li>
 *   <li>port 0, rule {@code by-port}: {@code port: 0}, no class condition;</li>
 *   <li>port {@link #CLASS_PORT}, rule {@code by-class}: {@code class: "io.portres.bench.app.**"}, which only the
 *       frame of {@link io.portres.bench.app.Server}, {@link #DEPTH} frames above the bind, satisfies.</li>
 * </ul>
 * Policies: {@code small} (4 rules: one filler), {@code 10k} (9,997 fixed-port rules on other ports before the scenario rules:
 * 10,000 rules) and {@code 10k-100cls} (like {@code 10k}, but 100 of the filler rules are {@code port: 0} rules with
 * a class condition that never matches, ahead of {@code by-port}: the case where many rules share one port).
 */
public final class Policies {

    public static final int UNMATCHED_PORT = 40000;
    public static final int CLASS_PORT = 7002;
    /** Frames between the bind and {@code io.portres.bench.app.Server}: a realistic server stack. */
    public static final int DEPTH = 20;
    public static final int TOTAL_RULES = 10000;
    /** The by-class rule's class condition: only {@link io.portres.bench.app.Server}'s frame meets it. */
    public static final String APP_CLASSES = "io.portres.bench.app.**";

    private Policies() {
    }

    public static String text(String name) {
        switch (name) {
            case "small":
                return policy(1, 0);
            case "10k":
                return policy(TOTAL_RULES - 3, 0);
            case "10k-100cls":
                return policy(TOTAL_RULES - 3 - 100, 100);
            default:
                throw new IllegalArgumentException("unknown policy " + name);
        }
    }

    /** {@code fixed} filler rules on ports 20000+, {@code sharedClassRules} port-0 rules with foreign classes. */
    private static String policy(int fixed, int sharedClassRules) {
        StringBuilder sb = new StringBuilder(64 * (fixed + sharedClassRules) + 1024);
        sb.append("version: 1\nmode: audit\nlog:\n  level: warn\n");
        sb.append("reservations:\n");
        sb.append("  block: { protocol: tcp, startPort: 7000, count: 10 }\n");
        sb.append("  filler: { protocol: tcp, startPort: 20000, count: ").append(Math.max(fixed, 1)).append(" }\n");
        sb.append("rules:\n");
        for (int i = 0; i < fixed; i++) {
            sb.append("  - { name: f").append(i).append(", match: { port: ").append(20000 + i)
                    .append(" }, reservation: filler }\n");
        }
        for (int i = 0; i < sharedClassRules; i++) {
            sb.append("  - { name: c").append(i).append(", match: { port: 0, class: \"com.example.svc").append(i)
                    .append(".**\" }, reservation: block }\n");
        }
        sb.append("  - { name: by-port, match: { port: 0 }, reservation: block }\n");
        sb.append("  - { name: by-class, match: { port: ").append(CLASS_PORT)
                .append(", class: \"").append(APP_CLASSES).append("\" }, reservation: block }\n");
        sb.append("  - { name: other, match: { port: 7003 }, reservation: block }\n");
        return sb.toString();
    }
}
