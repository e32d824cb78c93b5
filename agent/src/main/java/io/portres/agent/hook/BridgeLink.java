package io.portres.agent.hook;

import sun.nio.ch.PortresBridge;
import sun.nio.ch.PortresDispatcher;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;

/**
 * The bridge's way into the agent: the bridge module's {@link PortresDispatcher} interface, implemented here over
 * {@link BindDispatcher}, and stored in {@code PortresBridge.dispatcher}. Loaded only once the bridge is defined in
 * {@code java.base} and {@code sun.nio.ch} is opened to the agent's module ({@code BridgeInstaller}): its interface
 * lives there, in the boot loader, and nowhere else.
 */
public final class BridgeLink implements PortresDispatcher {

    private BridgeLink() {
    }

    /**
     * Connects the dispatcher to the bridge ({@link BindDispatcher#connect}) and gives the bridge this link: from
     * then on the self-test's probe reaches the dispatcher, and every other candidate bind waits for {@code READY}.
     */
    public static void connect(Class<?> bridge) throws Exception {
        BindDispatcher.connect(bridge);
        PortresBridge.dispatcher = new BridgeLink(); // linked, not Field.set (no method handles spun on JDK 18+)
    }

    @Override
    public int before(int site, Object context, FileDescriptor fd, InetAddress address, int port)
            throws BindException {
        return BindDispatcher.before(site, context, fd, address, port);
    }

    @Override
    public boolean nativeBind(int site, Object self, FileDescriptor fd, boolean preferIPv6, boolean exclusive,
                              InetAddress address, int port) throws IOException {
        return BindDispatcher.nativeBind(site, self, fd, preferIPv6, exclusive, address, port);
    }

    @Override
    public void after(int site, FileDescriptor fd, int boundPort, Throwable failure) {
        BindDispatcher.after(site, fd, boundPort, failure);
    }
}
