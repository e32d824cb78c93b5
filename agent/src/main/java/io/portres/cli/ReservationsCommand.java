package io.portres.cli;

import io.portres.policy.Protocol;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code portres reservations list|lookup|create|delete}: the operating system's port reservations. Windows: the
 * persistent reservations through iphlpapi, with their tokens (netsh does not show them), and the excluded ranges
 * read from netsh's numbers only (its headings are localized). Linux: {@code net.ipv4.ip_local_reserved_ports} of this
 * network namespace.
 */
@Command(name = "reservations", mixinStandardHelpOptions = true,
        description = {"Lists, looks up, creates and deletes the operating system's port reservations.",
                "Windows: persistent reservations through iphlpapi (with their tokens, which netsh does not show);"
                        + " create and delete need an elevated prompt. Linux: net.ipv4.ip_local_reserved_ports of"
                        + " this network namespace (one list for TCP and UDP); create and delete need root and keep"
                        + " every other entry."},
        footer = {"%nExamples:%n"
                + "  java -jar portres-agent.jar reservations list%n"
                + "  java -jar portres-agent.jar reservations create --protocol tcp --start 50000 --count 100%n"
                + "  java -jar portres-agent.jar reservations lookup --start 50000 --count 100 --json"})
final class ReservationsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    static CommandLine commandLine(Main.Context ctx) {
        CommandLine cl = new CommandLine(new ReservationsCommand());
        cl.addSubcommand("list", new ListCommand(ctx));
        cl.addSubcommand("lookup", new BlockCommand(ctx, "lookup"));
        cl.addSubcommand("create", new BlockCommand(ctx, "create"));
        cl.addSubcommand("delete", new BlockCommand(ctx, "delete"));
        return cl;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "give list, lookup, create or delete");
    }

    static Map<String, Object> json(OsReservations.Block b) {
        Map<String, Object> m = new LinkedHashMap<String, Object>();
        m.put("protocol", b.protocol == null ? "tcp+udp" : b.protocol.id());
        m.put("start", b.start);
        m.put("end", b.end());
        m.put("count", b.count);
        m.put("kind", b.kind);
        m.put("token", b.token);
        return m;
    }

    static String text(OsReservations.Block b) {
        return (b.protocol == null ? "tcp+udp" : b.protocol.id()) + " " + b.ports() + " (" + b.count + " port"
                + (b.count == 1 ? "" : "s") + ", " + b.kind + (b.token != null ? ", token " + b.token : "") + ")";
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the reserved blocks.")
    static final class ListCommand implements Callable<Integer> {
        @Option(names = "--protocol", paramLabel = "tcp|udp", description = "Windows: which list (default: both);"
                + " Linux: one list serves both")
        String protocol;

        @Option(names = "--json", description = "one JSON object on standard output")
        boolean json;

        @Spec
        CommandSpec spec;

        private final Main.Context ctx;

        ListCommand(Main.Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() throws CliException {
            PrintWriter out = spec.commandLine().getOut();
            OsReservations os = ctx.reservations();
            List<OsReservations.Block> blocks = new ArrayList<OsReservations.Block>();
            if (protocol != null) {
                blocks.addAll(os.list(ExplainCommand.parseProtocol(protocol)));
            } else if ("linux".equals(os.os())) {
                blocks.addAll(os.list(Protocol.TCP));
            } else {
                blocks.addAll(os.list(Protocol.TCP));
                blocks.addAll(os.list(Protocol.UDP));
            }
            if (json) {
                List<Object> list = new ArrayList<Object>();
                for (OsReservations.Block b : blocks) {
                    list.add(json(b));
                }
                Map<String, Object> m = new LinkedHashMap<String, Object>();
                m.put("os", os.os());
                m.put("source", os.where());
                m.put("reservations", list);
                out.println(JsonWriter.write(m));
                return Main.OK;
            }
            out.println(os.where() + ": " + ValidateCommand.count(blocks.size(), "reserved block"));
            for (OsReservations.Block b : blocks) {
                out.println("  " + text(b));
            }
            return Main.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true, description = {"lookup: whether exactly this block is reserved (Windows:"
            + " its token); create: reserves it; delete: removes it (Linux: only its ports, other entries stay).",
            "Exit status: 0 done or found, 1 not found, 2 not permitted (not root or not elevated) or bad usage."})
    static final class BlockCommand implements Callable<Integer> {
        @Option(names = "--protocol", paramLabel = "tcp|udp", description = "default: tcp (Linux: one list serves"
                + " both)")
        String protocol = "tcp";

        @Option(names = "--start", required = true, paramLabel = "N", description = "first port of the block")
        int start;

        @Option(names = "--count", required = true, paramLabel = "M", description = "number of ports")
        int count;

        @Option(names = "--json", description = "one JSON object on standard output")
        boolean json;

        @Spec
        CommandSpec spec;

        private final Main.Context ctx;
        private final String verb;

        BlockCommand(Main.Context ctx, String verb) {
            this.ctx = ctx;
            this.verb = verb;
        }

        @Override
        public Integer call() throws CliException {
            PrintWriter out = spec.commandLine().getOut();
            if (start < 1 || count < 1 || start + count - 1 > 65535) {
                throw new CliException("--start " + start + " --count " + count + " is not a block of ports within"
                        + " 1-65535");
            }
            Protocol p = ExplainCommand.parseProtocol(protocol);
            OsReservations os = ctx.reservations();
            OsReservations.Block b;
            String said;
            if (verb.equals("lookup")) {
                b = os.lookup(p, start, count);
                said = b != null ? "found" : "not found";
            } else if (verb.equals("create")) {
                b = os.create(p, start, count);
                said = "created";
            } else {
                os.delete(p, start, count);
                b = new OsReservations.Block("linux".equals(os.os()) ? null : p, start, count, null, "deleted");
                said = "deleted";
            }
            if (json) {
                Map<String, Object> m = new LinkedHashMap<String, Object>();
                m.put("os", os.os());
                m.put("result", said);
                m.put("reservation", b == null ? null : json(b));
                out.println(JsonWriter.write(m));
            } else if (b == null) {
                out.println("not found: no reservation is exactly " + p.id() + " " + start + "-" + (start + count - 1)
                        + " in " + os.where() + "; create it with: " + os.createCommand(p, start, count));
            } else {
                out.println(said + ": " + text(b));
            }
            return b == null ? Main.FOUND_PROBLEMS : Main.OK;
        }
    }
}
