package io.udsink.collector.export.remotewrite;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A remote-write request being built: time series of one sample or one native histogram each,
 * encoded as the protobuf message {@code prometheus.WriteRequest} of the remote-write protocol
 * 1.0.
 *
 * <pre>
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
 *                  repeated Histogram histograms = 4; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 *   Histogram    { uint64 count_int = 1; double sum = 3; sint32 schema = 4;
 *                  double zero_threshold = 5; uint64 zero_count_int = 6;
 *                  repeated BucketSpan negative_spans = 8; repeated sint64 negative_deltas = 9;
 *                  repeated BucketSpan positive_spans = 11; repeated sint64 positive_deltas = 12;
 *                  int64 timestamp = 15; }
 *   BucketSpan   { sint32 offset = 1; uint32 length = 2; }
 * </pre>
 *
 * Only these fields are written; the encoding is short enough to write by hand, which keeps
 * protobuf's runtime out of the collector.
 */
final class WriteRequest {
  /** Prometheus' stale marker: the NaN that ends a series. */
  static final double STALE_NAN = Double.longBitsToDouble(0x7ff0000000000002L);

  /**
   * One time series: labels sorted by name, {@code __name__} among them; a sample, or an encoded
   * native histogram message.
   *
   * @param labels name, value, ... (encoded as UTF-8 when the request is)
   * @param value the sample (unused with a histogram)
   * @param timestampMs its time
   * @param nativeHistogram the native histogram, or null for a float sample
   * @param histogram it as an encoded {@code Histogram} message, or null
   * @param cumulative a counter's value, a histogram's bucket, count or sum: it only grows
   *     until a reset
   */
  record Series(
      String[] labels,
      double value,
      long timestampMs,
      Native nativeHistogram,
      byte[] histogram,
      boolean cumulative) {
    /** The same series with another sample: a float, or an empty histogram for a histogram. */
    Series zeroAt(long ms) {
      return nativeHistogram != null
          ? new Series(labels, 0, ms, nativeHistogram.empty(), null, true).encoded()
          : new Series(labels, 0, ms, null, null, cumulative);
    }

    /** The same series' stale marker. */
    Series staleAt(long ms) {
      return new Series(labels, STALE_NAN, ms, null, null, false);
    }

    private Series encoded() {
      return new Series(
          labels,
          value,
          timestampMs,
          nativeHistogram,
          WriteRequest.histogram(nativeHistogram, timestampMs),
          true);
    }
  }

  /**
   * A native histogram's state.
   *
   * @param count observations
   * @param sum their sum
   * @param schema the bucket schema (-4 to 8)
   * @param zeroThreshold the zero bucket's width
   * @param zeroCount observations in the zero bucket
   * @param negative indexes and counts of the negative buckets, ascending index
   * @param positive indexes and counts of the positive buckets, ascending index
   */
  record Native(
      long count,
      double sum,
      int schema,
      double zeroThreshold,
      long zeroCount,
      Buckets negative,
      Buckets positive) {
    /** The same histogram with no observation: how a histogram starts. */
    Native empty() {
      return new Native(0, 0, schema, zeroThreshold, 0, Buckets.NONE, Buckets.NONE);
    }
  }

  /**
   * Sparse buckets: {@code index[i]} holds {@code count[i]}.
   *
   * @param index ascending bucket indexes
   * @param count their counts
   */
  record Buckets(int[] index, long[] count) {
    static final Buckets NONE = new Buckets(new int[0], new long[0]);
  }

  private final List<Series> series = new ArrayList<>();

  /**
   * Adds a series.
   *
   * @param labels name, value, name, value, ... sorted by name, no name twice
   * @param value the sample
   * @param timestampMs its time, epoch ms
   */
  void add(String[] labels, double value, long timestampMs) {
    add(labels, value, timestampMs, false);
  }

  /**
   * Adds a series.
   *
   * @param labels name, value, name, value, ... sorted by name, no name twice
   * @param value the sample
   * @param timestampMs its time, epoch ms
   * @param cumulative true when the value only grows until a reset
   */
  void add(String[] labels, double value, long timestampMs, boolean cumulative) {
    series.add(new Series(labels, value, timestampMs, null, null, cumulative));
  }

  /**
   * Adds a native histogram series.
   *
   * @param labels name, value, ... sorted by name
   * @param h the histogram
   * @param timestampMs its time, epoch ms
   */
  void addHistogram(String[] labels, Native h, long timestampMs) {
    series.add(new Series(labels, 0, timestampMs, h, histogram(h, timestampMs), true));
  }

  /**
   * Adds a series as it was given to another request.
   *
   * @param s the series
   */
  void add(Series s) {
    series.add(s);
  }

