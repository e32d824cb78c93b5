package io.portres.it.apps;

import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;

/** Binds two wildcard sockets, then prints the portres MBean's attributes as a JMX client would see them. */
public final class MBeanProbe {
    public static void main(String[] args) throws Exception {
        new ServerSocket(0).close();
        new ServerSocket(0).close();
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("portres:type=Agent");
        for (int i = 0; i < 100 && !server.isRegistered(name); i++) {
            Thread.sleep(50); // the agent registers it from its background thread
        }
        System.out.println("policyFile " + server.getAttribute(name, "PolicyFile"));
        System.out.println("mode " + server.getAttribute(name, "Mode"));
        System.out.println("backend " + server.getAttribute(name, "Backend"));
        for (CompositeData rule : (CompositeData[]) server.getAttribute(name, "Rules")) {
            System.out.println("rule " + rule.get("name") + " reservation " + rule.get("reservation") + " matched "
                    + rule.get("matched") + " associated " + rule.get("associated") + " audited "
                    + rule.get("audited") + " failed " + rule.get("failed") + " continued " + rule.get("continued"));
        }
        System.out.println("unmatched " + java.util.Arrays.toString((String[]) server.getAttribute(name,
                "UnmatchedRules")));
        System.out.println("hooks " + java.util.Arrays.toString((String[]) server.getAttribute(name, "Hooks")));
        System.out.println("reload " + server.invoke(name, "reloadPolicy", new Object[0], new String[0]));
        System.out.println("reloads " + server.getAttribute(name, "Reloads") + " lastReload "
                + (server.getAttribute(name, "LastReload") != null));
    }
}
