package io.portres.agent.match;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SocketCodeTest {

    @Test
    void theJdksSocketCodeReflectionAndTheAgentAreSocketCode() {
        for (String c : new String[] {
            "java.net.ServerSocket", "sun.nio.ch.Net", "java.nio.channels.ServerSocketChannel",
            "jdk.internal.net.http.HttpClientImpl", "jdk.net.ExtendedSocketOptions", "sun.net.NetHooks",
            "sun.net.PlatformSocketImpl", "sun.net.ResourceManager", "sun.net.sdp.SdpSupport",
            "sun.net.ext.ExtendedSocketOptions", "sun.net.spi.DefaultProxySelector", "sun.net.NetProperties",
            "javax.net.SocketFactory", "javax.net.ServerSocketFactory", "javax.net.DefaultSocketFactory",
            "javax.net.DefaultServerSocketFactory", "javax.net.ssl.SSLServerSocketFactory",
            "sun.security.ssl.SSLServerSocketImpl", "java.lang.invoke.LambdaForm$MH", "java.lang.reflect.Method",
            "jdk.internal.reflect.DirectMethodHandleAccessor", "sun.reflect.NativeMethodAccessorImpl",
            "java.security.AccessController", "io.portres.agent.hook.BindDispatcher"}) {
            assertThat(SocketCode.isSocketOrAgentFrame(c)).as(c).isTrue();
        }
    }

    @Test
    void applicationsOfSocketsAndLookalikesAreNot() {
        for (String c : new String[] {
            "", "com.example.Server", "sun.rmi.transport.tcp.TCPEndpoint", "sun.net.httpserver.ServerImpl",
            "sun.net.www.http.HttpClient", "sun.net.ftp.impl.FtpClient", "javax.management.remote.JMXServiceURL",
            "java.network.Foo", "java.lang.Thread", "jdk.internal.misc.Unsafe", "io.portres.samples.Main",
            "io.portres.agentx.Foo", "org.apache.catalina.connector.Connector", "\u00e9t\u00e9.Server",
            "java", "sun.net", "io.portres.agent"}) {
            assertThat(SocketCode.isSocketOrAgentFrame(c)).as(c).isFalse();
        }
    }
}
