package io.portres.samples;

import io.portres.samples.SampleServer.Block;
import io.portres.samples.jmx.JmxServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The JDK's JMX agent under policies/jmx.yaml: the registry keeps its fixed port, the connector servers exported on
 * port 0 land in the block, nothing escapes, and a JMX client reads the server's runtime through them.
 */
@EnabledOnOs(OS.LINUX)
class JmxIT {

    private static final int REGISTRY_PORT = 18380;

    @Test
    void registryKeepsItsPortAndRmiExportsLandInTheBlock() throws Exception {
        List<String> jmxRemote = List.of("-Dcom.sun.management.jmxremote.port=" + REGISTRY_PORT,
                "-Dcom.sun.management.jmxremote.host=127.0.0.1", "-Dcom.sun.management.jmxremote.local.only=true",
                "-Dcom.sun.management.jmxremote.authenticate=false", "-Dcom.sun.management.jmxremote.ssl=false",
                "-Djava.rmi.server.hostname=127.0.0.1");
        try (SampleServer server = SampleServer.start("jmx", jmxRemote, JmxServer.class)) {
            assertThat(server.awaitReady()).containsEntry("jmx", REGISTRY_PORT);
            String runtimeName = assertTimeoutPreemptively(Duration.ofSeconds(30), JmxIT::remoteRuntimeName);
            assertThat(runtimeName).startsWith(server.pid() + "@");
            server.assertEverySocketLandedInItsBlock(
                    new Block("jmx-registry", "tcp", REGISTRY_PORT, 1, 1),
                    // the remote connector server (on 127.0.0.1) and the local one that attach uses (wildcard)
                    new Block("jmx-rmi-exports", "tcp", 26200, 10, 2));
            server.assertStopsCleanly();
        }
    }

    private static String remoteRuntimeName() throws Exception {
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + REGISTRY_PORT + "/jmxrmi");
        try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
            MBeanServerConnection mbeans = connector.getMBeanServerConnection();
            return (String) mbeans.getAttribute(new ObjectName("java.lang:type=Runtime"), "Name");
        }
    }
}
