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
  private final JsonDatagrams json;
  private final MetricLine line = new MetricLine();
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
    this.sink = sink;
    this.errors = errors;
    this.check = new LineCheck(maxDistributionValue);
    this.events = new EventParser(sink, errors);
    this.json = new JsonDatagrams(sink, errors, check, line);
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
    while (first < end && Bytes.isBlank(b[first])) {
      first++;
    }
    if (first < end && (b[first] == '{' || b[first] == '[')) {
      lines++;
      try {
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
            metricLine(b, s, le);
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

  /** {@code name:value[:value...]|type[|@rate][|#tags][|other fields]}. */
  private void metricLine(byte[] b, int s, int e) {
    int colon = Bytes.indexOf(b, (byte) ':', s, e);
    if (colon < 0 || Bytes.indexOf(b, (byte) '|', s, colon) >= 0) {
      fail(ParseError.MISSING_VALUE, b, s, e);
      return;
    }
    if (colon == s) {
      fail(ParseError.EMPTY_NAME, b, s, e);
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
    int tagCount = 0;
    for (int fs = typeEnd + 1, fe; fs <= e; fs = fe + 1) {
      fe = Bytes.fieldEnd(b, fs, e);
      if (fs == fe) {
        continue;
      }
      if (b[fs] == '@') {
        rate = Bytes.parseNumber(b, fs + 1, fe);
        bad = LineCheck.rate(rate);
      } else if (b[fs] == '#') {
        tagCount = Tags.split(l, b, fs + 1, fe, tagCount);
        bad = LineCheck.tagCount(tagCount);
      } // c:container-id, T<timestamp> and unknown fields are accepted and ignored
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
    l.tagCount = Tags.sort(l, b, tagCount);
    l.json = false;
    bad = LineCheck.key(l);
    if (bad != null) {
      fail(bad, b, s, e);
      return;
    }
    sink.metric(l);
  }

  /**
   * Parses the values between {@code s} and {@code e} into the line.
   *
   * @return null when they are fine, otherwise why not
   */
  private ParseError values(byte[] b, int s, int e, MetricType type) {
    MetricLine l = line;
    int count = 0;
    int vs = s;
    while (true) {
      int ve = Bytes.indexOf(b, (byte) ':', vs, e);
      if (ve < 0) {
        ve = e;
      }
      if (ve == vs) {
        return ParseError.BAD_VALUE;
      }
      ParseError bad = LineCheck.valueCount(count + 1);
      if (bad != null) {
        return bad;
      }
      l.ensureValues(count + 1);
      if (type == MetricType.SET) {
        l.memberStarts[count] = vs;
        l.memberEnds[count] = ve;
      } else {
        double v = Bytes.parseNumber(b, vs, ve);
        bad = check.value(type, v);
        if (bad != null) {
          return bad;
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

  private void fail(ParseError reason, byte[] b, int s, int e) {
    errors.onParseError(reason, b, s, e);
  }
}
