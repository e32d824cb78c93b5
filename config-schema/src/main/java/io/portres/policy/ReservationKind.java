package io.portres.policy;

import java.util.Locale;

/** {@code PERSISTENT}: an operator-made port block that outlives the process (optionally created at start-up); {@code RUNTIME}: a block acquired for the life of the process. */
public enum ReservationKind {
  PERSISTENT, RUNTIME;

  /** The spelling used in policy files: the lower-case constant name. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
