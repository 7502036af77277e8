package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.udsink.collector.TestSupport;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MainTest {
  @TempDir
  Path dir;

  static MainRunner.Run run(String... args) {
    return MainRunner.run(args);
  }

  @Test
  void shouldListTheSubcommandsInHelp() {
    MainRunner.Run r = run("--help");
    assertEquals(0, r.code);
    assertTrue(r.out.contains("count") && r.out.contains("send"), r.out);
  }

  @Test
  void shouldRejectABadFlagWithUsageStatus() {
    MainRunner.Run r = run("count", "--no-such-flag");
    assertEquals(2, r.code);
    assertTrue(r.err.contains("--no-such-flag"), r.err);
    MainRunner.Run d = run("count", "--duration", "soon");
    assertEquals(2, d.code);
    assertTrue(d.err.contains("soon"), d.err);
    MainRunner.Run m = run("count", "--socket-mode", "999");
    assertEquals(2, m.code);
    assertTrue(m.err.contains("999"), m.err);
  }

  @Test
  void shouldNameTheProblemWithABadPathAndExitNonZero() throws Exception {
    Path file = dir.resolve("plain");
    Files.writeString(file, "keep me");
    MainRunner.Run r = run("count", "--socket", file.toString(), "--duration", "100ms");
    assertEquals(1, r.code);
    assertTrue(r.err.contains(file.toString()) && r.err.contains("regular file"), r.err);
    assertEquals("keep me", Files.readString(file));

    MainRunner.Run longPath = run("count", "--socket", dir.resolve("z".repeat(120)).toString());
    assertEquals(1, longPath.code);
    assertTrue(longPath.err.contains("107"), longPath.err);
  }

  @Test
  void shouldCountWhatSendSent() throws Exception {
    Path s1 = dir.resolve("c1");
    Path s2 = dir.resolve("c2");
    CompletableFuture<MainRunner.Run> counter = CompletableFuture.supplyAsync(() -> run("count",
        "--socket", s1.toString(), "--socket", s2.toString(), "--duration", "3s",
        "--per-socket"));
    TestSupport.await("sockets bound", Duration.ofSeconds(10),
        () -> Files.exists(s1, LinkOption.NOFOLLOW_LINKS)
            && Files.exists(s2, LinkOption.NOFOLLOW_LINKS));
    MainRunner.Run send1 = run("send", "--socket", s1.toString(), "--count", "500", "--size", "100");
    assertEquals(0, send1.code, send1.err);
    assertEquals("tx=500 dropped=0 error=none", send1.out.trim());
    MainRunner.Run send2 = run("send", "--socket", s2.toString(), "--count", "7", "--line", "a:1|c");
    assertEquals("tx=7 dropped=0 error=none", send2.out.trim());

    MainRunner.Run count = counter.get(20, TimeUnit.SECONDS);
    assertEquals(0, count.code, count.err);
    String[] lines = count.out.trim().split("\n");
    assertEquals("socket=" + s1 + " rx=500 bytes=50000 truncated=0", lines[0]);
    assertEquals("socket=" + s2 + " rx=7 bytes=35 truncated=0", lines[1]);
    assertEquals("rx=507 bytes=50035 truncated=0", lines[2]);
    assertTrue(!Files.exists(s1, LinkOption.NOFOLLOW_LINKS), "socket file left behind");
  }

  @Test
  void shouldPrintJson() throws Exception {
    Path s = dir.resolve("j");
    CompletableFuture<MainRunner.Run> counter = CompletableFuture.supplyAsync(() -> run("count",
        "--socket", s.toString(), "--duration", "2s", "--json", "--max-datagram", "10"));
    TestSupport.await("socket bound", Duration.ofSeconds(10),
        () -> Files.exists(s, LinkOption.NOFOLLOW_LINKS));
    assertEquals(0, run("send", "--socket", s.toString(), "--count", "3", "--size", "30").code);
    MainRunner.Run count = counter.get(20, TimeUnit.SECONDS);
    JsonNode json = new ObjectMapper().readTree(count.out);
    assertEquals(3, json.get("rx").asLong());
    assertEquals(30, json.get("bytes").asLong());
    assertEquals(3, json.get("truncated").asLong());
  }

  @Test
  void shouldReportADeadCollectorClearly() throws Exception {
    Path missing = dir.resolve("nobody");
    MainRunner.Run r = run("send", "--socket", missing.toString(), "--count", "5");
    assertEquals(1, r.code);
    // sends made before the client learned of the outage are dropped and counted
    assertTrue(r.out.trim().matches("tx=0 dropped=[0-5] error=ENOENT"), r.out);
    assertTrue(r.err.contains(missing.toString()) && r.err.contains("no socket file"), r.err);
  }

  @Test
  void shouldRejectBadSendSettings() {
    MainRunner.Run r = run("send", "--socket", dir.resolve("x").toString(), "--size", "3");
    assertEquals(1, r.code);
    assertTrue(r.err.contains("--size"), r.err);
    MainRunner.Run both = run("send", "--socket", dir.resolve("x").toString(), "--size", "64",
        "--line", "a:1|c");
    assertEquals(1, both.code);
    assertTrue(both.err.contains("not both"), both.err);
  }
}