  /** The series added, in order. */
  List<Series> series() {
    return series;
  }

  /** The protobuf {@code Histogram} message of {@code h}. */
  static byte[] histogram(Native h, long timestampMs) {
    Grow g = new Grow();
    g.tag(1, 0);
    g.varint(h.count());
    g.tag(3, 1);
    g.fixed64(Double.doubleToRawLongBits(h.sum()));
    g.tag(4, 0);
    g.varint(zigzag(h.schema()));
    g.tag(5, 1);
    g.fixed64(Double.doubleToRawLongBits(h.zeroThreshold()));
    g.tag(6, 0);
    g.varint(h.zeroCount());
    buckets(g, h.negative(), 8, 9);
    buckets(g, h.positive(), 11, 12);
    g.tag(15, 0);
    g.varint(timestampMs);
    return g.bytes();
  }

  private static void buckets(Grow g, Buckets b, int spansField, int deltasField) {
    if (b.index().length == 0) {
      return;
    }
    // spans: the first offset is the first index, later ones the gap since the previous span
    int start = 0;
    int previousEnd = 0;
    for (int i = 1; i <= b.index().length; i++) {
      if (i == b.index().length || b.index()[i] != b.index()[i - 1] + 1) {
        int offset = start == 0 ? b.index()[0] : b.index()[start] - previousEnd;
        Grow span = new Grow();
        span.tag(1, 0);
        span.varint(zigzag(offset));
        span.tag(2, 0);
        span.varint(i - start);
        g.tag(spansField, 2);
        g.varint(span.size());
        g.raw(span.bytes());
        previousEnd = b.index()[i - 1] + 1;
        start = i;
      }
    }
    Grow deltas = new Grow();
    long previous = 0;
    for (long c : b.count()) {
      deltas.varint(zigzag(c - previous));
      previous = c;
    }
    g.tag(deltasField, 2);
    g.varint(deltas.size());
    g.raw(deltas.bytes());
  }

  static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  /**
   * The same encoded request without native histograms: for a receiver that refuses them. A
   * series left with no sample is left out.
   *
   * @param raw an encoded {@code WriteRequest}
   * @return it without histograms, and how many series remain
   * @throws IllegalArgumentException when it does not parse
   */
  static Stripped withoutHistograms(byte[] raw) {
    Grow out = new Grow();
    int kept = 0;
    Reader r = new Reader(raw, 0, raw.length);
    while (r.more()) {
      int tag = (int) r.varint();
      if (tag != ((1 << 3) | 2)) {
        r.skip(tag & 7);
        continue;
      }
      Reader inner = r.message();
      Grow ts = new Grow();
      boolean samples = false;
      while (inner.more()) {
        int from = inner.pos;
        int t = (int) inner.varint();
        inner.skip(t & 7);
        if ((t >>> 3) == 4) {
          continue;
        }
        samples |= (t >>> 3) == 2;
        ts.raw(java.util.Arrays.copyOfRange(raw, from, inner.pos));
      }
      if (samples) {
        out.tag(1, 2);
        out.varint(ts.size());
        out.raw(ts.bytes());
        kept++;
      }
    }
    return new Stripped(out.bytes(), kept);
  }

  /** An encoded request and the series it holds. */
  record Stripped(byte[] body, int series) {}

  /** Series added so far. */
  int size() {
    return series.size();
  }

  /**
   * Encodes series {@code from} (inclusive) to {@code to} (exclusive).
   *
   * @return the protobuf bytes
   */
  byte[] encode(int from, int to) {
    int total = 0;
    int[] sizes = new int[to - from];
    for (int i = from; i < to; i++) {
      int size = seriesSize(series.get(i));
      sizes[i - from] = size;
      total += 1 + varintSize(size) + size;
    }
    Out out = new Out(total);
    for (int i = from; i < to; i++) {
      Series s = series.get(i);
      out.tag(1, 2);
      out.varint(sizes[i - from]);
      for (int l = 0; l < s.labels.length; l += 2) {
        int name = utf8Length(s.labels[l]);
        int value = utf8Length(s.labels[l + 1]);
        out.tag(1, 2);
        out.varint(labelSize(name, value));
        out.string(1, s.labels[l], name);
        out.string(2, s.labels[l + 1], value);
      }
      if (s.histogram != null) {
        out.tag(4, 2);
        out.varint(s.histogram.length);
        out.raw(s.histogram);
        continue;
      }
      out.tag(2, 2);
      out.varint(sampleSize(s.timestampMs));
      out.tag(1, 1);
      out.fixed64(Double.doubleToRawLongBits(s.value));
      out.tag(2, 0);
      out.varint(s.timestampMs);
    }
    if (out.pos != out.buf.length) {
      throw new IllegalStateException(
          "remote write encoding: " + out.pos + " of " + out.buf.length + " bytes");
    }
    return out.buf;
  }

