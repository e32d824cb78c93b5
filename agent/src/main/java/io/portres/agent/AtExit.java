package io.portres.agent;

import io.portres.agent.discover.Discovery;
import io.portres.agent.hook.BindDispatcher;

/** What the agent's shutdown hook reports before the log is flushed: discovery's unfinished binds, unmatched rules. */
final class AtExit {

    private AtExit() {
    }

    static void run() {
        try {
            Discovery.atExit();
        } catch (Throwable ignored) {
            // nothing sensible to do while the JVM exits
        }
        try {
            Engine e = BindDispatcher.engine();
            if (e != null) {
                UnmatchedRules.logAtExit(e);
            }
        } catch (Throwable ignored) {
            // nothing sensible to do while the JVM exits
        }
    }
}
