package io.udsink.collector.export.jsonl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.udsink.collector.TestSupport;
import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Counter;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.export.OutputWorker;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.parse.ParseError;
import io.udsink.collector.parse.StatsdParser;
import io.udsink.collector.transport.ProcessUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The JSON lines output under failure: nothing lost, nothing twice, nothing torn. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JsonLinesOutputTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private final Aggregator agg = new Aggregator(100_000, 10, 0, (r, b, s, e) -> {});
  private final StatsdParser parser =
      new StatsdParser(agg, agg, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
  private final Telemetry telemetry = new Telemetry();
  private long clock;

  /** An interval with {@code series} counters c0.. each incremented by {@code by}. */
  private Interval interval(int series, int by) {
    return interval("counter.number.", series, by);
  }

  private Interval interval(String prefix, int series, int by) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < series; i++) {
      sb.append(prefix)
          .append(i)
          .append(':')
          .append(by)
          .append("|c|#padding:")
          .append("x".repeat(40))
          .append('\n');
      if (sb.length() > 8000) {
        feed(sb);
      }
    }
    feed(sb);
    clock += 1000;
    return agg.takeInterval(clock, false);
  }

  private void feed(StringBuilder sb) {
    byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
    parser.parse(b, 0, b.length);
    sb.setLength(0);
  }

  /** Every line parsed (a torn line fails here); the sum of all counter values. */
  static double counterSum(List<Path> files) throws IOException {
    double sum = 0;
    for (Path f : files) {
      for (String line : Files.readAllLines(f)) {
        JsonNode n = JSON.readTree(line);
        if (n.get("type").asText().equals("counter")) {
          sum += n.get("value").asDouble();
        }
      }
    }
    return sum;
  }

  @Test
  void shouldKeepWhatItCouldNotWriteAndWriteItMergedOnceTheTargetWorks() throws Exception {
    Path out = dir.resolve("out.jsonl");
    JsonLinesOutput json = JsonLinesOutput.open(out, telemetry);
    OutputWorker w = new OutputWorker(json, 100_000);
    w.start();
    w.offer(interval(10, 1));
    TestSupport.await("the first write", Duration.ofSeconds(10), () -> w.writes() == 1);
    Files.delete(out);
    Files.createDirectory(out); // the path now names a directory: every reopen fails
    for (int i = 0; i < 5; i++) {
      w.offer(interval(10, 1));
    }
    TestSupport.await("failed writes", Duration.ofSeconds(10), () -> w.errors() >= 2);
    assertEquals(5, w.backlogIntervals(), "kept, not dropped");
    assertTrue(w.oldestUnwrittenSeconds() > 0);
    Files.delete(out); // the operator fixes it
    w.offer(interval(10, 1));
    TestSupport.await(
        "the backlog written", Duration.ofSeconds(20), () -> w.backlogIntervals() == 0);
    assertEquals(10 * 6, counterSum(List.of(out)), "the six intervals since the failure");
    List<String> lines = Files.readAllLines(out);
    assertTrue(
        lines.stream().anyMatch(l -> l.contains("\"interval_ms\":6000")),
        "one merged line set covers six intervals: " + lines);
    assertEquals(0, w.unwrittenLines());
  }

  @Test
  void shouldReopenAFileThatWasDeletedOrMovedAway() throws Exception {
    Path out = dir.resolve("out.jsonl");
    JsonLinesOutput json = JsonLinesOutput.open(out, telemetry);
    json.write(interval(3, 1));
    Files.delete(out);
    json.write(interval(3, 2));
    assertEquals(6, counterSum(List.of(out)), "a deleted file is recreated, not written into");
    Path rotated = dir.resolve("out.jsonl.1");
    Files.move(out, rotated);
    json.write(interval(3, 4));
    assertEquals(6, counterSum(List.of(rotated)));
    assertEquals(12, counterSum(List.of(out)), "after a move the path gets the new lines");
    json.close();
  }

  @Test
  void shouldWriteEveryLineExactlyOnceAndWholeAcrossAFullDisk() throws Exception {
    assumeTrue(ProcessUser.uid() == 0, "mounting a small tmpfs needs root");
    Path mnt = dir.resolve("small");
    Files.createDirectory(mnt);
    Process m =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt.toString())
            .redirectErrorStream(true)
            .start();
    String why = new String(m.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assumeTrue(m.waitFor() == 0, "cannot mount a tmpfs here: " + why);
    try {
      Path filler = mnt.resolve("filler");
      Files.write(filler, new byte[200 * 1024]);
      Path out = mnt.resolve("out.jsonl");
      JsonLinesOutput json = JsonLinesOutput.open(out, telemetry);
      OutputWorker w = new OutputWorker(json, 100_000);
      w.start();
      int intervals = 8;
      for (int i = 0; i < intervals; i++) {
        w.offer(interval("i" + i + ".counter.", 100, 1)); // about 13 KB of new lines each
      }
      TestSupport.await("the disk to fill", Duration.ofSeconds(20), () -> w.errors() > 0);
      TestSupport.await("a write cut short", Duration.ofSeconds(20), json::holds);
      Files.delete(filler); // space comes back
      TestSupport.await(
          "everything written",
          Duration.ofSeconds(30),
          () -> w.backlogIntervals() == 0 && !json.holds());
      assertEquals(100.0 * intervals, counterSum(List.of(out)));
      for (String line : Files.readAllLines(out)) {
        assertTrue(line.startsWith("{") && line.endsWith("}"), "torn: " + line);
      }
    } finally {
      new ProcessBuilder("umount", "-l", mnt.toString()).start().waitFor();
    }
  }

  @Test
  void shouldNotWaitForAFifoReaderAndDeliverEverythingOnceOneComes() throws Exception {
    Path fifo = dir.resolve("fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    long t0 = System.nanoTime();
    JsonLinesOutput json = JsonLinesOutput.open(fifo, telemetry);
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "open did not block");
    OutputWorker w = new OutputWorker(json, 100_000);
    w.start();
    for (int i = 0; i < 4; i++) {
      w.offer(interval(5, 1));
    }
    TestSupport.await("a backlog", Duration.ofSeconds(10), () -> w.backlogIntervals() == 4);
    assertFalse(w.oldestUnwrittenSeconds() == 0);
    long unwritten = w.unwrittenLines();
    // five series each: merged into one, or some still waiting in the inbox
    assertTrue(unwritten >= 5 && unwritten <= 20 && unwritten % 5 == 0, "unwritten: " + unwritten);
    List<String> got = new ArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                got.addAll(Files.readAllLines(fifo));
              } catch (IOException e) {
                throw new RuntimeException(e);
              }
            });
    reader.start();
    TestSupport.await(
        "the backlog written", Duration.ofSeconds(20), () -> w.backlogIntervals() == 0);
    w.offer(
        new Interval(
            clock,
            clock + 1,
            new Series[0],
            List.of(),
            List.of(),
            new long[Counter.values().length],
            new long[ParseError.values().length],
            true));
    assertTrue(w.awaitFinished(System.nanoTime() + TimeUnit.SECONDS.toNanos(10), () -> false));
    reader.join(10_000);
    double sum = 0;
    for (String line : got) {
      JsonNode n = JSON.readTree(line);
      if (n.get("type").asText().equals("counter")) {
        sum += n.get("value").asDouble();
      }
    }
    assertEquals(20, sum, String.join("\n", got));
  }

  /** Runs a shell command as user nobody (the attacker); fails the test if it fails. */
  private static void asNobody(String script) throws Exception {
    Process p =
        new ProcessBuilder(
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "/bin/sh",
                "-c",
                script)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), script + ": " + out);
  }

  private static void requireRootAndSetpriv() {
    boolean able = ProcessUser.uid() == 0 && io.udsink.collector.Promtool.onPath("setpriv");
    if (System.getenv("CI") != null) {
      assertTrue(able, "CI runs as root with setpriv (.ci/run installs util-linux)");
    }
    assumeTrue(able, "acting as another user needs root and setpriv; skipped outside CI");
  }

  @Test
  void shouldNeverWriteThroughWhatAnotherUserPutsAtThePath() throws Exception {
    requireRootAndSetpriv();
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Path logs = Files.createDirectory(dir.resolve("logs"));
    // like /tmp: sticky, everyone may create files
    assertEquals(0, new ProcessBuilder("chmod", "1777", logs.toString()).start().waitFor());
    Path secret = Files.createDirectory(dir.resolve("secret"));
    Files.setPosixFilePermissions(
        secret, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    Path target = Files.writeString(secret.resolve("target.txt"), "root only\n");
    Files.setPosixFilePermissions(
        target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Path out = logs.resolve("metrics.jsonl");
    JsonLinesOutput json = JsonLinesOutput.open(out, telemetry);
    json.write(interval("first.", 3, 1));
    assertEquals(
        "rw-r-----",
        java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out)),
        "a new file is not for every local user");
    // log rotation moves the file away; the attacker is quicker than udsink's reopen
    Files.move(out, logs.resolve("metrics.jsonl.1"));
    Interval second = interval("second.", 3, 1);
    // each refused by udsink's own checks (O_NOFOLLOW, the type, the owner), or before them by
    // the kernel: ENXIO for a FIFO without a reader (opened without waiting), EACCES where
    // fs.protected_symlinks or protected_regular apply
    String[][] attacks = {
      {"ln -s " + target + " " + out, "symlink", "ELOOP|EACCES"},
      {"rm " + out + " && mkfifo " + out, "FIFO", "not a regular file|ENXIO|EACCES"},
      {"rm " + out + " && echo planted > " + out, "file of another user", "belongs to user|EACCES"}
    };
    for (String[] a : attacks) {
      asNobody(a[0]);
      IOException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IOException.class, () -> json.write(second), a[1]);
      assertTrue(
          java.util.regex.Pattern.compile(a[2]).matcher(e.getMessage()).find(),
          a[1] + ": " + e.getMessage());
      assertEquals("root only\n", Files.readString(target), "nothing written through " + a[1]);
    }
    asNobody("rm " + out);
    json.write(second); // the refused interval, retried: now into a new file of udsink's own
    assertEquals(3, Files.readAllLines(out).stream().filter(l -> l.contains("second.")).count());
    assertEquals(0, ProcessUser.uid(), "owner");
    assertEquals(0, (int) (Integer) Files.getAttribute(out, "unix:uid"));
    json.close();
  }

  @Test
  void shouldRefuseADirectoryAnotherUserOwns() throws Exception {
    requireRootAndSetpriv();
    Path logs = Files.createDirectory(dir.resolve("theirs"));
    Files.setAttribute(logs, "unix:uid", 65534);
    IOException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IOException.class,
            () -> JsonLinesOutput.open(logs.resolve("metrics.jsonl"), telemetry));
    assertTrue(e.getMessage().contains("belongs to user 65534"), e.getMessage());
    assertFalse(Files.exists(logs.resolve("metrics.jsonl")), "nothing created there");
  }

  @Test
  void shouldRefuseAPathThroughALinkedDirectory() throws Exception {
    Path real = Files.createDirectory(dir.resolve("real"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), real);
    IOException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IOException.class,
            () -> JsonLinesOutput.open(link.resolve("metrics.jsonl"), telemetry));
    assertTrue(
        e.getMessage().contains("ELOOP") || e.getMessage().contains("ENOTDIR"), e.getMessage());
    assertFalse(Files.exists(real.resolve("metrics.jsonl")));
  }

  @Test
  void shouldWriteToDevNullWhenThatIsWhatWasAskedFor() throws Exception {
    JsonLinesOutput json = JsonLinesOutput.open(Path.of("/dev/null"), telemetry);
    json.write(interval(3, 1));
    json.write(interval(3, 1));
    json.close();
  }
}
