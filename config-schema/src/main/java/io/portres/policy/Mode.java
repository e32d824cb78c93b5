package io.portres.policy;

import java.util.Locale;

/** How matched binds are handled: {@code ENFORCE} associates each with its reservation; {@code AUDIT} decides and records but changes nothing. */
public enum Mode {
  ENFORCE, AUDIT;

  /** The spelling used in policy files: the lower-case constant name. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
