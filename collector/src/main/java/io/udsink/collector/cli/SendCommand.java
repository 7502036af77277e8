package io.udsink.collector.cli;

import io.udsink.client.ClientErrorHandler;
import io.udsink.client.ClientStats;
import io.udsink.client.CollectorUnavailableException;
import io.udsink.client.Mode;
import io.udsink.client.UdsinkClient;
import io.udsink.collector.UsageException;
import io.udsink.collector.transport.SocketSpec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/** {@code udsink send}: sends datagrams and reports how many the kernel accepted. */
final class SendCommand implements Callable<Integer> {
  static final String BASE_LINE = "udsink.send:1|c";
  static final String PAD_TAG = "|#pad:";
  static final int MIN_PADDED = 22; // BASE_LINE + PAD_TAG + one pad byte

  String socket;

  long count;

  Integer size;

  String line;

  double rate;

  boolean nonblocking;

  private final PrintStream out;
  private final PrintStream err;

  SendCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  static byte[] payload(String line, Integer size) {
    if (line != null) {
      if (size != null) {
        throw new UsageException("give --line or --size, not both");
      }
      return line.replace("\\n", "\n").getBytes(StandardCharsets.UTF_8);
    }
    int s = size == null ? 64 : size;
    if (s != BASE_LINE.length() && (s < MIN_PADDED || s > 65535)) {
      throw new UsageException(
          "--size must be "
              + BASE_LINE.length()
              + " or between "
              + MIN_PADDED
              + " and 65535, was "
              + s);
    }
    StringBuilder sb = new StringBuilder(s).append(BASE_LINE);
    if (s > BASE_LINE.length()) {
      sb.append(PAD_TAG);
      while (sb.length() < s) {
        sb.append('x');
      }
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  boolean reliable;

  /** The command's options, bound to this object's fields. */
  Args args() {
    Args a =
        new Args(
            "send",
            "Send datagrams to a Unix datagram socket through the udsink client library, one line",
            "per datagram, and print tx=<sent> dropped=<n> error=<reason>. A dead collector (no",
            "socket file, refused, EPIPE) ends the run with exit status 1, unless --reliable.");
    a.value(
            "--socket",
            "PATH",
            null,
            "Socket path or @name (default: $UDSINK_SOCKET, else $DD_DOGSTATSD_URL "
                + "(unix:///path), else this user's collector socket if it exists, else "
                + io.udsink.client.DefaultSocket.SYSTEM
                + ").",
            v -> socket = v)
        .value(
            "--count",
            "N",
            "1000",
            "Datagrams to send (default: ${DEFAULT-VALUE}).",
            v -> count = Args.longInteger(v))
        .value(
            "--size",
            "S",
            null,
            "Bytes per datagram: the StatsD line "
                + BASE_LINE
                + " padded with a pad tag (default: 64; at least "
                + MIN_PADDED
                + ").",
            v -> size = Args.integer(v))
        .value(
            "--line",
            "TEXT",
            null,
            "Send TEXT as each datagram instead (\\n in TEXT separates lines).",
            v -> line = v)
        .value(
            "--rate",
            "R",
            "0",
            "Datagrams per second; 0 sends as fast as possible (default).",
            v -> rate = Args.decimal(v))
        .flag(
            "--nonblocking",
            "Never wait: a full queue drops the datagram (counted as dropped). "
                + "Without it a full queue makes the sender wait.",
            () -> nonblocking = true)
        .flag(
            "--reliable",
            "Keep datagrams the collector provably did not receive (it was stopped or "
                + "restarting) and send them again once it is back; implies waiting for room.",
            () -> reliable = true);
    return a;
  }

  @Override
  public Integer call() {
    if (count < 0) {
      throw new UsageException("--count must not be negative, was " + count);
    }
    if (!(rate >= 0) || Double.isInfinite(rate)) {
      throw new UsageException("--rate must be a non-negative number, was " + rate);
    }
    if (reliable && nonblocking) {
      throw new UsageException("give --reliable or --nonblocking, not both");
    }
    String target;
    try {
      target =
          socket != null
              ? socket
              : io.udsink.client.UdsinkClientBuilder.defaultSocket(System.getenv());
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    SocketSpec.parse(target);
    byte[] bytes = payload(line, size);
    String text = new String(bytes, StandardCharsets.UTF_8);
    if (bytes.length == 0 || bytes.length > 65536) {
      throw new UsageException("the datagram must be 1 to 65536 bytes, was " + bytes.length);
    }
    AtomicReference<CollectorUnavailableException> unavailable = new AtomicReference<>();
    AtomicReference<Exception> otherError = new AtomicReference<>();
    // One datagram per line: the maximum datagram size is the line's own size.
    UdsinkClient client =
        UdsinkClient.builder()
            .socket(target)
            .mode(reliable ? Mode.RELIABLE : nonblocking ? Mode.NON_BLOCKING : Mode.BLOCKING)
            .maxDatagramSize(bytes.length)
            .queueCapacity(256)
            .flushInterval(Duration.ofMillis(10))
            .blockingTimeout(Duration.ofSeconds(reliable ? 3600 : 10))
            .closeTimeout(Duration.ofSeconds(10))
            .errorHandler(
                new ClientErrorHandler() {
                  @Override
                  public void onError(Exception e) {
                    if (e instanceof CollectorUnavailableException) {
                      unavailable.compareAndSet(null, (CollectorUnavailableException) e);
                    } else {
                      otherError.compareAndSet(null, e);
                    }
                  }
                })
            .build();
    long intervalNs = rate > 0 ? (long) (1e9 / rate) : 0;
    long next = System.nanoTime();
    try {
      for (long i = 0; i < count; i++) {
        if (!reliable && unavailable.get() != null) {
          break; // a dead collector ends the run
        }
        if (intervalNs > 0) {
          long wait = next - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
          next += intervalNs;
        }
        client.sendRaw(text);
      }
    } finally {
      client.close();
    }
    ClientStats stats = client.stats();
    CollectorUnavailableException u = unavailable.get();
    Exception other = otherError.get();
    String error =
        u != null
            ? u.reason().errno()
            : other != null ? String.valueOf(other.getMessage()).replace(' ', '_') : "none";
    out.println(
        "tx=" + stats.datagramsSent() + " dropped=" + stats.droppedTotal() + " error=" + error);
    out.flush();
    if (u != null && stats.datagramsSent() < count) {
      err.println(
          "udsink send: " + u.getMessage() + "; stopped after " + stats.datagramsSent() + " sent");
      return 1;
    }
    if (other != null) {
      err.println("udsink send: sending to " + target + " failed: " + other.getMessage());
      return 1;
    }
    return 0;
  }
}
