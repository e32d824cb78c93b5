package io.portres.agent;

import io.portres.agent.discover.Discovery;
import io.portres.agent.hook.BindDispatcher;
import io.portres.policy.LogLevel;

/** What the agent's shutdown hook reports before the log is flushed: discovery's unfinished binds, unmatched rules. */
final class AtExit {

    private AtExit() {
    }

    /**
     * Loads nothing it does not need: a JVM that exits right after its start (a command-line tool, the start-up
     * benchmark) often does so before the agent's thread has connected the dispatcher, and loading the dispatcher
     * here, only to find no engine, cost the exit milliseconds.
     */
    static void run() {
        boolean discovering = Installer.discovering();
        if (discovering) {
            try {
                Discovery.atExit();
            } catch (Throwable ignored) {
                // nothing sensible to do while the JVM exits
            }
        }
        if (!Installer.ShutdownHook.dispatcherConnected) {
            return; // no bind reached an engine
        }
        try {
            Engine e = BindDispatcher.engine();
            // at level warn, only the hints speak, and a hint needs a frame seen in a bind no rule matched
            if (e != null && (discovering || e.log().enabled(LogLevel.INFO) || !e.unmatchedFrames().isEmpty())) {
                UnmatchedRules.logAtExit(e);
            }
        } catch (Throwable ignored) {
            // nothing sensible to do while the JVM exits
        }
    }
}
