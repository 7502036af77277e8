package io.udsink.collector.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ByteRingTest {
  @Test
  void shouldRefuseWhenFullAndTakeAgainOnceReleased() {
    ByteRing r = new ByteRing(64);
    assertEquals(24, r.maxPayload());
    int a = r.claim(24, 7);
    int b = r.claim(24, 8);
    assertTrue(a >= 0 && b >= 0);
    assertEquals(-1, r.claim(1, 9), "full");
    assertFalse(r.hasRoom(1));
    assertEquals(-1, r.next(), "nothing published yet");
    r.publish();
    int off = r.next();
    assertEquals(a, off);
    assertEquals(7, r.kind(off));
    r.consume(off);
    assertEquals(-1, r.claim(1, 9), "consumed but not released");
    r.release();
    assertTrue(r.hasRoom(24));
    assertTrue(r.claim(24, 9) >= 0);
  }

  @Test
  void shouldPadRatherThanWrapARecord() {
    ByteRing r = new ByteRing(64);
    int a = r.claim(8, 1); // 16 bytes at 0
    r.publish();
    r.consume(r.next());
    r.release();
    int b = r.claim(24, 2); // 32 bytes at 16
    r.publish();
    r.consume(r.next());
    r.release();
    int c = r.claim(16, 3); // 24 bytes: 16 left before the end, so a pad, then at 0
    assertEquals(8, a);
    assertEquals(24, b);
    assertEquals(8, c);
    r.publish();
    int off = r.next();
    assertEquals(c, off, "the pad is skipped");
    assertEquals(3, r.kind(off));
    assertFalse(r.drained());
    r.consume(off);
    assertTrue(r.drained());
  }

  @Test
  void shouldRefuseASizeThatIsNotAPowerOfTwo() {
    assertThrows(IllegalArgumentException.class, () -> new ByteRing(100));
    assertThrows(IllegalArgumentException.class, () -> new ByteRing(32));
  }

  /** A producer and a consumer thread: every record arrives once, whole, in order. */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void shouldCarryRandomRecordsBetweenTwoThreadsInOrder(long seed) throws Exception {
    ByteRing r = new ByteRing(4096);
    int records = 200_000;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread producer =
        new Thread(
            () -> {
              Random lengths = new Random(seed);
              Random rnd = new Random(seed + 100);
              for (int i = 0; i < records; i++) {
                int len = 4 + lengths.nextInt(lengths.nextInt(8) == 0 ? r.maxPayload() - 3 : 40);
                int off;
                while ((off = r.claim(len, 1 + (i % 5))) < 0) {
                  r.publish();
                  Thread.onSpinWait();
                }
                r.putInt(off, i);
                for (int k = 4; k < len; k++) {
                  r.buf[off + k] = (byte) (i + k);
                }
                if (rnd.nextInt(4) == 0) {
                  r.publish();
                }
              }
              r.publish();
            });
    producer.setUncaughtExceptionHandler((t, e) -> failure.set(e));
    producer.start();
    Random lengths = new Random(seed);
    Random rnd = new Random(seed + 200);
    for (int i = 0; i < records; i++) {
      int len = 4 + lengths.nextInt(lengths.nextInt(8) == 0 ? r.maxPayload() - 3 : 40);
      int off;
      while ((off = r.next()) < 0) {
        r.release(); // what was consumed: the producer may be waiting for it
        assertTrue(producer.isAlive() || failure.get() == null, "producer died");
        Thread.onSpinWait();
      }
      assertEquals(1 + (i % 5), r.kind(off));
      assertEquals(i, r.getInt(off));
      for (int k = 4; k < len; k++) {
        if (r.buf[off + k] != (byte) (i + k)) {
          throw new AssertionError("record " + i + " byte " + k);
        }
      }
      r.consume(off);
      if (rnd.nextInt(3) == 0) {
        r.release();
      }
    }
    r.release();
    producer.join();
    assertEquals(null, failure.get());
    assertEquals(-1, r.next());
    assertEquals(0, r.used());
  }
}
