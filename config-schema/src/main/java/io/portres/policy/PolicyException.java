package io.portres.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A policy could not be loaded. Carries every error found (not just the first), in file order; {@link #getMessage()}
 * is all of them, one {@link Problem#toString()} per line.
 */
public final class PolicyException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<Problem> problems;
  private final List<Problem> warnings;

  public PolicyException(List<Problem> problems) {
    this(problems, Collections.<Problem>emptyList());
  }

  PolicyException(List<Problem> problems, List<Problem> warnings) {
    super(join(problems));
    this.problems = Collections.unmodifiableList(new ArrayList<Problem>(problems));
    this.warnings = Collections.unmodifiableList(new ArrayList<Problem>(warnings));
  }

  /** The errors, in file order (line, then column); never empty. */
  public List<Problem> problems() {
    return problems;
  }

  /** Warnings found alongside the errors (not part of {@link #getMessage()}). */
  public List<Problem> warnings() {
    return warnings;
  }

  private static String join(List<Problem> problems) {
    StringBuilder sb = new StringBuilder();
    for (Problem p : problems) {
      if (sb.length() > 0) {
        sb.append('\n');
      }
      sb.append(p);
    }
    return sb.toString();
  }
}
