package io.udsink.collector.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.udsink.collector.TestSupport;

class JsonLinesSinkTest {
  @TempDir
  Path dir;

  static JsonLines.Chunk chunk(String... lines) {
    return new JsonLines.Chunk((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8),
        lines.length);
  }

  @Test
  void shouldKeepWhatAFailedWriteHeldAndWriteItFirstOnceTheSinkWorks() throws Exception {
    Path target = dir.resolve("out.jsonl");
    Files.createDirectory(target); // a directory where the file should be: every open fails
    Telemetry t = new Telemetry();
    JsonLinesSink sink = new JsonLinesSink(target, 1 << 20, t);
    assertFalse(sink.write(chunk("{\"a\":1}", "{\"a\":2}")));
    assertFalse(sink.write(chunk("{\"a\":3}")));
    assertEquals(2, t.sinkErrors());
    assertEquals(3, sink.pendingLines());

    Files.delete(target); // the operator fixes it
    assertTrue(sink.write(chunk("{\"a\":4}")));
    assertEquals(List.of("{\"a\":1}", "{\"a\":2}", "{\"a\":3}", "{\"a\":4}"),
        Files.readAllLines(target));
    assertEquals(0, sink.pendingLines());
    assertEquals(0, t.sinkDroppedLines());
  }

  @Test
  void shouldGiveUpTheOldestOverTheLimitAndCountIt() throws Exception {
    Path target = dir.resolve("d");
    Files.createDirectory(target);
    Telemetry t = new Telemetry();
    JsonLinesSink sink = new JsonLinesSink(target, 20, t);
    sink.write(chunk("{\"first\":1}", "{\"first\":2}"));
    sink.write(chunk("{\"second\":1}"));
    assertEquals(2, t.sinkDroppedLines(), "the oldest chunk is given up and counted");
    assertEquals(1, sink.pendingLines());
    sink.close();
    assertEquals(3, t.sinkDroppedLines(), "what is still pending at exit is counted too");
  }
}