  /** The length of a string in UTF-8 (as {@code getBytes(UTF_8)} writes it), without copying. */
  static int utf8Length(String v) {
    int n = v.length();
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c >= 0x80) {
        return v.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return n;
  }

  private static int seriesSize(Series s) {
    int n = 0;
    for (int l = 0; l < s.labels.length; l += 2) {
      int ls = labelSize(utf8Length(s.labels[l]), utf8Length(s.labels[l + 1]));
      n += 1 + varintSize(ls) + ls;
    }
    if (s.histogram != null) {
      return n + 1 + varintSize(s.histogram.length) + s.histogram.length;
    }
    int ss = sampleSize(s.timestampMs);
    return n + 1 + varintSize(ss) + ss;
  }

  private static int labelSize(int name, int value) {
    return 1 + varintSize(name) + name + 1 + varintSize(value) + value;
  }

  private static int sampleSize(long ts) {
    return 1 + 8 + 1 + varintSize(ts);
  }

  static int varintSize(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  /** A byte array filled front to back. */
  private static final class Out {
    final byte[] buf;
    int pos;

    Out(int size) {
      buf = new byte[size];
    }

    void tag(int field, int wireType) {
      varint((field << 3) | wireType);
    }

    void varint(long v) {
      while ((v & ~0x7FL) != 0) {
        buf[pos++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[pos++] = (byte) v;
    }

    void fixed64(long v) {
      for (int i = 0; i < 8; i++) {
        buf[pos++] = (byte) (v >>> (8 * i));
      }
    }

    void bytes(int field, byte[] b) {
      tag(field, 2);
      varint(b.length);
      raw(b);
    }

    void raw(byte[] b) {
      System.arraycopy(b, 0, buf, pos, b.length);
      pos += b.length;
    }

    /** A string field of {@code length} UTF-8 bytes; ASCII is copied char by char. */
    void string(int field, String v, int length) {
      tag(field, 2);
      varint(length);
      if (length == v.length()) {
        for (int i = 0; i < length; i++) {
          buf[pos++] = (byte) v.charAt(i);
        }
      } else {
        raw(v.getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  /** A growing byte array, for messages whose size is not known ahead. */
  private static final class Grow {
    private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(64);

    void tag(int field, int wireType) {
      varint((field << 3) | wireType);
    }

    void varint(long v) {
      while ((v & ~0x7FL) != 0) {
        out.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }

    void fixed64(long v) {
      for (int i = 0; i < 8; i++) {
        out.write((int) (v >>> (8 * i)));
      }
    }

    void raw(byte[] b) {
      out.write(b, 0, b.length);
    }

    int size() {
      return out.size();
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }

  /** Reads protobuf fields from a region of a byte array. */
  static final class Reader {
    private final byte[] buf;
    private final int end;
    int pos;

    Reader(byte[] buf, int from, int end) {
      if (from < 0 || end > buf.length || from > end) {
        throw new IllegalArgumentException("protobuf: region out of bounds");
      }
      this.buf = buf;
      this.pos = from;
      this.end = end;
    }

    boolean more() {
      return pos < end;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new IllegalArgumentException("protobuf: truncated varint");
        }
        byte b = buf[pos++];
        v |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("protobuf: varint too long");
    }

    long fixed64() {
      if (end - pos < 8) {
        throw new IllegalArgumentException("protobuf: truncated fixed64");
      }
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v |= (buf[pos++] & 0xFFL) << (8 * i);
      }
      return v;
    }

    /** The bytes of a length-delimited field, as a region of the same array. */
    Reader message() {
      int len = (int) varint();
      if (len < 0 || len > end - pos) {
        throw new IllegalArgumentException("protobuf: length out of bounds");
      }
      Reader r = new Reader(buf, pos, pos + len);
      pos += len;
      return r;
    }

    String string() {
      Reader r = message();
      return new String(buf, r.pos, r.end - r.pos, StandardCharsets.UTF_8);
    }

    void skip(int wireType) {
      switch (wireType) {
        case 0 -> varint();
        case 1 -> fixed64();
        case 2 -> message();
        case 5 -> {
          if (end - pos < 4) {
            throw new IllegalArgumentException("protobuf: truncated fixed32");
          }
          pos += 4;
        }
        default -> throw new IllegalArgumentException("protobuf: wire type " + wireType);
      }
    }
  }
}
