package io.portres.cli;

import io.portres.agent.backend.windows.WindowsBackend;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The portres command line: {@code java -jar portres-agent.jar <command>} (the same jar as the agent; its
 * {@code Main-Class}). Commands: {@code validate}, {@code explain}, {@code reservations}, {@code doctor},
 * {@code suggest} (a draft policy from a discovery file), {@code report} (an events file summarized).
 *
 * <p>Exit status: 0 success; 1 the check found problems ({@link #FOUND_PROBLEMS}); 2 usage, I/O or permission error
 * ({@link #USAGE_OR_IO}).
 */
@Command(name = "portres", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Checks portres policies, explains its decisions, manages the operating system's port"
                + " reservations, drafts a policy from what a server binds and reports what the agent did.", "The same jar is the agent: java -javaagent:portres-agent.jar=policy.yaml ..."},
        footerHeading = "%nExit status:%n",
        footer = {"  0  success", "  1  the check found problems (validate, doctor: errors; explain: no rule"
                + " matches; reservations lookup: no such block; suggest: binds it could not tell apart; report:"
                + " failed binds)", "  2  usage, I/O or permission error"})
public final class Main implements Runnable {

    public static final int OK = 0;
    public static final int FOUND_PROBLEMS = 1;
    public static final int USAGE_OR_IO = 2;

    /** What the commands act on: the machine, and how to reach its reservations. Tests pass their own. */
    static class Context {
        final Host host;

        Context(Host host) {
            this.host = host;
        }

        /**
         * Windows' API on Windows, or anywhere when the library switch names the simulator
         * ({@code -Dportres.windows.library}); Linux's reserved-ports list on Linux.
         */
        OsReservations reservations() throws CliException {
            if (host.isWindows() || WindowsBackend.configuredLibrary() != null) {
                try {
                    return new WindowsReservations(WindowsBackend.loadApi(),
                            new Netsh(System.getProperty("portres.netsh")));
                } catch (Exception | LinkageError e) {
                    throw new CliException("cannot load the Windows API through JNA: " + e);
                }
            }
            if (host.isLinux()) {
                return new LinuxReservations(host);
            }
            throw new CliException("port reservations are managed on Windows and Linux only; this is " + host.osName);
        }
    }

    public static void main(String[] args) {
        if (args.length == 1 && VerifyHooksChild.COMMAND.equals(args[0])) {
            System.exit(VerifyHooksChild.runInTheAgent());
        }
        System.exit(run(new Context(Host.current()), new PrintWriter(System.out, true),
                new PrintWriter(System.err, true), args));
    }

    static int run(Context ctx, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand("validate", new ValidateCommand(ctx));
        cl.addSubcommand("explain", new ExplainCommand());
        cl.addSubcommand("reservations", ReservationsCommand.commandLine(ctx));
        cl.addSubcommand("doctor", new DoctorCommand(ctx));
        cl.addSubcommand("suggest", new SuggestCommand());
        cl.addSubcommand("report", new ReportCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler(new CommandLine.IExecutionExceptionHandler() {
            @Override
            public int handleExecutionException(Exception e, CommandLine commandLine,
                                                CommandLine.ParseResult parseResult) {
                if (e instanceof CliException) {
                    commandLine.getErr().println("portres: " + e.getMessage());
                    return ((CliException) e).exitCode;
                }
                commandLine.getErr().println("portres: internal error: " + e);
                e.printStackTrace(commandLine.getErr());
                return USAGE_OR_IO;
            }
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Without a command: the usage, and status 2. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "give a command: validate, explain, reservations, doctor, suggest or report");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"portres " + (v == null ? "(development build)" : v)};
        }
    }
}
