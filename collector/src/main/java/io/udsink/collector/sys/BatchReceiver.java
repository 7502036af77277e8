package io.udsink.collector.sys;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * Receives a batch of datagrams with one {@code recvmmsg(2)} into one preallocated region, and
 * hands each out as a view: no copy, and no allocation per datagram or per batch.
 *
 * <pre>
 *   region: | mmsghdr x n (64 B) | iovec x n (16 B) | control x n (32 B) | data x n (slot) |
 *   mmsghdr i: msg_hdr { name=NULL, iov=&amp;iovec[i], iovlen=1, control=&amp;control[i],
 *              controllen=32 (reset before every call: the kernel rewrites it) } msg_len
 *   control i: cmsghdr { len, SOL_SOCKET, SCM_CREDENTIALS } ucred { pid, uid, gid }
 * </pre>
 *
 * A datagram longer than the slot is cut to it and flagged ({@code MSG_TRUNC}); a zero-length
 * datagram is a datagram of length 0. Credentials come with every datagram sent after the
 * receiving socket set {@code SO_PASSCRED} ({@link Sockets#passCredentials}); for one sent
 * earlier the kernel reports pid 0 and the overflow uid and gid (65534), which is taken as no
 * credentials ({@link #UNKNOWN}); so is, indistinguishably, a sender of that uid and gid in
 * another pid namespace. One thread uses a receiver; it is closed with {@link #close()}.
 */
public final class BatchReceiver implements AutoCloseable {
  /** Credentials of a datagram that carried none. */
  public static final int UNKNOWN = -1;

  /**
   * What the kernel reports for a datagram sent while the socket did not ask for credentials:
   * pid 0 and the overflow ids (an invalid id, as user namespaces show it).
   */
  private static final int OVERFLOW_UID =
      io.udsink.collector.util.ProcFile.intOr(
          java.nio.file.Path.of("/proc/sys/kernel/overflowuid"), 65534);

  private static final int OVERFLOW_GID =
      io.udsink.collector.util.ProcFile.intOr(
          java.nio.file.Path.of("/proc/sys/kernel/overflowgid"), 65534);
  private static final long MMSGHDR = 64;
  private static final long IOVEC = 16;
  private static final long CONTROL = 32; // CMSG_SPACE(sizeof(struct ucred))
  private static final long MSG_IOV = 16;
  private static final long MSG_IOVLEN = 24;
  private static final long MSG_CONTROL = 32;
  private static final long MSG_CONTROLLEN = 40;
  private static final long MSG_FLAGS = 48;
  private static final long MSG_LEN = 56;
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

  private final Arena arena = Arena.ofShared();
  private final int capacity;
  private final int slot;
  private final MemorySegment headers;
  private final MemorySegment controls;
  private final MemorySegment errno;
  private final ByteBuffer[] views;
  private final int[] lengths;
  private final boolean[] truncated;
  private final int[] pids;
  private final int[] uids;
  private final int[] gids;
  private int count;

  /**
   * Allocates the region.
   *
   * @param capacity most datagrams per batch, 1 to 1024
   * @param slot bytes kept of each datagram: the largest datagram accepted whole
   */
  public BatchReceiver(int capacity, int slot) {
    if (capacity < 1 || capacity > 1024) {
      throw new IllegalArgumentException("batch of 1 to 1024 datagrams, was " + capacity);
    }
    if (slot < 1) {
      throw new IllegalArgumentException("slot of at least one byte, was " + slot);
    }
    this.capacity = capacity;
    this.slot = slot;
    this.headers = arena.allocate(MMSGHDR * capacity, 8);
    MemorySegment iovecs = arena.allocate(IOVEC * capacity, 8);
    this.controls = arena.allocate(CONTROL * capacity, 8);
    this.errno = Native.errnoSegment(arena);
    MemorySegment data = untouched((long) slot * capacity);
    this.views = new ByteBuffer[capacity];
    this.lengths = new int[capacity];
    this.truncated = new boolean[capacity];
    this.pids = new int[capacity];
    this.uids = new int[capacity];
    this.gids = new int[capacity];
    for (int i = 0; i < capacity; i++) {
      MemorySegment buf = data.asSlice((long) slot * i, slot);
      MemorySegment iov = iovecs.asSlice(IOVEC * i, IOVEC);
      iov.set(ValueLayout.ADDRESS, 0, buf);
      iov.set(LONG, 8, slot);
      MemorySegment h = headers.asSlice(MMSGHDR * i, MMSGHDR);
      h.set(ValueLayout.ADDRESS, MSG_IOV, iov);
      h.set(LONG, MSG_IOVLEN, 1);
      h.set(ValueLayout.ADDRESS, MSG_CONTROL, controls.asSlice(CONTROL * i, CONTROL));
      views[i] = buf.asByteBuffer();
    }
  }

  private static final int PROT_READ_WRITE = 0x1 | 0x2;
  private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20; // the same on x86_64 and aarch64

  /**
   * A region of fresh pages, unmapped when the arena closes. Unlike an arena's allocation, which
   * writes zeros over all of it, nothing touches these pages until the kernel writes a datagram
   * into them: {@code --max-datagram} × the batch is address space, and only the bytes the
   * datagrams fill are resident (a few hundred KiB for small datagrams instead of 4 MiB).
   */
  private MemorySegment untouched(long bytes) {
    MemorySegment p;
    int err;
    try {
      p =
          (MemorySegment)
              Libc.Receive.MMAP.invokeExact(
                  errno, MemorySegment.NULL, bytes, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
      err = Native.errno(errno);
    } catch (Throwable t) {
      throw Native.rethrow(t);
    }
    if (p.address() == -1L) {
      throw new OutOfMemoryError(
          "mmap of "
              + bytes
              + " bytes for the receive batch: "
              + Native.error("mmap", err).getMessage());
    }
    return p.reinterpret(
        bytes,
        arena,
        m -> {
          try (Arena a = Arena.ofConfined()) {
            int unmapped = (int) Libc.Receive.MUNMAP.invokeExact(Native.errnoSegment(a), m, bytes);
          } catch (Throwable t) {
            throw Native.rethrow(t);
          }
        });
  }

  /** Most datagrams one {@link #receive} returns. */
  public int capacity() {
    return capacity;
  }

  /**
   * Receives what is queued on a socket, without waiting.
   *
   * @param fd the socket's descriptor
   * @param max most datagrams to take, at most {@link #capacity()}
   * @return datagrams received, 0 when none was queued; fewer than {@code max} means the queue
   *     was empty when the call returned
   * @throws IOException when the kernel reports another error than an empty queue
   */
  public int receive(int fd, int max) throws IOException {
    int n = Math.min(max, capacity);
    for (int i = 0; i < n; i++) {
      long h = MMSGHDR * i;
      headers.set(LONG, h + MSG_CONTROLLEN, CONTROL);
      headers.set(INT, h + MSG_FLAGS, 0);
    }
    int got;
    try {
      got =
          (int)
              Libc.Receive.RECVMMSG.invokeExact(
                  errno, fd, headers, n, Native.MSG_DONTWAIT, MemorySegment.NULL);
    } catch (Throwable t) {
      throw Native.rethrow(t);
    }
    if (got < 0) {
      int e = Native.errno(errno);
      count = 0;
      if (e == Native.EAGAIN || e == Native.EINTR) {
        return 0;
      }
      throw Native.error("recvmmsg", e);
    }
    for (int i = 0; i < got; i++) {
      long h = MMSGHDR * i;
      int len = headers.get(INT, h + MSG_LEN);
      int flags = headers.get(INT, h + MSG_FLAGS);
      lengths[i] = len;
      truncated[i] = (flags & Native.MSG_TRUNC) != 0;
      long controlLen = headers.get(LONG, h + MSG_CONTROLLEN);
      long c = CONTROL * i;
      int pid = controls.get(INT, c + 16);
      int uid = controls.get(INT, c + 20);
      int gid = controls.get(INT, c + 24);
      if (controlLen >= 28
          && controls.get(INT, c + 8) == Native.SOL_SOCKET
          && controls.get(INT, c + 12) == Native.SCM_CREDENTIALS
          && !(pid == 0 && uid == OVERFLOW_UID && gid == OVERFLOW_GID)) {
        pids[i] = pid;
        uids[i] = uid;
        gids[i] = gid;
      } else {
        pids[i] = UNKNOWN;
        uids[i] = UNKNOWN;
        gids[i] = UNKNOWN;
      }
      views[i].limit(len).position(0);
    }
    count = got;
    return got;
  }

  /** Datagrams the last receive returned. */
  public int count() {
    return count;
  }

  /**
   * Datagram {@code i} of the last batch, from position 0 to its length: a view of the region,
   * valid until the next receive.
   */
  public ByteBuffer datagram(int i) {
    check(i);
    return views[i];
  }

  /** Its length in bytes (at most the slot). */
  public int length(int i) {
    check(i);
    return lengths[i];
  }

  /** True when datagram {@code i} was longer than the slot and was cut to it. */
  public boolean truncated(int i) {
    check(i);
    return truncated[i];
  }

  /** The sending process' pid (0 from another pid namespace), or {@link #UNKNOWN}. */
  public int pid(int i) {
    check(i);
    return pids[i];
  }

  /** The sender's uid, or {@link #UNKNOWN} (a datagram sent before SO_PASSCRED was set). */
  public int uid(int i) {
    check(i);
    return uids[i];
  }

  /** The sender's gid, or {@link #UNKNOWN}. */
  public int gid(int i) {
    check(i);
    return gids[i];
  }

  private void check(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException("datagram " + i + " of " + count);
    }
  }

  /** Frees the region; the views must no longer be used. */
  @Override
  public void close() {
    arena.close();
  }
}
