package io.udsink.collector.parse;

import java.nio.ByteBuffer;

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
 * affects the other lines. Events ({@code _e{...}}) and service checks ({@code _sc|...}) go to
 * {@link EventParser}, JSON datagrams (first non-blank byte <code>{</code> or {@code [}) to
 * {@link JsonDatagrams}; they allocate, and are rare. Text and JSON lines pass the same
 * {@link LineCheck}s.
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

  private final MetricSink sink;
  private final ParseErrorListener errors;
  private final LineCheck check;
  private final EventParser events;
  private JsonDatagrams json; // made at the first JSON datagram: it brings Jackson's databind
  private final TagStyles styles;
  private final MetricLine line = new MetricLine();

  /** Where the sender's origin tag lies in {@link #buf}, after the datagram; empty for none. */
  private int originStart;

  private int originEnd;

  /** Under origin detection: {@code dd.internal.entity_id:<uid>} becomes {@code pod_uid:<uid>}. */
  private boolean podUids;

  /** A line rewritten in DogStatsD form (tags from the name, a container id). */
  private byte[] rewrite = new byte[512];

  private byte[] buf = new byte[8192];
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
    this(sink, errors, maxDistributionValue, TagStyles.ALL);
  }

  /**
   * Creates a parser that reads only some tag formats.
   *
   * @param sink gets every valid line
   * @param errors gets every rejected line
   * @param maxDistributionValue largest magnitude of a timer, histogram or distribution value
   * @param styles the tag formats read
   */
  public StatsdParser(
      MetricSink sink, ParseErrorListener errors, double maxDistributionValue, TagStyles styles) {
    this.sink = sink;
    this.errors = errors;
    this.check = new LineCheck(maxDistributionValue);
    this.events = new EventParser(sink, errors);
    this.styles = styles;
  }

  /**
   * Under origin detection, keeps the pod a DogStatsD client names in its reserved
   * {@code dd.internal.entity_id:<uid>} tag, as {@code pod_uid:<uid>}; without it that tag is
   * left out like the other reserved ones.
   *
   * @param on true under origin detection
   */
  public void podUidFromEntityId(boolean on) {
    this.podUids = on;
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
    parse(datagram, null);
  }

  /**
   * Parses one datagram and gives each of its metric lines one more tag, its sender's origin
   * ({@code container_id:<id>}, {@code systemd_unit:<unit>}), unless the line names its
   * container itself ({@code |c:<id>}, which wins). Events, service checks and JSON take no
   * origin tag.
   *
   * @param datagram the datagram, from its position to its limit (the position is advanced)
   * @param origin the tag as UTF-8, or null for none
   */
  public void parse(ByteBuffer datagram, byte[] origin) {
    int len = datagram.remaining();
    ensureBuffer(len + (origin == null ? 0 : origin.length));
    datagram.get(buf, 0, len);
    parseWithOrigin(len, origin);
  }

  /**
   * Parses one datagram held in {@code b[off, off + len)}, as {@link #parse(ByteBuffer, byte[])}
   * does: in place without an origin, copied beside it with one.
   *
   * @param b the bytes
   * @param off where the datagram starts
   * @param len its length
   * @param origin the origin tag as UTF-8, or null for none
   */
  public void parse(byte[] b, int off, int len, byte[] origin) {
    if (origin == null) {
      parse(b, off, len);
      return;
    }
    ensureBuffer(len + origin.length);
    System.arraycopy(b, off, buf, 0, len);
    parseWithOrigin(len, origin);
  }

  private void ensureBuffer(int need) {
    if (buf.length < need) {
      buf = new byte[Math.max(need, buf.length * 2)];
    }
  }

  private void parseWithOrigin(int len, byte[] origin) {
    if (origin != null) {
      System.arraycopy(origin, 0, buf, len, origin.length);
      originStart = len;
      originEnd = len + origin.length;
    }
    try {
      parseDatagram(buf, 0, len);
    } finally {
      originStart = 0;
      originEnd = 0;
    }
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
    originStart = 0;
    originEnd = 0;
    parseDatagram(b, off, len);
  }

  private void parseDatagram(byte[] b, int off, int len) {
    int end = off + len;
    int first = off;
    while (first < end && Bytes.isBlank(b[first])) {
      first++;
    }
    if (first < end && (b[first] == '{' || b[first] == '[' && jsonArray(b, first + 1, end))) {
      lines++;
      try {
        if (json == null) {
          json = new JsonDatagrams(sink, errors, check, line);
        }
        json.parse(b, off, end);
      } catch (RuntimeException e) {
        internalError(e, b, off, end);
      }
      return;
    }
    int s = off;
    while (s < end) {
      int e = Bytes.indexOf(b, (byte) '\n', s, end);
      if (e < 0) {
        e = end;
      }
      int le = e;
      if (le > s && b[le - 1] == '\r') {
        le--;
      }
      if (le > s) {
        lines++;
        try {
          if (!events.parse(b, s, le)) {
            metricLine(b, s, le, false);
          }
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
          .error(
              "a line could not be processed (counted as internal_error; later ones are "
                  + "counted without a stack trace)",
              e);
    }
    fail(ParseError.INTERNAL_ERROR, b, s, end);
  }

  /** A datagram that starts with {@code [} is a JSON array when {@code {} or {@code ]} follows. */
  private static boolean jsonArray(byte[] b, int i, int end) {
    while (i < end && Bytes.isBlank(b[i])) {
      i++;
    }
    return i < end && (b[i] == '{' || b[i] == ']');
  }

  /**
   * {@code name:value[:value...]|type[|@rate][|#tags][|c:container][|other fields]}.
   *
   * @param rewritten true for a line this parser wrote in DogStatsD form: its tags are all in
   *     {@code |#} fields
   */
  private void metricLine(byte[] b, int s, int e, boolean rewritten) {
    int colon = Bytes.indexOf(b, (byte) ':', s, e);
    if (colon < 0 || Bytes.indexOf(b, (byte) '|', s, colon) >= 0) {
      fail(ParseError.MISSING_VALUE, b, s, e);
      return;
    }
    if (colon == s) {
      fail(ParseError.EMPTY_NAME, b, s, e);
      return;
    }
    if (!rewritten && styles.nameTags() && nameTags(b, s, colon, e)) {
      return;
    }
    int pipe = Bytes.indexOf(b, (byte) '|', colon + 1, e);
    if (pipe < 0) {
      fail(ParseError.MISSING_TYPE, b, s, e);
      return;
    }
    int typeEnd = Bytes.fieldEnd(b, pipe + 1, e);
    MetricType type = MetricType.ofCode(b, pipe + 1, typeEnd);
    if (type == null) {
      if (!rewritten && multiMetric(b, s, colon, pipe, typeEnd, e)) {
        return;
      }
      fail(typeEnd == pipe + 1 ? ParseError.MISSING_TYPE : ParseError.UNKNOWN_TYPE, b, s, e);
      return;
    }
    MetricLine l = line;
    l.bytes = b;
    l.type = type;
    ParseError bad = values(b, colon + 1, pipe, type);
    if (bad != null) {
      fail(bad, b, s, e);
      return;
    }
    double rate = 1;
    long timestampMs = 0;
    int tagCount = 0;
    if (!rewritten && originEnd > originStart && b == buf) {
      l.tagStarts[0] = originStart; // first: a tag of the line with the same key wins over it
      l.tagEnds[0] = originEnd;
      tagCount = 1;
    }
    for (int fs = typeEnd + 1, fe; fs <= e; fs = fe + 1) {
      fe = Bytes.fieldEnd(b, fs, e);
      if (fs == fe) {
        continue;
      }
      if (b[fs] == '@') {
        rate = Bytes.parseNumber(b, fs + 1, fe);
        if (Double.isNaN(rate) || rate == 0) {
          rate = 1; // as statsd_exporter reads @0 and a rate that is no number
        }
        bad = LineCheck.rate(rate);
      } else if (b[fs] == '#' && (styles.dogstatsd() || rewritten)) {
        if (podUids && !rewritten && find(b, fs + 1, fe, ENTITY_ID) >= 0) {
          rewrite(b, s, colon, s, s, -1, -1, e); // the pod's uid becomes a tag
          return;
        }
        tagCount = Tags.split(l, b, fs + 1, fe, tagCount);
        bad = LineCheck.tagCount(tagCount);
      } else if (!rewritten && fe - fs > 2 && b[fs] == 'c' && b[fs + 1] == ':') {
        rewrite(b, s, colon, s, s, -1, -1, e); // the container id becomes a tag
        return;
      } else if (b[fs] == 'T') {
        bad = LineCheck.timestamp(b, fs + 1, fe, System.currentTimeMillis());
        if (bad == null && (type == MetricType.COUNTER || type == MetricType.GAUGE)) {
          timestampMs = Bytes.parseDigits(b, fs + 1, fe) * 1000; // checked above
        }
      } // e:<external data>, card:<cardinality> and unknown fields are ignored
      if (bad != null) {
        fail(bad, b, s, e);
        return;
      }
    }
    if (!Bytes.isAscii(b, s, e) && !Utf8.isValid(b, s, e)) {
      fail(ParseError.INVALID_UTF8, b, s, e);
      return;
    }
    l.nameStart = s;
    l.nameEnd = colon;
    l.sampleRate = rate;
    l.tagCount = Tags.sort(l, b, Tags.lastOfEachKey(l, b, tagCount));
    l.json = false;
    l.timestampMs = timestampMs;
    bad = LineCheck.key(l);
    if (bad != null) {
      fail(bad, b, s, e);
      return;
    }
    sink.metric(l);
  }

  /**
   * StatsD's old multi-metric line, {@code name:200|ms:300|ms:5|c|@0.1:6|g}: several samples of
   * one name, each with its own type and fields, separated by {@code :}. Read as statsd_exporter
   * reads it: only without {@code |#} tags, whose values may hold a {@code :}.
   *
   * @return true when the line was one (each sample was then parsed as a line of its own)
   */
  private boolean multiMetric(byte[] b, int s, int colon, int pipe, int typeEnd, int e) {
    if (Bytes.indexOf(b, (byte) ':', pipe + 1, typeEnd) < 0) {
      return false;
    }
    for (int i = colon; i + 1 < e; i++) {
      if (b[i] == '|' && b[i + 1] == '#') {
        return false;
      }
    }
    for (int vs = colon + 1, ve; vs <= e; vs = ve + 1) {
      ve = Bytes.indexOf(b, (byte) ':', vs, e);
      if (ve < 0) {
        ve = e;
      }
      int n = put(0, b, s, colon + 1);
      n = put(n, b, vs, ve);
      if (originEnd > originStart && b == buf) {
        n = put(n, PIPE_HASH, 0, 2);
        n = put(n, buf, originStart, originEnd);
      }
      metricLine(rewrite, 0, n, true);
    }
    return true;
  }

  /**
   * Reads tags in the name, as statsd_exporter does: SignalFx {@code name[k=v,...]} first (one
   * bracket alone leaves the name as it is), else InfluxDB {@code name,k=v,...} or Librato
   * {@code name#k=v,...} from the first {@code ,} or {@code #}.
   *
   * @return true when the name had tags: the line was then rewritten and parsed, or refused
   */
  private boolean nameTags(byte[] b, int s, int colon, int e) {
    if (styles.signalfx()) {
      int open = Bytes.indexOf(b, (byte) '[', s, colon);
      int close = Bytes.indexOf(b, (byte) ']', s, colon);
      if (open >= 0 && close > open) {
        return rewrite(b, s, colon, open, close + 1, open + 1, close, e);
      }
      if (open >= 0 || close >= 0) {
        return false;
      }
    }
    for (int i = s; i < colon; i++) {
      if (b[i] == '#' && styles.librato() || b[i] == ',' && styles.influxdb()) {
        return rewrite(b, s, colon, i, colon, i + 1, colon, e);
      }
    }
    return false;
  }

  /**
   * Writes the line in DogStatsD form and parses that: the name without {@code [cut, resume)},
   * the value and fields as they are but a {@code c:<id>} field, then one {@code |#} field with
   * the name's tags ({@code k=v} in {@code [ts, te)}, separated by commas; one without a key or
   * a value is left out, as statsd_exporter does) and {@code container_id:<id>}.
   *
   * @return true (the line was handled)
   */
  private boolean rewrite(byte[] b, int s, int colon, int cut, int resume, int ts, int te, int e) {
    int n = 0;
    n = put(n, b, s, cut);
    n = put(n, b, resume, colon);
    int valueStart = n;
    int typeEnd = Bytes.fieldEnd(b, Bytes.fieldEnd(b, colon, e) + 1, e);
    n = put(n, b, colon, Math.min(typeEnd, e));
    int containerStart = -1;
    int containerEnd = -1;
    int podStart = -1;
    int podEnd = -1;
    boolean dogTags = false;
    for (int fs = typeEnd + 1, fe; fs <= e; fs = fe + 1) {
      fe = Bytes.fieldEnd(b, fs, e);
      if (fe - fs > 2 && b[fs] == 'c' && b[fs + 1] == ':') {
        containerStart = fs + 2;
        containerEnd = fe;
        continue;
      }
      if (fe > fs && b[fs] == '#') {
        dogTags = true;
        if (!styles.dogstatsd()) {
          continue;
        }
        int at = podUids ? find(b, fs + 1, fe, ENTITY_ID) : -1;
        if (at >= 0) {
          podStart = at + ENTITY_ID.length;
          podEnd = Bytes.indexOf(b, (byte) ',', podStart, fe);
          podEnd = podEnd < 0 ? fe : podEnd;
        }
      }
      n = put(n, b, fs - 1, fe);
    }
    int tagsAt = n;
    n = put(n, PIPE_HASH, 0, 2);
    int tagsFrom = n;
    for (int i = ts; ts >= 0 && i <= te; ) {
      int j = Bytes.indexOf(b, (byte) ',', i, te);
      if (j < 0) {
        j = te;
      }
      int eq = Bytes.indexOf(b, (byte) '=', i, j);
      if (eq > i && eq < j - 1) {
        if (n > tagsFrom) {
          n = put(n, COMMA, 0, 1);
        }
        int k = n;
        n = put(n, b, i, j);
        rewrite[k + (eq - i)] = ':';
      }
      i = j + 1;
    }
    if (n > tagsFrom && dogTags) {
      fail(ParseError.MIXED_TAGGING_STYLES, b, s, e);
      return true;
    }
    if (containerStart >= 0) {
      if (n > tagsFrom) {
        n = put(n, COMMA, 0, 1);
      }
      n = put(n, CONTAINER_ID, 0, CONTAINER_ID.length);
      n = put(n, b, containerStart, containerEnd);
    } else if (originEnd > originStart && b == buf) {
      if (n > tagsFrom) {
        n = put(n, COMMA, 0, 1);
      }
      n = put(n, buf, originStart, originEnd); // the datagram names no container: its sender's
    }
    if (podStart >= 0 && podEnd > podStart) {
      if (n > tagsFrom) {
        n = put(n, COMMA, 0, 1);
      }
      n = put(n, POD_UID, 0, POD_UID.length);
      n = put(n, b, podStart, podEnd);
    }
    if (n == tagsFrom) {
      n = tagsAt; // no tag after all
    }
    if (valueStart == 0) {
      fail(ParseError.EMPTY_NAME, b, s, e);
      return true;
    }
    metricLine(rewrite, 0, n, true);
    return true;
  }

  private static final byte[] PIPE_HASH = {'|', '#'};
  private static final byte[] COMMA = {','};
  private static final byte[] ENTITY_ID =
      "dd.internal.entity_id:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] POD_UID =
      "pod_uid:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /** Where {@code needle} starts in {@code b[from, to)}, or -1. */
  private static int find(byte[] b, int from, int to, byte[] needle) {
    for (int i = Bytes.indexOf(b, needle[0], from, to);
        i >= 0 && i + needle.length <= to;
        i = Bytes.indexOf(b, needle[0], i + 1, to)) {
      if (java.util.Arrays.equals(b, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    return -1;
  }

  private static final byte[] CONTAINER_ID =
      "container_id:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private int put(int n, byte[] src, int from, int to) {
    int len = to - from;
    if (rewrite.length < n + len) {
      rewrite = java.util.Arrays.copyOf(rewrite, Math.max(n + len, rewrite.length * 2));
    }
    System.arraycopy(src, from, rewrite, n, len);
    return n + len;
  }

  /**
   * Parses the values between {@code s} and {@code e} into the line.
   *
   * @return null when they are fine, otherwise why not
   */
  private ParseError values(byte[] b, int s, int e, MetricType type) {
    MetricLine l = line;
    if (type == MetricType.SET) { // one member, colons and all, as the Datadog Agent reads it
      if (s == e) {
        return ParseError.BAD_VALUE;
      }
      l.ensureValues(1);
      l.memberStarts[0] = s;
      l.memberEnds[0] = e;
      l.valueCount = 1;
      return null;
    }
    int count = 0;
    for (int vs = s, ve; vs <= e; vs = ve + 1) {
      ve = Bytes.indexOf(b, (byte) ':', vs, e);
      if (ve < 0) {
        ve = e;
      }
      if (ve == vs) {
        continue; // an empty value of several: skipped, as the Datadog Agent does
      }
      ParseError bad = LineCheck.valueCount(count + 1);
      if (bad != null) {
        return bad;
      }
      l.ensureValues(count + 1);
      double v = Bytes.parseNumber(b, vs, ve);
      bad = check.value(type, v);
      if (bad != null) {
        return bad;
      }
      l.values[count] = v;
      l.deltas[count] = type == MetricType.GAUGE && (b[vs] == '+' || b[vs] == '-');
      count++;
    }
    l.valueCount = count;
    return count == 0 ? ParseError.BAD_VALUE : null;
  }

  private void fail(ParseError reason, byte[] b, int s, int e) {
    errors.onParseError(reason, b, s, e);
  }
}
