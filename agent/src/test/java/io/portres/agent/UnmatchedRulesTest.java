package io.portres.agent;

import io.portres.policy.ClassMatcher;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Collections;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

class UnmatchedRulesTest {

    @Test
    void theGlobsAnOperatorMayHaveMeant() {
        assertThat(UnmatchedRules.similarGlobs("org.apache.ftpserver.*")).containsExactly("org.apache.ftpserver.**");
        assertThat(UnmatchedRules.similarGlobs("org.apache.ftpserver")).containsExactly("org.apache.ftpserver.**",
                "org.apache.**");
        assertThat(UnmatchedRules.similarGlobs("org.*.ftpserver.**")).containsExactly("org.**.ftpserver.**");
        assertThat(UnmatchedRules.similarGlobs("org.apache.**")).isEmpty();
    }

    @Test
    void aHintNamesAFrameTheSimilarGlobMatchesAndTheRuleDoesNot() {
        TreeSet<String> seen = new TreeSet<String>(Arrays.asList("java.lang.Thread",
                "org.apache.ftpserver.impl.PassivePorts"));
        String hint = UnmatchedRules.hint(ClassMatcher.of(Collections.singletonList("org.apache.ftpserver.*")), seen);
        assertThat(hint).isEqualTo("; class 'org.apache.ftpserver.*' matched no frame, but 'org.apache.ftpserver.**'"
                + " would have matched org.apache.ftpserver.impl.PassivePorts (seen binding a socket no rule matched);"
                + " '*' is one package segment, '**' any number");
        assertThat(UnmatchedRules.hint(ClassMatcher.of(Collections.singletonList("com.example.*")), seen)).isNull();
        assertThat(UnmatchedRules.hint(ClassMatcher.of(Collections.singletonList("org.apache.ftpserver.**")), seen))
                .isNull();
    }
}
