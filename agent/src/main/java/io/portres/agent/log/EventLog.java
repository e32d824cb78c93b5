package io.portres.agent.log;

/**
 * The JSON-lines decision log ({@code log.events}): one object per matched bind, with exactly the fields of the
 * events contract in the README. Later tools parse it; add fields only with a version note there.
 */
public final class EventLog {

    private final LineSink sink;

    public EventLog(LineSink sink) {
        this.sink = sink;
    }

    /** One matched bind. Captured on the binding thread, formatted on the writer thread. */
    public static final class Event implements AsyncWriter.Entry {
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
        LineSink sink;

        @Override
        public void writeTo() {
            sink.write(toJson());
        }

        public String toJson() {
            StringBuilder sb = new StringBuilder(320);
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

    public LineSink sink() {
        return sink;
    }

    public void submit(Event e) {
        e.sink = sink;
        AsyncWriter.submit(e);
    }
}
