package io.portres.policy;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import io.portres.policy.yaml.YamlException;
import io.portres.policy.yaml.YamlNode;
import io.portres.policy.yaml.YamlNode.Scalar.Type;
import io.portres.policy.yaml.YamlReader;

/**
 * Reads and validates a policy file (version 1).
 *
 * <p>The YAML is read by {@link YamlReader}, the project's own reader of the YAML subset that policies use (no
 * anchors, aliases, tags or block scalars; see its class comment): it only builds a tree of {@link YamlNode}s, so
 * no other object is ever constructed from the text, and an alias bomb cannot be written. Scalars are typed by the
 * YAML 1.2 core schema; merge keys ({@code <<}) are ordinary (unknown) keys. Input is bounded: at most 1 MiB and 64
 * levels of nesting.
 *
 * <p>All problems are collected before failing; see {@link Problem} for their format. Errors about the file as a
 * whole have line 0 and print as {@code <file>: cannot read policy: <reason>}; YAML syntax errors stop the reading
 * at the first one, have an empty path and print as {@code <file>:<line>:<col>: syntax error: <reader message>}.
 */
public final class PolicyLoader {
  /** Class-path name of the JSON Schema (draft 2020-12) for policy files, for editors and tooling. */
  public static final String SCHEMA_RESOURCE = "io/portres/policy/policy.schema.json";

  static final int MAX_SIZE = 1024 * 1024;
  static final int MAX_ERRORS = 200;

  private static final String[] ROOT_KEYS = {"version", "mode", "onError", "log", "reservations", "rules"};
  private static final String[] LOG_KEYS = {"level", "file", "events", "maxSize", "keep"};
  private static final String[] RESERVATION_KEYS = {"protocol", "startPort", "count", "kind", "token", "create"};
  private static final String[] RULE_KEYS = {"name", "match", "reservation", "onError", "implicit"};
  private static final String[] MATCH_KEYS = {"port", "protocol", "address", "class"};

  private static final int ABSENT = -1;
  private static final int INVALID = -2;
  private static final long BAD = Long.MIN_VALUE;

  private final String source;
  private final Path baseDir;
  /** The policy file, absolute and normalized, when read from a file: log paths must not name it. */
  private Path policyFile;
  private int droppedWarnings;
  private final List<Problem> errors = new ArrayList<Problem>();
  private final List<Problem> warnings = new ArrayList<Problem>();
  private int droppedErrors;

  private final Set<String> definedReservations = new LinkedHashSet<String>();
  private final List<Reservation> reservations = new ArrayList<Reservation>();
  private final List<YamlNode> reservationKeys = new ArrayList<YamlNode>();
  private final Map<String, Reservation> byName = new LinkedHashMap<String, Reservation>();
  private final List<Rule> rules = new ArrayList<Rule>();

  private PolicyLoader(String source, Path baseDir) {
    this.source = source;
    this.baseDir = baseDir;
  }

  /**
   * Reads a policy file (UTF-8). Relative {@code log.file} and {@code log.events} paths resolve against the
   * file's directory; the path string as given names the file in problems.
   *
   * @throws PolicyException with every problem found, or with one {@code cannot read policy} problem
   */
  public static Policy load(Path file) throws PolicyException {
    String name = file.toString();
    PolicyLoader loader = new PolicyLoader(name, file.toAbsolutePath().getParent());
    loader.policyFile = file.toAbsolutePath().normalize();
    String text = loader.read(file);
    if (text == null) {
      throw new PolicyException(loader.errors);
    }
    return loader.run(text);
  }

  /**
   * Parses policy text.
   *
   * @param sourceName what problems call the file
   * @param baseDir directory that relative log paths resolve against; {@code null} = the current directory
   * @throws PolicyException with every problem found
   */
  public static Policy parse(String yaml, String sourceName, Path baseDir) throws PolicyException {
    return new PolicyLoader(sourceName, baseDir).run(yaml);
  }

  // ---------------------------------------------------------------------------------------------- reading

