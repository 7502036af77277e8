package io.udsink.collector.export.remotewrite;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * A receiver's write-ahead queue of compressed remote-write requests, in a directory of its own:
 * the requests not yet taken by the receiver survive outages, stops, restarts and takeovers.
 *
 * <pre>
 *   dir/lock                    held (fcntl) by the one process that uses the queue
 *   dir/00000000000000000007.seg records, appended; never changed once another segment follows
 *   dir/cursor                  segment and offset of the first record not yet taken
 *
 *   record: magic u32 | length u32 | samples u32 | crc32c u32 | created ms i64 | body
 *           (little-endian; the checksum covers length, samples, created and body)
 * </pre>
 *
 * <ul>
 *   <li>{@link #append} writes a flush's requests and forces them to disk before it returns: what
 *       it accepted survives a crash of udsink or of the host.</li>
 *   <li>The queue holds at most {@code maxBytes}; beyond it the oldest segments are dropped, their
 *       samples counted. A full disk drops the oldest segment to make room, and when there is
 *       none, the new request; udsink goes on.</li>
 *   <li>A record whose checksum fails (a crash mid-write, a torn or damaged segment) is skipped
 *       and counted; reading resumes at the next record that checks, or the next segment.</li>
 *   <li>Every process appends to segments of its own, so a segment left by an earlier process is
 *       never written again.</li>
 * </ul>
 *
 * Used by one writer thread and one reader thread; synchronized.
 */
final class DiskQueue implements AutoCloseable {
  static final int MAGIC = 0x55445257; // "UDRW"
  static final int HEADER = 24;

  /** Largest record read back: bigger lengths are damage. */
  static final int MAX_RECORD = 256 << 20;

  /** A request read from the queue, to hand to {@link #taken} once the receiver has it. */
  record Entry(byte[] body, int samples, long createdMs, long segment, long offset, long next) {}

  /** A request to append: its compressed body and how many samples it carries. */
  record Request(byte[] body, int samples, long createdMs) {}

  /** What a problem with the disk cost, for the log and the counters. */
  interface Events {
    /** Samples dropped (bound or full disk), with the reason for the log. */
    void dropped(long samples, String why);

    /** Records skipped because they failed their checks. */
    void corrupt(long records, String why);
  }

  private static final class Segment {
    final long id;
    final Path path;
    FileChannel channel;
    long size; // bytes that are records (or damage) to read; appended only for the current
    long samples; // samples of records not yet taken

    Segment(long id, Path path) {
      this.id = id;
      this.path = path;
    }
  }

  private final Path dir;
  private final long maxBytes;
  private final long segmentBytes;
  private final Events events;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final FileChannel cursorChannel;
  private final TreeMap<Long, Segment> segments = new TreeMap<>();
  private final CRC32C crc = new CRC32C();
  private Segment current; // this process's segment, appended to
  private long readSegment;
  private long readOffset;
  private Entry inFlight;
  private boolean closed;

  private DiskQueue(
      Path dir,
      long maxBytes,
      Events events,
      FileChannel lockChannel,
      FileLock lock,
      FileChannel cursorChannel) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.segmentBytes = Math.max(1, Math.min(64L << 20, maxBytes / 8));
    this.events = events;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.cursorChannel = cursorChannel;
  }

  /**
   * Opens the queue in {@code dir} (created, mode 0700, when missing), waiting while another
   * process holds it: at a takeover the previous instance lets go once its final flush is on
   * disk.
   *
   * @param dir the queue's directory; its parent (created as well when missing) and the
   *     directories above are checked by the caller
   * @param maxBytes most bytes held
   * @param events told what is dropped or skipped
   * @param waitLog called every 10 s while another process holds the queue
   * @return the queue, its earlier segments scanned
   * @throws IOException when the directory or its files cannot be used
   * @throws InterruptedException when interrupted while waiting for the lock
   */
  static DiskQueue open(Path dir, long maxBytes, Events events, Runnable waitLog)
      throws IOException, InterruptedException {
    for (Path d : List.of(dir.getParent(), dir)) {
      if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(
            d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    }
    FileChannel lockChannel = openFile(dir.resolve("lock"));
    FileLock lock;
    long logAt = System.nanoTime();
    try {
      while (true) {
        try {
          lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null; // held by this process (an output not yet closed)
        }
        if (lock != null) {
          break;
        }
        if (System.nanoTime() - logAt >= 0) {
          waitLog.run();
          logAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        }
        TimeUnit.MILLISECONDS.sleep(50); // fcntl has no wait that an interrupt can end
      }
      FileChannel cursor = openFile(dir.resolve("cursor"));
      DiskQueue q = new DiskQueue(dir, maxBytes, events, lockChannel, lock, cursor);
      q.load();
      return q;
    } catch (IOException | InterruptedException | RuntimeException e) {
      lockChannel.close();
      throw e;
    }
  }

  private static FileChannel openFile(Path p) throws IOException {
    return FileChannel.open(
        p,
        java.util.Set.of(
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
  }

  private void load() throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.seg")) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        long id;
        try {
          id = Long.parseLong(n.substring(0, n.length() - 4));
        } catch (NumberFormatException e) {
          continue;
        }
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          events.corrupt(0, p + " is not a regular file; left alone");
          continue;
        }
        Segment s = new Segment(id, p);
        s.size = Files.size(p);
        segments.put(id, s);
      }
    }
    ByteBuffer c = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
    long seg = -1;
    long off = 0;
    if (cursorChannel.read(c, 0) == 20) {
      c.flip();
      seg = c.getLong();
      off = c.getLong();
      crc.reset();
      crc.update(c.array(), 0, 16);
      if ((int) crc.getValue() != c.getInt()) {
        events.corrupt(1, "the cursor does not check; sending the queue from its start");
        seg = -1;
        off = 0;
      }
    }
    // segments wholly taken before a crash removed them: gone now
    for (Long id : new ArrayList<>(segments.headMap(seg).keySet())) {
      delete(segments.remove(id));
    }
    if (segments.isEmpty()) {
      readSegment = seg < 0 ? 0 : seg;
      readOffset = 0;
    } else if (segments.containsKey(seg)) {
      readSegment = seg;
      readOffset = Math.min(off, segments.get(seg).size);
    } else {
      readSegment = segments.firstKey();
      readOffset = 0;
    }
    for (Segment s : segments.values()) {
      s.samples = countSamples(s, s.id == readSegment ? readOffset : 0);
    }
    long next = segments.isEmpty() ? readSegment + 1 : segments.lastKey() + 1;
    newSegment(next);
    enforceBound(0);
  }

  /** Samples in the records of a segment from {@code from}, by their headers (damage ends it). */
  private long countSamples(Segment s, long from) throws IOException {
    long n = 0;
    ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    FileChannel ch = channel(s);
    for (long at = from; at + HEADER <= s.size; ) {
      h.clear();
      if (ch.read(h, at) < HEADER) {
        break;
      }
      h.flip();
      if (h.getInt() != MAGIC) {
        break;
      }
      int len = h.getInt();
      int samples = h.getInt();
      if (len < 0 || len > MAX_RECORD || samples < 0) {
        break;
      }
      n += samples;
      at += HEADER + (long) len;
    }
    return n;
  }

  private FileChannel channel(Segment s) throws IOException {
    if (s.channel == null) {
      s.channel = FileChannel.open(s.path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    }
    return s.channel;
  }

  private void newSegment(long id) throws IOException {
    Path p = dir.resolve(String.format("%020d.seg", id));
    Files.deleteIfExists(p);
    Segment s = new Segment(id, p);
    s.channel =
        FileChannel.open(
            p,
            java.util.Set.of(
                StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    segments.put(id, s);
    current = s;
  }

  /**
   * Appends requests and forces them to disk. A request that does not fit (the bound, a full
   * disk) is dropped and counted; the others are kept.
   *
   * @param requests the requests, in the order to send them
   * @return samples that were not kept
   * @throws IOException when the queue is closed
   */
  synchronized long append(List<Request> requests) throws IOException {
    if (closed) {
      throw new IOException("the remote-write queue in " + dir + " is closed");
    }
    long lost = 0;
    for (Request r : requests) {
      long len = HEADER + (long) r.body.length;
      if (len > maxBytes) {
        events.dropped(r.samples, "one request of " + len + " bytes is more than the queue bound");
        lost += r.samples;
        continue;
      }
      if (current.size > 0 && current.size + len > segmentBytes) {
        try {
          rollSegment();
        } catch (IOException e) {
          // no new file (a full disk): go on in this one
        }
      }
      enforceBound(len);
      while (true) {
        try {
          write(r);
          break;
        } catch (IOException e) {
          // a full disk (or another write error): the segment is cut back to its records, and
          // closed, so that the oldest can make room
          cutBack();
          if (current.size > 0) {
            try {
              rollSegment();
            } catch (IOException noFile) {
              // no new file either: the oldest other segment, if any, makes room
            }
          }
          Segment oldest = oldestNotCurrent();
          if (oldest == null) {
            events.dropped(r.samples, "cannot write to " + current.path + ": " + e.getMessage());
            lost += r.samples;
            break;
          }
          dropSegment(oldest, "cannot write to " + current.path + " (" + e.getMessage() + ")");
        }
      }
    }
    try {
      current.channel.force(false);
    } catch (IOException e) {
      events.dropped(0, "cannot force " + current.path + " to disk: " + e.getMessage());
    }
    notifyAll();
    return lost;
  }

  private void write(Request r) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    h.putInt(MAGIC)
        .putInt(r.body.length)
        .putInt(r.samples)
        .putInt(checksum(r.body, r.samples, r.createdMs))
        .putLong(r.createdMs);
    h.flip();
    ByteBuffer[] parts = {h, ByteBuffer.wrap(r.body)};
    long at = current.size;
    long want = HEADER + (long) r.body.length;
    current.channel.position(at);
    long done = 0;
    while (done < want) {
      long n = current.channel.write(parts);
      if (n <= 0) {
        throw new IOException("no progress writing " + current.path);
      }
      done += n;
    }
    current.size = at + want;
    current.samples += r.samples;
  }

  private void cutBack() {
    try {
      current.channel.truncate(current.size);
    } catch (IOException e) {
      // the damage past size is never read: size bounds what this process reads, and the next
      // process finds it and skips it by checksum
    }
  }

  private int checksum(byte[] body, int samples, long createdMs) {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(body.length).putInt(samples).putLong(createdMs);
    crc.reset();
    crc.update(b.array(), 0, 16);
    crc.update(body, 0, body.length);
    return (int) crc.getValue();
  }

  private void rollSegment() throws IOException {
    try {
      current.channel.force(false);
    } catch (IOException e) {
      // counted where it matters: the next append forces again
    }
    newSegment(current.id + 1);
  }

  private Segment oldestNotCurrent() {
    Map.Entry<Long, Segment> e = segments.firstEntry();
    return e == null || e.getValue() == current ? null : e.getValue();
  }

  /** Drops the oldest segments until {@code adding} more bytes fit in the bound. */
  private void enforceBound(long adding) {
    while (bytes() + adding > maxBytes) {
      Segment oldest = oldestNotCurrent();
      if (oldest == null) {
        return;
      }
      dropSegment(oldest, "more than " + maxBytes + " bytes waited for the receiver");
    }
  }

  private void dropSegment(Segment s, String why) {
    segments.remove(s.id);
    long samples = s.samples;
    if (inFlight != null && inFlight.segment == s.id) {
      samples -= inFlight.samples; // it is being sent: counted by how that ends
    }
    if (readSegment == s.id) {
      readSegment = segments.isEmpty() ? s.id + 1 : segments.firstKey();
      readOffset = 0;
      saveCursor();
    }
    delete(s);
    events.dropped(Math.max(0, samples), why + "; dropped the oldest requests (" + s.path + ")");
  }

  private void delete(Segment s) {
    try {
      if (s.channel != null) {
        s.channel.close();
      }
      Files.deleteIfExists(s.path);
    } catch (IOException e) {
      events.corrupt(0, "cannot remove " + s.path + ": " + e.getMessage());
    }
  }

  /** Bytes held that the receiver has not taken. */
  synchronized long bytes() {
    long n = 0;
    for (Segment s : segments.values()) {
      n += s.size - (s.id == readSegment ? readOffset : 0);
    }
    return n;
  }

  /** Samples held that the receiver has not taken. */
  synchronized long samples() {
    long n = 0;
    for (Segment s : segments.values()) {
      n += s.samples;
    }
    return n;
  }

  /** True when nothing waits to be sent. */
  synchronized boolean isEmpty() {
    return samples() == 0 && bytes() == 0;
  }

  /**
   * The oldest request not yet taken, waiting up to {@code timeoutNs} for one.
   *
   * @return it, or null when none came in time or the queue was closed
   */
  synchronized Entry next(long timeoutNs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNs;
    while (!closed) {
      Entry e;
      try {
        e = read();
      } catch (IOException ex) {
        events.corrupt(0, "cannot read the queue in " + dir + ": " + ex);
        e = null;
      }
      if (e != null) {
        inFlight = e;
        return e;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return null;
  }

  private Entry read() throws IOException {
    while (true) {
      Segment s = segments.get(readSegment);
      if (s == null) {
        Long next = segments.higherKey(readSegment);
        if (next == null) {
          return null;
        }
        readSegment = next;
        readOffset = 0;
        continue;
      }
      if (readOffset >= s.size) {
        if (s == current) {
          return null; // nothing more yet
        }
        advanceSegment(s);
        continue;
      }
      Entry e = readAt(s, readOffset);
      if (e != null) {
        return e;
      }
      // damage: find the next record that checks, in this segment
      long resume = resync(s, readOffset + 1);
      long skipped = (resume < 0 ? s.size : resume) - readOffset;
      events.corrupt(
          1,
          s.path
              + ": "
              + skipped
              + " bytes at offset "
              + readOffset
              + " fail their checks (a torn or damaged record); skipped");
      if (resume < 0) {
        if (s == current) {
          readOffset = s.size;
          s.samples = 0;
          saveCursor();
          return null;
        }
        advanceSegment(s);
        continue;
      }
      readOffset = resume;
      s.samples = countSamples(s, readOffset);
      saveCursor();
    }
  }

  private void advanceSegment(Segment s) {
    if (s != current) {
      segments.remove(s.id);
      delete(s);
    }
    Long next = segments.higherKey(s.id);
    readSegment = next == null ? s.id + 1 : next;
    readOffset = 0;
    saveCursor();
  }

  /** The record at {@code at}, or null when it fails a check. */
  private Entry readAt(Segment s, long at) throws IOException {
    if (s.size - at < HEADER) {
      return null;
    }
    ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    FileChannel ch = channel(s);
    if (ch.read(h, at) < HEADER) {
      return null;
    }
    h.flip();
    int magic = h.getInt();
    int len = h.getInt();
    int samples = h.getInt();
    int sum = h.getInt();
    long createdMs = h.getLong();
    if (magic != MAGIC || len < 0 || len > MAX_RECORD || samples < 0) {
      return null;
    }
    if (len > s.size - at - HEADER) {
      return null;
    }
    ByteBuffer body = ByteBuffer.allocate(len);
    while (body.hasRemaining()) {
      if (ch.read(body, at + HEADER + body.position()) < 0) {
        return null;
      }
    }
    if (checksum(body.array(), samples, createdMs) != sum) {
      return null;
    }
    return new Entry(body.array(), samples, createdMs, s.id, at, at + HEADER + len);
  }

  /** The offset of the first record from {@code from} on that checks, or -1. */
  private long resync(Segment s, long from) throws IOException {
    FileChannel ch = channel(s);
    ByteBuffer b = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
    for (long base = from; base + HEADER <= s.size; ) {
      b.clear();
      int n = ch.read(b, base);
      if (n < 4) {
        return -1;
      }
      for (int i = 0; i + 4 <= n; i++) {
        if (b.getInt(i) == MAGIC && readAt(s, base + i) != null) {
          return base + i;
        }
      }
      base += n - 3;
    }
    return -1;
  }

  /**
   * Marks a request as taken by the receiver (or given up for good): the cursor moves past it
   * and a segment wholly taken is removed.
   *
   * @param e what {@link #next} gave
   */
  synchronized void taken(Entry e) {
    inFlight = null;
    if (closed) {
      return; // another process may hold the queue now: its cursor is not ours to move
    }
    if (e.segment != readSegment || e.offset != readOffset) {
      return; // dropped meanwhile (the bound) or skipped
    }
    Segment s = segments.get(e.segment);
    readOffset = e.next;
    if (s != null) {
      s.samples = Math.max(0, s.samples - e.samples);
      if (readOffset >= s.size) {
        if (s == current) {
          // all taken: the next appends go to a new file, and this one goes
          try {
            rollSegment();
          } catch (IOException noFile) {
            saveCursor();
            return;
          }
        }
        advanceSegment(s);
        return;
      }
    }
    saveCursor();
  }

  private void saveCursor() {
    ByteBuffer c = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
    c.putLong(readSegment).putLong(readOffset);
    crc.reset();
    crc.update(c.array(), 0, 16);
    c.putInt((int) crc.getValue());
    c.flip();
    try {
      while (c.hasRemaining()) {
        cursorChannel.write(c, c.position());
      }
    } catch (IOException e) {
      // the cursor is where to resume after a restart: losing it resends, never loses
      events.corrupt(0, "cannot save the cursor in " + dir + ": " + e.getMessage());
    }
  }

  /** Lets go of the queue: its files stay for the next process. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    notifyAll();
    for (Segment s : segments.values()) {
      try {
        if (s.channel != null) {
          if (s == current) {
            s.channel.force(false);
          }
          s.channel.close();
        }
      } catch (IOException e) {
        // closing: nothing else to do with it
      }
    }
    if (current != null && current.size == 0) {
      try {
        Files.deleteIfExists(current.path);
      } catch (IOException e) {
        // an empty segment left behind is read as empty
      }
    }
    try {
      cursorChannel.force(false);
      cursorChannel.close();
    } catch (IOException e) {
      // as above
    }
    try {
      lock.release();
    } catch (IOException e) {
      // closing the channel releases it too
    }
    try {
      lockChannel.close();
    } catch (IOException e) {
      // as above
    }
  }
}
