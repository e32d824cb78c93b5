package io.portres.policy.yaml;

/**
 * Reads the subset of YAML 1.2 that policy files use, into {@link YamlNode}s with exact line and column numbers.
 *
 * <p>Why not a YAML library: the agent reads its policy in {@code premain}, before the application starts, and
 * snakeyaml-engine cost about 40 ms there on JDK 17 (some 125 classes and the JVM's first lambdas), the agent's
 * whole start-up budget. This reader is a handful of small classes, with no lambdas and no regular expressions, and
 * it builds no object but its nodes.
 *
 * <p>What it reads: block mappings and sequences (including a sequence at its key's indentation, and
 * {@code - key: value} items), flow mappings and sequences (which may span lines, with comments), plain, single-
 * and double-quoted scalars, comments, an optional {@code ---} before and {@code ...} after the document, a byte
 * order mark and CRLF or CR line ends. Scalars are typed by the YAML 1.2 core schema ({@link YamlNode.Scalar}).
 *
 * <p>What it refuses, each with its own message and position: anchors and aliases (so no alias bombs), tags (so no
 * object construction), block scalars ({@code |}, {@code >}), complex keys ({@code ?}), empty keys, directives,
 * more than one document, duplicate keys, plain or quoted scalars that continue on the next line, nesting deeper
 * than {@value #MAX_DEPTH} and documents over {@value #MAX_CHARS} characters. It also refuses what the YAML spec
 * allows but common parsers (snakeyaml among them) do not, so that a policy it reads reads the same everywhere:
 * tabs in indentation and around {@code :} and {@code -} (tabs inside values, comments and brackets are fine),
 * plain values starting with {@code :} inside {@code [ ]} or <code>{ }</code>, the escapes {@code \L}, {@code \P}
 * and a backslash before a tab, and non-printable characters.
 */
public final class YamlReader {

  public static final int MAX_CHARS = 8 * 1024 * 1024;
  public static final int MAX_DEPTH = 64;
  /** YAML 1.2 (7.4.2, 8.2.2): an implicit key is at most 1024 characters, on one line. */
  public static final int MAX_KEY_CHARS = 1024;

  private final String s;
  private final int len;
  private final int[] lineStarts;
  private int pos;
  /**
   * Indentation of the content line {@link #pos} is on, after {@link #toNextContentLine}; -1 at the end of the
   * text or at a {@code ---} or {@code ...} line ({@link #pos} then stays on the marker).
   */
  private int lineIndent;
  private int depth;

  private YamlReader(String text, int[] lineStarts) {
    this.s = text;
    this.len = text.length();
    this.lineStarts = lineStarts;
  }

  /** The document's root node, or null for a document with no content (only comments, or empty). */
  public static YamlNode read(String text) throws YamlException {
    if (text.length() > MAX_CHARS) {
      throw new YamlException(1, 1, "the document is larger than " + (MAX_CHARS / (1024 * 1024))
          + " MiB; a policy is a few kilobytes");
    }
    String t = text.startsWith("\uFEFF") ? text.substring(1) : text;
    if (t.indexOf('\r') >= 0) {
      t = normalizeLineEnds(t);
    }
    return new YamlReader(t, lineStarts(t)).document();
  }

