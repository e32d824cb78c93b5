package io.portres.agent.backend;

import io.portres.policy.ClassMatcher;
import io.portres.policy.Protocol;
import org.junit.jupiter.api.Test;

import java.util.Collections;

import static org.assertj.core.api.Assertions.assertThat;

/** The stack walk for class conditions stops at the first frame that satisfies one, and is reused. */
class BindAttemptTest {

    private static BindAttempt fresh() {
        BindAttempt a = new BindAttempt();
        a.reset(0, null, null, null, 0, Protocol.TCP, false);
        return a;
    }

    @Test
    void aClassConditionMetNearTheBindWalksOnlyThatFar() {
        String[] all = fresh().frames();
        int target = -1;
        for (int i = 2; i < all.length && target < 0; i++) {
            if (all[i].indexOf('$') < 0) {
                target = i;
            }
        }
        assertThat(target).as("a frame to look for in " + String.join(", ", all)).isPositive();
        ClassMatcher near = ClassMatcher.of(Collections.singletonList(all[target]));

        BindAttempt a = fresh();
        assertThat(a.anyFrameMatches(near)).isTrue();
        assertThat(a.caller()).isEqualTo(all[0]);
        // what was walked is kept: the same condition is answered again without a walk, from the prefix
        assertThat(a.anyFrameMatches(near)).isTrue();
        // a condition that nothing meets walks the rest, once
        ClassMatcher nowhere = ClassMatcher.of(Collections.singletonList("no.such.Caller"));
        assertThat(a.anyFrameMatches(nowhere)).isFalse();
        assertThat(a.frames()).containsExactly(all);
        assertThat(fresh().anyFrameMatches(nowhere)).isFalse();
    }
}
