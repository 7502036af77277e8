package io.udsink.collector.takeover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.udsink.collector.BlockingSenders;
import io.udsink.collector.TestSupport;
import io.udsink.collector.UdsinkProcess;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.ProcessUser;
import io.udsink.collector.transport.SocketSpec;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Live takeover between real processes, under load: nothing lost, nothing twice, no error. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TakeoverTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void shouldHandCountOverThreeTimesUnderLoadLosingNothing() throws Exception {
    Path sock = dir.resolve("c.sock");
    List<UdsinkProcess> all = new ArrayList<>();
    UdsinkProcess current =
        UdsinkProcess.start(dir, List.of(), "count", "--socket", sock.toString());
    all.add(current);
    current.awaitSocket(sock);
    long total;
    try (BlockingSenders senders = new BlockingSenders(sock, 2, "takeover.count:1|c")) {
      for (int i = 0; i < 3; i++) {
        long before = senders.sent();
        TestSupport.await("load", WAIT, () -> senders.sent() > before + 2000);
        UdsinkProcess next =
            UdsinkProcess.start(dir, List.of(), "count", "--socket", sock.toString(), "--takeover");
        all.add(next);
        assertEquals(0, current.waitFor(WAIT), current.stderr());
        assertTrue(current.stderr().contains("handed over"), current.stderr());
        assertTrue(Files.exists(sock, LinkOption.NOFOLLOW_LINKS), "the file stays");
        current = next;
      }
      long before = senders.sent();
      TestSupport.await("load on the last", WAIT, () -> senders.sent() > before + 2000);
      senders.close();
      assertEquals(List.of(), senders.errors(), "senders saw no error");
      total = senders.sent();
    }
    assertEquals(0, current.stop(WAIT), current.stderr());
    long rx = 0;
    for (UdsinkProcess p : all) {
      rx += p.rx();
      assertTrue(p.rx() > 0, "every instance read: " + p.stdout());
      p.close();
    }
    assertEquals(total, rx, "counted once each, none lost");
    assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS), "the last one removed it");
  }

  @Test
  void shouldHandServeOverThreeTimesWithExactJsonTotalsAndMetricsThatNeverGoBack()
      throws Exception {
    Path sock = dir.resolve("s.sock");
    Path out = dir.resolve("out.jsonl");
    int port = UdsinkProcess.freePort();
    String[] args = {
      "serve",
      "--socket",
      sock.toString(),
      "--out",
      out.toString(),
      "--http",
      "127.0.0.1:" + port,
      "--flush-interval",
      "200ms"
    };
    List<UdsinkProcess> all = new ArrayList<>();
    UdsinkProcess current = UdsinkProcess.start(dir, List.of(), args);
    all.add(current);
    current.awaitSocket(sock);
    AtomicReference<String> backwards = new AtomicReference<>();
    List<Double> seen = new ArrayList<>();
    Thread scraper =
        new Thread(
            () -> {
              double last = 0;
              double lastDatagrams = 0;
              while (!Thread.currentThread().isInterrupted()) {
                String text = UdsinkProcess.get(port, "/metrics");
                if (text != null) {
                  Map<String, Double> m = metrics(text);
                  double v = m.getOrDefault("takeover_serve_total", 0.0);
                  double d = m.getOrDefault("udsink_datagrams_total", 0.0);
                  if (v < last || d < lastDatagrams) {
                    backwards.compareAndSet(
                        null,
                        v + " after " + last + ", datagrams " + d + " after " + lastDatagrams);
                  }
                  last = Math.max(last, v);
                  lastDatagrams = Math.max(lastDatagrams, d);
                  synchronized (seen) {
                    seen.add(v);
                  }
                }
              }
            });
    scraper.setDaemon(true);
    scraper.start();
    long total;
    try (BlockingSenders senders = new BlockingSenders(sock, 2, "takeover.serve:1|c")) {
      for (int i = 0; i < 3; i++) {
        long before = senders.sent();
        TestSupport.await("load", WAIT, () -> senders.sent() > before + 2000);
        UdsinkProcess next = UdsinkProcess.start(dir, List.of(), append(args, "--takeover"));
        all.add(next);
        assertEquals(0, current.waitFor(WAIT), current.stderr());
        current = next;
      }
      long before = senders.sent();
      TestSupport.await("load on the last", WAIT, () -> senders.sent() > before + 2000);
      senders.close();
      assertEquals(List.of(), senders.errors(), "senders saw no error");
      total = senders.sent();
    }
    TestSupport.await(
        "/metrics to show every sample",
        WAIT,
        () -> {
          String t = UdsinkProcess.get(port, "/metrics");
          return t != null && metrics(t).getOrDefault("takeover_serve_total", 0.0) == total;
        });
    scraper.interrupt();
    scraper.join(10_000);
    assertEquals(null, backwards.get(), "a value went backwards across a takeover");
    assertTrue(seen.size() > 10, "scraped along the way: " + seen.size());
    assertEquals(0, current.stop(WAIT), current.stderr());
    double json = 0;
    ObjectMapper om = new ObjectMapper();
    for (String line : Files.readAllLines(out)) {
      JsonNode n = om.readTree(line); // a torn or mixed line fails here
      if ("takeover.serve".equals(n.path("name").asText())) {
        json += n.get("value").asDouble();
      }
    }
    assertEquals(total, json, "the JSON lines of all four instances add up exactly");
    all.forEach(UdsinkProcess::close);
  }

  @Test
  void shouldGoOnServingWhenTheNewInstanceNeverConfirms() throws Exception {
    Path sock = dir.resolve("n.sock");
    try (UdsinkProcess old =
        UdsinkProcess.start(dir, List.of(), "count", "--socket", sock.toString())) {
      old.awaitSocket(sock);
      SocketSpec spec = SocketSpec.parse(sock.toString());
      TakeoverClient[] found = new TakeoverClient[1];
      TestSupport.await(
          "the control socket to listen",
          WAIT,
          () -> (found[0] = TakeoverClient.connect(spec)) != null);
      TakeoverClient client = found[0];
      List<BoundSocket> got = client.request("count", List.of(spec));
      assertEquals(1, got.size());
      got.forEach(BoundSocket::release);
      client.close(); // dies before confirming
      try (BlockingSenders s = new BlockingSenders(sock, 1, "x:1|c")) {
        TestSupport.await("load", WAIT, () -> s.sent() > 500);
        s.close();
        assertEquals(List.of(), s.errors());
        assertEquals(0, old.stop(WAIT), old.stderr());
        assertEquals(s.sent(), old.rx(), "the old instance read everything");
      }
      assertTrue(old.stderr().contains("went away before it confirmed"), old.stderr());
    }
  }

  @Test
  void shouldRefuseADifferentCommandOrDifferentSocketsAndLeaveTheRunningOneAlone()
      throws Exception {
    Path a = dir.resolve("a.sock");
    Path b = dir.resolve("b.sock");
    try (UdsinkProcess old =
        UdsinkProcess.start(
            dir, List.of(), "count", "--socket", a.toString(), "--socket", b.toString())) {
      old.awaitSocket(b);
      UdsinkProcess serve =
          UdsinkProcess.start(
              dir,
              List.of(),
              "serve",
              "--socket",
              a.toString(),
              "--socket",
              b.toString(),
              "--takeover",
              "--http",
              "off");
      assertEquals(1, serve.waitFor(WAIT));
      assertTrue(serve.stderr().contains("runs udsink count, not serve"), serve.stderr());
      UdsinkProcess fewer =
          UdsinkProcess.start(dir, List.of(), "count", "--socket", a.toString(), "--takeover");
      assertEquals(1, fewer.waitFor(WAIT));
      assertTrue(
          fewer.stderr().contains("the sockets differ") && fewer.stderr().contains(b.toString()),
          fewer.stderr());
      try (BlockingSenders s = new BlockingSenders(a, 1, "x:1|c")) {
        TestSupport.await("load", WAIT, () -> s.sent() > 100);
        s.close();
        assertEquals(0, old.stop(WAIT));
        assertEquals(s.sent(), old.rx());
      }
    }
  }

  @Test
  void shouldRefuseAnotherUser() throws Exception {
    assumeTrue(ProcessUser.uid() == 0, "needs root to run a process as user nobody");
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/setpriv"))
            && Files.isExecutable(Path.of("/usr/bin/python3")),
        "needs setpriv and python3");
    Path shared = Files.createTempDirectory(Path.of("/tmp"), "tk");
    try {
      new ProcessBuilder("chmod", "0755", shared.toString()).start().waitFor();
      Path sock = shared.resolve("u.sock");
      try (UdsinkProcess old =
          UdsinkProcess.start(
              dir, List.of(), "count", "--socket", sock.toString(), "--socket-mode", "0666")) {
        old.awaitSocket(sock);
        Path ctl = ControlAddress.of(SocketSpec.parse(sock.toString())).path();
        TestSupport.await(
            "the control socket", WAIT, () -> Files.exists(ctl, LinkOption.NOFOLLOW_LINKS));
        String script =
            String.join(
                "\n",
                "import socket, struct, sys",
                "def utf(s):",
                "    b = s.encode()",
                "    return struct.pack('>H', len(b)) + b",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
                "try:",
                "    s.connect(sys.argv[1])",
                "except OSError as e:",
                "    print('connect:', e.strerror)",
                "    sys.exit(0)",
                "s.sendall(utf('udsink-takeover') + struct.pack('>i', 1) + utf('count')",
                "          + struct.pack('>i', 1) + utf(sys.argv[2]))",
                "data = s.recv(4096)",
                "print('answer:', data[2:].decode(errors='replace'))",
                "");
        Path py = shared.resolve("t.py");
        Files.writeString(py, script);
        new ProcessBuilder("chmod", "0644", py.toString()).start().waitFor();
        String first = runAsNobody(py, ctl, sock);
        assertTrue(first.contains("connect: Permission denied"), first);
        // even where the directory lets another user reach it, the peer's user is checked
        new ProcessBuilder("chmod", "0755", ctl.getParent().toString()).start().waitFor();
        new ProcessBuilder("chmod", "0666", ctl.toString()).start().waitFor();
        String second = runAsNobody(py, ctl, sock);
        assertTrue(second.contains("refused") && second.contains("not permitted"), second);
        new ProcessBuilder("chmod", "0700", ctl.getParent().toString()).start().waitFor();
        assertTrue(old.process.isAlive());
        try (BlockingSenders s = new BlockingSenders(sock, 1, "x:1|c")) {
          TestSupport.await("load", WAIT, () -> s.sent() > 100);
          s.close();
          assertEquals(0, old.stop(WAIT));
          assertEquals(s.sent(), old.rx(), "nothing was handed over");
        }
        assertTrue(old.stderr().contains("takeover refused"), old.stderr());
      }
    } finally {
      new ProcessBuilder("rm", "-rf", shared.toString()).start().waitFor();
    }
  }

  @Test
  void shouldKeepCustomBucketsAndSummaryWindowsAcrossATakeover() throws Exception {
    Path sock = dir.resolve("h.sock");
    Path mapping = dir.resolve("mapping.yml");
    Files.writeString(
        mapping,
        """
        mappings:
        - match: "req.*"
          name: "req_${1}_seconds"
          observer_type: histogram
          histogram_options:
            buckets: [0.001, 0.01, 0.1]
        - match: "job.*"
          name: "job_${1}_seconds"
          observer_type: summary
        """);
    int port = UdsinkProcess.freePort();
    String[] args = {
      "serve",
      "--socket",
      sock.toString(),
      "--out",
      "off",
      "--http",
      "127.0.0.1:" + port,
      "--flush-interval",
      "100ms",
      "--mapping-config",
      mapping.toString()
    };
    try (UdsinkProcess first = UdsinkProcess.start(dir, List.of(), args)) {
      first.awaitSocket(sock);
      sendSamples(sock, 200, 5, 1000);
      awaitCount(port, 200);
      try (UdsinkProcess second = UdsinkProcess.start(dir, List.of(), append(args, "--takeover"))) {
        assertEquals(0, first.waitFor(WAIT), first.stderr());
        sendSamples(sock, 200, 50, 3000);
        awaitCount(port, 400);
        Map<String, Double> m = metrics(UdsinkProcess.get(port, "/metrics"));
        assertEquals(400.0, m.get("req_a_seconds_bucket{le=\"+Inf\"}"), m.toString());
        assertEquals(200.0, m.get("req_a_seconds_bucket{le=\"0.01\"}"), "half at 5 ms");
        assertEquals(400.0, m.get("job_b_seconds_count"));
        // the window holds both instances' samples: 200 at 1 s and 200 at 3 s
        assertEquals(3.0, m.get("job_b_seconds{quantile=\"0.99\"}"), 0.03);
        assertEquals(
            0.0,
            m.getOrDefault("udsink_series_errors_total{reason=\"failed\"}", 0.0)
                + m.getOrDefault("udsink_series_errors_total{reason=\"layout_conflict\"}", 0.0)
                + m.getOrDefault("udsink_series_errors_total{reason=\"handover_mismatch\"}", 0.0));
        assertEquals(0, second.stop(WAIT), second.stderr());
        assertFalse(second.stderr().contains("left out"), second.stderr());
      }
    }
  }

  /** Sends {@code n} datagrams, each a timer sample of {@code req.a} and one of {@code job.b}. */
  private static void sendSamples(Path sock, int n, int reqMs, int jobMs) throws Exception {
    try (var ch = TestSupport.connect(sock)) {
      for (int i = 0; i < n; i++) {
        TestSupport.send(ch, "req.a:" + reqMs + "|ms\njob.b:" + jobMs + "|ms");
      }
    }
  }

  private static void awaitCount(int port, double count) {
    TestSupport.await(
        "/metrics to count " + count,
        WAIT,
        () -> {
          String t = UdsinkProcess.get(port, "/metrics");
          if (t == null) {
            return false;
          }
          Map<String, Double> m = metrics(t);
          return m.getOrDefault("req_a_seconds_count", 0.0) == count
              && m.getOrDefault("job_b_seconds_count", 0.0) == count;
        });
  }

  @Test
  void shouldGiveUpOnAControlSocketWhoseBacklogIsFullInsteadOfHanging() throws Exception {
    Path sock = dir.resolve("w.sock");
    SocketSpec spec = SocketSpec.parse(sock.toString());
    Path ctl = ControlAddress.of(spec).path();
    ControlServer.privateDirectory(SocketSpec.parse(ctl.toString()), ctl.getParent());
    java.util.List<Integer> held = new ArrayList<>();
    try (org.newsclub.net.unix.AFUNIXServerSocket never =
        org.newsclub.net.unix.AFUNIXServerSocket.newInstance()) {
      never.bind(org.newsclub.net.unix.AFUNIXSocketAddress.of(ctl), 1); // never accepts
      try {
        while (held.size() < 16) {
          held.add(io.udsink.collector.sys.Sockets.connectStream(ctl.toString(), 200));
        }
      } catch (io.udsink.collector.sys.NativeException full) {
        assertEquals(11, full.errno(), "the backlog is full: " + full); // EAGAIN
      }
      long t0 = System.nanoTime();
      try (UdsinkProcess p =
          UdsinkProcess.start(dir, List.of(), "count", "--socket", sock.toString(), "--takeover")) {
        assertEquals(1, p.waitFor(WAIT), p.stderr());
        assertTrue(p.stderr().contains("cannot reach the running instance"), p.stderr());
      }
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(60), "gave up in time");
    } finally {
      for (int fd : held) {
        new java.io.FileInputStream(
                org.newsclub.net.unix.FileDescriptorCast.unsafeUsing(fd)
                    .as(java.io.FileDescriptor.class))
            .close();
      }
      Files.deleteIfExists(ctl);
    }
  }

  @Test
  void shouldKeepControlSocketsInAPrivateDirectoryNeverInTheAbstractNamespace() {
    for (String first : new String[] {dir.resolve("x.sock").toString(), "@udsink-abstract"}) {
      Path ctl = ControlAddress.of(SocketSpec.parse(first)).path();
      assertEquals(
          ProcessUser.uid() == 0 ? Path.of("/run/udsink/control") : ControlAddress.directory(),
          ctl.getParent(),
          first);
    }
  }

  @Test
  void shouldBindAsUsualWithTakeoverWhenNothingRuns() throws Exception {
    Path sock = dir.resolve("f.sock");
    try (UdsinkProcess p =
        UdsinkProcess.start(dir, List.of(), "count", "--socket", sock.toString(), "--takeover")) {
      p.awaitSocket(sock);
      assertEquals(0, p.stop(WAIT));
      assertTrue(p.stderr().contains("no running instance"), p.stderr());
    }
  }

  @Test
  void shouldFindNoInstanceWhereNoneListens() {
    assertEquals(null, TakeoverClient.connect(SocketSpec.parse(dir.resolve("none").toString())));
    assertEquals(
        null,
        TakeoverClient.connect(SocketSpec.parse("@udsink-test-" + ProcessHandle.current().pid())));
  }

  private static String runAsNobody(Path py, Path ctl, Path sock) throws Exception {
    Process p =
        new ProcessBuilder(
                "/usr/bin/setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "/usr/bin/python3",
                py.toString(),
                ctl.toString(),
                sock.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    return out;
  }

  static Map<String, Double> metrics(String text) {
    Map<String, Double> m = new java.util.HashMap<>();
    for (String line : text.split("\n")) {
      if (!line.startsWith("#") && !line.isBlank()) {
        String[] s = io.udsink.collector.Promtool.parseSample(line);
        m.put(s[0] + s[1], Double.parseDouble(s[2]));
      }
    }
    return m;
  }

  private static String[] append(String[] a, String x) {
    String[] r = java.util.Arrays.copyOf(a, a.length + 1);
    r[a.length] = x;
    return r;
  }
}
