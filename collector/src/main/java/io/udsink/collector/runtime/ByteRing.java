package io.udsink.collector.runtime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A bounded ring of variable-length records in one preallocated byte array, for one producer
 * thread and one consumer thread. Nothing is allocated after construction.
 *
 * <pre>
 *   | len | kind | payload ... pad to 8 | len | kind | payload ... |PAD ....... end of array|
 *   ^head (consumer)                    ^ claimed, not yet published   ^tail (producer)
 * </pre>
 *
 * A record never wraps: when it does not fit before the end of the array, a PAD record fills the
 * rest and the record starts at 0. The producer writes records and makes them visible with
 * {@link #publish()}; the consumer reads them in order and gives their space back with
 * {@link #release()}. Both publish and release are volatile writes, so that a thread that then
 * reads the other side's "sleeping" flag (also volatile) cannot miss a wake-up.
 */
final class ByteRing {
  static final int PAD = 0;

  private static final int HEADER = 8;
  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  final byte[] buf;
  private final int mask;

  /**
   * The positions, each group on cache lines of its own (a long[] keeps its order, which fields
   * do not): what only the producer touches, what only the consumer touches, and the two
   * positions one publishes and the other reads. Without the gaps every record would move one
   * cache line back and forth between the two cores.
   */
  private final long[] pos = new long[6 * GAP];

  private static final int GAP = 16;
  private static final int TAIL = GAP; // producer: bytes claimed
  private static final int HEAD_SEEN = GAP + 1; // producer: the consumer's head as last read
  private static final int HEAD = 2 * GAP; // consumer: bytes consumed
  private static final int TAIL_SEEN = 2 * GAP + 1; // consumer: the published tail as last read
  private static final int PUBLISHED = 3 * GAP; // written by the producer
  private static final int RELEASED = 4 * GAP; // written by the consumer
  private static final VarHandle POS = MethodHandles.arrayElementVarHandle(long[].class);

  /**
   * Creates a ring.
   *
   * @param capacity bytes, a power of two of at least 64
   */
  ByteRing(int capacity) {
    if (capacity < 64 || Integer.bitCount(capacity) != 1) {
      throw new IllegalArgumentException("capacity must be a power of two >= 64: " + capacity);
    }
    buf = new byte[capacity];
    mask = capacity - 1;
  }

  /** Largest payload one record can carry. */
  int maxPayload() {
    return buf.length / 2 - HEADER;
  }

  /**
   * Claims room for a record (producer).
   *
   * @param payload its payload bytes, at most {@link #maxPayload()}
   * @param kind its kind, not {@link #PAD}
   * @return the payload's offset in {@link #buf}, or -1 when the ring has no room now
   */
  int claim(int payload, int kind) {
    long[] p = pos;
    long tail = p[TAIL];
    int size = (HEADER + payload + 7) & ~7;
    int at = (int) (tail & mask);
    int room = buf.length - at;
    int need = size <= room ? size : room + size;
    if (tail + need - p[HEAD_SEEN] > buf.length) {
      p[HEAD_SEEN] = (long) POS.getVolatile(p, RELEASED);
      if (tail + need - p[HEAD_SEEN] > buf.length) {
        return -1;
      }
    }
    if (size > room) {
      INTS.set(buf, at, room);
      INTS.set(buf, at + 4, PAD);
      tail += room;
      at = 0;
    }
    INTS.set(buf, at, size);
    INTS.set(buf, at + 4, kind);
    p[TAIL] = tail + size;
    return at + HEADER;
  }

  /** True when a record of {@code payload} bytes would fit now (producer). */
  boolean hasRoom(int payload) {
    long tail = pos[TAIL];
    int size = (HEADER + payload + 7) & ~7;
    int room = buf.length - (int) (tail & mask);
    int need = size <= room ? size : room + size;
    return tail + need - (long) POS.getVolatile(pos, RELEASED) <= buf.length;
  }

  /**
   * True when every record claimed has been consumed: only for a ring whose producer and
   * consumer are the same thread.
   */
  boolean drained() {
    return pos[TAIL] == pos[HEAD];
  }

  /** Makes every claimed record visible to the consumer (producer). */
  void publish() {
    long tail = pos[TAIL];
    if ((long) POS.getOpaque(pos, PUBLISHED) != tail) {
      POS.setVolatile(pos, PUBLISHED, tail);
    }
  }

  /** True when records were claimed and not yet published (producer). */
  boolean unpublished() {
    return (long) POS.getOpaque(pos, PUBLISHED) != pos[TAIL];
  }

  /**
   * The next record (consumer).
   *
   * @return its payload's offset, or -1 when none is published
   */
  int next() {
    long[] p = pos;
    while (true) {
      long head = p[HEAD];
      if (head == p[TAIL_SEEN]) {
        p[TAIL_SEEN] = (long) POS.getVolatile(p, PUBLISHED);
        if (head == p[TAIL_SEEN]) {
          return -1;
        }
      }
      int at = (int) (head & mask);
      if ((int) INTS.get(buf, at + 4) != PAD) {
        return at + HEADER;
      }
      p[HEAD] = head + (int) INTS.get(buf, at);
    }
  }

  /** True when a record is published and not consumed (consumer). */
  boolean hasNext() {
    long head = pos[HEAD];
    return head != pos[TAIL_SEEN] || head != (long) POS.getVolatile(pos, PUBLISHED);
  }

  /** The kind of the record whose payload is at {@code off}. */
  int kind(int off) {
    return (int) INTS.get(buf, off - 4);
  }

  /** Consumes the record whose payload is at {@code off} (consumer); see {@link #release()}. */
  void consume(int off) {
    pos[HEAD] += (int) INTS.get(buf, off - HEADER);
  }

  /** Gives the consumed records' room back to the producer (consumer). */
  void release() {
    long head = pos[HEAD];
    if ((long) POS.getOpaque(pos, RELEASED) != head) {
      POS.setVolatile(pos, RELEASED, head);
    }
  }

  /** Bytes claimed by the producer and not yet released by the consumer (either side, racy). */
  long used() {
    return (long) POS.getVolatile(pos, PUBLISHED) - (long) POS.getVolatile(pos, RELEASED);
  }

  int getInt(int off) {
    return (int) INTS.get(buf, off);
  }

  void putInt(int off, int v) {
    INTS.set(buf, off, v);
  }

  long getLong(int off) {
    return (long) LONGS.get(buf, off);
  }

  void putLong(int off, long v) {
    LONGS.set(buf, off, v);
  }
}
