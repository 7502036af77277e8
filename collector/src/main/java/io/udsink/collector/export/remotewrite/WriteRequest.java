package io.udsink.collector.export.remotewrite;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A remote-write request being built: time series of one sample each, encoded as the protobuf
 * message {@code prometheus.WriteRequest} of the remote-write protocol 1.0.
 *
 * <pre>
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 * </pre>
 *
 * Only these fields are written; the encoding is short enough to write by hand, which keeps
 * protobuf's runtime out of the collector.
 */
final class WriteRequest {
  /** One time series: labels sorted by name, {@code __name__} among them. */
  record Series(byte[][] labels, double value, long timestampMs) {}

  private final List<Series> series = new ArrayList<>();

  /**
   * Adds a series.
   *
   * @param labels name, value, name, value, ... sorted by name, no name twice
   * @param value the sample
   * @param timestampMs its time, epoch ms
   */
  void add(String[] labels, double value, long timestampMs) {
    byte[][] b = new byte[labels.length][];
    for (int i = 0; i < labels.length; i++) {
      b[i] = labels[i].getBytes(StandardCharsets.UTF_8);
    }
    series.add(new Series(b, value, timestampMs));
  }

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
      int s = seriesSize(series.get(i));
      sizes[i - from] = s;
      total += 1 + varintSize(s) + s;
    }
    Out out = new Out(total);
    for (int i = from; i < to; i++) {
      Series s = series.get(i);
      out.tag(1, 2);
      out.varint(sizes[i - from]);
      for (int l = 0; l < s.labels.length; l += 2) {
        out.tag(1, 2);
        out.varint(labelSize(s.labels[l], s.labels[l + 1]));
        out.bytes(1, s.labels[l]);
        out.bytes(2, s.labels[l + 1]);
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

  private static int seriesSize(Series s) {
    int n = 0;
    for (int l = 0; l < s.labels.length; l += 2) {
      int ls = labelSize(s.labels[l], s.labels[l + 1]);
      n += 1 + varintSize(ls) + ls;
    }
    int ss = sampleSize(s.timestampMs);
    return n + 1 + varintSize(ss) + ss;
  }

  private static int labelSize(byte[] name, byte[] value) {
    return 1 + varintSize(name.length) + name.length + 1 + varintSize(value.length) + value.length;
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
      System.arraycopy(b, 0, buf, pos, b.length);
      pos += b.length;
    }
  }
}
