package io.udsink.collector.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.udsink.collector.Promtool;
import io.udsink.collector.TestSupport;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.SocketSpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * What only the native receive path gives: each datagram's sender, from the kernel, and the
 * queue's depth as the batched receives find it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CredentialsAndDepthTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;

  /** Records, by datagram text, the pid and uid the loop gave with it. */
  private static final class SenderHandler implements DatagramHandler {
    final Map<String, int[]> seen = new ConcurrentHashMap<>();

    @Override
    public void onDatagram(int socket, ByteBuffer datagram, boolean truncated) {
      throw new AssertionError("the loop must give credentials");
    }

    @Override
    public void onDatagram(
        int socket, ByteBuffer datagram, boolean truncated, int pid, int uid, int gid) {
      seen.put(StandardCharsets.UTF_8.decode(datagram).toString(), new int[] {pid, uid, gid});
    }
  }

  /** Sends one datagram, its own pid as text, from a python3 process (as another user). */
  private static long sendFromChild(Path socket, String... asUser) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(asUser));
    cmd.addAll(
        List.of(
            "/usr/bin/python3",
            "-c",
            "import os,socket,sys\n"
                + "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n"
                + "s.sendto(('pid:%d' % os.getpid()).encode(), sys.argv[1])\n"
                + "print(os.getpid())",
            socket.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertTrue(p.waitFor(20, TimeUnit.SECONDS), "sender ended");
    assertEquals(0, p.exitValue(), out);
    return Long.parseLong(out);
  }

  @Test
  void shouldSeeEachSendersPidAndUid() throws Exception {
    Promtool.requireProgram("python3");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path sock = dir.resolve("c");
    BoundSocket s = BoundSocket.bind(SocketSpec.parse(sock.toString()), 0666, false);
    SenderHandler h = new SenderHandler();
    ReceiveLoop loop = ReceiveLoop.create(List.of(s), h, 64, 1024);
    loop.start();
    try {
      long pid = sendFromChild(sock);
      TestSupport.await("the child's datagram", WAIT, () -> h.seen.containsKey("pid:" + pid));
      int[] c = h.seen.get("pid:" + pid);
      assertEquals(pid, c[0], "the pid the kernel attached is the child's");
      assertEquals(new com.sun.security.auth.module.UnixSystem().getUid(), c[1]);
      boolean root = new com.sun.security.auth.module.UnixSystem().getUid() == 0;
      if (System.getenv("CI") == null) {
        assumeTrue(
            root && Promtool.onPath("setpriv"),
            "sending as another user needs root and setpriv; skipped outside CI");
      }
      long nobodyPid =
          sendFromChild(sock, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
      TestSupport.await("nobody's datagram", WAIT, () -> h.seen.containsKey("pid:" + nobodyPid));
      assertEquals(65534, h.seen.get("pid:" + nobodyPid)[1], "the uid is the sender's");
      assertEquals(65534, h.seen.get("pid:" + nobodyPid)[2], "and the gid");
      TestSupport.await("counted by uid", WAIT, () -> loop.senders().size() == 2);
      assertEquals(65534, loop.senders().uid(1));
      assertEquals(1, loop.senders().count(1));
    } finally {
      loop.close();
    }
  }

  @Test
  void shouldCountDatagramsByUidWithoutCredentialsAsUnknown() throws Exception {
    // a socket adopted after datagrams were queued: those carry no credentials
    Path sock = dir.resolve("u");
    org.newsclub.net.unix.AFUNIXDatagramChannel raw = AFUNIXDatagramChannel.open();
    raw.bind(org.newsclub.net.unix.AFUNIXSocketAddress.of(sock));
    try (AFUNIXDatagramChannel tx = TestSupport.connect(sock)) {
      TestSupport.send(tx, "early");
      BoundSocket s = BoundSocket.adopt(SocketSpec.parse(sock.toString()), raw, false, null);
      TestSupport.send(tx, "late");
      SenderHandler h = new SenderHandler();
      ReceiveLoop loop = ReceiveLoop.create(List.of(s), h, 64, 1024);
      loop.close(); // the stop drains both
      assertEquals(-1, h.seen.get("early")[1], "queued before SO_PASSCRED: no credentials");
      assertEquals(ProcessHandle.current().pid(), h.seen.get("late")[0]);
      assertEquals(1, loop.senders().count(SenderStats.UNKNOWN));
      assertEquals(1, loop.senders().size());
      assertEquals(1, loop.senders().count(0));
    }
  }

  @Test
  void shouldShowTheQueueRisingWhileTheLoopIsHeldAndFallingAfter() throws Exception {
    Path sock = dir.resolve("q");
    BoundSocket s = BoundSocket.bind(SocketSpec.parse(sock.toString()), 0600, false);
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicLong handled = new AtomicLong();
    AtomicLong flushes = new AtomicLong();
    DatagramHandler h =
        new DatagramHandler() {
          @Override
          public void onDatagram(int socket, ByteBuffer datagram, boolean truncated) {
            if (handled.incrementAndGet() == 1) {
              holding.countDown();
              try {
                release.await(); // the test seam: the loop is held here
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }

          @Override
          public long onTimer(long nowNs) {
            flushes.incrementAndGet();
            return nowNs + TimeUnit.MILLISECONDS.toNanos(20);
          }
        };
    ReceiveLoop loop = ReceiveLoop.create(List.of(s), h, 64, 1024);
    loop.start();
    try (AFUNIXDatagramChannel tx = TestSupport.connect(sock)) {
      tx.configureBlocking(false);
      TestSupport.send(tx, "first");
      assertTrue(holding.await(30, TimeUnit.SECONDS));
      int queued = 0;
      while (TestSupport.send(tx, "q" + queued) > 0) {
        queued++; // until the kernel's queue is full
      }
      assertTrue(queued >= 2, "queued " + queued);
      release.countDown();
      final int expected = queued;
      SocketStats st = loop.socketStats()[0];
      TestSupport.await("the held queue's depth at a flush", WAIT, () -> st.queueMax() == expected);
      assertEquals(1 + expected, handled.get());
      // then, with one datagram at a time, it falls back
      TestSupport.send(tx, "one");
      TestSupport.await(
          "one datagram at a time", WAIT, () -> st.queueMax() == 1 && st.queueLast() == 1);
      long f = flushes.get();
      TestSupport.await("a flush without traffic", WAIT, () -> flushes.get() > f + 1);
      assertEquals(0, st.queueMax(), "nothing was queued in the last interval");
    } finally {
      loop.close();
    }
  }
}
