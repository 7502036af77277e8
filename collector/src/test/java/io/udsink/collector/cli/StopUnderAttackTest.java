package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.udsink.collector.BlockingSenders;
import io.udsink.collector.TestSupport;
import io.udsink.collector.UdsinkProcess;
import io.udsink.collector.transport.ProcessUser;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile conditions of the security findings, applied together to one {@code udsink serve}
 * while counters are sent: a link, then a FIFO, swapped in at the rotated output path; slow HTTP
 * clients; a mapping file replaced by a FIFO and reloaded; reload requests without the lifecycle
 * flag. After the stop, the JSON lines hold exactly what the senders sent.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StopUnderAttackTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  /** A shell command, as user nobody when the tests run as root (else as this user). */
  private static void attacker(String script) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (ProcessUser.uid() == 0 && Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
      cmd.addAll(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
    }
    cmd.addAll(List.of("/bin/sh", "-c", script));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), script + ": " + out);
  }

  /**
   * Moves the output away and puts {@code planted} at its path at once; should udsink have made
   * a new file in between, rotates again.
   */
  private static void rotateTo(Path out, Path planted, List<Path> rotated) throws Exception {
    for (int i = 1; i <= 5; i++) {
      Path to = out.resolveSibling(out.getFileName() + "." + i);
      Files.move(out, to);
      rotated.add(to);
      try {
        Files.move(planted, out);
        return;
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // udsink reopened first: try again
      }
    }
    throw new AssertionError("could not plant at " + out);
  }

  @Test
  void shouldCountEveryDatagramWhileUnderAttack() throws Exception {
    assertEquals(0, new ProcessBuilder("chmod", "0755", dir.toString()).start().waitFor());
    Path logs = Files.createDirectory(dir.resolve("logs"));
    assertEquals(0, new ProcessBuilder("chmod", "1777", logs.toString()).start().waitFor());
    Path out = logs.resolve("m.jsonl");
    Path rules = dir.resolve("rules.yml");
    Files.writeString(rules, "mappings: []\n");
    Path sock = dir.resolve("s");
    Path target = Files.writeString(dir.resolve("target"), "untouched\n");
    int port = UdsinkProcess.freePort();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    List<Socket> slow = new ArrayList<>();
    long sent;
    List<Path> rotated = new ArrayList<>();
    try (UdsinkProcess p =
        UdsinkProcess.start(
            dir,
            List.of(),
            "serve",
            "--socket",
            sock.toString(),
            "--socket-mode",
            "0666",
            "--out",
            out.toString(),
            "--http",
            "127.0.0.1:" + port,
            "--flush-interval",
            "100ms",
            "--mapping-config",
            rules.toString())) {
      p.awaitSocket(sock);
      try (BlockingSenders senders = new BlockingSenders(sock, 2, "attack.c:1|c")) {
        TestSupport.await("load", WAIT, () -> senders.sent() > 2000);
        for (int i = 0; i < 16; i++) {
          Socket s = new Socket("127.0.0.1", port);
          s.getOutputStream().write('G');
          slow.add(s);
        }
        // rotation, and the attacker is quicker than the reopen: a link, then a FIFO (made by
        // the attacker, put in place the instant the path is free)
        attacker(
            "ln -s " + target + " " + logs.resolve("link") + " && mkfifo " + logs.resolve("fifo"));
        rotateTo(out, logs.resolve("link"), rotated);
        long before = senders.sent();
        TestSupport.await("more load", WAIT, () -> senders.sent() > before + 2000);
        Files.delete(out);
        Files.move(logs.resolve("fifo"), out);
        // the mapping file becomes a FIFO and is reloaded; reloads are posted without the flag
        Files.delete(rules);
        assertEquals(0, new ProcessBuilder("mkfifo", rules.toString()).start().waitFor());
        assertEquals(
            0,
            new ProcessBuilder("kill", "-HUP", Long.toString(p.process.pid())).start().waitFor());
        for (int i = 0; i < 5; i++) {
          HttpResponse<String> r =
              http.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/reload"))
                      .timeout(Duration.ofSeconds(5))
                      .POST(HttpRequest.BodyPublishers.noBody())
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertEquals(403, r.statusCode());
        }
        HttpResponse<String> scrape =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, scrape.statusCode());
        long mid = senders.sent();
        TestSupport.await("load under attack", WAIT, () -> senders.sent() > mid + 2000);
        attacker("rm " + out); // gone: udsink's retry makes a file of its own
        senders.close();
        assertEquals(List.of(), senders.errors(), "senders saw no error");
        sent = senders.sent();
      }
      assertEquals(0, p.stop(WAIT), p.stderr());
      assertTrue(p.process.isAlive() == false);
    } finally {
      for (Socket s : slow) {
        s.close();
      }
    }
    assertEquals("untouched\n", Files.readString(target), "nothing written through the link");
    assertTrue(Files.isRegularFile(out, LinkOption.NOFOLLOW_LINKS), "a file of udsink's own");
    double total = 0;
    ObjectMapper om = new ObjectMapper();
    rotated.add(out);
    for (Path f : rotated) {
      for (String line : Files.readAllLines(f)) {
        JsonNode n = om.readTree(line);
        if ("attack.c".equals(n.path("name").asText())) {
          total += n.get("value").asDouble();
        }
      }
    }
    assertEquals(sent, total, "every datagram sent is in the JSON lines, once");
  }
}
