package io.portres.agent.log;

import io.portres.policy.LogLevel;
import io.portres.policy.Problem;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * The agent's human log: standard error or {@code log.file}, filtered by {@code log.level}. Deliberately not
 * java.util.logging or SLF4J: initialising the application's logging from inside an agent changes the
 * application (its LogManager, its configuration order) and can re-enter the agent.
 *
 * <p>Start-up messages are written synchronously (ordered before the application's first output); messages from a
 * binding thread ({@code *Async}, {@link #warnOnce}, {@link #agentBug}) are queued for the sink's writer thread and
 * never written on the caller's. Every message is one line: control characters in it (from a rule name, a path, an
 * exception) are escaped, so no message can forge another line or drive a terminal.
 */
public final class AgentLog {

    /** The log that reports on the sinks (the most recent engine's). */
    private static volatile AgentLog current;

    private final LogLevel level;
    private final LineSink sink;
    private final Set<String> onceKeys = Collections.synchronizedSet(new HashSet<String>());

    public AgentLog(LogLevel level, LineSink sink) {
        this(level, sink, true);
    }

    /**
     * A sink's own trouble (dropping lines, a write error, recovery), from any thread, never blocking: queued on the
     * current log's sink; when that is the sink in trouble, on standard error instead (if that is not it either).
     */
    static void report(LineSink from, String message) {
        AgentLog log = current;
        LineSink to = log != null ? log.sink : LineSink.stderr();
        if (to == from) {
            to = LineSink.stderr();
            if (to == from) {
                return; // the sink writes its own summary once it writes again
            }
            new AgentLog(LogLevel.WARN, to, false).log(LogLevel.WARN, message, true);
            return;
        }
        (log != null ? log : new AgentLog(LogLevel.WARN, to, false)).log(LogLevel.WARN, message, true);
    }

    private AgentLog(LogLevel level, LineSink sink, boolean becomeCurrent) {
        this.level = level;
        this.sink = sink;
        if (becomeCurrent) {
            current = this;
        }
    }

    /** Closes the log file once what is queued is written (standard error stays open). */
    public void close() {
        sink.close();
    }

    /** Start-up default before a policy is read: warnings and errors to standard error. */
    public static AgentLog bootstrap() {
        return new AgentLog(LogLevel.WARN, LineSink.stderr());
    }

    public boolean enabled(LogLevel messageLevel) {
        return level.enables(messageLevel);
    }

    public LineSink sink() {
        return sink;
    }

    public void error(String message) {
        log(LogLevel.ERROR, message, false);
    }

    public void warn(String message) {
        log(LogLevel.WARN, message, false);
    }

    public void info(String message) {
        log(LogLevel.INFO, message, false);
    }

    public void debug(String message) {
        log(LogLevel.DEBUG, message, false);
    }

    /** From a binding thread: formatted and written by the writer thread. */
    public void infoAsync(String message) {
        log(LogLevel.INFO, message, true);
    }

    public void warnAsync(String message) {
        log(LogLevel.WARN, message, true);
    }

    public void errorAsync(String message) {
        log(LogLevel.ERROR, message, true);
    }

    /** Logs a warning the first time {@code key} is seen, then never again for this JVM. */
    public void warnOnce(String key, String message) {
        if (onceKeys.add(key)) {
            log(LogLevel.WARN, message, true);
        }
    }

    /** A bug in the agent: logged once per place with its stack trace, at error level. Never thrown. */
    public void agentBug(String where, Throwable t) {
        if (onceKeys.add("bug:" + where + ":" + t.getClass().getName())) {
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            // one line: the trace's line breaks are escaped (\n) like any other control character
            log(LogLevel.ERROR, "internal error in " + where + " (the application is unaffected; please report"
                    + " it): " + w.toString().trim(), true);
        }
    }

    private void log(final LogLevel messageLevel, final String message, boolean async) {
        if (!level.enables(messageLevel)) {
            return;
        }
        final long now = System.currentTimeMillis();
        if (!async) {
            sink.write(format(now, messageLevel, message));
            return;
        }
        sink.submit(new LineSink.Entry() {
            @Override
            public String line() {
                return format(now, messageLevel, message);
            }

            @Override
            public int weight() {
                return 96 + 2 * Math.min(message.length(), LineSink.MAX_LINE_CHARS);
            }
        });
    }

    private String format(long millis, LogLevel messageLevel, String message) {
        StringBuilder sb = new StringBuilder(message.length() + 40);
        if (sink.timestamps()) {
            sb.append(Iso8601.format(millis)).append(' ');
        }
        sb.append("[portres] ");
        if (messageLevel != LogLevel.INFO) {
            sb.append(messageLevel.name()).append(' ');
        }
        return Problem.escape(sb, message).toString();
    }
}
