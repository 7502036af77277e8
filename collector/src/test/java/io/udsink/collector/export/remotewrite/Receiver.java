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
  /** One decoded sample. */
  record Sample(Map<String, String> labels, double value, long timestampMs) {
    String name() {
      return labels.get("__name__");
    }
  }

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
      out.add(new Sample(labels, value, time));
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
