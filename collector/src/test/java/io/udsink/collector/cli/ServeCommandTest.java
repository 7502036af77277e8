package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ServeCommandTest {
  @TempDir Path dir;

  @Test
  void shouldServeUntilItsDurationAndFlushEverythingAtTheEnd() throws Exception {
    Path sock = dir.resolve("s");
    Path out = dir.resolve("out.jsonl");
    CompletableFuture<MainRunner.Run> serve =
        MainRunner.serve(sock, out, "2s", "--http", "127.0.0.1:0", "--workers", "3");
    MainRunner.Run send =
        MainTest.run(
            "send", "--socket", sock.toString(), "--count", "40", "--line", "cli.test:2|c|#k:v");
    assertEquals(0, send.code, send.err);
    MainRunner.Run r = serve.get(20, TimeUnit.SECONDS);
    assertEquals(0, r.code, r.err);
    List<String> lines = Files.readAllLines(out);
    assertTrue(
        lines.stream()
            .anyMatch(
                l ->
                    l.contains("\"name\":\"cli.test\"")
                        && l.contains("\"value\":80")
                        && l.contains("\"count\":40")),
        lines.toString());
    assertTrue(
        lines.stream()
            .anyMatch(l -> l.contains("\"name\":\"udsink.workers\"") && l.contains("\"value\":3")),
        "three workers: " + lines);
  }

  @Test
  void shouldCheckEverySettingBeforeOpeningOrBindingAnything() {
    String[][] bad = {
      {"--max-series", "0", "--max-series"},
      {"--workers", "0", "--workers must be 1 to 32"},
      {"--workers", "33", "--workers must be 1 to 32"},
      {"--workers", "-1", "--workers"},
      {"--workers", "many", "--workers"},
      {"--remote-write-label", "bad", "--remote-write-label"},
      {"--http", "nowhere", "--http nowhere"},
      {"--observer-type", "sketch", "--observer-type"},
      {"--mapping-cache-size", "0", "--mapping-cache-size"},
      {"--remote-write-password-file", "/nonexistent/p", "--remote-write-password-file"}
    };
    for (String[] b : bad) {
      Path sock = dir.resolve("c");
      Path out = dir.resolve("never.jsonl");
      MainRunner.Run r =
          MainTest.run("serve", "--socket", sock.toString(), "--out", out.toString(), b[0], b[1]);
      assertEquals(2, r.code, r.err);
      assertTrue(r.err.contains(b[2]), b[0] + ": " + r.err);
      assertTrue(!Files.exists(out, LinkOption.NOFOLLOW_LINKS), "opened nothing: " + b[0]);
      assertTrue(!Files.exists(sock, LinkOption.NOFOLLOW_LINKS), "bound nothing: " + b[0]);
    }
  }

  @Test
  void shouldReadTheTagFormatsSwitchedOnAndCheckAConfigurationWithoutRunning() throws Exception {
    Path sock = dir.resolve("t");
    Path out = dir.resolve("tags.jsonl");
    CompletableFuture<MainRunner.Run> serve =
        MainRunner.serve(
            sock,
            out,
            "2s",
            "--http",
            "off",
            "--statsd.parse-influxdb-tags=false",
            "--no-statsd.parse-librato-tags");
    try (var tx = TestSupport.connect(sock)) {
      TestSupport.sendWaiting(tx, "a,env=x:1|c\nb#env=y:1|c\nc[env=z]:1|c");
    }
    MainRunner.Run r = serve.get(20, TimeUnit.SECONDS);
    assertEquals(0, r.code, r.err);
    String lines = Files.readString(out);
    assertTrue(lines.contains("\"name\":\"a,env=x\""), "InfluxDB tags off: " + lines);
    assertTrue(lines.contains("\"name\":\"b#env=y\""), "Librato tags off: " + lines);
    assertTrue(
        lines.contains("\"name\":\"c\"") && lines.contains("\"env:z\""),
        "SignalFx tags on: " + lines);

    Path rules = dir.resolve("m.yml");
    Files.writeString(rules, "mappings:\n- match: a.*\n  name: a_total\n");
    Path never = dir.resolve("never");
    MainRunner.Run check =
        MainTest.run(
            "serve",
            "--socket",
            never.toString(),
            "--mapping-config",
            rules.toString(),
            "--check-config");
    assertEquals(0, check.code, check.err);
    assertTrue(check.out.contains("1 rules"), check.out);
    assertTrue(!Files.exists(never, LinkOption.NOFOLLOW_LINKS), "bound nothing");
    Files.writeString(rules, "mappings:\n- match: a..b\n  name: x\n");
    MainRunner.Run bad =
        MainTest.run("serve", "--mapping-config", rules.toString(), "--check-config");
    assertEquals(2, bad.code, bad.out);
    assertTrue(bad.err.contains("invalid match"), bad.err);
  }

  @Test
  void shouldNameABadHttpAddress() {
    MainRunner.Run r =
        MainTest.run(
            "serve",
            "--socket",
            dir.resolve("s").toString(),
            "--http",
            "localhost",
            "--out",
            "off");
    assertEquals(2, r.code);
    assertTrue(r.err.contains("--http localhost") && r.err.contains("HOST:PORT"), r.err);
  }

  @Test
  void shouldNameBadRemoteWriteSettingsBeforeBinding() {
    String[][] bad = {
      {"--remote-write", "localhost:9090/api/v1/write", "http://"},
      {"--remote-write", "http://h:1/x y", "not a URL"},
      {"--remote-write-label", "2bad=x", "NAME=VALUE"},
      {"--remote-write-label", "__name__=x", "NAME=VALUE"},
      {"--remote-write-label", "novalue", "NAME=VALUE"},
      {"--remote-write-header", "no colon", "'NAME: VALUE'"},
      {"--remote-write-header", "Host: elsewhere", "restricted header name"},
      {"--remote-write-header", "X-Tenant: a\r\nX-Evil: b", "invalid header value"},
      {"--remote-write-queue-size", "12 parsecs", "want a size"},
      {"--remote-write-queue-size", "99999999999999GiB", "too large"},
      {"--remote-write-native-histograms", "maybe", "want on, off"},
      {"--remote-write-native-histograms", "http://other:1/w=off", "no --remote-write"},
    };
    for (String[] b : bad) {
      MainRunner.Run r =
          MainTest.run(
              "serve",
              "--socket",
              dir.resolve("s").toString(),
              "--http",
              "off",
              "--out",
              "off",
              b[0],
              b[1]);
      assertEquals(2, r.code, String.join(" ", b) + ": " + r.err);
      assertTrue(r.err.contains(b[0] + " " + b[1]) && r.err.contains(b[2]), r.err);
      assertTrue(!Files.exists(dir.resolve("s"), LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void shouldRefuseAStateDirectoryAnotherUserCouldChange() throws Exception {
    Path open = Files.createDirectory(dir.resolve("open"));
    assertEquals(0, new ProcessBuilder("chmod", "1777", open.toString()).start().waitFor());
    Path real = Files.createDirectory(dir.resolve("real"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), real);
    Path file = Files.writeString(dir.resolve("file"), "x");
    String[][] cases = {
      {open.toString(), "other users may write to it"},
      {link.resolve("state").toString(), "symbolic link"},
      {file.resolve("state").toString(), "not a directory"},
    };
    for (String[] c : cases) {
      MainRunner.Run r =
          MainTest.run(
              "serve",
              "--socket",
              dir.resolve("s").toString(),
              "--http",
              "off",
              "--out",
              "off",
              "--remote-write",
              "http://127.0.0.1:1/w",
              "--state-dir",
              c[0]);
      assertEquals(1, r.code, c[0] + ": " + r.err);
      assertTrue(r.err.contains("--state-dir") && r.err.contains(c[1]), r.err);
      assertTrue(!Files.exists(dir.resolve("s"), LinkOption.NOFOLLOW_LINKS));
    }
    assertTrue(!Files.exists(real.resolve("state")), "nothing made through the link");
    Path made = dir.resolve("new/state");
    MainRunner.Run ok =
        MainTest.run(
            "serve",
            "--socket",
            dir.resolve("s").toString(),
            "--http",
            "off",
            "--out",
            "off",
            "--remote-write",
            "http://127.0.0.1:1/w",
            "--state-dir",
            made.toString(),
            "--duration",
            "100ms");
    assertEquals(0, ok.code, ok.err);
    assertEquals(
        "rwx------",
        java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(made)));
  }

  @Test
  void shouldNameAPortInUse() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String addr = "127.0.0.1:" + taken.getLocalPort();
      MainRunner.Run r =
          MainTest.run(
              "serve", "--socket", dir.resolve("s").toString(), "--http", addr, "--out", "off");
      assertEquals(1, r.code);
      assertTrue(r.err.contains("--http " + addr) && r.err.contains("cannot listen"), r.err);
      assertTrue(!Files.exists(dir.resolve("s"), LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void shouldNameAnOutputItCannotOpen() throws Exception {
    Path d = dir.resolve("adir");
    Files.createDirectory(d);
    MainRunner.Run r =
        MainTest.run(
            "serve",
            "--socket",
            dir.resolve("s").toString(),
            "--http",
            "off",
            "--out",
            d.toString());
    assertEquals(1, r.code);
    assertTrue(r.err.contains("--out " + d), r.err);
  }
}
