package io.portres.agent.log;

/**
 * The JSON-lines decision log ({@code log.events}): one object per matched bind, with exactly the fields of the
 * events contract in the README. Later tools parse it; add fields only with a version note there.
 */
public final class EventLog {

    private final LineSink sink;

    public EventLog(LineSink sink) {
        this.sink = sink;
        sink.summary(new LineSink.Summary() {
            @Override
            public String line(long lost, long sinceMillis, String cause) {
                return event(System.currentTimeMillis(), Thread.currentThread().getName(), null, null, 0, -1, null,
                        null, null, null, null, "dropped", lost + " event(s) were not written since "
                                + Iso8601.format(sinceMillis) + " (" + cause + ")", null).toJson();
            }
        });
    }

    public LineSink sink() {
        return sink;
    }

    /** Closes the events file once what is queued is written (a reload retiring this engine calls it). */
    public void close() {
        sink.close();
    }

    /** One matched bind. Captured on the binding thread, formatted on the writer thread. */
    public static final class Event implements LineSink.Entry {
        long timeMillis;
        String thread;
        String protocol;
        String address;
        int port;
        int boundPort; // -1: null
        String rule;
        String reservation;
        String token;
        String backend;
        String caller;
        String outcome;
        String error;
        String matched;

        @Override
        public String line() {
            return toJson();
        }

        @Override
        public int weight() {
            return 256 + 2 * (len(thread) + len(address) + len(rule) + len(reservation) + len(caller) + len(error));
        }

        private static int len(String s) {
            return s == null ? 0 : s.length();
        }

        public String toJson() {
            StringBuilder sb = new StringBuilder(320);
            bindFields(sb, timeMillis, thread, protocol, address, port, boundPort);
            sb.append(",\"rule\":");
            Json.string(sb, rule);
            sb.append(",\"reservation\":");
            Json.string(sb, reservation);
            sb.append(",\"token\":");
            Json.string(sb, token);
            sb.append(",\"backend\":");
            Json.string(sb, backend);
            sb.append(",\"caller\":");
            Json.string(sb, caller);
            sb.append(",\"outcome\":");
            Json.string(sb, outcome);
            sb.append(",\"error\":");
            Json.string(sb, error);
            sb.append(",\"matched\":");
            Json.string(sb, matched);
            return sb.append('}').toString();
        }
    }

    /**
     * The fields an event and a discovery record share, in this order, after an opening brace: time, pid, thread,
     * protocol, address, port, boundPort ({@code -1}: null).
     */
    public static void bindFields(StringBuilder sb, long timeMillis, String thread, String protocol, String address,
                                  int port, int boundPort) {
        sb.append("{\"time\":");
        Json.string(sb, Iso8601.format(timeMillis));
        sb.append(",\"pid\":").append(Pid.get());
        sb.append(",\"thread\":");
        Json.string(sb, thread);
        sb.append(",\"protocol\":");
        Json.string(sb, protocol);
        sb.append(",\"address\":");
        Json.string(sb, address);
        sb.append(",\"port\":").append(port);
        sb.append(",\"boundPort\":");
        if (boundPort < 0) {
            sb.append("null");
        } else {
            sb.append(boundPort);
        }
    }

    public static Event event(long timeMillis, String thread, String protocol, String address, int port,
                              int boundPort, String rule, String reservation, String token, String backend,
                              String caller, String outcome, String error, String matched) {
        Event e = new Event();
        e.timeMillis = timeMillis;
        e.thread = thread;
        e.protocol = protocol;
        e.address = address;
        e.port = port;
        e.boundPort = boundPort;
        e.rule = rule;
        e.reservation = reservation;
        e.token = token;
        e.backend = backend;
        e.caller = caller;
        e.outcome = outcome;
        e.error = error;
        e.matched = matched;
        return e;
    }

    /** Queues the event for the writer thread; never blocks (see {@link LineSink#submit}). */
    public void submit(Event e) {
        sink.submit(e);
    }
}
