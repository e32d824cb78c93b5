package io.portres.cli;

import io.portres.agent.backend.Tokens;
import io.portres.agent.backend.windows.WinApi;
import io.portres.agent.backend.windows.WindowsBackend;
import io.portres.agent.backend.windows.WinErrors;
import io.portres.policy.Policy;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Windows' port reservations: persistent ones through {@code iphlpapi} (lookup, create, delete, and their tokens,
 * which netsh does not show); the list of excluded ranges from netsh's numbers ({@link Netsh}), each administered
 * (persistent) range looked up for its token.
 */
final class WindowsReservations implements OsReservations {

    private final WinApi api;
    private final Netsh netsh;

    WindowsReservations(WinApi api, Netsh netsh) {
        this.api = api;
        this.netsh = netsh;
    }

    @Override
    public String os() {
        return "windows";
    }

    @Override
    public String where() {
        String library = WindowsBackend.configuredLibrary();
        return "Windows port reservations (" + (library == null ? "iphlpapi" : library) + ")";
    }

    @Override
    public List<Block> list(Protocol protocol) throws CliException {
        List<Netsh.Range> ranges;
        try {
            ranges = netsh.excludedRanges(protocol);
        } catch (IOException e) {
            throw new CliException("cannot list the excluded port ranges: " + e.getMessage());
        }
        List<Block> out = new ArrayList<Block>();
        for (Netsh.Range r : ranges) {
            int count = r.end - r.start + 1;
            String token = null;
            if (r.administered) {
                long[] t = new long[1];
                if (api.lookupPersistent(protocol == Protocol.UDP, r.start, count, t) == WinErrors.NO_ERROR) {
                    token = Tokens.hex(t[0]);
                }
            }
            out.add(new Block(protocol, r.start, count, token, r.administered ? "persistent" : "excluded"));
        }
        return out;
    }

    @Override
    public Block lookup(Protocol protocol, int start, int count) throws CliException {
        long[] t = new long[1];
        int rc = api.lookupPersistent(protocol == Protocol.UDP, start, count, t);
        if (rc == WinErrors.ERROR_NOT_FOUND) {
            return null;
        }
        if (rc != WinErrors.NO_ERROR) {
            throw new CliException(WinErrors.lookupFailed(protocol, start, count, rc));
        }
        return new Block(protocol, start, count, Tokens.hex(t[0]), "persistent");
    }

    @Override
    public Block create(Protocol protocol, int start, int count) throws CliException {
        long[] t = new long[1];
        int rc = api.createPersistent(protocol == Protocol.UDP, start, count, t);
        if (rc != WinErrors.NO_ERROR) {
            throw new CliException(WinErrors.createFailed(protocol, start, count, rc));
        }
        return new Block(protocol, start, count, Tokens.hex(t[0]), "persistent");
    }

    @Override
    public void delete(Protocol protocol, int start, int count) throws CliException {
        int rc = api.deletePersistent(protocol == Protocol.UDP, start, count);
        if (rc != WinErrors.NO_ERROR) {
            throw new CliException(rc == WinErrors.ERROR_NOT_FOUND ? Main.FOUND_PROBLEMS : Main.USAGE_OR_IO,
                    WinErrors.deleteFailed(protocol, start, count, rc));
        }
    }

    @Override
    public int[] dynamicRange(Protocol protocol) {
        try {
            return netsh.dynamicRange(protocol);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public Boolean privileged() {
        int e = api.elevation();
        return e < 0 ? null : e == 1;
    }

    @Override
    public String createCommand(Protocol protocol, int start, int count) {
        return WinErrors.netshAdd(protocol, start, count) + " (elevated)";
    }

    @Override
    public String reserveCommand(Policy policy, Reservation r) {
        return createCommand(r.protocol(), r.startPort(), r.count());
    }
}
