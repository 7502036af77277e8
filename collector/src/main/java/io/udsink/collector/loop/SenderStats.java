package io.udsink.collector.loop;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Datagrams by the sender's uid, from the credentials the kernel attaches to each one, so that an
 * operator can see which local user floods a socket. At most {@link #MAX_UIDS} uids are counted
 * each on their own (the first seen); the rest are counted together as {@link #OTHER}, and
 * datagrams without credentials as {@link #UNKNOWN}. Written by the loop's thread without
 * allocating; readable from any thread.
 */
public final class SenderStats {
  /** Most uids counted on their own. */
  public static final int MAX_UIDS = 64;

  /** The index of uids beyond the first {@link #MAX_UIDS}. */
  public static final int OTHER = MAX_UIDS;

  /** The index of datagrams that carried no credentials. */
  public static final int UNKNOWN = MAX_UIDS + 1;

  private static final int TABLE = 128; // open addressing, at most half full
  private static final int EMPTY = -1;

  /** uid of slot i of {@link #counts}, in the order first seen; the table maps uid to slot. */
  private final AtomicIntegerArray uids = new AtomicIntegerArray(MAX_UIDS);

  private final int[] table = new int[TABLE];
  private final int[] tableSlot = new int[TABLE];
  private final AtomicLongArray counts = new AtomicLongArray(MAX_UIDS + 2);
  private volatile int size;
  private int lastUid = Integer.MIN_VALUE;
  private int lastSlot;

  SenderStats() {
    java.util.Arrays.fill(table, EMPTY);
  }

  /** Counts {@code n} datagrams of a uid ({@code -1}: no credentials). Loop thread only. */
  void add(int uid, int n) {
    int slot;
    if (uid == lastUid) {
      slot = lastSlot;
    } else {
      slot = slotOf(uid);
      lastUid = uid;
      lastSlot = slot;
    }
    counts.lazySet(slot, counts.get(slot) + n);
  }

  private int slotOf(int uid) {
    if (uid == -1) {
      return UNKNOWN;
    }
    int h = (uid * 0x9E3779B1) >>> 25; // 7 bits
    while (table[h] != EMPTY) {
      if (table[h] == uid) {
        return tableSlot[h];
      }
      h = (h + 1) & (TABLE - 1);
    }
    int n = size;
    if (n == MAX_UIDS) {
      return OTHER;
    }
    table[h] = uid;
    tableSlot[h] = n;
    uids.set(n, uid);
    size = n + 1; // publishes the uid before its count is read
    return n;
  }

  /** Distinct uids counted on their own. */
  public int size() {
    return size;
  }

  /** The uid of slot {@code i} (below {@link #size()}). */
  public int uid(int i) {
    return uids.get(i);
  }

  /** Datagrams of slot {@code i}: a uid's, {@link #OTHER} or {@link #UNKNOWN}. */
  public long count(int i) {
    return counts.get(i);
  }
}