  private static String normalizeLineEnds(String t) {
    StringBuilder sb = new StringBuilder(t.length());
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c == '\r') {
        sb.append('\n');
        if (i + 1 < t.length() && t.charAt(i + 1) == '\n') {
          i++;
        }
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Where each line starts; refuses characters YAML does not allow in a document. */
  private static int[] lineStarts(String t) throws YamlException {
    int lines = 1;
    int lineStart = 0;
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c == '\n') {
        lines++;
        lineStart = i + 1;
      } else if ((c < ' ' && c != '\t') || (c >= 0x7F && c <= 0x9F && c != 0x85) || c == 0xFFFE || c == 0xFFFF) {
        throw new YamlException(lines, i - lineStart + 1, "the non-printable character U+" + hex4(c)
            + " is not allowed in YAML; inside double quotes write it as \\u" + hex4(c));
      }
    }
    int[] starts = new int[lines];
    int n = 1;
    for (int i = 0; i < t.length(); i++) {
      if (t.charAt(i) == '\n') {
        starts[n++] = i + 1;
      }
    }
    return starts;
  }

  private static String hex4(char c) {
    String h = Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT);
    return "0000".substring(h.length()) + h;
  }

  // ------------------------------------------------------------------ document

  private YamlNode document() throws YamlException {
    toNextContentLine();
    if (pos < len && s.charAt(pos) == '%') {
      throw error(pos, "YAML directives (%...) are not supported in a policy");
    }
    if (atMarker("---")) {
      pos += 3;
      int p = skipSpaces(pos);
      if (p < len && s.charAt(p) != '\n' && s.charAt(p) != '#') {
        checkNodeStart(p, false);
        throw error(p, "start the policy on the line after '---'");
      }
      finishLine();
      toNextContentLine();
    } else if (atMarker("...")) {
      throw error(pos, "'...' ends a document, but none has started; remove it");
    }
    YamlNode root = null;
    if (lineIndent >= 0) {
      root = blockNode();
      if (lineIndent >= 0) {
        throw misplacedAfterRoot(root);
      }
    }
    if (atMarker("...")) {
      int end = pos;
      pos += 3;
      finishLine();
      toNextContentLine();
      if (pos < len && !atMarker("---")) {
        throw error(pos, "a policy is a single YAML document; nothing may follow the '...' on line " + line(end));
      }
    }
    if (atMarker("---")) {
      throw error(pos, "a policy is a single YAML document; remove this '---' and what follows");
    }
    return root;
  }

  // ------------------------------------------------------------------ block context

  /** A node starting at {@link #pos}; returns with pos on the next content line. */
  private YamlNode blockNode() throws YamlException {
    char c = s.charAt(pos);
    if (c == '-' && blankOrEnd(pos + 1)) {
      return blockSequence(column(pos));
    }
    if (c == '[' || c == '{') {
      YamlNode n = flowNode();
      finishLine();
      toNextContentLine();
      return n;
    }
    checkNodeStart(pos, false);
    int start = pos;
    YamlNode.Scalar scalar = blockScalarOrKey();
    int after = skipSpaces(pos);
    if (after < len && s.charAt(after) == ':' && blankOrEnd(after + 1)) {
      pos = start;
      return blockMapping(column(start));
    }
    finishLine();
    toNextContentLine();
    return scalar;
  }

  private YamlNode.Mapping blockMapping(int indent) throws YamlException {
    enter(pos);
    YamlNode.Mapping m = new YamlNode.Mapping(line(pos), column(pos) + 1);
    while (true) {
      int keyPos = pos;
      char c = s.charAt(pos);
      if (c == '[' || c == '{') {
        throw error(pos, "expected 'key: value' here; a key is a plain or quoted word, not a collection");
      }
      checkNodeStart(pos, false);
      YamlNode.Scalar key = blockScalarOrKey();
      int keyEnd = pos;
      pos = skipSpaces(pos);
      if (pos >= len || s.charAt(pos) != ':' || !blankOrEnd(pos + 1)) {
        throw error(keyPos, "expected 'key: value' here (a key needs a ':' and a space after it)");
      }
      checkKey(m, key, keyPos, keyEnd);
      int colonPos = pos;
      pos = skipSpaces(pos + 1);
      YamlNode value;
      if (restIsBlank(pos)) {
        finishLine();
        toNextContentLine();
        if (lineIndent > indent) {
          value = blockNode();
        } else if (lineIndent == indent && isDash(pos)) {
          value = blockSequence(indent); // "key:" followed by "- item" at the key's indentation
        } else {
          value = new YamlNode.Scalar(line(colonPos), column(colonPos) + 2, "", false);
        }
      } else {
        value = inlineValue();
        finishLine();
        toNextContentLine();
      }
      m.add(new YamlNode.Entry(key, value));
      if (lineIndent < indent) {
        break;
      }
      if (lineIndent > indent) {
        throw misplaced(value, "'" + key.text() + "'", indent, "'" + key.text() + "' on line " + key.line(),
            "the list under '" + key.text() + "' (line " + value.line() + ")", "to add a key beside '" + key.text()
                + "', indent it like '" + key.text() + "' (column " + (indent + 1) + ")");
      }
      if (isDash(pos)) {
        throw error(pos, "a list item cannot follow 'key: value' at the same indentation; put the list under"
            + " its own key");
      }
    }
    depth--;
    return m;
  }

  private YamlNode.Sequence blockSequence(int indent) throws YamlException {
    enter(pos);
    YamlNode.Sequence q = new YamlNode.Sequence(line(pos), column(pos) + 1);
    while (true) {
      int dash = pos;
      YamlNode item;
      pos = skipSpaces(pos + 1);
      if (restIsBlank(pos)) {
        finishLine();
        toNextContentLine();
        if (lineIndent > indent) {
          item = blockNode();
        } else {
          item = new YamlNode.Scalar(line(dash), column(dash) + 2, "", false);
        }
      } else {
        item = blockNode(); // "- value", "- key: value" (a mapping at this column) or "- - nested"
      }
      q.add(item);
      if (lineIndent == indent && isDash(pos)) {
        continue;
      }
      if (lineIndent > indent) {
        throw misplaced(item, "the '-' of its list item", indent, "the list item on line " + line(dash),
            "the nested list on line " + item.line(), "to start a new item, write '- ' in column " + (indent + 1));
      }
      break;
    }
    depth--;
    return q;
  }

  /** A value on the same line as its key: a flow collection or a scalar. */
  private YamlNode inlineValue() throws YamlException {
    char c = s.charAt(pos);
    if (c == '[' || c == '{') {
      return flowNode();
    }
    if (c == '-' && blankOrEnd(pos + 1)) {
      throw error(pos, "a list cannot start on the same line as its key; put '- item' on the next lines,"
          + " or write [a, b]");
    }
    checkNodeStart(pos, false);
    int start = pos;
    YamlNode.Scalar v = blockScalarOrKey();
    int after = skipSpaces(pos);
    if (after < len && s.charAt(after) == ':' && blankOrEnd(after + 1)) {
      throw error(start, "a map cannot start on the same line as its key; put it on the next lines,"
          + " or write { key: value } (quote the value if it contains ': ')");
    }
    return v;
  }

  /** A quoted scalar, or a plain one that ends at ": ", " #" or the end of the line. */
  private YamlNode.Scalar blockScalarOrKey() throws YamlException {
    char c = s.charAt(pos);
    if (c == '"' || c == '\'') {
      return quoted();
    }
    int start = pos;
    int end = pos;
    while (end < len) {
      char ch = s.charAt(end);
      if (ch == '\n' || (ch == ':' && blankOrEnd(end + 1)) || (ch == '#' && end > start
          && isBlank(s.charAt(end - 1)))) {
        break;
      }
      end++;
    }
    return plain(start, end);
  }

  /**
   * The plain scalar from {@code start} to {@code end} less trailing blanks; {@link #pos} goes to {@code end}, after
   * those blanks (tabs there are fine, as in every YAML parser).
   */
  private YamlNode.Scalar plain(int start, int end) {
    int e = end;
    while (e > start && isBlank(s.charAt(e - 1))) {
      e--;
    }
    pos = end;
    return new YamlNode.Scalar(line(start), column(start) + 1, s.substring(start, e), false);
  }

  // ------------------------------------------------------------------ misplaced lines

  /**
   * The error for a content line indented more than the collection it is in ({@code ownerIndent}), after
   * {@code child} (the value or item just read) has ended. {@code owner} names the key or dash that lines up with
   * {@code ownerIndent}, {@code ownerItem} the entry or item that {@code child} belongs to, {@code listName}
   * the child if it is a list, {@code sibling} how to write a line that belongs to the owner's collection.
   */
  private YamlException misplaced(YamlNode child, String owner, int ownerIndent, String ownerItem,
      String listName, String sibling) {
    int childIndent = child.column() - 1;
    String name = child instanceof YamlNode.Mapping ? describe(child) : listName;
    if (!isBlock(child)) {
      return error(pos, "unexpected indentation: " + ownerItem + " already has its value, which cannot continue"
          + " on the next line (keep it on one line, quoted if needed); " + sibling);
    }
    if (lineIndent < childIndent) {
      return error(pos, "unexpected indentation: this line lines up with neither " + name + " (column "
          + child.column() + ") nor " + owner + " (column " + (ownerIndent + 1) + ")");
    }
    // lineIndent == childIndent: only a sequence ends at its own indentation (at a line without '- ')
    YamlNode.Sequence q = (YamlNode.Sequence) child;
    YamlNode last = q.items().get(q.items().size() - 1);
    return error(pos, "this line is indented like " + name + " but does not start with '- '; "
        + sibling + (last instanceof YamlNode.Mapping && isBlock(last) && last.column() > child.column()
            ? ", or like " + describe(last) + " (column " + last.column() + ") to add a key to the item above"
            : ""));
  }

  /** The error for a content line after the document's root node has ended. */
  private YamlException misplacedAfterRoot(YamlNode root) {
    if (root instanceof YamlNode.Scalar && !((YamlNode.Scalar) root).quoted()) {
      return error(root.line(), root.column(), "expected 'key: value' here (a key needs a ':' and a space after"
          + " it)");
    }
    if (!isBlock(root)) {
      return error(pos, "unexpected text after the document's value, which starts on line " + root.line());
    }
    if (lineIndent < root.column() - 1) {
      return error(pos, "this line is indented less than the first line of the policy (column " + root.column()
          + "); start all top-level keys in the same column");
    }
    return error(pos, "this line is indented like " + describe(root) + " but does not start with '- '");
  }

  /** "'firstKey'" for a map, "the list on line N" for a list. */
  private static String describe(YamlNode n) {
    if (n instanceof YamlNode.Mapping) {
      return "'" + ((YamlNode.Mapping) n).entries().get(0).key().text() + "'";
    }
    return "the list on line " + n.line();
  }

  /** Whether a node is a block collection (not a scalar, not in [ ] or { }). */
  private boolean isBlock(YamlNode n) {
    if (n instanceof YamlNode.Scalar) {
      return false;
    }
    char c = s.charAt(lineStarts[n.line() - 1] + n.column() - 1);
    return c != '[' && c != '{';
  }

  // ------------------------------------------------------------------ flow context

  private YamlNode flowNode() throws YamlException {
    char c = s.charAt(pos);
    if (c == '[') {
      return flowSequence();
    }
    if (c == '{') {
      return flowMapping();
    }
    checkNodeStart(pos, true);
    if (c == '"' || c == '\'') {
      return quoted();
    }
    return flowPlain();
  }

  private YamlNode.Sequence flowSequence() throws YamlException {
    int open = pos;
    enter(pos);
    YamlNode.Sequence q = new YamlNode.Sequence(line(pos), column(pos) + 1);
    pos++;
    skipFlowSpace(open);
    while (s.charAt(pos) != ']') {
      if (s.charAt(pos) == ',') {
        throw error(pos, "empty entry in a list (two commas in a row?)");
      }
      YamlNode item = flowNode();
      int after = skipBlanks(pos);
      if (after < len && s.charAt(after) == ':' && (after + 1 >= len || isFlowEnd(s.charAt(after + 1)))) {
        throw error(item.line(), item.column(), "'key: value' pairs inside [ ] are not supported; use { }");
      }
      q.add(item);
      afterFlowEntry(open, ']');
    }
    pos++;
    depth--;
    return q;
  }

  private YamlNode.Mapping flowMapping() throws YamlException {
    int open = pos;
    enter(pos);
    YamlNode.Mapping m = new YamlNode.Mapping(line(pos), column(pos) + 1);
    pos++;
    skipFlowSpace(open);
    while (s.charAt(pos) != '}') {
      int keyPos = pos;
      char c = s.charAt(pos);
      if (c == ',') {
        throw error(pos, "empty entry in a map (two commas in a row?)");
      }
      if (c == '[' || c == '{') {
        throw error(pos, "a key is a plain or quoted word, not a collection");
      }
      checkNodeStart(pos, true);
      YamlNode.Scalar key = c == '"' || c == '\'' ? quoted() : flowPlain();
      int keyEnd = pos;
      int afterKey = skipBlanks(pos);
      skipFlowSpace(open);
      if (s.charAt(pos) == ':' && afterKey < pos && s.substring(afterKey, pos).indexOf('\n') >= 0) {
        throw error(keyPos, "a key and its ':' must be on one line (YAML 1.2 allows no line break in an"
            + " implicit key); move the ':' up to line " + line(keyPos));
      }
      if (s.charAt(pos) != ':') {
        throw error(keyPos, "expected 'key: value' in the map opened on line " + line(open)
            + (!key.quoted() && key.text().indexOf(':') >= 0 ? " (a ':' needs a space after it)" : ""));
      }
      checkKey(m, key, keyPos, keyEnd);
      int colon = pos;
      pos++;
      skipFlowSpace(open);
      YamlNode value;
      c = s.charAt(pos);
      if (c == ',' || c == '}') {
        value = new YamlNode.Scalar(line(colon), column(colon) + 2, "", false);
      } else {
        value = flowNode();
      }
      m.add(new YamlNode.Entry(key, value));
      afterFlowEntry(open, '}');
    }
    pos++;
    depth--;
    return m;
  }

  /** After an entry of the flow collection opened at {@code open}: a ',' (skipped, with what follows) or the end. */
  private void afterFlowEntry(int open, char close) throws YamlException {
    skipFlowSpace(open);
    char c = s.charAt(pos);
    if (c == ',') {
      pos++;
      skipFlowSpace(open);
    } else if (c != close) {
      char other = close == ']' ? '}' : ']';
      throw error(pos, "expected ',' or '" + close + "' in the " + (close == ']' ? "list" : "map") + " opened on line "
          + line(open) + (c == other ? " (this '" + other + "' closes nothing)" : ""));
    }
  }

  /** A plain scalar inside [ ] or { }: ends at , [ ] { }, at ':' before a blank or one of those, or at " #". */
  private YamlNode.Scalar flowPlain() throws YamlException {
    int start = pos;
    if ((s.charAt(pos) == '-' || s.charAt(pos) == '?') && (pos + 1 >= len || isFlowEnd(s.charAt(pos + 1)))) {
      throw error(pos, s.charAt(pos) == '-' ? "a block list item ('- ') cannot appear inside [ ] or { }; write"
          + " [a, b] for a list, or quote the value if it starts with '-': \"" + word(pos, true) + " ...\""
          : "complex keys ('? ') are not supported in a policy; quote the value if it starts with '?'");
    }
    if (s.charAt(pos) == ':') {
      throw error(pos, "inside [ ] or { }, a value starting with ':' must be quoted: write \"" + word(pos, true)
          + "\"");
    }
    int end = pos;
    while (end < len) {
      char ch = s.charAt(end);
      if (ch == '\n' || ch == ',' || ch == '[' || ch == ']' || ch == '{' || ch == '}'
          || (ch == ':' && (end + 1 >= len || isFlowEnd(s.charAt(end + 1))))
          || (ch == '#' && end > start && isBlank(s.charAt(end - 1)))) {
        break;
      }
      end++;
    }
    return plain(start, end);
  }

  private static boolean isFlowEnd(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
  }

  /** Spaces, line breaks and comments inside the flow collection opened at {@code open}. */
  private void skipFlowSpace(int open) throws YamlException {
    while (true) {
      if (pos >= len) {
        throw error(open, "this '" + s.charAt(open) + "' is never closed with '" + (s.charAt(open) == '[' ? ']' : '}')
            + "'");
      }
      char c = s.charAt(pos);
      if (c == ' ' || c == '\t') {
        pos++;
      } else if (c == '\n') {
        pos++;
        if (isMarker(pos, "---") || isMarker(pos, "...")) {
          throw error(open, "this '" + s.charAt(open) + "' is not closed before the '" + s.substring(pos, pos + 3)
              + "' on line " + line(pos));
        }
      } else if (c == '#' && (isBlank(s.charAt(pos - 1)) || s.charAt(pos - 1) == '\n')) {
        while (pos < len && s.charAt(pos) != '\n') {
          pos++;
        }
      } else {
        return;
      }
    }
  }

  // ------------------------------------------------------------------ scalars

  private YamlNode.Scalar quoted() throws YamlException {
    int start = pos;
    char q = s.charAt(pos++);
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= len || s.charAt(pos) == '\n') {
        throw error(start, "this quoted string is not closed on its line (a quoted value must end on the line"
            + " where it starts)");
      }
      char c = s.charAt(pos++);
      if (c == q) {
        if (q == '\'' && pos < len && s.charAt(pos) == '\'') {
          sb.append('\'');
          pos++;
          continue;
        }
        break;
      }
      if (c == '\\' && q == '"') {
        escape(sb);
      } else {
        sb.append(c);
      }
    }
    return new YamlNode.Scalar(line(start), column(start) + 1, sb.toString(), true);
  }

  private void escape(StringBuilder sb) throws YamlException {
    int at = pos - 1;
    if (pos >= len || s.charAt(pos) == '\n') {
      throw error(at, "a backslash at the end of the line: a quoted value must end on the line where it starts");
    }
    char e = s.charAt(pos++);
    switch (e) {
      case '0': sb.append('\0'); break;
      case 'a': sb.append('\u0007'); break;
      case 'b': sb.append('\b'); break;
      case 't': sb.append('\t'); break;
      case 'n': sb.append('\n'); break;
      case 'v': sb.append('\u000B'); break;
      case 'f': sb.append('\f'); break;
      case 'r': sb.append('\r'); break;
      case 'e': sb.append('\u001B'); break;
      case ' ': sb.append(' '); break;
      case '"': sb.append('"'); break;
      case '/': sb.append('/'); break;
      case '\\': sb.append('\\'); break;
      case 'N': sb.append('\u0085'); break;
      case '_': sb.append('\u00A0'); break;
      case 'L':
      case 'P':
        throw error(at, "the escape '\\" + e + "' is not supported in a policy (some YAML parsers do not know it);"
            + " write \\u" + (e == 'L' ? "2028" : "2029"));
      case 'x': sb.appendCodePoint(hex(2, at)); break;
      case 'u': sb.appendCodePoint(hex(4, at)); break;
      case 'U': sb.appendCodePoint(hex(8, at)); break;
      default:
        throw error(at, "unknown escape '\\" + e + "' in a double-quoted string (write \\\\ for a backslash, or use"
            + " single quotes)");
    }
  }

  private int hex(int digits, int at) throws YamlException {
    long v = 0;
    for (int i = 0; i < digits; i++) {
      char c = pos < len ? s.charAt(pos) : '\n';
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F'
          ? c - 'A' + 10 : -1;
      if (d < 0) {
        throw error(at, "the escape '\\" + s.charAt(at + 1) + "' needs " + digits + " hexadecimal digits");
      }
      pos++;
      v = v * 16 + d;
    }
    if (v > Character.MAX_CODE_POINT) {
      throw error(at, "the escape '" + s.substring(at, pos) + "' is beyond Unicode (at most \\U0010FFFF)");
    }
    return (int) v;
  }

  /** Refuses what a plain scalar cannot start with, naming the YAML feature the policy subset leaves out. */
  private void checkNodeStart(int p, boolean flow) throws YamlException {
    char c = s.charAt(p);
    switch (c) {
      case '&':
        throw error(p, "anchors (&" + word(p + 1, flow) + ") are not supported in a policy; write each value out"
            + " in full");
      case '*':
        throw error(p, "'*' starts an alias, and aliases are not supported in a policy; if " + word(p, flow)
            + " is a value, quote it: \"" + word(p, flow) + "\"");
      case '!':
        throw error(p, "tags (" + word(p, flow) + ") are not supported in a policy; write plain values (quote a"
            + " value to make it a string)");
      case '|':
      case '>':
        throw error(p, "block scalars (| and >) are not supported in a policy; write the value on one line, quoted"
            + " if needed");
      case '?':
        if (blankOrEnd(p + 1)) {
          throw error(p, "complex keys (?) are not supported in a policy; write 'key: value'");
        }
        break;
      case ':':
        if (blankOrEnd(p + 1)) {
          throw error(p, "a key is missing before this ':'");
        }
        break;
      case '%':
      case '@':
      case '`':
        throw error(p, "'" + c + "' cannot start a plain value; quote the value");
      case ',':
      case ']':
      case '}':
        throw error(p, "unexpected '" + c + "'" + (flow ? "" : " (quote the value if it starts with it)"));
      case '#':
        throw error(p, "'#' cannot start a plain value; quote the value, or put a space before '#' to start a"
            + " comment");
      default:
        break;
    }
  }

  /** The run of characters from {@code p} up to a blank, a line end or (in flow context) , [ ] { }. */
  private String word(int p, boolean flow) {
    int e = p;
    while (e < len && !isBlank(s.charAt(e)) && s.charAt(e) != '\n' && !(flow && ",[]{}".indexOf(s.charAt(e)) >= 0)) {
      e++;
    }
    return s.substring(p, e);
  }

  /**
   * Checks the key just read (from {@code keyPos} to {@link #pos}) before the entry is added: present, at most
   * {@value #MAX_KEY_CHARS} characters (YAML's limit for a key without '?'), and not equal by value to an earlier
   * key of {@code m} ({@code 0x10} and {@code 16} are one key to YAML; {@code "16"} and {@code 16} are two).
   */
  private void checkKey(YamlNode.Mapping m, YamlNode.Scalar key, int keyPos, int keyEnd) throws YamlException {
    if (key.text().isEmpty() && !key.quoted()) {
      throw error(keyPos, "a key is missing before this ':'");
    }
    if (keyEnd - keyPos > MAX_KEY_CHARS) {
      throw error(keyPos, "this key is " + (keyEnd - keyPos) + " characters long; YAML allows at most "
          + MAX_KEY_CHARS + " in a key");
    }
    YamlNode.Entry first = m.same(key);
    if (first != null) {
      YamlNode.Scalar k = first.key();
      String same = k.text().equals(key.text()) ? ""
          : ", which YAML reads as the same " + typeName(key) + " as '" + shortText(k) + "'";
      throw error(keyPos, "duplicate key '" + shortText(key) + "' (first on line " + k.line()
          + (k.line() == key.line() ? ", column " + k.column() : "") + same + ")"
          + (same.isEmpty() ? "" : "; quote the keys to make them text: \"" + shortText(key) + "\""));
    }
  }

  private static String shortText(YamlNode.Scalar k) {
    String t = k.text();
    return t.length() <= 60 ? t : t.substring(0, 57) + "...";
  }

  private static String typeName(YamlNode.Scalar k) {
    switch (k.type()) {
      case NULL:
        return "null";
      case BOOLEAN:
        return "boolean";
      case INTEGER:
        return "integer";
      case FLOAT:
        return "number";
      default:
        return "text";
    }
  }

  // ------------------------------------------------------------------ lines

  /**
   * Moves {@link #pos} to the first character of the next line that has content (skipping blank and
   * comment-only lines) and sets {@link #lineIndent}. Must be called at a line's start.
   */
  private void toNextContentLine() throws YamlException {
    while (pos < len) {
      int lineStart = pos;
      int p = pos;
      while (p < len && s.charAt(p) == ' ') {
        p++;
      }
      if (p < len && s.charAt(p) == '\t') {
        throw error(p, "a tab indents this line; YAML indentation must use spaces (on blank and comment lines"
            + " too)");
      }
      if (p >= len) {
        pos = len;
        break;
      }
      char c = s.charAt(p);
      if (c == '\n') {
        pos = p + 1;
        continue;
      }
      if (c == '#') {
        while (p < len && s.charAt(p) != '\n') {
          p++;
        }
        pos = p < len ? p + 1 : len;
        continue;
      }
      pos = p;
      lineIndent = p == lineStart && (isMarker(p, "---") || isMarker(p, "...")) ? -1 : p - lineStart;
      return;
    }
    lineIndent = -1;
  }

  /** Whether {@link #toNextContentLine} stopped at this document marker. */
  private boolean atMarker(String marker) {
    return lineIndent < 0 && pos < len && s.startsWith(marker, pos);
  }

  /** After a value: only spaces and a comment may follow on this line. Moves to the next line's start. */
  private void finishLine() throws YamlException {
    int p = skipSpaces(pos);
    if (p < len && s.charAt(p) == '#' && !isBlank(s.charAt(p - 1))) {
      throw error(p, "a comment needs a space before the '#'");
    }
    if (p < len && s.charAt(p) != '\n' && s.charAt(p) != '#') {
      throw error(p, "unexpected text after the value (quote values that contain ': ' or ' #')");
    }
    while (p < len && s.charAt(p) != '\n') {
      p++;
    }
    pos = p < len ? p + 1 : len;
  }

  private boolean restIsBlank(int p) throws YamlException {
    p = skipSpaces(p);
    return p >= len || s.charAt(p) == '\n' || s.charAt(p) == '#';
  }

  /**
   * Skips spaces in block context. A tab there is refused: the YAML spec allows some, but common parsers
   * (snakeyaml among them) refuse tabs between the tokens of block structure, so a policy must not use them.
   */
  private int skipSpaces(int p) throws YamlException {
    while (p < len && s.charAt(p) == ' ') {
      p++;
    }
    if (p < len && s.charAt(p) == '\t') {
      throw error(p, "a tab here: use spaces (YAML parsers refuse tabs around ':' and '-' and after quoted or"
          + " bracketed values; tabs are fine inside values and comments)");
    }
    return p;
  }

  /** Skips spaces and tabs in flow context. */
  private int skipBlanks(int p) {
    while (p < len && isBlank(s.charAt(p))) {
      p++;
    }
    return p;
  }

  private boolean isDash(int p) {
    return p < len && s.charAt(p) == '-' && blankOrEnd(p + 1);
  }

  private boolean isMarker(int p, String marker) {
    return (p == 0 || s.charAt(p - 1) == '\n') && s.startsWith(marker, p) && blankOrEnd(p + 3);
  }

  private boolean blankOrEnd(int p) {
    return p >= len || isBlank(s.charAt(p)) || s.charAt(p) == '\n';
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }

  private void enter(int p) throws YamlException {
    if (++depth > MAX_DEPTH) {
      throw error(p, "lists and maps are nested more than " + MAX_DEPTH + " levels deep");
    }
  }

  private int line(int p) {
    int lo = 0;
    int hi = lineStarts.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (lineStarts[mid] <= p) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo + 1;
  }

  /** 0-based column. */
  private int column(int p) {
    return p - lineStarts[line(p) - 1];
  }

  private YamlException error(int p, String message) {
    int at = Math.min(p, len);
    return new YamlException(line(at), column(at) + 1, message);
  }

  private static YamlException error(int line, int column, String message) {
    return new YamlException(line, column, message);
  }
}
