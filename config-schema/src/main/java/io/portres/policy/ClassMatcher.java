package io.portres.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code match.class} condition: one or more globs over binary class names ({@code Class.getName()}, e.g.
 * {@code org.apache.catalina.connector.Connector} or {@code com.example.Outer$Inner}).
 *
 * <p>A pattern is segments separated by '.'. A segment is made of Java identifier characters (letters, digits,
 * '_', '$') and '*', which matches any run of characters except '.'; or it is exactly {@code **}, which matches
 * any number of whole segments, none included. So {@code org.apache.**} matches {@code org.apache} and
 * everything below it, {@code com.example.*} matches the classes of that package only, {@code **.Foo*} matches
 * classes whose simple name starts with Foo in any package, and {@code **} alone matches every class.
 *
 * <p>Patterns are compiled once: plain names into a hash set, {@code prefix.**} into a prefix test, and the rest
 * into segment arrays for a linear-time matcher that allocates nothing.
 */
public final class ClassMatcher {
  private static final String ANY_SEGMENTS = "**";

  private final List<String> patterns;
  private final boolean all;
  private final Set<String> exact;
  private final String[] prefixes;
  private final String[][] globs;

  private ClassMatcher(List<String> patterns, boolean all, Set<String> exact, String[] prefixes, String[][] globs) {
    this.patterns = patterns;
    this.all = all;
    this.exact = exact;
    this.prefixes = prefixes;
    this.globs = globs;
  }

  /**
   * Compiles the patterns.
   *
   * @throws IllegalArgumentException if the list is empty or a pattern is not valid (see {@link #check})
   */
  public static ClassMatcher of(List<String> patterns) {
    if (patterns.isEmpty()) {
      throw new IllegalArgumentException("no class patterns");
    }
    boolean all = false;
    Set<String> exact = new HashSet<String>();
    List<String> prefixes = new ArrayList<String>();
    List<String[]> globs = new ArrayList<String[]>();
    for (String p : patterns) {
      String problem = check(p);
      if (problem != null) {
        throw new IllegalArgumentException("'" + p + "' is not a valid class pattern: " + problem);
      }
      if (p.indexOf('*') < 0) {
        exact.add(p);
      } else if (p.equals(ANY_SEGMENTS)) {
        all = true;
      } else if (p.endsWith(".**") && p.indexOf('*') == p.length() - 2) {
        prefixes.add(p.substring(0, p.length() - 3));
      } else {
        globs.add(segments(p));
      }
    }
    return new ClassMatcher(Collections.unmodifiableList(new ArrayList<String>(patterns)), all,
        exact.isEmpty() ? null : exact, prefixes.toArray(new String[0]), globs.toArray(new String[0][]));
  }

  /** Whether {@code binaryClassName} matches any of the patterns. No allocation. */
  public boolean matches(String binaryClassName) {
    if (all) {
      return true;
    }
    if (exact != null && exact.contains(binaryClassName)) {
      return true;
    }
    for (String p : prefixes) {
      if (binaryClassName.startsWith(p)
          && (binaryClassName.length() == p.length() || binaryClassName.charAt(p.length()) == '.')) {
        return true;
      }
    }
    for (String[] g : globs) {
      if (matchGlob(g, binaryClassName)) {
        return true;
      }
    }
    return false;
  }

  /** Whether any of {@code binaryClassNames} (the frames of a stack, say) matches. No allocation. */
  public boolean matchesAny(String[] binaryClassNames) {
    for (String c : binaryClassNames) {
      if (matches(c)) {
        return true;
      }
    }
    return false;
  }

  /** The patterns as written, in order. */
  public List<String> patterns() {
    return patterns;
  }

  @Override
  public String toString() {
    return patterns.size() == 1 ? patterns.get(0) : patterns.toString();
  }

