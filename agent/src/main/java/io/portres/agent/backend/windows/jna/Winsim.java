package io.portres.agent.backend.windows.jna;

import com.sun.jna.Library;

/** The Windows-semantics simulator's own functions (Linux, tests only): is its bind() the process's bind? */
public interface Winsim extends Library {

    int winsim_interposing();

    String winsim_version();
}
