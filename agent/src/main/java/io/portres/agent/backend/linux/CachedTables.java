package io.portres.agent.backend.linux;

import io.portres.policy.Protocol;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Keeps the last socket table of each protocol and reads a new one only when the caller needs a newer one. In a
 * steady stream of short connections through a full block (passive FTP), every port was last bound a while ago, so
 * one read serves many binds instead of one each.
 */
final class CachedTables implements PortBlock.Tables {

    private final PortBlock.Tables reader;
    private final AtomicReferenceArray<SocketTable> last = new AtomicReferenceArray<SocketTable>(2);

    CachedTables(PortBlock.Tables reader) {
        this.reader = reader;
    }

    @Override
    public SocketTable read(Protocol protocol, long notBefore) {
        int i = protocol == Protocol.TCP ? 0 : 1;
        SocketTable t = last.get(i);
        if (t != null && t.readAt - notBefore >= 0) {
            return t;
        }
        SocketTable fresh = reader.read(protocol, notBefore);
        while (fresh != null && (t == null || fresh.readAt - t.readAt > 0) && !last.compareAndSet(i, t, fresh)) {
            t = last.get(i); // another thread kept a table meanwhile: keep the newer one
        }
        return fresh;
    }
}
