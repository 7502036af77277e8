package io.udsink.collector.export.remotewrite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The write-ahead queue of a remote-write receiver, on a real file system. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiskQueueTest {
  @TempDir Path dir;

  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong corrupt = new AtomicLong();
  private final List<String> log = new ArrayList<>();

  private DiskQueue open(long maxBytes) throws Exception {
    return DiskQueue.open(
        dir.resolve("q"),
        maxBytes,
        new DiskQueue.Events() {
          @Override
          public void dropped(long samples, String why) {
            dropped.addAndGet(samples);
            log.add(why);
          }

          @Override
          public void corrupt(long records, String why) {
            corrupt.addAndGet(records);
            log.add(why);
          }
        },
        () -> {});
  }

  /** A body that names its number, of a size that varies with it. */
  private static byte[] body(int n, int size) {
    byte[] b = new byte[size];
    new Random(n).nextBytes(b);
    ByteBuffer.wrap(b).putInt(0, n);
    return b;
  }

  private static List<Integer> drain(DiskQueue q) throws InterruptedException {
    List<Integer> got = new ArrayList<>();
    while (true) {
      DiskQueue.Entry e = q.next(0);
      if (e == null) {
        return got;
      }
      got.add(ByteBuffer.wrap(e.body()).getInt(0));
      q.taken(e);
    }
  }

  private static void append(DiskQueue q, int from, int to, int size) throws IOException {
    List<DiskQueue.Request> r = new ArrayList<>();
    for (int i = from; i < to; i++) {
      r.add(new DiskQueue.Request(body(i, size), 10, 1000L + i));
    }
    q.append(r);
  }

  @Test
  void shouldGiveBackWhatWasAppendedInOrderAcrossAReopenResumingAfterWhatWasTaken()
      throws Exception {
    try (DiskQueue q = open(1 << 20)) {
      append(q, 0, 30, 3000);
      for (int i = 0; i < 10; i++) {
        DiskQueue.Entry e = q.next(0);
        assertEquals(i, ByteBuffer.wrap(e.body()).getInt(0));
        assertArrayEquals(body(i, 3000), e.body());
        assertEquals(1000L + i, e.createdMs());
        q.taken(e);
      }
      DiskQueue.Entry notTaken = q.next(0);
      assertEquals(10, ByteBuffer.wrap(notTaken.body()).getInt(0)); // in flight at the stop
      assertEquals(200, q.samples());
    }
    try (DiskQueue q = open(1 << 20)) {
      assertEquals(200, q.samples(), "counted from the headers at open");
      append(q, 30, 35, 100);
      List<Integer> got = drain(q);
      List<Integer> want = new ArrayList<>();
      for (int i = 10; i < 35; i++) {
        want.add(i);
      }
      assertEquals(want, got, "the request in flight is sent again; nothing taken comes back");
      assertTrue(q.isEmpty());
    }
    try (DiskQueue q = open(1 << 20)) {
      assertNull(q.next(0), "nothing comes back once taken");
    }
    assertEquals(0, dropped.get() + corrupt.get(), log.toString());
  }

  @Test
  void shouldKeepToTheBoundDroppingTheOldestAndCountingTheirSamples() throws Exception {
    long bound = 64 << 10;
    try (DiskQueue q = open(bound)) {
      append(q, 0, 100, 2000); // 100 * 2 KB: three times the bound
      assertTrue(q.bytes() <= bound, q.bytes() + " bytes held");
      List<Integer> got = drain(q);
      assertEquals(99, got.get(got.size() - 1), "the newest are kept");
      for (int k = 1; k < got.size(); k++) {
        assertEquals(got.get(k - 1) + 1, got.get(k), "a run of the newest, in order");
      }
      assertEquals((100 - got.size()) * 10L, dropped.get(), "each dropped sample counted");
      long onDisk = 0;
      try (var files = Files.list(dir.resolve("q"))) {
        for (Path p : files.filter(p -> p.toString().endsWith(".seg")).toList()) {
          onDisk += Files.size(p);
        }
      }
      assertTrue(onDisk <= bound, onDisk + " bytes on disk");
    }
  }

  @Test
  void shouldDropARequestLargerThanTheBoundAndKeepTheRest() throws Exception {
    try (DiskQueue q = open(1 << 20)) {
      q.append(
          List.of(
              new DiskQueue.Request(body(1, 100), 5, 1),
              new DiskQueue.Request(body(2, 2 << 20), 7, 2),
              new DiskQueue.Request(body(3, 100), 5, 3)));
      assertEquals(List.of(1, 3), drain(q));
      assertEquals(7, dropped.get());
    }
  }

  @Test
  void shouldSkipATornTailAndFlippedBytesCountingThemAndSendTheRest() throws Exception {
    try (DiskQueue q = open(1 << 20)) {
      append(q, 0, 10, 1000);
    }
    try (DiskQueue q = open(1 << 20)) {
      append(q, 10, 20, 1000);
    }
    List<Path> segs;
    try (var files = Files.list(dir.resolve("q"))) {
      segs = files.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
    }
    assertEquals(2, segs.size(), segs.toString());
    int record = DiskQueue.HEADER + 1000;
    // the first segment: a crash in the middle of its last record
    try (FileChannel ch = FileChannel.open(segs.get(0), StandardOpenOption.WRITE)) {
      ch.truncate(9L * record + 300);
    }
    // the second: bytes flipped inside record 13's body and record 16's header
    try (FileChannel ch =
        FileChannel.open(segs.get(1), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      flip(ch, 3L * record + DiskQueue.HEADER + 500);
      flip(ch, 6L * record + 5);
    }
    try (DiskQueue q = open(1 << 20)) {
      assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 14, 15, 17, 18, 19), drain(q));
    }
    assertEquals(3, corrupt.get(), "the torn tail and each damaged record: " + log);
    assertEquals(0, dropped.get());
  }

  private static void flip(FileChannel ch, long at) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(1);
    ch.read(b, at);
    b.put(0, (byte) ~b.get(0));
    b.rewind();
    ch.write(b, at);
  }

  @Test
  void shouldStartFromTheBeginningWhenTheCursorIsDamaged() throws Exception {
    try (DiskQueue q = open(1 << 20)) {
      append(q, 0, 5, 100);
      q.taken(q.next(0));
    }
    Files.write(dir.resolve("q/cursor"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
    try (DiskQueue q = open(1 << 20)) {
      assertEquals(List.of(0, 1, 2, 3, 4), drain(q), "sent again rather than lost");
    }
  }

  @Test
  void shouldLetOneProcessUseTheQueueAtATimeAndHandItOnWhenClosed() throws Exception {
    DiskQueue first = open(1 << 20);
    append(first, 0, 3, 100);
    CompletableFuture<DiskQueue> second =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return open(1 << 20);
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    // the lock is per process: in one JVM the second waits on the first's channel as well
    assertFalse(waitsAtLeast(second, 300), "a second user waits while the first holds the queue");
    first.close();
    try (DiskQueue q = second.get(30, TimeUnit.SECONDS)) {
      assertEquals(List.of(0, 1, 2), drain(q));
    }
  }

  private static boolean waitsAtLeast(CompletableFuture<?> f, long ms) {
    try {
      f.get(ms, TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Random appends, takes, reopens and damage, with fixed seeds: what comes back is always a
   * subsequence of what went in, in order, each record whole, and the queue always opens.
   */
  @Test
  void shouldNeverReorderDuplicateOrAlterARecordWhateverTheDamage() throws Exception {
    for (long seed = 1; seed <= 12; seed++) {
      Path qdir = dir.resolve("p" + seed);
      Random r = new Random(seed);
      long bound = (32 << 10) + r.nextInt(4) * (16 << 10);
      int next = 0;
      int lastSeen = -1;
      List<Integer> taken = new ArrayList<>();
      for (int round = 0; round < 6; round++) {
        try (DiskQueue q =
            DiskQueue.open(
                qdir,
                bound,
                new DiskQueue.Events() {
                  @Override
                  public void dropped(long samples, String why) {}

                  @Override
                  public void corrupt(long records, String why) {}
                },
                () -> {})) {
          int n = 1 + r.nextInt(20);
          List<DiskQueue.Request> batch = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            batch.add(new DiskQueue.Request(body(next++, 8 + r.nextInt(3000)), 1, 0));
          }
          q.append(batch);
          int takes = r.nextInt(25);
          for (int t = 0; t < takes; t++) {
            DiskQueue.Entry e = q.next(0);
            if (e == null) {
              break;
            }
            int id = ByteBuffer.wrap(e.body()).getInt(0);
            assertArrayEquals(body(id, e.body().length), e.body(), "seed " + seed);
            assertTrue(id > lastSeen, "seed " + seed + ": " + id + " after " + lastSeen);
            lastSeen = id;
            taken.add(id);
            q.taken(e);
          }
        }
        // damage: a random byte of a random segment, now and then
        if (r.nextInt(3) == 0) {
          List<Path> segs;
          try (var files = Files.list(qdir)) {
            segs = files.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
          }
          if (!segs.isEmpty()) {
            Path s = segs.get(r.nextInt(segs.size()));
            long size = Files.size(s);
            if (size > 0) {
              try (FileChannel ch =
                  FileChannel.open(s, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                if (r.nextBoolean()) {
                  flip(ch, (long) (r.nextDouble() * size));
                } else {
                  ch.truncate((long) (r.nextDouble() * size));
                }
              }
            }
          }
        }
      }
      assertTrue(next > 0);
    }
  }
}
