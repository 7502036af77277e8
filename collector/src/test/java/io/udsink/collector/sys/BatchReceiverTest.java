package io.udsink.collector.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.SocketSpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/** recvmmsg through the native layer, on real sockets. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BatchReceiverTest {
  @TempDir Path dir;

  private static byte[] fill(int n, byte b) {
    byte[] a = new byte[n];
    java.util.Arrays.fill(a, b);
    return a;
  }

  @Test
  void shouldCountZeroLengthMaximumAndOversizeDatagramsInOneBatchExactly() throws Exception {
    int max = 100;
    Path p = dir.resolve("b");
    try (BoundSocket s = BoundSocket.bind(SocketSpec.parse(p.toString()), 0600, false);
        AFUNIXDatagramChannel tx = TestSupport.connect(p);
        BatchReceiver r = new BatchReceiver(16, max)) {
      tx.write(ByteBuffer.wrap(fill(max, (byte) 'm'))); // exactly the maximum: whole
      TestSupport.sendEmpty(p); // zero-length
      tx.write(ByteBuffer.wrap(fill(max + 1, (byte) 'o'))); // one byte over: cut
      tx.write(ByteBuffer.wrap(fill(5000, (byte) 'x'))); // far over: cut
      TestSupport.sendEmpty(p);
      tx.write(ByteBuffer.wrap("end".getBytes(StandardCharsets.UTF_8)));
      int n = s.receive(r, 16);
      assertEquals(6, n, "one receive took the whole queue");
      int[] lengths = {max, 0, max, max, 0, 3};
      boolean[] cut = {false, false, true, true, false, false};
      for (int i = 0; i < n; i++) {
        assertEquals(lengths[i], r.length(i), "length of " + i);
        assertEquals(lengths[i], r.datagram(i).remaining(), "view of " + i);
        assertEquals(cut[i], r.truncated(i), "truncation of " + i);
      }
      assertEquals('o', r.datagram(2).get(max - 1), "a cut datagram keeps its first bytes");
      assertEquals("end", StandardCharsets.UTF_8.decode(r.datagram(5)).toString());
      assertEquals(0, s.receive(r, 16), "then the queue is empty");
      assertThrows(IndexOutOfBoundsException.class, () -> r.datagram(0));
    }
  }

  @Test
  void shouldNeverTakeMoreThanAskedAndKeepTheRestQueued() throws Exception {
    Path p = dir.resolve("c");
    try (BoundSocket s = BoundSocket.bind(SocketSpec.parse(p.toString()), 0600, false);
        AFUNIXDatagramChannel tx = TestSupport.connect(p);
        BatchReceiver r = new BatchReceiver(4, 64)) {
      for (int i = 0; i < 7; i++) {
        TestSupport.send(tx, "d" + i);
      }
      assertEquals(2, s.receive(r, 2));
      assertEquals("d1", StandardCharsets.UTF_8.decode(r.datagram(1)).toString());
      assertEquals(4, s.receive(r, 10), "at most the capacity");
      assertEquals("d2", StandardCharsets.UTF_8.decode(r.datagram(0)).toString());
      assertEquals(1, s.receive(r, 4), "a short batch: the queue is empty");
      assertEquals("d6", StandardCharsets.UTF_8.decode(r.datagram(0)).toString());
    }
  }

  @Test
  void shouldCarryTheSendersCredentials() throws Exception {
    Path p = dir.resolve("d");
    try (BoundSocket s = BoundSocket.bind(SocketSpec.parse(p.toString()), 0600, false);
        AFUNIXDatagramChannel tx = TestSupport.connect(p);
        BatchReceiver r = new BatchReceiver(4, 64)) {
      TestSupport.send(tx, "x");
      assertEquals(1, s.receive(r, 4));
      assertEquals(ProcessHandle.current().pid(), r.pid(0));
      assertEquals(new com.sun.security.auth.module.UnixSystem().getUid(), r.uid(0));
      assertEquals(new com.sun.security.auth.module.UnixSystem().getGid(), r.gid(0));
    }
  }

  @Test
  void shouldMatchWhatWasSentOverRandomBatches() throws Exception {
    // property: random sizes (0 to twice the slot) in random bursts, received in random batches
    Path p = dir.resolve("e");
    int slot = 256;
    try (BoundSocket s = BoundSocket.bind(SocketSpec.parse(p.toString()), 0600, false);
        AFUNIXDatagramChannel tx = TestSupport.connect(p);
        BatchReceiver r = new BatchReceiver(8, slot)) {
      tx.configureBlocking(false);
      for (long seed = 1; seed <= 20; seed++) {
        Random rnd = new Random(seed);
        java.util.ArrayDeque<byte[]> sent = new java.util.ArrayDeque<>();
        int burst = 1 + rnd.nextInt(11);
        for (int i = 0; i < burst; i++) {
          byte[] d = fill(rnd.nextInt(2 * slot), (byte) ('a' + rnd.nextInt(26)));
          if (d.length == 0) {
            TestSupport.sendEmpty(p);
          } else if (tx.write(ByteBuffer.wrap(d)) == 0) {
            break; // the queue is full
          }
          sent.add(d);
        }
        int got;
        while ((got = s.receive(r, 1 + rnd.nextInt(8))) > 0) {
          for (int i = 0; i < got; i++) {
            byte[] d = sent.poll();
            assertTrue(d != null, "seed " + seed + ": more received than sent");
            assertEquals(Math.min(d.length, slot), r.length(i), "seed " + seed);
            assertEquals(d.length > slot, r.truncated(i), "seed " + seed);
            if (d.length > 0) {
              assertEquals(d[0], r.datagram(i).get(0));
            }
          }
        }
        assertTrue(sent.isEmpty(), "seed " + seed + ": " + sent.size() + " not received");
      }
    }
  }

  @Test
  void shouldRefuseAReceiverOfNoSize() {
    assertThrows(IllegalArgumentException.class, () -> new BatchReceiver(0, 10));
    assertThrows(IllegalArgumentException.class, () -> new BatchReceiver(10, 0));
    assertThrows(IllegalArgumentException.class, () -> new BatchReceiver(5000, 10));
  }

  @Test
  void shouldReportABadDescriptorAsAnError() throws Exception {
    try (BatchReceiver r = new BatchReceiver(2, 16)) {
      NativeException e = assertThrows(NativeException.class, () -> r.receive(1 << 20, 2));
      assertTrue(e.getMessage().startsWith("recvmmsg: EBADF"), e.getMessage());
      assertFalse(e.isNotFound());
    }
  }
}
