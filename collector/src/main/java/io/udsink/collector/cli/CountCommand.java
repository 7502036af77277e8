package io.udsink.collector.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.udsink.collector.loop.ReceiveLoop;
import io.udsink.collector.loop.SocketStats;
import io.udsink.collector.transport.BoundSocket;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;

/** {@code udsink count}: counts datagrams until stopped, then prints the totals. */
final class CountCommand implements Callable<Integer> {
  List<String> sockets = new ArrayList<>();

  Duration duration;

  boolean json;

  boolean perSocket;

  boolean progress;

  final ReceiveOptions receive = new ReceiveOptions();

  private final PrintStream out;

  CountCommand(PrintStream out) {
    this.out = out;
  }

  /** The command's options, bound to this object's fields. */
  Args args() {
    Args a =
        new Args(
            "count",
            "Count datagrams on one or more Unix datagram sockets until SIGINT/SIGTERM or --duration,",
            "then stop with nothing lost and print rx=<datagrams> bytes=<bytes> truncated=<n>.",
            "Sockets passed by systemd (LISTEN_FDS) are used; --takeover takes them from a running",
            "instance.");
    a.list("--socket", "PATH", Defaults.SOCKET_OPTION_HELP, sockets::add)
        .value(
            "--duration",
            "D",
            null,
            "Stop after this long (500ms, 10s, 2m); default: until a signal.",
            v -> duration = Durations.parse(v))
        .flag("--json", "Print the result as one JSON object.", () -> json = true)
        .flag("--per-socket", "Also print one result per socket.", () -> perSocket = true)
        .flag(
            "--progress",
            "Print a live rate line on stderr even when it is not a terminal.",
            () -> progress = true);
    receive.addTo(a);
    return a;
  }

  @Override
  public Integer call() throws Exception {
    StopSignals signals = StopSignals.install();
    signals.onHangup(
        () ->
            LoggerFactory.getLogger(CountCommand.class)
                .info("SIGHUP: count has nothing to reopen or reload"));
    receive.validate();
    Defaults.checkQueueLength();
    ReceiveOptions.Opened opened = receive.open(sockets, "count");
    List<BoundSocket> bound = opened.sockets();
    ReceiveLoop loop;
    try {
      loop =
          new ReceiveLoop(
              bound,
              (socket, datagram, truncated) -> {},
              receive.budget,
              receive.maxDatagram,
              duration == null ? Long.MAX_VALUE : duration.toNanos(),
              System::nanoTime);
    } catch (RuntimeException | java.io.IOException e) {
      opened.abandon();
      throw e;
    }
    Progress progressLine =
        progress || Terminal.isTerminal(2) ? Progress.start(loop.socketStats(), System.err) : null;
    Instance.run("count", loop, opened, signals, Duration.ofSeconds(30), new Instance.Hooks() {});
    if (progressLine != null) {
      progressLine.stop();
    }
    print(loop.socketStats());
    return 0;
  }

  private void print(SocketStats[] stats) throws Exception {
    long rx = 0;
    long bytes = 0;
    long truncated = 0;
    List<Map<String, Object>> perSocketJson = new ArrayList<>();
    for (SocketStats s : stats) {
      rx += s.datagrams();
      bytes += s.bytes();
      truncated += s.truncated();
      if (perSocket && !json) {
        out.println(
            "socket="
                + s.name()
                + " rx="
                + s.datagrams()
                + " bytes="
                + s.bytes()
                + " truncated="
                + s.truncated());
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("socket", s.name());
      m.put("rx", s.datagrams());
      m.put("bytes", s.bytes());
      m.put("truncated", s.truncated());
      perSocketJson.add(m);
    }
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("rx", rx);
      m.put("bytes", bytes);
      m.put("truncated", truncated);
      if (perSocket) {
        m.put("sockets", perSocketJson);
      }
      out.println(new ObjectMapper().writeValueAsString(m));
    } else {
      out.println("rx=" + rx + " bytes=" + bytes + " truncated=" + truncated);
    }
    out.flush();
  }

  /** The live line: datagrams/s, bytes/s and the total, once a second. */
  static final class Progress implements Runnable {
    private final SocketStats[] stats;
    private final PrintStream err;
    private final Thread thread;
    private volatile boolean running = true;

    private Progress(SocketStats[] stats, PrintStream err) {
      this.stats = stats;
      this.err = err;
      this.thread = new Thread(this, "udsink-progress");
      this.thread.setDaemon(true);
    }

    static Progress start(SocketStats[] stats, PrintStream err) {
      Progress p = new Progress(stats, err);
      p.thread.start();
      return p;
    }

    @Override
    public void run() {
      long lastRx = 0;
      long lastBytes = 0;
      long lastNs = System.nanoTime();
      while (running) {
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000_000L);
        long rx = 0;
        long bytes = 0;
        for (SocketStats s : stats) {
          rx += s.datagrams();
          bytes += s.bytes();
        }
        long now = System.nanoTime();
        double secs = (now - lastNs) / 1e9;
        err.printf(
            "\r%,12.0f datagrams/s %,14.0f bytes/s   total %,d   ",
            (rx - lastRx) / secs, (bytes - lastBytes) / secs, rx);
        err.flush();
        lastRx = rx;
        lastBytes = bytes;
        lastNs = now;
      }
    }

    void stop() throws InterruptedException {
      running = false;
      thread.interrupt();
      thread.join(5000); // its last line is out before the result is printed
      err.println();
    }
  }
}
