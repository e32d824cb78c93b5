package sun.nio.ch;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;

/**
 * What the bridge calls in the agent: implemented by the agent's {@code io.portres.agent.hook.BridgeLink}, in the
 * agent's own class loader, whose module {@code java.base} opens {@code sun.nio.ch} to (and to no other). An interface
 * call rather than method handles: the JIT inlines it (one implementation), and a class condition's stack walk, whose
 * cost grows with every frame between the bind and the application's class, meets no method-handle frames.
 *
 * <p>The bridge calls it only outside the application's reach: the field that holds it
 * ({@code PortresBridge.dispatcher}) is in a package the application cannot open.
 */
public interface PortresDispatcher {

    /**
     * The decision of a hooked bind: returns the port to bind ({@code port} unless a backend changes it). May throw
     * the deliberate {@link BindException} of {@code onError: fail}; anything else it throws is the agent's bug, which
     * the bridge swallows.
     */
    int before(int site, Object context, FileDescriptor fd, InetAddress address, int port) throws BindException;

    /**
     * In place of the native bind while a matched bind is in flight: true when the agent made the bind itself (or
     * threw the deliberate BindException); false to let the bridge make the JDK's own.
     */
    boolean nativeBind(int site, Object self, FileDescriptor fd, boolean preferIPv6, boolean exclusive,
                       InetAddress address, int port) throws IOException;

    /** After the native bind: its bound port ({@code -1}: the agent reads it), or its failure. */
    void after(int site, FileDescriptor fd, int boundPort, Throwable failure);
}
