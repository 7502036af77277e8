package io.udsink.collector.export.jsonl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.udsink.collector.TestSupport;
import io.udsink.collector.transport.ProcessUser;
import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Counter;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.export.OutputWorker;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.parse.ParseError;
import io.udsink.collector.parse.StatsdParser;

/** The JSON lines output under failure: nothing lost, nothing twice, nothing torn. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JsonLinesOutputTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private final Aggregator agg = new Aggregator(100_000, 10, 0, (r, b, s, e) -> { });
  private final StatsdParser parser = new StatsdParser(agg, agg);
  private final Telemetry telemetry = new Telemetry();
  private long clock;

  /** An interval with {@code series} counters c0.. each incremented by {@code by}. */
  private Interval interval(int series, int by) {
    return interval("counter.number.", series, by);
  }

  private Interval interval(String prefix, int series, int by) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < series; i++) {
      sb.append(prefix).append(i).append(':').append(by).append("|c|#padding:")
          .append("x".repeat(40)).append('\n');
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
    TestSupport.await("the backlog written", Duration.ofSeconds(20),
        () -> w.backlogIntervals() == 0);
    assertEquals(10 * 6, counterSum(List.of(out)), "the six intervals since the failure");
    List<String> lines = Files.readAllLines(out);
    assertTrue(lines.stream().anyMatch(l -> l.contains("\"udsink.intervals\"")
        && l.contains("\"value\":6")), "one merged line set covers six intervals: " + lines);
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
    Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs",
        mnt.toString()).redirectErrorStream(true).start();
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
      TestSupport.await("everything written", Duration.ofSeconds(30),
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
    assertTrue(unwritten == 5 || unwritten == 10, "merged, or one in flight and three merged: "
        + unwritten);
    List<String> got = new ArrayList<>();
    Thread reader = new Thread(() -> {
      try {
        got.addAll(Files.readAllLines(fifo));
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    reader.start();
    TestSupport.await("the backlog written", Duration.ofSeconds(20),
        () -> w.backlogIntervals() == 0);
    w.offer(new Interval(clock, clock + 1, new Series[0], List.of(), List.of(),
        new long[Counter.values().length], new long[ParseError.values().length], true));
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
}
