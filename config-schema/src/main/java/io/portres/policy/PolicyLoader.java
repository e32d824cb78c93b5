package io.portres.policy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
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
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.ConstructNode;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.ComposerException;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.Parser;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.resolver.CoreScalarResolver;
import org.snakeyaml.engine.v2.resolver.ScalarResolver;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.snakeyaml.engine.v2.schema.Schema;

/**
 * Reads and validates a policy file (version 1).
 *
 * <p>The YAML is only composed into a node tree (snakeyaml-engine's compose API); no object is ever constructed
 * from it. Scalars are typed by the YAML 1.2 core schema, without merge keys ({@code <<}). Explicit tags other
 * than the standard {@code !!str}, {@code !!int}, {@code !!float}, {@code !!bool}, {@code !!null}, {@code !!seq}
 * and {@code !!map} are errors. Input is bounded: at most 1 MiB, 50 aliases to lists or maps (billion-laughs
 * protection), 64 levels of nesting and 100,000 visited nodes after alias expansion.
 *
 * <p>All problems are collected before failing; see {@link Problem} for their format. Errors about the file as a
 * whole have line 0 and print as {@code <file>: cannot read policy: <reason>}; YAML syntax errors have an empty
 * path and print as {@code <file>:<line>:<col>: syntax error: <parser message>}.
 */
public final class PolicyLoader {
  /** Class-path name of the JSON Schema (draft 2020-12) for policy files, for editors and tooling. */
  public static final String SCHEMA_RESOURCE = "io/portres/policy/policy.schema.json";

  static final int MAX_SIZE = 1024 * 1024;
  static final int MAX_ALIASES = 50;
  static final int MAX_DEPTH = 64;
  static final int MAX_NODES = 100000;
  static final int MAX_ERRORS = 200;

  private static final String[] ROOT_KEYS = {"version", "mode", "onError", "log", "reservations", "rules"};
  private static final String[] LOG_KEYS = {"level", "file", "events"};
  private static final String[] RESERVATION_KEYS = {"protocol", "startPort", "count", "kind", "token", "create"};
  private static final String[] RULE_KEYS = {"name", "match", "reservation", "onError", "implicit"};
  private static final String[] MATCH_KEYS = {"port", "protocol", "address", "class"};

  private static final int ABSENT = -1;
  private static final int INVALID = -2;
  private static final long BAD = Long.MIN_VALUE;

  /** YAML 1.2 core schema without merge keys; constructors are never used (we only compose). */
  private static final Schema SCHEMA =
      new Schema() {
        @Override
        public ScalarResolver getScalarResolver() {
          return new CoreScalarResolver(false);
        }

        @Override
        public Map<Tag, ConstructNode> getSchemaTagConstructors() {
          return new HashMap<Tag, ConstructNode>();
        }
      };

  private final String source;
  private final Path baseDir;
  private final List<Problem> errors = new ArrayList<Problem>();
  private final List<Problem> warnings = new ArrayList<Problem>();
  private int droppedErrors;
  private int nodes;

  private final Set<String> definedReservations = new LinkedHashSet<String>();
  private final List<Reservation> reservations = new ArrayList<Reservation>();
  private final List<Node> reservationKeys = new ArrayList<Node>();
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

  private String read(Path file) {
    String reason;
    try {
      if (Files.isDirectory(file)) {
        reason = "it is a directory";
      } else if (Files.size(file) > MAX_SIZE) {
        reason = "it is larger than 1 MiB";
      } else {
        byte[] bytes = Files.readAllBytes(file);
        try {
          return StandardCharsets.UTF_8.newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
        } catch (CharacterCodingException e) {
          reason = "it is not UTF-8 text";
        }
      }
    } catch (NoSuchFileException e) {
      reason = "file not found";
    } catch (AccessDeniedException e) {
      reason = "permission denied";
    } catch (FileSystemException e) {
      reason = e.getReason() != null ? e.getReason() : e.toString();
    } catch (IOException e) {
      reason = e.getMessage() != null ? e.getMessage() : e.toString();
    } catch (SecurityException e) {
      reason = "access denied by the security manager";
    }
    errors.add(new Problem(Problem.Severity.ERROR, source, 0, 0, "", "cannot read policy: " + reason));
    return null;
  }

