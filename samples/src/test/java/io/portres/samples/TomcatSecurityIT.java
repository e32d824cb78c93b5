package io.portres.samples;

import io.portres.samples.SampleServer.Block;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.File;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The Tomcat 9 distribution started as its documentation says for a SecurityManager, {@code catalina.sh run
 * -security} (the manager and {@code conf/catalina.policy} from the command line), with the agent in
 * {@code CATALINA_OPTS} and its grant appended to {@code catalina.policy} as the README's "Security managers" section
 * says: Tomcat starts and serves, the JDK's JMX agent works, and every socket lands in its block
 * (policies/tomcat-security.yaml).
 */
@EnabledOnOs(OS.LINUX)
class TomcatSecurityIT {

    static final String GRANT = "grant codeBase \"file:%s\" {\n    permission java.security.AllPermission;\n};\n";
    private static final int HTTP_PORT = 18580;
    private static final int REGISTRY_PORT = 18581;

    @Test
    void tomcatWithTheGrantStartsAndItsJmxExportsLandInTheBlock() throws Exception {
        Path work = Paths.get("target", "tomcat-security").toAbsolutePath();
        try (SampleServer server = start(work, true, "")) {
            server.awaitReadyLine();
            assertThat(httpStatus()).as(server.output()).isEqualTo(200);
            // the JDK's JMX agent serves, and the agent registered its MBean in the platform server under the manager
            String runtimeName = assertTimeoutPreemptively(Duration.ofSeconds(30), TomcatSecurityIT::remoteRuntime);
            assertThat(runtimeName).startsWith(server.pid() + "@");
            server.assertEverySocketLandedInItsBlock(
                    new Block("tomcat-http", "tcp", HTTP_PORT, 1, 1),
                    new Block("jmx-registry", "tcp", REGISTRY_PORT, 1, 1),
                    new Block("jmx-rmi-exports", "tcp", 26220, 10, 2));
            assertThat(server.output()).contains("Security Manager").doesNotContain("AccessControlException");
            String log = new String(Files.readAllBytes(work.resolve("portres.log")), StandardCharsets.UTF_8);
            assertThat(log).contains("portres ").doesNotContain("cannot enforce").doesNotContain("WARN")
                    .doesNotContain("ERROR");
        }
    }

    /** Without the grant (and onPolicyError=continue): one line on standard error, and Tomcat runs as without it. */
    @Test
    void tomcatWithoutTheGrantStartsWithoutTheAgent() throws Exception {
        Path work = Paths.get("target", "tomcat-security").toAbsolutePath();
        try (SampleServer server = start(work, false, ",onPolicyError=continue")) {
            server.awaitReadyLine();
            assertThat(httpStatus()).as(server.output()).isEqualTo(200);
            assertThat(server.output().lines().filter(l -> l.startsWith("[portres]")))
                    .as(server.output()).singleElement().asString()
                    .startsWith("[portres] WARN portres cannot enforce under this SecurityManager")
                    .contains("the agent is inactive and every bind proceeds as without it");
            assertThat(work.resolve("events.jsonl")).doesNotExist();
        }
    }

    /**
     * Tomcat from a fresh copy of the distribution under {@code work}: its HTTP connector on {@link #HTTP_PORT}, no
     * shutdown port, the JDK's JMX agent on {@link #REGISTRY_PORT}, the agent in {@code CATALINA_OPTS} (with
     * {@code moreAgentArgs}) and, if {@code grant}, its grant at the end of {@code conf/catalina.policy}.
     */
    private static SampleServer start(Path work, boolean grant, String moreAgentArgs) throws Exception {
        Path home = unpack(work);
        Path serverXml = home.resolve("conf/server.xml");
        String xml = new String(Files.readAllBytes(serverXml), StandardCharsets.UTF_8)
                .replace("<Server port=\"8005\"", "<Server port=\"-1\"")
                .replace("<Connector port=\"8080\"", "<Connector port=\"" + HTTP_PORT + "\"");
        Files.write(serverXml, xml.getBytes(StandardCharsets.UTF_8));
        String agentJar = new File(System.getProperty("portres.agentJar")).getAbsolutePath();
        if (grant) {
            Files.write(home.resolve("conf/catalina.policy"), ("\n" + String.format(GRANT, agentJar))
                    .getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        }
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/catalina.sh").toString(), "run", "-security");
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("CATALINA_") || k.equals("JAVA_OPTS") || k.startsWith("PORTRES_")
                || k.endsWith("JAVA_OPTIONS") || k.equals("JAVA_TOOL_OPTIONS"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("CATALINA_HOME", home.toString());
        env.put("CATALINA_OPTS", "-javaagent:" + agentJar + "=policy="
                + Paths.get("policies", "tomcat-security.yaml").toAbsolutePath() + moreAgentArgs
                + " -Dcom.sun.management.jmxremote.port=" + REGISTRY_PORT
                + " -Dcom.sun.management.jmxremote.host=127.0.0.1 -Dcom.sun.management.jmxremote.local.only=true"
                + " -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false"
                + " -Djava.rmi.server.hostname=127.0.0.1");
        return SampleServer.launch(pb, work.resolve("events.jsonl"), line -> line.contains("Server startup in"));
    }

    /** A fresh copy of the distribution (target/dist/tomcat.tar.gz, copied there by the build) under {@code work}. */
    private static Path unpack(Path work) throws Exception {
        Path home = work.resolve("tomcat");
        if (Files.exists(work)) {
            try (var paths = Files.walk(work)) {
                paths.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
        Files.createDirectories(home);
        Process tar = new ProcessBuilder("tar", "xzf", Paths.get("target", "dist", "tomcat.tar.gz").toAbsolutePath()
                .toString(), "--strip-components=1", "-C", home.toString()).inheritIO().start();
        assertThat(tar.waitFor()).as("tar's exit status").isZero();
        return home;
    }

    private static int httpStatus() throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + HTTP_PORT + "/").openConnection();
        try {
            return c.getResponseCode();
        } finally {
            c.disconnect();
        }
    }

    private static String remoteRuntime() throws Exception {
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + REGISTRY_PORT + "/jmxrmi");
        try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
            javax.management.MBeanServerConnection mbeans = connector.getMBeanServerConnection();
            javax.management.ObjectName agent = new javax.management.ObjectName("portres:type=Agent");
            while (!mbeans.isRegistered(agent)) { // registered by the agent's thread once JMX is in use
                Thread.sleep(50);
            }
            assertThat(mbeans.getAttribute(agent, "Mode")).isEqualTo("enforce");
            return (String) mbeans.getAttribute(new javax.management.ObjectName("java.lang:type=Runtime"), "Name");
        }
    }
}
