package io.portres.testfixture;

import java.util.concurrent.Callable;

/** A caller frame outside the agent's packages, further from a bind than {@link Near}. */
public final class Far {
    private Far() {
    }

    public static <T> T call(Callable<T> c) throws Exception {
        return c.call();
    }
}
