package io.portres.agent.hook;

import io.portres.policy.ClassMatcher;
import org.junit.jupiter.api.Test;

import java.util.Collections;

import static org.assertj.core.api.Assertions.assertThat;

/** The stack walk for class conditions stops at the first frame that satisfies one, is reused, and names it. */
class ScratchTest {

    private static BindDispatcher.Scratch fresh() {
        BindDispatcher.Scratch s = new BindDispatcher.Scratch();
        s.startDecision();
        return s;
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

        BindDispatcher.Scratch s = fresh();
        assertThat(s.anyMatches(near)).isTrue();
        assertThat(s.matchedFrame).isEqualTo(all[target]);
        assertThat(s.caller()).isEqualTo(all[0]);
        // what was walked is kept: the same condition is answered again without a walk, from the prefix
        assertThat(s.anyMatches(near)).isTrue();
        assertThat(s.matchedFrame).isEqualTo(all[target]);
        // a condition that nothing meets walks the rest, once
        ClassMatcher nowhere = ClassMatcher.of(Collections.singletonList("no.such.Caller"));
        assertThat(s.anyMatches(nowhere)).isFalse();
        assertThat(s.frames()).containsExactly(all);
        assertThat(fresh().anyMatches(nowhere)).isFalse();
    }
}
