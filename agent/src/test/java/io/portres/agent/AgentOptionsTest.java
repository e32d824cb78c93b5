package io.portres.agent;

import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class AgentOptionsTest {

    private static final Map<String, String> NO_ENV = Collections.emptyMap();

    @Test
    void barePathIsThePolicy() {
        AgentOptions o = AgentOptions.parse("/etc/portres/policy.yaml", new Properties(), NO_ENV);
        assertThat(o.policy()).isEqualTo("/etc/portres/policy.yaml");
        assertThat(o.errors()).isEmpty();
        assertThat(o.continueOnPolicyError()).isFalse();
        assertThat(o.backend()).isNull();
    }

    @Test
    void keyValuePairs() {
        AgentOptions o = AgentOptions.parse("policy=C:\\portres\\p.yaml,onPolicyError=continue,backend=Audit",
                new Properties(), NO_ENV);
        assertThat(o.policy()).isEqualTo("C:\\portres\\p.yaml");
        assertThat(o.continueOnPolicyError()).isTrue();
        assertThat(o.backend()).isEqualTo("audit");
    }

    @Test
    void firstBareTokenIsThePolicyFollowedByKeys() {
        AgentOptions o = AgentOptions.parse("p.yaml,backend=reject", new Properties(), NO_ENV);
        assertThat(o.policy()).isEqualTo("p.yaml");
        assertThat(o.backend()).isEqualTo("reject");
    }

    @Test
    void discoverHasTheSamePrecedenceAsTheOtherKeys() {
        Properties sys = new Properties();
        sys.setProperty("portres.discover", "from-property.jsonl");
        Map<String, String> env = new HashMap<String, String>();
        env.put("PORTRES_DISCOVER", "from-env.jsonl");
        AgentOptions args = AgentOptions.parse("discover=from-args.jsonl", sys, env);
        assertThat(args.discover()).isEqualTo("from-args.jsonl");
        assertThat(args.policy()).isNull();
        assertThat(args.errors()).isEmpty();
        assertThat(AgentOptions.parse(null, sys, env).discover()).isEqualTo("from-property.jsonl");
        AgentOptions fromEnv = AgentOptions.parse("p.yaml", new Properties(), env);
        assertThat(fromEnv.discover()).isEqualTo("from-env.jsonl");
        assertThat(fromEnv.discoverSource()).isEqualTo("PORTRES_DISCOVER");
        assertThat(fromEnv.policy()).isEqualTo("p.yaml");
        assertThat(AgentOptions.parse("p.yaml", new Properties(), NO_ENV).discover()).isNull();
    }

    @Test
    void precedenceIsArgumentsThenSystemPropertiesThenEnvironment() {
        Properties sys = new Properties();
        sys.setProperty("portres.policy", "from-property.yaml");
        sys.setProperty("portres.backend", "linux");
        Map<String, String> env = new HashMap<String, String>();
        env.put("PORTRES_POLICY", "from-env.yaml");
        env.put("PORTRES_BACKEND", "windows");
        env.put("PORTRES_ON_POLICY_ERROR", "continue");
        AgentOptions o = AgentOptions.parse("policy=from-args.yaml", sys, env);
        assertThat(o.policy()).isEqualTo("from-args.yaml");
        assertThat(o.policySource()).isEqualTo("agent argument policy");
        assertThat(o.backend()).isEqualTo("linux");
        assertThat(o.continueOnPolicyError()).isTrue();
        AgentOptions o2 = AgentOptions.parse(null, sys, env);
        assertThat(o2.policy()).isEqualTo("from-property.yaml");
        assertThat(o2.policySource()).isEqualTo("-Dportres.policy");
        AgentOptions o3 = AgentOptions.parse("", new Properties(), env);
        assertThat(o3.policy()).isEqualTo("from-env.yaml");
        assertThat(o3.policySource()).isEqualTo("PORTRES_POLICY");
    }

    @Test
    void unknownKeysAndBadValuesAreErrors() {
        AgentOptions o = AgentOptions.parse("policy=p.yaml,bakend=audit,onPolicyError=maybe,stray,reload=yes",
                new Properties(), NO_ENV);
        String keys = "(keys: policy, onPolicyError, backend, reload, jmx, discover)";
        assertThat(o.errors()).containsExactly(
                "agent argument 'bakend': unknown key " + keys,
                "agent argument 'stray': expected <key>=<value> " + keys,
                "agent argument onPolicyError = 'maybe': expected fail or continue",
                "agent argument reload = 'yes': expected true or false");
    }

    @Test
    void reloadIsOffAndJmxOnByDefault() {
        AgentOptions o = AgentOptions.parse("p.yaml", new Properties(), NO_ENV);
        assertThat(o.reload()).isFalse();
        assertThat(o.jmx()).isTrue();
        AgentOptions o2 = AgentOptions.parse("p.yaml,reload=true,jmx=false", new Properties(), NO_ENV);
        assertThat(o2.reload()).isTrue();
        assertThat(o2.jmx()).isFalse();
    }

    @Test
    void nothingGivenMeansNoPolicy() {
        assertThat(AgentOptions.parse(null, new Properties(), NO_ENV).policy()).isNull();
    }

    /** {@code backend=linx} used to start the audit backend with one warning: binds then landed outside the block. */
    @Test
    void anUnknownBackendIsAnErrorLikeAnUnknownKey() {
        AgentOptions o = AgentOptions.parse("p.yaml,backend=linx", new Properties(), NO_ENV);
        assertThat(o.errors()).containsExactly(
                "agent argument backend = 'linx': unknown backend (known: auto, audit, reject, windows, linux)");
        Properties sys = new Properties();
        sys.setProperty("portres.backend", "Windoze");
        assertThat(AgentOptions.parse("p.yaml", sys, NO_ENV).errors()).containsExactly(
                "-Dportres.backend = 'Windoze': unknown backend (known: auto, audit, reject, windows, linux)");
        assertThat(AgentOptions.parse("p.yaml,backend=AUTO", new Properties(), NO_ENV).errors()).isEmpty();
        assertThat(AgentOptions.parse("p.yaml,backend=Linux", new Properties(), NO_ENV).errors()).isEmpty();
    }
}