  /** Why {@code p} is not a valid class pattern, or {@code null} if it is. */
  static String check(String p) {
    if (p.isEmpty()) {
      return "it is empty";
    }
    int segStart = 0;
    for (int i = 0; i <= p.length(); i++) {
      char c = i < p.length() ? p.charAt(i) : '.';
      if (c == '.') {
        if (i == segStart) {
          return i == 0 ? "it starts with '.'" : i == p.length() ? "it ends with '.'" : "it has an empty segment ('..')";
        }
        String seg = p.substring(segStart, i);
        if (seg.contains(ANY_SEGMENTS) && !seg.equals(ANY_SEGMENTS)) {
          return "'**' must be a whole segment, as in 'org.example.**' or 'org.**.Foo'";
        }
        segStart = i + 1;
      } else if (c == '/') {
        return "use '.' between package names, not '/' (binary names, e.g. org.example.Foo)";
      } else if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        return "it contains a space";
      } else if (c != '*' && !(Character.isJavaIdentifierPart(c) && !Character.isIdentifierIgnorable(c))) {
        return "'" + c + "' cannot appear in a class name";
      }
    }
    return null;
  }

  /** Splits into segments, folding runs of '**' segments into one. */
  private static String[] segments(String p) {
    List<String> out = new ArrayList<String>();
    int start = 0;
    for (int i = 0; i <= p.length(); i++) {
      if (i == p.length() || p.charAt(i) == '.') {
        String seg = p.substring(start, i);
        if (seg.equals(ANY_SEGMENTS)) {
          seg = ANY_SEGMENTS;
          if (!out.isEmpty() && out.get(out.size() - 1) == ANY_SEGMENTS) {
            seg = null;
          }
        }
        if (seg != null) {
          out.add(seg);
        }
        start = i + 1;
      }
    }
    return out.toArray(new String[0]);
  }

  /**
   * Matches the segments {@code segs} against the whole of {@code name}, in time linear in the pattern's segments
   * times the name's: the classic greedy wildcard match, where a {@code **} segment is the wildcard and each other
   * segment must match exactly one name segment. On a mismatch only the last {@code **} seen takes one more name
   * segment (an earlier one never needs to: whatever it would take, the later one can), so there is no backtracking
   * over combinations. No allocation.
   */
  private static boolean matchGlob(String[] segs, String name) {
    int si = 0;
    int ni = 0; // start of the current name segment; -1 once the whole name is consumed
    int starSi = -1;
    int starNi = 0;
    while (ni >= 0) {
      if (si < segs.length && segs[si] == ANY_SEGMENTS) {
        starSi = si++;
        starNi = ni;
        continue;
      }
      if (si < segs.length) {
        int dot = name.indexOf('.', ni);
        if (segmentMatches(segs[si], name, ni, dot < 0 ? name.length() : dot)) {
          si++;
          ni = dot < 0 ? -1 : dot + 1;
          continue;
        }
      }
      if (starSi < 0) {
        return false;
      }
      si = starSi + 1; // the last '**' takes one more name segment
      int dot = name.indexOf('.', starNi);
      starNi = dot < 0 ? -1 : dot + 1;
      ni = starNi;
    }
    while (si < segs.length && segs[si] == ANY_SEGMENTS) {
      si++;
    }
    return si == segs.length;
  }

  /** Glob {@code p} ('*' = any run of characters) against {@code s[from, to)}. */
  private static boolean segmentMatches(String p, String s, int from, int to) {
    int pi = 0;
    int si = from;
    int starP = -1;
    int starS = -1;
    int pl = p.length();
    while (si < to) {
      if (pi < pl && p.charAt(pi) == '*') {
        starP = pi++;
        starS = si;
      } else if (pi < pl && p.charAt(pi) == s.charAt(si)) {
        pi++;
        si++;
      } else if (starP >= 0) {
        pi = starP + 1;
        si = ++starS;
      } else {
        return false;
      }
    }
    while (pi < pl && p.charAt(pi) == '*') {
      pi++;
    }
    return pi == pl;
  }
}
