package io.udsink.collector.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import io.udsink.client.CollectorUnavailableException;
import io.udsink.collector.UdsinkException;
import io.udsink.collector.transport.SocketSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code udsink send}: sends datagrams and reports how many the kernel accepted. */
@Command(name = "send", mixinStandardHelpOptions = true,
    description = {
        "Send datagrams to a Unix datagram socket and print tx=<sent> dropped=<n> error=<reason>.",
        "A dead collector (no socket file, refused, EPIPE) ends the run with exit status 1."})
final class SendCommand implements Callable<Integer> {
  static final String BASE_LINE = "udsink.send:1|c";
  static final String PAD_TAG = "|#pad:";
  static final int MIN_PADDED = 22; // BASE_LINE + PAD_TAG + one pad byte

  @Option(names = "--socket", paramLabel = "PATH",
      description = "Socket path or @name (default: $UDSINK_SOCKET or "
          + Defaults.SOCKET_DEFAULT + ").")
  String socket;

  @Option(names = "--count", paramLabel = "N", defaultValue = "1000",
      description = "Datagrams to send (default: ${DEFAULT-VALUE}).")
  long count;

  @Option(names = "--size", paramLabel = "S",
      description = "Bytes per datagram: the StatsD line " + BASE_LINE
          + " padded with a pad tag (default: 64; at least " + MIN_PADDED + ").")
  Integer size;

  @Option(names = "--line", paramLabel = "TEXT",
      description = "Send TEXT as each datagram instead (\\n in TEXT separates lines).")
  String line;

  @Option(names = "--rate", paramLabel = "R", defaultValue = "0",
      description = "Datagrams per second; 0 sends as fast as possible (default).")
  double rate;

  @Option(names = "--nonblocking",
      description = "Never wait: a full receive queue drops the datagram (counted as dropped). "
          + "Without it a full queue makes the sender wait.")
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
        throw new UdsinkException("give --line or --size, not both");
      }
      return line.replace("\\n", "\n").getBytes(StandardCharsets.UTF_8);
    }
    int s = size == null ? 64 : size;
    if (s != BASE_LINE.length() && (s < MIN_PADDED || s > 65535)) {
      throw new UdsinkException("--size must be " + BASE_LINE.length() + " or between "
          + MIN_PADDED + " and 65535, was " + s);
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

  @Override
  public Integer call() throws IOException {
    if (count < 0) {
      throw new UdsinkException("--count must not be negative, was " + count);
    }
    if (!(rate >= 0) || Double.isInfinite(rate)) {
      throw new UdsinkException("--rate must be a non-negative number, was " + rate);
    }
    String target = socket == null ? Defaults.socket() : socket;
    SocketSpec spec = SocketSpec.parse(target);
    byte[] bytes = payload(line, size);
    ByteBuffer data = ByteBuffer.allocateDirect(Math.max(1, bytes.length));
    data.put(bytes).flip();

    long tx = 0;
    long dropped = 0;
    String error = "none";
    CollectorUnavailableException unavailable = null;
    IOException other = null;
    try (AFUNIXDatagramChannel ch = AFUNIXDatagramChannel.open()) {
      SocketAddress addr = spec.isAbstract()
          ? AFUNIXSocketAddress.inAbstractNamespace(spec.abstractName())
          : AFUNIXSocketAddress.of(spec.path());
      try {
        ch.connect(addr);
        ch.configureBlocking(!nonblocking);
        long intervalNs = rate > 0 ? (long) (1e9 / rate) : 0;
        long next = System.nanoTime();
        for (long i = 0; i < count; i++) {
          if (intervalNs > 0) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
              LockSupport.parkNanos(wait);
            }
            next += intervalNs;
          }
          data.rewind();
          if (ch.write(data) > 0) {
            tx++;
          } else {
            dropped++; // non-blocking and the receive queue is full
          }
        }
      } catch (IOException e) {
        unavailable = CollectorUnavailableException.classify(target, e);
        if (unavailable != null) {
          error = unavailable.reason().errno();
        } else {
          other = e;
          error = String.valueOf(e.getMessage()).replace(' ', '_');
        }
      }
    }
    out.println("tx=" + tx + " dropped=" + dropped + " error=" + error);
    out.flush();
    if (unavailable != null) {
      err.println("udsink send: " + unavailable.getMessage() + "; stopped after " + tx
          + " sent");
      return 1;
    }
    if (other != null) {
      err.println("udsink send: sending to " + target + " failed: " + other);
      return 1;
    }
    return 0;
  }
}
