package io.portres.agent.jdk;

import org.junit.jupiter.api.Test;

import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A socket whose descriptor the agent could not find (a legacy impl without {@code fd}, a benchmark's bare call) must
 * never reach the JDK's natives: {@code Net.localAddress(null)} and {@code getIntOption0(null, ...)} crash the JVM
 * (SIGSEGV in {@code jni_fast_GetIntField}), which no catch clause can stop. The old code crashed the fork here.
 */
class JdkAccessTest {

    @Test
    void aMissingDescriptorIsAnswerNotACrash() {
        assertThat(JdkAccess.warmUp()).isNull();
        assertThat(JdkAccess.localPort(null)).isEqualTo(-1);
        assertThat(JdkAccess.protocolOf(null)).isNull();
        assertThat(JdkAccess.handle(null)).isEqualTo(-1);
        assertThat(JdkAccess.linuxSocketDomain(null)).isEqualTo(-1);
        assertThat(JdkAccess.linuxSocketOption(null, 2)).isEqualTo(-1);
        assertThat(JdkAccess.linuxSetSocketOption(null, 2, 0)).isFalse();
        assertThat(JdkAccess.preClose(null)).isFalse();
        assertThat(JdkAccess.localPort(new FileDescriptor())).as("an fd that is no socket").isEqualTo(-1);
    }

    /**
     * The verdict and the Linux backend's claim checks read a socket's port with {@code Net.localPort}, one
     * {@code getsockname} ({@code Net.localAddress} makes two): the same port the JDK reports, 0 before the bind,
     * for TCP and UDP, IPv4 and the default (dual-stack) family.
     */
    @Test
    void theBoundPortIsReadAsTheJdkReportsIt() throws Exception {
        assertThat(JdkAccess.readsPortAlone()).as("Net.localPort found: one system call per read-back").isTrue();
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (ServerSocketChannel dual = ServerSocketChannel.open();
             DatagramChannel v4 = DatagramChannel.open(StandardProtocolFamily.INET);
             DatagramChannel udp = DatagramChannel.open()) {
            assertThat(JdkAccess.localPort(fd(dual))).as("not bound yet").isZero();
            assertThat(JdkAccess.localPort(fd(udp))).as("not bound yet").isZero();
            dual.bind(loopback);
            v4.bind(loopback);
            udp.bind(loopback);
            assertThat(JdkAccess.localPort(fd(dual))).isPositive().isEqualTo(dual.socket().getLocalPort());
            assertThat(JdkAccess.localPort(fd(v4))).isPositive().isEqualTo(v4.socket().getLocalPort());
            assertThat(JdkAccess.localPort(fd(udp))).isPositive()
                    .isEqualTo(((InetSocketAddress) udp.getLocalAddress()).getPort());
        }
    }

    private static FileDescriptor fd(Object channel) throws Exception {
        return (FileDescriptor) Class.forName("sun.nio.ch.SelChImpl").getMethod("getFD").invoke(channel);
    }
}
