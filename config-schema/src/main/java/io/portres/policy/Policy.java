package io.portres.policy;

import java.util.List;
import java.util.Map;

/** A loaded, validated policy (version 1). Immutable; lists are unmodifiable and in declaration order. */
public final class Policy {
  private final int version;
  private final Mode mode;
  private final OnError onError;
  private final LogSettings log;
  private final List<Reservation> reservations;
  private final Map<String, Reservation> byName;
  private final List<Rule> rules;
  private final List<Problem> warnings;
  private final String source;

  Policy(int version, Mode mode, OnError onError, LogSettings log, List<Reservation> reservations,
      Map<String, Reservation> byName, List<Rule> rules, List<Problem> warnings, String source) {
    this.version = version;
    this.mode = mode;
    this.onError = onError;
    this.log = log;
    this.reservations = reservations;
    this.byName = byName;
    this.rules = rules;
    this.warnings = warnings;
    this.source = source;
  }

  public int version() {
    return version;
  }

  /** Default {@link Mode#ENFORCE}. */
  public Mode mode() {
    return mode;
  }

  /** Default for rules without their own {@code onError}; default {@link OnError#FAIL}. */
  public OnError onError() {
    return onError;
  }

  public LogSettings log() {
    return log;
  }

  public List<Reservation> reservations() {
    return reservations;
  }

  /** The reservation of that name, or {@code null}. */
  public Reservation reservation(String name) {
    return byName.get(name);
  }

  /** First match wins; a bind that matches no rule is left alone. */
  public List<Rule> rules() {
    return rules;
  }

  /** Problems that did not stop loading, in file order. */
  public List<Problem> warnings() {
    return warnings;
  }

  /** The file name the policy was loaded from, as given. */
  public String source() {
    return source;
  }

  @Override
  public String toString() {
    return "policy " + source + " (" + mode.id() + ", " + reservations.size() + " reservations, " + rules.size()
        + " rules)";
  }
}