  private Policy run(String yaml) throws PolicyException {
    Policy policy = null;
    if (yaml.length() > MAX_SIZE) {
      errors.add(new Problem(Problem.Severity.ERROR, source, 0, 0, "",
          "cannot read policy: it is larger than 1 MiB"));
    } else {
      Node root = compose(yaml.startsWith("\uFEFF") ? yaml.substring(1) : yaml);
      if (root != null) {
        policy = build(root);
      }
    }
    sort(errors);
    sort(warnings);
    if (droppedErrors > 0) {
      errors.add(new Problem(Problem.Severity.ERROR, source, 0, 0, "",
          "... and " + droppedErrors + " more errors not shown"));
    }
    if (!errors.isEmpty() || policy == null) {
      throw new PolicyException(errors, warnings);
    }
    return policy;
  }

  /** Composes the single document, with limits; reports YAML-level errors and returns null on failure. */
  private Node compose(String yaml) {
    LoadSettings settings = LoadSettings.builder()
        .setLabel(source)
        .setMaxAliasesForCollections(MAX_ALIASES)
        .setCodePointLimit(MAX_SIZE)
        .setSchema(SCHEMA)
        .build();
    final ParserImpl parser = new ParserImpl(settings, new StreamReader(settings, yaml));
    final Mark[] lastAlias = new Mark[1];
    final boolean[] tooDeep = new boolean[1];
    Parser guarded =
        new Parser() {
          private int depth;

          @Override
          public boolean checkEvent(Event.ID choice) {
            return parser.checkEvent(choice);
          }

          @Override
          public Event peekEvent() {
            return parser.peekEvent();
          }

          @Override
          public boolean hasNext() {
            return parser.hasNext();
          }

          @Override
          public Event next() {
            Event e = parser.next();
            Event.ID id = e.getEventId();
            if (id == Event.ID.MappingStart || id == Event.ID.SequenceStart) {
              if (++depth > MAX_DEPTH) {
                tooDeep[0] = true;
                throw new ComposerException("too deep", e.getStartMark());
              }
            } else if (id == Event.ID.MappingEnd || id == Event.ID.SequenceEnd) {
              depth--;
            } else if (id == Event.ID.Alias) {
              lastAlias[0] = e.getStartMark().orElse(null);
            }
            return e;
          }
        };
    try {
      Optional<Node> doc = new Composer(settings, guarded).getSingleNode();
      if (!doc.isPresent()) {
        errors.add(new Problem(Problem.Severity.ERROR, source, 1, 1, "",
            "the policy is empty; it needs at least 'version: 1'"));
        return null;
      }
      return doc.get();
    } catch (MarkedYamlEngineException e) {
      Mark at = e.getProblemMark().orElse(e.getContextMark().orElse(null));
      String message;
      if (tooDeep[0]) {
        message = "lists and maps are nested more than " + MAX_DEPTH + " levels deep";
      } else {
        String problem = e.getProblem();
        String context = e.getContext();
        if ("but found another document".equals(problem)) {
          message = "a policy is a single YAML document; remove this '---' and what follows";
        } else {
          message = "syntax error: " + (context != null && e.getContextMark().isPresent()
              ? context + " at line " + (e.getContextMark().get().getLine() + 1) + ", " + problem : problem);
          if (message.contains("alias")) {
            message += "; quote values that start with '*', e.g. \"**.Foo\"";
          }
        }
      }
      errorAt(at, "", message);
    } catch (RuntimeException e) {
      // YamlEngineException without a position: the alias limit, or anything unexpected
      String m = String.valueOf(e.getMessage());
      if (m.contains("aliases")) {
        errorAt(lastAlias[0], "", "more than " + MAX_ALIASES
            + " aliases to lists or maps; this looks like an alias bomb (billion laughs)");
      } else {
        errorAt(null, "", "cannot read policy: " + m);
      }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------- structure

  private Policy build(Node root) {
    if (!enter(root, "")) {
      return null;
    }
    MappingNode top = asMap(root, "", "a map with the keys version, reservations and rules");
    if (top == null) {
      return null;
    }
    Map<String, NodeTuple> e = entries(top, "", ROOT_KEYS);
    NodeTuple version = e.get("version");
    if (version == null) {
      error(root, "", "missing required key 'version'; add 'version: 1' at the top");
    } else {
      Node v = version.getValueNode();
      long n = integer(v, "version", "1");
      if (n != BAD && n != 1) {
        error(v, "version", "unsupported version " + ((ScalarNode) v).getValue() + "; this portres reads version 1");
      }
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

  private LogSettings log(NodeTuple t) {
    if (t == null) {
      return LogSettings.DEFAULT;
    }
    Node v = value(t, "log");
    MappingNode m = v == null ? null : asMap(v, "log", "a map with level, file or events");
    if (m == null) {
      return null;
    }
    Map<String, NodeTuple> e = entries(m, "log", LOG_KEYS);
    int level = choice(e, "level", "log", LogLevel.values(), null);
    boolean[] ok = {level != INVALID};
    Path file = logPath(e.get("file"), "log.file", ok);
    Path events = logPath(e.get("events"), "log.events", ok);
    if (!ok[0]) {
      return null;
    }
    return new LogSettings(level == ABSENT ? LogLevel.INFO : LogLevel.values()[level], file, events);
  }

  private Path logPath(NodeTuple t, String path, boolean[] ok) {
    if (t == null) {
      return null;
    }
    Node v = t.getValueNode();
    if (!enter(v, path)) {
      ok[0] = false;
      return null;
    }
    if (v instanceof ScalarNode && Tag.NULL.equals(v.getTag())) {
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
      return p.normalize();
    } catch (InvalidPathException ex) {
      error(v, path, "'" + s + "' is not a valid path: " + ex.getReason());
      ok[0] = false;
      return null;
    }
  }

  private void readReservations(NodeTuple t) {
    Node v = value(t, "reservations");
    MappingNode m = v == null ? null : asMap(v, "reservations", "a map from reservation names to reservations");
    if (m == null) {
      return;
    }
    for (Map.Entry<String, NodeTuple> en : entries(m, "reservations", null).entrySet()) {
      String name = en.getKey();
      Node key = en.getValue().getKeyNode();
      String path = "reservations." + name;
      definedReservations.add(name);
      boolean nameOk = checkName(key, path, name, "reservation name");
      Reservation r = reservation(name, key, en.getValue().getValueNode(), path);
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

  private Reservation reservation(String name, Node key, Node v, String path) {
    if (!enter(v, path)) {
      return null;
    }
    MappingNode m = asMap(v, path, "a map with protocol, startPort and count");
    if (m == null) {
      return null;
    }
    Map<String, NodeTuple> e = entries(m, path, RESERVATION_KEYS);
    boolean ok = true;
    int protocol = choice(e, "protocol", path, Protocol.values(), key);
    int kind = choice(e, "kind", path, ReservationKind.values(), null);
    ReservationKind k = kind == ABSENT ? ReservationKind.PERSISTENT : kind >= 0 ? ReservationKind.values()[kind] : null;
    ok &= protocol >= 0 && k != null;

    long count = BAD;
    NodeTuple ct = e.get("count");
    if (ct == null) {
      missing(key, path, "count", "the number of ports in the block, 1-65535");
    } else {
      count = integer(ct.getValueNode(), path + ".count", "a port count (1-65535)");
      if (count != BAD && (count < 1 || count > 65535)) {
        error(ct.getValueNode(), path + ".count", text(ct.getValueNode()) + " is not a valid count (1-65535)");
        count = BAD;
      }
    }
    ok &= count != BAD;

    long start = 0;
    NodeTuple st = e.get("startPort");
    if (st == null) {
      if (k == ReservationKind.PERSISTENT) {
        missing(key, path, "startPort",
            "a persistent reservation is a fixed block; use kind: runtime for any free block");
        ok = false;
      }
    } else {
      Node sv = st.getValueNode();
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
        error(ct.getValueNode(), path + ".count", "the block " + start + "-" + (start + count - 1)
            + " ends past port 65535; at most " + (65536 - start) + " ports fit from startPort " + start);
        ok = false;
      }
    }

    boolean hasToken = false;
    long token = 0;
    NodeTuple tt = e.get("token");
    if (tt != null) {
      Node tv = tt.getValueNode();
      String tp = path + ".token";
      if (k == ReservationKind.RUNTIME) {
        enter(tv, tp);
        error(tv, tp, "a token is only allowed with kind: persistent");
        ok = false;
      } else if (enter(tv, tp)) {
        if (tv instanceof ScalarNode && Tag.INT.equals(tv.getTag())) {
          error(tv, tp, "expected a quoted string, got an integer (" + text(tv) + "); write token: \""
              + text(tv) + "\"");
          ok = false;
        } else {
          String s = string(tv, tp, "a token such as \"0x1A2B3C4D5E6F7788\"");
          if (s == null) {
            ok = false;
          } else if (!isToken(s)) {
            error(tv, tp, "'" + s + "' is not a valid token; write 0x and 1-16 hex digits, e.g. \"0x1A2B3C4D5E6F7788\"");
            ok = false;
          } else {
            hasToken = true;
            token = Long.parseUnsignedLong(s.substring(2), 16);
          }
        }
      } else {
        ok = false;
      }
    }

    int create = flag(e, "create", path);
    if (create == 1 && k == ReservationKind.RUNTIME) {
      error(e.get("create").getValueNode(), path + ".create",
          "create: true is only allowed with kind: persistent (a runtime reservation is always acquired at start-up)");
      ok = false;
    }
    ok &= create != INVALID;
    if (!ok) {
      return null;
    }
    return new Reservation(name, Protocol.values()[protocol], (int) start, (int) count, k, hasToken, token,
        create == 1, line(key));
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

  private void readRules(NodeTuple t) {
    Node v = value(t, "rules");
    if (v == null) {
      return;
    }
    if (!(v instanceof SequenceNode)) {
      error(v, "rules", "expected a list of rules (items starting with '- name: ...'), got " + describe(v));
      return;
    }
    Map<String, String> names = new HashMap<String, String>();
    List<Node> items = ((SequenceNode) v).getValue();
    for (int i = 0; i < items.size(); i++) {
      rule(i, items.get(i), names);
    }
  }

  private void rule(int index, Node v, Map<String, String> names) {
    String path = "rules[" + index + "]";
    if (!enter(v, path)) {
      return;
    }
    MappingNode m = asMap(v, path, "a map with name, match and reservation");
    if (m == null) {
      return;
    }
    Map<String, NodeTuple> e = entries(m, path, RULE_KEYS);
    boolean ok = true;

    String name = null;
    NodeTuple nt = e.get("name");
    if (nt == null) {
      missing(m, path, "name", null);
      ok = false;
    } else {
      Node nv = nt.getValueNode();
      name = enter(nv, path + ".name") ? string(nv, path + ".name", "a rule name") : null;
      if (name == null || !checkName(nv, path + ".name", name, "rule name")) {
        ok = false;
      } else if (names.containsKey(name)) {
        error(nv, path + ".name", "duplicate rule name '" + name + "'; " + names.get(name) + " already uses it");
        ok = false;
      } else {
        names.put(name, path + " (line " + line(nv) + ")");
      }
    }

    Reservation res = null;
    NodeTuple rt = e.get("reservation");
    if (rt == null) {
      missing(m, path, "reservation", null);
      ok = false;
    } else {
      Node rv = rt.getValueNode();
      String rn = enter(rv, path + ".reservation") ? string(rv, path + ".reservation", "a reservation name") : null;
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
    NodeTuple mt = e.get("match");
    if (mt == null) {
      missing(m, path, "match", "with port, class or both");
      ok = false;
    } else {
      String mp = path + ".match";
      Node mv = mt.getValueNode();
      MappingNode mm = enter(mv, mp) ? asMap(mv, mp, "a map with port, class, protocol or address") : null;
      if (mm == null) {
        ok = false;
      } else {
        Map<String, NodeTuple> me = entries(mm, mp, MATCH_KEYS);
        NodeTuple pt = me.get("port");
        NodeTuple ct = me.get("class");
        if (pt == null && ct == null) {
          error(mt.getKeyNode(), mp, "a match needs 'port', 'class' or both (a rule must not match every bind)");
          ok = false;
        }
        if (pt != null) {
          ports = ports(pt.getValueNode(), mp + ".port", res);
          ok &= ports != null;
        }
        if (ct != null) {
          classes = classes(ct.getValueNode(), mp + ".class");
          ok &= classes != null;
        }
        NodeTuple at = me.get("address");
        if (at != null) {
          address = address(at.getValueNode(), mp + ".address");
          ok &= address != null;
        }
        int p = choice(me, "protocol", mp, Protocol.values(), null);
        if (p >= 0) {
          Protocol mpr = Protocol.values()[p];
          if (res != null && mpr != res.protocol()) {
            error(me.get("protocol").getValueNode(), mp + ".protocol", "the rule matches " + mpr.id()
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
      error(e.get("implicit").getValueNode(), path + ".implicit",
          "implicit applies to TCP client sockets only; this rule is for udp");
      ok = false;
    }
    if (ok) {
      rules.add(new Rule(index, name, res, protocol, ports, address, classes,
          onError >= 0 ? OnError.values()[onError] : null, implicit == 1, line(v)));
    }
  }

  private String unknownReservation(String name) {
    if (definedReservations.isEmpty()) {
      return "unknown reservation '" + name + "'; the policy defines no reservations";
    }
    String[] defined = definedReservations.toArray(new String[0]);
    String near = nearest(name, defined);
    return "unknown reservation '" + name + "'" + (near != null ? "; did you mean '" + near + "'?" : "")
        + " (defined: " + join(defined) + ")";
  }

  // ---------------------------------------------------------------------------------------------- match values

  private PortSet ports(Node v, String path, Reservation res) {
    if (!enter(v, path)) {
      return null;
    }
    if (v instanceof SequenceNode) {
      List<Node> items = ((SequenceNode) v).getValue();
      if (items.isEmpty()) {
        error(v, path, "the list is empty; give at least one port or range");
        return null;
      }
      int[] flat = new int[items.size() * 2];
      boolean ok = true;
      for (int i = 0; i < items.size(); i++) {
        String ip = path + "[" + i + "]";
        Node item = items.get(i);
        long r = enter(item, ip) ? portItem(item, ip, res) : -1;
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
  private long portItem(Node v, String path, Reservation res) {
    Tag tag = v.getTag();
    if (!(v instanceof ScalarNode) || !(Tag.INT.equals(tag) || Tag.STR.equals(tag))) {
      error(v, path, "expected a port (0-65535), a range such as '8000-8099', or a list of them, got "
          + describe(v));
      return -1;
    }
    String s = ((ScalarNode) v).getValue();
    int lo;
    int hi;
    if (Tag.INT.equals(tag)) {
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
        error(v, path, "'" + s + "' is not a port or a port range; write a port (0-65535) or a range such as"
            + " '8000-8099'");
        return -1;
      }
      if (dash < 0) {
        if (lo > 65535) {
          error(v, path, s + " is not a port (0-65535)");
          return -1;
        }
      } else if (lo > 65535 || hi > 65535) {
        error(v, path, "'" + s + "' is not a valid range: " + (lo > 65535 ? lo : hi) + " is not a port (1-65535)");
        return -1;
      } else if (lo == 0) {
        error(v, path, "'" + s + "' is not a valid range: ranges start at port 1; list 0 (wildcard binds) on"
            + " its own, e.g. [0, '1-" + hi + "']");
        return -1;
      } else if (lo > hi) {
        error(v, path, "'" + s + "' is not a valid range: " + lo + " is greater than " + hi + "; write '" + hi
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

  private ClassMatcher classes(Node v, String path) {
    if (!enter(v, path)) {
      return null;
    }
    List<String> patterns = new ArrayList<String>();
    boolean ok = true;
    if (v instanceof SequenceNode) {
      List<Node> items = ((SequenceNode) v).getValue();
      if (items.isEmpty()) {
        error(v, path, "the list is empty; give at least one class pattern");
        return null;
      }
      for (int i = 0; i < items.size(); i++) {
        String ip = path + "[" + i + "]";
        Node item = items.get(i);
        String p = enter(item, ip) ? classPattern(item, ip) : null;
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

  private String classPattern(Node v, String path) {
    String p = string(v, path, "a class pattern such as 'org.example.**', or a list of them");
    if (p == null) {
      return null;
    }
    String why = ClassMatcher.check(p);
    if (why != null) {
      error(v, path, "'" + p + "' is not a valid class pattern: " + why);
      return null;
    }
    return p;
  }

  private AddressMatcher address(Node v, String path) {
    if (!enter(v, path)) {
      return null;
    }
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

  /**
   * Admits a node for inspection: counts it against the node budget and rejects non-standard tags and recursive
   * aliases. Returns false (after reporting, where there is something to report) if it must not be inspected.
   */
  private boolean enter(Node n, String path) {
    if (++nodes > MAX_NODES) {
      if (nodes == MAX_NODES + 1) {
        error(n, path, "the policy is too large: more than " + MAX_NODES + " values after expanding aliases");
      }
      return false;
    }
    Tag tag = n.getTag();
    if (!(Tag.STR.equals(tag) || Tag.INT.equals(tag) || Tag.BOOL.equals(tag) || Tag.NULL.equals(tag)
        || Tag.FLOAT.equals(tag) || Tag.SEQ.equals(tag) || Tag.MAP.equals(tag) || Tag.ENV_TAG.equals(tag))) {
      String t = tag.getValue();
      if (t.startsWith(Tag.PREFIX)) {
        t = "!!" + t.substring(Tag.PREFIX.length());
      }
      error(n, path, "the tag " + t + " is not allowed; a policy uses plain YAML values only");
      return false;
    }
    if (n.isRecursive()) {
      error(n, path, "recursive alias: this value contains itself");
      return false;
    }
    return true;
  }

  /** The value of an optional key, or null when the key is absent or its value may not be inspected. */
  private Node value(NodeTuple t, String path) {
    return t != null && enter(t.getValueNode(), path) ? t.getValueNode() : null;
  }

  private MappingNode asMap(Node n, String path, String expected) {
    if (n instanceof MappingNode) {
      return (MappingNode) n;
    }
    error(n, path, "expected " + expected + ", got " + describe(n));
    return null;
  }

  /**
   * The entries of a map by key, first occurrence only; reports non-string keys, duplicate keys and, when
   * {@code allowed} is given, unknown keys (which are left out).
   */
  private Map<String, NodeTuple> entries(MappingNode m, String path, String[] allowed) {
    Map<String, NodeTuple> out = new LinkedHashMap<String, NodeTuple>();
    Map<String, Node> seen = new HashMap<String, Node>();
    for (NodeTuple t : m.getValue()) {
      Node k = t.getKeyNode();
      if (!enter(k, path)) {
        continue;
      }
      if (!(k instanceof ScalarNode)) {
        error(k, path, "a key must be a plain string, got " + describe(k));
        continue;
      }
      String key = ((ScalarNode) k).getValue();
      String kp = path.isEmpty() ? key : path + "." + key;
      Node first = seen.get(key);
      if (first != null) {
        int firstLine = line(first);
        error(k, kp, "duplicate key '" + key + "' (first at line " + firstLine
            + (firstLine == line(k) ? ", column " + (first.getStartMark().get().getColumn() + 1) : "") + ")");
        continue;
      }
      seen.put(key, k);
      if (allowed != null && indexOf(allowed, key) < 0) {
        String near = nearest(key, allowed);
        error(k, kp, "unknown key '" + key + "'" + (key.equals("<<") ? "; merge keys ('<<') are not supported"
            : near != null ? "; did you mean '" + near + "'?" : " (expected one of: " + join(allowed) + ")"));
        continue;
      }
      out.put(key, t);
    }
    return out;
  }

  private void missing(Node at, String path, String key, String hint) {
    error(at, path, "missing required key '" + key + "'" + (hint != null ? " (" + hint + ")" : ""));
  }

  /** An integer scalar's value, or {@link #BAD} after reporting a type error. */
  private long integer(Node v, String path, String expected) {
    if (!enter(v, path)) {
      return BAD;
    }
    if (v instanceof ScalarNode && Tag.INT.equals(v.getTag())) {
      return parseInt(((ScalarNode) v).getValue());
    }
    String hint = v instanceof ScalarNode && Tag.STR.equals(v.getTag())
        && parseInt(((ScalarNode) v).getValue()) != BAD ? "; remove the quotes" : "";
    error(v, path, "expected " + expected + ", got " + describe(v) + hint);
    return BAD;
  }

  /** A string scalar's value, or null after reporting a type error. */
  private String string(Node v, String path, String expected) {
    if (v instanceof ScalarNode && (Tag.STR.equals(v.getTag()) || Tag.ENV_TAG.equals(v.getTag()))) {
      return ((ScalarNode) v).getValue();
    }
    String hint = v instanceof ScalarNode && !Tag.NULL.equals(v.getTag()) ? "; quote it to use it as text" : "";
    error(v, path, "expected " + expected + ", got " + describe(v) + hint);
    return null;
  }

  /** The index of an enum-valued key's value; {@link #ABSENT}, or {@link #INVALID} after reporting. */
  private int choice(Map<String, NodeTuple> e, String key, String parent, Enum<?>[] values, Node requiredAt) {
    NodeTuple t = e.get(key);
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
    Node v = t.getValueNode();
    if (!enter(v, path)) {
      return INVALID;
    }
    if (!(v instanceof ScalarNode) || !Tag.STR.equals(v.getTag())) {
      error(v, path, "expected one of " + join(ids) + ", got " + describe(v));
      return INVALID;
    }
    String s = ((ScalarNode) v).getValue();
    int i = indexOf(ids, s);
    if (i < 0) {
      String near = nearest(s, ids);
      error(v, path, "'" + s + "' is not one of " + join(ids) + (near != null ? "; did you mean '" + near + "'?" : ""));
      return INVALID;
    }
    return i;
  }

  /** A boolean key: 1 or 0, {@link #ABSENT}, or {@link #INVALID} after reporting. */
  private int flag(Map<String, NodeTuple> e, String key, String parent) {
    NodeTuple t = e.get(key);
    if (t == null) {
      return ABSENT;
    }
    Node v = t.getValueNode();
    String path = parent + "." + key;
    if (!enter(v, path)) {
      return INVALID;
    }
    if (v instanceof ScalarNode && Tag.BOOL.equals(v.getTag())) {
      return ((ScalarNode) v).getValue().equalsIgnoreCase("true") ? 1 : 0;
    }
    error(v, path, "expected true or false, got " + describe(v));
    return INVALID;
  }

  private boolean checkName(Node at, String path, String name, String what) {
    boolean ok = !name.isEmpty() && name.length() <= 64 && name.charAt(0) != '-' && name.charAt(0) != '.';
    for (int i = 0; ok && i < name.length(); i++) {
      char c = name.charAt(i);
      ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
          || c == '.';
    }
    if (!ok) {
      error(at, path, "'" + name + "' is not a valid " + what + "; use 1-64 letters, digits, '_', '-' and '.',"
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

  private static String text(Node v) {
    return ((ScalarNode) v).getValue();
  }

  /** How a node reads in a message: "a map", "a list", "an integer (5)", "a string ('ten')", ... */
  static String describe(Node n) {
    if (n instanceof MappingNode) {
      return "a map";
    } else if (n instanceof SequenceNode) {
      return "a list";
    }
    String v = ((ScalarNode) n).getValue();
    if (v.length() > 40) {
      v = v.substring(0, 37) + "...";
    }
    Tag t = n.getTag();
    if (Tag.NULL.equals(t)) {
      return "nothing (null)";
    } else if (Tag.INT.equals(t)) {
      return "an integer (" + v + ")";
    } else if (Tag.FLOAT.equals(t)) {
      return "a number (" + v + ")";
    } else if (Tag.BOOL.equals(t)) {
      return "a boolean (" + v + ")";
    }
    return "a string ('" + v + "')";
  }

  // ---------------------------------------------------------------------------------------------- problems

  private static int line(Node n) {
    return n.getStartMark().isPresent() ? n.getStartMark().get().getLine() + 1 : 0;
  }

  private void error(Node n, String path, String message) {
    errorAt(n.getStartMark().orElse(null), path, message);
  }

  private void errorAt(Mark m, String path, String message) {
    if (errors.size() >= MAX_ERRORS) {
      droppedErrors++;
      return;
    }
    errors.add(problem(Problem.Severity.ERROR, m, path, message));
  }

  private void warn(Node n, String path, String message) {
    warnings.add(problem(Problem.Severity.WARNING, n.getStartMark().orElse(null), path, message));
  }

  private Problem problem(Problem.Severity severity, Mark m, String path, String message) {
    return new Problem(severity, source, m == null ? 0 : m.getLine() + 1, m == null ? 0 : m.getColumn() + 1,
        path, message);
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
