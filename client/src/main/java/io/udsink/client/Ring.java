package io.udsink.client;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A bounded ring of preallocated slots from many emitting threads to the client's one thread.
 * An emit claims a sequence with a compare-and-set on the tail, fills the slot's fields and
 * publishes the sequence; it allocates nothing and takes no lock. The client's thread reads slots
 * in sequence order, waiting for each to be published.
 *
 * <pre>
 *   emitters: claim (CAS tail) -> fill slot -> publish(seq)      client thread: wait published
 *                                                                 == head, read, head++
 * </pre>
 *
 * A full ring is the caller's to handle: drop, or wait ({@link #awaitRoom}) for the client's
 * thread to make room.
 */
final class Ring {
  /** What a slot holds. */
  static final byte COUNT = 1;

  static final byte COUNT_DOUBLE = 2;
  static final byte GAUGE = 3;
  static final byte GAUGE_DELTA = 4;
  static final byte SET = 5;
  static final byte TIMER = 6;
  static final byte HISTOGRAM = 7;
  static final byte DISTRIBUTION = 8;
  static final byte EVENT = 9;
  static final byte SERVICE_CHECK = 10;
  static final byte RAW = 11;

  /** Tags copied into a slot; more are passed by reference. */
  static final int INLINE_TAGS = 8;

  /** One emit. Written by its claimer, read by the client's thread once published. */
  static final class Slot {
    byte kind;
    String name;
    long longValue;
    double doubleValue;
    double rate;
    long timestampSeconds;
    Tags tagSet;
    final String[] tags = new String[INLINE_TAGS];
    int tagCount;
    String[] moreTags;
    String text;
    Object object;
  }

  private final Slot[] slots;
  private final AtomicLongArray published;
  private final int mask;
  private final AtomicLong tail = new AtomicLong();
  private volatile long head;
  private final Object room = new Object();
  private volatile int waiting;

  Ring(int capacity) {
    int c = Integer.highestOneBit(Math.max(2, capacity - 1)) << 1;
    slots = new Slot[c];
    for (int i = 0; i < c; i++) {
      slots[i] = new Slot();
    }
    published = new AtomicLongArray(c);
    for (int i = 0; i < c; i++) {
      published.set(i, -1);
    }
    mask = c - 1;
  }

  int capacity() {
    return slots.length;
  }

  /** A sequence to fill, or -1 when the ring is full. */
  long claim() {
    while (true) {
      long t = tail.get();
      if (t - head >= slots.length) {
        return -1;
      }
      if (tail.compareAndSet(t, t + 1)) {
        return t;
      }
    }
  }

  Slot slot(long seq) {
    return slots[(int) seq & mask];
  }

  /**
   * Publishes a filled slot. A full (volatile) store: the emitter then reads whether the client's
   * thread sleeps, and that read may not pass this store, or a thread about to sleep could miss
   * the slot and the emitter miss the sleep.
   */
  void publish(long seq) {
    published.set((int) seq & mask, seq);
  }

  /** Emits claimed and not yet read. */
  long backlog() {
    return tail.get() - head;
  }

  /**
   * Waits until a slot may be free, up to the deadline.
   *
   * @return false when the deadline passed (or the thread was interrupted)
   */
  boolean awaitRoom(long deadlineNs) {
    synchronized (room) {
      waiting++;
      try {
        while (tail.get() - head >= slots.length) {
          long left = deadlineNs - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          try {
            TimeUnit.NANOSECONDS.timedWait(room, left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        }
        return true;
      } finally {
        waiting--;
      }
    }
  }

  // ---------------------------------------------------------------- the client's thread

  /** The next published slot, or null when the next is not published yet. */
  Slot peek() {
    long h = head;
    return published.get((int) h & mask) == h ? slots[(int) h & mask] : null;
  }

  /** Done with the slot {@link #peek} gave: it may be claimed again. */
  void advance(Slot s) {
    s.name = null;
    s.tagSet = null;
    s.moreTags = null;
    s.text = null;
    s.object = null;
    for (int i = 0; i < s.tagCount && i < INLINE_TAGS; i++) {
      s.tags[i] = null;
    }
    head = head + 1;
    if (waiting > 0) {
      synchronized (room) {
        room.notifyAll();
      }
    }
  }

  /** Wakes every emitter waiting for room (at close). */
  void wakeAll() {
    synchronized (room) {
      room.notifyAll();
    }
  }
}
