package io.portres.agent.jmx;

import io.portres.agent.Engine;
import io.portres.agent.PolicyReloader;
import io.portres.agent.hook.BindDispatcher;
import io.portres.policy.Rule;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.management.ObjectName;
import javax.management.StandardMBean;

/**
 * The MBean behind {@link AgentMXBean}, reading the engine in force at each call. Registered by the agent's
 * background thread, never in premain: the platform MBean server costs tens of milliseconds to create.
 */
public final class AgentMBean implements AgentMXBean {

    public static final String NAME = "portres:type=Agent";

    private final String policyFile;
    private final PolicyReloader reloader;

    private AgentMBean(String policyFile, PolicyReloader reloader) {
        this.policyFile = policyFile;
        this.reloader = reloader;
    }

    /** Registers with the platform MBean server; returns false (and registers nothing) if the name is taken. */
    public static boolean register(String policyFile, PolicyReloader reloader) throws Exception {
        ObjectName name = new ObjectName(NAME);
        javax.management.MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        if (server.isRegistered(name)) {
            return false;
        }
        server.registerMBean(new StandardMBean(new AgentMBean(policyFile, reloader), AgentMXBean.class, true), name);
        return true;
    }

    @Override
    public String getPolicyFile() {
        return policyFile;
    }

    @Override
    public String getMode() {
        Engine e = BindDispatcher.engine();
        return e == null ? "inactive" : e.policy().mode().name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String getBackend() {
        Engine e = BindDispatcher.engine();
        return e == null ? null : e.backend().name();
    }

    @Override
    public String getLastReload() {
        return reloader == null ? null : reloader.lastReload();
    }

    @Override
    public String getLastReloadError() {
        return reloader == null ? null : reloader.lastReloadError();
    }

    @Override
    public int getReloads() {
        return reloader == null ? 0 : reloader.reloads();
    }

    @Override
    public long getDroppedLines() {
        return io.portres.agent.log.AsyncWriter.dropped();
    }

    @Override
    public List<String> getOutputErrors() {
        return io.portres.agent.log.AsyncWriter.writeErrors();
    }

    @Override
    public List<RuleStats> getRules() {
        Engine e = BindDispatcher.engine();
        List<RuleStats> out = new ArrayList<RuleStats>();
        if (e == null) {
            return out;
        }
        for (Rule r : e.policy().rules()) {
            int i = r.index();
            out.add(new RuleStats(r.name(), r.reservation().name(), e.count(i, "matched"), e.count(i, "associated"),
                    e.count(i, "audited"), e.count(i, "failed"), e.count(i, "continued")));
        }
        return out;
    }

    @Override
    public List<String> getUnmatchedRules() {
        Engine e = BindDispatcher.engine();
        return e == null ? new ArrayList<String>() : io.portres.agent.UnmatchedRules.describe(e);
    }

    @Override
    public List<String> getHooks() {
        io.portres.agent.hook.SelfTest.Verdict v = io.portres.agent.hook.SelfTest.verdict();
        return v == null ? new ArrayList<String>() : new ArrayList<String>(v.hooks);
    }

    /**
     * Reloads with the agent's own rights: under a SecurityManager a JMX client's call runs with the connection's
     * access-control context, which need not let the agent read its policy file.
     */
    @Override
    public boolean reloadPolicy() {
        if (reloader == null) {
            return false; // inactive after a hook gap: nothing to reload
        }
        return io.portres.agent.Privileges.run(new java.security.PrivilegedAction<Boolean>() {
            @Override
            public Boolean run() {
                return reloader.reload();
            }
        });
    }
}