  private static byte[] readAll(File f) throws IOException {
    InputStream in = new FileInputStream(f);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(f.length() + 1, MAX_SIZE + 1));
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) > 0; ) {
        out.write(buf, 0, n);
        if (out.size() > MAX_SIZE) {
          throw new IOException("it is larger than 1 MiB");
        }
      }
      return out.toByteArray();
    } finally {
      in.close();
    }
  }

  private String read(Path file) {
    // java.io rather than java.nio.file.Files: the agent reads the policy in premain, and Files' channel classes
    // would be loaded for this one read (about 1 ms of every start). nio only explains a failure.
    String reason;
    try {
      File f = file.toFile();
      if (f.isDirectory()) {
        reason = "it is a directory";
      } else if (!f.exists()) {
        reason = missing(file);
      } else if (!f.isFile()) {
        // never opened: a FIFO would block the reader (the JVM in premain) until a writer comes
        reason = "it is not a regular file (a named pipe, socket or device); a policy must be a regular file";
      } else if (f.length() > MAX_SIZE) {
        reason = "it is larger than 1 MiB";
      } else {
        String text = decode(readAll(f));
        if (text != null) {
          return text;
        }
        reason = "it is not UTF-8 or UTF-16 text (nothing of it is shown: it may not be a policy)";
      }
    } catch (FileNotFoundException e) { // java.io's word for both "missing" and "not allowed"
      String m = String.valueOf(e.getMessage());
      reason = m.contains("Permission denied") || m.contains("Access is denied") ? "permission denied"
          : m.contains("No such file") || m.contains("cannot find") ? missing(file) : Problem.escape(m);
    } catch (IOException e) {
      reason = e.getMessage() != null ? e.getMessage() : e.toString();
    } catch (SecurityException e) {
      reason = "access denied by the security manager";
    } catch (UnsupportedOperationException e) {
      reason = "not a file of the default file system";
    }
    errors.add(new Problem(Problem.Severity.ERROR, source, 0, 0, "", "cannot read policy: " + reason));
    return null;
  }

  /** Why a path that does not exist for java.io does not: missing, a dangling link, or a link loop. */
  private static String missing(Path file) {
    try {
      if (!java.nio.file.Files.isSymbolicLink(file)) {
        return "file not found";
      }
      java.nio.file.Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
      return "file not found";
    } catch (java.nio.file.FileSystemException e) {
      String r = String.valueOf(e.getReason());
      if (r.contains("levels of symbolic links") || r.contains("ELOOP")) {
        return "it is a symbolic link loop (" + file + " leads back to itself); point the link at the policy file";
      }
      if (e instanceof java.nio.file.NoSuchFileException) {
        return "it is a symbolic link to a file that does not exist (a dangling link)";
      }
      return Problem.escape(r);
    } catch (IOException | SecurityException | UnsupportedOperationException e) {
      return "file not found";
    }
  }

  /**
   * The text of a policy file as YAML 1.2 reads a stream (section 5.2): UTF-32 or UTF-16 (either byte order) or
   * UTF-8, by its byte order mark or, without one, by where the first character's zero bytes are (an ASCII first
   * character is certain in a policy). Windows PowerShell 5.1 writes UTF-16LE with a BOM. Null when the bytes are not
   * valid text in that encoding. The BOM is dropped.
   */
  static String decode(byte[] b) {
    int n = b.length;
    int b0 = n > 0 ? b[0] & 0xFF : -1;
    int b1 = n > 1 ? b[1] & 0xFF : -1;
    int b2 = n > 2 ? b[2] & 0xFF : -1;
    int b3 = n > 3 ? b[3] & 0xFF : -1;
    String charset;
    if (b0 == 0 && b1 == 0 && (b2 == 0xFE && b3 == 0xFF || b2 == 0 && b3 > 0)) {
      charset = "UTF-32BE";
    } else if (b0 == 0xFF && b1 == 0xFE && b2 == 0 && b3 == 0 || b0 > 0 && b1 == 0 && b2 == 0 && b3 == 0) {
      charset = "UTF-32LE";
    } else if (b0 == 0xFE && b1 == 0xFF || b0 == 0 && b1 > 0) {
      charset = "UTF-16BE";
    } else if (b0 == 0xFF && b1 == 0xFE || b0 > 0 && b1 == 0) {
      charset = "UTF-16LE";
    } else {
      charset = "UTF-8";
    }
    String text;
    try {
      text = java.nio.charset.Charset.forName(charset).newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException | java.nio.charset.UnsupportedCharsetException e) {
      return null;
    }
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  private Policy run(String yaml) throws PolicyException {
    Policy policy = null;
    if (yaml.length() > MAX_SIZE) {
      errors.add(new Problem(Problem.Severity.ERROR, source, 0, 0, "",
          "cannot read policy: it is larger than 1 MiB"));
    } else {
      try {
        YamlNode root = YamlReader.read(yaml);
        if (root == null) {
          errors.add(new Problem(Problem.Severity.ERROR, source, 1, 1, "",
              "the policy is empty; it needs at least 'version: 1'"));
        } else {
          policy = build(root);
        }
      } catch (YamlException e) {
        if (mentionsVersion(yaml)) {
          errors.add(new Problem(Problem.Severity.ERROR, source, e.line(), e.column(), "",
              "syntax error: " + e.getMessage()));
        } else { // the reader's message may quote the text: say nothing of a file that may not be a policy
          errors.add(new Problem(Problem.Severity.ERROR, source, 0, 0, "", "cannot read policy: it is not a portres"
              + " policy (it is not YAML and has no 'version' key; nothing of it is shown)"));
        }
      }
    }
    sort(errors);
    sort(warnings);
    if (droppedErrors > 0) {
      errors.add(new Problem(Problem.Severity.ERROR, source, 0, 0, "",
          "... and " + droppedErrors + " more errors not shown"));
    }
    if (droppedWarnings > 0) {
      warnings.add(new Problem(Problem.Severity.WARNING, source, 0, 0, "",
          "... and " + droppedWarnings + " more warnings not shown"));
    }
    if (!errors.isEmpty() || policy == null) {
      throw new PolicyException(errors, warnings);
    }
    return policy;
  }

  // ---------------------------------------------------------------------------------------------- structure

  private Policy build(YamlNode root) {
    if (!(root instanceof YamlNode.Mapping)) { // no excerpt: this may be any file (a policy link to /etc/shadow)
      String kind = root instanceof YamlNode.Sequence ? "a list" : "a " + (type(root) == Type.STRING ? "string"
          : "single value");
      error(root, "", "expected a map with the keys version, reservations and rules, got " + kind);
      return null;
    }
    YamlNode.Mapping top = (YamlNode.Mapping) root;
    YamlNode.Entry version = null;
    for (YamlNode.Entry t : top.entries()) {
      if (t.key().text().equals("version")) {
        version = t;
      }
    }
    if (version == null) { // nothing else is checked: the other errors would quote a file that may not be a policy
      error(root, "", "missing required key 'version'; add 'version: 1' at the top (nothing else is checked, or"
          + " shown, of a file without it: it may not be a portres policy)");
      return null;
    }
    Map<String, YamlNode.Entry> e = entries(top, "", ROOT_KEYS);
    YamlNode v = version.value();
    long n = integer(v, "version", "1");
    if (n != BAD && n != 1) {
      error(v, "version", "unsupported version " + text(v) + "; this portres reads version 1");
    }
    int m = choice(e, "mode", "", Mode.values(), null);
    int o = choice(e, "onError", "", OnError.values(), null);
    LogSettings log = log(e.get("log"));
    readReservations(e.get("reservations"));
    readRules(e.get("rules"));
    if (!errors.isEmpty() || m == INVALID || o == INVALID || log == null) {
      return null;
    }
    return new Policy(1, m == ABSENT ? Mode.ENFORCE : Mode.values()[m],
        o == ABSENT ? OnError.FAIL : OnError.values()[o], log,
        Collections.unmodifiableList(reservations), Collections.unmodifiableMap(byName),
        Collections.unmodifiableList(rules), Collections.unmodifiableList(warnings), source);
  }

  private LogSettings log(YamlNode.Entry t) {
    if (t == null) {
      return LogSettings.DEFAULT;
    }
    YamlNode.Mapping m = asMap(t.value(), "log", "a map with level, file or events");
    if (m == null) {
      return null;
    }
    Map<String, YamlNode.Entry> e = entries(m, "log", LOG_KEYS);
    int level = choice(e, "level", "log", LogLevel.values(), null);
    boolean[] ok = {level != INVALID};
    Path file = logPath(e.get("file"), "log.file", ok);
    Path events = logPath(e.get("events"), "log.events", ok);
    if (file != null && file.equals(events)) {
      error(e.get("events").value(), "log.events", "log.events names the same file as log.file (" + file
          + "); give each its own file");
      ok[0] = false;
    }
    long maxSize = LogSettings.DEFAULT_MAX_SIZE;
    YamlNode.Entry ms = e.get("maxSize");
    if (ms != null) {
      maxSize = size(ms.value(), "log.maxSize");
      ok[0] &= maxSize != BAD;
    }
    long keep = LogSettings.DEFAULT_KEEP;
    YamlNode.Entry kt = e.get("keep");
    if (kt != null) {
      keep = integer(kt.value(), "log.keep", "a number of old files to keep (1-" + LogSettings.MAX_KEEP + ")");
      if (keep != BAD && (keep < 1 || keep > LogSettings.MAX_KEEP)) {
        error(kt.value(), "log.keep", text(kt.value()) + " is not a valid number of old files to keep (1-"
            + LogSettings.MAX_KEEP + ")");
        keep = BAD;
      }
      ok[0] &= keep != BAD;
    }
    if (!ok[0]) {
      return null;
    }
    return new LogSettings(level == ABSENT ? LogLevel.INFO : LogLevel.values()[level], file, events, maxSize,
        (int) keep);
  }

  /**
   * {@code log.maxSize}: bytes as an integer, or a string such as {@code '64MiB'} (units KiB, MiB, GiB); 0 for no
   * cap, else at least 64 KiB. {@link #BAD} after reporting.
   */
  private long size(YamlNode v, String path) {
    String expected = "a size such as 64MiB (KiB, MiB or GiB), a number of bytes, or 0 for no limit";
    Type type = type(v);
    long n = BAD;
    if (type == Type.INTEGER) {
      n = parseInt(text(v));
    } else if (type == Type.STRING) {
      String t = text(v);
      String[] units = {"KiB", "MiB", "GiB"};
      for (int i = 0; i < units.length && n == BAD; i++) {
        if (t.endsWith(units[i]) && t.length() > 3) {
          int d = decimal(t.substring(0, t.length() - 3));
          n = d < 0 ? BAD : (long) d << (10 * (i + 1));
        }
      }
    }
    if (n == BAD) {
      error(v, path, "expected " + expected + ", got " + describe(v));
      return BAD;
    }
    if (n != 0 && (n < LogSettings.MIN_MAX_SIZE || n >= 1L << 40)) {
      error(v, path, text(v) + " is not a valid size: give at least 64KiB (and less than 1024GiB), or 0 for no"
          + " limit");
      return BAD;
    }
    return n;
  }

  private Path logPath(YamlNode.Entry t, String path, boolean[] ok) {
    if (t == null) {
      return null;
    }
    YamlNode v = t.value();
    if (type(v) == Type.NULL) {
      return null;
    }
    String s = string(v, path, "a file path");
    if (s == null) {
      ok[0] = false;
      return null;
    }
    if (s.isEmpty()) {
      error(v, path, "the path is empty; leave the key out for the default");
      ok[0] = false;
      return null;
    }
    try {
      Path p = Paths.get(s);
      if (!p.isAbsolute()) {
        p = baseDir != null ? baseDir.resolve(p) : p.toAbsolutePath();
      }
      p = p.normalize();
      if (policyFile != null && (p.equals(policyFile) || sameFile(p, policyFile))) {
        error(v, path, path + " names the policy file itself (" + policyFile + "): the agent would write into its"
            + " own policy; give the " + (path.endsWith("events") ? "events" : "log") + " its own file");
        ok[0] = false;
        return null;
      }
      return p;
    } catch (InvalidPathException ex) {
      error(v, path, "'" + excerpt(s) + "' is not a valid path: " + ex.getReason());
      ok[0] = false;
      return null;
    }
  }

  private void readReservations(YamlNode.Entry t) {
    YamlNode v = value(t);
    YamlNode.Mapping m = v == null ? null : asMap(v, "reservations", "a map from reservation names to reservations");
    if (m == null) {
      return;
    }
    for (Map.Entry<String, YamlNode.Entry> en : entries(m, "reservations", null).entrySet()) {
      String name = en.getKey();
      YamlNode key = en.getValue().key();
      String path = "reservations." + excerpt(name);
      definedReservations.add(name);
      boolean nameOk;
      if (type(key) != Type.STRING) { // null:, 8080:, 1e3:, 0x1F: are not the text they look like
        error(key, path, "the name " + excerpt(name) + " reads as " + describe(key) + " in YAML, not as text;"
            + " quote it: \"" + excerpt(name) + "\":");
        nameOk = false;
      } else {
        nameOk = checkName(key, path, name, "reservation name");
      }
      Reservation r = reservation(name, key, en.getValue().value(), path);
      if (r != null && nameOk) {
        reservations.add(r);
        reservationKeys.add(key);
        byName.put(name, r);
      }
    }
    for (int j = 1; j < reservations.size(); j++) {
      Reservation b = reservations.get(j);
      for (int i = 0; i < j; i++) {
        Reservation a = reservations.get(i);
        if (a.protocol() == b.protocol() && a.startPort() != 0 && b.startPort() != 0
            && a.startPort() <= b.endPort() && b.startPort() <= a.endPort()) {
          error(reservationKeys.get(j), "reservations." + b.name(), "reservation '" + a.name() + "' ("
              + a.describe() + ") overlaps reservation '" + b.name() + "' (" + b.describe() + ")");
        }
      }
    }
  }

  private Reservation reservation(String name, YamlNode key, YamlNode v, String path) {
    YamlNode.Mapping m = asMap(v, path, "a map with protocol, startPort and count");
    if (m == null) {
      return null;
    }
    Map<String, YamlNode.Entry> e = entries(m, path, RESERVATION_KEYS);
    boolean ok = true;
    int protocol = choice(e, "protocol", path, Protocol.values(), key);
    int kind = choice(e, "kind", path, ReservationKind.values(), null);
    ReservationKind k = kind == ABSENT ? ReservationKind.PERSISTENT : kind >= 0 ? ReservationKind.values()[kind] : null;
    ok &= protocol >= 0 && k != null;

    long count = BAD;
    YamlNode.Entry ct = e.get("count");
    if (ct == null) {
      missing(key, path, "count", "the number of ports in the block, 1-65535");
    } else {
      count = integer(ct.value(), path + ".count", "a port count (1-65535)");
      if (count != BAD && (count < 1 || count > 65535)) {
        error(ct.value(), path + ".count", text(ct.value()) + " is not a valid count (1-65535)");
        count = BAD;
      }
    }
    ok &= count != BAD;

    long start = 0;
    YamlNode.Entry st = e.get("startPort");
    if (st == null) {
      if (k == ReservationKind.PERSISTENT) {
        missing(key, path, "startPort",
            "a persistent reservation is a fixed block; use kind: runtime for any free block");
        ok = false;
      }
    } else {
      YamlNode sv = st.value();
      String sp = path + ".startPort";
      start = integer(sv, sp, "a port (" + (k == ReservationKind.RUNTIME ? "0" : "1") + "-65535)");
      if (start == BAD) {
        ok = false;
      } else if (start == 0 && k == ReservationKind.PERSISTENT) {
        error(sv, sp, "startPort 0 means any free block, which only kind: runtime reservations can use;"
            + " a persistent reservation needs a fixed startPort (1-65535)");
        ok = false;
      } else if (start < 0 || start > 65535) {
        error(sv, sp, text(sv) + " is not a port (" + (k == ReservationKind.RUNTIME ? "0" : "1") + "-65535)");
        ok = false;
      } else if (start > 0 && count != BAD && start + count - 1 > 65535) {
        error(ct.value(), path + ".count", "the block " + start + "-" + (start + count - 1)
            + " ends past port 65535; at most " + (65536 - start) + " ports fit from startPort " + start);
        ok = false;
      }
    }

    boolean hasToken = false;
    long token = 0;
    YamlNode.Entry tt = e.get("token");
    if (tt != null) {
      YamlNode tv = tt.value();
      String tp = path + ".token";
      if (k == ReservationKind.RUNTIME) {
        error(tv, tp, "a token is only allowed with kind: persistent");
        ok = false;
      } else if (type(tv) == Type.INTEGER) {
        error(tv, tp, "expected a quoted string, got an integer (" + text(tv) + "); write token: \""
            + text(tv) + "\"");
        ok = false;
      } else {
        String s = string(tv, tp, "a token such as \"0x1A2B3C4D5E6F7788\"");
        if (s == null) {
          ok = false;
        } else if (!isToken(s)) {
          error(tv, tp, "'" + excerpt(s) + "' is not a valid token; write 0x and 1-16 hex digits, e.g. \"0x1A2B3C4D5E6F7788\"");
          ok = false;
        } else {
          hasToken = true;
          token = Long.parseUnsignedLong(s.substring(2), 16);
        }
      }
    }

    int create = flag(e, "create", path);
    if (create == 1 && k == ReservationKind.RUNTIME) {
      error(e.get("create").value(), path + ".create",
          "create: true is only allowed with kind: persistent (a runtime reservation is always acquired at start-up)");
      ok = false;
    }
    ok &= create != INVALID;
    if (!ok) {
      return null;
    }
    return new Reservation(name, Protocol.values()[protocol], (int) start, (int) count, k, hasToken, token,
        create == 1, key.line());
  }

  private static boolean isToken(String s) {
    if (s.length() < 3 || s.length() > 18 || !s.startsWith("0x")) {
      return false;
    }
    for (int i = 2; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }

  private void readRules(YamlNode.Entry t) {
    YamlNode v = value(t);
    if (v == null) {
      return;
    }
    if (!(v instanceof YamlNode.Sequence)) {
      error(v, "rules", "expected a list of rules (items starting with '- name: ...'), got " + describe(v));
      return;
    }
    Map<String, String> names = new HashMap<String, String>();
    List<YamlNode> items = ((YamlNode.Sequence) v).items();
    for (int i = 0; i < items.size(); i++) {
      rule(i, items.get(i), names);
    }
  }

  private void rule(int index, YamlNode v, Map<String, String> names) {
    String path = "rules[" + index + "]";
    YamlNode.Mapping m = asMap(v, path, "a map with name, match and reservation");
    if (m == null) {
      return;
    }
    Map<String, YamlNode.Entry> e = entries(m, path, RULE_KEYS);
    boolean ok = true;

    String name = null;
    YamlNode.Entry nt = e.get("name");
    if (nt == null) {
      missing(m, path, "name", null);
      ok = false;
    } else {
      YamlNode nv = nt.value();
      name = string(nv, path + ".name", "a rule name");
      if (name == null || !checkName(nv, path + ".name", name, "rule name")) {
        ok = false;
      } else if (names.containsKey(name)) {
        error(nv, path + ".name", "duplicate rule name '" + excerpt(name) + "'; " + names.get(name) + " already uses it");
        ok = false;
      } else {
        names.put(name, path + " (line " + nv.line() + ")");
      }
    }

    Reservation res = null;
    YamlNode.Entry rt = e.get("reservation");
    if (rt == null) {
      missing(m, path, "reservation", null);
      ok = false;
    } else {
      YamlNode rv = rt.value();
      String rn = string(rv, path + ".reservation", "a reservation name");
      if (rn != null) {
        res = byName.get(rn);
        if (res == null && !definedReservations.contains(rn)) {
          error(rv, path + ".reservation", unknownReservation(rn));
        }
      }
      ok &= res != null;
    }

    int onError = choice(e, "onError", path, OnError.values(), null);
    int implicit = flag(e, "implicit", path);
    ok &= onError != INVALID && implicit != INVALID;

    Protocol protocol = res != null ? res.protocol() : null;
    PortSet ports = null;
    AddressMatcher address = AddressMatcher.ANY;
    ClassMatcher classes = null;
    YamlNode.Entry mt = e.get("match");
    if (mt == null) {
      missing(m, path, "match", "with port, class or both");
      ok = false;
    } else {
      String mp = path + ".match";
      YamlNode.Mapping mm = asMap(mt.value(), mp, "a map with port, class, protocol or address");
      if (mm == null) {
        ok = false;
      } else {
        Map<String, YamlNode.Entry> me = entries(mm, mp, MATCH_KEYS);
        YamlNode.Entry pt = me.get("port");
        YamlNode.Entry ct = me.get("class");
        if (pt == null && ct == null) {
          error(mt.key(), mp, "a match needs 'port', 'class' or both (a rule must not match every bind)");
          ok = false;
        }
        if (pt != null) {
          ports = ports(pt.value(), mp + ".port", res);
          ok &= ports != null;
        }
        if (ct != null) {
          classes = classes(ct.value(), mp + ".class");
          ok &= classes != null;
        }
        YamlNode.Entry at = me.get("address");
        if (at != null) {
          address = address(at.value(), mp + ".address");
          ok &= address != null;
        }
        int p = choice(me, "protocol", mp, Protocol.values(), null);
        if (p >= 0) {
          Protocol mpr = Protocol.values()[p];
          if (res != null && mpr != res.protocol()) {
            error(me.get("protocol").value(), mp + ".protocol", "the rule matches " + mpr.id()
                + " binds but reservation '" + res.name() + "' is " + res.protocol().id()
                + "; remove match.protocol or use a " + mpr.id() + " reservation");
            ok = false;
          }
          protocol = mpr;
        }
        ok &= p != INVALID;
      }
    }
    if (implicit == 1 && protocol == Protocol.UDP) {
      error(e.get("implicit").value(), path + ".implicit",
          "implicit applies to TCP client sockets only; this rule is for udp");
      ok = false;
    }
    if (ok) {
      rules.add(new Rule(index, name, res, protocol, ports, address, classes,
          onError >= 0 ? OnError.values()[onError] : null, implicit == 1, v.line()));
    }
  }

  private String unknownReservation(String name) {
    if (definedReservations.isEmpty()) {
      return "unknown reservation '" + excerpt(name) + "'; the policy defines no reservations";
    }
    String[] defined = definedReservations.toArray(new String[0]);
    String near = nearest(name, defined);
    return "unknown reservation '" + excerpt(name) + "'" + (near != null ? "; did you mean '" + near + "'?" : "")
        + " (defined: " + join(defined) + ")";
  }

  // ---------------------------------------------------------------------------------------------- match values

  private PortSet ports(YamlNode v, String path, Reservation res) {
    if (v instanceof YamlNode.Sequence) {
      List<YamlNode> items = ((YamlNode.Sequence) v).items();
      if (items.isEmpty()) {
        error(v, path, "the list is empty; give at least one port or range");
        return null;
      }
      int[] flat = new int[items.size() * 2];
      boolean ok = true;
      for (int i = 0; i < items.size(); i++) {
        String ip = path + "[" + i + "]";
        YamlNode item = items.get(i);
        long r = portItem(item, ip, res);
        ok &= r >= 0;
        flat[2 * i] = (int) (r >>> 16);
        flat[2 * i + 1] = (int) (r & 0xFFFF);
      }
      return ok ? PortSet.ofRanges(flat) : null;
    }
    long r = portItem(v, path, res);
    return r < 0 ? null : PortSet.ofRanges((int) (r >>> 16), (int) (r & 0xFFFF));
  }

  /** One port or range, as {@code lo << 16 | hi}, or -1 after reporting an error. */
  private long portItem(YamlNode v, String path, Reservation res) {
    Type type = type(v);
    if (type != Type.INTEGER && type != Type.STRING) {
      error(v, path, "expected a port (0-65535), a range such as '8000-8099', or a list of them, got "
          + describe(v));
      return -1;
    }
    String s = text(v);
    int lo;
    int hi;
    if (type == Type.INTEGER) {
      long p = parseInt(s);
      if (p < 0 || p > 65535) {
        error(v, path, s + " is not a port (0-65535)");
        return -1;
      }
      lo = (int) p;
      hi = lo;
    } else {
      int dash = s.indexOf('-');
      lo = decimal(dash < 0 ? s : s.substring(0, dash));
      hi = dash < 0 ? lo : decimal(s.substring(dash + 1));
      if (lo == -1 || hi == -1) {
        error(v, path, "'" + excerpt(s) + "' is not a port or a port range; write a port (0-65535) or a range such as"
            + " '8000-8099'");
        return -1;
      }
      if (dash < 0) {
        if (lo > 65535) {
          error(v, path, s + " is not a port (0-65535)");
          return -1;
        }
      } else if (lo > 65535 || hi > 65535) {
        error(v, path, "'" + excerpt(s) + "' is not a valid range: " + (lo > 65535 ? lo : hi) + " is not a port (1-65535)");
        return -1;
      } else if (lo == 0) {
        error(v, path, "'" + excerpt(s) + "' is not a valid range: ranges start at port 1; list 0 (wildcard binds) on"
            + " its own, e.g. [0, '1-" + hi + "']");
        return -1;
      } else if (lo > hi) {
        error(v, path, "'" + excerpt(s) + "' is not a valid range: " + lo + " is greater than " + hi + "; write '" + hi
            + "-" + lo + "'");
        return -1;
      }
    }
    if (res != null && res.startPort() != 0 && hi != 0 && !(res.contains(lo) && res.contains(hi))) {
      String where = "reservation '" + res.name() + "' (" + res.describe() + ")";
      if (lo == hi) {
        warn(v, path, "port " + lo + " is outside " + where);
      } else {
        boolean disjoint = hi < res.startPort() || lo > res.endPort();
        warn(v, path, "ports " + lo + "-" + hi + " are " + (disjoint ? "" : "partly ") + "outside " + where);
      }
    }
    return (long) lo << 16 | hi;
  }

  /** A decimal number without sign or leading zeros, 0-999999; -1 if {@code s} is not one. */
  private static int decimal(String s) {
    int n = s.length();
    if (n == 0 || n > 6 || (n > 1 && s.charAt(0) == '0')) {
      return -1;
    }
    int v = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private ClassMatcher classes(YamlNode v, String path) {
    List<String> patterns = new ArrayList<String>();
    boolean ok = true;
    if (v instanceof YamlNode.Sequence) {
      List<YamlNode> items = ((YamlNode.Sequence) v).items();
      if (items.isEmpty()) {
        error(v, path, "the list is empty; give at least one class pattern");
        return null;
      }
      for (int i = 0; i < items.size(); i++) {
        String ip = path + "[" + i + "]";
        YamlNode item = items.get(i);
        String p = classPattern(item, ip);
        ok &= p != null;
        patterns.add(p);
      }
    } else {
      String p = classPattern(v, path);
      ok = p != null;
      patterns.add(p);
    }
    return ok ? ClassMatcher.of(patterns) : null;
  }

  private String classPattern(YamlNode v, String path) {
    String p = string(v, path, "a class pattern such as 'org.example.**', or a list of them");
    if (p == null) {
      return null;
    }
    String why = ClassMatcher.check(p);
    if (why != null) {
      error(v, path, "'" + excerpt(p) + "' is not a valid class pattern: " + why);
      return null;
    }
    return p;
  }

  private AddressMatcher address(YamlNode v, String path) {
    String s = string(v, path, "any, loopback, wildcard, an IP address or a CIDR block");
    if (s == null) {
      return null;
    }
    try {
      AddressMatcher a = AddressMatcher.parse(s);
      if (a.hostBitsSet()) {
        warn(v, path, s + " has bits set after the prefix; it means " + a.describe());
      }
      return a;
    } catch (IllegalArgumentException ex) {
      error(v, path, ex.getMessage());
      return null;
    }
  }

  // ---------------------------------------------------------------------------------------------- node helpers

  /** The value of an optional key, or null when the key is absent. */
  private static YamlNode value(YamlNode.Entry t) {
    return t != null ? t.value() : null;
  }

  /** A scalar's core-schema type; null for a list or map. */
  private static Type type(YamlNode n) {
    return n instanceof YamlNode.Scalar ? ((YamlNode.Scalar) n).type() : null;
  }

  private YamlNode.Mapping asMap(YamlNode n, String path, String expected) {
    if (n instanceof YamlNode.Mapping) {
      return (YamlNode.Mapping) n;
    }
    error(n, path, "expected " + expected + ", got " + describe(n));
    return null;
  }

  /**
   * The entries of a map by key (the reader has refused duplicate keys already); when {@code allowed} is given,
   * reports unknown keys and leaves them out.
   */
  private Map<String, YamlNode.Entry> entries(YamlNode.Mapping m, String path, String[] allowed) {
    Map<String, YamlNode.Entry> out = new LinkedHashMap<String, YamlNode.Entry>();
    for (YamlNode.Entry t : m.entries()) {
      YamlNode.Scalar k = t.key();
      String key = k.text();
      String kp = path.isEmpty() ? excerpt(key) : path + "." + excerpt(key);
      if (allowed != null && indexOf(allowed, key) < 0) {
        String near = nearest(key, allowed);
        error(k, kp, "unknown key '" + excerpt(key) + "'" + (key.equals("<<") ? "; merge keys ('<<') are not supported"
            : near != null ? "; did you mean '" + near + "'?" : " (expected one of: " + join(allowed) + ")"));
        continue;
      }
      out.put(key, t);
    }
    return out;
  }

  private void missing(YamlNode at, String path, String key, String hint) {
    error(at, path, "missing required key '" + key + "'" + (hint != null ? " (" + hint + ")" : ""));
  }

  /** An integer scalar's value, or {@link #BAD} after reporting a type error. */
  private long integer(YamlNode v, String path, String expected) {
    Type type = type(v);
    if (type == Type.INTEGER) {
      return parseInt(text(v));
    }
    String hint = type == Type.STRING && parseInt(text(v)) != BAD ? "; remove the quotes" : "";
    error(v, path, "expected " + expected + ", got " + describe(v) + hint);
    return BAD;
  }

  /** A string scalar's value, or null after reporting a type error. */
  private String string(YamlNode v, String path, String expected) {
    Type type = type(v);
    if (type == Type.STRING) {
      return text(v);
    }
    String hint = type != null && type != Type.NULL ? "; quote it to use it as text" : "";
    error(v, path, "expected " + expected + ", got " + describe(v) + hint);
    return null;
  }

  /** The index of an enum-valued key's value; {@link #ABSENT}, or {@link #INVALID} after reporting. */
  private int choice(Map<String, YamlNode.Entry> e, String key, String parent, Enum<?>[] values, YamlNode requiredAt) {
    YamlNode.Entry t = e.get(key);
    String path = parent.isEmpty() ? key : parent + "." + key;
    String[] ids = new String[values.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = values[i].name().toLowerCase(Locale.ROOT);
    }
    if (t == null) {
      if (requiredAt == null) {
        return ABSENT;
      }
      missing(requiredAt, parent, key, "one of " + join(ids));
      return INVALID;
    }
    YamlNode v = t.value();
    if (type(v) != Type.STRING) {
      error(v, path, "expected one of " + join(ids) + ", got " + describe(v));
      return INVALID;
    }
    String s = text(v);
    int i = indexOf(ids, s);
    if (i < 0) {
      String near = nearest(s, ids);
      error(v, path, "'" + excerpt(s) + "' is not one of " + join(ids) + (near != null ? "; did you mean '" + near + "'?" : ""));
      return INVALID;
    }
    return i;
  }

  /** A boolean key: 1 or 0, {@link #ABSENT}, or {@link #INVALID} after reporting. */
  private int flag(Map<String, YamlNode.Entry> e, String key, String parent) {
    YamlNode.Entry t = e.get(key);
    if (t == null) {
      return ABSENT;
    }
    YamlNode v = t.value();
    String path = parent + "." + key;
    if (type(v) == Type.BOOLEAN) {
      return text(v).equalsIgnoreCase("true") ? 1 : 0;
    }
    error(v, path, "expected true or false, got " + describe(v));
    return INVALID;
  }

  private boolean checkName(YamlNode at, String path, String name, String what) {
    boolean ok = !name.isEmpty() && name.length() <= 64 && name.charAt(0) != '-' && name.charAt(0) != '.';
    for (int i = 0; ok && i < name.length(); i++) {
      char c = name.charAt(i);
      ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
          || c == '.';
    }
    if (!ok) {
      error(at, path, "'" + excerpt(name) + "' is not a valid " + what + "; use 1-64 letters, digits, '_', '-' and '.',"
          + " starting with a letter, digit or '_'");
    }
    return ok;
  }

  /**
   * A YAML 1.2 core-schema integer (decimal with optional sign, 0o octal, 0x hex), or {@link #BAD} if {@code s}
   * is not one. Magnitudes are capped at 2^40 (everything this format checks is far smaller).
   */
  static long parseInt(String s) {
    int radix = 10;
    int i = 0;
    boolean negative = false;
    if (s.startsWith("0x") || s.startsWith("0o")) {
      radix = s.charAt(1) == 'x' ? 16 : 8;
      i = 2;
    } else if (s.startsWith("-") || s.startsWith("+")) {
      negative = s.charAt(0) == '-';
      i = 1;
    }
    if (i == s.length()) {
      return BAD;
    }
    long v = 0;
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      int d = c <= 'f' ? Character.digit(c, radix) : -1;
      if (d < 0) {
        return BAD;
      }
      v = Math.min(v * radix + d, 1L << 40);
    }
    return negative ? -v : v;
  }

  /**
   * At most 60 characters of text from the policy, for a message: enough to find it, never a whole line of a file
   * that should not be shown (control characters are escaped when the problem is printed).
   */
  static String excerpt(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  /** Whether a line of {@code yaml} starts with a {@code version} key, as a policy's does (plain or quoted). */
  static boolean mentionsVersion(String yaml) {
    int i = 0;
    while (i < yaml.length()) {
      int j = i;
      while (j < yaml.length() && (yaml.charAt(j) == ' ' || yaml.charAt(j) == '{' || yaml.charAt(j) == '\uFEFF'
          || yaml.charAt(j) == '"' || yaml.charAt(j) == '\'')) {
        j++;
      }
      if (yaml.startsWith("version", j)) {
        return true;
      }
      int nl = yaml.indexOf('\n', i);
      i = nl < 0 ? yaml.length() : nl + 1;
    }
    return false;
  }

  /** Whether {@code a} and {@code b} are one existing file (through links or other names); false when unsure. */
  private static boolean sameFile(Path a, Path b) {
    try {
      return new File(a.toString()).exists() && a.toRealPath().equals(b.toRealPath());
    } catch (IOException | SecurityException e) {
      return false;
    }
  }

  private static String text(YamlNode v) {
    return ((YamlNode.Scalar) v).text();
  }

  /** How a node reads in a message: "a map", "a list", "an integer (5)", "a string ('ten')", ... */
  static String describe(YamlNode n) {
    if (n instanceof YamlNode.Mapping) {
      return "a map";
    } else if (n instanceof YamlNode.Sequence) {
      return "a list";
    }
    String v = text(n);
    if (v.length() > 40) {
      v = v.substring(0, 37) + "...";
    }
    Type t = type(n);
    if (t == Type.NULL) {
      return "nothing (null)";
    } else if (t == Type.INTEGER) {
      return "an integer (" + v + ")";
    } else if (t == Type.FLOAT) {
      return "a number (" + v + ")";
    } else if (t == Type.BOOLEAN) {
      return "a boolean (" + v + ")";
    }
    return "a string ('" + v + "')";
  }

  // ---------------------------------------------------------------------------------------------- problems

  private void error(YamlNode n, String path, String message) {
    if (errors.size() >= MAX_ERRORS) {
      droppedErrors++;
      return;
    }
    errors.add(new Problem(Problem.Severity.ERROR, source, n.line(), n.column(), path, message));
  }

  private void warn(YamlNode n, String path, String message) {
    if (warnings.size() >= MAX_ERRORS) {
      droppedWarnings++;
      return;
    }
    warnings.add(new Problem(Problem.Severity.WARNING, source, n.line(), n.column(), path, message));
  }

  /** Stable insertion sort by position (lists are short; avoids a Comparator class). */
  private static void sort(List<Problem> list) {
    for (int i = 1; i < list.size(); i++) {
      Problem p = list.get(i);
      int j = i - 1;
      while (j >= 0 && after(list.get(j), p)) {
        list.set(j + 1, list.get(j));
        j--;
      }
      list.set(j + 1, p);
    }
  }

  private static boolean after(Problem a, Problem b) {
    return a.line() > b.line() || (a.line() == b.line() && a.column() > b.column());
  }

  // ---------------------------------------------------------------------------------------------- text helpers

  private static int indexOf(String[] a, String s) {
    for (int i = 0; i < a.length; i++) {
      if (a[i].equals(s)) {
        return i;
      }
    }
    return -1;
  }

  private static String join(String[] a) {
    StringBuilder sb = new StringBuilder();
    for (String s : a) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(s);
    }
    return sb.toString();
  }

  /**
   * The candidate closest to {@code s} if it is close enough to be a likely typo: equal ignoring case, or within
   * edit distance 1 (short words) or 2 (five letters or more), transpositions counting once.
   */
  static String nearest(String s, String[] candidates) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    String ls = s.toLowerCase(Locale.ROOT);
    for (String c : candidates) {
      int d = distance(ls, c.toLowerCase(Locale.ROOT));
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    int limit = Math.min(s.length(), best == null ? 0 : best.length()) >= 5 ? 2 : 1;
    return best != null && bestD <= limit ? best : null;
  }

  /** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
  private static int distance(String a, String b) {
    int n = a.length();
    int m = b.length();
    int[][] d = new int[n + 1][m + 1];
    for (int i = 0; i <= n; i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= m; j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= n; i++) {
      for (int j = 1; j <= m; j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          v = Math.min(v, d[i - 2][j - 2] + 1);
        }
        d[i][j] = v;
      }
    }
    return d[n][m];
  }
}
