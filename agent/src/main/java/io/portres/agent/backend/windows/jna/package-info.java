/**
 * The JNA bindings of the Windows backend: one interface per DLL with the Win32 names verbatim, the structures of
 * {@code mstcpip.h}, and {@link io.portres.agent.backend.windows.jna.JnaWinApi}, which implements the agent's
 * {@link io.portres.agent.backend.windows.WinApi} with them.
 *
 * <p>Nothing in this package may be loaded by the application class loader: it links against {@code com.sun.jna},
 * which there would be the application's own JNA (or nothing). {@code JnaIsolation} defines these classes, with the
 * agent's private JNA, in a module layer (JDK 9+) or an isolated class loader (JDK 8).
 */
package io.portres.agent.backend.windows.jna;
