package io.portres.policy;

import java.util.Locale;

/** The transport protocol of a reservation or a bind. */
public enum Protocol {
  TCP, UDP;

  /** The spelling used in policy files: the lower-case constant name. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
