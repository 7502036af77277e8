package io.udsink.collector.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.udsink.collector.BlockingSenders;
import io.udsink.collector.Promtool;
import io.udsink.collector.TestSupport;
import io.udsink.collector.UdsinkProcess;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * Socket activation as systemd does it: a parent holds the socket and starts udsink again and
 * again with it as descriptor 3 (scripts/socket-holder, and systemd's own
 * systemd-socket-activate), while senders keep sending.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SocketActivationTest {
  private static final Path HOLDER = Path.of("..", "scripts", "socket-holder").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** Runs the holder to its end; its per-run JSON objects, the summary last. */
  private List<JsonNode> hold(
      Path socket,
      int runs,
      String pass,
      List<String> command,
      BlockingSenders[] senders,
      String line)
      throws Exception {
    Promtool.requireProgram("python3");
    Path stop = dir.resolve("stop-draining");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "python3",
                HOLDER.toString(),
                "--socket",
                socket.toString(),
                "--runs",
                Integer.toString(runs),
                "--run",
                "1",
                "--pass",
                pass,
                "--drain-until",
                stop.toString(),
                "--"));
    cmd.addAll(command);
    Path out = dir.resolve("holder.out");
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(out.toFile())
            .redirectError(dir.resolve("holder.err").toFile())
            .start();
    try {
      if (senders != null) {
        TestSupport.await(
            "the held socket",
            Duration.ofSeconds(30),
            () -> Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        senders[0] = new BlockingSenders(socket, 2, line);
      }
      TestSupport.await(
          "the holder to finish its runs",
          Duration.ofSeconds(240),
          () -> {
            try {
              String o = Files.readString(out);
              return o.contains("\"draining\"") || o.contains("\"summary\"");
            } catch (java.io.IOException e) {
              return false;
            }
          });
      if (senders != null) {
        senders[0].close(); // the holder reads now, so every sender's last send completes
      }
      Files.writeString(stop, "");
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      List<JsonNode> result = new ArrayList<>();
      for (String l : Files.readAllLines(out)) {
        JsonNode n = JSON.readTree(l);
        if (!n.has("draining")) {
          result.add(n);
        }
      }
      return result;
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void shouldRestartCountThreeTimesUnderLoadLosingNothingAndKeepingTheSocket() throws Exception {
    Path sock = dir.resolve("a.sock");
    BlockingSenders[] senders = new BlockingSenders[1];
    List<JsonNode> runs =
        hold(sock, 3, "dgram", UdsinkProcess.javaCommand("count"), senders, "activated:1|c");
    long rx = 0;
    for (JsonNode r : runs.subList(0, 3)) {
      assertEquals(0, r.get("exit").asInt(), r.toString());
      assertTrue(r.get("socket_present").asBoolean(), "the socket file is never removed");
      assertEquals("[\"READY=1\",\"STOPPING=1\"]", r.get("notified").toString(), r.toString());
      Matcher m = Pattern.compile("rx=(\\d+)").matcher(r.get("stdout").asText());
      assertTrue(m.find(), r.toString());
      assertTrue(Long.parseLong(m.group(1)) > 0, "every run read: " + r);
      rx += Long.parseLong(m.group(1));
    }
    assertEquals(List.of(), senders[0].errors(), "senders saw no error");
    // what came after the last run waited in the socket's queue; the holder read it at the end
    long drained = runs.get(3).get("drained").asLong();
    assertEquals(senders[0].sent(), rx + drained, "every datagram read exactly once");
    assertTrue(runs.get(3).get("socket_present").asBoolean());
  }

  @Test
  void shouldRestartServeUnderLoadWithExactJsonTotals() throws Exception {
    Path sock = dir.resolve("s.sock");
    Path out = dir.resolve("out.jsonl");
    BlockingSenders[] senders = new BlockingSenders[1];
    List<JsonNode> runs =
        hold(
            sock,
            3,
            "dgram",
            UdsinkProcess.javaCommand(
                "serve", "--out", out.toString(), "--http", "off", "--flush-interval", "300ms"),
            senders,
            "activated:1|c");
    for (JsonNode r : runs.subList(0, 3)) {
      assertEquals(0, r.get("exit").asInt(), r.toString());
    }
    double total = 0;
    for (String l : Files.readAllLines(out)) {
      JsonNode n = JSON.readTree(l);
      if ("activated".equals(n.path("name").asText())) {
        total += n.get("value").asDouble();
      }
    }
    long sent = senders[0].sent();
    assertEquals(List.of(), senders[0].errors());
    assertEquals(
        sent,
        total + runs.get(3).get("drained").asLong(),
        "every sample in the JSON lines, but what came after the last run");
  }

  @Test
  void shouldRefuseAStreamSocketOrAFileAtDescriptorThree() throws Exception {
    List<JsonNode> stream =
        hold(dir.resolve("st.sock"), 1, "stream", UdsinkProcess.javaCommand("count"), null, null);
    assertEquals(1, stream.get(0).get("exit").asInt());
    assertTrue(
        stream.get(0).get("stderr").asText().contains("inherited fd 3 is an AF_UNIX stream socket"),
        stream.toString());
    List<JsonNode> file =
        hold(
            dir.resolve("plain"),
            1,
            "file",
            UdsinkProcess.javaCommand("serve", "--http", "off"),
            null,
            null);
    assertEquals(1, file.get(0).get("exit").asInt());
    assertTrue(
        file.get(0)
            .get("stderr")
            .asText()
            .contains("inherited fd 3 is not a socket but the file " + dir.resolve("plain")),
        file.toString());
  }

  @Test
  void shouldRunUnderSystemdSocketActivate() throws Exception {
    Promtool.requireProgram("systemd-socket-activate");
    Path sock = dir.resolve("sd.sock");
    List<String> cmd =
        new ArrayList<>(List.of("systemd-socket-activate", "--datagram", "-l", sock.toString()));
    cmd.addAll(UdsinkProcess.javaCommand("count", "--duration", "3s"));
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(dir.resolve("sd.out").toFile())
            .redirectError(dir.resolve("sd.err").toFile())
            .start();
    try {
      TestSupport.await(
          "the socket",
          Duration.ofSeconds(30),
          () -> Files.exists(sock, LinkOption.NOFOLLOW_LINKS));
      try (AFUNIXDatagramChannel ch = TestSupport.connect(sock)) {
        for (int i = 0; i < 50; i++) {
          TestSupport.sendWaiting(ch, "sd:1|c");
        }
      }
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      String err = Files.readString(dir.resolve("sd.err"));
      assertEquals(0, p.exitValue(), err);
      assertEquals(
          "rx=50 bytes=300 truncated=0", Files.readString(dir.resolve("sd.out")).trim(), err);
      assertTrue(
          Files.exists(sock, LinkOption.NOFOLLOW_LINKS),
          "an inherited socket's file is left to its owner");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void shouldNotifyReadyAndStoppingWhenNotifySocketIsSet() throws Exception {
    Path notifyPath = dir.resolve("notify");
    try (AFUNIXDatagramChannel notify = AFUNIXDatagramChannel.open()) {
      notify.bind(AFUNIXSocketAddress.of(notifyPath));
      Path sock = dir.resolve("n.sock");
      try (UdsinkProcess p =
          UdsinkProcess.start(
              dir,
              List.of(),
              Map.of("NOTIFY_SOCKET", notifyPath.toString()),
              "serve",
              "--socket",
              sock.toString(),
              "--http",
              "off",
              "--out",
              "off")) {
        assertEquals("READY=1", receive(notify));
        assertTrue(Files.exists(sock, LinkOption.NOFOLLOW_LINKS), "ready after the bind");
        p.process.destroy();
        assertEquals("STOPPING=1", receive(notify));
        assertEquals(0, p.waitFor(Duration.ofSeconds(30)), p.stderr());
        assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS));
      }
    }
  }

  private static String receive(AFUNIXDatagramChannel ch) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(256);
    ch.socket().setSoTimeout(30_000);
    ch.configureBlocking(true);
    ch.receive(b);
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
  }
}
