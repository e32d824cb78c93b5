package io.portres.cli;

import io.portres.policy.Policy;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;

import java.util.List;

/**
 * The operating system's port reservations, as the {@code reservations} and {@code doctor} commands and the checks of
 * {@code validate} see them: Linux's {@code net.ipv4.ip_local_reserved_ports} ({@link LinuxReservations}), or
 * Windows' persistent reservations and excluded ranges ({@link WindowsReservations}).
 */
interface OsReservations {

    /** One reserved block. */
    final class Block {
        /** {@code null} on Linux, where one list serves TCP and UDP. */
        final Protocol protocol;
        final int start;
        final int count;
        /** Windows persistent reservations: the token as {@code 0x...}; else null. */
        final String token;
        /**
         * What kind of block: {@code reserved} (Linux), {@code persistent} (Windows, administered: netsh shows
         * {@code *}), {@code excluded} (Windows, not administered: a runtime reservation of some process, such as the
         * blocks Hyper-V, WinNAT, WSL or Docker take).
         */
        final String kind;

        Block(Protocol protocol, int start, int count, String token, String kind) {
            this.protocol = protocol;
            this.start = start;
            this.count = count;
            this.token = token;
            this.kind = kind;
        }

        int end() {
            return start + count - 1;
        }

        boolean overlaps(int lo, int hi) {
            return start <= hi && end() >= lo;
        }

        boolean is(int lo, int hi) {
            return start == lo && end() == hi;
        }

        String ports() {
            return count == 1 ? Integer.toString(start) : start + "-" + end();
        }
    }

    /** {@code linux} or {@code windows}. */
    String os();

    /** Where the reservations live, for messages. */
    String where();

    /** Every reserved block of that protocol (Linux: the one list, whatever the protocol). */
    List<Block> list(Protocol protocol) throws CliException;

    /** The block that is exactly {@code start..start+count-1}, or null. */
    Block lookup(Protocol protocol, int start, int count) throws CliException;

    Block create(Protocol protocol, int start, int count) throws CliException;

    void delete(Protocol protocol, int start, int count) throws CliException;

    /** {@code [low, high]} of the dynamic (ephemeral) port range, or null when it cannot be read. */
    int[] dynamicRange(Protocol protocol);

    /** Root in this network namespace (Linux), an elevated token (Windows); null when it cannot be told. */
    Boolean privileged();

    /** The command that reserves a block, for fix-it messages. */
    String createCommand(Protocol protocol, int start, int count);

    /**
     * The command that reserves a policy's reservation {@code r}, for fix-it messages. On Linux it sets the one list,
     * so it reserves every fixed block of the policy at once (keeping the existing entries): one command per block
     * would undo the one before.
     */
    String reserveCommand(Policy policy, Reservation r);
}
