package io.udsink.collector.export.remotewrite;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import io.airlift.compress.snappy.SnappyDecompressor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.IntSupplier;

/**
 * A remote-write receiver on a loopback port that decodes what it is sent and answers with the
 * status a test chooses: the failures a real receiver would need to be broken to show.
 */
final class Receiver implements AutoCloseable {
  /** One decoded sample: a float, or a native histogram. */
  record Sample(Map<String, String> labels, double value, long timestampMs, Histogram histogram) {
    Sample(Map<String, String> labels, double value, long timestampMs) {
      this(labels, value, timestampMs, null);
    }

    String name() {
      return labels.get("__name__");
    }

    /** Prometheus' stale marker. */
    boolean stale() {
      return Double.doubleToRawLongBits(value) == 0x7ff0000000000002L;
    }
  }

  /**
   * A decoded native histogram.
   *
   * @param count observations
   * @param sum their sum
   * @param schema the bucket schema
   * @param zeroThreshold the zero bucket's width
   * @param zeroCount observations in it
   * @param positive each positive bucket's index and count
   * @param negative each negative bucket's index and count
   */
  record Histogram(
      long count,
      double sum,
      int schema,
      double zeroThreshold,
      long zeroCount,
      Map<Integer, Long> positive,
      Map<Integer, Long> negative) {}

  /** One request as received. */
  record Request(Headers headers, List<Sample> samples, long arrivedNs) {}

  final List<Request> accepted = new CopyOnWriteArrayList<>();
  final List<Request> received = new CopyOnWriteArrayList<>();
  private final HttpServer server;
  volatile IntSupplier status = () -> 204;
  volatile String answer = "";
  volatile Object gate;

  Receiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext(
        "/api/v1/write",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            long arrived = System.nanoTime();
            Object g = gate;
            if (g != null) {
              synchronized (g) {
                while (gate == g) {
                  g.wait();
                }
              }
            }
            Request r = new Request(exchange.getRequestHeaders(), decode(body), arrived);
            received.add(r);
            int code = status.getAsInt();
            if (code / 100 == 2) {
              accepted.add(r);
            }
            byte[] a = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(code, a.length == 0 ? -1 : a.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(a);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            exchange.close();
          }
        });
    server.start();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/v1/write");
  }

  /** Holds every request until {@link #open()}. */
  void hold() {
    gate = new Object();
  }

  void open() {
    Object g = gate;
    gate = null;
    if (g != null) {
      synchronized (g) {
        g.notifyAll();
      }
    }
  }

  /** Every accepted sample of this name, in the order received. */
  List<Sample> samples(String name) {
    List<Sample> out = new ArrayList<>();
    for (Request r : accepted) {
      for (Sample s : r.samples) {
        if (name.equals(s.name())) {
          out.add(s);
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    open();
    server.stop(0);
  }

  static List<Sample> decode(byte[] compressed) {
    int n = SnappyDecompressor.getUncompressedLength(compressed, 0);
    byte[] raw = new byte[n];
    new SnappyDecompressor().decompress(compressed, 0, compressed.length, raw, 0, n);
    List<Sample> out = new ArrayList<>();
    Proto p = new Proto(raw, 0, raw.length);
    while (p.more()) {
      int tag = (int) p.varint();
      if (tag != (1 << 3 | 2)) {
        throw new AssertionError("WriteRequest field " + tag);
      }
      Proto ts = p.message();
      Map<String, String> labels = new TreeMap<>();
      List<String> order = new ArrayList<>();
      double value = Double.NaN;
      long time = 0;
      int samples = 0;
      Histogram histogram = null;
      while (ts.more()) {
        int t = (int) ts.varint();
        Proto m = ts.message();
        if (t == (1 << 3 | 2)) {
          String k = null;
          String v = null;
          while (m.more()) {
            int f = (int) m.varint();
            String s = m.string();
            if (f == (1 << 3 | 2)) {
              k = s;
            } else {
              v = s;
            }
          }
          if (labels.put(k, v) != null) {
            throw new AssertionError("label " + k + " twice");
          }
          order.add(k);
        } else if (t == (2 << 3 | 2)) {
          samples++;
          while (m.more()) {
            int f = (int) m.varint();
            if (f == (1 << 3 | 1)) {
              value = Double.longBitsToDouble(m.fixed64());
            } else {
              time = m.varint();
            }
          }
        } else if (t == (4 << 3 | 2)) {
          samples++;
          Object[] h = histogram(m);
          histogram = (Histogram) h[0];
          time = (Long) h[1];
        } else {
          throw new AssertionError("TimeSeries field " + t);
        }
      }
      if (!order.equals(new ArrayList<>(labels.keySet()))) {
        throw new AssertionError("labels not sorted by name: " + order);
      }
      if (samples != 1) {
        throw new AssertionError(samples + " samples in a series");
      }
      out.add(new Sample(labels, value, time, histogram));
    }
    return out;
  }

  private static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  /** A Histogram message: the histogram and its timestamp. */
  private static Object[] histogram(Proto m) {
    long count = 0;
    double sum = 0;
    int schema = 0;
    double zeroThreshold = 0;
    long zeroCount = 0;
    long time = 0;
    List<long[]> posSpans = new ArrayList<>();
    List<long[]> negSpans = new ArrayList<>();
    List<Long> posDeltas = new ArrayList<>();
    List<Long> negDeltas = new ArrayList<>();
    while (m.more()) {
      int f = (int) m.varint();
      switch (f >>> 3) {
        case 1 -> count = m.varint();
        case 3 -> sum = Double.longBitsToDouble(m.fixed64());
        case 4 -> schema = (int) unzigzag(m.varint());
        case 5 -> zeroThreshold = Double.longBitsToDouble(m.fixed64());
        case 6 -> zeroCount = m.varint();
        case 8, 11 -> {
          Proto span = m.message();
          long offset = 0;
          long length = 0;
          while (span.more()) {
            int sf = (int) span.varint();
            if (sf >>> 3 == 1) {
              offset = unzigzag(span.varint());
            } else {
              length = span.varint();
            }
          }
          ((f >>> 3) == 8 ? negSpans : posSpans).add(new long[] {offset, length});
        }
        case 9, 12 -> {
          Proto d = m.message();
          while (d.more()) {
            ((f >>> 3) == 9 ? negDeltas : posDeltas).add(unzigzag(d.varint()));
          }
        }
        case 15 -> time = m.varint();
        default -> throw new AssertionError("Histogram field " + (f >>> 3));
      }
    }
    return new Object[] {
      new Histogram(
          count,
          sum,
          schema,
          zeroThreshold,
          zeroCount,
          buckets(posSpans, posDeltas),
          buckets(negSpans, negDeltas)),
      time
    };
  }

  private static Map<Integer, Long> buckets(List<long[]> spans, List<Long> deltas) {
    Map<Integer, Long> out = new TreeMap<>();
    int index = 0;
    int k = 0;
    long count = 0;
    for (int s = 0; s < spans.size(); s++) {
      index += (int) spans.get(s)[0];
      for (int i = 0; i < spans.get(s)[1]; i++) {
        count += deltas.get(k++);
        out.put(index++, count);
      }
    }
    if (k != deltas.size()) {
      throw new AssertionError(deltas.size() + " deltas for " + k + " buckets");
    }
    return out;
  }

  /** Reads protobuf fields. */
  private static final class Proto {
    private final byte[] b;
    private int pos;
    private final int end;

    Proto(byte[] b, int pos, int end) {
      this.b = b;
      this.pos = pos;
      this.end = end;
    }

    boolean more() {
      return pos < end;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; ; shift += 7) {
        byte x = b[pos++];
        v |= (long) (x & 0x7F) << shift;
        if (x >= 0) {
          return v;
        }
      }
    }

    long fixed64() {
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v |= (long) (b[pos++] & 0xFF) << (8 * i);
      }
      return v;
    }

    Proto message() {
      int len = (int) varint();
      Proto m = new Proto(b, pos, pos + len);
      pos += len;
      return m;
    }

    String string() {
      int len = (int) varint();
      String s = new String(b, pos, len, StandardCharsets.UTF_8);
      pos += len;
      return s;
    }
  }
}
