package io.portres.agent.jdk;

import org.junit.jupiter.api.Test;

import java.io.FileDescriptor;

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
}
