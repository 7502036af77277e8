package io.udsink.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A stand-in collector on a Unix datagram socket: it reads every datagram and keeps its lines,
 * the counters' sums by name and tags, and the samples' counts. {@link #freeze()} stops reading
 * (the kernel queue fills, as with a collector that hangs); {@link #close()} removes the socket.
 */
final class Collector implements AutoCloseable {
  final Path path;
  final List<String> lines = new CopyOnWriteArrayList<>();
  final Map<String, Double> sums = new ConcurrentHashMap<>();
  final Map<String, Long> samples = new ConcurrentHashMap<>();
  final AtomicLong datagrams = new AtomicLong();
  private final AFUNIXDatagramChannel channel;
  private final Thread reader;
  private volatile boolean frozen;
  private volatile boolean stop;

  Collector(Path path) throws IOException {
    this.path = path;
    channel = AFUNIXDatagramChannel.open();
    channel.bind(AFUNIXSocketAddress.of(path));
    reader = new Thread(this::read, "test-collector");
    reader.setDaemon(true);
    reader.start();
  }

  private void read() {
    ByteBuffer buf = ByteBuffer.allocate(70_000);
    try {
      channel.configureBlocking(true);
      while (!stop) {
        if (frozen) {
          java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
          continue;
        }
        buf.clear();
        channel.receive(buf);
        datagrams.incrementAndGet();
        for (String l :
            new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).split("\n")) {
          take(l);
        }
      }
    } catch (IOException e) {
      // closed
    }
  }

  private void take(String l) {
    lines.add(l);
    int colon = l.indexOf(':');
    int bar = l.indexOf('|');
    if (colon < 0 || bar < colon || l.startsWith("_")) {
      return;
    }
    String name = l.substring(0, colon);
    String[] values = l.substring(colon + 1, bar).split(":");
    String rest = l.substring(bar + 1);
    String type = rest.split("\\|")[0];
    int hash = rest.indexOf("|#");
    String tags = hash < 0 ? "" : rest.substring(hash + 2).split("\\|")[0];
    String key = name + (tags.isEmpty() ? "" : "#" + tags);
    switch (type) {
      case "c" -> {
        for (String v : values) {
          sums.merge(key, Double.parseDouble(v), Double::sum);
        }
      }
      case "ms", "h", "d" -> samples.merge(key, (long) values.length, Long::sum);
      default -> {}
    }
  }

  double sum(String key) {
    return sums.getOrDefault(key, 0.0);
  }

  long samples(String key) {
    return samples.getOrDefault(key, 0L);
  }

  /** Stops reading: the socket stays, its queue fills. */
  void freeze() {
    frozen = true;
  }

  void thaw() {
    frozen = false;
  }

  @Override
  public void close() throws IOException {
    stop = true;
    channel.close();
    Files.deleteIfExists(path);
  }

  static void await(String what, long seconds, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }
}
