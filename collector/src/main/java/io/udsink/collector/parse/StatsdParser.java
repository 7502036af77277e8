package io.udsink.collector.parse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Parses datagrams of StatsD / DogStatsD lines, and JSON datagrams, into calls on a
 * {@link MetricSink}. One instance per thread: it reuses its arrays.
 *
 * <p>A datagram holds lines separated by {@code \n} ({@code \r\n} and a trailing newline are
 * fine; blank lines are skipped). A metric line is
 *
 * <pre>
 *   name:value[:value...]|type[|@rate][|#tag,k:v,...][|c:container][|T1700000000][|x:ignored]
 * </pre>
 *
 * Metric lines are parsed without allocating: offsets into one reused byte array are passed to
 * the sink. A malformed line goes to the {@link ParseErrorListener} with its reason and never
 * affects the other lines. Events ({@code _e{...}}), service checks ({@code _sc|...}) and JSON
 * datagrams (first non-blank byte {@code {} or {@code [}) allocate; they are rare.
 */
public final class StatsdParser {
  /** Most tags accepted on one line. */
  public static final int MAX_TAGS = 256;
  /** Most values accepted on one line ({@code name:1:2:3|h}). */
  public static final int MAX_VALUES = 1024;
  /**
   * Smallest sample rate accepted: one sample in a billion. Below it, 1 / rate says nothing
   * useful and magnifies a value beyond what a sum can hold.
   */
  public static final double MIN_SAMPLE_RATE = 1e-9;
  /** Most bytes of a metric name and its tags together; a series costs a few times this. */
  public static final int MAX_KEY_BYTES = 4096;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final double[] POW10 = new double[23];

  static {
    double p = 1;
    for (int i = 0; i < POW10.length; i++) {
      POW10[i] = p;
      p *= 10;
    }
  }

  private final MetricSink sink;
  private final ParseErrorListener errors;
  private final double maxDistributionValue;
  private final MetricLine line = new MetricLine();
  private byte[] buf = new byte[8192];
  private byte[] scratch = new byte[1024];
  private long lines;
  private long internalErrors;

  /**
   * Creates a parser.
   *
   * @param sink gets every valid line
   * @param errors gets every rejected line
   * @param maxDistributionValue largest magnitude of a timer, histogram or distribution value
   *     that the sink can hold (what its sketches can index); larger ones are rejected
   */
  public StatsdParser(MetricSink sink, ParseErrorListener errors, double maxDistributionValue) {
    this.sink = sink;
    this.errors = errors;
    this.maxDistributionValue = maxDistributionValue;
  }

  /** Lines seen so far (valid or not; blank lines not counted). */
  public long lines() {
    return lines;
  }

  /**
   * Parses one datagram from its position to its limit (the position is advanced).
   *
   * @param datagram the datagram
   */
  public void parse(ByteBuffer datagram) {
    int len = datagram.remaining();
    if (buf.length < len) {
      buf = new byte[Math.max(len, buf.length * 2)];
    }
    datagram.get(buf, 0, len);
    parse(buf, 0, len);
  }

  /**
   * Parses one datagram held in {@code b[off, off + len)}. A line that makes the parser or the
   * sink fail with an exception is counted ({@link ParseError#INTERNAL_ERROR}) and costs that
   * line only.
   *
   * @param b the bytes
   * @param off where the datagram starts
   * @param len its length
   */
  public void parse(byte[] b, int off, int len) {
    int end = off + len;
    int first = off;
    while (first < end && isBlank(b[first])) {
      first++;
    }
    if (first < end && (b[first] == '{' || b[first] == '[')) {
      lines++;
      try {
        parseJson(b, off, end);
      } catch (RuntimeException e) {
        internalError(e, b, off, end);
      }
      return;
    }
    int s = off;
    while (s < end) {
      int nl = indexOf(b, (byte) '\n', s, end);
      int e = nl < 0 ? end : nl;
      int le = e;
      if (le > s && b[le - 1] == '\r') {
        le--;
      }
      if (le > s) {
        lines++;
        try {
          parseLine(b, s, le);
        } catch (RuntimeException ex) {
          internalError(ex, b, s, le);
        }
      }
      s = e + 1;
    }
  }

  private void internalError(RuntimeException e, byte[] b, int s, int end) {
    if (internalErrors++ == 0) {
      org.slf4j.LoggerFactory.getLogger(StatsdParser.class)
          .error("a line could not be processed (counted as internal_error; later ones are "
              + "counted without a stack trace)", e);
    }
    fail(ParseError.INTERNAL_ERROR, b, s, end);
  }

  private void parseLine(byte[] b, int s, int e) {
    if (b[s] == '_' && e - s > 3) {
      if (b[s + 1] == 'e' && b[s + 2] == '{') {
        parseEvent(b, s, e);
        return;
      }
      if (b[s + 1] == 's' && b[s + 2] == 'c' && b[s + 3] == '|') {
        parseServiceCheck(b, s, e);
        return;
      }
    }
    int colon = indexOf(b, (byte) ':', s, e);
    if (colon < 0 || indexOf(b, (byte) '|', s, colon) >= 0) {
      fail(ParseError.MISSING_VALUE, b, s, e);
      return;
    }
    if (colon == s) {
      fail(ParseError.EMPTY_NAME, b, s, e);
      return;
    }
    int pipe = indexOf(b, (byte) '|', colon + 1, e);
    if (pipe < 0) {
      fail(ParseError.MISSING_TYPE, b, s, e);
      return;
    }
    int typeEnd = indexOf(b, (byte) '|', pipe + 1, e);
    if (typeEnd < 0) {
      typeEnd = e;
    }
    MetricType type = type(b, pipe + 1, typeEnd);
    if (type == null) {
      fail(typeEnd == pipe + 1 ? ParseError.MISSING_TYPE : ParseError.UNKNOWN_TYPE, b, s, e);
      return;
    }
    MetricLine l = line;
    l.bytes = b;
    l.type = type;
    ParseError bad = parseValues(b, colon + 1, pipe, type);
    if (bad != null) {
      fail(bad, b, s, e);
      return;
    }
    double rate = 1;
    int tagCount = 0;
    int i = typeEnd;
    while (i < e) {
      int fs = i + 1;
      int fe = indexOf(b, (byte) '|', fs, e);
      if (fe < 0) {
        fe = e;
      }
      if (fs < fe) {
        byte f = b[fs];
        if (f == '@') {
          rate = parseNumber(b, fs + 1, fe);
          ParseError r = checkRate(rate);
          if (r != null) {
            fail(r, b, s, e);
            return;
          }
        } else if (f == '#') {
          tagCount = splitTags(b, fs + 1, fe, tagCount);
          if (tagCount < 0) {
            fail(ParseError.TOO_MANY_TAGS, b, s, e);
            return;
          }
        }
        // c:container-id, T<timestamp> and unknown fields are accepted and ignored
      }
      i = fe;
    }
    if (!isAscii(b, s, e)) {
      if (!Utf8.isValid(b, s, e)) {
        fail(ParseError.INVALID_UTF8, b, s, e);
        return;
      }
    }
    l.nameStart = s;
    l.nameEnd = colon;
    l.sampleRate = rate;
    l.tagCount = sortTags(b, tagCount);
    l.json = false;
    if (keyBytes(l) > MAX_KEY_BYTES) {
      fail(ParseError.TOO_LONG, b, s, e);
      return;
    }
    sink.metric(l);
  }

  private static int keyBytes(MetricLine l) {
    int n = l.nameEnd - l.nameStart;
    for (int i = 0; i < l.tagCount; i++) {
      n += l.tagEnds[i] - l.tagStarts[i];
    }
    return n;
  }

  /** Why a sample rate is refused, or null when it is fine. */
  static ParseError checkRate(double rate) {
    if (!(rate > 0 && rate <= 1)) {
      return ParseError.BAD_SAMPLE_RATE;
    }
    return rate < MIN_SAMPLE_RATE ? ParseError.SAMPLE_RATE_OUT_OF_RANGE : null;
  }

  private static MetricType type(byte[] b, int s, int e) {
    int n = e - s;
    if (n == 1) {
      switch (b[s]) {
        case 'c': return MetricType.COUNTER;
        case 'g': return MetricType.GAUGE;
        case 's': return MetricType.SET;
        case 'h': return MetricType.HISTOGRAM;
        case 'd': return MetricType.DISTRIBUTION;
        default: return null;
      }
    }
    if (n == 2 && b[s] == 'm' && b[s + 1] == 's') {
      return MetricType.TIMER;
    }
    return null;
  }

  /**
   * Parses the values between {@code s} and {@code e} into the line.
   *
   * @return null when they are fine, otherwise why not
   */
  private ParseError parseValues(byte[] b, int s, int e, MetricType type) {
    MetricLine l = line;
    int count = 0;
    int vs = s;
    while (true) {
      int ve = indexOf(b, (byte) ':', vs, e);
      if (ve < 0) {
        ve = e;
      }
      if (ve == vs || count == MAX_VALUES) {
        return ParseError.BAD_VALUE;
      }
      l.ensureValues(count + 1);
      if (type == MetricType.SET) {
        l.memberStarts[count] = vs;
        l.memberEnds[count] = ve;
      } else {
        double v = parseNumber(b, vs, ve);
        if (Double.isNaN(v) || Double.isInfinite(v)) {
          return ParseError.BAD_VALUE;
        }
        if (type.isDistribution() && Math.abs(v) > maxDistributionValue) {
          return ParseError.VALUE_OUT_OF_RANGE;
        }
        l.values[count] = v;
        l.deltas[count] = type == MetricType.GAUGE && (b[vs] == '+' || b[vs] == '-');
      }
      count++;
      if (ve == e) {
        l.valueCount = count;
        return null;
      }
      vs = ve + 1;
    }
  }

  /**
   * Parses a decimal number without allocating in the common cases; NaN when it is not one.
   * Exact for up to 15 significant digits and 22 decimals (both operands of the division are
   * exact doubles, so the quotient is correctly rounded); otherwise falls back to the JDK.
   */
  static double parseNumber(byte[] b, int s, int e) {
    if (s >= e) {
      return Double.NaN;
    }
    int i = s;
    boolean negative = false;
    if (b[i] == '+' || b[i] == '-') {
      negative = b[i] == '-';
      i++;
    }
    long mantissa = 0;
    int digits = 0;
    int fraction = 0;
    boolean dot = false;
    boolean any = false;
    for (; i < e; i++) {
      byte c = b[i];
      if (c >= '0' && c <= '9') {
        any = true;
        if (mantissa == 0 && c == '0') {
          if (dot) {
            fraction++;
          }
          continue;
        }
        if (digits >= 15) {
          return slowNumber(b, s, e);
        }
        mantissa = mantissa * 10 + (c - '0');
        digits++;
        if (dot) {
          fraction++;
        }
      } else if (c == '.' && !dot) {
        dot = true;
      } else if (c == 'e' || c == 'E') {
        return slowNumber(b, s, e);
      } else {
        return Double.NaN;
      }
    }
    if (!any) {
      return Double.NaN;
    }
    if (fraction > 22) {
      return slowNumber(b, s, e);
    }
    double v = fraction == 0 ? mantissa : mantissa / POW10[fraction];
    return negative ? -v : v;
  }

  private static double slowNumber(byte[] b, int s, int e) {
    for (int i = s; i < e; i++) {
      byte c = b[i];
      if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
        return Double.NaN;
      }
    }
    try {
      return Double.parseDouble(new String(b, s, e - s, StandardCharsets.US_ASCII));
    } catch (NumberFormatException ex) {
      return Double.NaN;
    }
  }

  private int splitTags(byte[] b, int s, int e, int count) {
    int ts = s;
    while (ts <= e) {
      int te = indexOf(b, (byte) ',', ts, e);
      if (te < 0) {
        te = e;
      }
      if (te > ts) {
        if (count == MAX_TAGS) {
          return -1;
        }
        line.tagStarts[count] = ts;
        line.tagEnds[count] = te;
        count++;
      }
      ts = te + 1;
    }
    return count;
  }

  /** Sorts the tags by their bytes (insertion sort: lines carry few tags) and drops repeats. */
  private int sortTags(byte[] b, int n) {
    int[] tagStarts = line.tagStarts;
    int[] tagEnds = line.tagEnds;
    for (int i = 1; i < n; i++) {
      int s = tagStarts[i];
      int e = tagEnds[i];
      int j = i - 1;
      if (compare(b, tagStarts[j], tagEnds[j], s, e) <= 0) {
        continue;
      }
      while (j >= 0 && compare(b, tagStarts[j], tagEnds[j], s, e) > 0) {
        tagStarts[j + 1] = tagStarts[j];
        tagEnds[j + 1] = tagEnds[j];
        j--;
      }
      tagStarts[j + 1] = s;
      tagEnds[j + 1] = e;
    }
    int out = 0;
    for (int i = 0; i < n; i++) {
      if (out > 0 && compare(b, tagStarts[out - 1], tagEnds[out - 1], tagStarts[i], tagEnds[i]) == 0) {
        continue;
      }
      tagStarts[out] = tagStarts[i];
      tagEnds[out] = tagEnds[i];
      out++;
    }
    return out;
  }

  static int compare(byte[] b, int s1, int e1, int s2, int e2) {
    return Arrays.compareUnsigned(b, s1, e1, b, s2, e2);
  }

  // ---- events: _e{<title length>,<text length>}:title|text|d:..|h:..|k:..|p:..|s:..|t:..|#..

  private void parseEvent(byte[] b, int s, int e) {
    if (!Utf8.isValid(b, s, e)) {
      fail(ParseError.INVALID_UTF8, b, s, e);
      return;
    }
    int comma = indexOf(b, (byte) ',', s + 3, e);
    int close = indexOf(b, (byte) '}', s + 3, e);
    if (comma < 0 || close < 0 || comma > close || close + 1 >= e || b[close + 1] != ':') {
      fail(ParseError.BAD_EVENT, b, s, e);
      return;
    }
    long titleLen = parseLength(b, s + 3, comma);
    long textLen = parseLength(b, comma + 1, close);
    int titleStart = close + 2;
    if (titleLen <= 0 || textLen < 0 || titleStart + titleLen + 1 + textLen > e
        || b[(int) (titleStart + titleLen)] != '|') {
      fail(ParseError.BAD_EVENT, b, s, e);
      return;
    }
    int textStart = (int) (titleStart + titleLen + 1);
    int textEnd = (int) (textStart + textLen);
    if (textEnd < e && b[textEnd] != '|') {
      fail(ParseError.BAD_EVENT, b, s, e);
      return;
    }
    String title = str(b, titleStart, textStart - 1).replace("\\n", "\n");
    String text = str(b, textStart, textEnd).replace("\\n", "\n");
    Long timestamp = null;
    String host = null;
    String key = null;
    String priority = null;
    String source = null;
    String alert = null;
    List<String> tags = new ArrayList<>();
    int i = textEnd;
    while (i < e) {
      int fs = i + 1;
      int fe = indexOf(b, (byte) '|', fs, e);
      if (fe < 0) {
        fe = e;
      }
      if (fe - fs >= 1 && b[fs] == '#') {
        addTags(b, fs + 1, fe, tags);
      } else if (fe - fs >= 2 && b[fs + 1] == ':') {
        String v = str(b, fs + 2, fe);
        switch (b[fs]) {
          case 'd':
            timestamp = parseTimestamp(v);
            if (timestamp == null) {
              fail(ParseError.BAD_EVENT, b, s, e);
              return;
            }
            break;
          case 'h': host = v; break;
          case 'k': key = v; break;
          case 'p': priority = v; break;
          case 's': source = v; break;
          case 't': alert = v; break;
          default: break;
        }
      }
      i = fe;
    }
    sink.event(new Event(title, text, timestamp, host, key, priority, source, alert,
        sortedDistinct(tags)));
  }

  // ---- service checks: _sc|name|status|d:..|h:..|#tags|m:message

  private void parseServiceCheck(byte[] b, int s, int e) {
    if (!Utf8.isValid(b, s, e)) {
      fail(ParseError.INVALID_UTF8, b, s, e);
      return;
    }
    int nameStart = s + 4;
    int nameEnd = indexOf(b, (byte) '|', nameStart, e);
    if (nameEnd <= nameStart) {
      fail(ParseError.BAD_SERVICE_CHECK, b, s, e);
      return;
    }
    int statusEnd = indexOf(b, (byte) '|', nameEnd + 1, e);
    if (statusEnd < 0) {
      statusEnd = e;
    }
    if (statusEnd - nameEnd != 2 || b[nameEnd + 1] < '0' || b[nameEnd + 1] > '3') {
      fail(ParseError.BAD_SERVICE_CHECK, b, s, e);
      return;
    }
    int status = b[nameEnd + 1] - '0';
    Long timestamp = null;
    String host = null;
    String message = null;
    List<String> tags = new ArrayList<>();
    int i = statusEnd;
    while (i < e) {
      int fs = i + 1;
      if (e - fs >= 2 && b[fs] == 'm' && b[fs + 1] == ':') {
        message = str(b, fs + 2, e).replace("\\n", "\n"); // the message runs to the end
        break;
      }
      int fe = indexOf(b, (byte) '|', fs, e);
      if (fe < 0) {
        fe = e;
      }
      if (fe - fs >= 1 && b[fs] == '#') {
        addTags(b, fs + 1, fe, tags);
      } else if (fe - fs >= 2 && b[fs + 1] == ':') {
        String v = str(b, fs + 2, fe);
        if (b[fs] == 'd') {
          timestamp = parseTimestamp(v);
          if (timestamp == null) {
            fail(ParseError.BAD_SERVICE_CHECK, b, s, e);
            return;
          }
        } else if (b[fs] == 'h') {
          host = v;
        }
      }
      i = fe;
    }
    sink.serviceCheck(new ServiceCheck(str(b, nameStart, nameEnd), status, timestamp, host,
        sortedDistinct(tags), message));
  }

  private static long parseLength(byte[] b, int s, int e) {
    if (s >= e || e - s > 9) {
      return -1;
    }
    long n = 0;
    for (int i = s; i < e; i++) {
      if (b[i] < '0' || b[i] > '9') {
        return -1;
      }
      n = n * 10 + (b[i] - '0');
    }
    return n;
  }

  private static Long parseTimestamp(String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static void addTags(byte[] b, int s, int e, List<String> out) {
    for (String t : str(b, s, e).split(",")) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
  }

  static List<String> sortedDistinct(List<String> tags) {
    if (tags.isEmpty()) {
      return List.of();
    }
    // byte order of UTF-8 equals code point order, which String.compareTo matches for BMP text
    return tags.stream().distinct().sorted(StatsdParser::compareUtf8).toList();
  }

  static int compareUtf8(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8),
        b.getBytes(StandardCharsets.UTF_8));
  }

  // ---- JSON datagrams

  private void parseJson(byte[] b, int s, int e) {
    if (!isAscii(b, s, e) && !Utf8.isValid(b, s, e)) {
      fail(ParseError.INVALID_UTF8, b, s, e); // the JSON parser would accept overlong forms
      return;
    }
    JsonNode root;
    try {
      root = JSON.readTree(b, s, e - s);
    } catch (IOException ex) {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    if (root == null) {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    if (root.isArray()) {
      for (JsonNode n : root) {
        jsonObject(n, b, s, e);
      }
    } else {
      jsonObject(root, b, s, e);
    }
  }

  private void jsonObject(JsonNode n, byte[] b, int s, int e) {
    if (!n.isObject()) {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    JsonNode nameNode = n.get("name");
    JsonNode typeNode = n.get("type");
    if (nameNode == null || !nameNode.isTextual() || nameNode.asText().isEmpty()
        || typeNode == null || !typeNode.isTextual()) {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    MetricType type = MetricType.ofLabel(typeNode.asText());
    if (type == null) {
      byte[] code = typeNode.asText().getBytes(StandardCharsets.UTF_8);
      type = type(code, 0, code.length);
    }
    if (type == null) {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    List<JsonNode> raw = new ArrayList<>();
    JsonNode value = n.get("value");
    JsonNode vals = n.get("values");
    if (value != null && !value.isNull()) {
      raw.add(value);
    } else if (vals != null && vals.isArray() && vals.size() > 0) {
      vals.forEach(raw::add);
    } else {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    if (raw.size() > MAX_VALUES) {
      fail(ParseError.BAD_VALUE, b, s, e);
      return;
    }
    double rate = 1;
    JsonNode rateNode = n.get("sample_rate");
    if (rateNode != null && !rateNode.isNull()) {
      rate = rateNode.isNumber() ? rateNode.asDouble() : Double.NaN;
      ParseError r = checkRate(rate);
      if (r != null) {
        fail(r, b, s, e);
        return;
      }
    }
    List<String> tags = new ArrayList<>();
    JsonNode tagsNode = n.get("tags");
    if (tagsNode != null && !tagsNode.isNull()) {
      if (tagsNode.isObject()) {
        Iterator<Map.Entry<String, JsonNode>> it = tagsNode.fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> t = it.next();
          String v = t.getValue() == null || t.getValue().isNull() ? "" : t.getValue().asText();
          tags.add(v.isEmpty() ? t.getKey() : t.getKey() + ":" + v);
        }
      } else if (tagsNode.isArray()) {
        for (JsonNode t : tagsNode) {
          if (!t.isTextual()) {
            fail(ParseError.BAD_JSON, b, s, e);
            return;
          }
          if (!t.asText().isEmpty()) {
            tags.add(t.asText());
          }
        }
      } else {
        fail(ParseError.BAD_JSON, b, s, e);
        return;
      }
    }
    if (tags.size() > MAX_TAGS) {
      fail(ParseError.TOO_MANY_TAGS, b, s, e);
      return;
    }
    // Lay the document's name, members and tags out in one scratch array, as a line would be.
    MetricLine l = line;
    l.type = type;
    l.ensureValues(raw.size());
    int p = 0;
    byte[] name = nameNode.asText().getBytes(StandardCharsets.UTF_8);
    p = append(p, name);
    l.nameStart = 0;
    l.nameEnd = p;
    for (int i = 0; i < raw.size(); i++) {
      JsonNode v = raw.get(i);
      if (type == MetricType.SET) {
        if (!(v.isTextual() || v.isNumber())) {
          fail(ParseError.BAD_JSON, b, s, e);
          return;
        }
        l.memberStarts[i] = p;
        p = append(p, v.asText().getBytes(StandardCharsets.UTF_8));
        l.memberEnds[i] = p;
      } else {
        if (!v.isNumber()) {
          fail(ParseError.BAD_JSON, b, s, e);
          return;
        }
        double d = v.asDouble();
        if (!Double.isFinite(d)) {
          fail(ParseError.BAD_VALUE, b, s, e);
          return;
        }
        if (type.isDistribution() && Math.abs(d) > maxDistributionValue) {
          fail(ParseError.VALUE_OUT_OF_RANGE, b, s, e);
          return;
        }
        l.values[i] = d;
        l.deltas[i] = false; // JSON gauges set, never adjust
      }
    }
    for (int i = 0; i < tags.size(); i++) {
      line.tagStarts[i] = p;
      p = append(p, tags.get(i).getBytes(StandardCharsets.UTF_8));
      line.tagEnds[i] = p;
    }
    l.bytes = scratch;
    l.valueCount = raw.size();
    l.sampleRate = rate;
    l.tagCount = sortTags(scratch, tags.size());
    l.json = true;
    if (keyBytes(l) > MAX_KEY_BYTES) {
      fail(ParseError.TOO_LONG, b, s, e);
      return;
    }
    sink.metric(l);
  }

  private int append(int p, byte[] src) {
    if (scratch.length < p + src.length) {
      scratch = Arrays.copyOf(scratch, Math.max(p + src.length, scratch.length * 2));
    }
    System.arraycopy(src, 0, scratch, p, src.length);
    return p + src.length;
  }

  // ---- helpers

  private void fail(ParseError reason, byte[] b, int s, int e) {
    errors.onParseError(reason, b, s, e);
  }

  private static String str(byte[] b, int s, int e) {
    return new String(b, s, e - s, StandardCharsets.UTF_8);
  }

  /** True when no byte of {@code b[s, e)} has its high bit set; eight bytes at a time. */
  static boolean isAscii(byte[] b, int s, int e) {
    long or = 0;
    int i = s;
    for (; i + 8 <= e; i += 8) {
      or |= (long) LONGS.get(b, i);
    }
    for (; i < e; i++) {
      or |= b[i];
    }
    return (or & 0x8080808080808080L) == 0;
  }

  /**
   * The first {@code c} in {@code b[from, to)}, or -1. Eight bytes at a time: XOR with the byte
   * repeated turns a match into a zero byte, and {@code (x - 0x01..) & ~x & 0x80..} marks the
   * lowest zero byte exactly (higher marks may be false, but only the lowest is used).
   */
  static int indexOf(byte[] b, byte c, int from, int to) {
    int i = from;
    long pattern = (c & 0xffL) * 0x0101010101010101L;
    for (; i + 8 <= to; i += 8) {
      long x = (long) LONGS.get(b, i) ^ pattern;
      long t = (x - 0x0101010101010101L) & ~x & 0x8080808080808080L;
      if (t != 0) {
        return i + (Long.numberOfTrailingZeros(t) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static final java.lang.invoke.VarHandle LONGS =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class,
          java.nio.ByteOrder.LITTLE_ENDIAN);

  private static boolean isBlank(byte c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }
}
