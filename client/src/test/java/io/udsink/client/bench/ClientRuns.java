package io.udsink.client.bench;

import io.udsink.client.Mode;
import io.udsink.client.UdsinkClient;
import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Whole-client measurements for {@code scripts/bench}:
 *
 * <pre>
 *   throughput SOCKET LINES   one thread, blocking mode, counters with two tags: lines/s until
 *                             close() has sent everything
 *   outage SOCKET SECONDS     emit for SECONDS with no collector at SOCKET, then for SECONDS into
 *                             a closed client: emits and process CPU seconds of each
 * </pre>
 */
public final class ClientRuns {
  private ClientRuns() {}

  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: ClientRuns throughput SOCKET LINES | outage SOCKET SECONDS");
      System.exit(2);
    }
    if (args[0].equals("throughput")) {
      throughput(args[1], Long.parseLong(args[2]));
    } else {
      outage(args[1], Double.parseDouble(args[2]));
    }
  }

  private static void throughput(String socket, long lines) {
    UdsinkClient c =
        UdsinkClient.builder()
            .socket(socket)
            .mode(Mode.BLOCKING)
            .blockingTimeout(Duration.ofSeconds(60))
            .build();
    for (int i = 0; i < 200_000; i++) { // warm-up, also delivered
      c.count("bench.tp", 1, "env:prod", "host:web-1");
    }
    long t0 = System.nanoTime();
    for (long i = 0; i < lines; i++) {
      c.count("bench.tp", 1, "env:prod", "host:web-1");
    }
    c.close();
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "lines=%d secs=%.3f lines_per_sec=%.0f stats=%s%n", lines, secs, lines / secs, c.stats());
  }

  private static void outage(String socket, double seconds) {
    UdsinkClient down =
        UdsinkClient.builder().socket(socket + ".absent").errorHandler(e -> {}).build();
    report("collector down", down, seconds);
    down.close();
    UdsinkClient closed = UdsinkClient.builder().socket(socket).errorHandler(e -> {}).build();
    closed.close();
    report("closed client (drop counter)", closed, seconds);
  }

  private static void report(String label, UdsinkClient c, double seconds) {
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    long end = t0 + (long) (seconds * 1e9);
    long n = 0;
    while (System.nanoTime() < end) {
      for (int i = 0; i < 1000; i++) {
        c.count("bench.out", 1, "env:prod", "host:web-1");
      }
      n += 1000;
    }
    double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
    double wall = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "%s: emits=%d wall=%.2fs process_cpu=%.2fs ns_per_emit=%.1f dropped=%d%n",
        label, n, wall, cpu, wall * 1e9 / n, c.stats().droppedTotal());
  }
}
