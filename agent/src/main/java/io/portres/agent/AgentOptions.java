package io.portres.agent;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The agent's switches, from three sources in this order of precedence: the agent argument
 * ({@code -javaagent:portres-agent.jar=<policy>} or {@code =policy=<path>,<key>=<value>,...}), system properties
 * ({@code -Dportres.<key>}), then the environment ({@code PORTRES_<KEY>}, e.g. {@code PORTRES_ON_POLICY_ERROR}).
 * A pure function of its inputs, so it is unit-tested without a JVM.
 */
public final class AgentOptions {

    /** Every key, with its environment variable name. */
    static final String[][] KEYS = {
        {"policy", "PORTRES_POLICY"},
        {"onPolicyError", "PORTRES_ON_POLICY_ERROR"},
        {"backend", "PORTRES_BACKEND"},
        {"reload", "PORTRES_RELOAD"},
        {"jmx", "PORTRES_JMX"},
        {"discover", "PORTRES_DISCOVER"},
    };

    private final Map<String, String> values;
    private final Map<String, String> sources;
    private final List<String> errors;

    private AgentOptions(Map<String, String> values, Map<String, String> sources, List<String> errors) {
        this.values = values;
        this.sources = sources;
        this.errors = errors;
    }

    public static AgentOptions parse(String agentArgs, Properties systemProperties, Map<String, String> env) {
        Map<String, String> fromArgs = new LinkedHashMap<String, String>();
        List<String> errors = new ArrayList<String>();
        if (agentArgs != null && !agentArgs.trim().isEmpty()) {
            String[] parts = agentArgs.split(",");
            for (int i = 0; i < parts.length; i++) {
                String part = parts[i].trim();
                if (part.isEmpty()) {
                    continue;
                }
                int eq = part.indexOf('=');
                if (eq < 0) {
                    if (i == 0) {
                        fromArgs.put("policy", part); // -javaagent:portres-agent.jar=<policy path>
                    } else {
                        errors.add("agent argument '" + part + "': expected <key>=<value> (keys: " + keyList()
                                + ")");
                    }
                    continue;
                }
                String key = part.substring(0, eq).trim();
                String value = part.substring(eq + 1).trim();
                String canonical = canonicalKey(key);
                if (canonical == null) {
                    errors.add("agent argument '" + key + "': unknown key (keys: " + keyList() + ")");
                } else {
                    fromArgs.put(canonical, value);
                }
            }
        }
        Map<String, String> values = new LinkedHashMap<String, String>();
        Map<String, String> sources = new LinkedHashMap<String, String>();
        for (String[] k : KEYS) {
            String key = k[0];
            String v = fromArgs.get(key);
            String source = "agent argument " + key;
            if (v == null && systemProperties != null) {
                v = systemProperties.getProperty("portres." + key);
                source = "-Dportres." + key;
            }
            if (v == null && env != null) {
                v = env.get(k[1]);
                source = k[1];
            }
            if (v != null && !v.isEmpty()) {
                values.put(key, v);
                sources.put(key, source);
            }
        }
        String onPolicyError = values.get("onPolicyError");
        if (onPolicyError != null && !onPolicyError.equals("fail") && !onPolicyError.equals("continue")) {
            errors.add(sources.get("onPolicyError") + " = '" + onPolicyError + "': expected fail or continue");
        }
        String backend = values.get("backend");
        if (backend != null && !io.portres.agent.backend.Backends.isKnown(backend.toLowerCase(Locale.ROOT))) {
            // never a silent downgrade: an unknown backend would leave the policy unenforced
            errors.add(sources.get("backend") + " = '" + backend + "': unknown backend (known: "
                    + io.portres.agent.backend.Backends.knownNames() + ")");
        }
        for (String flag : new String[] {"reload", "jmx"}) {
            String v = values.get(flag);
            if (v != null && !v.equals("true") && !v.equals("false")) {
                errors.add(sources.get(flag) + " = '" + v + "': expected true or false");
            }
        }
        return new AgentOptions(values, sources, Collections.unmodifiableList(errors));
    }

    private static String canonicalKey(String key) {
        for (String[] k : KEYS) {
            if (k[0].equalsIgnoreCase(key)) {
                return k[0];
            }
        }
        return null;
    }

    private static String keyList() {
        StringBuilder sb = new StringBuilder();
        for (String[] k : KEYS) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(k[0]);
        }
        return sb.toString();
    }

    /** The policy file path as given, or null. */
    public String policy() {
        return values.get("policy");
    }

    /** Where the policy path came from, for messages. */
    public String policySource() {
        return sources.get("policy");
    }

    /** True when a bad policy must leave the application running with the agent inactive. */
    public boolean continueOnPolicyError() {
        return "continue".equals(values.get("onPolicyError"));
    }

    /** The {@code backend} switch, lower case, or null for "by OS". */
    public String backend() {
        String b = values.get("backend");
        return b == null ? null : b.toLowerCase(Locale.ROOT);
    }

    /** True when the policy file is watched and valid new versions replace the running policy. */
    public boolean reload() {
        return "true".equals(values.get("reload"));
    }

    /** True (the default) when the agent registers its MBean {@code portres:type=Agent}. */
    public boolean jmx() {
        return !"false".equals(values.get("jmx"));
    }

    /** The discovery file ({@code discover=<file>}): every bind of the JVM is recorded there; or null. */
    public String discover() {
        return values.get("discover");
    }

    /** Where the discovery file came from, for messages. */
    public String discoverSource() {
        return sources.get("discover");
    }

    /** Problems with the switches themselves (unknown keys, bad values). */
    public List<String> errors() {
        return errors;
    }
}
