package io.portres.policy;

import java.util.Locale;

/** What a matched bind does when associating it with its reservation fails: {@code FAIL} makes the bind fail, {@code CONTINUE} lets it proceed unassociated. */
public enum OnError {
  FAIL, CONTINUE;

  /** The spelling used in policy files: the lower-case constant name. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
