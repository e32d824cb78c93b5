package io.portres.agent.backend.windows.jna;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/** {@code advapi32.dll}: whether the process token is elevated ({@code TokenElevation}), for the self-check. */
public interface Advapi32 extends Library {

    int TOKEN_QUERY = 0x0008;
    /** {@code TOKEN_INFORMATION_CLASS.TokenElevation}: a {@code TOKEN_ELEVATION} (one DWORD). */
    int TokenElevation = 20;

    boolean OpenProcessToken(Pointer ProcessHandle, int DesiredAccess, PointerByReference TokenHandle);

    boolean GetTokenInformation(Pointer TokenHandle, int TokenInformationClass, Pointer TokenInformation,
                                int TokenInformationLength, IntByReference ReturnLength);
}
