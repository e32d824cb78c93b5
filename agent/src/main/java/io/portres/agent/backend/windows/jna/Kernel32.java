package io.portres.agent.backend.windows.jna;

import com.sun.jna.Library;
import com.sun.jna.Pointer;

/** {@code kernel32.dll}: the process pseudo-handle and closing the token handle. */
public interface Kernel32 extends Library {

    Pointer GetCurrentProcess();

    boolean CloseHandle(Pointer hObject);
}
