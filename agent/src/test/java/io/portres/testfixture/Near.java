package io.portres.testfixture;

import java.util.concurrent.Callable;

/** A caller frame outside the agent's packages, nearest to a bind. */
public final class Near {
    private Near() {
    }

    public static <T> T call(Callable<T> c) throws Exception {
        return c.call();
    }
}
