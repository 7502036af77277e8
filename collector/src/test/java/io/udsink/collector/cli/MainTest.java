package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.udsink.collector.TestSupport;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MainTest {
  @TempDir Path dir;

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
    assertEquals(2, longPath.code, "a path too long is a bad value");
    assertTrue(longPath.err.contains("107"), longPath.err);
  }

  @Test
  void shouldCountWhatSendSent() throws Exception {
    Path s1 = dir.resolve("c1");
    Path s2 = dir.resolve("c2");
    CompletableFuture<MainRunner.Run> counter =
        CompletableFuture.supplyAsync(
            () ->
                run(
                    "count",
                    "--socket",
                    s1.toString(),
                    "--socket",
                    s2.toString(),
                    "--duration",
                    "3s",
                    "--per-socket"));
    TestSupport.await(
        "sockets bound",
        Duration.ofSeconds(10),
        () ->
            Files.exists(s1, LinkOption.NOFOLLOW_LINKS)
                && Files.exists(s2, LinkOption.NOFOLLOW_LINKS));
    MainRunner.Run send1 =
        run("send", "--socket", s1.toString(), "--count", "500", "--size", "100");
    assertEquals(0, send1.code, send1.err);
    assertEquals("tx=500 dropped=0 error=none", send1.out.trim());
    MainRunner.Run send2 =
        run("send", "--socket", s2.toString(), "--count", "7", "--line", "a:1|c");
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
    CompletableFuture<MainRunner.Run> counter =
        CompletableFuture.supplyAsync(
            () ->
                run(
                    "count",
                    "--socket",
                    s.toString(),
                    "--duration",
                    "2s",
                    "--json",
                    "--max-datagram",
                    "10"));
    TestSupport.await(
        "socket bound", Duration.ofSeconds(10), () -> Files.exists(s, LinkOption.NOFOLLOW_LINKS));
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
    assertEquals(2, r.code);
    assertTrue(r.err.contains("--size"), r.err);
    MainRunner.Run both =
        run("send", "--socket", dir.resolve("x").toString(), "--size", "64", "--line", "a:1|c");
    assertEquals(2, both.code);
    assertTrue(both.err.contains("not both"), both.err);
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> badFlags() {
    return java.util.stream.Stream.of(
        org.junit.jupiter.params.provider.Arguments.of("serve --budget 0", "--budget"),
        org.junit.jupiter.params.provider.Arguments.of("serve --budget x", "--budget"),
        org.junit.jupiter.params.provider.Arguments.of("serve --max-datagram 0", "--max-datagram"),
        org.junit.jupiter.params.provider.Arguments.of("serve --max-series 0", "--max-series"),
        org.junit.jupiter.params.provider.Arguments.of("serve --flush-interval 0s", "'0s'"),
        org.junit.jupiter.params.provider.Arguments.of("serve --flush-interval 10x", "'10x'"),
        org.junit.jupiter.params.provider.Arguments.of("serve --ttl 1m30", "'1m30'"),
        org.junit.jupiter.params.provider.Arguments.of("serve --stop-timeout -1s", "'-1s'"),
        org.junit.jupiter.params.provider.Arguments.of("serve --http localhost", "--http"),
        org.junit.jupiter.params.provider.Arguments.of("serve --http ::1:9102", "brackets"),
        org.junit.jupiter.params.provider.Arguments.of("serve --http 127.0.0.1:70000", "--http"),
        org.junit.jupiter.params.provider.Arguments.of("serve --socket-mode 0999", "'0999'"),
        org.junit.jupiter.params.provider.Arguments.of(
            "serve --socket-group no-such-group-x", "--socket-group"),
        org.junit.jupiter.params.provider.Arguments.of("serve --log-level loud", "--log-level"),
        org.junit.jupiter.params.provider.Arguments.of("serve --log-format xml", "--log-format"),
        org.junit.jupiter.params.provider.Arguments.of("serve --no-such-flag", "no-such-flag"),
        org.junit.jupiter.params.provider.Arguments.of("count --duration never", "'never'"),
        org.junit.jupiter.params.provider.Arguments.of("count --socket", "--socket"),
        org.junit.jupiter.params.provider.Arguments.of("send --count -1", "--count"),
        org.junit.jupiter.params.provider.Arguments.of("send --rate -5", "--rate"),
        org.junit.jupiter.params.provider.Arguments.of("nosuchcommand", "nosuchcommand"));
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "[{index}] udsink {0}")
  @org.junit.jupiter.params.provider.MethodSource("badFlags")
  void shouldExitTwoForEveryBadFlagOrValue(String args, String named) {
    MainRunner.Run r = run(args.split(" "));
    assertEquals(2, r.code, r.err);
    assertTrue(r.err.contains(named), "the message names " + named + ": " + r.err);
  }

  @Test
  void shouldListTheCommandsOnStandardErrorAndExitTwoWithNoArguments() {
    MainRunner.Run r = run();
    assertEquals(2, r.code);
    assertTrue(r.err.contains("serve") && r.err.contains("count") && r.err.contains("send"), r.err);
    assertEquals("", r.out);
  }

  @Test
  void shouldAnswerVersionOnEveryCommand() {
    for (String[] args :
        new String[][] {
          {"--version"}, {"serve", "--version"}, {"count", "--version"}, {"send", "--version"}
        }) {
      MainRunner.Run r = run(args);
      assertEquals(0, r.code, String.join(" ", args));
      assertEquals("udsink " + Main.VERSION, r.out.trim(), String.join(" ", args));
    }
  }

  @Test
  void shouldReadCompoundDurations() {
    assertEquals(Duration.ofSeconds(90), Durations.parse("1m30s"));
    assertEquals(Duration.ofMillis(1500), Durations.parse("1s500ms"));
    assertEquals(Duration.ofHours(1).plusMinutes(2), Durations.parse("1h2m"));
    assertEquals(Duration.ofSeconds(10), Durations.parse("10"));
    assertEquals(Duration.ofMillis(250), Durations.parse("0.25s"));
  }

  @Test
  void shouldReadEveryFormOfHttpAddress() {
    java.net.InetSocketAddress any = ServeConfig.parseHostPort(":9102");
    assertTrue(any.getAddress().isAnyLocalAddress(), any.toString());
    assertEquals(9102, any.getPort());
    java.net.InetSocketAddress v6 = ServeConfig.parseHostPort("[::1]:9102");
    assertTrue(
        v6.getAddress().isLoopbackAddress() && v6.getAddress() instanceof java.net.Inet6Address,
        v6.toString());
    assertEquals("[0:0:0:0:0:0:0:1]:9102", ServeConfig.hostPort(v6));
    assertEquals(
        "127.0.0.1:9102", ServeConfig.hostPort(ServeConfig.parseHostPort("127.0.0.1:9102")));
  }
}
